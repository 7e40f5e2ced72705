#!/usr/bin/env Rscript
# Zero-inflated and hurdle count GLMMs: references from glmmTMB 1.1.5 (test/zeroinfl.test.ts,
# src/zeroinfl).
#
# Data: glmmTMB's Salamanders (644 rows, 23 sites), written to test/fixtures/data/salamanders.csv and
# read back with read.csv, so that R fits the same table as the tests (factor levels in read.csv's
# sorted order: mined "no" < "yes", so the coefficient is minedyes).
#
# For each case:
#   - glmmTMB's own fit with its defaults (nlminb on TMB's Laplace objective): fit$fit$par (beta,
#     betazi, betad = log of the NB size, theta = log SD), the objective there, logLik, AIC, BIC,
#     df.resid, the summary's tables (estimates and SEs from sdreport, the Hessian of the objective
#     in all fixed parameters), vcov(full = TRUE), the SD of the random intercept, sigma (the NB
#     size), predictions of the three types, ranef;
#   - the objective (-log L, TMB's Laplace with the exact Hessian, inner Newton converged) at
#     glmmTMB's optimum and at two points about it;
#   - a tight optimum: glmmTMB's nlminb stops at "relative convergence" with a gradient of up to ~5e-5
#     (log SD 1e-5 from the optimum in the hurdle case's flat direction), so from there Newton steps
#     on TMB's exact gradient with optimHess's Hessian of it, until max|gradient| < 1e-10; the Hessian
#     there and its inverse's square-root diagonal.
# Usage (from the repository root): Rscript test/oracle/zeroinfl.R
suppressPackageStartupMessages({ library(glmmTMB); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
out <- file.path(root, "test/fixtures/zeroinfl")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
source(file.path(here, "tmb_common.R"))

csv <- file.path(root, "test/fixtures/data/salamanders.csv")
write.csv(Salamanders[, c("site", "mined", "cover", "spp", "count")], csv, row.names = FALSE, quote = FALSE)
d <- read.csv(csv, stringsAsFactors = TRUE)

cases <- list(
  list(name = "zip_mined", formula = "count ~ mined + (1 | site)", zi = "~ mined", family = "poisson"),
  list(name = "zinb_mined", formula = "count ~ mined + (1 | site)", zi = "~ mined", family = "nbinom2"),
  list(name = "hurdle_nb_mined", formula = "count ~ mined + (1 | site)", zi = "~ mined", family = "truncated_nbinom2"),
  list(name = "zip_intercept", formula = "count ~ mined + (1 | site)", zi = "~ 1", family = "poisson"),
  list(name = "hurdle_pois_cover", formula = "count ~ mined + cover + (1 | site)", zi = "~ mined", family = "truncated_poisson")
)

fam_of <- function(name) switch(name, poisson = poisson(), nbinom2 = nbinom2(), truncated_nbinom2 = truncated_nbinom2(), truncated_poisson = truncated_poisson())

tab <- function(m) list(rownames = rownames(m), estimate = unname(m[, 1]), se = unname(m[, 2]), z = unname(m[, 3]), p = unname(m[, 4]))

for (cs in cases) {
  fit <- glmmTMB(as.formula(cs$formula), ziformula = as.formula(cs$zi), family = fam_of(cs$family), data = d)
  s <- summary(fit)
  nt <- tmbNewton(fit, 20)
  par <- nt$par; fn <- nt$fn; gr <- nt$gr; objective <- nt$objective; tp <- nt$tp
  stopifnot(max(abs(gr(tp))) < 1e-9)
  tight <- list(par = tp, objective = fn(tp))
  Ht <- optimHess(tight$par, fn, gr)
  vt <- solve(Ht)
  fn(par)  # leave the object at glmmTMB's optimum
  cond <- s$coefficients$cond
  zi <- s$coefficients$zi
  vc <- VarCorr(fit)$cond
  sdre <- attr(vc[[1]], "stddev")
  re <- ranef(fit)$cond[[1]]
  res <- list(
    name = cs$name, formula = cs$formula, ziformula = cs$zi, family = cs$family,
    par = unname(par), parnames = names(par),
    objective_at_opt = fit$fit$objective,
    loglik = as.numeric(logLik(fit)), df = attr(logLik(fit), "df"), aic = AIC(fit), bic = BIC(fit),
    df_resid = df.residual(fit), nobs = nobs(fit),
    cond = tab(cond), zi = tab(zi),
    vcov_full = unname(as.matrix(vcov(fit, full = TRUE))), vcov_names = colnames(vcov(fit, full = TRUE)),
    sd_re = unname(sdre), sigma = sigma(fit),
    ranef = list(levels = rownames(re), values = unname(re[, 1])),
    predict_response = unname(predict(fit, type = "response")),
    predict_conditional = unname(predict(fit, type = "conditional")),
    predict_zprob = unname(predict(fit, type = "zprob")),
    predict_link = unname(predict(fit, type = "link")),
    objective = objective,
    tight = list(par = unname(tight$par), value = tight$objective, se = unname(sqrt(diag(vt))), hessian = unname(Ht)),
    printout = capture.output(print(s))
  )
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(out, paste0(cs$name, ".json")))
  cat(cs$name, "logLik", res$loglik, "tight", -tight$objective, "\n")
}
