#!/usr/bin/env Rscript
# lme4's fits of the larger mlmRev reference cases (test/oracle/mlmrev.R) with its default control, beside
# bench/mlmrev.ts: the same CSVs and formulas, system.time's elapsed time of the fit, the median of 3 after one warm-up (lmer), one fit (glmer).
suppressMessages({ library(lme4); library(jsonlite) })
dir <- "test/fixtures/mlmrev"
cases <- fromJSON(file.path(dir, "cases.json"), simplifyVector = FALSE)
for (name in c("chem97_nested_reml", "egsingle_growth_reml", "star_growth_reml", "guimmun_binomial_crossed")) {
  cs <- Filter(function(k) k$name == name, cases)[[1]]
  d <- read.csv(file.path(dir, cs$data), stringsAsFactors = TRUE)
  for (f in unlist(cs$factors)) d[[f]] <- factor(d[[f]])
  fit <- function() if (is.null(cs$family)) lmer(as.formula(cs$formula), d, REML = isTRUE(cs$reml)) else
    suppressWarnings(glmer(as.formula(cs$formula), d, family = cs$family))
  # glmer on guImmun takes over a minute: one timed fit (no warm-up) there
  if (is.null(cs$family)) { m <- fit(); t <- sort(replicate(3, system.time(fit())[["elapsed"]])) } else { t <- rep(system.time(m <- fit())[["elapsed"]], 3) }
  crit <- if (is.null(cs$family)) if (isTRUE(cs$reml)) REMLcrit(m) else deviance(m) else -2 * as.numeric(logLik(m))
  cat(sprintf("%s: %d rows, fit %.3f s, %d evaluations, objective %.6f\n", name, nrow(d), t[2], m@optinfo$feval, crit))
}
