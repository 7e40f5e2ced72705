# Helpers shared by the nlme oracles (test/oracle/nlme.R, nlme2.R, nlme3.R, nlme4.R, nlme5.R, nlme6.R, nlme_hard.R; each sources it): nlme's tight controls,
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

# The same for a gls fit (its printout's lines before an error and the error's message: printLines below).
glsRecord <- function(name, dataName, model, method, ours, d, f, ft, s) {
  tt <- s$tTable
  r <- c(list(
    name = name, fn = "gls", data = dataName, ours = ours, model = deparse(model), method = method,
    logLik = as.numeric(logLik(f)), AIC = AIC(f), BIC = BIC(f), df = attr(logLik(f), "df"),
    logLikTight = if (is.null(ft)) NULL else as.numeric(logLik(ft)),
    sigma = f$sigma,
    fixef = list(names = rownames(tt), Value = unname(tt[, 1]), Std.Error = unname(tt[, 2]),
                 t = unname(tt[, 3]), p = unname(tt[, 4])),
    fitted = unname(fitted(f)), resid = unname(residuals(f)),
    normalized = unname(residuals(f, type = "normalized")),
    nobs = nrow(d),
    print = as.vector(printLines(s))
  ), structs(f$modelStruct))
  if (!is.null(attr(printLines(s), "error"))) r$printError <- attr(printLines(s), "error")
  r
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

# A variance covariate of the fitted values (`fitted(.)`, varPower()'s default form): nlme's own loop
# (lme.formula / gls: optimize with the covariate fixed, update it from the fit, stop when the inner
# optimizer no longer moves the parameters by more than `tolerance`) can stop off the fixed point: on
# Orthodont's varPower() it stops at power 1.10600 whatever the tolerance (nlminb does not move from
# its start once the covariate's change is small), 1.10631 with opt = "optim", where the fixed point
# is 1.106395. The fixtures therefore hold the fixed point, found with nlme's own fits: the fitted
# values as a data column `.fv`, refitted (tight control) until they change by < 1e-9 relative; the
# case's values are that last fit's (its covariate recorded as `fittedCheck$covariate`), the printout
# nlme's fit with fitted(.), and nlme's own estimates as `nlmeBuiltin`. (Used by nlme2.R and, through
# nestedCase, nlme6.R.) A call uses the fitted values where it names fitted(.) or has a varPower(),
# varExp() or varConstPower() without arguments (nlme's default form, also inside varComb).
DEFAULT_FORM <- "(varPower|varExp|varConstPower)\\(\\)"
usesFitted <- function(weights) {
  w <- paste(deparse(weights), collapse = "")
  !is.null(weights) && (grepl("fitted", w) || grepl(DEFAULT_FORM, w))
}
fvWeights <- function(weights) {
  w <- paste(deparse(weights), collapse = "")
  str2lang(gsub(DEFAULT_FORM, "\\1(form = ~.fv)", gsub("fitted\\(\\.\\)", ".fv", w)))
}
fixedPoint <- function(env, call, fitted1) {
  call$weights <- fvWeights(call$weights)
  call$control <- if (call[[1]] == quote(lme)) tight else tightGls
  for (i in 1:200) {
    g <- eval(call, env)
    new <- unname(fitted1(g))
    if (max(abs(new - env$d$.fv) / abs(new)) < 1e-9) return(g)
    env$d$.fv <- new
  }
  stop("no fixed point")
}

# print(x)'s lines; where print stops with an error (nlme 3.1-162's print.summary.corNatural calls
# coef() on an object that has lost its class), the lines printed before it and the error's message
# as attribute "error".
printLines <- function(x) {
  lines <- character()
  tc <- textConnection("lines", "w", local = TRUE)
  sink(tc)
  err <- tryCatch({ print(x); NULL }, error = function(e) conditionMessage(e))
  sink()
  close(tc)
  structure(paste(lines, collapse = "\n"), error = err)
}

# The record of an lme fit with Q ≥ 1 levels (outermost first; nlme's reStruct and ranef lists are too), for
# nlme3.R and nlme6.R: see nlme3.R's header for what it holds; with a fitted(.) covariate, the fixed point's.
nestedCase <- function(name, dataName, fixed, random, weights = NULL, correlation = NULL, method = "REML",
                       ours = list(), newdata = NULL) {
  d <- datasets[[dataName]]
  call <- bquote(lme(.(fixed), data = d, random = .(random), weights = .(weights), correlation = .(correlation), method = .(method)))
  f <- eval(call)
  call$control <- tight
  ft <- tryCatch(eval(call), error = function(e) NULL)
  s <- summary(f)
  fv <- NULL
  if (usesFitted(weights)) {
    # a fitted(.) covariate (the innermost level's fitted values): the fixed point of nlme's own fits
    # (fixedPoint above); the printout stays nlme's fit's with fitted(.)
    builtin <- list(logLik = as.numeric(logLik(f)), sigma = f$sigma, varStruct = as.list(coef(f$modelStruct$varStruct, unconstrained = FALSE)))
    env <- environment(); d$.fv <- unname(fitted(f))
    f <- fixedPoint(env, call, fitted); ft <- NULL
    fv <- d$.fv
    call$weights <- fvWeights(call$weights)
  }
  tt <- summary(f)$tTable
  rs <- f$modelStruct$reStruct
  Q <- length(rs)
  # nlme keeps the reStruct innermost first; the levels' names outermost first are rev(names(rs))
  levs <- rev(names(rs))
  re <- ranef(f)
  if (Q == 1) re <- setNames(list(re), levs)
  lv <- 0:Q
  fit <- fitted(f, level = lv)
  res <- residuals(f, level = lv)
  iv <- tryCatch(intervals(f), error = function(e) NULL)
  # nlme's intervals with its Hessian's step (fdHess's .relStep, default ε^(1/3) ≈ 6e-6 relative to each
  # parameter: round-off-bound, 0.2–0.9% off on these fits) at 1e-4: the same fit, a more accurate Hessian
  call$control <- if (is.null(fv)) lmeControl(.relStep = 1e-4) else modifyList(tight, list(.relStep = 1e-4))
  f4 <- eval(call)
  stopifnot(isTRUE(all.equal(logLik(f4), logLik(f), tolerance = 1e-10)))
  iv4 <- tryCatch(intervals(f4), error = function(e) NULL)
  # intervals() as a record, each level's random effects' part in turn (outermost first)
  levelIntervals <- function(iv) {
    li <- intervalsList(iv)
    li$reStruct <- lapply(levs, function(l) {
      m <- as.matrix(iv$reStruct[[l]])
      list(level = l, names = rownames(m), lower = unname(m[, 1]), est = unname(m[, 2]), upper = unname(m[, 3]))
    })
    li
  }
  r <- c(list(
    name = name, fn = "lme", data = dataName, ours = ours, fixed = deparse(fixed), random = paste(deparse(random), collapse = " "), method = method,
    logLik = as.numeric(logLik(f)), AIC = AIC(f), BIC = BIC(f), df = attr(logLik(f), "df"),
    logLikTight = if (is.null(ft)) NULL else as.numeric(logLik(ft)),
    sigma = f$sigma,
    levels = lapply(levs, function(l) {
      M <- as.matrix(rs[[l]])
      sdc <- sqrt(diag(M)) * f$sigma
      list(name = l, class = class(rs[[l]])[1], names = colnames(M), relPsi = unname(M), stdDev = unname(sdc),
           corr = unname(cov2cor(M)), ngroups = unname(f$dims$ngrps[l]),
           ranef = list(groups = rownames(re[[l]]), names = colnames(re[[l]]), values = lapply(re[[l]], unname)))
    }),
    fixef = list(names = rownames(tt), Value = unname(tt[, 1]), Std.Error = unname(tt[, 2]), DF = unname(tt[, 3]),
                 t = unname(tt[, 4]), p = unname(tt[, 5])),
    vcov = unname(as.matrix(vcov(f))),
    fittedLevels = lapply(seq_along(lv), function(k) unname(as.matrix(fit)[, k])),
    residLevels = lapply(seq_along(lv), function(k) unname(as.matrix(res)[, k])),
    normalized = unname(residuals(f, type = "normalized")),
    pearson = unname(residuals(f, type = "pearson")),
    nobs = nrow(d),
    print = as.vector(printLines(s))
  ), structs(f$modelStruct))
  if (!is.null(attr(printLines(s), "error"))) r$printError <- attr(printLines(s), "error")
  if (!is.null(fv)) { r$nlmeBuiltin <- builtin; r$fittedCheck <- list(covariate = fv) }
  if (!is.null(iv)) {
    r$intervals <- levelIntervals(iv)
    r$intervalsPrint <- paste(capture.output(print(iv)), collapse = "\n")
  }
  if (!is.null(iv4)) r$intervalsStep4 <- levelIntervals(iv4)
  if (!is.null(newdata)) {
    p <- predict(f, newdata = newdata, level = lv)
    r$newdata <- newdata
    r$predictLevels <- lapply(seq_along(lv), function(k) unname(p[[ncol(p) - Q - 1 + k]]))
  }
  write(toJSON(r, digits = NA, auto_unbox = TRUE, null = "null"), file.path(out, paste0(name, ".json")))
  invisible(f)
}

