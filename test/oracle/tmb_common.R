# Shared by test/oracle/zeroinfl.R, zeroinfl_re.R, tmbfamilies.R, tmbfamilies2.R and tmbfamilies3.R (each
# sources it): a glmmTMB fit's objective (TMB's fn and gr), its values at glmmTMB's optimum and at two points
# about it, and a tight optimum from there by up to `maxit` Newton steps on TMB's gradient with optimHess's
# Hessian (stopping at max |gradient| < 1e-10; each script judges the result by its own rule).
# TMB's objective at par and at two points about it (the tests' criterion checks)
tmbPoints <- function(fit, par = fit$fit$par) {
  pts <- list(par, par + 0.05 * seq_along(par) / length(par), par - 0.03)
  lapply(pts, function(x) list(par = unname(x), value = fit$obj$fn(x)))
}

tmbNewton <- function(fit, maxit) {
  par <- fit$fit$par
  obj <- fit$obj
  fn <- function(x) obj$fn(x)
  gr <- function(x) as.numeric(obj$gr(x))
  objective <- tmbPoints(fit, par)
  tp <- par
  for (it in seq_len(maxit)) {
    g <- gr(tp)
    if (max(abs(g)) < 1e-10) break
    tp <- tp - solve(optimHess(tp, fn, gr), g)
  }
  list(par = par, fn = fn, gr = gr, objective = objective, tp = tp)
}

# A glmmTMB fit at its tight optimum, the one our fit reaches (test/oracle/zeroinfl_emmeans.R,
# zeroinfl_emtrends.R, ggeffects_tmb.R, broom_tmb_augment.R): Newton steps on TMB's exact gradient from
# glmmTMB's optimum to max|gradient| < 1e-10 (glmmTMB's nlminb stops with a gradient of up to ~5e-5), the
# fit's parameters replaced by those and its sdreport (vcov) recomputed there; reset = TRUE leaves TMB's
# object evaluated at glmmTMB's own optimum afterwards.
tmbTightFit <- function(fit, reset = FALSE) {
  obj <- fit$obj
  fn <- function(x) obj$fn(x)
  gr <- function(x) as.numeric(obj$gr(x))
  tp <- fit$fit$par
  for (it in 1:20) {
    g <- gr(tp)
    if (max(abs(g)) < 1e-10) break
    tp <- tp - solve(optimHess(tp, fn, gr), g)
  }
  stopifnot(max(abs(gr(tp))) < 1e-9)
  tight <- fit
  tight$fit$par <- tp
  tight$fit$objective <- fn(tp)
  tight$fit$parfull <- obj$env$last.par
  tight$sdr <- TMB::sdreport(obj, par.fixed = tp)
  if (reset) fn(fit$fit$par)
  tight
}
