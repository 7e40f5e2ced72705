#!/usr/bin/env Rscript
# glmmTMB 1.1.5's confint() of glmmTMB fits, methods "wald" and "uniroot", for test/tmbConfint.test.ts.
# Fits run nlminb to tight tolerances (rel.tol 1e-14, as test/oracle/broom_tmb.R: the optimum our fit
# reaches). For "uniroot", glmmTMB's own output (TMB's tmbroot with uniroot's default tol, 1.2e-4) and the
# same roots to tol 1e-10 (tmbroot with a uniroot of that tol: the profile likelihood's ends themselves).
# Usage (from the repository root): Rscript test/oracle/tmb_confint.R test/fixtures/data test/fixtures/tmb_confint/confint.json
# Needs: glmmTMB 1.1.5, TMB, jsonlite.
suppressMessages({ library(glmmTMB); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
rd <- function(f) read.csv(file.path(dataDir, f), stringsAsFactors = TRUE)
tight <- glmmTMBControl(optCtrl = list(iter.max = 1e4, eval.max = 1e4, rel.tol = 1e-14))
sal <- rd("salamanders.csv")
sleep <- rd("sleepstudy.csv"); sleep$Subject <- factor(sleep$Subject)
tf <- rd("tmbfamilies.csv"); tf2 <- rd("tmbfamilies2.csv")

# tmbroot with uniroot(..., tol = 1e-10)
tightRoot <- TMB::tmbroot
environment(tightRoot) <- list2env(list(uniroot = function(...) stats::uniroot(..., tol = 1e-10)), parent = environment(TMB::tmbroot))
tightUniroot <- function(fit, parm) {
  pn <- rownames(vcov(fit, full = TRUE))
  L <- t(vapply(parm, function(k) tightRoot(fit$obj, name = k, target = 0.5 * qchisq(0.95, df = 1)), numeric(2)))
  list(names = pn[parm], lower = unname(L[, 1]), upper = unname(L[, 2]))
}
mat <- function(ci) list(names = rownames(ci), columns = colnames(ci), values = lapply(seq_len(ncol(ci)), function(j) unname(ci[, j])), print = capture.output(print(ci)))
cases <- list()
add <- function(name, spec, fit, calls, tightParm = NULL) {
  res <- lapply(calls, function(cl) list(options = cl$options, result = mat(cl$ci)))
  cases[[length(cases) + 1]] <<- c(list(name = name), spec, list(
    par = unname(fit$fit$par), objective = fit$fit$objective, fullNames = rownames(vcov(fit, full = TRUE)),
    calls = res), if (is.null(tightParm)) list() else list(tight_uniroot = tightUniroot(fit, tightParm)))
}
ci <- function(options, value) list(options = options, ci = value)

m <- glmmTMB(Reaction ~ Days + (Days | Subject), data = sleep, control = tight)
add("sleep_gauss", list(formula = "Reaction ~ Days + (Days | Subject)", ziformula = "~ 0", dispformula = "~ 1", family = "gaussian", data = "sleepstudy"), m, list(
  ci(list(), confint(m)),
  ci(list(full = TRUE), confint(m, full = TRUE)),
  ci(list(level = 0.9), confint(m, level = 0.9)),
  ci(list(parm = "theta_"), confint(m, parm = "theta_")),
  ci(list(parm = "beta_"), confint(m, parm = "beta_")),
  ci(list(parm = list("Days")), confint(m, parm = "Days")),
  ci(list(parm = list(2, 4)), confint(m, parm = c(2, 4))),
  ci(list(estimate = FALSE), confint(m, estimate = FALSE)),
  ci(list(component = "other", full = TRUE), confint(m, component = "other", full = TRUE)),
  ci(list(method = "uniroot"), confint(m, method = "uniroot"))), tightParm = c(1, 2, 4, 5, 6))

m <- glmmTMB(count ~ mined + (1 | site), ziformula = ~mined, family = nbinom2, data = sal, control = tight)
add("zinb2_mined", list(formula = "count ~ mined + (1 | site)", ziformula = "~ mined", dispformula = "~ 1", family = "nbinom2", data = "salamanders"), m, list(
  ci(list(), confint(m)),
  ci(list(full = TRUE), confint(m, full = TRUE)),
  ci(list(component = "zi"), confint(m, component = "zi")),
  ci(list(method = "uniroot"), confint(m, method = "uniroot"))), tightParm = 1:6)

m <- glmmTMB(count ~ mined + (1 | site), ziformula = ~mined + (1 | site), family = poisson, data = sal, control = tight)
add("zip_zi_site", list(formula = "count ~ mined + (1 | site)", ziformula = "~ mined + (1 | site)", dispformula = "~ 1", family = "poisson", data = "salamanders"), m, list(
  ci(list(), confint(m)),
  ci(list(component = "zi"), confint(m, component = "zi")),
  ci(list(component = "cond"), confint(m, component = "cond")),
  ci(list(parm = "theta_"), confint(m, parm = "theta_"))), tightParm = 5:6)

m <- glmmTMB(yg ~ x + (1 | g), dispformula = ~f, family = gaussian, data = tf, control = tight)
add("gauss_disp_f", list(formula = "yg ~ x + (1 | g)", ziformula = "~ 0", dispformula = "~ f", family = "gaussian", data = "tmbfamilies"), m, list(
  ci(list(), confint(m)),
  ci(list(parm = "disp_"), confint(m, parm = "disp_")),
  ci(list(method = "uniroot", parm = "disp_"), confint(m, method = "uniroot", parm = "disp_"))), tightParm = 3:5)

m <- glmmTMB(ytw ~ x + (1 | g), family = tweedie(link = "log"), data = tf2, control = tight)
add("tweedie_x", list(formula = "ytw ~ x + (1 | g)", ziformula = "~ 0", dispformula = "~ 1", family = "tweedie", data = "tmbfamilies2"), m, list(
  ci(list(), confint(m)),
  ci(list(full = TRUE), confint(m, full = TRUE))))

dir.create(dirname(out), showWarnings = FALSE, recursive = TRUE)
writeLines(toJSON(list(glmmTMB = as.character(packageVersion("glmmTMB")), cases = cases), auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), out)
