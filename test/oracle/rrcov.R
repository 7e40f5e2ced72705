#!/usr/bin/env Rscript
# glmmTMB 1.1.5's reduced-rank structure rr(0 + sp | id, d = 2), for test/rrcov.test.ts.
# Usage (from the repository root): Rscript test/oracle/rrcov.R
# Writes test/fixtures/data/rrcov.csv (simulated: 40 sites (id) × 5 species (sp), responses from
# two latent variables with loadings Λ (5 × 2) plus noise; 200 rows) and test/fixtures/rrcov/rrcov.json:
# per case (REML and ML) glmmTMB's fit (β, σ, its theta = the loadings, glmmTMB's order: the diagonal
# Λ_11, Λ_22, then below it column by column; the loadings matrix fact_load, VarCorr's SDs and
# correlations, logLik, df, AIC, BIC) and lme4's profiled criterion at glmmTMB's optimum, computed
# densely from V₀ = Z (ΛΛᵀ/σ²) Zᵀ + I as test/oracle/structcov.R computes it, and lme4's SEs there.
# glmer: Poisson counts (column count) with the same rr term: glmmTMB's fit and −2ℓ (glmer).
# Needs: R with glmmTMB (1.1.5) and jsonlite.
suppressMessages({ library(glmmTMB); library(jsonlite) })
root <- "test/fixtures"
set.seed(20261208)
q <- 5; n <- 40
d <- expand.grid(sp = paste0("s", 1:q), id = sprintf("site%02d", 1:n), stringsAsFactors = FALSE)
Lam <- matrix(c(1, .5, -.4, .8, .2, 0, .7, .3, -.5, .6), q, 2)
b <- t(Lam %*% matrix(rnorm(2 * n), 2))
d$x <- round(rnorm(nrow(d)), 3)
d$y <- round(1 + 0.3 * d$x + match(d$sp, paste0("s", 1:q)) * 0.2 + b[cbind(match(d$id, unique(d$id)), match(d$sp, paste0("s", 1:q)))] + rnorm(nrow(d), sd = .5), 4)
# Poisson counts from 0.6 Λ's latent variables (drawn after the Gaussian responses)
d$count <- rpois(nrow(d), exp(0.2 + 0.3 * d$x + 0.6 * b[cbind(match(d$id, unique(d$id)), match(d$sp, paste0("s", 1:q)))]))
write.csv(d, file.path(root, "data", "rrcov.csv"), row.names = FALSE)
sim <- read.csv(file.path(root, "data", "rrcov.csv"), stringsAsFactors = TRUE)

ctrl <- glmmTMBControl(optCtrl = list(iter.max = 1e4, eval.max = 1e4, rel.tol = 1e-12))
out <- lapply(c(TRUE, FALSE), function(reml) {
  fit <- glmmTMB(y ~ x + rr(0 + sp | id, d = 2), data = sim, REML = reml, control = ctrl)
  stopifnot(isTRUE(fit$sdr$pdHess))
  ll <- logLik(fit)
  th <- unname(fit$fit$par[names(fit$fit$par) == "theta"])
  L <- fit$obj$env$report(fit$fit$parfull)$fact_load[[1]]
  s <- sigma(fit)
  X <- getME(fit, "X"); Z <- as.matrix(getME(fit, "Z")); y <- model.response(fit$frame)
  G <- kronecker(diag(nlevels(sim$id)), L %*% t(L) / s^2)
  nn <- length(y); p <- ncol(X)
  V0 <- Z %*% G %*% t(Z) + diag(nn)
  R <- chol(V0); Vi <- chol2inv(R)
  S <- t(X) %*% Vi %*% X
  beta <- solve(S, t(X) %*% Vi %*% y); r <- y - X %*% beta
  pw <- as.numeric(t(r) %*% Vi %*% r)
  crit <- if (reml) 2 * sum(log(diag(R))) + as.numeric(determinant(S)$modulus) + (nn - p) * (1 + log(2 * pi * pw / (nn - p)))
    else 2 * sum(log(diag(R))) + nn * (1 + log(2 * pi * pw / nn))
  stopifnot(abs(crit + 2 * as.numeric(ll)) < 1e-6)
  vc <- VarCorr(fit)$cond$id
  cf <- summary(fit)$coefficients$cond
  list(reml = reml, formula = "y ~ x + rr(0 + sp | id, d = 2)", beta = unname(cf[, 1]), xnames = rownames(cf), sigma = s,
       theta = th, betad = unname(fit$fit$par[names(fit$fit$par) == "betad"]), fact_load = unname(L),
       sd = unname(attr(vc, "stddev")), corr = unname(attr(vc, "correlation")),
       loglik = as.numeric(ll), df = attr(ll, "df"), aic = AIC(fit), bic = BIC(fit),
       objective_at = crit, se_lme4 = unname(sqrt(diag(s^2 * solve(S)))))
})
# glmer: Poisson counts with rr(0 + sp | id, d = 2) (Laplace; the loadings absolute)
pf <- glmmTMB(count ~ x + rr(0 + sp | id, d = 2), data = sim, family = poisson, control = ctrl)
stopifnot(isTRUE(pf$sdr$pdHess))
pll <- logLik(pf)
pvc <- VarCorr(pf)$cond$id
pois <- list(formula = "count ~ x + rr(0 + sp | id, d = 2)", beta = unname(fixef(pf)$cond), se = unname(summary(pf)$coefficients$cond[, 2]),
  theta = unname(pf$fit$par[names(pf$fit$par) == "theta"]), sd = unname(attr(pvc, "stddev")), corr = unname(attr(pvc, "correlation")),
  loglik = as.numeric(pll), df = attr(pll, "df"), aic = AIC(pf), bic = BIC(pf))
write(toJSON(list(glmmTMB = as.character(packageVersion("glmmTMB")), cases = out, glmer = pois), auto_unbox = TRUE, digits = NA, pretty = TRUE),
      file.path(root, "rrcov", "rrcov.json"))
