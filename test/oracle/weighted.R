#!/usr/bin/env Rscript
# lme4 references for prior weights in linear mixed models (test/weights.test.ts):
#   sleepstudy with w = 1 + (Days %% 3), lmer(Reaction ~ Days + (Days | Subject), weights = w),
#   REML and ML, lme4's optimizer run to tight tolerances (lme4_reference.R's "tight" option).
# Usage (from the repository root): Rscript test/oracle/weighted.R
# Writes test/fixtures/data/sleepstudy_weighted.csv and
#        test/fixtures/reference-tight/sleepstudy_weighted_{reml,ml}_tight.json
# (the same fields as lme4_reference.R, which it runs: θ, σ, fixef, se, vcov, REMLcrit/deviance,
#  logLik, fitted/resid head, and the devFunOnly objective at θ̂ and two other points).
# lme4 itself: weights must be ≥ 0 ("all(weights >= 0) is not TRUE"); a zero weight makes the
# deviance Inf (−Σ log w), so the TypeScript port refuses zero weights with an error.
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
d <- read.csv(file.path(root, "test/fixtures/data/sleepstudy.csv"))
d$w <- 1 + (d$Days %% 3)
write.csv(d, file.path(root, "test/fixtures/data/sleepstudy_weighted.csv"), row.names = FALSE)
cases <- list(
  list(name = "sleepstudy_weighted_reml_tight", data = "data/sleepstudy_weighted.csv",
       formula = "Reaction ~ Days + (Days | Subject)", reml = TRUE, weights = "w", tight = TRUE),
  list(name = "sleepstudy_weighted_ml_tight", data = "data/sleepstudy_weighted.csv",
       formula = "Reaction ~ Days + (Days | Subject)", reml = FALSE, weights = "w", tight = TRUE))
cf <- file.path(root, "test/fixtures/weighted_cases.json")
writeLines(jsonlite::toJSON(cases, auto_unbox = TRUE, pretty = TRUE), cf)
on.exit(unlink(cf))
status <- system2("Rscript", c(file.path(here, "lme4_reference.R"), cf,
                               file.path(root, "test/fixtures/reference-tight")))
unlink(cf)
if (status != 0) stop("lme4_reference.R failed")
