#!/usr/bin/env Rscript
# broom.mixed 0.2.9.4's tidy(), glance() and augment() of lmer and glmer fits, for test/broom.test.ts.
# Each model is fitted to tight tolerances (the optimum our fit reaches; glmer with tolPwrss = 1e-12 and
# BOBYQA to rhoend 1e-10, as test/oracle/glmer_tight.R), then broom.mixed's tables are written with
# every column: NA as null.
# Usage (from the repository root): Rscript test/oracle/broom.R test/fixtures/data test/fixtures/broom/broom.json
# Needs: lme4 1.1-31, lmerTest, broom.mixed 0.2.9.4, jsonlite.
suppressMessages({ library(lme4); library(lmerTest); library(broom.mixed); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
rd <- function(f, ...) read.csv(file.path(dataDir, f), stringsAsFactors = TRUE, ...)
tight <- lmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
gtight <- glmerControl(optimizer = "bobyqa", tolPwrss = 1e-12, optCtrl = list(rhoend = 1e-10, maxfun = 1e5))

sleep <- rd("sleepstudy.csv"); sleep$Subject <- factor(sleep$Subject)
pen <- rd("penicillin.csv")
cbpp <- rd("cbpp.csv"); cbpp$herd <- factor(cbpp$herd); cbpp$period <- factor(cbpp$period)
# two grouping factors, crossed, with a correlated random slope on the first (simulated: no reference
# data set has such a model whose fit is not singular)
twof <- rd("broom_two_factors.csv"); twof$g <- factor(twof$g); twof$h <- factor(twof$h)

# a tibble as a list of rows; NA → null (jsonlite's na = "null" on a data frame of rows)
rows <- function(tb) { d <- as.data.frame(tb); d[] <- lapply(d, function(x) if (is.factor(x)) as.character(x) else x); d }
aug <- function(m) {
  a <- as.data.frame(suppressWarnings(augment(m)))
  keep <- grep("^\\.", names(a), value = TRUE)
  c(list(columns = names(a)), lapply(setNames(keep, keep), function(k) as.numeric(a[[k]])))
}
est <- function(m) list(theta = unname(getME(m, "theta")), beta = unname(fixef(m)), objective = unname(if (isREML(m)) REMLcrit(m) else -2 * as.numeric(logLik(m))))

cases <- list()
add <- function(name, fit, formula, data, factors, extra = list(), weights = NULL) {
  cases[[length(cases) + 1]] <<- c(list(name = name, formula = formula, data = data, factors = factors, reml = isREML(fit),
    family = if (isGLMM(fit)) family(fit)$family else "gaussian", link = if (isGLMM(fit)) family(fit)$link else "identity",
    weights = weights, estimates = est(fit),
    glance = rows(glance(fit))), extra)
}

# sleepstudy, REML: every effect, scales, ran_prefix, Wald intervals, augment
m <- lme4::lmer(Reaction ~ Days + (Days | Subject), sleep, control = tight)
add("sleepstudy_reml", m, "Reaction ~ Days + (Days | Subject)", "data/sleepstudy.csv", list("Subject"), list(
  tidy = list(
    list(options = list(), table = rows(tidy(m))),
    list(options = list(confInt = TRUE), table = rows(tidy(m, conf.int = TRUE))),
    list(options = list(confInt = TRUE, confLevel = 0.9), table = rows(tidy(m, conf.int = TRUE, conf.level = 0.9))),
    list(options = list(effects = "ran_pars", scales = "vcov"), table = rows(tidy(m, effects = "ran_pars", scales = "vcov"))),
    list(options = list(ranPrefix = c("a", "b")), table = rows(tidy(m, ran_prefix = c("a", "b")))),
    list(options = list(effects = c("ran_vals"), confInt = TRUE), table = rows(tidy(m, effects = "ran_vals", conf.int = TRUE))),
    list(options = list(effects = c("ran_coefs")), table = rows(tidy(m, effects = "ran_coefs"))),
    list(options = list(effects = c("ran_coefs", "fixed", "ran_vals", "ran_pars")), table = rows(tidy(m, effects = c("ran_coefs", "fixed", "ran_vals", "ran_pars"))))
  ),
  augment = aug(m)))

# sleepstudy, ML: glance's deviance, profile intervals of every parameter
m <- lme4::lmer(Reaction ~ Days + (Days | Subject), sleep, REML = FALSE, control = tight)
a <- aug(m)
add("sleepstudy_ml", m, "Reaction ~ Days + (Days | Subject)", "data/sleepstudy.csv", list("Subject"), list(
  tidy = list(
    list(options = list(), table = rows(tidy(m))),
    list(options = list(confInt = TRUE, confMethod = "profile"), table = rows(suppressMessages(tidy(m, conf.int = TRUE, conf.method = "profile"))))
  ),
  augment = a))

# lmerTest: Satterthwaite's and Kenward-Roger's df, their t intervals
m <- lmerTest::lmer(Reaction ~ Days + (Days | Subject), sleep, control = tight)
add("sleepstudy_lmertest", m, "Reaction ~ Days + (Days | Subject)", "data/sleepstudy.csv", list("Subject"), list(
  tidy = list(
    list(options = list(ddf = "Satterthwaite"), table = rows(tidy(m))),
    list(options = list(ddf = "Satterthwaite", confInt = TRUE), table = rows(tidy(m, conf.int = TRUE))),
    list(options = list(ddf = "Kenward-Roger", confInt = TRUE), table = rows(tidy(m, conf.int = TRUE, ddf.method = "Kenward-Roger")))
  )))

# uncorrelated terms of one factor: ran_pars's groups Subject and Subject.1, ranef's one group of two columns
m <- lme4::lmer(Reaction ~ Days + (Days || Subject), sleep, control = tight)
add("sleepstudy_uncorrelated", m, "Reaction ~ Days + (Days || Subject)", "data/sleepstudy.csv", list("Subject"), list(
  tidy = list(list(options = list(effects = c("ran_pars", "ran_vals", "ran_coefs")), table = rows(tidy(m, effects = c("ran_pars", "ran_vals", "ran_coefs")))))))

# Penicillin: crossed
m <- lme4::lmer(diameter ~ 1 + (1 | plate) + (1 | sample), pen, control = tight)
add("penicillin_crossed", m, "diameter ~ 1 + (1 | plate) + (1 | sample)", "data/penicillin.csv", list(), list(
  tidy = list(
    list(options = list(confInt = TRUE), table = rows(tidy(m, conf.int = TRUE))),
    list(options = list(effects = c("ran_vals", "ran_coefs")), table = rows(tidy(m, effects = c("ran_vals", "ran_coefs"))))
  ),
  augment = aug(m)))

# two grouping factors, a correlated slope on one
m <- lme4::lmer(y ~ x + (1 + x | g) + (1 | h), twof, control = tight)
stopifnot(!isSingular(m))
add("two_factors_slope", m, "y ~ x + (1 + x | g) + (1 | h)", "data/broom_two_factors.csv", list("g", "h"), list(
  tidy = list(
    list(options = list(), table = rows(tidy(m))),
    list(options = list(effects = "ran_pars", scales = "vcov"), table = rows(tidy(m, effects = "ran_pars", scales = "vcov"))),
    list(options = list(effects = c("ran_vals", "ran_coefs")), table = rows(tidy(m, effects = c("ran_vals", "ran_coefs"))))
  ),
  augment = aug(m)))

# cbpp: glmer binomial
# (profile() of a glmer fit changes the fit's reference-class fields in place: ranef, hatvalues and the
# response module read afterwards are wrong, so the profile comes last)
m <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial, control = gtight)
a <- aug(m)
add("cbpp_binomial", m, "cbind(incidence, size - incidence) ~ period + (1 | herd)", "data/cbpp.csv", list("herd", "period"), list(
  tidy = list(
    list(options = list(), table = rows(tidy(m))),
    list(options = list(confInt = TRUE), table = rows(tidy(m, conf.int = TRUE))),
    list(options = list(confInt = TRUE, exponentiate = TRUE), table = rows(tidy(m, conf.int = TRUE, exponentiate = TRUE))),
    list(options = list(effects = c("ran_vals", "ran_coefs")), table = rows(tidy(m, effects = c("ran_vals", "ran_coefs")))),
    list(options = list(confInt = TRUE, confMethod = "profile"), table = rows(suppressMessages(tidy(m, conf.int = TRUE, conf.method = "profile"))))
  ),
  augment = a))

# prior weights: .weights, .sqrtXwt, .sqrtrwt and the hat values' √W
sw <- rd("sleepstudy_weighted.csv"); sw$Subject <- factor(sw$Subject)
m <- lme4::lmer(Reaction ~ Days + (Days | Subject), sw, weights = w, control = tight)
add("sleepstudy_weighted", m, "Reaction ~ Days + (Days | Subject)", "data/sleepstudy_weighted.csv", list("Subject"), list(
  tidy = list(list(options = list(confInt = TRUE), table = rows(tidy(m, conf.int = TRUE)))),
  augment = aug(m)), weights = "w")

# a Poisson GLMM with an offset: .offset, .fixed and .fitted include it
m <- glmer(incidence ~ period + offset(log(size)) + (1 | herd), cbpp, family = poisson, control = gtight)
a <- aug(m)
add("cbpp_poisson_offset", m, "incidence ~ period + offset(log(size)) + (1 | herd)", "data/cbpp.csv", list("herd", "period"), list(
  tidy = list(list(options = list(confInt = TRUE, exponentiate = TRUE), table = rows(tidy(m, conf.int = TRUE, exponentiate = TRUE)))),
  augment = a))

# a Gamma GLMM (a family with a scale): ran_pars's Residual row, glance's sigma, the Cook's distances' σ̂²
# glmer's own optimum of a Gamma model is off the exact Laplace optimum by ~1e-6 (its PIRLS lag), so the
# model is evaluated, not optimized, at the exact optimum of test/oracle/gamma.R (nloptwrap on the
# refreshed Laplace deviance: test/fixtures/gamma/gamma_log.json's `tight`): an optimizer that returns its start
gl <- read.csv(file.path(dataDir, "..", "gamma", "gamma_log.csv")); gl$g <- factor(gl$g)
exact <- fromJSON(file.path(dataDir, "..", "gamma", "gamma_log.json"))$tight
at_start <- function(par, fn, lower, upper, control) list(par = par, fval = fn(par), conv = 0, message = "evaluated at the start")
m <- glmer(y ~ x + (1 | g), gl, family = Gamma(link = "log"), start = list(theta = exact$theta, fixef = unlist(exact$fixef)),
  control = glmerControl(optimizer = at_start, tolPwrss = 1e-12))
a <- aug(m)
add("gamma_log", m, "y ~ x + (1 | g)", "gamma/gamma_log.csv", list("g"), list(
  tidy = list(list(options = list(), table = rows(tidy(m))), list(options = list(effects = "ran_pars", scales = "vcov"), table = rows(tidy(m, effects = "ran_pars", scales = "vcov")))),
  augment = a))

writeLines(toJSON(list(versions = list(lme4 = as.character(packageVersion("lme4")), lmerTest = as.character(packageVersion("lmerTest")),
  broom.mixed = as.character(packageVersion("broom.mixed"))), cases = cases), auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = FALSE), out)
