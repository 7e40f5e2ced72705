#!/usr/bin/env Rscript
# metafor references for random-effects meta-analysis (test/meta*.test.ts).
# Usage (from the repository root): Rscript test/oracle/metafor.R
# Writes test/fixtures/meta/data/*.csv (the metadat data sets used) and test/fixtures/meta/*.json.
#
# metafor's defaults stop early: the Fisher scoring for ML/REML stops when |Δτ²| < 1e-5 and the
# Paule–Mandel root is found by uniroot to 1.2e-4; rma.mv's nlminb to its default relative tolerance (1e-10).
# Every fit here runs to tight tolerances (threshold 1e-12, tol 1e-12; nlminb rel.tol 1e-12, checked against blme with σ fixed at 1), so the
# references are the estimators' exact values, not where an iteration happened to stop.
# Besides the fits: the ML and REML log-likelihoods at fixed τ² (rma(..., tau2 = t)) and at fixed σ²
# (rma.mv(..., sigma2 = s)), independent of any optimizer, for the objective tests.
# Needs: apt-get install r-cran-metafor r-cran-metadat r-cran-jsonlite
suppressMessages({ library(metafor); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
out <- file.path(root, "test/fixtures/meta")
dir.create(file.path(out, "data"), showWarnings = FALSE, recursive = TRUE)

tight <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000)
tight_mv <- list(rel.tol = 1e-12, eval.max = 10000, iter.max = 10000)

write_json_file <- function(x, name) {
  writeLines(toJSON(x, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null", na = "null"),
             file.path(out, paste0(name, ".json")))
}
write_data <- function(d, name) write.csv(d, file.path(out, "data", paste0(name, ".csv")), row.names = FALSE)
named <- function(v, nm) as.list(setNames(as.numeric(v), nm))
num <- function(x) if (is.null(x)) NULL else as.numeric(x)

fit_stats <- function(r) {
  fs <- r$fit.stats
  list(ML = named(fs$ML, rownames(fs)), REML = named(fs$REML, rownames(fs)))
}

common <- function(r) {
  nm <- rownames(r$beta)
  res <- list(
    k = r$k, p = r$p, method = r$method, test = r$test,
    beta = named(r$beta, nm), se = named(r$se, nm),
    stat = named(r$zval, nm), pval = named(r$pval, nm),
    ci_lb = named(r$ci.lb, nm), ci_ub = named(r$ci.ub, nm),
    vb = unname(lapply(seq_len(nrow(r$vb)), function(i) I(as.numeric(r$vb[i, ])))),
    QE = r$QE, QEp = r$QEp, QM = r$QM, QMdf = num(r$QMdf), QMp = r$QMp, btt = r$btt,
    ddf = num(r$ddf), s2w = r$s2w, parms = r$parms,
    fit_stats = fit_stats(r),
    print = capture.output(print(r)))
  res
}

# predictions: the pooled estimate's (intercept-only) or each study's fitted value
predictions <- function(r) {
  pr <- predict(r)
  list(pred = num(pr$pred), se = num(pr$se), ci_lb = num(pr$ci.lb), ci_ub = num(pr$ci.ub),
       pi_lb = num(pr$pi.lb), pi_ub = num(pr$pi.ub))
}

uni <- function(r, name, extra = list()) {
  res <- c(list(name = name, kind = "rma.uni", metafor = as.character(packageVersion("metafor")),
                R = R.version.string),
           common(r),
           list(tau2 = r$tau2, se_tau2 = r$se.tau2, I2 = r$I2, H2 = r$H2, vt = r$vt,
                R2 = if (is.null(r$R2)) NULL else r$R2,
                weights = as.numeric(weights(r)),
                predict = predictions(r),
                blup = { b <- ranef(r); list(pred = num(b$pred), se = num(b$se)) },
                fitted = as.numeric(fitted(r)), residuals = as.numeric(residuals(r)),
                rstandard = as.numeric(rstandard(r)$z)),
           extra)
  write_json_file(res, name)
}

# ---------------------------------------------------------------- dat.bcg (log risk ratios)
bcg <- dat.bcg
write_data(bcg, "bcg")
dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)
# log-likelihoods at fixed τ² (independent of any optimizer), intercept only and with ablat
at_tau2 <- function(mods) {
  lapply(c(0, 0.05, 0.3132, 1.2), function(t2) {
    r <- if (is.null(mods)) rma(yi, vi, data = dat, tau2 = t2, method = "REML")
         else rma(yi, vi, mods = mods, data = dat, tau2 = t2, method = "REML")
    list(tau2 = t2, ll_ML = r$fit.stats["ll", "ML"], ll_REML = r$fit.stats["ll", "REML"],
         beta = I(as.numeric(r$beta)), se = I(as.numeric(r$se)))
  })
}
for (m in c("REML", "ML", "DL", "PM", "HE", "SJ", "EB")) {
  r <- rma(yi, vi, data = dat, method = m, control = tight)
  uni(r, paste0("bcg_", tolower(m)), if (m == "REML") list(at_tau2 = at_tau2(NULL)) else list())
}
uni(rma(yi, vi, data = dat, method = "REML", test = "knha", control = tight), "bcg_reml_knha")
uni(rma(yi, vi, data = dat, method = "DL", test = "knha", control = tight), "bcg_dl_knha")
# meta-regression on absolute latitude (QM test), and with two moderators
uni(rma(yi, vi, mods = ~ ablat, data = dat, method = "REML", control = tight), "bcg_reml_ablat",
    list(at_tau2 = at_tau2(~ ablat)))
uni(rma(yi, vi, mods = ~ ablat, data = dat, method = "ML", control = tight), "bcg_ml_ablat")
uni(rma(yi, vi, mods = ~ ablat, data = dat, method = "DL", control = tight), "bcg_dl_ablat")
uni(rma(yi, vi, mods = ~ ablat, data = dat, method = "PM", control = tight), "bcg_pm_ablat")
uni(rma(yi, vi, mods = ~ ablat, data = dat, method = "HE", control = tight), "bcg_he_ablat")
uni(rma(yi, vi, mods = ~ ablat + year, data = dat, method = "REML", test = "knha", control = tight),
    "bcg_reml_ablat_year_knha")
# a categorical moderator (treatment contrasts; R's level order)
uni(rma(yi, vi, mods = ~ alloc, data = dat, method = "REML", control = tight), "bcg_reml_alloc")
# a fixed-effects (equal-effects) model: τ² = 0
uni(rma(yi, vi, data = dat, method = "EE"), "bcg_ee")

# ---------------------------------------------------------------- three-level: dat.konstantopoulos2011
ko <- dat.konstantopoulos2011
write_data(ko, "konstantopoulos2011")
mv <- function(r, name, extra = list()) {
  res <- c(list(name = name, kind = "rma.mv", metafor = as.character(packageVersion("metafor")),
                R = R.version.string),
           common(r),
           list(sigma2 = as.numeric(r$sigma2), s_names = r$s.names, s_nlevels = as.numeric(r$s.nlevels),
                predict = predictions(r),
                weights = as.numeric(weights(r)),
                fitted = as.numeric(fitted(r))),
           extra)
  write_json_file(res, name)
}
at_sigma2 <- function(mods) {
  lapply(list(c(0.05, 0.03), c(0.0651, 0.0327), c(0.2, 0.001), c(0, 0.05)), function(s2) {
    r <- if (is.null(mods)) rma.mv(yi, vi, random = ~ 1 | district/school, data = ko, sigma2 = s2)
         else rma.mv(yi, vi, mods = mods, random = ~ 1 | district/school, data = ko, sigma2 = s2)
    list(sigma2 = s2, ll_ML = r$fit.stats["ll", "ML"], ll_REML = r$fit.stats["ll", "REML"],
         beta = I(as.numeric(r$beta)), se = I(as.numeric(r$se)))
  })
}
r3 <- rma.mv(yi, vi, random = ~ 1 | district/school, data = ko, control = tight_mv)
mv(r3, "konstantopoulos_reml", list(at_sigma2 = at_sigma2(NULL)))
mv(rma.mv(yi, vi, random = ~ 1 | district/school, data = ko, method = "ML", control = tight_mv),
   "konstantopoulos_ml")
mv(rma.mv(yi, vi, mods = ~ I(year - 1990), random = ~ 1 | district/school, data = ko, control = tight_mv),
   "konstantopoulos_reml_year", list(at_sigma2 = at_sigma2(~ I(year - 1990))))
mv(rma.mv(yi, vi, random = ~ 1 | district/school, data = ko, test = "t", control = tight_mv),
   "konstantopoulos_reml_t")
# the same multilevel model as an LMM with known residual variances: blme with σ fixed at 1
if (requireNamespace("blme", quietly = TRUE)) {
  suppressMessages(library(blme))
  ko$dist <- factor(ko$district); ko$sch <- factor(ko$school)
  b <- blmer(yi ~ 1 + (1 | dist/sch), data = ko, weights = 1 / vi, resid.prior = point(1),
             cov.prior = NULL, REML = TRUE,
             control = lmerControl(optimizer = "nloptwrap",
                                   optCtrl = list(ftol_abs = 1e-14, ftol_rel = 1e-15, xtol_abs = 1e-12, xtol_rel = 1e-14)))
  write_json_file(list(name = "konstantopoulos_blme", theta = as.numeric(getME(b, "theta")),
                       theta_names = names(getME(b, "theta")),
                       sigma2 = as.numeric(getME(b, "theta"))^2, remlcrit = as.numeric(b@devcomp$cmp[["REML"]]),
                       fixef = as.numeric(fixef(b)),
                       log_det_XtX = as.numeric(determinant(crossprod(getME(b, "X")))$modulus)),
                  "konstantopoulos_blme")
}

# ---------------------------------------------------------------- escalc
esc <- function(d, name, ...) {
  # escalc reads its arguments by name from the call (non-standard evaluation): build the call
  cl <- as.call(c(list(quote(escalc)), as.list(match.call(expand.dots = FALSE)$...), list(data = quote(d))))
  e <- eval(cl)
  list(name = name, yi = as.numeric(e$yi), vi = as.numeric(e$vi))
}
yusuf <- dat.yusuf1985[dat.yusuf1985$table == "6", ]
write_data(yusuf, "yusuf1985_table6")
normand <- dat.normand1999
write_data(normand, "normand1999")
molloy <- dat.molloy2014
write_data(molloy[, c("authors", "year", "ni", "ri")], "molloy2014")
pritz <- dat.pritz1997
write_data(pritz, "pritz1997")
cases <- list(
  esc(bcg, "bcg_RR", measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg),
  esc(bcg, "bcg_OR", measure = "OR", ai = tpos, bi = tneg, ci = cpos, di = cneg),
  esc(bcg, "bcg_RD", measure = "RD", ai = tpos, bi = tneg, ci = cpos, di = cneg),
  esc(yusuf, "yusuf_RR", measure = "RR", ai = ai, n1i = n1i, ci = ci, n2i = n2i),
  esc(yusuf, "yusuf_OR", measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i),
  esc(yusuf, "yusuf_RD", measure = "RD", ai = ai, n1i = n1i, ci = ci, n2i = n2i),
  esc(yusuf, "yusuf_OR_all", measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, add = 0.5, to = "all"),
  esc(yusuf, "yusuf_OR_drop00", measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, drop00 = TRUE),
  esc(normand, "normand_MD", measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i),
  esc(normand, "normand_SMD", measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i),
  esc(normand, "normand_ROM", measure = "ROM", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i),
  esc(molloy, "molloy_ZCOR", measure = "ZCOR", ri = ri, ni = ni),
  esc(molloy, "molloy_COR", measure = "COR", ri = ri, ni = ni),
  esc(pritz, "pritz_PR", measure = "PR", xi = xi, ni = ni),
  esc(pritz, "pritz_PLO", measure = "PLO", xi = xi, ni = ni))
write_json_file(list(metafor = as.character(packageVersion("metafor")), cases = cases), "escalc")

# a meta-analysis of an escalc'd SMD (the CLI's escalc → meta path)
nd <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = normand)
uni(rma(yi, vi, data = nd, method = "REML", control = tight), "normand_smd_reml")
cat("wrote", out, "\n")
