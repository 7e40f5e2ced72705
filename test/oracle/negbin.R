#!/usr/bin/env Rscript
# References for the negative binomial GLMM (NB2, log link; test/negbin*.test.ts), lme4 1.1-31.
#
# lme4's glmer.nb (R/nbinom.R): a Poisson glmer fit g0; theta0 = MASS::theta.ml(y, fitted(g0),
# limit = 20, eps = 1e-4); a glmer fit with negative.binomial(theta0); then optimize() (Brent's
# fmin) of -2 logLik over log(theta) on log(theta0) +- 3 with tol = 5e-5, each evaluation a refit
# (stage 2 only, from the previous fit), and a final refit at the minimum (optimize's last call).
# Its inner fits carry glmer's PIRLS error (see test/oracle/glmer_tight.R), so the objective it
# minimizes is the Laplace deviance plus up to ~1e-4 of noise that varies with theta.
#
# The "exact" references profile the exact Laplace deviance (exact_laplace.R) over theta:
#   dev_p(theta) = min over (theta_re, beta) of the exact Laplace -2 log L with negative.binomial(theta),
# minimized by optimize() over log(theta) to tol 1e-9. At the optimum: theta_re, beta, Var(beta)
# from the Hessian in (theta_re, beta) with theta fixed (as glmer.nb's vcov), conditional modes.
#
# Cases:
#   grouseticks_nb:  TICKS ~ YEAR + scale(HEIGHT) + (1 | LOCATION)  (lme4's ?glmer.nb example, theta = 2.0522)
#   grouseticks_nb_theta2: the same with theta fixed at 2 (glmer(family = negative.binomial(2)))
#   nbsim: simulated, y ~ x + f + (1 | g) + (1 | h) (60 x 12 crossed levels, size 1.3)
# and, for the README's comparison, glmmTMB(family = nbinom2) fits of both (Laplace with the exact
# Hessian of the joint log-density, where lme4 uses the expected information mu / (1 + mu / theta)).
# Unit references: R's optimize() evaluation sequences, MASS::theta.ml, digamma, trigamma, and
# the negative.binomial family's aic / dev.resids / variance.
# Usage (from the repository root): Rscript test/oracle/negbin.R
# Writes test/fixtures/negbin/*.{csv,json}.
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
source(file.path(here, "exact_laplace.R"))
suppressMessages({ library(MASS); library(glmmTMB) })
out <- file.path(root, "test/fixtures/negbin")
dir.create(out, showWarnings = FALSE, recursive = TRUE)

ranef_rows <- function(reTrms, b) {
  lapply(seq_along(reTrms$cnms), function(i) {
    g <- names(reTrms$cnms)[i]; rows <- (reTrms$Gp[i] + 1):reTrms$Gp[i + 1]
    list(group = g, levels = levels(reTrms$flist[[g]]), values = list(`(Intercept)` = b[rows]))
  })
}

# the exact Laplace optimum at a fixed NB size theta (modular glmer: stage 1, then stage 2 exactly)
nb_exact_fit <- function(fo, data, theta, start = NULL) {
  gf <- glFormula(fo, data = data, family = negative.binomial(theta = theta))
  dev <- do.call(mkGlmerDevfun, c(gf, list(nAGQ = 0L, control = glmerControl(tolPwrss = 1e-12))))
  o1 <- optimizeGlmer(dev, stage = 1)
  rho <- environment(dev)
  exact0 <- exact_devfun(dev, 0L)
  th1 <- as.numeric(o1$par)
  obj0 <- lapply(list(th1, th1 * 0.5, th1 + 0.5), function(t) list(theta = I(t), value = exact0(t)))
  exact0(th1)
  beta1 <- as.numeric(rho$pp$beta(1))
  dev <- updateGlmerDevfun(dev, gf$reTrms, nAGQ = 1L)
  exact <- exact_devfun(dev, 1L)
  st <- if (is.null(start)) list(theta = th1, beta = beta1) else start
  xo <- exact_optimum(exact, st$theta, st$beta, gf$reTrms$lower)
  list(xo = xo, exact = exact, exact0 = exact0, obj0 = obj0, gf = gf, rho = environment(dev))
}

nb_record <- function(fit, theta_nb, names_beta) {
  xo <- fit$xo; nth <- length(xo$theta)
  fit$exact(c(xo$theta, xo$beta))
  b <- as.numeric(fit$rho$pp$b(1))
  th <- xo$theta; be <- xo$beta
  pts <- list(c(th, be), c(th * 0.8, be + 0.1), c(th + 0.3, be - 0.05 * seq_along(be)))
  list(nb_size = theta_nb, theta = I(th), theta_names = I(paste0(names(fit$gf$reTrms$cnms), ".(Intercept)")),
       fixef = as.list(setNames(be, names_beta)), vcov = xo$vcov, se = as.list(setNames(sqrt(diag(xo$vcov)), names_beta)),
       deviance_laplace = xo$value, loglik = -xo$value / 2, df = nth + length(be) + 1,
       aic = xo$value + 2 * (nth + length(be) + 1), gradient = I(xo$gradient),
       ranef = ranef_rows(fit$gf$reTrms, b),
       objective_at = lapply(pts, function(x) list(theta = I(x[seq_len(nth)]), beta = I(x[-seq_len(nth)]), value = fit$exact(x))),
       objective0_at = fit$obj0)
}

nb_case <- function(name, datafile, formula, factors, data) {
  fo <- as.formula(formula)
  t0 <- proc.time()[["elapsed"]]
  tr <- capture.output(m <- glmer.nb(fo, data = data, verbose = TRUE))
  t_glmer_nb <- proc.time()[["elapsed"]] - t0
  g0 <- suppressMessages(glmer(fo, data = data, family = poisson))
  theta0 <- lme4:::est_theta(g0, limit = 20, eps = 2 * 5e-5)
  nbs <- getME(m, "glmer.nb.theta")
  default <- list(nb_size = nbs, theta0 = as.numeric(theta0), nevals = attr(m, "nevals"), time_s = t_glmer_nb,
                  theta = I(as.numeric(getME(m, "theta"))), fixef = named(fixef(m)),
                  se = named(sqrt(diag(as.matrix(vcov(m))))), deviance_laplace = as.numeric(-2 * logLik(m)),
                  aic = AIC(m), bic = BIC(m), df = attr(logLik(m), "df"), trace = I(tr),
                  ranef = lapply(names(ranef(m)), function(g) list(group = g, levels = rownames(ranef(m)[[g]]), values = list(`(Intercept)` = ranef(m)[[g]][[1]]))))
  # the exact profile over log(theta), warm-starting each fit from the last
  last <- NULL
  prof <- function(t) {
    f <- nb_exact_fit(fo, data, exp(t), last)
    last <<- list(theta = f$xo$theta, beta = f$xo$beta)
    f$xo$value
  }
  t1 <- proc.time()[["elapsed"]]
  o <- optimize(prof, interval = log(nbs) + c(-0.3, 0.3), tol = 1e-9)
  nb_star <- exp(o$minimum)
  fit <- nb_exact_fit(fo, data, nb_star, last)
  exact_rec <- nb_record(fit, nb_star, names(fixef(m)))
  exact_rec$time_s <- proc.time()[["elapsed"]] - t1
  # the exact deviance at glmer.nb's own (theta_nb, theta, beta)
  at_default <- nb_exact_fit(fo, data, nbs, NULL)
  default$exact_at_default <- at_default$exact(c(default$theta, unlist(default$fixef)))
  # glmmTMB's nbinom2 (exact-Hessian Laplace)
  tt <- proc.time()[["elapsed"]]
  mt <- glmmTMB(fo, data = data, family = nbinom2)
  tmb <- list(nb_size = sigma(mt), fixef = named(fixef(mt)$cond), se = named(sqrt(diag(vcov(mt)$cond))),
              deviance = as.numeric(-2 * logLik(mt)), sd = lapply(VarCorr(mt)$cond, function(v) as.numeric(attr(v, "stddev"))),
              glmmTMB = as.character(packageVersion("glmmTMB")), time_s = proc.time()[["elapsed"]] - tt)
  list(name = name, data = datafile, formula = formula, factors = I(factors), family = "negative.binomial", link = "log",
       R = R.version.string, lme4 = as.character(packageVersion("lme4")), MASS = as.character(packageVersion("MASS")),
       glmer_nb = default, exact = exact_rec, glmmTMB = tmb)
}

# ---- grouseticks -------------------------------------------------------------------------------
gt <- read.csv(file.path(root, "test/fixtures/data/grouseticks.csv"))
for (f in c("YEAR", "LOCATION", "BROOD")) gt[[f]] <- factor(gt[[f]])
g1 <- nb_case("grouseticks_nb", "../data/grouseticks.csv", "TICKS ~ YEAR + scale(HEIGHT) + (1 | LOCATION)", c("YEAR", "LOCATION", "BROOD"), gt)
write_json_file(g1, file.path(out, "grouseticks_nb.json"))
cat("grouseticks glmer.nb theta", format(g1$glmer_nb$nb_size, digits = 10), "exact", format(g1$exact$nb_size, digits = 10),
    "-2ll", format(g1$glmer_nb$deviance_laplace, digits = 12), format(g1$exact$deviance_laplace, digits = 12), "\n")

# theta fixed at 2: glmer(family = negative.binomial(2)), default and exact
fo <- TICKS ~ YEAR + scale(HEIGHT) + (1 | LOCATION)
m2 <- glmer(fo, data = gt, family = negative.binomial(theta = 2))
f2 <- nb_exact_fit(fo, gt, 2)
rec2 <- nb_record(f2, 2, names(fixef(m2)))
write_json_file(c(list(name = "grouseticks_nb_theta2", data = "../data/grouseticks.csv", formula = deparse(fo), factors = I(c("YEAR", "LOCATION", "BROOD")),
                       family = "negative.binomial", link = "log", R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                       default_fit = list(deviance_laplace = as.numeric(-2 * logLik(m2)), theta = I(as.numeric(getME(m2, "theta"))),
                                          fixef = named(fixef(m2)), se = named(sqrt(diag(as.matrix(vcov(m2))))))),
                  list(exact = rec2)), file.path(out, "grouseticks_nb_theta2.json"))

# ---- simulated -----------------------------------------------------------------------------------
set.seed(31337)
n <- 1200
sim <- data.frame(g = sprintf("g%02d", sample(60, n, replace = TRUE)), h = sprintf("h%02d", sample(12, n, replace = TRUE)),
                  x = round(rnorm(n), 4), f = sample(c("a", "b"), n, replace = TRUE))
bg <- setNames(rnorm(60, sd = 0.6), sprintf("g%02d", 1:60)); bh <- setNames(rnorm(12, sd = 0.4), sprintf("h%02d", 1:12))
mu <- exp(0.4 + 0.5 * sim$x - 0.3 * (sim$f == "b") + bg[sim$g] + bh[sim$h])
sim$y <- rnbinom(n, size = 1.3, mu = mu)
write.csv(sim, file.path(out, "nbsim.csv"), row.names = FALSE)
for (f in c("g", "h", "f")) sim[[f]] <- factor(sim[[f]])
s1 <- nb_case("nbsim", "nbsim.csv", "y ~ x + f + (1 | g) + (1 | h)", c("g", "h"), sim)
write_json_file(s1, file.path(out, "nbsim.json"))
cat("nbsim glmer.nb theta", format(s1$glmer_nb$nb_size, digits = 10), "exact", format(s1$exact$nb_size, digits = 10),
    "-2ll", format(s1$glmer_nb$deviance_laplace, digits = 12), format(s1$exact$deviance_laplace, digits = 12), "\n")

# ---- unit references -----------------------------------------------------------------------------
fmin_case <- function(label, f, lower, upper, tol) {
  xs <- numeric(0)
  g <- function(x) { xs <<- c(xs, x); f(x) }
  o <- optimize(g, c(lower, upper), tol = tol)
  list(label = label, lower = lower, upper = upper, tol = tol, minimum = o$minimum, objective = o$objective, evals = I(xs))
}
fmins <- list(
  fmin_case("(x - 1/3)^2", function(x) (x - 1 / 3)^2, 0, 1, .Machine$double.eps^0.25),
  fmin_case("sin(x) + cos(3x)", function(x) sin(x) + cos(3 * x), 0, 5, 1e-8),
  fmin_case("|x - 0.7|", function(x) abs(x - 0.7), -1, 2, 1e-5),
  fmin_case("exp(x) - 3x", function(x) exp(x) - 3 * x, -3, 3, 5e-5),
  fmin_case("x^4 - x", function(x) x^4 - x, -2, 0.2, 1e-6))
# theta.ml on grouseticks counts with the fitted means of a Poisson glm
pg <- glm(TICKS ~ YEAR + HEIGHT, family = poisson, data = gt)
yv <- gt$TICKS; mv <- as.numeric(fitted(pg)); wv <- 1 + (seq_along(yv) %% 3) / 2
tml <- list(
  list(limit = 20, eps = 1e-4, weights = NULL, value = as.numeric(theta.ml(yv, mv, limit = 20, eps = 1e-4)),
       se = attr(theta.ml(yv, mv, limit = 20, eps = 1e-4), "SE")),
  list(limit = 10, eps = .Machine$double.eps^0.25, weights = NULL, value = as.numeric(theta.ml(yv, mv)), se = attr(theta.ml(yv, mv), "SE")),
  list(limit = 20, eps = 1e-4, weights = I(wv), value = as.numeric(theta.ml(yv, mv, weights = wv, limit = 20, eps = 1e-4)),
       se = attr(theta.ml(yv, mv, weights = wv, limit = 20, eps = 1e-4), "SE")))
xs <- c(1e-3, 0.1, 0.5, 1, 1.5, 2.5, 3.25, 7.3, 15, 40.5, 123.4, 1e4)
fam <- negative.binomial(theta = 1.7)
yy <- c(0, 1, 3, 10, 0, 47); mm <- c(0.4, 2.2, 3, 6.5, 1e-3, 30)
unit <- list(fmin = fmins, theta_ml = list(y = I(yv), mu = I(mv), cases = tml),
             digamma = list(x = I(xs), value = I(digamma(xs))), trigamma = list(x = I(xs), value = I(trigamma(xs))),
             family = list(theta = 1.7, y = I(yy), mu = I(mm), variance = I(fam$variance(mm)), dev_resids = I(fam$dev.resids(yy, mm, rep(1, 6))),
                           aic = fam$aic(yy, rep(1, 6), mm, rep(1, 6), 0), mustart = I(yy + (yy == 0) / 6),
                           lgamma = list(x = I(c(1.7, 48.7, 1e-3, 0.5, 1234.5)), value = I(lgamma(c(1.7, 48.7, 1e-3, 0.5, 1234.5))))))
write_json_file(unit, file.path(out, "unit.json"))
