#!/usr/bin/env Rscript
# glmmTMB 1.1.5's time for the cases of test/oracle/zeroinfl_re.R (the mean of 3 fits), beside
# bench/zeroinflRe.ts. Usage (from the repository root): Rscript bench/zeroinflRe.R
suppressPackageStartupMessages(library(glmmTMB))
d <- read.csv("test/fixtures/data/salamanders_doy.csv", stringsAsFactors = TRUE)
cases <- list(
  zip_re = c("count ~ mined + (1 | site)", "~ mined + (1 | site)", "poisson"),
  zinb2_re = c("count ~ mined + (1 | site)", "~ spp + (1 | site)", "nbinom2"),
  hurdle_pois_re = c("count ~ mined + (1 | site)", "~ mined + (1 | site)", "truncated_poisson"),
  zip_zi_only_re = c("count ~ mined + (1 | site)", "~ (1 | spp)", "poisson"),
  zip_vector = c("count ~ mined + (1 + DOY | site)", "~ mined", "poisson"),
  zip_diag = c("count ~ mined + (1 + DOY || site)", "~ mined", "poisson"))
for (nm in names(cases)) {
  cs <- cases[[nm]]
  t <- system.time(for (k in 1:3) fit <- glmmTMB(as.formula(cs[1]), ziformula = as.formula(cs[2]), family = get(cs[3])(), data = d))[["elapsed"]] / 3
  cat(sprintf("glmmTMB %s: %.2f s, logLik %.6f\n", nm, t, as.numeric(logLik(fit))))
}
