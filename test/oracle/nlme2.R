#!/usr/bin/env Rscript
# nlme 3.1-162's lme and gls with corARMA and with variance covariates of the fitted values
# (varPower() and friends with form = ~ fitted(.)), for test/nlme2.test.ts (src/nlme/). The same data
# (test/fixtures/data/*.csv, written by test/oracle/nlme.R, read here) and the same JSON per case as
# test/oracle/nlme.R's (the shared helpers in test/oracle/nlme_common.R).
# Usage (from the repository root):
#   Rscript test/oracle/nlme2.R test/fixtures/data test/fixtures/nlme
# Needs: nlme 3.1-162, jsonlite.
suppressMessages({ library(nlme); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
stopifnot(packageVersion("nlme") == "3.1.162")
dir.create(out, showWarnings = FALSE, recursive = TRUE)

rd <- function(name) read.csv(file.path(dataDir, paste0(name, ".csv")), stringsAsFactors = FALSE)
orth <- rd("Orthodont"); ovary <- rd("Ovary"); bw <- rd("BodyWeight")
orth$Subject <- factor(orth$Subject); orth$Sex <- factor(orth$Sex)
ovary$Mare <- factor(ovary$Mare)
bw$Rat <- factor(bw$Rat); bw$Diet <- factor(bw$Diet)
datasets <- list(Orthodont = orth, Ovary = ovary, BodyWeight = bw)

# The normalized residuals as the whitening L_g^-1 r_g of the pearson residuals by the Cholesky factor of
# each group's corMatrix (the groups as the data's rows give them). nlme 3.1-162's residuals(type =
# "normalized") disagree with this for corARMA in most of Ovary's mares (not in the first one): Ovary's
# rows come in its ordered factor's order, not in the order of the plain factor's levels, and nlme
# seems to apply recalc.corARMA to residuals in an order other than its groups' (not investigated
# further). The fixtures record this direct computation as `normalized`, nlme's own as `normalizedNlme`.
normalizedDirect <- function(f, pearson, grp) {
  C <- corMatrix(f$modelStruct$corStruct)
  g <- split(seq_along(pearson), grp)
  out <- numeric(length(pearson))
  for (k in names(g)) { L <- t(chol(C[[k]])); out[g[[k]]] <- forwardsolve(L, pearson[g[[k]]]) }
  out
}

# A variance covariate of the fitted values (`fitted(.)`, varPower()'s default form): nlme's own loop can
# stop off the fixed point; the fixtures hold the fixed point, found with nlme's own fits (usesFitted,
# fvWeights and fixedPoint in test/oracle/nlme_common.R, which says why).

source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "nlme_common.R"))

lmeCase <- function(name, dataName, fixed, random, weights = NULL, correlation = NULL, method = "REML",
                    ours = list(), newdata = NULL, control = NULL) {
  d <- datasets[[dataName]]
  call <- bquote(lme(.(fixed), data = d, random = .(random), weights = .(weights), correlation = .(correlation), method = .(method)))
  if (!is.null(control)) call$control <- control
  f <- eval(call)
  call$control <- tight
  ft <- tryCatch(eval(call), error = function(e) NULL)
  s <- summary(f)
  builtin <- NULL
  if (usesFitted(weights)) {
    builtin <- list(logLik = as.numeric(logLik(f)), sigma = f$sigma, varStruct = as.list(coef(f$modelStruct$varStruct, unconstrained = FALSE)))
    env <- environment(); d$.fv <- unname(fitted(f, level = 1))
    f <- fixedPoint(env, call, function(m) fitted(m, level = 1)); ft <- NULL
    print1 <- s; s <- summary(f)
  }
  res <- lmeRecord(name, dataName, fixed, random, method, ours, d, f, ft, s)
  if (inherits(f$modelStruct$corStruct, "corARMA")) {
    res$normalizedNlme <- res$normalized
    res$normalized <- normalizedDirect(f, unname(residuals(f, level = 1, type = "pearson")), d[[all.vars(getGroupsFormula(f$modelStruct$corStruct))[1]]])
  }
  if (!is.null(builtin)) {
    res$nlmeBuiltin <- builtin
    res$print <- paste(capture.output(print(print1)), collapse = "\n")
    res$fittedCheck <- list(covariate = d$.fv)
  }
  writeRecord(res, f, newdata)
  invisible(f)
}

glsCase <- function(name, dataName, model, weights = NULL, correlation = NULL, method = "REML", ours = list()) {
  d <- datasets[[dataName]]
  call <- bquote(gls(.(model), data = d, weights = .(weights), correlation = .(correlation), method = .(method)))
  f <- eval(call)
  call$control <- tightGls
  ft <- tryCatch(eval(call), error = function(e) NULL)
  s <- summary(f)
  builtin <- NULL
  if (usesFitted(weights)) {
    builtin <- list(logLik = as.numeric(logLik(f)), sigma = f$sigma, varStruct = as.list(coef(f$modelStruct$varStruct, unconstrained = FALSE)))
    env <- environment(); d$.fv <- unname(fitted(f))
    f <- fixedPoint(env, call, fitted); ft <- NULL
    print1 <- s; s <- summary(f)
  }
  res <- glsRecord(name, dataName, model, method, ours, d, f, ft, s)
  if (inherits(f$modelStruct$corStruct, "corARMA")) {
    res$normalizedNlme <- res$normalized
    res$normalized <- normalizedDirect(f, unname(residuals(f, type = "pearson")), d[[all.vars(getGroupsFormula(f$modelStruct$corStruct))[1]]])
  }
  if (!is.null(builtin)) {
    res$nlmeBuiltin <- builtin
    res$print <- paste(capture.output(print(print1)), collapse = "\n")
    res$fittedCheck <- list(covariate = d$.fv)
  }
  writeRecord(res, f)
  invisible(f)
}

anovaCase <- function(name, f1, f2) {
  a <- anova(f1, f2)
  res <- list(name = name, df = a$df, AIC = a$AIC, BIC = a$BIC, logLik = a$logLik,
              L.Ratio = a$L.Ratio, p = a$`p-value`, print = paste(capture.output(print(a)), collapse = "\n"))
  write(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null"), file.path(out, paste0(name, ".json")))
}


# corARMA's parametrization (nlme's unconstrained coefficients of given φ, θ) and the ARMA
# autocorrelations (stats::ARMAacf, nlme's sign convention: e_t = Σ φ_j e_{t−j} + a_t + Σ θ_j a_{t−j})
armaCase <- function(phi, theta) {
  p <- length(phi); q <- length(theta)
  list(phi = phi, theta = theta, unconstrained = as.vector(unclass(corARMA(c(phi, theta), p = p, q = q))),
       acf = unname(ARMAacf(ar = phi, ma = theta, lag.max = 8)))
}
write(toJSON(list(armaCase(c(0.3, 0.2), -0.4), armaCase(c(0.5, -0.3), c(0.2, 0.1)), armaCase(0.8, numeric(0)),
                  armaCase(numeric(0), c(0.6, -0.2)), armaCase(c(0.9, -0.5, 0.2), 0.7)), digits = NA),
      file.path(out, "arma_transform.json"))

# corARMA: Ovary as nlme's help uses it (ARMA(1, 1) within mares, by position), and ARMA(2, 0) by integer times
lmeCase("ovary_arma11", "Ovary", follicles ~ sin2pi + cos2pi, ~ 1 | Mare, correlation = quote(corARMA(form = ~ 1 | Mare, p = 1, q = 1)),
        ours = list(fixed = "follicles ~ sin2pi + cos2pi", random = "~ 1 | Mare", correlation = "corARMA(form = ~ 1 | Mare, p = 1, q = 1)"))
lmeCase("ovary_arma2_ml", "Ovary", follicles ~ sin2pi + cos2pi, ~ 1 | Mare, correlation = quote(corARMA(form = ~ 1 | Mare, p = 2)), method = "ML",
        ours = list(fixed = "follicles ~ sin2pi + cos2pi", random = "~ 1 | Mare", correlation = "corARMA(form = ~ 1 | Mare, p = 2)"))
glsCase("gls_arma2_occasion", "Orthodont", distance ~ age + Sex, correlation = quote(corARMA(form = ~ occasion | Subject, p = 2)),
        ours = list(model = "distance ~ age + Sex", correlation = "corARMA(form = ~ occasion | Subject, p = 2)"))
glsCase("gls_arma01", "Ovary", follicles ~ sin2pi + cos2pi, correlation = quote(corARMA(form = ~ 1 | Mare, q = 1)),
        ours = list(model = "follicles ~ sin2pi + cos2pi", correlation = "corARMA(form = ~ 1 | Mare, q = 1)"))

# variance covariates of the fitted values: varPower() (nlme's default form ~ fitted(.)), varExp and
# varConstPower of fitted(.), with strata (the fixed point: see fixedPoint above).
lmeCase("ortho_varpower_fitted", "Orthodont", distance ~ age, ~ 1 | Subject, quote(varPower()),
        ours = list(fixed = "distance ~ age", random = "~ 1 | Subject", weights = "varPower()"))
lmeCase("bw_varpower_fitted", "BodyWeight", weight ~ Time * Diet, ~ Time | Rat, quote(varPower()),
        ours = list(fixed = "weight ~ Time * Diet", random = "~ Time | Rat", weights = "varPower()"))
lmeCase("ortho_varexp_fitted_strata_ml", "Orthodont", distance ~ age + Sex, ~ 1 | Subject, quote(varExp(form = ~ fitted(.) | Sex)), method = "ML",
        ours = list(fixed = "distance ~ age + Sex", random = "~ 1 | Subject", weights = "varExp(form = ~ fitted(.) | Sex)"))
# (BodyWeight with varConstPower(form = ~ fitted(.)) is not a case: nlme's default and tight fits stop at
# two different fixed points, logLik -598.74 and -616.12)
# (nor Orthodont's distance ~ age * Sex with varConstPower(form = ~ fitted(.)): the fixed-point iteration
# from nlme's fit stops at const 0.114, power 1.0677, logLik -216.29634, while nlme's fit and ours go to
# const -> 0, power 1.0632, logLik -216.29604 and -216.29608: two fixed points)
# (nor BodyWeight's gls weight ~ Time * Diet with it: const (0.0996 in nlme) is not identified next to
# |fitted|^2.12 ~ 1e5; ours goes to 1e-6 at the same logLik to 1e-9)
glsCase("gls_varpower_fitted", "Orthodont", distance ~ age + Sex, quote(varPower()),
        ours = list(model = "distance ~ age + Sex", weights = "varPower()"))
glsCase("gls_varpower_fitted_ar1", "BodyWeight", weight ~ Time * Diet, quote(varPower(form = ~ fitted(.))), quote(corAR1(form = ~ 1 | Rat)), method = "ML",
        ours = list(model = "weight ~ Time * Diet", weights = "varPower(form = ~ fitted(.))", correlation = "corAR1(form = ~ 1 | Rat)"))
cat("done\n")
