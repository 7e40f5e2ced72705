#!/usr/bin/env Rscript
# parameters 0.20.2's model_parameters() and standardize_parameters() (effectsize 0.8.3 re-exports it)
# of lmer and glmer fits, for test/parameters.test.ts: every ci_method that 0.20.2 computes for the
# fit (lmer: wald, normal, residual, satterthwaite, kenward, ml1, betwithin, profile; glmer: wald,
# normal, residual, ml1, betwithin, profile), effects "fixed" and "all" (the random rows' SD/Cor names
# and groups; merDeriv is not installed, so R gives no interval for them but with ci_method profile),
# exponentiate, ci = 0.9, the printouts; standardize_parameters with method refit, posthoc, smart,
# basic and pseudo, and the refusals (satterthwaite and kenward of a glmer fit).
# lmer fits use lme4's tight optimizer settings; each glmer fit is moved to the exact Laplace
# deviance's optimum (exact_laplace.R; as test/oracle/ggeffects.R), the optimum our glmer reaches: its
# beta slot and the Hessian vcov reads. A glmer refit on standardized data is moved there too (and
# checked against effectsize's own refit, lme4's optimum, at 1e-3).
# Usage (from the repository root):
#   Rscript test/oracle/parameters.R test/fixtures/data test/fixtures/parameters
suppressMessages({ library(lme4); library(parameters); library(effectsize); library(jsonlite) })
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "exact_laplace.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
tight <- lmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
gtight <- glmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))

sleep <- read.csv(file.path(dataDir, "sleepstudy.csv")); sleep$Days <- as.numeric(sleep$Days); sleep$Subject <- factor(sleep$Subject)
fx <- read.csv(file.path(out, "factor_covariate.csv")); fx$f <- factor(fx$f); fx$h <- factor(fx$h); fx$g <- factor(fx$g)
twof <- read.csv(file.path(dataDir, "broom_two_factors.csv")); twof$g <- factor(twof$g); twof$h <- factor(twof$h)
cbpp <- read.csv(file.path(dataDir, "cbpp.csv")); cbpp$period <- factor(cbpp$period); cbpp$herd <- factor(cbpp$herd)
grouse <- read.csv(file.path(dataDir, "grouseticks.csv")); grouse$YEAR <- factor(grouse$YEAR); grouse$BROOD <- factor(grouse$BROOD)

exact_fit <- function(m) {
  dev <- update(m, devFunOnly = TRUE)
  exact <- exact_devfun(dev)
  ex <- exact_optimum(exact, getME(m, "theta"), fixef(m), getME(m, "lower"))
  der <- lme4:::deriv12(exact, c(ex$theta, ex$beta))
  m@beta <- ex$beta
  m@optinfo$derivs$Hessian <- der$Hessian
  exact(c(ex$theta, ex$beta))
  m@pp <- environment(dev)$pp$copy()
  m@u <- m@pp$u(1)
  m@theta <- ex$theta
  stopifnot(max(abs(as.matrix(vcov(m)) - ex$vcov)) < 1e-8 * max(abs(ex$vcov)))
  m
}

models <- list(
  sleep = list(fit = lmer(Reaction ~ Days + (Days | Subject), sleep, control = tight),
               formula = "Reaction ~ Days + (Days | Subject)", data = "data/sleepstudy.csv", factors = list("Subject")),
  # a factor, a covariate and a second factor, one grouping factor (unbalanced: Kenward-Roger's SE differ)
  fx = list(fit = lmer(y ~ f + x + h + (1 | g), fx, control = tight),
            formula = "y ~ f + x + h + (1 | g)", data = "parameters/factor_covariate.csv", factors = list("f", "h", "g")),
  # the same with prior weights (the standardizations' weighted SDs and means)
  fxw = list(fit = lmer(y ~ f + x + h + (1 | g), fx, weights = w, control = tight),
             formula = "y ~ f + x + h + (1 | g)", data = "parameters/factor_covariate.csv", factors = list("f", "h", "g"), weights = "w"),
  # crossed grouping factors, a random slope
  twof = list(fit = lmer(y ~ x + (1 + x | g) + (1 | h), twof, control = tight),
              formula = "y ~ x + (1 + x | g) + (1 | h)", data = "data/broom_two_factors.csv", factors = list("g", "h")),
  cbpp = list(fit = exact_fit(glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial, control = gtight)),
              formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", data = "data/cbpp.csv", factors = list("period", "herd"), family = "binomial"),
  grouse = list(fit = exact_fit(glmer(TICKS ~ YEAR + cHEIGHT + (1 | BROOD), grouse, poisson, control = gtight)),
                formula = "TICKS ~ YEAR + cHEIGHT + (1 | BROOD)", data = "data/grouseticks.csv", factors = list("YEAR", "BROOD"), family = "poisson")
)

# stdout and messages of an expression, apart
capture <- function(expr) {
  msgs <- character(0)
  val <- NULL
  printed <- withCallingHandlers(capture.output(val <- expr), message = function(e) { msgs <<- c(msgs, conditionMessage(e)); invokeRestart("muffleMessage") },
    warning = function(w) { msgs <<- c(msgs, conditionMessage(w)); invokeRestart("muffleWarning") })
  list(value = val, printed = printed, messages = msgs)
}
na <- function(v) if (is.null(v)) NULL else ifelse(is.na(v), NA, v)
rows_of <- function(df) lapply(seq_len(nrow(df)), function(i) lapply(as.list(df[i, , drop = FALSE]), function(v) { v <- if (is.factor(v)) as.character(v) else v; if (is.numeric(v) && is.infinite(v)) "Inf" else v }))

mp_cases <- list()
add_mp <- function(name, model, ...) {
  a <- list(...)
  fit <- models[[model]]$fit
  r <- capture(do.call(model_parameters, c(list(fit), a)))
  p <- capture(print(r$value))
  mp_cases[[length(mp_cases) + 1]] <<- list(name = name, model = model, args = a, columns = names(as.data.frame(r$value)),
    rows = rows_of(as.data.frame(r$value)), printed = p$printed, messages = c(r$messages, p$messages))
}
for (m in c("wald", "normal", "residual", "satterthwaite", "kenward", "ml1", "betwithin")) {
  for (model in c("sleep", "fx", "twof")) add_mp(paste0(model, "_", m), model, ci_method = m, effects = "fixed")
}
for (m in c("wald", "normal", "residual", "ml1", "betwithin")) {
  for (model in c("cbpp", "grouse")) add_mp(paste0(model, "_", m), model, ci_method = m, effects = "fixed")
}
add_mp("fxw_wald", "fxw", effects = "fixed")
add_mp("fxw_ml1", "fxw", ci_method = "ml1", effects = "fixed")
# model_parameters(standardize = ): the refit's table, or the post-hoc scaling of the fixed effects
add_mp("sleep_std_refit", "sleep", standardize = "refit", effects = "fixed")
add_mp("sleep_std_basic", "sleep", standardize = "basic")
add_mp("fx_std_smart", "fx", standardize = "smart", effects = "fixed", ci_method = "satterthwaite")
add_mp("cbpp_std_posthoc", "cbpp", standardize = "posthoc", effects = "fixed")
add_mp("sleep_all", "sleep", effects = "all")
add_mp("sleep_random", "sleep", effects = "random")
add_mp("sleep_default", "sleep")
add_mp("sleep_profile", "sleep", ci_method = "profile", effects = "all")
add_mp("sleep_ci90", "sleep", ci = 0.9, ci_method = "satterthwaite")
add_mp("fx_all", "fx", effects = "all")
add_mp("fx_kenward_all", "fx", ci_method = "kenward", effects = "all")
add_mp("twof_all", "twof", effects = "all")
add_mp("cbpp_all", "cbpp", effects = "all")
# lme4's profile of the exact optimum's fit (its deviance function is lme4's own: our glmer profile is
# compared at 1e-4 of the interval's width, as test/broom.test.ts)
add_mp("cbpp_profile", "cbpp", ci_method = "profile", effects = "all")
add_mp("cbpp_exp", "cbpp", exponentiate = TRUE)
add_mp("grouse_all", "grouse", effects = "all")
add_mp("grouse_exp_ci90", "grouse", exponentiate = TRUE, ci = 0.9)

# refusals: R errors (satterthwaite, kenward for glmer)
refusals <- lapply(c("satterthwaite", "kenward"), function(m) list(model = "cbpp", ci_method = m,
  error = tryCatch({ suppressWarnings(model_parameters(models$cbpp$fit, ci_method = m)); "none" }, error = function(e) conditionMessage(e))))

sp_cases <- list()
add_sp <- function(name, model, method, ...) {
  fit <- models[[model]]$fit
  r <- capture(standardize_parameters(fit, method = method, ...))
  p <- capture(print(r$value))
  entry <- list(name = name, model = model, method = method, args = list(...), std_method = attr(r$value, "std_method"),
    columns = names(as.data.frame(r$value)), rows = rows_of(as.data.frame(r$value)), printed = p$printed, messages = c(r$messages, p$messages))
  if (method == "refit" && !is.null(models[[model]]$family)) {
    # effectsize's refit moved to the exact Laplace optimum: model_parameters of that fit
    # datawizard's refit data: the model frame's numeric columns but the response's, standardized
    d <- insight::get_data(fit, source = "mf", verbose = FALSE)
    keep <- c(insight::find_response(fit, combine = FALSE), insight::find_random(fit, flatten = TRUE))
    for (v in setdiff(names(d), keep)) if (is.numeric(d[[v]])) d[[v]] <- (d[[v]] - mean(d[[v]])) / sd(d[[v]])
    std <- exact_fit(glmer(as.formula(models[[model]]$formula), d, get(models[[model]]$family), control = gtight))
    ex <- as.data.frame(model_parameters(std, effects = "fixed", ...))
    theirs <- as.data.frame(r$value)
    if (!(max(abs(ex$Coefficient - theirs$Std_Coefficient)) < 1e-3 * max(abs(theirs$Std_Coefficient)))) stop("the exact refit is not effectsize's")
    entry$exact_rows <- rows_of(data.frame(Parameter = ex$Parameter, Std_Coefficient = ex$Coefficient, CI = ex$CI, CI_low = ex$CI_low, CI_high = ex$CI_high))
  }
  sp_cases[[length(sp_cases) + 1]] <<- entry
}
for (method in c("refit", "posthoc", "smart", "basic", "pseudo")) {
  for (model in names(models)) add_sp(paste0(model, "_", method), model, method)
}
add_sp("fx_posthoc_ci90", "fx", "posthoc", ci = 0.9)
add_sp("grouse_basic_exp", "grouse", "basic", exponentiate = TRUE)

# the pseudo method's null model (lmer y ~ (1 | g), lme4's default settings) variances, for its tolerance
pseudo_null <- lapply(c("sleep", "fx", "fxw"), function(model) {
  fit <- models[[model]]$fit
  d <- insight::get_data(fit, source = "mf")
  frm <- paste0(insight::find_formula(fit)$conditional[2], " ~ (1|", insight::find_random(fit)$random, ")")
  w0 <- insight::get_weights(fit)
  m0 <- if (is.null(w0)) lmer(as.formula(frm), data = d) else lmer(as.formula(frm), data = d, weights = w0)
  list(model = model, formula = frm, theta = getME(m0, "theta"), sigma = sigma(m0))
})

model_info <- lapply(models, function(m) {
  fit <- m$fit
  list(formula = m$formula, data = m$data, factors = m$factors, family = m$family, weights = m$weights,
       theta = getME(fit, "theta"), beta = fixef(fit), reml = isREML(fit))
})
write(toJSON(list(versions = list(parameters = as.character(packageVersion("parameters")), effectsize = as.character(packageVersion("effectsize")),
  insight = as.character(packageVersion("insight")), datawizard = as.character(packageVersion("datawizard")), lme4 = as.character(packageVersion("lme4"))),
  models = model_info, model_parameters = mp_cases, refusals = refusals, standardize_parameters = sp_cases, pseudo_null = pseudo_null),
  auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = FALSE), file.path(out, "parameters.json"))
