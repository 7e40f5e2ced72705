# Helpers shared by test/oracle/nlme.R and test/oracle/nlme2.R (sourced by both): nlme's tight controls,
# intervals() and the structures' coefficients as JSON-ready lists.
tight <- lmeControl(maxIter = 500, msMaxIter = 500, tolerance = 1e-10, msTol = 1e-14, niterEM = 0, msMaxEval = 2000)
tightGls <- glsControl(maxIter = 500, msMaxIter = 500, tolerance = 1e-10, msTol = 1e-14)

# intervals(fit) (nlme's approximate 95% intervals: fixed effects by t on nlme's DF, the variance
# parameters by the normal approximation on nlme's natural scale) as { part: { names, lower, est, upper } }
intervalsList <- function(iv) {
  tab <- function(m) list(names = rownames(m), lower = unname(m[, 1]), est = unname(m[, 2]), upper = unname(m[, 3]))
  out <- list()
  if (!is.null(iv$fixed)) out$fixed <- tab(iv$fixed)
  if (!is.null(iv$coef)) out$fixed <- tab(iv$coef)
  if (!is.null(iv$reStruct)) out$reStruct <- tab(as.matrix(iv$reStruct[[1]]))
  if (!is.null(iv$corStruct)) out$corStruct <- tab(iv$corStruct)
  if (!is.null(iv$varStruct)) out$varStruct <- tab(iv$varStruct)
  out$sigma <- unname(as.numeric(iv$sigma))
  out
}

strOr <- function(x) if (is.null(x)) NULL else x
structs <- function(ms) {
  v <- ms$varStruct; cs <- ms$corStruct
  list(
    varStruct = if (is.null(v)) NULL else list(
      unconstrained = unname(coef(v, unconstrained = TRUE)),
      constrained = as.list(coef(v, unconstrained = FALSE, allCoef = TRUE)),
      weights = unname(varWeights(v))),
    corStruct = if (is.null(cs)) NULL else list(
      unconstrained = unname(coef(cs, unconstrained = TRUE)),
      constrained = unname(coef(cs, unconstrained = FALSE))))
}
