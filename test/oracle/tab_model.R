#!/usr/bin/env Rscript
# sjPlot 2.8.12's tab_model() of lmer and glmer fits, for test/tabModel.test.ts: each case's
# page.content (the HTML table, leading spaces removed as sjPlot's rmspc does) and, for one case, the
# complete page with its CSS. The models are those of test/oracle/parameters.R: lmer fits at lme4's
# tight optimum, glmer fits moved to the exact Laplace optimum (exact_laplace.R), the optimum our glmer
# reaches (its beta, theta, Hessian vcov and the deviance in devcomp, which logLik and AIC read).
# Usage (from the repository root):
#   Rscript test/oracle/tab_model.R test/fixtures/data test/fixtures/tabmodel
suppressMessages({ library(lme4); library(sjPlot); library(jsonlite) })
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "exact_laplace.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
tight <- lmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
gtight <- glmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))

sleep <- read.csv(file.path(dataDir, "sleepstudy.csv")); sleep$Days <- as.numeric(sleep$Days); sleep$Subject <- factor(sleep$Subject)
fx <- read.csv(file.path(dataDir, "..", "parameters", "factor_covariate.csv")); fx$f <- factor(fx$f); fx$h <- factor(fx$h); fx$g <- factor(fx$g)
twof <- read.csv(file.path(dataDir, "broom_two_factors.csv")); twof$g <- factor(twof$g); twof$h <- factor(twof$h)
cbpp <- read.csv(file.path(dataDir, "cbpp.csv")); cbpp$period <- factor(cbpp$period); cbpp$herd <- factor(cbpp$herd)
dy2 <- read.csv(file.path(dataDir, "dyestuff2.csv")); dy2$Batch <- factor(dy2$Batch)
grouse <- read.csv(file.path(dataDir, "grouseticks.csv")); grouse$YEAR <- factor(grouse$YEAR); grouse$BROOD <- factor(grouse$BROOD)
sch <- read.csv(file.path(dataDir, "schools3.csv")); for (v in c("Pupil", "Class", "School")) sch[[v]] <- factor(sch[[v]])
pastes <- read.csv(file.path(dataDir, "pastes.csv")); for (v in c("batch", "cask", "sample")) pastes[[v]] <- factor(pastes[[v]])
oats <- read.csv(file.path(dataDir, "Oats.csv")); oats$Block <- factor(oats$Block); oats$Variety <- factor(oats$Variety)

exact_fit_dev <- function(m) exact_fit(m, set_deviance = TRUE)

models <- list(
  sleep = list(fit = lmer(Reaction ~ Days + (Days | Subject), sleep, control = tight),
               formula = "Reaction ~ Days + (Days | Subject)", data = "data/sleepstudy.csv", factors = list("Subject")),
  fx1 = list(fit = lmer(y ~ f + x + (1 | g), fx, control = tight),
             formula = "y ~ f + x + (1 | g)", data = "parameters/factor_covariate.csv", factors = list("f", "h", "g")),
  fx2 = list(fit = lmer(y ~ f + x + h + (1 | g), fx, control = tight),
             formula = "y ~ f + x + h + (1 | g)", data = "parameters/factor_covariate.csv", factors = list("f", "h", "g")),
  # a singular fit (insight: no var.random; sjPlot: no ICC, conditional R² NA) and an intercept-only model beside it
  dy2 = list(fit = lmer(Yield ~ 1 + (1 | Batch), dy2, control = tight),
             formula = "Yield ~ 1 + (1 | Batch)", data = "data/dyestuff2.csv", factors = list("Batch")),
  sleep_ml = list(fit = lmer(Reaction ~ Days + (Days | Subject), sleep, REML = FALSE, control = tight),
                  formula = "Reaction ~ Days + (Days | Subject)", data = "data/sleepstudy.csv", factors = list("Subject"), reml = FALSE),
  sleep1 = list(fit = lmer(Reaction ~ Days + (1 | Subject), sleep, control = tight),
                formula = "Reaction ~ Days + (1 | Subject)", data = "data/sleepstudy.csv", factors = list("Subject")),
  fxi = list(fit = lmer(y ~ f * x + (1 | g), fx, control = tight),
             formula = "y ~ f * x + (1 | g)", data = "parameters/factor_covariate.csv", factors = list("f", "h", "g")),
  twof = list(fit = lmer(y ~ x + (1 + x | g) + (1 | h), twof, control = tight),
              formula = "y ~ x + (1 + x | g) + (1 | h)", data = "data/broom_two_factors.csv", factors = list("g", "h")),
  # random-effects terms beyond an intercept and one slope (insight's var.slope and cor.slope_intercept: two
  # slopes give an unnamed matrix; a term without an intercept none, which sjPlot shows as two empty rows), nested and
  # crossed-with-interaction grouping factors (N per variable: insight's split_nested), a singular fit with
  # slopes (no ICC, conditional R² NA), a term without an intercept
  sch2 = list(fit = lmer(y ~ x + w + (1 + x + w | School), sch, control = tight),
              formula = "y ~ x + w + (1 + x + w | School)", data = "data/schools3.csv", factors = list("Pupil", "Class", "School")),
  schn = list(fit = lmer(y ~ x + (1 + x | School) + (1 | School:Class), sch, control = tight),
              formula = "y ~ x + (1 + x | School) + (1 | School:Class)", data = "data/schools3.csv", factors = list("Pupil", "Class", "School")),
  pastes = list(fit = lmer(strength ~ 1 + (1 | batch/cask), pastes, control = tight),
                formula = "strength ~ 1 + (1 | batch/cask)", data = "data/pastes.csv", factors = list("batch", "cask", "sample")),
  oats = list(fit = lmer(yield ~ nitro + Variety + (1 | Block/Variety), oats, control = tight),
              formula = "yield ~ nitro + Variety + (1 | Block/Variety)", data = "data/Oats.csv", factors = list("Block", "Variety")),
  tw2 = list(fit = lmer(y ~ x + (1 + x | g) + (1 + x | h), twof, control = tight),
             formula = "y ~ x + (1 + x | g) + (1 + x | h)", data = "data/broom_two_factors.csv", factors = list("g", "h")),
  noint = list(fit = lmer(y ~ x + (0 + x | g) + (1 | h), twof, control = tight),
               formula = "y ~ x + (0 + x | g) + (1 | h)", data = "data/broom_two_factors.csv", factors = list("g", "h")),
  cbpp = list(fit = exact_fit_dev(glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial, control = gtight)),
              formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", data = "data/cbpp.csv", factors = list("period", "herd"), family = "binomial"),
  grouse = list(fit = exact_fit_dev(glmer(TICKS ~ YEAR + cHEIGHT + (1 | BROOD), grouse, poisson, control = gtight)),
                formula = "TICKS ~ YEAR + cHEIGHT + (1 | BROOD)", data = "data/grouseticks.csv", factors = list("YEAR", "BROOD"), family = "poisson")
)

cases <- list()
add <- function(name, which, ..., complete = FALSE) {
  opts <- list(...)
  # the models as named variables (tab_model names its models by their call's arguments)
  env <- new.env()
  for (i in seq_along(which)) assign(paste0("m", i), models[[which[i]]]$fit, envir = env)
  t <- suppressMessages(suppressWarnings(do.call(tab_model, c(lapply(seq_along(which), function(i) as.name(paste0("m", i))), opts), envir = env)))
  # a named vector (pred.labels by term) as a JSON object
  json_opts <- lapply(opts, function(v) if (!is.null(names(v))) as.list(v) else v)
  entry <- list(name = name, models = as.list(which), options = json_opts, content = t$page.content)
  if (complete) entry$complete <- t$page.complete
  cases[[length(cases) + 1]] <<- entry
}
add("sleep", "sleep", complete = TRUE)
add("two_lmer", c("fx1", "fx2"))
add("two_lmer_options", c("fx1", "fx2"), show.se = TRUE, show.stat = TRUE, show.df = TRUE, show.aic = TRUE, show.loglik = TRUE, show.dev = TRUE, p.style = "stars")
add("sleep_satterthwaite", "sleep", df.method = "satterthwaite", show.df = TRUE)
add("fx2_kenward", "fx2", df.method = "kenward", show.se = TRUE, show.df = TRUE)
add("fx2_ml1", "fx2", df.method = "ml1", show.df = TRUE)
add("fx2_betwithin", "fx2", df.method = "betwithin", show.df = TRUE, show.stat = TRUE)
add("fx1_numeric_stars", "fx1", p.style = "numeric_stars", digits = 3, digits.p = 2, show.icc = FALSE, show.r2 = FALSE, show.aic = TRUE)
add("fx1_labels", "fx1", dv.labels = "Outcome", pred.labels = c("Intercept", "f is b", "f is c", "slope of x"), title = "Model 1",
    string.est = "Coef.", string.ci = "95% CI", string.p = "P", collapse.ci = TRUE, show.re.var = FALSE, show.ngroups = FALSE, show.obs = FALSE)
add("twof", "twof")
add("cbpp", "cbpp")
add("grouse", "grouse", show.se = TRUE, show.stat = TRUE, show.df = TRUE)
add("cbpp_grouse", c("cbpp", "grouse"))
add("cbpp_logodds", "cbpp", transform = NULL, show.se = TRUE)
add("sleep_cbpp", c("sleep", "cbpp"), p.style = "numeric_stars")
add("glmer_fit_statistics", c("cbpp", "grouse"), show.aic = TRUE, show.loglik = TRUE, show.dev = TRUE)
add("ml_fit_statistics", "sleep_ml", show.aic = TRUE, show.loglik = TRUE, show.dev = TRUE)
add("fx2_more_options", "fx2", show.intercept = FALSE, emph.p = FALSE, p.threshold = c(0.1, 0.05, 0.01), p.style = "numeric_stars",
    show.ci = 0.9, show.se = TRUE, collapse.se = TRUE, digits.re = 3, digits.rsq = 2)
add("fxi_named_labels", "fxi", pred.labels = c(fb = "f is b (the second level of the factor f)", x = "x"), dv.labels = "",
    string.intercept = "Const.", wrap.labels = 10, show.stat = TRUE)
add("fxi_stars_no_ci", "fxi", show.ci = FALSE, p.style = "stars", show.se = TRUE)
add("dy2_singular", "dy2")
add("dy2_beside_sleep1", c("dy2", "sleep1"))
add("fxi_no_p", c("fxi", "fx1"), show.p = FALSE, show.df = TRUE, df.method = "satterthwaite")
add("two_slopes", "sch2")
add("slope_and_nested", "schn")
add("nested", "pastes")
add("nested_oats", "oats", show.se = TRUE, digits = 3)
add("singular_slopes", "tw2")
add("no_intercept_term", "noint")
add("three_structures", c("sch2", "noint", "pastes"))
add("two_slopes_beside_sleep", c("sch2", "sleep"))
add("no_intercept_beside_nested", c("noint", "schn"))

spec <- lapply(models, function(m) m[setdiff(names(m), "fit")])
writeLines(toJSON(list(models = spec, cases = cases), auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null"), file.path(out, "tab_model.json"))
