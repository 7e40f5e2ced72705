# Helpers shared by the nlme oracles (test/oracle/nlme.R, nlme2.R, nlme3.R, nlme4.R, nlme5.R, nlme_hard.R; each sources it): nlme's tight controls,
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

# The JSON record of an lme fit f on the data d (ft: its refit with the tight control, or NULL; s: the
# summary whose printout is recorded), the structures' coefficients appended.
lmeRecord <- function(name, dataName, fixed, random, method, ours, d, f, ft, s) {
  tt <- s$tTable
  M <- as.matrix(f$modelStruct$reStruct[[1]])
  L <- t(chol(M))
  theta <- L[lower.tri(L, diag = TRUE)]
  vc <- VarCorr(f)
  re <- ranef(f)
  c(list(
    name = name, fn = "lme", data = dataName, ours = ours,
    fixed = deparse(fixed), random = deparse(random), method = method,
    logLik = as.numeric(logLik(f)), AIC = AIC(f), BIC = BIC(f), df = attr(logLik(f), "df"),
    logLikTight = if (is.null(ft)) NULL else as.numeric(logLik(ft)),
    sigma = f$sigma, theta = theta,
    fixef = list(names = rownames(tt), Value = unname(tt[, 1]), Std.Error = unname(tt[, 2]), DF = unname(tt[, 3]),
                 t = unname(tt[, 4]), p = unname(tt[, 5])),
    vcov = unname(as.matrix(vcov(f))),
    VarCorr = list(names = rownames(vc), StdDev = unname(as.numeric(vc[, "StdDev"]))),
    ranef = list(levels = rownames(re), names = colnames(re), values = lapply(re, unname)),
    fitted1 = unname(fitted(f, level = 1)), fitted0 = unname(fitted(f, level = 0)),
    resid1 = unname(residuals(f, level = 1)), resid0 = unname(residuals(f, level = 0)),
    normalized = unname(residuals(f, level = 1, type = "normalized")),
    pearson = unname(residuals(f, level = 1, type = "pearson")),
    nobs = nrow(d), ngroups = unname(f$dims$ngrps[1]),
    print = paste(capture.output(print(s)), collapse = "\n")
  ), structs(f$modelStruct))
}

# The same for a gls fit.
glsRecord <- function(name, dataName, model, method, ours, d, f, ft, s) {
  tt <- s$tTable
  c(list(
    name = name, fn = "gls", data = dataName, ours = ours, model = deparse(model), method = method,
    logLik = as.numeric(logLik(f)), AIC = AIC(f), BIC = BIC(f), df = attr(logLik(f), "df"),
    logLikTight = if (is.null(ft)) NULL else as.numeric(logLik(ft)),
    sigma = f$sigma,
    fixef = list(names = rownames(tt), Value = unname(tt[, 1]), Std.Error = unname(tt[, 2]),
                 t = unname(tt[, 3]), p = unname(tt[, 4])),
    fitted = unname(fitted(f)), resid = unname(residuals(f)),
    normalized = unname(residuals(f, type = "normalized")),
    nobs = nrow(d),
    print = paste(capture.output(print(s)), collapse = "\n")
  ), structs(f$modelStruct))
}

# A record's intervals(f) (where nlme gives them) and predictions at newdata (lme: levels 0 and 1), then
# its JSON file in the script's output directory `out`.
writeRecord <- function(res, f, newdata = NULL) {
  iv <- tryCatch(intervals(f), error = function(e) NULL)
  if (!is.null(iv)) res$intervals <- intervalsList(iv)
  if (!is.null(newdata)) {
    p <- predict(f, newdata = newdata, level = 0:1)
    res$newdata <- newdata
    res$predict0 <- unname(p$predict.fixed)
    res$predict1 <- unname(p[[ncol(p)]])
  }
  write(toJSON(res, digits = NA, auto_unbox = TRUE, null = "null"), file.path(out, paste0(res$name, ".json")))
}
