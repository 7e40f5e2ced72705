#!/usr/bin/env Rscript
# parameters 0.20.2's model_parameters() of glmmTMB 1.1.5 fits, for test/parametersTmb.test.ts: the
# columns (Parameter, Coefficient, SE, CI, CI_low, CI_high, z, df_error, p, Effects, Group, Component),
# the components (conditional, zero_inflated, dispersion), the random rows' SDs and correlations with
# glmmTMB's Wald intervals (confint: on the log-SD scale, mapped back), exponentiate, ci, component,
# effects, ci_method wald / normal / betwithin, the printouts, and the ci_method values parameters
# refuses for a glmmTMB fit (with its message).
# Each fit is moved to its tight optimum (tmb_common.R's tmbTightFit: the optimum our fit reaches).
# Usage (from the repository root):
#   Rscript test/oracle/parameters_tmb.R test/fixtures/data test/fixtures/parameters_tmb/parameters_tmb.json
# Needs: glmmTMB 1.1.5, parameters 0.20.2, jsonlite.
suppressMessages({ library(glmmTMB); library(parameters); library(jsonlite) })
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(here, "tmb_common.R"))
source(file.path(here, "parameters_common.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
rd <- function(f) read.csv(file.path(dataDir, f), stringsAsFactors = TRUE)
tight <- glmmTMBControl(optCtrl = list(iter.max = 1e4, eval.max = 1e4, rel.tol = 1e-14))
sal <- rd("salamanders.csv")
sleep <- rd("sleepstudy.csv"); sleep$Subject <- factor(sleep$Subject)

specs <- list(
  # zero-inflated Poisson: conditional and zero_inflated components, one random intercept
  zip = list(formula = "count ~ mined + (1 | site)", ziformula = "~ mined", dispformula = "~ 1", family = "poisson", data = "salamanders"),
  # the zero model with its own random intercept: random rows of both components
  zizi = list(formula = "count ~ mined + (1 | site)", ziformula = "~ mined + (1 | site)", dispformula = "~ 1", family = "poisson", data = "salamanders"),
  # NB2 with a dispersion model: the dispersion component's log-scale coefficients
  nbdisp = list(formula = "count ~ mined + (1 | site)", ziformula = "~ 0", dispformula = "~ mined", family = "nbinom2", data = "salamanders"),
  # NB2, dispformula ~ 1: the dispersion row is the size, with glmmTMB's interval of sigma
  nb = list(formula = "count ~ mined + (1 | site)", ziformula = "~ 0", dispformula = "~ 1", family = "nbinom2", data = "salamanders"),
  # gaussian with a dispersion model: the dispersion rows, and the residual SD's row with no value
  gaussdisp = list(formula = "count ~ mined + (1 | site)", ziformula = "~ 0", dispformula = "~ mined", family = "gaussian", data = "salamanders"),
  # gaussian, a random slope: SDs, a correlation and the residual SD, with intervals
  gauss = list(formula = "Reaction ~ Days + (Days | Subject)", ziformula = "~ 0", dispformula = "~ 1", family = "gaussian", data = "sleepstudy")
)
datasets <- list(salamanders = sal, sleepstudy = sleep)
fits <- lapply(specs, function(s) tmbTightFit(glmmTMB(as.formula(s$formula), ziformula = as.formula(s$ziformula), dispformula = as.formula(s$dispformula),
  family = get(s$family), data = datasets[[s$data]], control = tight)))

cases <- list()
add <- function(name, model, ...) cases[[length(cases) + 1]] <<- mp_case(name, model, fits[[model]], ...)
add("zip_default", "zip")
add("zip_fixed", "zip", effects = "fixed")
add("zip_random", "zip", effects = "random")
add("zip_exp", "zip", exponentiate = TRUE)
add("zip_zi", "zip", component = "zi")
add("zip_cond", "zip", component = "conditional")
add("zip_ci90", "zip", ci = 0.9, effects = "fixed")
add("zip_normal", "zip", ci_method = "normal")
add("zip_betwithin", "zip", ci_method = "betwithin")
add("zizi_all", "zizi")
add("zizi_random", "zizi", effects = "random")
add("zizi_fixed_ci90", "zizi", effects = "fixed", ci = 0.9)
add("nbdisp_all", "nbdisp")
add("nbdisp_exp", "nbdisp", exponentiate = TRUE)
add("nbdisp_dispersion", "nbdisp", component = "dispersion")
add("nb_all", "nb")
add("nb_fixed", "nb", effects = "fixed")
add("gaussdisp_all", "gaussdisp")
add("gauss_all", "gauss")
add("gauss_random_ci90", "gauss", effects = "random", ci = 0.9)

# what parameters refuses for a glmmTMB fit: its error, or its warning where it falls back to Wald
refusals <- lapply(c("residual", "ml1", "uniroot", "satterthwaite", "kenward", "boot"), function(m) {
  w <- character(0)
  e <- tryCatch(withCallingHandlers({ model_parameters(fits$zip, ci_method = m); "none" },
    warning = function(x) { w <<- c(w, conditionMessage(x)); invokeRestart("muffleWarning") }), error = function(x) conditionMessage(x))
  list(ci_method = m, error = e, warnings = w)
})

write(toJSON(list(versions = list(parameters = as.character(packageVersion("parameters")), insight = as.character(packageVersion("insight")), glmmTMB = as.character(packageVersion("glmmTMB"))),
  models = lapply(names(specs), function(k) c(list(name = k), specs[[k]], list(par = unname(fits[[k]]$fit$par)))),
  model_parameters = cases, refusals = refusals), auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = FALSE), out)
