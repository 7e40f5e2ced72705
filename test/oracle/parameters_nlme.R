#!/usr/bin/env Rscript
# parameters 0.20.2's model_parameters() of nlme fits (lme, gls), for test/parametersNlme.test.ts: lme's
# fixed effects with nlme's containment df (summary's tTable), the random rows (SDs, correlations, the
# residual SD; parameters gives them no SE or interval for lme), gls's with the residual df n − p; ci_method
# wald / normal / residual / ml1 / betwithin, ci, exponentiate, effects; the printouts; and what parameters refuses.
# nlme's default settings (our lme and gls reach nlme's optimum: test/nlme.test.ts).
# Usage (from the repository root):
#   Rscript test/oracle/parameters_nlme.R test/fixtures/data test/fixtures/parameters_tmb/parameters_nlme.json
# Needs: nlme, parameters 0.20.2, jsonlite.
suppressMessages({ library(nlme); library(parameters); library(jsonlite) })
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(here, "parameters_common.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
orth <- read.csv(file.path(dataDir, "Orthodont.csv"), stringsAsFactors = TRUE)

specs <- list(
  ri = list(kind = "lme", fixed = "distance ~ age + Sex", random = "~ 1 | Subject", method = "REML"),
  rs = list(kind = "lme", fixed = "distance ~ age + Sex", random = "~ age | Subject", method = "REML"),
  riml = list(kind = "lme", fixed = "distance ~ age + Sex", random = "~ 1 | Subject", method = "ML"),
  cs = list(kind = "gls", model = "distance ~ age + Sex", correlation = "corCompSymm(form = ~ 1 | Subject)", method = "REML")
)
# each call written out (insight re-evaluates the fit's call to find its formulas)
fits <- lapply(specs, function(s) eval(if (s$kind == "lme") bquote(lme(.(as.formula(s$fixed)), random = .(as.formula(s$random)), data = orth, method = .(s$method)))
  else bquote(gls(.(as.formula(s$model)), correlation = .(parse(text = s$correlation)[[1]]), data = orth, method = .(s$method)))))

cases <- list()
add <- function(name, model, ...) cases[[length(cases) + 1]] <<- mp_case(name, model, fits[[model]], ...)
add("ri_default", "ri")
add("ri_all", "ri", effects = "all")
add("ri_random", "ri", effects = "random")
add("ri_normal", "ri", ci_method = "normal")
add("ri_residual", "ri", ci_method = "residual")
add("ri_ci90_exp", "ri", ci = 0.9, exponentiate = TRUE)
add("ri_ml1", "ri", ci_method = "ml1")
add("ri_betwithin", "ri", ci_method = "betwithin", effects = "fixed")
add("rs_all", "rs", effects = "all")
add("rs_betwithin", "rs", ci_method = "betwithin", effects = "fixed")
add("riml_all", "riml", effects = "all")
add("cs_default", "cs")
add("cs_normal", "cs", ci_method = "normal")
add("cs_residual", "cs", ci_method = "residual")
add("cs_ci90", "cs", ci = 0.9)
add("cs_exp", "cs", exponentiate = TRUE)

refusal <- function(model, m) {
  w <- character(0)
  e <- tryCatch(withCallingHandlers({ model_parameters(fits[[model]], ci_method = m); "none" },
    warning = function(x) { w <<- c(w, conditionMessage(x)); invokeRestart("muffleWarning") }), error = function(x) conditionMessage(x))
  list(model = model, ci_method = m, error = e, warnings = w)
}
refusals <- c(lapply(c("kenward", "profile", "boot"), function(m) refusal("ri", m)),
  lapply(c("satterthwaite", "kenward", "ml1", "betwithin", "profile"), function(m) refusal("cs", m)))

write(toJSON(list(versions = list(parameters = as.character(packageVersion("parameters")), insight = as.character(packageVersion("insight")), nlme = as.character(packageVersion("nlme"))),
  models = lapply(names(specs), function(k) c(list(name = k, data = "Orthodont"), specs[[k]], list(beta = unname(if (specs[[k]]$kind == "lme") fixef(fits[[k]]) else coef(fits[[k]]))))),
  model_parameters = cases, refusals = refusals), auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = FALSE), out)
