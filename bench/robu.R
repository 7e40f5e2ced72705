#!/usr/bin/env Rscript
# robumeta 2.0's robu on a CSV written by bench/robu.ts (columns y, x, v, study), CORR and HIER with the
# small-sample corrections: system.time's elapsed time of each fit after one warm-up.
suppressMessages(library(robumeta))
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
invisible(robu(y ~ x, data = d, studynum = study, var.eff.size = v, modelweights = "CORR", small = TRUE))
for (mw in c("CORR", "HIER")) {
  t <- system.time(f <- robu(y ~ x, data = d, studynum = study, var.eff.size = v, modelweights = mw, small = TRUE))[["elapsed"]]
  cat(sprintf("robumeta %s: %d effect sizes in %d studies, %.3f s, beta %s, dfs %s\n", mw, nrow(d), length(unique(d$study)), t,
              paste(sprintf("%.5f", f$reg_table$b.r), collapse = " "), paste(sprintf("%.2f", f$reg_table$dfs), collapse = " ")))
}
