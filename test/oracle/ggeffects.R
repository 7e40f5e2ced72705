#!/usr/bin/env Rscript
# ggeffects 1.2.0's adjusted predictions (ggpredict, ggemmeans) of lmer and glmer fits, for
# test/ggeffects.test.ts: the focal terms' representative values (pretty_range, brackets: values,
# levels, minmax, meansd, quart, n = K), the grid's other covariates at their means, factors at their
# reference level (ggpredict) or averaged (ggemmeans), type "fixed" and "random" (ggeffects 1.2.0 adds
# insight::get_sigma(fit)^2 to the variance: lmer's sigma^2, 1 for binomial and Poisson glmer fits;
# with a grouping factor among the terms, the predictions of its levels with their conditional modes),
# `condition`, the response scale of glmer fits, and ggeffects's printout.
# lmer fits use lme4's tight optimizer settings (the optimum our fit reaches). glmer's own optimum
# belongs to its early-stopping PIRLS (test/oracle/glmer_tight.R), so each glmer fit is moved to the
# exact Laplace deviance's optimum (test/oracle/exact_laplace.R), the fit our glmer reaches: its beta
# slot, the Hessian that vcov.merMod reads and its predictor state (the conditional modes) are replaced
# by the exact optimum's (predict and vcov, all that ggeffects reads of a glmer fit for these
# predictions, then give that fit's numbers). Numeric columns are made double (R's read.csv
# reads whole numbers as integer, which ggeffects holds at their median instead of their mean).
# Writes the simulated data beside the expectations.
# Usage (from the repository root):
#   Rscript test/oracle/ggeffects.R test/fixtures/data test/fixtures/ggeffects
# Needs: lme4, ggeffects 1.2.0 (with insight), emmeans, jsonlite
suppressMessages({ library(lme4); library(ggeffects); library(emmeans); library(jsonlite) })
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "exact_laplace.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
tight <- lmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
gtight <- glmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))

# a factor (3 levels) x covariate interaction, a second factor h and a random intercept
set.seed(20261207)
n <- 240
g <- sample(sprintf("g%02d", 1:20), n, replace = TRUE)
f <- sample(c("a", "b", "c"), n, replace = TRUE, prob = c(0.5, 0.3, 0.2))
h <- sample(c("lo", "hi"), n, replace = TRUE, prob = c(0.7, 0.3))
x <- round(runif(n, 0, 12), 3)
b <- rnorm(20, 0, 1.2)
y <- round(5 + c(a = 0, b = 1.5, c = -1)[f] + (0.3 + c(a = 0, b = 0.2, c = -0.25)[f]) * x + ifelse(h == "hi", 2, 0) +
  b[as.integer(factor(g))] + rnorm(n, 0, 1.5), 4)
w <- as.numeric(sample(1:3, n, replace = TRUE))
fx <- data.frame(y, f, h, x, g, w)
write.csv(fx, file.path(out, "factor_covariate.csv"), row.names = FALSE)
fx$f <- factor(fx$f); fx$h <- factor(fx$h); fx$g <- factor(fx$g)

sleep <- read.csv(file.path(dataDir, "sleepstudy.csv")); sleep$Days <- as.numeric(sleep$Days); sleep$Subject <- factor(sleep$Subject)
cbpp <- read.csv(file.path(dataDir, "cbpp.csv")); cbpp$period <- factor(cbpp$period); cbpp$herd <- factor(cbpp$herd)
grouse <- read.csv(file.path(dataDir, "grouseticks.csv")); grouse$YEAR <- factor(grouse$YEAR); grouse$BROOD <- factor(grouse$BROOD)

models <- list(
  sleep = list(fit = lmer(Reaction ~ Days + (Days | Subject), sleep, control = tight),
               formula = "Reaction ~ Days + (Days | Subject)", data = "sleepstudy", factors = list("Subject")),
  sleeplog = list(fit = lmer(log(Reaction) ~ Days + (Days | Subject), sleep, control = tight),
                  formula = "log(Reaction) ~ Days + (Days | Subject)", data = "sleepstudy", factors = list("Subject")),
  fx = list(fit = lmer(y ~ f * x + h + (1 | g), fx, control = tight),
            formula = "y ~ f * x + h + (1 | g)", data = "factor_covariate", factors = list()),
  # prior weights: ggeffects holds the other covariates at their weighted mean
  fxw = list(fit = lmer(y ~ f * x + h + (1 | g), fx, weights = w, control = tight),
             formula = "y ~ f * x + h + (1 | g)", data = "factor_covariate", factors = list(), weights = "w"),
  cbpp = list(fit = glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial, control = gtight),
              formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", data = "cbpp", factors = list("period", "herd"), family = "binomial"),
  grouse = list(fit = glmer(TICKS ~ YEAR + cHEIGHT + (1 | BROOD), grouse, poisson, control = gtight),
                formula = "TICKS ~ YEAR + cHEIGHT + (1 | BROOD)", data = "grouseticks", factors = list("YEAR", "BROOD"), family = "poisson")
)

models$cbpp$fit <- exact_fit(models$cbpp$fit)
models$grouse$fit <- exact_fit(models$grouse$fit)

cases <- list(
  list(name = "sleep_days", model = "sleep", fun = "ggpredict", terms = list("Days")),
  list(name = "sleep_days_values", model = "sleep", fun = "ggpredict", terms = list("Days [1, 5, 10]")),
  list(name = "sleep_days_random", model = "sleep", fun = "ggpredict", terms = list("Days"), type = "random"),
  list(name = "sleep_days_meansd_90", model = "sleep", fun = "ggpredict", terms = list("Days [meansd]"), level = 0.9),
  list(name = "sleep_emm", model = "sleep", fun = "ggemmeans", terms = list("Days [0, 4.5, 9]")),
  list(name = "sleep_emm_random", model = "sleep", fun = "ggemmeans", terms = list("Days [minmax]"), type = "random"),
  list(name = "sleeplog_days", model = "sleeplog", fun = "ggpredict", terms = list("Days [0, 4.5, 9]")),
  list(name = "sleeplog_emm_random", model = "sleeplog", fun = "ggemmeans", terms = list("Days [0, 9]"), type = "random"),
  list(name = "fx_x_f", model = "fx", fun = "ggpredict", terms = list("x", "f")),
  list(name = "fx_x_f_emm", model = "fx", fun = "ggemmeans", terms = list("x", "f")),
  list(name = "fx_f_levels", model = "fx", fun = "ggpredict", terms = list("f [c, a]")),
  list(name = "fx_three", model = "fx", fun = "ggpredict", terms = list("x [minmax]", "f", "h")),
  list(name = "fx_three_emm", model = "fx", fun = "ggemmeans", terms = list("x [2, 8]", "h", "f [a, b]")),
  list(name = "fx_f_condition", model = "fx", fun = "ggpredict", terms = list("f"), condition = list(x = 2)),
  list(name = "fx_f_condition_emm", model = "fx", fun = "ggemmeans", terms = list("f"), condition = list(x = 2)),
  list(name = "fx_f_x", model = "fx", fun = "ggpredict", terms = list("f", "x")),
  list(name = "fxw_f", model = "fxw", fun = "ggpredict", terms = list("f")),
  list(name = "fxw_h_emm", model = "fxw", fun = "ggemmeans", terms = list("h")),
  list(name = "fx_quart", model = "fx", fun = "ggpredict", terms = list("x [quart]")),
  list(name = "fx_n5", model = "fx", fun = "ggpredict", terms = list("x [n=5]", "h")),
  list(name = "fx_random", model = "fx", fun = "ggpredict", terms = list("x [0, 6, 12]", "f"), type = "random"),
  list(name = "fx_h_typical_median", model = "fx", fun = "ggpredict", terms = list("h"), typical = "median"),
  list(name = "sleep_subject_random", model = "sleep", fun = "ggpredict", terms = list("Days [0, 5]", "Subject [308, 309]"), type = "random"),
  # (with a third term ggeffects 1.2.0 gives the grouping factor's rows the SEs of other rows: its
  # .safe_se_from_vcov repeats the unique rows' SEs `each` time, which matches the sorted rows only
  # when the grouping factor is the last term)
  list(name = "fx_g_random", model = "fx", fun = "ggpredict", terms = list("x [0, 6]", "g [g01, g02]"), type = "random"),
  list(name = "cbpp_period", model = "cbpp", fun = "ggpredict", terms = list("period")),
  list(name = "cbpp_herd_random", model = "cbpp", fun = "ggpredict", terms = list("period", "herd [1, 5]"), type = "random"),
  list(name = "cbpp_period_random", model = "cbpp", fun = "ggpredict", terms = list("period"), type = "random"),
  list(name = "cbpp_period_emm", model = "cbpp", fun = "ggemmeans", terms = list("period [1, 4]")),
  list(name = "grouse_height", model = "grouse", fun = "ggpredict", terms = list("cHEIGHT")),
  list(name = "grouse_height_year", model = "grouse", fun = "ggpredict", terms = list("cHEIGHT [meansd]", "YEAR")),
  list(name = "grouse_emm", model = "grouse", fun = "ggemmeans", terms = list("cHEIGHT [-1, 0, 1]")),
  list(name = "grouse_emm_random", model = "grouse", fun = "ggemmeans", terms = list("YEAR"), type = "random"),
  list(name = "grouse_year_random", model = "grouse", fun = "ggpredict", terms = list("YEAR"), type = "random")
)

num <- function(v) if (is.factor(v)) as.character(v) else v
out_cases <- lapply(cases, function(cs) {
  m <- models[[cs$model]]$fit
  type <- if (is.null(cs$type)) "fixed" else cs$type
  level <- if (is.null(cs$level)) 0.95 else cs$level
  typical <- if (is.null(cs$typical)) "mean" else cs$typical
  condition <- if (is.null(cs$condition)) NULL else unlist(cs$condition)
  fn <- get(cs$fun)
  p <- suppressWarnings(fn(m, terms = unlist(cs$terms), type = type, ci.lvl = level, typical = typical, condition = condition))
  df <- as.data.frame(p)
  printed <- c(capture.output(print(p), type = "output"))
  msgs <- character(0)
  withCallingHandlers(invisible(capture.output(print(p))), message = function(e) { msgs <<- c(msgs, conditionMessage(e)); invokeRestart("muffleMessage") })
  rows <- lapply(seq_len(nrow(df)), function(i) list(x = num(df$x[i]), predicted = df$predicted[i], std.error = df$std.error[i],
    conf.low = df$conf.low[i], conf.high = df$conf.high[i], group = as.character(df$group[i]),
    facet = if ("facet" %in% names(df)) as.character(df$facet[i]) else NULL))
  c(cs, list(type = type, level = level, typical = typical, rows = rows, printed = printed, messages = msgs,
    constant_values = lapply(attr(p, "constant.values"), function(v) if (is.factor(v)) as.character(v) else v)))
})

out_models <- lapply(models, function(m) {
  fit <- m$fit
  list(formula = m$formula, data = m$data, factors = m$factors, family = m$family, weights = m$weights,
       theta = unname(getME(fit, "theta")), beta = unname(fixef(fit)), names = names(fixef(fit)), b = as.vector(getME(fit, "b")),
       vcov = unname(as.matrix(vcov(fit))), sigma = sigma(fit), df_wald = insight::get_df(fit, type = "wald"),
       deviance = if (isGLMM(fit)) NULL else REMLcrit(fit))
})

# R's pretty() and ggeffects's pretty_range / values_at on some vectors
set.seed(3)
vecs <- list(sleep$Days, fx$x, grouse$cHEIGHT, c(0.001, 0.0042, 0.003), c(-250, 1250.5), round(rnorm(300, 50, 20), 1), 1:150, seq(0, 1, length.out = 60))
pretty_cases <- lapply(vecs, function(v) list(x = v, pretty_range = pretty_range(v), pretty_range_n5 = pretty_range(v, n = 5),
  minmax = values_at(v, "minmax"), meansd = values_at(v, "meansd"), quart = values_at(v, "quart"), quart2 = values_at(v, "quart2"),
  zeromax = values_at(v, "zeromax"), fivenum = values_at(v, "fivenum"), terciles = values_at(v, "terciles"), terciles2 = values_at(v, "terciles2"),
  all = values_at(v, "all")))
pretty_calls <- lapply(list(c(0, 1, 5), c(-3.2, 7.9, 4), c(0.00123, 0.0456, 10), c(100, 101, 5), c(1e-3, 1e-3 + 1e-12, 5), c(-1, 1, 7), c(0, 9, 10), c(12.5, 912, 15)),
  function(a) list(lo = a[1], hi = a[2], n = a[3], value = pretty(c(a[1], a[2]), n = a[3])))

write(toJSON(list(versions = list(ggeffects = as.character(packageVersion("ggeffects")), insight = as.character(packageVersion("insight")), lme4 = as.character(packageVersion("lme4"))),
  models = out_models, cases = out_cases, pretty = pretty_cases, pretty_calls = pretty_calls),
  auto_unbox = TRUE, digits = NA, null = "null", na = "null"), file.path(out, "ggeffects.json"))
