#!/usr/bin/env Rscript
# glmmTMB(..., REML = TRUE): references from glmmTMB 1.1.5 (test/tmbreml.test.ts, src/zeroinfl/fit.ts).
# glmmTMB's REML puts the conditional model's fixed effects beta among TMB's random parameters
# (random = c("b", "beta")): fit$fit$par holds the outer parameters only (betazi, betad, theta, thetazi,
# psi), fit$objective is minus the Laplace-approximated restricted likelihood, beta is the joint mode
# (fixef) and vcov comes from the joint precision (GMRFmarginal). Cases (data in test/fixtures/data):
#   sleepstudy_lmm:  gaussian Reaction ~ Days + (Days | Subject)  (also lme4's lmer REML criterion);
#   gaussian_disp_f: gaussian yg ~ x + (1 | g), dispformula ~ f   (tmbfamilies.csv);
#   beta_x:          beta_family yb ~ x + (1 | g)                 (tmbfamilies.csv);
#   tweedie_x:       tweedie ytw ~ x + (1 | g)                    (tmbfamilies2.csv);
#   zip_mined:       poisson count ~ mined + (1 | site), ziformula ~ mined (salamanders.csv);
#   nb2_mined:       nbinom2 count ~ mined + cover + (1 | site)   (salamanders.csv);
#   zip_zire:        poisson count ~ mined + (1 | site), ziformula ~ mined + (1 | site) (random effects in the
#                    zero model: the two-predictor inner problem).
# For each: the outer parameters, the objective there and at two points about it (TMB's obj$fn, which
# integrates beta: no optimizer involved), a tight optimum by Newton steps on TMB's gradient
# (tmb_common.R), the fixed effects and their SEs (summary), logLik, df, AIC, BIC, deviance, df.resid,
# sigma, VarCorr and the printed summary; and at the tight optimum, sdreport's joint mode beta and the SEs
# of vcov's construction (GMRFmarginal of the joint precision), tight_beta and tight_se, with the
# conditional modes b there (tight_b).
# Usage (from the repository root): Rscript test/oracle/tmbreml.R
suppressPackageStartupMessages({ library(glmmTMB); library(lme4); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
out <- file.path(root, "test/fixtures/tmbreml")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
source(file.path(here, "tmb_common.R"))
rd <- function(n) read.csv(file.path(root, "test/fixtures/data", paste0(n, ".csv")), stringsAsFactors = TRUE)

cases <- list(
  list(name = "sleepstudy_lmm", data = "sleepstudy", formula = "Reaction ~ Days + (Days | Subject)", zi = "~ 0", disp = "~ 1", family = "gaussian"),
  list(name = "gaussian_disp_f", data = "tmbfamilies", formula = "yg ~ x + (1 | g)", zi = "~ 0", disp = "~ f", family = "gaussian"),
  list(name = "beta_x", data = "tmbfamilies", formula = "yb ~ x + (1 | g)", zi = "~ 0", disp = "~ 1", family = "beta_family"),
  list(name = "tweedie_x", data = "tmbfamilies2", formula = "ytw ~ x + (1 | g)", zi = "~ 0", disp = "~ 1", family = "tweedie"),
  list(name = "zip_mined", data = "salamanders", formula = "count ~ mined + (1 | site)", zi = "~ mined", disp = "~ 1", family = "poisson"),
  list(name = "nb2_mined", data = "salamanders", formula = "count ~ mined + cover + (1 | site)", zi = "~ 0", disp = "~ 1", family = "nbinom2"),
  list(name = "zip_zire", data = "salamanders", formula = "count ~ mined + (1 | site)", zi = "~ mined + (1 | site)", disp = "~ 1", family = "poisson")
)
fam_of <- function(f) switch(f, gaussian = gaussian(), beta_family = beta_family(), tweedie = tweedie(link = "log"),
  poisson = poisson(), nbinom2 = nbinom2())
tab <- function(ct) if (is.null(ct)) list() else lapply(seq_len(nrow(ct)), function(i) list(name = rownames(ct)[i], estimate = ct[i, 1], se = ct[i, 2], z = ct[i, 3], p = ct[i, 4]))

for (cs in cases) {
  d <- rd(cs$data)
  fit <- glmmTMB(as.formula(cs$formula), ziformula = as.formula(cs$zi), dispformula = as.formula(cs$disp),
    family = fam_of(cs$family), data = d, REML = TRUE)
  nt <- tmbNewton(fit, 8)
  s <- summary(fit)
  # at the tight optimum: sdreport's joint mode and vcov's covariance (GMRFmarginal of the joint precision, as vcov.glmmTMB)
  sdr <- TMB::sdreport(fit$obj, par.fixed = nt$tp, getJointPrecision = TRUE)
  Q <- sdr$jointPrecision
  Qm <- glmmTMB:::GMRFmarginal(Q, which(!rownames(Q) %in% c("b", "bzi")))
  V <- solve(as.matrix(Qm))
  ib <- which(rownames(Qm) == "beta")
  ll <- logLik(fit)
  vc <- VarCorr(fit)$cond
  varcorr <- unlist(lapply(names(vc), function(g) { m <- vc[[g]]; lapply(seq_len(nrow(m)), function(j) list(group = g, name = rownames(m)[j], sd = sqrt(m[j, j]), corr = if (j > 1) unname(attr(m, "correlation")[j, seq_len(j - 1)]) else NULL)) }), recursive = FALSE)
  res <- list(
    name = cs$name, data = cs$data, formula = cs$formula, ziformula = cs$zi, dispformula = cs$disp, family = cs$family,
    par = unname(fit$fit$par), par_names = names(fit$fit$par), objective = fit$fit$objective,
    objective_at = nt$objective,
    tight_par = unname(nt$tp), tight_objective = nt$fn(nt$tp), tight_gradient = max(abs(nt$gr(nt$tp))),
    beta = unname(fixef(fit)$cond),
    tight_beta = unname(sdr$par.random[names(sdr$par.random) == "beta"]), tight_se = unname(sqrt(diag(V)[ib])),
    tight_se_outer = unname(sqrt(diag(V)[-ib])),
    tight_b = unname(sdr$par.random[names(sdr$par.random) == "b"]),
    loglik = c(ll), df = attr(ll, "df"), aic = AIC(fit), bic = BIC(fit), deviance = unname(s$AICtab[["deviance"]]),
    df_resid = df.residual(fit), nobs = nobs(fit), sigma = sigma(fit),
    cond = tab(s$coefficients$cond), zi = tab(s$coefficients$zi), disp = tab(s$coefficients$disp),
    vcov_cond = unname(vcov(fit)$cond),
    varcorr = varcorr,
    summary = paste(capture.output(print(s)), collapse = "\n")
  )
  if (cs$name == "sleepstudy_lmm") {
    lm <- lmer(Reaction ~ Days + (Days | Subject), d, REML = TRUE)
    res$lmer <- list(remlcrit = unname(REMLcrit(lm)), beta = unname(fixef(lm)), se = unname(sqrt(diag(as.matrix(vcov(lm))))),
      sigma = sigma(lm), theta = unname(getME(lm, "theta")))
  }
  write(toJSON(res, auto_unbox = TRUE, digits = NA, null = "null"), file.path(out, paste0(cs$name, ".json")))
  cat(cs$name, "objective", fit$fit$objective, "tight", res$tight_objective, "grad", res$tight_gradient, "\n")
}


# Fixed effects running to a boundary under REML (test/fixtures/data/tmb_boundary.csv, test/oracle/tmb_boundary.R):
#   zip_cell: ZIP count ~ f + (1 | g), ziformula ~ f: the zero model's zi:fc runs to -Inf (no excess zeros in
#     f = c); glmmTMB's REML fit stops with zi:fc near -20, its objective, outer parameters and beta;
#   pois_zero_cell: Poisson y ~ f + (1 | g) with all y = 0 in f = c: the conditional coefficient fc runs to
#     -Inf, where the restricted likelihood (an integral over beta under a flat prior) diverges; glmmTMB 1.1.5
#     stops at an arbitrary fc and its vcov fails (recorded as the error message).
d <- rd("tmb_boundary")
zc <- glmmTMB(count ~ f + (1 | g), d, ziformula = ~ f, family = poisson(), REML = TRUE)
pz <- glmmTMB(y ~ f + (1 | g), d, family = poisson(), REML = TRUE)
pz_vcov <- tryCatch({ vcov(pz); "ok" }, error = function(e) conditionMessage(e))
write(toJSON(list(
  zip_cell = list(formula = "count ~ f + (1 | g)", ziformula = "~ f", family = "poisson", objective = zc$fit$objective,
    par = unname(zc$fit$par), par_names = names(zc$fit$par), beta = unname(fixef(zc)$cond), message = zc$fit$message),
  pois_zero_cell = list(formula = "y ~ f + (1 | g)", ziformula = "~ 0", family = "poisson", objective = pz$fit$objective,
    beta = unname(fixef(pz)$cond), vcov = pz_vcov)
), auto_unbox = TRUE, digits = NA), file.path(out, "boundary.json"))
