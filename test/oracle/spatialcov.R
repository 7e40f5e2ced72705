#!/usr/bin/env Rscript
# glmmTMB 1.1.5's spatial covariance structures (exp, gau, mat), for test/spatialcov.test.ts.
# Usage (from the repository root): Rscript test/oracle/spatialcov.R
# Writes test/fixtures/data/spatialcov.csv (simulated: 12 plots, the same 15 positions (xc, yc) in
# each, 2 replicates per position (360 rows); per plot one spatial field over the positions drawn
# from an exp, a gau and a Matérn covariance; Gaussian responses y_exp, y_gau, y_mat with noise,
# Poisson counts y_pois from an exp field; `pos` is numFactor(xc, yc) as text) and
# test/fixtures/spatialcov/spatialcov.json: per case glmmTMB's fit (β, σ, its theta, the term's SD,
# range (and smoothness), the correlation matrix's names and rows, logLik, df, AIC, BIC) and,
# independent of any optimizer, lme4's profiled criterion at glmmTMB's optimum, computed densely
# from V₀ = Z (Σ/σ²) Zᵀ + I (as test/oracle/structcov.R):
#   ML:   log|V₀| + n (1 + log(2π r'V₀⁻¹r / n))
#   REML: log|V₀| + log|X'V₀⁻¹X| + (n − p)(1 + log(2π r'V₀⁻¹r / (n − p))),   r = y − Xβ̂_GLS,
# lme4's SEs there, √diag(σ² (X'V₀⁻¹X)⁻¹), and lmerTest's Satterthwaite ddf with varpar = (ψ, σ)
# (test/oracle/structcov.R's recipe: analytic derivatives of the dense criterion, G's derivatives by numDeriv).
# glmmTMB 1.1.5's correlations (its TMB template): exp exp(−d e^(−θ₂)), gau exp(−d² e^(−2θ₂)),
# mat TMB's matern(d, φ = e^θ₂, κ = e^θ₃) = (d/φ)^κ K_κ(d/φ) / (Γ(κ) 2^(κ−1)); d Euclidean.
# One field: plot p01 alone with a grouping factor of one level (ML). Also besselK at a few points (the Matérn's Bessel function, test/spatialcov.test.ts).
# Needs: R with glmmTMB (1.1.5), numDeriv and jsonlite.
suppressMessages({ library(glmmTMB); library(jsonlite); library(numDeriv) })
root <- "test/fixtures"
set.seed(20261207)
npos <- 15; nplot <- 12
P <- data.frame(xc = round(runif(npos, 0, 10), 1), yc = round(runif(npos, 0, 10), 1))
D <- as.matrix(dist(P))
stopifnot(min(D[lower.tri(D)]) > 0)
matern <- function(d, phi, kappa) ifelse(d == 0, 1, (d / phi)^kappa * besselK(d / phi, kappa) / (gamma(kappa) * 2^(kappa - 1)))
S_exp <- 1.5^2 * exp(-D / 3)
S_gau <- 1.5^2 * exp(-(D / 3)^2)
S_mat <- 1.5^2 * matern(D, 1.5, 1.5)
S_pois <- 0.6^2 * exp(-D / 3)
draw <- function(S) as.vector(sapply(1:nplot, function(i) t(chol(S)) %*% rnorm(npos)))
d <- expand.grid(posi = 1:npos, plot = 1:nplot)
d$plot <- sprintf("p%02d", d$plot)
d$xc <- P$xc[d$posi]; d$yc <- P$yc[d$posi]
u_exp <- draw(S_exp); u_gau <- draw(S_gau); u_mat <- draw(S_mat); u_pois <- draw(S_pois + 1e-10 * diag(npos))
d2 <- rbind(transform(d, rep = 1), transform(d, rep = 2))
N <- nrow(d2)
d2$x <- round(rnorm(N), 3)
U <- function(u) c(u, u)
d2$y_exp <- round(2 + 0.5 * d2$x + U(u_exp) + rnorm(N, sd = 0.7), 4)
d2$y_gau <- round(2 + 0.5 * d2$x + U(u_gau) + rnorm(N, sd = 0.7), 4)
d2$y_mat <- round(2 + 0.5 * d2$x + U(u_mat) + rnorm(N, sd = 0.7), 4)
d2$y_pois <- rpois(N, exp(0.5 + 0.4 * d2$x + U(u_pois)))
d2$pos <- as.character(numFactor(d2$xc, d2$yc))
d2 <- d2[order(d2$plot, d2$posi, d2$rep), c("plot", "xc", "yc", "pos", "rep", "x", "y_exp", "y_gau", "y_mat", "y_pois")]
write.csv(d2, file.path(root, "data", "spatialcov.csv"), row.names = FALSE)

sim <- read.csv(file.path(root, "data", "spatialcov.csv"), stringsAsFactors = TRUE)
sim$posf <- numFactor(sim$xc, sim$yc)

cases <- list(
  list(name = "exp", structure = "exp", formula = "y_exp ~ x + exp(0 + posf | plot)"),
  list(name = "gau", structure = "gau", formula = "y_gau ~ x + gau(0 + posf | plot)"),
  list(name = "mat", structure = "mat", formula = "y_mat ~ x + mat(0 + posf | plot)")
)

rel_cov <- function(structure, psi, D) {
  s2 <- exp(2 * psi[1])
  R <- switch(structure,
    exp = exp(-D * exp(-psi[2])),
    gau = exp(-D^2 * exp(-2 * psi[2])),
    mat = matern(D, exp(psi[2]), exp(psi[3])))
  s2 * R
}
npar_of <- function(structure) if (structure == "mat") 3 else 2

# the dense profiled criterion, lme4's SEs and lmerTest's Satterthwaite ddf (varpar = (ψ, σ)) at ψ
dense <- function(X, Z, y, structure, psi, D, nl, reml) {
  n <- length(y); p <- ncol(X); np <- length(psi); q <- nrow(D)
  f <- function(v) as.vector(rel_cov(structure, v, D))
  G <- kronecker(diag(nl), matrix(f(psi), q))
  J <- numDeriv::jacobian(f, psi)
  H2 <- lapply(seq_len(q * q), function(e) numDeriv::hessian(function(v) f(v)[e], psi))
  dG <- lapply(seq_len(np), function(a) kronecker(diag(nl), matrix(J[, a], q)))
  d2G <- lapply(seq_len(np), function(a) lapply(seq_len(np), function(c) kronecker(diag(nl), matrix(sapply(H2, function(h) h[a, c]), q))))
  V0 <- Z %*% G %*% t(Z) + diag(n)
  R <- chol(V0)
  ldV <- 2 * sum(log(diag(R)))
  Vi <- chol2inv(R)
  S <- t(X) %*% Vi %*% X; Si <- solve(S)
  beta <- Si %*% t(X) %*% Vi %*% y
  r <- y - X %*% beta
  pw <- as.numeric(t(r) %*% Vi %*% r)
  crit <- if (reml) ldV + as.numeric(determinant(S)$modulus) + (n - p) * (1 + log(2 * pi * pw / (n - p)))
    else ldV + n * (1 + log(2 * pi * pw / n))
  P <- Vi - Vi %*% X %*% Si %*% t(X) %*% Vi
  Q <- as.numeric(t(y) %*% P %*% y)
  pp <- if (reml) p else 0
  sigma <- sqrt(Q / (n - pp)); s2 <- sigma^2
  B <- t(Z) %*% (if (reml) P else Vi) %*% Z
  BQ <- t(Z) %*% P %*% Z
  u <- as.vector(t(Z) %*% P %*% y)
  H <- matrix(0, np + 1, np + 1)
  dQ <- sapply(seq_len(np), function(i) -sum(u * (dG[[i]] %*% u)))
  for (i in seq_len(np)) for (j in seq_len(np)) {
    ld <- sum(B * t(d2G[[i]][[j]])) - sum((B %*% dG[[i]]) * t(B %*% dG[[j]]))
    q2 <- 2 * sum(u * (dG[[i]] %*% BQ %*% dG[[j]] %*% u)) - sum(u * (d2G[[i]][[j]] %*% u))
    H[i, j] <- ld + q2 / s2
  }
  for (i in seq_len(np)) H[i, np + 1] <- H[np + 1, i] <- -2 * dQ[i] / sigma^3
  H[np + 1, np + 1] <- 6 * Q / s2^2 - 2 * (n - pp) / s2
  A <- 2 * solve(H)
  W <- Vi %*% X %*% Si
  Jac <- c(lapply(seq_len(np), function(i) s2 * t(W) %*% Z %*% dG[[i]] %*% t(Z) %*% W), list(2 * sigma * Si))
  V <- s2 * Si
  sat <- sapply(seq_len(p), function(j) { g <- sapply(Jac, function(M) M[j, j]); 2 * V[j, j]^2 / as.numeric(t(g) %*% A %*% g) })
  list(criterion = crit, se = sqrt(diag(s2 * Si)), satterthwaite = sat)
}

ctrl <- glmmTMBControl(optCtrl = list(iter.max = 1e4, eval.max = 1e4, rel.tol = 1e-12))
out <- lapply(cases, function(cs) lapply(c(TRUE, FALSE), function(reml) {
  fit <- glmmTMB(as.formula(cs$formula), data = sim, REML = reml, control = ctrl)
  ll <- logLik(fit)
  th <- unname(fit$fit$par[names(fit$fit$par) == "theta"])
  vc <- VarCorr(fit)$cond$plot
  coords <- glmmTMB:::parseNumLevels(colnames(vc))
  Dv <- as.matrix(dist(coords))
  s <- sigma(fit)
  psi <- c(th[1] - log(s), th[-1])
  dn <- dense(getME(fit, "X"), as.matrix(getME(fit, "Z")), model.response(fit$frame), cs$structure, psi, Dv, nlevels(sim$plot), reml)
  stopifnot(isTRUE(fit$sdr$pdHess), abs(dn$criterion + 2 * as.numeric(ll)) < 1e-6)
  cf <- summary(fit)$coefficients$cond
  list(
    name = cs$name, structure = cs$structure, formula = cs$formula, reml = reml,
    beta = unname(cf[, 1]), se = unname(cf[, 2]), xnames = rownames(cf), sigma = s,
    theta = th, betad = unname(fit$fit$par[names(fit$fit$par) == "betad"]),
    sd = unname(attr(vc, "stddev")[1]), range = exp(th[2]), smoothness = if (cs$structure == "mat") exp(th[3]) else NULL,
    names = colnames(vc), corr = unname(attr(vc, "correlation")),
    loglik = as.numeric(ll), df = attr(ll, "df"), aic = AIC(fit), bic = BIC(fit),
    objective_at = dn$criterion, se_lme4 = unname(dn$se), satterthwaite_df = dn$satterthwaite
  )
}))
out <- unlist(out, recursive = FALSE)

# Poisson counts with an exp field (Laplace): glmmTMB's fit, its −2ℓ at its optimum
pf <- glmmTMB(y_pois ~ x + exp(0 + posf | plot), data = sim, family = poisson, control = ctrl)
stopifnot(isTRUE(pf$sdr$pdHess))
pvc <- VarCorr(pf)$cond$plot
pll <- logLik(pf)
pcf <- summary(pf)$coefficients$cond
pois <- list(
  name = "pois_exp", formula = "y_pois ~ x + exp(0 + posf | plot)", family = "poisson",
  beta = unname(pcf[, 1]), se = unname(pcf[, 2]), xnames = rownames(pcf),
  theta = unname(pf$fit$par[names(pf$fit$par) == "theta"]), sd = unname(attr(pvc, "stddev")[1]),
  range = exp(pf$fit$par[names(pf$fit$par) == "theta"][2]), names = colnames(pvc), corr = unname(attr(pvc, "correlation")),
  loglik = as.numeric(pll), df = attr(pll, "df"), aic = AIC(pf), bic = BIC(pf)
)

# one field (a grouping factor of one level, as glmmTMB's spatial examples): plot p01's 30 rows, ML
one <- droplevels(sim[sim$plot == "p01", ]); one$one <- factor("a")
of <- glmmTMB(y_exp ~ x + exp(0 + posf | one), data = one, REML = FALSE, control = ctrl)
stopifnot(isTRUE(of$sdr$pdHess))
oll <- logLik(of)
single <- list(formula = "y_exp ~ x + exp(0 + posf | one)", plot = "p01", beta = unname(fixef(of)$cond), sigma = sigma(of),
  theta = unname(of$fit$par[names(of$fit$par) == "theta"]), loglik = as.numeric(oll), df = attr(oll, "df"))

bk <- expand.grid(nu = c(0, 0.3, 0.5, 1, 1.5, 2.7, 6.2), x = c(0.01, 0.5, 1.9, 2, 2.5, 8, 40))
bk$K <- besselK(bk$x, bk$nu)
write(toJSON(list(glmmTMB = as.character(packageVersion("glmmTMB")), cases = out, glmer = pois, single = single, besselK = bk),
             auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(root, "spatialcov", "spatialcov.json"))
