#!/usr/bin/env Rscript
# emmeans 1.8.4 on glmmTMB 1.1.5's fits, for test/zeroinflEmmeans.test.ts (src/zeroinfl/emmBasis.ts,
# src/zeroinfl/emmeans.ts): glmmTMB's own emm_basis.glmmTMB and recover_data.glmmTMB, by `component`:
#   cond  the conditional model on its link's scale (type = "response" back-transforms: log or logit),
#   zi    the zero-inflation (hurdle: zero) model on the logit scale,
#   disp  the dispersion model on the log scale (glmmTMB 1.1.5's vcov has a disp block only where the
#         dispformula is not ~ 1: emmeans stops otherwise);
# glmmTMB 1.1.5 has no "response" or "cmean" component (emmeans stops with "argument is not a valid
# model"); its df are df.residual(fit) = nobs - (number of parameters) for every family (emm_basis.glmmTMB
# sets dffun to that last, over its Inf for non-gaussian families).
# Models: Salamanders (test/fixtures/data/salamanders.csv, written by test/oracle/zeroinfl.R) ZIP
# count ~ mined + spp + (1 | site), ziformula ~ mined; a hurdle NB2 with dispformula ~ mined; a beta
# GLMM yb ~ x + f + (1 | g) of test/fixtures/data/tmbfamilies.csv (written by test/oracle/tmbfamilies.R);
# a zero-inflated NB1 count ~ mined + cover + (1 | site), ziformula ~ cover (a covariate at `at` values;
# the zero model's mean at the covariate's mean, and at `at` values); a gaussian yg ~ x + f + (1 | g) with dispformula ~ f (the identity link: no
# back-transformation; the dispersion model's log sigma^2); a ZIP with an offset log(w) (the grid's offset,
# and a constant one).
# For each model: glmmTMB's parameters fit$fit$par and vcov(fit, full = TRUE) (the tests compute the
# means at those) and the same at its tight optimum (below), and for each case, of both fits, the summary table (both intervals and tests for contrasts), the
# notes and the printout.
# Usage (from the repository root): Rscript test/oracle/zeroinfl_emmeans.R
suppressPackageStartupMessages({ library(glmmTMB); library(emmeans); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
out <- file.path(root, "test/fixtures/zeroinfl_emmeans")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
sal <- read.csv(file.path(root, "test/fixtures/data/salamanders.csv"), stringsAsFactors = TRUE)
# an exposure for the offset case: w = 1 + (row number mod 3) (the test adds the same column)
sal$w <- 1 + seq_len(nrow(sal)) %% 3
tmb <- read.csv(file.path(root, "test/fixtures/data/tmbfamilies.csv"), stringsAsFactors = TRUE)

models <- list(
  zip = list(data = "salamanders", formula = "count ~ mined + spp + (1 | site)", ziformula = "~ mined", dispformula = "~ 1", family = "poisson"),
  hurdle_nb2 = list(data = "salamanders", formula = "count ~ mined + spp + (1 | site)", ziformula = "~ mined", dispformula = "~ mined", family = "truncated_nbinom2"),
  beta = list(data = "tmbfamilies", formula = "yb ~ x + f + (1 | g)", ziformula = "~ 0", dispformula = "~ 1", family = "beta_family"),
  zinb1 = list(data = "salamanders", formula = "count ~ mined + cover + (1 | site)", ziformula = "~ cover", dispformula = "~ 1", family = "nbinom1"),
  zip_offset = list(data = "salamanders", formula = "count ~ mined + offset(log(w)) + (1 | site)", ziformula = "~ 1", dispformula = "~ 1", family = "poisson"),
  gaussian_disp = list(data = "tmbfamilies", formula = "yg ~ x + f + (1 | g)", ziformula = "~ 0", dispformula = "~ f", family = "gaussian")
)
famOf <- function(name) switch(name, poisson = poisson(), truncated_nbinom2 = truncated_nbinom2(), beta_family = beta_family(), nbinom1 = nbinom1(), gaussian = gaussian())
fits <- lapply(models, function(m) {
  d <- if (m$data == "salamanders") sal else tmb
  glmmTMB(as.formula(m$formula), ziformula = as.formula(m$ziformula), dispformula = as.formula(m$dispformula), family = famOf(m$family), data = d)
})

# each fit at its tight optimum, the one our fit reaches (as test/oracle/zeroinfl.R finds it): Newton
# steps on TMB's exact gradient from glmmTMB's optimum to max|gradient| < 1e-10 (glmmTMB's nlminb stops
# at "relative convergence" with a gradient of up to ~5e-5, which moves the means by ~1e-5), the fit's
# parameters replaced by those and its sdreport (vcov) recomputed there
source(file.path(here, "tmb_common.R"))
tightFit <- function(fit) tmbTightFit(fit, reset = TRUE)
tightFits <- lapply(fits, tightFit)

tab <- function(s) {
  df <- as.data.frame(s)
  for (nm in names(df)) if (is.factor(df[[nm]])) df[[nm]] <- as.character(df[[nm]])
  list(columns = names(df), rows = unname(lapply(seq_len(nrow(df)), function(i) unname(as.list(df[i, ])))), mesg = as.character(attr(s, "mesg")))
}
both <- function(x, ...) summary(x, infer = c(TRUE, TRUE), ...)
printed <- function(x) paste(capture.output(print(x)), collapse = "\n")

# a case: emmeans(fit, specs, component, ...) and its contrasts
# (of glmmTMB's fit, and of the tight one)
case <- function(name, model, specs, component, ..., contrasts = list()) {
  results <- function(fit) {
    e <- suppressWarnings(suppressMessages(emmeans(fit, as.formula(specs), component = component, ...)))
    list(emm = tab(summary(e)), printed = printed(e),
         contrasts = lapply(contrasts, function(cc) {
           r <- suppressWarnings(do.call(contrast, c(list(e), cc)))
           list(args = cc, result = tab(both(r)), printed = printed(r))
         }))
  }
  c(list(name = name, model = model, specs = specs, component = component, options = list(...)),
    results(fits[[model]]), list(tight = results(tightFits[[model]])))
}

cases <- list(
  case("zip_cond", "zip", "~ mined", "cond", contrasts = list(list(method = "pairwise"))),
  case("zip_cond_response", "zip", "~ mined", "cond", type = "response", contrasts = list(list(method = "pairwise"))),
  case("zip_cond_spp_tukey", "zip", "~ spp", "cond", type = "response", contrasts = list(list(method = "pairwise"), list(method = "trt.vs.ctrl"))),
  case("zip_cond_by", "zip", "~ mined | spp", "cond", type = "response", contrasts = list(list(method = "pairwise"))),
  case("zip_cond_proportional", "zip", "~ mined", "cond", weights = "proportional"),
  case("zip_zi", "zip", "~ mined", "zi", contrasts = list(list(method = "pairwise"))),
  case("zip_zi_response", "zip", "~ mined", "zi", type = "response", contrasts = list(list(method = "pairwise"))),
  case("hurdle_cond_response", "hurdle_nb2", "~ spp", "cond", type = "response", contrasts = list(list(method = "pairwise", adjust = "holm"))),
  case("hurdle_zi_response", "hurdle_nb2", "~ mined", "zi", type = "response", contrasts = list(list(method = "pairwise"))),
  case("hurdle_disp", "hurdle_nb2", "~ mined", "disp", contrasts = list(list(method = "pairwise"))),
  case("hurdle_disp_response", "hurdle_nb2", "~ mined", "disp", type = "response"),
  case("beta_f_response", "beta", "~ f", "cond", type = "response", contrasts = list(list(method = "pairwise"))),
  case("beta_x_at", "beta", "~ x", "cond", at = list(x = c(-1, 1)), contrasts = list(list(method = "pairwise"))),
  case("beta_overall", "beta", "~ 1", "cond", type = "response"),
  case("zinb1_cond_response", "zinb1", "~ mined", "cond", type = "response", contrasts = list(list(method = "pairwise"))),
  case("zinb1_cover_at", "zinb1", "~ cover | mined", "cond", at = list(cover = c(-1, 0, 1)), contrasts = list(list(method = "poly"))),
  case("zinb1_zi_overall", "zinb1", "~ 1", "zi", type = "response"),
  case("zinb1_zi_cover_at", "zinb1", "~ cover", "zi", type = "response", at = list(cover = c(-1, 1)), contrasts = list(list(method = "pairwise"))),
  # emmeans's ref_grid adds the offset at the grid's values (w at its mean), or a constant `offset`
  case("offset_grid", "zip_offset", "~ mined", "cond", type = "response", contrasts = list(list(method = "pairwise"))),
  case("offset_zero", "zip_offset", "~ mined", "cond", offset = 0),
  case("gaussian_cond", "gaussian_disp", "~ f", "cond", type = "response", contrasts = list(list(method = "pairwise"))),
  case("gaussian_disp", "gaussian_disp", "~ f", "disp", contrasts = list(list(method = "trt.vs.ctrl"))),
  case("gaussian_disp_response", "gaussian_disp", "~ f", "disp", type = "response", contrasts = list(list(method = "pairwise")))
)

paramsOf <- function(f) {
  V <- vcov(f, full = TRUE)
  list(par = unname(f$fit$par), names = colnames(V), vcov = unname(c(t(V))), df_residual = df.residual(f), objective = f$fit$objective)
}
params <- lapply(fits, paramsOf)
tightParams <- lapply(tightFits, paramsOf)
# what glmmTMB 1.1.5 refuses: disp of a dispformula ~ 1 and the response/cmean components
refused <- list(
  zip_disp = inherits(try(emmeans(fits$zip, ~ mined, component = "disp"), silent = TRUE), "try-error"),
  beta_disp = inherits(try(emmeans(fits$beta, ~ f, component = "disp"), silent = TRUE), "try-error"),
  zip_response = inherits(try(emmeans(fits$zip, ~ mined, component = "response"), silent = TRUE), "try-error")
)
ref <- list(
  versions = list(emmeans = as.character(packageVersion("emmeans")), glmmTMB = as.character(packageVersion("glmmTMB")), R = R.version.string),
  models = models, params = params, tightParams = tightParams, refused = refused, cases = cases)
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = FALSE), file.path(out, "zeroinfl_emmeans.json"))
for (cs in cases) { cat("==", cs$name, "\n"); cat(cs$printed, "\n"); cat(cs$tight$printed, "\n") }
print(refused)
