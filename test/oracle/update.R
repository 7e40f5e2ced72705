#!/usr/bin/env Rscript
# R's update.formula and lme4 1.1-31's update() and start for test/update.test.ts and
# test/updateFormula.test.ts:
#  - formulas.json: deparse(update(old, new)) (stats::update.formula = C_updateform's dot expansion,
#    then terms(simplify = TRUE)'s fixFormulaObject), one line; and lme4's formula(update(m, new)).
#  - fits.json: lme4's update() fits (theta in getME's order, beta, sigma, deviance/REML criterion,
#    feval) of sleepstudy, Penicillin and cbpp, and fits with start (lmer's numeric theta and
#    glmer's list(theta, fixef)).
# Penicillin's fits vary between runs in lme4's last digits (CHOLMOD's fill-reducing permutation
# varies, as getme.R notes): θ by ~2e-6, the criterion by ~1e-10, within the test's tolerances.
# Usage (from the repository root): Rscript test/oracle/update.R test/fixtures/data test/fixtures/update
suppressMessages({ library(lme4); library(jsonlite) })
# the exact Laplace deviance and its tight optimum (glmer's PIRLS stops early: its default fit's
# deviance is ~6e-4 above the exact Laplace optimum on cbpp; see exact_laplace.R)
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "exact_laplace.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)
one <- function(f) paste(deparse(f, width.cutoff = 500L), collapse = " ")

formulaCases <- list(
  c("y ~ x * f + (1 | g)", ". ~ . - x:f"),
  c("y ~ x * f + (1 | g)", ". ~ . - x"),
  c("y ~ x + f", ". ~ . + x:f"),
  c("y ~ x + f", "log(.) ~ ."),
  c("log(y) ~ x + f", ". ~ . - f"),
  c("y ~ x + f", "~ . + z"),
  c("y ~ x + f", "z ~ ."),
  c("y ~ x + f", "sqrt(.) ~ . * z"),
  c("y ~ x + (1 | g)", ". ~ . - (1 | g)"),
  c("y ~ x + (1 | g)", ". ~ . - (1 | g) + (x | g)"),
  c("y ~ x + (x | g)", ". ~ . + (1 | h)"),
  c("y ~ x + (1 | g) + (1 | h)", ". ~ . - (1 | h)"),
  c("y ~ x + (x || g)", ". ~ . - (x || g) + (1 | g)"),
  c("y ~ x + (x || g)", ". ~ . + z"),
  c("y ~ x + (1 | a/b)", ". ~ . - (1 | a/b) + (1 | a)"),
  c("y ~ x + (1 | a/b)", ". ~ . - x"),
  c("y ~ x + offset(log(n)) + (1 | g)", ". ~ . - x"),
  c("y ~ x + offset(log(n))", ". ~ . + z"),
  c("cbind(s, f) ~ x + (1 | g)", ". ~ . - x"),
  c("cbind(s, n - s) ~ period + (1 | herd)", ". ~ . + x"),
  c("y ~ x + f", ". ~ . - 1"),
  c("y ~ x + f", ". ~ 0 + ."),
  c("y ~ 0 + x + f", ". ~ . + 1"),
  c("y ~ x", ". ~ . - x"),
  c("y ~ x", ". ~ . - x - 1"),
  c("y ~ a:b + c", ". ~ . + d"),
  c("y ~ a * b * c", ". ~ . - a:b:c"),
  c("y ~ (a + b + c)^2", ". ~ . - b:c"),
  c("y ~ a/b", ". ~ . + c"),
  c("y ~ x + I(x^2) + log(z)", ". ~ . - I(x^2)"),
  c("y ~ x + (x | g)", ". ~ . + x:(1 | g)"),
  c("y ~ b + a + (1 | g)", ". ~ a + ."),
  c("y ~ x", ". ~ z"),
  c("y ~ x + f + (1 | g)", ". ~ . - x + (0 + x | g)"),
  c("y ~ poly(x, 2) * f + (1 | g)", ". ~ . - poly(x, 2):f"),
  c("y ~ ns(z, df = 3) + x + (1 | factor(plot))", ". ~ . - x"),
  c("y ~ factor(year) + poly(x, 2, raw = TRUE)", ". ~ . + bs(z, knots = c(2, 5))"),
  c("Reaction ~ Days + (Days | Subject)", ". ~ . - Days"),
  c("Reaction ~ Days + (Days | Subject)", ". ~ . + (0 + Days | Subject) - (Days | Subject) + (1 | Subject)")
)
formulas <- lapply(formulaCases, function(cs) {
  list(old = cs[1], new = cs[2], expected = one(update(as.formula(cs[1]), as.formula(cs[2]))))
})

rd <- function(f) read.csv(file.path(dataDir, f), stringsAsFactors = TRUE)
sleep <- rd("sleepstudy.csv"); sleep$Subject <- factor(sleep$Subject)
pen <- rd("penicillin.csv")
cbpp <- rd("cbpp.csv"); cbpp$period <- factor(cbpp$period); cbpp$herd <- factor(cbpp$herd)
# a second data set for update(m, data = ...): sleepstudy without day 0 (written as a fixture)
sleep2 <- subset(sleep, Days > 0)
write.csv(sleep2, file.path(out, "sleepstudy_days1.csv"), row.names = FALSE)

rec <- function(m) {
  r <- list(formula = one(formula(m)), theta = unname(getME(m, "theta")), beta = unname(fixef(m)),
    xnames = names(fixef(m)), deviance = unname(if (isLMM(m)) { if (isREML(m)) REMLcrit(m) else deviance(m) } else -2 * c(logLik(m))),
    reml = isREML(m), feval = m@optinfo$feval, n = nobs(m))
  if (isLMM(m)) {
    r$sigma <- sigma(m)
    # the same model's optimum with lme4's optimizer run to a tight tolerance (from lme4's optimum)
    t <- update(m, start = getME(m, "theta"), control = lmerControl(optCtrl = TIGHT_LMER))
    r$tight <- list(deviance = unname(if (isREML(t)) REMLcrit(t) else deviance(t)), theta = I(unname(getME(t, "theta"))),
      beta = I(unname(fixef(t))), sigma = sigma(t))
  }
  if (isGLMM(m) && m@devcomp$dims[["nAGQ"]] == 1L) {
    # the exact Laplace optimum of the same model from glmer's (its deviance function by update)
    ex <- exact_optimum(exact_devfun(update(m, devFunOnly = TRUE), 1L), getME(m, "theta"), fixef(m), getME(m, "lower"))
    r$exact <- list(deviance = ex$value, theta = I(unname(ex$theta)), beta = I(unname(ex$beta)))
  }
  r
}
m1 <- lmer(Reaction ~ Days + (Days | Subject), sleep)
p1 <- lmer(diameter ~ 1 + (1 | plate) + (1 | sample), pen)
g1 <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial)
mu <- lmer(Reaction ~ Days + (Days || Subject), sleep)
sw <- rd("sleepstudy_weighted.csv"); sw$Subject <- factor(sw$Subject)
mw <- lmer(Reaction ~ Days + (Days | Subject), sw, weights = w)
fits <- list(
  sleep_base = rec(m1),
  sleep_minus_days = c(rec(update(m1, . ~ . - Days)), list(update = ". ~ . - Days")),
  sleep_ml = c(rec(update(m1, REML = FALSE)), list(update_REML = FALSE)),
  sleep_ml_minus_days = c(rec(update(m1, . ~ . - Days, REML = FALSE)), list(update = ". ~ . - Days", update_REML = FALSE)),
  sleep_split = c(rec(update(m1, . ~ . - (Days | Subject) + (1 | Subject) + (0 + Days | Subject))),
    list(update = ". ~ . - (Days | Subject) + (1 | Subject) + (0 + Days | Subject)")),
  sleep_data = c(rec(update(m1, data = sleep2)), list(update_data = "sleepstudy_days1.csv")),
  sleep_uncorr_formula = list(formula = one(formula(mu)), update_minus = one(formula(update(mu, . ~ . - (0 + Days | Subject))))),
  weighted_base = rec(mw),
  weighted_minus_days = c(rec(update(mw, . ~ . - Days)), list(update = ". ~ . - Days")),
  weighted_unweighted = c(rec(update(mw, weights = NULL)), list(update_weights = NULL)),
  cbpp_probit = c(rec(update(g1, family = binomial(link = "probit"))), list(update_link = "probit")),
  pen_base = rec(p1),
  pen_minus_sample = c(rec(update(p1, . ~ . - (1 | sample))), list(update = ". ~ . - (1 | sample)")),
  cbpp_base = rec(g1),
  cbpp_minus_period = c(rec(update(g1, . ~ . - period)), list(update = ". ~ . - period")),
  cbpp_agq = c(rec(update(g1, nAGQ = 9)), list(update_nAGQ = 9)),
  cbpp_start_both = c(rec(update(g1, start = getME(g1, c("theta", "fixef")))), list(start_theta = unname(getME(g1, "theta")), start_fixef = unname(fixef(g1)))),
  cbpp_start_theta = c(rec(update(g1, start = list(theta = 1))), list(start_theta = 1)),
  cbpp_start_far = c(rec(update(g1, start = list(theta = 3, fixef = c(0, 0, 0, 0)))), list(start_theta = 3, start_fixef = c(0, 0, 0, 0))),
  sleep_start_opt = c(rec(lmer(Reaction ~ Days + (Days | Subject), sleep, start = getME(m1, "theta"))), list(start_theta = unname(getME(m1, "theta")))),
  sleep_start_far = c(rec(lmer(Reaction ~ Days + (Days | Subject), sleep, start = c(5, 2, 0.01))), list(start_theta = c(5, 2, 0.01))),
  sleep_start_list = c(rec(lmer(Reaction ~ Days + (Days | Subject), sleep, start = list(theta = c(1, 0, 1)))), list(start_theta = c(1, 0, 1))),
  pen_start = c(rec(lmer(diameter ~ 1 + (1 | plate) + (1 | sample), pen, start = c(2, 0.5))), list(start_theta = c(2, 0.5)))
)
# lme4's refusals of start (their messages, for the record)
err <- function(expr) tryCatch({ force(expr); "no error" }, error = function(e) conditionMessage(e))
refusals <- list(
  wrong_length = err(lmer(Reaction ~ Days + (Days | Subject), sleep, start = c(1, 0))),
  negative_diagonal = err(lmer(Reaction ~ Days + (Days | Subject), sleep, start = c(-1, 0, 1)))
)
write_json(list(formulas = formulas, fits = fits, refusals = refusals, R = R.version.string,
  lme4 = as.character(packageVersion("lme4"))), file.path(out, "update.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
