#!/usr/bin/env Rscript
# Tight glmer references for the GLMM parity tests (test/glmm.test.ts), with the same lme4 1.1-31
# and the same fields as test/oracle/lme4_reference.R writes.
# Usage: Rscript glmer_tight.R ../fixtures/reference/cases.json ../fixtures/reference ../fixtures/reference-tight [--cases-only]
#
# Why: glmer's PIRLS stops when the relative change of the penalized deviance is below
# tolPwrss = 1e-7 and evaluates the Laplace deviance with the Cholesky factor L of the previous
# iteration's weights, so its objective is the Laplace approximation plus an error of up to ~1e-3
# that varies with (theta, beta). The optimum, and the finite-difference Hessian that vcov() uses,
# are those of the perturbed objective. The tight run sets tolPwrss = 1e-12 (L then matches the
# weights at the mode) and runs BOBYQA in both stages to rhoend = 1e-10.
#
# Even at tolPwrss = 1e-12, L lags the mode by the last PIRLS step, which moves the Laplace deviance
# by up to ~1e-5 (differently at each point), enough to disturb a finite-difference Hessian. So the
# stage-2 optimum, the Hessian and Var(beta) of the tight files are computed on the exact Laplace
# deviance: glmer's own deviance function followed by one more glmerLaplace call (a further PIRLS
# pass that refreshes L at the converged weights); AGQ's deviance function does this already.
# The stage-2 optimizer there is nloptwrap (NLopt's BOBYQA) to ftol_abs 1e-13, xtol_abs 1e-10,
# started from the tight glmer fit and restarted from its own optimum while that lowers the value. Conditional modes, fitted values and residuals are the tight
# glmer fit's.
#
# For each case it also records the deviance function (tolPwrss = 1e-12) at fixed parameters:
#   objective_at:  stage 2 (Laplace or AGQ) at (theta, beta) points, including the default fit's optimum;
#   objective0_at: stage 1 (nAGQ = 0, beta from PIRLS) at theta points;
#   default_at_default_optimum: the default fit's reported -2 logLik, for comparison.
suppressMessages({ library(lme4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
cases <- fromJSON(args[1], simplifyVector = FALSE)
base <- dirname(args[1]); refdir <- args[2]; out <- args[3]
dir.create(out, showWarnings = FALSE, recursive = TRUE)

named <- function(v) as.list(setNames(as.numeric(v), names(v)))
varcorr_rows <- function(m) {
  vc <- as.data.frame(VarCorr(m))
  lapply(seq_len(nrow(vc)), function(i) list(
    group = vc$grp[i], var1 = if (is.na(vc$var1[i])) NULL else vc$var1[i],
    var2 = if (is.na(vc$var2[i])) NULL else vc$var2[i], vcov = vc$vcov[i], sdcor = vc$sdcor[i]))
}
ranef_list <- function(m) {
  re <- ranef(m, condVar = TRUE)
  lapply(names(re), function(g) {
    d <- re[[g]]; pv <- attr(d, "postVar")
    sds <- lapply(seq_len(ncol(d)), function(j) sqrt(pv[j, j, ])); names(sds) <- colnames(d)
    list(group = g, levels = rownames(d), values = lapply(as.list(d), as.numeric), condsd = sds)
  })
}

fit_tight <- function(cs, ref) {
  d <- read.csv(file.path(base, cs$data), stringsAsFactors = TRUE)
  for (f in unlist(cs$factors)) d[[f]] <- factor(d[[f]])
  fo <- as.formula(cs$formula)
  nAGQ <- if (is.null(cs$nAGQ)) 1L else as.integer(cs$nAGQ)
  fam <- if (is.null(cs$link)) get(cs$family)() else get(cs$family)(link = cs$link)
  d$.w <- if (is.null(cs$weights)) rep(1, nrow(d)) else d[[cs$weights]]
  ctrl <- glmerControl(tolPwrss = 1e-12, optimizer = c("bobyqa", "nloptwrap"),
                       optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12, maxeval = 1e5))
  t0 <- proc.time()[["elapsed"]]
  m <- glmer(fo, data = d, family = fam, nAGQ = nAGQ, control = ctrl, weights = .w)
  res <- list(name = paste0(cs$name, "_tight"), data = cs$data, formula = cs$formula, family = cs$family,
              link = fam$link, weights = cs$weights, factors = I(unlist(cs$factors)), kind = "glmer", nAGQ = nAGQ, R = R.version.string, lme4 = as.character(packageVersion("lme4")),
              tight = TRUE, control = "glmerControl(tolPwrss = 1e-12, optimizer = c('bobyqa', 'nloptwrap'), optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12, maxeval = 1e5)); then the exact-PIRLS stage 2 (see the script)")
  # stage 2 again on the exact deviance (see above), from the tight fit
  dev <- update(m, devFunOnly = TRUE)
  rho <- environment(dev)
  # further PIRLS passes until the value settles (Fisher scoring converges only linearly for non-canonical links)
  settle <- function(first, again) {
    v <- first
    for (k in 1:10) { v1 <- again(); if (abs(v1 - v) < 1e-12 * abs(v1)) return(v1); v <- v1 }
    v
  }
  exact <- if (nAGQ > 1) dev else function(x) {
    settle(dev(x), function() .Call(lme4:::glmerLaplace, rho$pp$ptr(), rho$resp$ptr(), 1L, 1e-12, 100L, 0L))
  }
  th0 <- as.numeric(getME(m, "theta")); p <- length(fixef(m)); nth <- length(th0)
  opt <- nloptwrap(c(th0, as.numeric(fixef(m))), exact, lower = c(getME(m, "lower"), rep(-Inf, p)), upper = rep(Inf, nth + p),
                   control = list(ftol_abs = 1e-13, ftol_rel = 1e-16, xtol_abs = 1e-10, xtol_rel = 1e-13, maxeval = 1e5))
  # restarted from its own optimum while that lowers the value (a fresh trust region): BOBYQA can stop
  # with a gradient left in a weakly determined coefficient (guImmun's husEdU: 1e-3 after the first run)
  restarts <- 0L
  for (k in 1:5) {
    again <- nloptwrap(opt$par, exact, lower = c(getME(m, "lower"), rep(-Inf, p)), upper = rep(Inf, nth + p),
                       control = list(ftol_abs = 1e-13, ftol_rel = 1e-16, xtol_abs = 1e-10, xtol_rel = 1e-13, maxeval = 1e5))
    if (!(again$fval < opt$fval - 1e-11)) break
    opt <- again; restarts <- restarts + 1L
  }
  der <- lme4:::deriv12(exact, opt$par, fx = opt$fval)
  Vh <- solve(der$Hessian)[-seq_len(nth), -seq_len(nth), drop = FALSE]
  Vh <- unname(Vh + t(Vh))
  res$time_s <- proc.time()[["elapsed"]] - t0
  res$glmer_fit <- list(deviance_laplace = as.numeric(-2 * logLik(m)), theta = I(th0), fixef = named(fixef(m)),
                        se = named(sqrt(diag(as.matrix(vcov(m))))))
  res$exact_opt <- list(value = opt$fval, feval = opt$feval, restarts = restarts, gradient = I(der$gradient))
  res$nobs <- nobs(m)
  res$ngroups <- as.list(ngrps(m))
  res$theta <- I(opt$par[seq_len(nth)]); res$theta_names <- I(names(getME(m, "theta")))
  res$sigma <- sigma(m)
  res$fixef <- as.list(setNames(opt$par[-seq_len(nth)], names(fixef(m))))
  res$vcov <- Vh
  res$se <- as.list(setNames(sqrt(diag(Vh)), names(fixef(m))))
  res$vcov_rx <- unname(as.matrix(vcov(m, use.hessian = FALSE)))
  # VarCorr at the exact optimum's theta (as VarCorr.merMod builds it)
  m_exact <- m
  m_exact@theta <- opt$par[seq_len(nth)]
  res$varcorr <- varcorr_rows(m_exact)
  res$loglik <- -opt$fval / 2; res$df <- attr(logLik(m), "df")
  res$aic <- opt$fval + 2 * res$df; res$bic <- opt$fval + log(nobs(m)) * res$df
  res$deviance <- deviance(m)
  res$deviance_laplace <- opt$fval
  res$singular <- isSingular(m)
  res$ranef <- ranef_list(m)
  n <- min(nrow(d), 20)
  res$fitted_head <- as.numeric(fitted(m))[1:n]
  res$resid_head <- as.numeric(residuals(m))[1:n]
  res$pearson_head <- as.numeric(residuals(m, type = "pearson"))[1:n]
  res$optimizer <- m@optinfo$optimizer; res$feval <- m@optinfo$feval
  res$messages <- unlist(m@optinfo$conv$lme4$messages)
  # the deviance functions at fixed parameters (exact PIRLS)
  th <- opt$par[seq_len(nth)]; be <- opt$par[-seq_len(nth)]
  ref_pars <- if (is.null(ref)) c(th * 1.1, be * 0.9) else c(as.numeric(ref$theta), as.numeric(unlist(ref$fixef)))
  pts <- list(c(th, be), ref_pars, c(th * 0.8, be + 0.1), c(th + 0.3, be - 0.05 * seq_along(be)))
  # a point where lme4's own PIRLS fails (step-halving: the fixed beta saturates mu, e.g. beta + 0.1 on
  # Contraception's I(age^2), whose column reaches 378) is left out and named in objective_at_failed
  # max_abs_eta: the largest |eta| at the point's mode. R's logit link clamps mu at |eta| > 30 (mu = DBL_EPSILON
  # or 1 - DBL_EPSILON, C's logit_linkinv), so beyond that the value is R's clamped deviance, not the logistic one
  at <- lapply(pts, function(x) tryCatch(list(theta = I(x[seq_along(th)]), beta = I(x[-seq_along(th)]), value = exact(x),
                                              max_abs_eta = max(abs(rho$resp$eta))),
                                           error = function(e) list(theta = I(x[seq_along(th)]), beta = I(x[-seq_along(th)]), error = conditionMessage(e))))
  failed <- vapply(at, function(a) !is.null(a$error), logical(1))
  res$objective_at <- at[!failed]
  if (any(failed)) res$objective_at_failed <- at[failed]
  dev0 <- update(m, devFunOnly = TRUE, nAGQ = 0, control = glmerControl(tolPwrss = 1e-12))
  rho0 <- environment(dev0)
  exact0 <- function(t) settle(dev0(t), function() .Call(lme4:::glmerLaplace, rho0$pp$ptr(), rho0$resp$ptr(), 0L, 1e-12, 100L, 0L))
  res$objective0_at <- lapply(list(th, th * 0.5, th + 0.5), function(t) list(theta = I(t), value = exact0(t)))
  if (!is.null(ref)) {
    res$default_at_default_optimum <- -2 * ref$loglik
    res$tight_at_default_optimum <- res$objective_at[[2]]$value
  }
  res
}

for (cs in cases) {
  if (is.null(cs$family) || cs$family == "gaussian" || !is.null(cs$kind)) next
  ref <- fromJSON(file.path(refdir, paste0(cs$name, ".json")), simplifyVector = TRUE)
  res <- fit_tight(cs, ref)
  writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
             file.path(out, paste0(cs$name, "_tight.json")))
  cat(cs$name, sprintf("%.2fs", res$time_s), "-2logLik", format(res$deviance_laplace, digits = 15),
      "default", format(-2 * ref$loglik, digits = 15), "tight devfun at default optimum", format(res$tight_at_default_optimum, digits = 15), "\n")
}

# further cases for the other links, prior weights and an offset (no default-fit reference files);
# a fourth argument "--cases-only" fits the cases file's cases only (test/oracle/datasets.R)
extra <- if (identical(args[4], "--cases-only")) list() else list(
  list(name = "cbpp_probit", data = "../data/cbpp.csv", formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)",
       family = "binomial", link = "probit", factors = list("herd", "period")),
  list(name = "cbpp_cloglog", data = "../data/cbpp.csv", formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)",
       family = "binomial", link = "cloglog", factors = list("herd", "period")),
  list(name = "cbpp_proportion_weights", data = "../data/cbpp.csv", formula = "incidence / size ~ period + (1 | herd)",
       family = "binomial", weights = "size", factors = list("herd", "period")),
  list(name = "cbpp_slope", data = "../data/cbpp.csv", formula = "cbind(incidence, size - incidence) ~ period + (1 + I(period + 10) | herd)",
       family = "binomial", factors = list("herd")),
  list(name = "grouseticks_offset", data = "../data/grouseticks.csv", formula = "TICKS ~ YEAR + offset(log(HEIGHT / 450)) + (1 | BROOD) + (1 | LOCATION)",
       family = "poisson", factors = list("YEAR", "BROOD", "LOCATION", "INDEX"))
)
for (cs in extra) {
  res <- fit_tight(cs, NULL)
  writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
             file.path(out, paste0(cs$name, "_tight.json")))
  cat(cs$name, sprintf("%.2fs", res$time_s), "-2logLik", format(res$deviance_laplace, digits = 15), "\n")
}
