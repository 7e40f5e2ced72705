#!/usr/bin/env Rscript
# lmer fits whose random-effects term has a zero variance on some but not all of its columns, for
# test/caic.test.ts: cAIC4 1.0's deleteZeroComponents keeps the term's other columns (its cnms2formula:
# "(1 + x | g)" when the intercept stays, "(-1 + x | g)" when it goes), refits, and takes the refit's cAIC.
# A simulated set with a random intercept only, fitted as (1 + x | g) and as (1 + f | g) with f = x > 0.5
# (a factor's column dropped: cAIC4 writes the kept columns as variables, here the intercept only).
# A slope-only design was tried for the "(-1 + x | g)" branch and left out: with θ₁ = 0 the criterion
# depends on θ₂² + θ₃² only (a ridge), so where θ₁ ends exactly at 0 depends on the optimizer (lme4's
# bobyqa, its nloptwrap and ours stop at different points of the ridge, or at different local optima).
# Usage (from the repository root):
#   Rscript test/oracle/caic_partial.R test/fixtures/data test/fixtures/caic/caic_partial.json
# Needs: cAIC4 (CRAN), lme4, jsonlite
suppressMessages({ library(cAIC4); library(lme4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
tightL <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))

simulate <- function(seed) {
  set.seed(seed); n <- 240
  d <- data.frame(x = round(runif(n), 3), g = factor(rep(1:12, 20)))
  u <- rnorm(12, sd = 0.8); d$y <- round(1 + 0.5 * d$x + u[as.integer(d$g)] + rnorm(n), 4)
  d
}

caseOf <- function(name, file, d, formula = y ~ x + (1 + x | g)) {
  write.csv(d[c("x", "g", "y")], file.path(dataDir, file), row.names = FALSE)
  m <- lmer(formula, data = d, control = tightL)
  r <- cAIC(m)
  list(name = name, file = file, formula = deparse(formula), theta = unname(getME(m, "theta")),
       loglikelihood = r$loglikelihood, df = r$df, caic = r$caic, new = r$new,
       reducedFormula = paste(deparse(formula(r$reducedModel)), collapse = ""),
       reducedTheta = unname(getME(r$reducedModel, "theta")),
       printout = paste(capture.output(print(r)), collapse = "\n"))
}

intercept <- simulate(3)
intercept$f <- factor(ifelse(intercept$x > 0.5, "b", "a"))
cases <- list(
  caseOf("intercept_kept", "caic_partial_intercept.csv", intercept),
  caseOf("factor_intercept_kept", "caic_partial_intercept.csv", intercept, y ~ x + (1 + f | g))
)
names(cases) <- sapply(cases, `[[`, "name")
writeLines(toJSON(list(lme4 = as.character(packageVersion("lme4")), cAIC4 = as.character(packageVersion("cAIC4")), cases = cases),
                  auto_unbox = TRUE, digits = NA, pretty = TRUE), out)
