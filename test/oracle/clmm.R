#!/usr/bin/env Rscript
# Cumulative link mixed models: references from the R package ordinal (2022.11-16) for clmm
# (test/clmm.test.ts, src/ordinal).
#
# Data: ordinal's wine (72 rows, judge × bottle) and soup (1,847 rows, 185 respondents), written to
# test/fixtures/data/wine.csv and soup.csv.
#
# For each case:
#   - clmm's own fit with its defaults (nlminb; inner Newton stopped at max|grad| < 1e-4): its
#     parameter vector (thresholds' alpha, beta, then tau = log SD for one scalar term (clmm's "ssr"
#     path) or the ST entries (diagonal first, then the lower triangle by columns) otherwise),
#     logLik, summary tables, Hessian, vcov, cond.H, ranef, condVar, fitted;
#   - the objective (-log-likelihood, Laplace or AGQ) at clmm's optimum and at two points about it,
#     with the inner Newton iteration for u converged to max|grad| < 1e-12 (control gradTol), so the
#     value is the objective itself rather than clmm's approximation of it;
#   - a tight optimum: nlminb on that tight objective from clmm's optimum (rel.tol 1e-14), then Newton
#     steps on ordinal:::deriv12's Hessian while they lower it, with the Hessian there by deriv12
#     (clmm's own stencil, delta = 1e-4).
# Usage (from the repository root): Rscript test/oracle/clmm.R
suppressPackageStartupMessages({ library(ordinal); library(Matrix); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
out <- file.path(root, "test/fixtures/clmm")
dir.create(out, showWarnings = FALSE, recursive = TRUE)

write.csv(wine, file.path(root, "test/fixtures/data/wine.csv"), row.names = FALSE, quote = FALSE)
write.csv(soup[, c("RESP", "PROD", "PRODID", "SURENESS", "DAY", "GENDER")], file.path(root, "test/fixtures/data/soup.csv"), row.names = FALSE, quote = FALSE)

cases <- list(
  list(name = "wine_logit", data = "wine", formula = "rating ~ temp + contact + (1 | judge)", link = "logit", threshold = "flexible", nAGQ = 1),
  list(name = "wine_logit_agq10", data = "wine", formula = "rating ~ temp + contact + (1 | judge)", link = "logit", threshold = "flexible", nAGQ = 10),
  list(name = "wine_probit", data = "wine", formula = "rating ~ temp + contact + (1 | judge)", link = "probit", threshold = "flexible", nAGQ = 1),
  list(name = "wine_equidistant", data = "wine", formula = "rating ~ temp + contact + (1 | judge)", link = "logit", threshold = "equidistant", nAGQ = 1),
  # ordinal 2022.11-16's C code for one scalar term (its "ssr" path) swaps cloglog and loglog (its
  # logLik for link = "cloglog" is the R path's, useMatrix = TRUE, for "loglog", and the reverse):
  # the Laplace case runs the R path (useMatrix = TRUE), the quadrature case (which the R path does
  # not offer) asks the C path for "cloglog" to get the loglog link
  list(name = "wine_symmetric_cloglog", data = "wine", formula = "rating ~ temp + contact + (1 | judge)", link = "cloglog", threshold = "symmetric", nAGQ = 1, useMatrix = TRUE),
  list(name = "wine_loglog_agq5", data = "wine", formula = "rating ~ temp + (1 | judge)", link = "loglog", rLink = "cloglog", threshold = "flexible", nAGQ = 5),
  # ordinal stands in ±1e5 for the open ends Θ_0 = −∞ and Θ_J = +∞ (its offsets o1, o2): exact for the
  # other links in float64, but the Cauchy's tail leaves F(1e5) = 1 − 3.2e-6, which moves the
  # objective by ~2.6e-6 relative; the objective and the tight optimum of this case take ±1e300
  list(name = "wine_cauchit", data = "wine", formula = "rating ~ temp + contact + (1 | judge)", link = "cauchit", threshold = "flexible", nAGQ = 1, exactEnds = TRUE),
  # prior (frequency) weights w = 1 + (bottle mod 3)
  list(name = "wine_weighted", data = "wine", formula = "rating ~ temp + contact + (1 | judge)", link = "logit", threshold = "flexible", nAGQ = 1, weighted = TRUE),
  list(name = "wine_weighted_agq7", data = "wine", formula = "rating ~ temp + contact + (1 | judge)", link = "probit", threshold = "flexible", nAGQ = 7, weighted = TRUE),
  # one scalar term without an intercept: clmm's ST path (its parameter the SD itself); x = (bottle - 4.5) / 4
  list(name = "wine_scalar_slope", data = "wine", formula = "rating ~ temp + contact + (1 | judge) + (0 + x | judge)", link = "logit", threshold = "flexible", nAGQ = 1),
  list(name = "wine_x_only", data = "wine", formula = "rating ~ temp + contact + (0 + x | judge)", link = "logit", threshold = "flexible", nAGQ = 1),
  # two categories (rating 1-2 against 3-5): ordinal fits them with one threshold (flexible only)
  list(name = "wine_binary", data = "wine", formula = "rating2 ~ temp + contact + (1 | judge)", link = "logit", threshold = "flexible", nAGQ = 1),
  list(name = "soup_crossed", data = "soup", formula = "SURENESS ~ PROD + (1 | RESP) + (1 | RESP:PROD)", link = "logit", threshold = "flexible", nAGQ = 1),
  list(name = "soup_slope", data = "soup", formula = "SURENESS ~ PROD + (1 + PROD | RESP)", link = "logit", threshold = "flexible", nAGQ = 1),
  # (a local optimum with the intercept's SD at 0, logLik -2667.08, lies on the way from the start)
  list(name = "soup_slope_probit", data = "soup", formula = "SURENESS ~ PROD + (1 + PROD | RESP)", link = "probit", threshold = "flexible", nAGQ = 1)
)

objective_of <- function(rho, ssr, nAGQ) {
  if (ssr) {
    f <- if (nAGQ > 1) ordinal:::getNAGQ.ssr else ordinal:::getNLA.ssr
    function(par) f(rho, par)
  } else function(par) ordinal:::getNLA(rho, par)
}

for (cs in cases) {
  d <- get(cs$data)
  d$w <- if (isTRUE(cs$weighted)) 1 + as.integer(d$bottle) %% 3 else 1
  if (cs$data == "wine") d$x <- (as.integer(d$bottle) - 4.5) / 4
  if (cs$data == "wine") d$rating2 <- factor(ifelse(as.integer(d$rating) <= 2, 1, 2), ordered = TRUE)
  fo <- as.formula(cs$formula)
  rLink <- if (is.null(cs$rLink)) cs$link else cs$rLink
  useMatrix <- isTRUE(cs$useMatrix)
  fit <- eval(bquote(clmm(.(fo), data = d, weights = w, link = .(rLink), threshold = .(cs$threshold), nAGQ = .(cs$nAGQ), control = clmm.control(useMatrix = .(useMatrix)))))
  s <- summary(fit)
  ssr <- is.null(fit$L)  # clmm.fit.ssr leaves no sparse factor L
  par <- fit$optRes$par
  # the tight objective: clmm's model environment, the inner iteration to max|grad| < 1e-12
  rho <- eval(bquote(clmm(.(fo), data = d, weights = w, link = .(rLink), threshold = .(cs$threshold), nAGQ = .(cs$nAGQ), doFit = FALSE, gradTol = 1e-12, maxIter = 200, useMatrix = .(useMatrix))))
  if (isTRUE(cs$exactEnds)) { rho$o1[rho$o1 > 0] <- 1e300; rho$o2[rho$o2 < 0] <- -1e300 }
  obj <- objective_of(rho, ssr, cs$nAGQ)
  set.seed(1)
  pts <- list(par, par + 0.05 * seq_along(par) / length(par), par - c(rep(0.1, length(par) - 1), 0.02))
  objs <- sapply(pts, function(p) obj(p))
  objDefault <- fit$optRes$objective
  tight <- nlminb(par, obj, lower = c(-Inf, 0)[c(rep(0, fit$dims$nfepar), if (ssr) 0 else ordinal:::STconstraints(fit$ST)) + 1],
                  control = list(rel.tol = 1e-14, x.tol = 1e-12, eval.max = 5000, iter.max = 2000))
  # then Newton steps on deriv12's Hessian while they lower the objective (nlminb stops short on the
  # cauchit case: convergence code 1, max|grad| 1.5e-3)
  lwr <- c(-Inf, 0)[c(rep(0, fit$dims$nfepar), if (ssr) 0 else ordinal:::STconstraints(fit$ST)) + 1]
  newtonSteps <- 0
  for (k in 1:10) {
    gH <- ordinal:::deriv12(obj, tight$par)
    np <- pmax(lwr, tight$par - solve(gH$Hessian, gH$gradient))
    fnp <- obj(np)
    if (!(fnp < tight$objective)) break
    tight$par <- np; tight$objective <- fnp; newtonSteps <- k
  }
  gH <- ordinal:::deriv12(obj, tight$par)
  vc <- tryCatch(solve(gH$Hessian), error = function(e) NULL)
  # the conditional modes and variances at the tight optimum (clmm.fit.env's and clmm.fit.ssr's formulas)
  invisible(obj(tight$par))
  if (ssr) {
    tau <- exp(tight$par[length(tight$par)])
    tightB <- rho$u * tau; tightCV <- 1 / rho$D * tau^2
  } else if (all(sapply(rho$ST, ncol) == 1)) {
    vv <- rep.int(unlist(rho$ST), rho$dims$nlev.re)
    tightB <- vv * rho$u; tightCV <- as.vector(diag(solve(rho$L))) * vv^2
  } else {
    tightB <- as.vector(ordinal:::getLambda(rho$ST, rho$dims$nlev.re) %*% rho$u); tightCV <- NULL
  }
  vc0 <- tryCatch(vcov(fit), error = function(e) NULL)
  vcDense <- function(v) if (is.null(v)) NULL else unname(as.matrix(v))
  vc_st <- VarCorr(fit)
  # our parameter for one scalar term is log SD (clmm's C path's tau); the R path's is the SD itself
  toOurs <- function(p) if (useMatrix && length(fit$ST) == 1 && ncol(fit$ST[[1]]) == 1) c(p[-length(p)], log(p[length(p)])) else p
  res <- list(
    case = cs,
    ssr = ssr,
    nobs = fit$dims$nobs, nlev = as.list(fit$dims$nlev.gf),
    coefNames = names(fit$coefficients), thresholdNames = I(colnames(fit$Theta)),
    par = unname(toOurs(par)), logLik = fit$logLik, AIC = AIC(fit), BIC = BIC(fit), edf = fit$edf,
    Theta = I(unname(as.vector(fit$Theta))),
    coefTable = unname(s$coefficients), condH = s$condHess,
    hessian = vcDense(fit$Hessian), vcov = vcDense(vc0), gradient = unname(fit$gradient),
    varcorr = lapply(vc_st, function(m) list(cov = unname(as.matrix(m)), sd = unname(attr(m, "stddev")))),
    ranef = lapply(ranef(fit), function(r) unname(as.matrix(r))),
    ranefLevels = lapply(ranef(fit), rownames),
    tightRanef = list(b = tightB, condVar = tightCV),
    condVar = if (all(sapply(fit$ST, ncol) == 1)) lapply(condVar(fit), function(r) unname(as.matrix(r))) else NULL,
    fitted = unname(fitted(fit)),
    summaryText = paste(capture.output(print(s)), collapse = "\n"),
    objectivePoints = lapply(pts, function(p) unname(toOurs(p))), objectiveValues = objs, objectiveDefault = objDefault,
    tight = list(par = unname(toOurs(tight$par)), objective = tight$objective, convergence = tight$convergence, newtonSteps = newtonSteps,
                 gradient = unname(gH$gradient), hessian = unname(gH$Hessian), vcov = vcDense(vc),
                 se = if (is.null(vc)) NULL else sqrt(diag(vc)))
  )
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, null = "null", matrix = "rowmajor"), file.path(out, paste0(cs$name, ".json")))
  cat(cs$name, ": logLik", fit$logLik, " tight", -tight$objective, " newton", newtonSteps, " maxgrad", max(abs(gH$gradient)), " default-vs-tight obj", objDefault - objs[1], "\n")
}

# an empty category between used ones: clmm drops it (wine without rating 3: thresholds 1|2, 2|4, 4|5)
w <- wine[wine$rating != "3", ]
fit <- clmm(rating ~ temp + contact + (1 | judge), data = w)
writeLines(toJSON(list(thresholdNames = colnames(fit$Theta), logLik = fit$logLik, par = unname(fit$optRes$par), nobs = fit$dims$nobs),
                  digits = NA, auto_unbox = TRUE), file.path(out, "wine_empty_level.json"))
# likelihood-ratio anova of two fits (ordinal's anova.clmm)
fm0 <- clmm(rating ~ temp + (1 | judge), data = wine)
fm1 <- clmm(rating ~ temp + contact + (1 | judge), data = wine)
a <- anova(fm0, fm1)
writeLines(toJSON(list(no.par = a$no.par, AIC = a$AIC, logLik = a$logLik, LR.stat = a$LR.stat[2], df = a$df[2], p = a$`Pr(>Chisq)`[2]),
                  digits = NA, auto_unbox = TRUE), file.path(out, "wine_anova.json"))
# a variance estimated at 0 (bottle lies within temp × contact): the fixed-effects model's clm, whose
# coefficients and SEs the mixed model's tend to
cf <- summary(clm(rating ~ temp + contact, data = wine))$coefficients
writeLines(toJSON(list(names = rownames(cf), estimate = unname(cf[, 1]), se = unname(cf[, 2])), digits = NA, auto_unbox = TRUE),
           file.path(out, "wine_clm.json"))
# clmm's reported optimum from unconverged conditional modes: wine with g, a 5-level factor unrelated to the
# ratings, (1 | g): clmm's reported -logLik, and the objective with converged modes at its optimum
w5 <- wine; w5$g <- factor(((seq_len(nrow(w5)) - 1) * 7) %% 5)
f5 <- clmm(rating ~ temp + contact + (1 | g), data = w5)
rho5 <- clmm(rating ~ temp + contact + (1 | g), data = w5, doFit = FALSE, gradTol = 1e-12, maxIter = 200)
writeLines(toJSON(list(reported = f5$optRes$objective, converged = ordinal:::getNLA.ssr(rho5, f5$optRes$par), par = unname(f5$optRes$par)),
                  digits = NA, auto_unbox = TRUE), file.path(out, "wine_unrelated_group.json"))
