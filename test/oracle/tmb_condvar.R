#!/usr/bin/env Rscript
# glmmTMB's ranef(fit, condVar = TRUE): references from glmmTMB 1.1.5 (test/tmbCondVar.test.ts,
# src/zeroinfl/ranefVariance.ts). ranef's condVar is sdreport's diag.cov.random for the random effects b
# (and bzi): TMB's
#   Var(b̂) = [H_rr⁻¹]_bb + A Var(x̂) Aᵀ,   A = dr̂/dx (the modes' derivatives in the outer parameters),
# r TMB's random parameters (b, and beta under REML = TRUE), x the outer ones; glmmTMB reports the diagonal
# (its off-diagonals NA). Recorded at the tight optimum (tmb_common.R's Newton steps on TMB's gradient), with
# the first term alone (diag of the inverse random-effects Hessian there) so that a test can tell the two
# apart. Cases (data in test/fixtures/data): sleepstudy gaussian (Days | Subject) by ML and by REML; ZIP
# count ~ mined + (1 | site), ziformula ~ mined by ML and REML; NB2 count ~ mined + cover + (1 | site);
# ZIP with (1 | site) in the zero model too (b and bzi).
# Also Var(x̂) there (ML: sdreport's cov.fixed; REML: over (beta, outer) as vcov.glmmTMB) for the
# objective-level check of the formula at TMB's own covariance.
# Usage (from the repository root): Rscript test/oracle/tmb_condvar.R
suppressPackageStartupMessages({ library(glmmTMB); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
out <- file.path(root, "test/fixtures/tmb-condvar")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
source(file.path(here, "tmb_common.R"))
rd <- function(n) read.csv(file.path(root, "test/fixtures/data", paste0(n, ".csv")), stringsAsFactors = TRUE)

cases <- list(
  list(name = "sleepstudy_ml", data = "sleepstudy", formula = "Reaction ~ Days + (Days | Subject)", zi = "~ 0", family = "gaussian", reml = FALSE),
  list(name = "sleepstudy_reml", data = "sleepstudy", formula = "Reaction ~ Days + (Days | Subject)", zi = "~ 0", family = "gaussian", reml = TRUE),
  list(name = "zip_ml", data = "salamanders", formula = "count ~ mined + (1 | site)", zi = "~ mined", family = "poisson", reml = FALSE),
  list(name = "zip_reml", data = "salamanders", formula = "count ~ mined + (1 | site)", zi = "~ mined", family = "poisson", reml = TRUE),
  list(name = "nb2_ml", data = "salamanders", formula = "count ~ mined + cover + (1 | site)", zi = "~ 0", family = "nbinom2", reml = FALSE),
  list(name = "zip_zire_ml", data = "salamanders", formula = "count ~ mined + (1 | site)", zi = "~ mined + (1 | site)", family = "poisson", reml = FALSE)
)
fam_of <- function(f) switch(f, gaussian = gaussian(), poisson = poisson(), nbinom2 = nbinom2())

res <- lapply(cases, function(cs) {
  d <- rd(cs$data)
  fit <- glmmTMB(as.formula(cs$formula), ziformula = as.formula(cs$zi), family = fam_of(cs$family), data = d, REML = cs$reml)
  nt <- tmbNewton(fit, 8)
  sdr <- TMB::sdreport(fit$obj, par.fixed = nt$tp, getJointPrecision = cs$reml)
  # Var(x̂) over the parameters the fit reports: ML cov.fixed; REML (beta, outer) from the joint precision
  # with b marginalized, as vcov.glmmTMB (GMRFmarginal)
  V <- if (cs$reml) {
    Q <- sdr$jointPrecision
    solve(as.matrix(glmmTMB:::GMRFmarginal(Q, which(!rownames(Q) %in% c("b", "bzi")))))
  } else sdr$cov.fixed
  nm <- names(sdr$par.random)
  # the first term: diag of the inverse Hessian of the random parameters at their mode for x = tp
  obj <- fit$obj
  obj$fn(nt$tp)
  full <- obj$env$last.par
  H <- obj$env$spHess(full, random = TRUE)
  term1 <- diag(solve(as.matrix(H)))
  # glmmTMB's own ranef at the tight optimum (its condVar reads fit$sdr)
  fit$sdr <- sdr
  rf <- ranef(fit, condVar = TRUE)
  cv <- function(comp) lapply(names(rf[[comp]]), function(g) {
    a <- attr(rf[[comp]][[g]], "condVar")
    list(group = g, values = unname(as.matrix(rf[[comp]][[g]])), condVar_diag = if (is.null(dim(a))) unname(a) else unname(t(apply(a, 3, diag))))
  })
  list(
    name = cs$name, data = cs$data, formula = cs$formula, ziformula = cs$zi, family = cs$family, reml = cs$reml,
    tight_par = unname(nt$tp), tight_gradient = max(abs(nt$gr(nt$tp))), vcov_names = rownames(V), vcov = unname(V),
    b = unname(sdr$par.random[nm == "b"]), bzi = unname(sdr$par.random[nm == "bzi"]),
    var_b = unname(sdr$diag.cov.random[nm == "b"]), var_bzi = unname(sdr$diag.cov.random[nm == "bzi"]),
    term1_b = unname(term1[nm == "b"]), term1_bzi = unname(term1[nm == "bzi"]),
    ranef_cond = cv("cond"), ranef_zi = if (length(rf$zi)) cv("zi") else list()
  )
})
write(toJSON(res, auto_unbox = TRUE, digits = NA, null = "null"), file.path(out, "condvar.json"))
for (r in res) cat(r$name, "grad", r$tight_gradient, "var_b[1:2]", head(r$var_b, 2), "term1", head(r$term1_b, 2), "\n")
