#!/usr/bin/env Rscript
# lme4's fits of y ~ a*x + (x | g) (REML) on test/fixtures/moment-saddle/data.csv, case f581 of the random
# model-frame generator (test/oracle/randomFrames.ts, seed 4242, 600 cases): the default lmerControl()
# and minqa's bobyqa, which stops at a saddle with θ = 0 (test/momentStart.test.ts).
# Usage (from the repository root): Rscript test/oracle/moment_saddle.R
# Writes test/fixtures/moment-saddle/lme4.json.
suppressMessages({ library(lme4); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
dir <- normalizePath(file.path(here, "..", "fixtures", "moment-saddle"))
d <- read.csv(file.path(dir, "data.csv"), stringsAsFactors = TRUE)
d$k <- factor(d$k)
fit <- function(ctrl) {
  m <- suppressMessages(lmer(y ~ a * x + (x | g), d, REML = TRUE, control = ctrl))
  list(remlcrit = REMLcrit(m), theta = unname(getME(m, "theta")), singular = isSingular(m))
}
out <- list(formula = "y ~ a*x + (x | g)", reml = TRUE, lme4 = as.character(packageVersion("lme4")),
  default = fit(lmerControl()), bobyqa = fit(lmerControl(optimizer = "bobyqa")))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(dir, "lme4.json"))
