#!/usr/bin/env Rscript
# lme4 1.1-31's nlmer on bench/nlmer.ts's simulated SSlogis data (the CSVs it writes), the same
# formulas and start: each fit's time (elapsed, one run; the median of 3 below 1,000 groups), the
# second stage's evaluations (optinfo$feval: lme4 keeps no count of the first stage's) and the
# deviance, as a Markdown table.
#   npx vite-node bench/nlmer.ts && Rscript bench/nlmer.R bench/out/nlmer [50,500]  (the groups to run; default all)
suppressMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args) > 0) args[1] else "bench/out/nlmer"
stopifnot(packageVersion("lme4") == "1.1.31")
forms <- list(A = y ~ SSlogis(x, Asym, xmid, scal) ~ Asym | g, AX = y ~ SSlogis(x, Asym, xmid, scal) ~ Asym + xmid | g)
start <- c(Asym = 200, xmid = 700, scal = 300)
files <- list.files(dir, pattern = "^nlmer_(A|AX)_[0-9]+\\.csv$")
key <- do.call(rbind, lapply(strsplit(sub("\\.csv$", "", files), "_"), function(s) data.frame(case = s[2], G = as.integer(s[3]))))
ord <- order(key$G, key$case)
if (length(args) > 1) ord <- ord[key$G[ord] %in% as.integer(strsplit(args[2], ",")[[1]])]
cat("| case | groups | lme4 fit (s) | stage-2 evaluations | deviance |\n| --- | ---: | ---: | ---: | ---: |\n")
for (k in ord) {
  d <- read.csv(file.path(dir, files[k]), colClasses = c("character", "numeric", "numeric"))
  reps <- if (key$G[k] < 1000) 3 else 1
  times <- numeric(reps)
  for (r in seq_len(reps)) times[r] <- system.time(fit <- nlmer(forms[[key$case[k]]], d, start = start))[["elapsed"]]
  t <- median(times)
  fe <- sum(unlist(fit@optinfo$feval))
  if (length(fit@optinfo$warnings)) message(files[k], ": ", paste(unlist(fit@optinfo$warnings), collapse = "; "))
  cat(sprintf("| %s | %d | %.2f | %d | %.4f |\n", key$case[k], key$G[k], t, fe, unname(fit@devcomp$cmp["dev"])))
}
