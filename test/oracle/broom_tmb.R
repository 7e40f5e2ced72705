#!/usr/bin/env Rscript
# broom.mixed 0.2.9.4's tidy() and glance() of glmmTMB 1.1.5 and nlme fits, and augment() of the nlme fits,, for test/broomTmb.test.ts.
# glmmTMB fits run nlminb to tight tolerances (rel.tol 1e-14: the optimum our fit reaches, about 5e-5
# closer than glmmTMB's default stop); lme fits with nlme's defaults. Every column of broom.mixed's
# tables is written, NA as null; the estimates (glmmTMB's fit$par, lme's coef) with them.
# Usage (from the repository root): Rscript test/oracle/broom_tmb.R test/fixtures/data test/fixtures/broom/broom_tmb.json
# Needs: glmmTMB 1.1.5, nlme, broom.mixed 0.2.9.4, jsonlite.
suppressMessages({ library(glmmTMB); library(nlme); library(broom.mixed); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
rd <- function(f) read.csv(file.path(dataDir, f), stringsAsFactors = TRUE)
tight <- glmmTMBControl(optCtrl = list(iter.max = 1e4, eval.max = 1e4, rel.tol = 1e-14))

sal <- rd("salamanders.csv")
sleep <- rd("sleepstudy.csv"); sleep$Subject <- factor(sleep$Subject)
orth <- rd("Orthodont.csv")

rows <- function(tb) { d <- as.data.frame(tb); d[] <- lapply(d, function(x) if (is.factor(x)) as.character(x) else if (is.numeric(x)) as.numeric(x) else x); d }
cases <- list()
# augment.lme(fit, data): the data's column names, then each of .fitted, .resid, .fixed
aug <- function(m, data) {
  a <- as.data.frame(augment(m, data = data))
  keep <- grep("^\\.", names(a), value = TRUE)
  c(list(columns = names(a)), lapply(setNames(keep, keep), function(k) as.numeric(a[[k]])))
}
add <- function(name, kind, fit, spec, tidies, augment = NULL) {
  # glmmTMB: the gradient at the optimum (nlminb's stop; "singular convergence" at rel.tol 1e-14 is its
  # relative-function test failing at the floor of the objective's rounding)
  est <- if (kind == "glmmTMB") list(par = unname(fit$fit$par), objective = fit$fit$objective, maxGradient = max(abs(fit$obj$gr(fit$fit$par)))) else list(beta = unname(fixef(fit)), logLik = as.numeric(logLik(fit)))
  cases[[length(cases) + 1]] <<- c(list(name = name, kind = kind), spec, list(estimates = est,
    glance = rows(glance(fit)),
    tidy = lapply(tidies, function(o) list(options = o$options, table = rows(o$table)))), if (is.null(augment)) list() else list(augment = augment))
}
t <- function(options, table) list(options = options, table = table)

# salamanders ZIP, ziformula ~ mined: every effect, Wald intervals of the fixed effects and of the SD, exponentiate
m <- glmmTMB(count ~ mined + (1 | site), ziformula = ~mined, family = poisson, data = sal, control = tight)
add("zip_mined", "glmmTMB", m, list(formula = "count ~ mined + (1 | site)", ziformula = "~ mined", dispformula = "~ 1", family = "poisson", data = "salamanders"), list(
  t(list(), tidy(m)),
  t(list(confInt = TRUE), tidy(m, conf.int = TRUE)),
  t(list(confInt = TRUE, confLevel = 0.9, exponentiate = TRUE, effects = "fixed"), tidy(m, effects = "fixed", conf.int = TRUE, conf.level = 0.9, exponentiate = TRUE)),
  t(list(effects = "ran_vals", confInt = TRUE), tidy(m, effects = "ran_vals", conf.int = TRUE)),
  t(list(component = "zi", effects = c("fixed", "ran_pars")), tidy(m, component = "zi", effects = c("fixed", "ran_pars"))),
  t(list(effects = c("ran_vals", "fixed", "ran_pars")), tidy(m, effects = c("ran_vals", "fixed", "ran_pars")))))

# the zero model with its own (1 | site): component zi in ran_pars and ran_vals
m <- glmmTMB(count ~ mined + (1 | site), ziformula = ~mined + (1 | site), family = poisson, data = sal, control = tight)
add("zip_zi_site", "glmmTMB", m, list(formula = "count ~ mined + (1 | site)", ziformula = "~ mined + (1 | site)", dispformula = "~ 1", family = "poisson", data = "salamanders"), list(
  t(list(confInt = TRUE), tidy(m, conf.int = TRUE)),
  t(list(effects = "ran_vals"), tidy(m, effects = "ran_vals")),
  t(list(effects = "ran_pars", scales = "vcov"), tidy(m, effects = "ran_pars", scales = "vcov"))))

# NB2 with a covariate: glance's sigma is the size
m <- glmmTMB(count ~ mined + cover + (1 | site), family = nbinom2, data = sal, control = tight)
add("nb2_cover", "glmmTMB", m, list(formula = "count ~ mined + cover + (1 | site)", ziformula = "~ 0", dispformula = "~ 1", family = "nbinom2", data = "salamanders"), list(
  t(list(), tidy(m)),
  t(list(confInt = TRUE, exponentiate = TRUE), tidy(m, conf.int = TRUE, exponentiate = TRUE))))

# gaussian with dispformula ~ mined: sigma is NA (glance drops it; ran_pars's residual row NA)
m <- glmmTMB(count ~ mined + (1 | site), dispformula = ~mined, family = gaussian, data = sal, control = tight)
add("gauss_disp", "glmmTMB", m, list(formula = "count ~ mined + (1 | site)", ziformula = "~ 0", dispformula = "~ mined", family = "gaussian", data = "salamanders"), list(
  t(list(), tidy(m)),
  t(list(effects = "ran_vals"), tidy(m, effects = "ran_vals"))))

# gaussian sleepstudy with a correlated slope: sd, sd, cor then the residual (as.data.frame(VarCorr)'s order)
m <- glmmTMB(Reaction ~ Days + (Days | Subject), family = gaussian, data = sleep, control = tight)
add("gauss_sleep", "glmmTMB", m, list(formula = "Reaction ~ Days + (Days | Subject)", ziformula = "~ 0", dispformula = "~ 1", family = "gaussian", data = "sleepstudy"), list(
  t(list(), tidy(m)),
  t(list(effects = "ran_pars", scales = "vcov"), tidy(m, effects = "ran_pars", scales = "vcov")),
  t(list(effects = c("fixed", "ran_vals"), confInt = TRUE), tidy(m, effects = c("fixed", "ran_vals"), conf.int = TRUE))))

# two terms of one grouping factor: VarCorr names them Subject, Subject.1 (make.unique); ranef keeps Subject
# (test/broomTmb.test.ts compares this case's names, logLik and estimates: not its SEs, see there)
m <- glmmTMB(Reaction ~ Days + (1 | Subject) + (0 + Days | Subject), family = gaussian, data = sleep, control = tight)
add("gauss_sleep_uncorr", "glmmTMB", m, list(formula = "Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)", ziformula = "~ 0", dispformula = "~ 1", family = "gaussian", data = "sleepstudy"), list(
  t(list(), tidy(m)),
  t(list(effects = "ran_vals"), tidy(m, effects = "ran_vals"))))

# Gamma (log link) sleepstudy with a correlated slope: the Wald intervals of a vector term's SDs and
# correlation (glmmTMB's .CI_univariate_monotone: every θ moved by ∓ z SE at once)
m <- glmmTMB(Reaction ~ Days + (Days | Subject), family = Gamma(link = "log"), data = sleep, control = tight)
add("gamma_sleep", "glmmTMB", m, list(formula = "Reaction ~ Days + (Days | Subject)", ziformula = "~ 0", dispformula = "~ 1", family = "Gamma", data = "sleepstudy"), list(
  t(list(confInt = TRUE), tidy(m, conf.int = TRUE)),
  t(list(effects = "ran_pars", scales = "vcov", confInt = TRUE, confLevel = 0.8), tidy(m, effects = "ran_pars", scales = "vcov", conf.int = TRUE, conf.level = 0.8))))

# lme, sleepstudy, REML, a correlated slope. nlme's intervals() use the Hessian of fdHess with nlme's
# default .relStep (eps^(1/3), about 6e-6 relative), round-off dominated here: the ends move by 4e-3
# relative (sd((Intercept))'s lower 15.5175 → 15.5815) with .relStep 1e-4 or 1e-3, which agree to
# 1.3e-4 with each other and with ours (src/nlme/intervals.ts, test/nlme.test.ts); the estimates are
# the same whatever .relStep (it enters only the Hessian)
m <- lme(Reaction ~ Days, random = ~Days | Subject, data = sleep, control = lmeControl(.relStep = 1e-4))
add("lme_sleep", "lme", m, list(fixed = "Reaction ~ Days", random = "~ Days | Subject", method = "REML", weights = NULL, data = "sleepstudy"), list(
  t(list(), tidy(m)),
  t(list(confInt = TRUE), tidy(m, conf.int = TRUE)),
  t(list(effects = "ran_pars", scales = "vcov"), tidy(m, effects = "ran_pars", scales = "vcov")),
  t(list(effects = c("ran_vals", "ran_coefs")), tidy(m, effects = c("ran_vals", "ran_coefs")))), augment = aug(m, sleep))

# lme, Orthodont, ML, varIdent by Sex: the var_model rows
m <- lme(distance ~ age + Sex, random = ~1 | Subject, weights = varIdent(form = ~1 | Sex), data = orth, method = "ML")
add("lme_orth_varident", "lme", m, list(fixed = "distance ~ age + Sex", random = "~ 1 | Subject", method = "ML", weights = "varIdent(form = ~ 1 | Sex)", data = "Orthodont"), list(
  t(list(), tidy(m)),
  t(list(confInt = TRUE, effects = c("fixed", "ran_pars", "var_model", "ran_vals", "ran_coefs")), tidy(m, conf.int = TRUE, effects = c("fixed", "ran_pars", "var_model", "ran_vals", "ran_coefs")))), augment = aug(m, orth))

# lme with pdDiag: broom.mixed 0.2.9.4's tidy.lme fails on its ran_pars (the group names repeat the
# pdMat's 2 parameters, the terms are Ψ's 3 lower-triangle entries): checked here, refused by ours
m <- lme(Reaction ~ Days, random = list(Subject = pdDiag(~Days)), data = sleep)
stopifnot(inherits(try(tidy(m), silent = TRUE), "try-error"), nrow(tidy(m, effects = "fixed")) == 2)

# two levels of grouping: broom.mixed gives no ran_pars rows (with its warning)
oats <- rd("Oats.csv"); oats$Block <- factor(oats$Block); oats$Variety <- factor(oats$Variety)
m <- lme(yield ~ nitro, random = ~1 | Block/Variety, data = oats)
add("lme_oats_nested", "lme", m, list(fixed = "yield ~ nitro", random = "~ 1 | Block/Variety", method = "REML", weights = NULL, data = "Oats"), list(
  t(list(), suppressWarnings(tidy(m)))))

writeLines(toJSON(list(versions = list(glmmTMB = as.character(packageVersion("glmmTMB")), nlme = as.character(packageVersion("nlme")),
  broom.mixed = as.character(packageVersion("broom.mixed"))), cases = cases), auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = FALSE), out)
