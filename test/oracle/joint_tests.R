#!/usr/bin/env Rscript
# emmeans's joint_tests for lmer and glmer fits, for test/jointTests.test.ts: the F test of each model
# term (and each set of variables within a term) from the interaction contrasts of estimated marginal
# means on the meanint reference grid (covariates at mean ± 1, two-valued ones kept), with
# Kenward-Roger (the default; on an ML fit with pbkrtest's REML refit), Satterthwaite or asymptotic df, by groups, the
# "(confounded)" row (show0df), a fit with an aliased column, and glmer fits. lmer models are fitted
# to tight tolerances; each glmer case is joint_tests on a reference grid (qdrg) with β and Var(β) of
# the exact Laplace deviance's optimum (test/oracle/exact_laplace.R), the fit our glmer reaches.
# Usage (from the repository root):
#   Rscript test/oracle/joint_tests.R test/fixtures/data test/fixtures/emmeans test/fixtures/joint-tests
# Needs: apt-get install r-cran-lme4 r-cran-jsonlite r-cran-emmeans r-cran-pbkrtest r-cran-lmertest
suppressMessages({ library(lme4); library(jsonlite); library(emmeans); library(pbkrtest); library(lmerTest) })
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "exact_laplace.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; emmDir <- args[2]; out <- args[3]
emm_options(pbkrtest.limit = 1e6, lmerTest.limit = 1e6)
tight <- lmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
gtight <- glmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))

fact <- read.csv(file.path(emmDir, "factorial.csv"))
fact$A <- factor(fact$A, levels = c("a1", "a2", "a3")); fact$B <- factor(fact$B, levels = c("hi", "lo"))
pois <- read.csv(file.path(emmDir, "poisson.csv")); pois$trt <- factor(pois$trt, levels = c("ctl", "highdose", "lowdose"))
sleep <- read.csv(file.path(dataDir, "sleepstudy.csv")); sleep$Subject <- factor(sleep$Subject)
cbpp <- read.csv(file.path(dataDir, "cbpp.csv")); cbpp$period <- factor(cbpp$period); cbpp$herd <- factor(cbpp$herd)

fits <- list(
  j1 = list(formula = "y ~ A * B + x + log(z) + d + (1 | g)", data = "factorial.csv", reml = TRUE),
  j1ml = list(formula = "y ~ A * B + x + log(z) + d + (1 | g)", data = "factorial.csv", reml = FALSE),
  j2 = list(formula = "y ~ A * x + B + log(z) + (1 | g)", data = "factorial.csv", reml = TRUE),
  j3 = list(formula = "y ~ A * B * d + x + (1 | g)", data = "factorial.csv", reml = TRUE),
  ja = list(formula = "y ~ A:B + x + (1 | g)", data = "factorial.csv", reml = TRUE),
  js = list(formula = "Reaction ~ Days + (Days | Subject)", data = "sleepstudy", reml = TRUE)
)
lm_fits <- lapply(fits, function(f) {
  d <- if (f$data == "sleepstudy") sleep else fact
  lmer(as.formula(f$formula), d, REML = f$reml, control = tight)
})
models <- lapply(names(fits), function(nm) {
  m <- lm_fits[[nm]]
  c(fits[[nm]], list(objective = if (isREML(m)) REMLcrit(m) else deviance(m), theta = getME(m, "theta"), beta = as.list(fixef(m))))
})
names(models) <- names(fits)

gb <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial, control = gtight)
gpo <- glmer(count ~ trt + offset(log(expo)) + (1 | g), pois, poisson, control = gtight)
exact_grid <- function(m, fixed, data, link) {
  ex <- exact_optimum(exact_devfun(update(m, devFunOnly = TRUE)), getME(m, "theta"), fixef(m), getME(m, "lower"))
  list(rg = qdrg(fixed, data = data, coef = setNames(ex$beta, names(fixef(m))), vcov = ex$vcov, link = link), ex = ex)
}
xb <- exact_grid(gb, ~ period, cbpp, "logit")
xpo <- exact_grid(gpo, ~ trt + offset(log(expo)), pois, "log")
models$gb <- list(formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", data = "cbpp", family = "binomial", link = "logit", objective = xb$ex$value, theta = xb$ex$theta, beta = as.list(setNames(xb$ex$beta, names(fixef(gb)))))
models$gpo <- list(formula = "count ~ trt + offset(log(expo)) + (1 | g)", data = "poisson.csv", family = "poisson", link = "log", objective = xpo$ex$value, theta = xpo$ex$theta, beta = as.list(setNames(xpo$ex$beta, names(fixef(gpo)))))

tab <- function(s) {
  df <- as.data.frame(s)
  for (nm in names(df)) if (is.factor(df[[nm]])) df[[nm]] <- as.character(df[[nm]])
  # an infinite df2 (asymptotic, glmer) as "Inf" (JSON has no infinity)
  for (nm in names(df)) if (is.numeric(df[[nm]]) && any(is.infinite(df[[nm]]))) df[[nm]] <- ifelse(is.infinite(df[[nm]]), "Inf", df[[nm]])
  list(columns = names(df), rows = unname(lapply(seq_len(nrow(df)), function(i) unname(as.list(df[i, ])))),
       mesg = as.character(attr(s, "mesg")), printed = capture.output(print(s)))
}
jt <- function(name, model, obj, ddf = NULL, by = NULL, show0df = FALSE) {
  args <- list(obj, show0df = show0df)
  if (!is.null(ddf)) args$lmer.df <- ddf
  if (!is.null(by)) args$by <- by
  list(name = name, model = model, ddf = ddf, by = by, show0df = show0df, result = tab(do.call(joint_tests, args)))
}
L <- lm_fits
cases <- list(
  jt("factorial_kr", "j1", L$j1),
  jt("factorial_satterthwaite", "j1", L$j1, ddf = "satterthwaite"),
  jt("factorial_asymptotic", "j1", L$j1, ddf = "asymptotic"),
  jt("factorial_by_B", "j1", L$j1, by = "B"),
  jt("factorial_show0df", "j1", L$j1, show0df = TRUE),
  jt("factorial_ml", "j1ml", L$j1ml, ddf = "satterthwaite"),
  # emmeans's default on an ML fit: Kenward-Roger with pbkrtest's REML refit (our remlRefit, the j1 fit)
  c(jt("factorial_ml_kr", "j1ml", L$j1ml), list(remlModel = "j1")),
  jt("covariate_interaction", "j2", L$j2),
  jt("covariate_interaction_by_B", "j2", L$j2, by = "B"),
  jt("covariate_interaction_by_A", "j2", L$j2, by = "A", ddf = "satterthwaite"),
  jt("three_way", "j3", L$j3),
  jt("aliased", "ja", L$ja),
  jt("sleepstudy", "js", L$js),
  jt("cbpp", "gb", xb$rg),
  jt("poisson_offset", "gpo", xpo$rg)
)
writeLines(toJSON(list(models = models, cases = cases), auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), file.path(out, "joint_tests.json"))
