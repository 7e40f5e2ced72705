#!/usr/bin/env Rscript
# emmeans 1.8.4's emtrends and joint_tests on glmmTMB 1.1.5's fits, for test/zeroinflEmtrends.test.ts
# (src/zeroinfl/emmeans.ts), by `component` (glmmTMB's emm_basis.glmmTMB: cond on its link's scale, zi
# on the logit scale, disp on the log scale; df = df.residual(fit)):
#   emtrends(fit, specs, var, component): the forward difference of the component's linear predictor,
#     delta.var = 0.001 * diff(range(x)) over the fit's rows;
#   joint_tests(fit, by, component): the F test of each term from the component's means.
# Models: Salamanders (test/fixtures/data/salamanders.csv) ZINB1 count ~ mined + cover + (1 | site),
# ziformula ~ cover; a ZIP with an interaction count ~ mined * cover + spp + (1 | site), ziformula
# ~ mined; a hurdle NB2 with dispformula ~ mined; a beta GLMM yb ~ x + f + (1 | g) and a gaussian
# yg ~ x + f + (1 | g) with dispformula ~ f (test/fixtures/data/tmbfamilies.csv).
# For each model: glmmTMB's parameters and vcov(fit, full = TRUE) (the tests compute at those), the same
# at its tight optimum (Newton steps on TMB's gradient to max|gradient| < 1e-10, the optimum our fit
# reaches; as test/oracle/zeroinfl_emmeans.R), and each case's table, notes and printout at both.
# Usage (from the repository root): Rscript test/oracle/zeroinfl_emtrends.R
suppressPackageStartupMessages({ library(glmmTMB); library(emmeans); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
out <- file.path(root, "test/fixtures/zeroinfl_emtrends")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
sal <- read.csv(file.path(root, "test/fixtures/data/salamanders.csv"), stringsAsFactors = TRUE)
tmb <- read.csv(file.path(root, "test/fixtures/data/tmbfamilies.csv"), stringsAsFactors = TRUE)

models <- list(
  zinb1 = list(data = "salamanders", formula = "count ~ mined + cover + (1 | site)", ziformula = "~ cover", dispformula = "~ 1", family = "nbinom1"),
  zip_int = list(data = "salamanders", formula = "count ~ mined * cover + spp + (1 | site)", ziformula = "~ mined", dispformula = "~ 1", family = "poisson"),
  hurdle_nb2 = list(data = "salamanders", formula = "count ~ mined + spp + (1 | site)", ziformula = "~ mined", dispformula = "~ mined", family = "truncated_nbinom2"),
  beta = list(data = "tmbfamilies", formula = "yb ~ x + f + (1 | g)", ziformula = "~ 0", dispformula = "~ 1", family = "beta_family"),
  gaussian_disp = list(data = "tmbfamilies", formula = "yg ~ x + f + (1 | g)", ziformula = "~ 0", dispformula = "~ f", family = "gaussian")
)
famOf <- function(name) switch(name, poisson = poisson(), truncated_nbinom2 = truncated_nbinom2(), beta_family = beta_family(), nbinom1 = nbinom1(), gaussian = gaussian())
fits <- lapply(models, function(m) {
  d <- if (m$data == "salamanders") sal else tmb
  glmmTMB(as.formula(m$formula), ziformula = as.formula(m$ziformula), dispformula = as.formula(m$dispformula), family = famOf(m$family), data = d)
})
source(file.path(here, "tmb_common.R"))
tightFit <- function(fit) tmbTightFit(fit, reset = TRUE)
tightFits <- lapply(fits, tightFit)

tab <- function(s) {
  df <- as.data.frame(s)
  for (nm in names(df)) if (is.factor(df[[nm]])) df[[nm]] <- as.character(df[[nm]])
  list(columns = names(df), rows = unname(lapply(seq_len(nrow(df)), function(i) unname(as.list(df[i, ])))), mesg = as.character(attr(s, "mesg")))
}
printed <- function(x) capture.output(print(x))

trend <- function(name, model, specs, var, component, ..., contrasts = list()) {
  results <- function(fit) {
    e <- suppressWarnings(suppressMessages(emtrends(fit, as.formula(specs), var = var, component = component, ...)))
    list(emm = tab(summary(e)), printed = printed(e),
         contrasts = lapply(contrasts, function(cc) {
           r <- suppressWarnings(do.call(contrast, c(list(e), cc)))
           list(args = cc, result = tab(summary(r, infer = c(TRUE, TRUE))), printed = printed(r))
         }))
  }
  c(list(name = name, kind = "emtrends", model = model, specs = specs, var = var, component = component, options = list(...)),
    results(fits[[model]]), list(tight = results(tightFits[[model]])))
}
joint <- function(name, model, component, by = NULL) {
  results <- function(fit) {
    j <- suppressWarnings(suppressMessages(joint_tests(fit, by = by, component = component)))
    df <- as.data.frame(j)
    for (nm in names(df)) if (is.factor(df[[nm]])) df[[nm]] <- as.character(df[[nm]])
    list(table = list(columns = names(df), rows = unname(lapply(seq_len(nrow(df)), function(i) unname(as.list(df[i, ]))))), printed = printed(j))
  }
  c(list(name = name, kind = "joint_tests", model = model, component = component, by = by),
    results(fits[[model]]), list(tight = results(tightFits[[model]])))
}

cases <- list(
  trend("zinb1_cond_cover", "zinb1", "~ mined", "cover", "cond", contrasts = list(list(method = "pairwise"))),
  trend("zinb1_zi_cover", "zinb1", "~ 1", "cover", "zi"),
  trend("zip_int_cond_by", "zip_int", "~ mined", "cover", "cond", contrasts = list(list(method = "pairwise"))),
  trend("zip_int_cond_spp_by_mined", "zip_int", "~ spp | mined", "cover", "cond", contrasts = list(list(method = "pairwise"))),
  trend("beta_x", "beta", "~ f", "x", "cond", contrasts = list(list(method = "trt.vs.ctrl"))),
  trend("gaussian_x", "gaussian_disp", "~ 1", "x", "cond"),
  joint("zip_int_cond", "zip_int", "cond"),
  joint("zip_int_cond_by", "zip_int", "cond", by = "mined"),
  joint("zip_int_zi", "zip_int", "zi"),
  joint("zinb1_zi", "zinb1", "zi"),
  joint("hurdle_disp", "hurdle_nb2", "disp"),
  joint("gaussian_cond", "gaussian_disp", "cond"),
  joint("gaussian_disp", "gaussian_disp", "disp")
)
paramsOf <- function(f) {
  V <- vcov(f, full = TRUE)
  list(par = unname(f$fit$par), names = colnames(V), vcov = unname(c(t(V))), df_residual = df.residual(f), objective = f$fit$objective)
}
ref <- list(
  versions = list(emmeans = as.character(packageVersion("emmeans")), glmmTMB = as.character(packageVersion("glmmTMB")), R = R.version.string),
  models = models, params = lapply(fits, paramsOf), tightParams = lapply(tightFits, paramsOf), cases = cases)
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = FALSE), file.path(out, "zeroinfl_emtrends.json"))
for (cs in cases) { cat("==", cs$name, "\n"); cat(cs$printed, sep = "\n"); for (k in cs$contrasts) cat(k$printed, sep = "\n") }
