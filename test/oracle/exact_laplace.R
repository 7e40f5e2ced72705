# Shared by test/oracle/relmat.R, test/oracle/negbin.R and test/oracle/gamma.R (sourced, not run alone).
#
# glmer's PIRLS stops at a relative change of tolPwrss in the penalized deviance and evaluates the
# Laplace deviance with the Cholesky factor of the previous iteration's weights (see
# test/oracle/glmer_tight.R for the numbers). Our PIRLS runs to convergence, so the objective-level
# references and the "tight" optima are computed on the exact Laplace deviance: glmer's deviance
# function followed by further glmerLaplace passes until the value settles.
suppressMessages({ library(lme4); library(jsonlite) })

TIGHT_NLOPT <- list(ftol_abs = 1e-13, ftol_rel = 1e-16, xtol_abs = 1e-10, xtol_rel = 1e-13, maxeval = 1e5)
TIGHT_LMER <- list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12, maxeval = 1e5)

named <- function(v) as.list(setNames(as.numeric(v), names(v)))

settle <- function(first, again) {
  v <- first
  for (k in 1:10) { v1 <- again(); if (abs(v1 - v) < 1e-12 * abs(v1)) return(v1); v <- v1 }
  v
}

# the exact Laplace (nAGQ = 1) or stage-1 (nAGQ = 0) deviance from a glmer deviance function
exact_devfun <- function(dev, nAGQ = 1L) {
  rho <- environment(dev)
  function(x) settle(dev(x), function() .Call(lme4:::glmerLaplace, rho$pp$ptr(), rho$resp$ptr(), as.integer(nAGQ), 1e-12, 100L, 0L))
}

# minimizes the exact stage-2 deviance from (theta0, beta0); returns the optimum, Hessian-based Var(beta)
exact_optimum <- function(exact, theta0, beta0, lower) {
  nth <- length(theta0); p <- length(beta0)
  opt <- nloptwrap(c(theta0, beta0), exact, lower = c(lower, rep(-Inf, p)), upper = rep(Inf, nth + p), control = TIGHT_NLOPT)
  der <- lme4:::deriv12(exact, opt$par, fx = opt$fval)
  Vh <- solve(der$Hessian)[-seq_len(nth), -seq_len(nth), drop = FALSE]
  list(value = opt$fval, theta = opt$par[seq_len(nth)], beta = opt$par[-seq_len(nth)],
       vcov = unname(Vh + t(Vh)), feval = opt$feval, gradient = der$gradient)
}

# glmer's references for a model (formula fo, data d with prior weights in d$.w, family fam): the exact
# stage-1 (nAGQ = 0) deviance at three theta points about optimizeGlmer's stage-1 optimum, glmer(nAGQ =
# 0)'s optimum with its exact deviance, and the exact Laplace (nAGQ = 1) deviance function with its
# glFormula (for the bounds and the terms) and glmer's deviance function (for its PIRLS state)
stage_references <- function(fo, d, fam) {
  gf <- glFormula(fo, data = d, family = fam, weights = .w)
  dev0 <- do.call(mkGlmerDevfun, c(gf, list(nAGQ = 0L, control = glmerControl(tolPwrss = 1e-12))))
  o1 <- optimizeGlmer(dev0, stage = 1)
  exact0 <- exact_devfun(dev0, 0L)
  th1 <- as.numeric(o1$par)
  objective0_at <- lapply(list(th1, th1 * 0.5, th1 + 0.3), function(t) list(theta = I(t), value = exact0(t)))
  m0 <- glmer(fo, data = d, family = fam, weights = .w, nAGQ = 0L)
  nagq0 <- list(theta = I(as.numeric(getME(m0, "theta"))), loglik = as.numeric(logLik(m0)),
                exact_at = exact0(as.numeric(getME(m0, "theta"))))
  exact0(th1)
  dev <- updateGlmerDevfun(dev0, gf$reTrms, nAGQ = 1L)
  list(gf = gf, objective0_at = objective0_at, nagq0 = nagq0, dev = dev, exact = exact_devfun(dev, 1L))
}

# lme4's VarCorr as rows (group, var1, var2, vcov, sdcor), NA names as absent
varcorr_rows <- function(m) {
  vc <- as.data.frame(VarCorr(m))
  lapply(seq_len(nrow(vc)), function(i) list(
    group = vc$grp[i], var1 = if (is.na(vc$var1[i])) NULL else vc$var1[i],
    var2 = if (is.na(vc$var2[i])) NULL else vc$var2[i], vcov = vc$vcov[i], sdcor = vc$sdcor[i]))
}

write_json_file <- function(x, path) {
  writeLines(toJSON(x, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE), path)
}

# a glmer fit moved (test/oracle/ggeffects.R, parameters.R, tab_model.R) to the exact Laplace optimum: beta and the (theta, beta) Hessian of vcov.merMod
exact_fit <- function(m, set_deviance = FALSE) {
  dev <- update(m, devFunOnly = TRUE)
  exact <- exact_devfun(dev)
  ex <- exact_optimum(exact, getME(m, "theta"), fixef(m), getME(m, "lower"))
  der <- lme4:::deriv12(exact, c(ex$theta, ex$beta))
  m@beta <- ex$beta
  m@optinfo$derivs$Hessian <- der$Hessian
  # the conditional modes at the exact optimum (PIRLS converged there), for predictions at a grouping
  # factor's levels: the deviance function's predictor state, evaluated at the optimum, as the fit's
  at <- exact(c(ex$theta, ex$beta))
  # set_deviance: the deviance (−2ℓ, Laplace) at the exact optimum, which logLik, AIC and sjPlot's deviance read
  if (set_deviance) m@devcomp$cmp[["dev"]] <- at
  m@pp <- environment(dev)$pp$copy()
  m@u <- m@pp$u(1)
  m@theta <- ex$theta
  stopifnot(max(abs(as.matrix(vcov(m)) - ex$vcov)) < 1e-8 * max(abs(ex$vcov)), max(abs(fixef(m) - ex$beta)) == 0)
  m
}
