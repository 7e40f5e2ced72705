#!/usr/bin/env Rscript
# Nakagawa's R2 and the ICC (performance 0.10.2's r2_nakagawa() and icc(), on insight 0.19.0's
# get_variance()) for lmer and glmer fits, for test/r2.test.ts.
#
# Each case records, for lme4's default fit: its theta, beta, sigma (and for Poisson and the
# negative binomial the intercept of insight's null model, the refit with the fixed part reduced to
# an intercept), get_variance(), r2_nakagawa(), icc(), icc(by_group = TRUE), their warnings and
# printouts. The test evaluates our formulas at these (theta, beta, sigma, null intercept): the
# variance components alone, no optimizer.
# Then the same at the optimum our fit reaches: lmer refitted to tight tolerances; glmer at the exact
# Laplace deviance's optimum (exact_laplace.R: glmer's PIRLS stops early), the fit object's theta,
# beta (and a Gamma fit's sigma) replaced by it, and insight's null model replaced by the exact
# optimum of the null model, so that performance itself computes the reference (the nAGQ = 5 fit:
# glmer with tolPwrss = 1e-13 and a tight optimizer, and insight's own null model of it).
# Writes the simulated data beside the expectations.
# Usage (from the repository root):
#   Rscript test/oracle/r2_nakagawa.R test/fixtures/data test/fixtures/r2
# Needs: lme4 1.1-31, performance 0.10.2, insight 0.19.0, jsonlite.
suppressMessages({ library(lme4); library(jsonlite); library(performance); library(insight) })
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(here, "exact_laplace.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
stopifnot(packageVersion("performance") == "0.10.2", packageVersion("insight") == "0.19.0")

rd <- function(f) read.csv(file.path(dataDir, f))
ss <- rd("sleepstudy.csv"); ss$Subject <- factor(ss$Subject)
ssw <- rd("sleepstudy_weighted.csv"); ssw$Subject <- factor(ssw$Subject)
ssd <- rd("sleepstudy_design.csv"); ssd$Subject <- factor(ssd$Subject)
pen <- rd("penicillin.csv"); pas <- rd("pastes.csv"); dy2 <- rd("dyestuff2.csv")
cb <- rd("cbpp.csv"); cb$herd <- factor(cb$herd); cb$period <- factor(cb$period)
cbo <- cb; cbo$obs <- sprintf("o%02d", seq_len(nrow(cbo)))
write.csv(data.frame(herd = as.character(cbo$herd), incidence = cbo$incidence, size = cbo$size, period = as.character(cbo$period), obs = cbo$obs),
          file.path(out, "cbpp_obs.csv"), row.names = FALSE)
cbo$obs <- factor(cbo$obs)
gt <- rd("grouseticks.csv"); for (v in c("BROOD", "LOCATION", "YEAR")) gt[[v]] <- factor(gt[[v]])

# a Poisson GLMM with a random slope, counts around 8 (insight's mu above 6: no warning)
set.seed(20261206)
ng <- 25; nper <- 12
g <- rep(sprintf("g%02d", 1:ng), each = nper)
x <- round(runif(ng * nper, -1, 1), 3)
b0 <- rnorm(ng, 0, 0.35); b1 <- rnorm(ng, 0, 0.25)
count <- rpois(ng * nper, exp(2 + 0.4 * x + b0[as.integer(factor(g))] + b1[as.integer(factor(g))] * x))
pois <- data.frame(count, x, g)
write.csv(pois, file.path(out, "poisson_slopes.csv"), row.names = FALSE)

# a Gamma GLMM (log link) with a random intercept
set.seed(20261207)
ng <- 20; nper <- 10
g <- rep(sprintf("h%02d", 1:ng), each = nper)
x <- round(rnorm(ng * nper), 3)
b <- rnorm(ng, 0, 0.3)
mu <- exp(1 + 0.5 * x + b[as.integer(factor(g))])
y <- round(rgamma(ng * nper, shape = 4, rate = 4 / mu), 4)
gam <- data.frame(y, x, g)
write.csv(gam, file.path(out, "gamma_log.csv"), row.names = FALSE)

cases <- list(
  list(name = "sleepstudy_slopes", data = "sleepstudy.csv", factors = "Subject", formula = "Reaction ~ Days + (Days | Subject)", d = ss),
  list(name = "sleepstudy_intercept", data = "sleepstudy.csv", factors = "Subject", formula = "Reaction ~ Days + (1 | Subject)", d = ss),
  list(name = "sleepstudy_intercept_ml", data = "sleepstudy.csv", factors = "Subject", formula = "Reaction ~ Days + (1 | Subject)", d = ss, reml = FALSE),
  list(name = "sleepstudy_slope_not_fixed", data = "sleepstudy.csv", factors = "Subject", formula = "Reaction ~ 1 + (Days | Subject)", d = ss),
  list(name = "sleepstudy_uncorrelated", data = "sleepstudy.csv", factors = "Subject", formula = "Reaction ~ Days + (Days || Subject)", d = ss, refused = TRUE),
  list(name = "sleepstudy_weighted", data = "sleepstudy_weighted.csv", factors = "Subject", formula = "Reaction ~ Days + (Days | Subject)", d = ssw, weights = "w"),
  # a factor's column as a random slope (insight matches it to X's column by name) and a fixed factor
  list(name = "sleepstudy_factor_slope", data = "sleepstudy_design.csv", factors = "Subject", formula = "Reaction ~ Days + grp + phase + (1 + phase | Subject)", d = ssd),
  list(name = "penicillin", data = "penicillin.csv", formula = "diameter ~ 1 + (1 | plate) + (1 | sample)", d = pen),
  list(name = "pastes", data = "pastes.csv", formula = "strength ~ 1 + (1 | batch/cask)", d = pas),
  list(name = "dyestuff2_singular", data = "dyestuff2.csv", formula = "Yield ~ 1 + (1 | Batch)", d = dy2),
  list(name = "cbpp_logit", data = "cbpp.csv", factors = c("herd", "period"), formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", d = cb, family = "binomial", link = "logit"),
  list(name = "cbpp_probit", data = "cbpp.csv", factors = c("herd", "period"), formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", d = cb, family = "binomial", link = "probit"),
  list(name = "cbpp_cloglog", data = "cbpp.csv", factors = c("herd", "period"), formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", d = cb, family = "binomial", link = "cloglog"),
  # no intercept in X: insight adds a column of 1 for the random intercept's variance
  list(name = "cbpp_no_intercept", data = "cbpp.csv", factors = c("herd", "period"), formula = "cbind(incidence, size - incidence) ~ 0 + period + (1 | herd)", d = cb, family = "binomial", link = "logit"),
  list(name = "cbpp_observation_level", data = "r2/cbpp_obs.csv", factors = c("herd", "period"), formula = "cbind(incidence, size - incidence) ~ period + (1 | herd) + (1 | obs)", d = cbo, family = "binomial", link = "logit"),
  list(name = "grouseticks_poisson", data = "grouseticks.csv", factors = c("BROOD", "LOCATION", "YEAR"), formula = "TICKS ~ YEAR + cHEIGHT + (1 | BROOD) + (1 | LOCATION)", d = gt, family = "poisson", link = "log"),
  list(name = "poisson_slopes", data = "r2/poisson_slopes.csv", formula = "count ~ x + (x | g)", d = pois, family = "poisson", link = "log"),
  # nAGQ = 5: insight's null model is refitted with the fit's nAGQ (R's update keeps it)
  list(name = "grouseticks_poisson_agq", data = "grouseticks.csv", factors = c("LOCATION", "YEAR"), formula = "TICKS ~ YEAR + cHEIGHT + (1 | LOCATION)", d = gt, family = "poisson", link = "log", nAGQ = 5L),
  list(name = "grouseticks_negbin", data = "grouseticks.csv", factors = c("LOCATION", "YEAR"), formula = "TICKS ~ YEAR + cHEIGHT + (1 | LOCATION)", d = gt, family = "negative.binomial", link = "log"),
  list(name = "gamma_log", data = "r2/gamma_log.csv", formula = "y ~ x + (1 | g)", d = gam, family = "Gamma", link = "log")
)

# a call's value, its warnings and what it printed (insight's print_color writes to stdout)
run <- function(expr) {
  w <- character()
  printed <- capture.output(val <- withCallingHandlers(expr, warning = function(c) { w <<- c(w, conditionMessage(c)); invokeRestart("muffleWarning") }))
  list(value = val, warnings = w, printed = printed)
}
num <- function(v) if (is.null(v) || (length(v) == 1 && is.na(v))) NULL else as.numeric(v)
named_num <- function(v) if (is.null(v)) NULL else as.list(setNames(as.numeric(v), names(v)))

# what performance and insight give for a fit
performance_of <- function(m) {
  gv <- run(insight::get_variance(m))
  r2 <- run(r2_nakagawa(m))
  ic <- run(icc(m))
  ig <- run(icc(m, by_group = TRUE))
  v <- gv$value
  list(
    get_variance = list(var_fixed = num(v$var.fixed), var_random = num(v$var.random), var_residual = num(v$var.residual),
                        var_distribution = num(v$var.distribution), var_dispersion = num(v$var.dispersion),
                        var_intercept = named_num(v$var.intercept), var_slope = named_num(v$var.slope)),
    get_variance_warnings = gv$warnings,
    r2 = if (is.list(r2$value)) list(conditional = num(r2$value$R2_conditional), marginal = num(r2$value$R2_marginal)) else NULL,
    r2_warnings = r2$warnings, r2_printed = r2$printed,
    r2_print = if (is.list(r2$value)) capture.output(print(r2$value)) else NULL,
    icc = if (is.data.frame(ic$value)) list(adjusted = ic$value$ICC_adjusted, unadjusted = ic$value$ICC_unadjusted) else NULL,
    icc_warnings = ic$warnings, icc_printed = ic$printed,
    icc_print = if (is.data.frame(ic$value)) capture.output(print(ic$value)) else NULL,
    icc_by_group = if (is.data.frame(ig$value)) lapply(seq_len(nrow(ig$value)), function(i) list(group = ig$value$Group[i], icc = ig$value$ICC[i])) else NULL,
    icc_by_group_warnings = ig$warnings,
    icc_by_group_print = if (is.data.frame(ig$value)) capture.output(print(ig$value)) else NULL
  )
}
estimates <- function(m) list(theta = I(as.numeric(getME(m, "theta"))), beta = named(fixef(m)), sigma = sigma(m),
                              criterion = if (!is.null(attr(m, "exact_deviance"))) attr(m, "exact_deviance") else if (isREML(m)) REMLcrit(m) else deviance(m))

# the fit object moved to the exact Laplace optimum (theta, beta; a Gamma fit's sigma)
# (robust: where lme4's PIRLS fails at a trial point of BOBYQA, Nelder-Mead with such points as +Inf)
at_exact <- function(m, robust = FALSE) {
  dev <- update(m, devFunOnly = TRUE)
  ex <- exact_devfun(dev)
  xo <- if (!robust) exact_optimum(ex, getME(m, "theta"), fixef(m), getME(m, "lower")) else {
    # BOBYQA stalls beside the failing points (2020.86104915 for the negative binomial's null
    # model, where Nelder-Mead reaches 2020.86103365): Nelder-Mead to a tight relative tolerance
    th0 <- getME(m, "theta"); nth <- length(th0)
    o <- optim(c(th0, fixef(m)), function(x) tryCatch(ex(x), error = function(e) Inf), method = "Nelder-Mead",
               control = list(reltol = 1e-15, maxit = 5000))
    list(theta = o$par[seq_len(nth)], beta = o$par[-seq_len(nth)], value = o$value)
  }
  ex(c(xo$theta, xo$beta))
  rho <- environment(dev)
  m2 <- m
  m2@theta <- xo$theta
  m2@beta <- xo$beta
  if (getME(m, "devcomp")$dims[["useSc"]]) m2@devcomp$cmp[["sigmaML"]] <- sqrt((rho$resp$wrss() + rho$pp$sqrL(1)) / nobs(m))
  attr(m2, "exact_deviance") <- xo$value
  m2
}

original_null_model <- insight::null_model
res <- list()
for (cs in cases) {
  d <- cs$d
  fo <- as.formula(cs$formula)
  reml <- if (is.null(cs$reml)) TRUE else cs$reml
  fam <- cs$family
  nb_theta <- NULL
  if (is.null(fam)) {
    m <- if (is.null(cs$weights)) lmer(fo, d, REML = reml) else lmer(fo, d, REML = reml, weights = d[[cs$weights]])
    mt <- if (is.null(cs$weights)) lmer(fo, d, REML = reml, control = lmerControl(optimizer = "nloptwrap", optCtrl = TIGHT_LMER))
          else lmer(fo, d, REML = reml, weights = d[[cs$weights]], control = lmerControl(optimizer = "nloptwrap", optCtrl = TIGHT_LMER))
  } else {
    nAGQ <- if (is.null(cs$nAGQ)) 1L else cs$nAGQ
    m <- if (fam == "negative.binomial") glmer.nb(fo, d) else glmer(fo, d, family = get(fam)(link = cs$link), nAGQ = nAGQ)
    if (fam == "negative.binomial") nb_theta <- getME(m, "glmer.nb.theta")
    # lme4's PIRLS can fail at a trial point of the exact optimization (the negative binomial
    # here): then the reference at our optimum is lme4's default fit (tight = FALSE)
    # (adaptive Gauss-Hermite fits, whose deviance exact_devfun does not settle: glmer with PIRLS
    # and the optimizer to tight tolerances; insight's null model, an update of it, inherits them)
    mt <- if (nAGQ == 1L) tryCatch(at_exact(m), error = function(e) NULL)
          else glmer(fo, d, family = get(fam)(link = cs$link), nAGQ = nAGQ,
                     control = glmerControl(optimizer = "nloptwrap", optCtrl = TIGHT_NLOPT, tolPwrss = 1e-13))
  }
  exact <- !is.null(mt)
  if (!exact) mt <- m
  e <- estimates(m)
  # insight's null model (Poisson, negative binomial): lme4's default refit, and its exact optimum
  null <- NULL
  if (!is.null(fam) && fam %in% c("poisson", "negative.binomial")) {
    nm <- insight::null_model(m)
    nme <- if (nm@devcomp$dims[["nAGQ"]] != 1L) insight::null_model(mt)
           else tryCatch(at_exact(nm), error = function(e) tryCatch(at_exact(nm, robust = TRUE), error = function(e) NULL))
    null_exact <- !is.null(nme)
    if (!null_exact) nme <- nm
    null <- list(formula = deparse(formula(nm)), beta0 = as.numeric(fixef(nm)), theta = I(as.numeric(getME(nm, "theta"))),
                 nAGQ = nm@devcomp$dims[["nAGQ"]], exact = null_exact, exact_beta0 = as.numeric(fixef(nme)), exact_theta = I(as.numeric(getME(nme, "theta"))))
  }
  ref <- performance_of(m)
  if (!is.null(null)) assignInNamespace("null_model", function(model, verbose = TRUE, ...) nme, "insight")
  tight <- c(estimates(mt), performance_of(mt))
  assignInNamespace("null_model", original_null_model, "insight")
  res[[length(res) + 1]] <- c(list(name = cs$name, data = cs$data, formula = cs$formula, factors = I(if (is.null(cs$factors)) character() else cs$factors),
                                    reml = reml, nAGQ = if (is.null(cs$nAGQ)) 1L else cs$nAGQ, family = if (is.null(fam)) "gaussian" else fam, link = if (is.null(cs$link)) "identity" else cs$link,
                                    weights = cs$weights, tight_is_exact = exact, refused = isTRUE(cs$refused), nb_theta = nb_theta, singular = isSingular(m), nobs = nobs(m),
                                    null_model = null),
                               list(lme4 = c(e, ref), tight = tight))
  cat(cs$name, "R2", format(unlist(ref$r2), digits = 6), "ICC", format(unlist(ref$icc), digits = 6), "\n")
}
writeLines(toJSON(list(R = R.version.string, lme4 = as.character(packageVersion("lme4")), performance = as.character(packageVersion("performance")),
                       insight = as.character(packageVersion("insight")), cases = res),
                  auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), file.path(out, "r2.json"))
