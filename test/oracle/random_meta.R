#!/usr/bin/env Rscript
# Randomized differential references for meta() (test/meta/randomMeta.test.ts): seeded random small
# meta-analyses fitted by metafor, data and results in one JSON file (the data are generated here
# from the seed and stored with the results, so the test never calls R).
# Usage (from the repository root): Rscript test/oracle/random_meta.R
# Writes test/fixtures/meta/random_meta.json.
#
# Cases: k from 3 to 60; heterogeneity from none (τ² = 0, often on the boundary) to large; sampling
# variances equal or spread over up to 6 orders of magnitude; moderators none, numeric, a factor with
# a level that has one study, both; every method (REML ML DL PM HE SJ EB EE) with test z or knha;
# rma.mv with ~ 1 | district/school (REML/ML, z/t, with and without a moderator, districts with one
# school); escalc OR/RR/RD with zero cells, SMD, COR, ZCOR followed by a REML fit.
# Data are rounded to 10 significant digits so that JSON carries them exactly. metafor runs to tight
# tolerances (as test/oracle/metafor.R), so the references are the estimators' exact values.
suppressMessages({ library(metafor); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
out <- file.path(root, "test/fixtures/meta")

set.seed(20261205)
tight <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000)
tight_mv <- list(rel.tol = 1e-12, eval.max = 10000, iter.max = 10000)
sig <- function(x) signif(x, 10)
named <- function(v, nm) as.list(setNames(as.numeric(v), nm))
num <- function(x) if (is.null(x)) NULL else as.numeric(x)

results <- function(r) {
  nm <- rownames(r$beta)
  pr <- predict(r)
  fs <- r$fit.stats
  res <- list(
    k = r$k, p = r$p, method = r$method, test = r$test,
    beta = named(r$beta, nm), se = named(r$se, nm), stat = named(r$zval, nm), pval = named(r$pval, nm),
    ci_lb = named(r$ci.lb, nm), ci_ub = named(r$ci.ub, nm),
    QE = r$QE, QEp = r$QEp, QM = r$QM, QMdf = num(r$QMdf), QMp = r$QMp, ddf = num(r$ddf), s2w = r$s2w,
    fit_stats = list(ML = named(fs$ML, rownames(fs)), REML = named(fs$REML, rownames(fs))),
    predict = list(pred = num(pr$pred), se = num(pr$se), ci_lb = num(pr$ci.lb), ci_ub = num(pr$ci.ub),
                   pi_lb = num(pr$pi.lb), pi_ub = num(pr$pi.ub)),
    weights = as.numeric(weights(r)))
  if (inherits(r, "rma.mv")) {
    res$sigma2 <- as.numeric(r$sigma2)
    res$s_nlevels <- as.numeric(r$s.nlevels)
  } else {
    res$tau2 <- r$tau2; res$se_tau2 <- r$se.tau2; res$I2 <- r$I2; res$H2 <- r$H2
    res$R2 <- if (is.null(r$R2)) NULL else r$R2
  }
  res
}

# sampling variances: a base scale times a spread of `ratio` (log-uniform), or all equal
# AIC, BIC and AICc of `res` (results() of the fit `at`) recounted with np estimated parameters (a fit
# at a fixed τ² or σ², which metafor counts without them)
with_parameters <- function(res, at, np) {
  for (col in c("ML", "REML")) {
    ll <- res$fit_stats[[col]]$ll
    kk <- if (col == "REML") at$k - at$p else at$k
    res$fit_stats[[col]]$AIC <- -2 * ll + 2 * np
    res$fit_stats[[col]]$BIC <- -2 * ll + np * log(kk)
    res$fit_stats[[col]]$AICc <- -2 * ll + 2 * np * max(kk, np + 2) / (max(kk, np + 2) - np - 1)
  }
  res
}

gen_vi <- function(k) {
  base <- 10^runif(1, -3, 0)
  ratio <- sample(c(1, 10, 1e3, 1e6), 1)
  sig(base * ratio^runif(k))
}
# a factor with levels a, b, c where one level (randomly b or c) has exactly one study
gen_factor <- function(k) {
  g <- sample(c("a", "b"), k, replace = TRUE)
  g[sample(k, 2)] <- c("a", "b")     # both a and b present
  one <- sample(k, 1)
  while (g[one] == "a" && sum(g == "a") == 1) one <- sample(k, 1)
  if (g[one] == "b" && sum(g == "b") == 1) g[setdiff(which(g == "a"), one)[1]] <- "b"
  g[one] <- "c"
  g
}

cases <- list()
add_case <- function(case) cases[[length(cases) + 1]] <<- case
fit_or_error <- function(expr) tryCatch(expr, error = function(e) structure(list(msg = conditionMessage(e)), class = "fit_error"))

# ------------------------------------------------------------------ univariate
methods <- c("REML", "ML", "DL", "PM", "HE", "SJ", "EB", "EE")
ks <- c(3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60)
modsets <- c("1", "x", "g", "x + g")
n_uni <- 0
for (i in 1:160) {
  k <- sample(ks, 1)
  mods <- sample(modsets, 1)
  p <- switch(mods, "1" = 1, "x" = 2, "g" = 3, "x + g" = 4)
  if (k - p < 1) { mods <- "1"; p <- 1 }
  method <- methods[(i - 1) %% length(methods) + 1]
  test <- if (method == "EE") "z" else sample(c("z", "knha"), 1)
  vi <- gen_vi(k)
  tau2 <- sample(c(0, 0, 0.1, 1, 10), 1) * median(vi)
  x <- sig(rnorm(k, 0, sample(c(1, 10, 0.01), 1)))
  g <- gen_factor(k)
  eff <- c(a = 0, b = 0.3, c = -0.5)[g] * sample(c(0, 1), 1)
  yi <- sig(0.2 + 0.1 * x * sample(c(0, 1), 1) + eff + rnorm(k, 0, sqrt(tau2 + vi)))
  dat <- data.frame(yi = yi, vi = vi, x = x, g = g, stringsAsFactors = FALSE)
  f <- as.formula(paste("~", mods))
  r <- fit_or_error(if (mods == "1") rma(yi, vi, data = dat, method = method, test = test, control = tight)
                    else rma(yi, vi, mods = f, data = dat, method = method, test = test, control = tight))
  if (inherits(r, "fit_error")) {
    # Fisher scoring may oscillate: metafor's own remedy, step halving
    r <- fit_or_error(if (mods == "1") rma(yi, vi, data = dat, method = method, test = test, control = c(tight, stepadj = 0.5))
                      else rma(yi, vi, mods = f, data = dat, method = method, test = test, control = c(tight, stepadj = 0.5)))
  }
  if (inherits(r, "fit_error") && method %in% c("REML", "ML")) {
    # Fisher scoring fails even with step halving: maximize metafor's log-likelihood at fixed τ²
    # (rma(tau2 = ...)) over τ ≥ 0 by nlminb, and count τ² in AIC/BIC/AICc as an estimated parameter
    fix <- function(t2) if (mods == "1") rma(yi, vi, data = dat, method = method, test = test, tau2 = t2)
                        else rma(yi, vi, mods = f, data = dat, method = method, test = test, tau2 = t2)
    pol <- nlminb(sqrt(var(yi)), function(s) -as.numeric(logLik(fix(s^2))), lower = 0,
                  control = list(rel.tol = 1e-15, x.tol = 1e-15, eval.max = 5000, iter.max = 5000))
    at <- fix(pol$par^2)
    polished <- results(at)
    polished <- with_parameters(polished, at, at$p + 1)
    polished$polished <- TRUE
  } else polished <- NULL
  case <- list(name = sprintf("uni%03d", i), kind = "rma.uni", method = method, test = test, mods = mods,
               data = as.list(dat))
  if (!is.null(polished)) case$ref <- polished
  else if (inherits(r, "fit_error")) case$error <- r$msg else case$ref <- results(r)
  if (!is.null(case$ref)) {
    # QE by a QR decomposition (lm.wfit), independent of metafor's (X'WX)^-1: metafor's loses digits
    # when X'WX is ill-conditioned (see the test)
    X <- model.matrix(f, dat)
    q <- lm.wfit(X, yi, 1 / vi)
    case$ref$QE_qr <- sum(q$residuals^2 / vi)
    case$ref$QEp_qr <- pchisq(case$ref$QE_qr, df = k - ncol(X), lower.tail = FALSE)
    # τ² without moderators (metafor's R² = (τ²_0 − τ²)/τ²_0 and 0 when τ²_0 is exactly 0)
    if (mods != "1" && method != "EE")
      case$ref$tau2_null <- fit_or_error(rma(yi, vi, data = dat, method = method, control = tight))$tau2
  }
  add_case(case)
}

# ------------------------------------------------------------------ multilevel (rma.mv)
for (i in 1:24) {
  nd <- sample(3:10, 1)
  ns <- sample(1:5, nd, replace = TRUE)
  if (i %% 6 == 0) ns <- rep(1, nd)   # one school per district: the two levels confounded
  district <- rep(seq_len(nd), ns)
  school <- unlist(lapply(ns, seq_len))
  k <- length(district)
  if (k < 4) { district <- c(district, nd); school <- c(school, max(school[district == nd]) + 1); k <- k + 1 }
  vi <- gen_vi(k)
  s2 <- sample(c(0, 0.05, 0.5), 2, replace = TRUE) * median(vi) * sample(c(1, 10), 1)
  ud <- rnorm(nd, 0, sqrt(s2[1]))[district]
  us <- rnorm(k, 0, sqrt(s2[2]))
  x <- sig(rnorm(k))
  yi <- sig(0.1 + ud + us + rnorm(k, 0, sqrt(vi)))
  method <- sample(c("REML", "ML"), 1)
  test <- sample(c("z", "t"), 1)
  mods <- if (k >= 6) sample(c("1", "x"), 1) else "1"
  dat <- data.frame(yi = yi, vi = vi, x = x, district = district, school = school)
  r <- fit_or_error(if (mods == "1") rma.mv(yi, vi, random = ~ 1 | district/school, data = dat, method = method, test = test, control = tight_mv)
                    else rma.mv(yi, vi, mods = ~ x, random = ~ 1 | district/school, data = dat, method = method, test = test, control = tight_mv))
  fitmv <- function(s2 = NULL, ctrl = tight_mv) {
    if (mods == "1") rma.mv(yi, vi, random = ~ 1 | district/school, data = dat, method = method, test = test, sigma2 = s2, control = ctrl)
    else rma.mv(yi, vi, mods = ~ x, random = ~ 1 | district/school, data = dat, method = method, test = test, sigma2 = s2, control = ctrl)
  }
  if (inherits(r, "fit_error")) {
    # nlminb cannot reach rel.tol 1e-12 when a σ² heads for 0 (metafor optimizes log σ²): its default tolerance
    r <- fit_or_error(if (mods == "1") rma.mv(yi, vi, random = ~ 1 | district/school, data = dat, method = method, test = test)
                      else rma.mv(yi, vi, mods = ~ x, random = ~ 1 | district/school, data = dat, method = method, test = test))
    control <- "default"
  } else control <- "tight"
  case <- list(name = sprintf("mv%03d", i), kind = "rma.mv", method = method, test = test, mods = mods,
               random = "~ 1 | district/school", control = control, data = as.list(dat))
  if (inherits(r, "fit_error")) r <- fit_or_error(fitmv(c(0.1, 0.1) * median(vi), list()))   # start only
  if (inherits(r, "fit_error")) case$error <- r$msg else {
    # polish: metafor's log σ² parametrization cannot land on σ² = 0, and its nlminb stops early there.
    # Maximize metafor's own log-likelihood at fixed σ² (rma.mv(sigma2 = ...)) over σ ≥ 0 by nlminb
    # from metafor's estimate; keep whichever of the two is higher.
    negll <- function(s) -as.numeric(logLik(fitmv(s^2)))
    start <- sqrt(pmax(as.numeric(r$sigma2), 0))
    pol <- nlminb(start, negll, lower = 0, control = list(rel.tol = 1e-15, x.tol = 1e-15, eval.max = 5000, iter.max = 5000))
    # in σ the boundary is flat to first order (dℓ/dσ = 2σ dℓ/dσ²), so nlminb stops at σ ≈ 1e-5:
    # a component below 1e-6 × the median v_i is set to exactly 0 where that is no worse
    for (l in 1:2) if (pol$par[l]^2 < 1e-6 * median(vi)) {
      s0 <- pol$par; s0[l] <- 0
      if (negll(s0) <= pol$objective) { pol$par <- s0; pol$objective <- negll(s0) }
    }
    ref <- if (is.null(r$fit.stats)) NULL else results(r)
    if (is.null(ref) || -pol$objective > as.numeric(logLik(r))) {
      at <- fitmv(pol$par^2)
      ref2 <- results(at)
      # the fixed-σ² fit counts no variance parameters: AIC/BIC/AICc from its log-likelihoods with 2 more
      ref2 <- with_parameters(ref2, at, at$p + 2)
      ref2$polished <- TRUE
      ref2$ll_metafor <- if (is.null(ref)) NULL else as.numeric(logLik(r))
      ref <- ref2
    }
    case$ref <- ref
  }
  add_case(case)
}

# ------------------------------------------------------------------ escalc, then REML
for (i in 1:30) {
  measure <- c("OR", "RR", "RD", "SMD", "COR", "ZCOR")[(i - 1) %% 6 + 1]
  k <- sample(c(3, 5, 8, 12), 1)
  if (measure %in% c("OR", "RR", "RD")) {
    n1i <- sample(c(5, 10, 40, 200), k, replace = TRUE); n2i <- sample(c(5, 10, 40, 200), k, replace = TRUE)
    ai <- rbinom(k, n1i, runif(1, 0.01, 0.3)); ci <- rbinom(k, n2i, runif(1, 0.01, 0.3))
    # zero cells: no events in one group, both groups, or all events
    z <- sample(k, min(k, 3))
    ai[z[1]] <- 0
    if (length(z) > 1) { ai[z[2]] <- 0; ci[z[2]] <- 0 }
    if (length(z) > 2) ai[z[3]] <- n1i[z[3]]
    dat <- data.frame(ai = ai, bi = n1i - ai, ci = ci, di = n2i - ci)
    es <- escalc(measure, ai = ai, bi = bi, ci = ci, di = di, data = dat)
  } else if (measure == "SMD") {
    n1i <- sample(3:40, k, replace = TRUE); n2i <- sample(3:40, k, replace = TRUE)
    dat <- data.frame(m1i = sig(rnorm(k, 0.3)), sd1i = sig(runif(k, 0.5, 2)), n1i = n1i,
                      m2i = sig(rnorm(k)), sd2i = sig(runif(k, 0.5, 2)), n2i = n2i)
    es <- escalc("SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat)
  } else {
    dat <- data.frame(ri = sig(pmin(0.99, pmax(-0.99, rnorm(k, 0.3, 0.3)))), ni = sample(c(5, 10, 50, 500), k, replace = TRUE))
    es <- escalc(measure, ri = ri, ni = ni, data = dat)
  }
  r <- fit_or_error(rma(yi, vi, data = es, method = "REML", control = tight))
  if (inherits(r, "fit_error")) r <- fit_or_error(rma(yi, vi, data = es, method = "REML", control = c(tight, stepadj = 0.5)))
  case <- list(name = sprintf("es%03d_%s", i, measure), kind = "escalc", measure = measure, method = "REML", test = "z",
               mods = "1", data = as.list(dat), yi = as.numeric(es$yi), vi = as.numeric(es$vi))
  if (inherits(r, "fit_error")) case$error <- r$msg else case$ref <- results(r)
  add_case(case)
}

writeLines(toJSON(list(seed = 20261205, metafor = as.character(packageVersion("metafor")), R = R.version.string,
                       cases = cases),
                  auto_unbox = TRUE, digits = NA, null = "null", na = "null"),
           file.path(out, "random_meta.json"))
cat(length(cases), "cases;", sum(vapply(cases, function(c) !is.null(c$error), TRUE)), "errors\n")
