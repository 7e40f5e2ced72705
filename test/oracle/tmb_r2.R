#!/usr/bin/env Rscript
# performance 0.10.2's r2_nakagawa (r2), icc and model_performance of glmmTMB 1.1.5 fits, with insight 0.19.0's
# get_variance, for test/tmbR2.test.ts (src/zeroinfl/r2.ts). Each model is fitted by glmmTMB and moved to its
# tight optimum (tmb_common.R's tmbTightFit: Newton steps on TMB's gradient to max|gradient| < 1e-10, the one
# our fit reaches); insight's null model (update(fit, count ~ (1 | site)): zi and dispersion formulas kept) is
# moved to its tight optimum likewise (insight's null_model wrapped in this session), so that both fits are
# the optima our library reaches rather than where glmmTMB's nlminb stopped.
# Recorded per model: r2(), icc(), icc(by_group = TRUE), get_variance()'s components, model_performance()'s
# columns, the warnings and printed notes, the null model's intercept, and the tight fit's parameters.
# Usage (from the repository root): Rscript test/oracle/tmb_r2.R
suppressPackageStartupMessages({ library(glmmTMB); library(performance); library(insight); library(jsonlite) })
root <- getwd()
out <- file.path(root, "test/fixtures/tmb_r2")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
source(file.path(root, "test", "oracle", "tmb_common.R"))
rd <- function(f) read.csv(file.path(root, "test/fixtures/data", f), stringsAsFactors = TRUE)
data <- list(salamanders = rd("salamanders.csv"), tmbfamilies = rd("tmbfamilies.csv"), tmbfamilies2 = rd("tmbfamilies2.csv"), binomial_interaction = rd("binomial_interaction.csv"))
M <- function(data, formula, family, ziformula = "~ 0", dispformula = "~ 1") list(data = data, formula = formula, ziformula = ziformula, dispformula = dispformula, family = family)
models <- list(
  pois = M("salamanders", "count ~ mined + spp + (1 | site)", "poisson"),
  nb2 = M("salamanders", "count ~ mined + spp + (1 | site)", "nbinom2"),
  nb1 = M("salamanders", "count ~ mined + cover + (1 | site)", "nbinom1"),
  genpois = M("salamanders", "count ~ mined + cover + (1 | site)", "genpois"),
  zip = M("salamanders", "count ~ mined + (1 | site)", "poisson", "~ mined"),
  zip_re = M("salamanders", "count ~ mined + (1 | site)", "poisson", "~ mined + (1 | site)"),
  zinb2 = M("salamanders", "count ~ mined + cover + (1 | site)", "nbinom2", "~ mined"),
  zinb1 = M("salamanders", "count ~ mined + cover + (1 | site)", "nbinom1", "~ mined"),
  hurdle_pois = M("salamanders", "count ~ mined + cover + (1 | site)", "truncated_poisson", "~ mined"),
  hurdle_nb2 = M("salamanders", "count ~ mined + cover + (1 | site)", "truncated_nbinom2", "~ cover"),
  hurdle_nb1 = M("salamanders", "count ~ mined + cover + (1 | site)", "truncated_nbinom1", "~ cover"),
  beta = M("tmbfamilies", "yb ~ x + f + (1 | g)", "beta_family"),
  beta_slope = M("tmbfamilies", "yb ~ x + (1 + x | g)", "beta_family"),
  gaussian = M("tmbfamilies", "yg ~ x + f + (1 | g)", "gaussian"),
  gaussian_disp = M("tmbfamilies", "yg ~ x + f + (1 | g)", "gaussian", dispformula = "~ f"),
  gamma = M("tmbfamilies2", "yga ~ x + f + (1 | g)", "Gamma"),
  tweedie = M("tmbfamilies2", "ytw ~ x + (1 | g)", "tweedie"),
  binomial = M("binomial_interaction", "y ~ x1 + f + (1 | g)", "binomial"),
  binom_cbind = M("tmbfamilies2", "cbind(s, fl) ~ x + (1 | g)", "binomial")
)
famOf <- function(name) switch(name, poisson = poisson(), nbinom2 = nbinom2(), nbinom1 = nbinom1(), truncated_poisson = truncated_poisson(),
  truncated_nbinom2 = truncated_nbinom2(), truncated_nbinom1 = truncated_nbinom1(), genpois = genpois(), beta_family = beta_family(),
  gaussian = gaussian(), Gamma = Gamma(link = "log"), binomial = binomial(), tweedie = tweedie())

# insight's null model at its tight optimum
origNull <- insight::null_model
nullFits <- list()
assignInNamespace("null_model", function(model, verbose = TRUE, ...) {
  nm <- origNull(model, verbose = verbose, ...)
  if (inherits(nm, "glmmTMB")) nm <- tryCatch(tmbTightFit(nm), error = function(e) nm)
  nullFits[[length(nullFits) + 1]] <<- nm
  nm
}, "insight")

# a call's value with its warnings and printed notes (print_color writes to stdout)
capture <- function(expr) {
  msgs <- character(0)
  printed <- character(0)
  value <- NULL
  printed <- capture.output(value <- withCallingHandlers(expr,
    warning = function(w) { msgs <<- c(msgs, conditionMessage(w)); invokeRestart("muffleWarning") },
    message = function(m) { msgs <<- c(msgs, conditionMessage(m)); invokeRestart("muffleMessage") }))
  list(value = value, warnings = gsub("\\s+", " ", msgs), printed = printed)
}
num <- function(v) if (is.null(v)) NULL else unname(as.numeric(v))

cases <- list()
for (nm in names(models)) {
  m <- models[[nm]]
  fit <- glmmTMB(as.formula(m$formula), ziformula = as.formula(m$ziformula), dispformula = as.formula(m$dispformula), family = famOf(m$family), data = data[[m$data]])
  # (hurdle_nb1's SD runs to 0 and its Hessian is singular: glmmTMB's own optimum is kept, only its refusal is compared)
  tight <- tryCatch(tmbTightFit(fit), error = function(e) fit)
  nullFits <- list()
  r2c <- capture(r2(tight))
  nullIntercept <- if (length(nullFits)) unname(fixef(nullFits[[1]])$cond[1]) else NULL
  iccc <- capture(icc(tight))
  iccg <- capture(icc(tight, by_group = TRUE))
  gv <- capture(get_variance(tight))
  mp <- capture(model_performance(tight))
  r2v <- r2c$value
  iv <- iccc$value
  ig <- iccg$value
  cases[[nm]] <- list(
    name = nm, model = m,
    par = unname(tight$fit$par), objective = tight$fit$objective, sigma = sigma(tight),
    null_intercept = nullIntercept,
    r2 = if (is.list(r2v)) list(conditional = num(r2v$R2_conditional), marginal = num(r2v$R2_marginal)) else NULL,
    r2_warnings = r2c$warnings, r2_printed = r2c$printed,
    icc = if (is.data.frame(iv)) list(adjusted = num(iv$ICC_adjusted), unadjusted = num(iv$ICC_unadjusted)) else NULL,
    icc_warnings = iccc$warnings, icc_printed = iccc$printed,
    icc_by_group = if (is.data.frame(ig)) list(group = as.character(ig$Group), ICC = num(ig$ICC)) else NULL,
    icc_by_group_warnings = iccg$warnings,
    variance = if (is.list(gv$value)) lapply(gv$value[c("var.fixed", "var.random", "var.residual", "var.distribution", "var.dispersion")], num) else NULL,
    performance = lapply(as.list(as.data.frame(mp$value)), num),
    performance_warnings = mp$warnings, performance_printed = mp$printed
  )
  cat("==", nm, "\n"); str(cases[[nm]][c("null_intercept", "r2", "icc", "r2_warnings", "performance", "performance_printed")])
}
ref <- list(
  versions = list(performance = as.character(packageVersion("performance")), insight = as.character(packageVersion("insight")), glmmTMB = as.character(packageVersion("glmmTMB")), R = R.version.string),
  cases = cases)
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = FALSE), file.path(out, "tmb_r2.json"))
