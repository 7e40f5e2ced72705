#!/usr/bin/env Rscript
# glmmTMB 1.1.5's structured covariances of random effects (ar1, cs, diag, toep), for
# test/structcov.test.ts. Usage (from the repository root): Rscript test/oracle/structcov.R
# Writes test/fixtures/data/structcov.csv (simulated repeated measures: 90 subjects in 9 sites, 5
# equally spaced times, 2 replicates per time, responses drawn from an ar1, a heterogeneous cs and a
# heterogeneous Toeplitz covariance plus noise; the replicates identify the residual beside the
# heterogeneous variances) and test/fixtures/structcov/structcov.json: per case glmmTMB's fit (β, its SEs,
# σ, each term's SDs and correlations, its theta, logLik, df, AIC) and, independent of any optimizer,
# lme4's profiled criterion (REML criterion or deviance, σ and β profiled out) at glmmTMB's optimum
# computed densely from V₀ = Z (Σ/σ²) Zᵀ + I:
#   ML:   log|V₀| + n (1 + log(2π r'V₀⁻¹r / n))
#   REML: log|V₀| + log|X'V₀⁻¹X| + (n − p)(1 + log(2π r'V₀⁻¹r / (n − p))),   r = y − Xβ̂_GLS,
# and lme4's SEs there, √diag(σ² (X'V₀⁻¹X)⁻¹) (se_lme4).
# ou(times + 0 | subject) takes times = numFactor(t_irr), irregular times 0, 1, 2, 3, 5.
# sleepstudy's ar1(0 + Daysf | Subject) and cs(0 + Daysf | Subject) are fitted from several starts
# (fit_best below).
# Satterthwaite's ddf of each coefficient at glmmTMB's parameters (σ profiled there), as lmerTest
# computes them with varpar = (the structures' parameters, σ): analytic derivatives of the dense
# criterion, the procedure checked against lmerTest on sleepstudy's (Days | Subject) (satterthwaite_df).
# Needs: R with glmmTMB (1.1.5), lme4, lmerTest, numDeriv and jsonlite.
suppressMessages({ library(glmmTMB); library(lme4); library(jsonlite); library(numDeriv) })
root <- "test/fixtures"
set.seed(20261206)
nsub <- 90; nt <- 5; nsite <- 9
d <- expand.grid(time = 0:(nt - 1), subject = 1:nsub)
d$site <- paste0("s", (d$subject - 1) %% nsite + 1)
d$subject <- sprintf("id%02d", d$subject)
d$x <- round(rnorm(nrow(d)), 3)
site_eff <- rnorm(nsite, sd = 1.2); names(site_eff) <- paste0("s", 1:nsite)
draw <- function(S) { L <- t(chol(S)); as.vector(do.call(cbind, lapply(1:nsub, function(i) L %*% rnorm(nt)))) }
sd_h <- c(1.5, 2, 2.5, 3, 3.5)
S_ar1 <- 2^2 * 0.6^abs(outer(0:4, 0:4, "-"))
S_cs <- outer(sd_h, sd_h) * (0.4 + 0.6 * diag(nt))
r_toep <- c(1, 0.6, 0.35, 0.2, 0.1)
S_toep <- outer(sd_h, sd_h) * matrix(r_toep[abs(outer(1:nt, 1:nt, "-")) + 1], nt)
base <- 10 + 0.5 * d$time + 0.8 * d$x + site_eff[d$site]
u_ar1 <- draw(S_ar1); u_cs <- draw(S_cs); u_toep <- draw(S_toep)
d2 <- rbind(transform(d, rep = 1), transform(d, rep = 2))
N <- nrow(d2); b2 <- c(base, base)
d2$y_ar1 <- round(b2 + c(u_ar1, u_ar1) + rnorm(N), 4)
d2$y_cs <- round(b2 + c(u_cs, u_cs) + rnorm(N), 4)
d2$y_toep <- round(b2 + c(u_toep, u_toep) + rnorm(N), 4)
# irregular times for ou (4 → 5: 0, 1, 2, 3, 5), the same draws
d2$t_irr <- ifelse(d2$time == 4, 5, d2$time)
d2 <- d2[order(d2$subject, d2$time, d2$rep), c("subject", "site", "time", "rep", "x", "y_ar1", "y_cs", "y_toep", "t_irr")]
write.csv(d2, file.path(root, "data", "structcov.csv"), row.names = FALSE)

sim <- read.csv(file.path(root, "data", "structcov.csv"), stringsAsFactors = TRUE)
sim$timef <- factor(sim$time)
sim$times <- numFactor(sim$t_irr)
ss <- read.csv(file.path(root, "data", "sleepstudy.csv"), stringsAsFactors = TRUE)
ss$Subject <- factor(ss$Subject)
ss$Daysf <- factor(ss$Days)

cases <- list(
  list(name = "ar1_site", data = "structcov.csv", formula = "y_ar1 ~ time + x + ar1(0 + timef | subject) + (1 | site)"),
  list(name = "cs", data = "structcov.csv", formula = "y_cs ~ time + x + cs(0 + timef | subject)"),
  list(name = "toep", data = "structcov.csv", formula = "y_toep ~ time + x + toep(0 + timef | subject)"),
  list(name = "diag_sleep", data = "sleepstudy.csv", formula = "Reaction ~ Days + diag(1 + Days | Subject)"),
  list(name = "ou", data = "structcov.csv", formula = "y_ar1 ~ time + x + ou(times + 0 | subject)"),
  list(name = "intercept_ar1", data = "structcov.csv", formula = "y_cs ~ time + x + (1 | subject) + ar1(0 + timef | subject)"),
  list(name = "ar1_sleep", data = "sleepstudy.csv", formula = "Reaction ~ Days + ar1(0 + Daysf | Subject)", starts = "ar1"),
  list(name = "cs_sleep", data = "sleepstudy.csv", formula = "Reaction ~ Days + cs(0 + Daysf | Subject)", starts = "cs")
)

# glmmTMB from its default start and, for the sleepstudy cases, from three more (SDs √(s²/2) with s²
# the linear model's residual variance, σ² = s²/2, ρ = 0, 0.5, 0.9): the fit with the highest
# logLik. glmmTMB's default start ends on a boundary there (ar1: σ → 0.009, −2ℓ 1739.206 against
# 1734.187; cs: logLik NaN with ρ → 1), which the other starts avoid.
fit_best <- function(cs, dat, reml, control) {
  f <- as.formula(cs$formula)
  fits <- list(glmmTMB(f, data = dat, REML = reml, control = control))
  if (!is.null(cs$starts)) {
    s2 <- var(residuals(lm(Reaction ~ Days, dat)))
    for (rho in c(0, 0.5, 0.9)) {
      th <- if (cs$starts == "ar1") c(log(sqrt(s2 / 2)), rho / sqrt(1 - rho^2)) else c(rep(log(sqrt(s2 / 2)), 10), qlogis((rho + 1 / 9) / (1 + 1 / 9)))
      fits[[length(fits) + 1]] <- glmmTMB(f, data = dat, REML = reml, control = control, start = list(theta = th, betad = log(s2 / 2)))
    }
  }
  ll <- sapply(fits, function(m) { v <- as.numeric(logLik(m)); if (is.na(v)) -Inf else v })
  fits[[which.max(ll)]]
}

# the dense profiled criterion at the relative covariances G (per term: Σ/σ²) of the model's Z
profiled <- function(fit, reml) {
  X <- getME(fit, "X"); Z <- as.matrix(getME(fit, "Z")); y <- model.response(fit$frame)
  vc <- VarCorr(fit)$cond; s2 <- sigma(fit)^2
  # Z's columns are grouped by term, level-major within a term (glmmTMB's reTrms): Λ per term is
  # I_levels ⊗ Σ_k / σ²
  Gs <- lapply(seq_along(vc), function(k) {
    Sk <- as.matrix(vc[[k]]); q <- nrow(Sk)
    nl <- nlevels(fit$modelInfo$reTrms$cond$flist[[attr(fit$modelInfo$reTrms$cond$flist, "assign")[k]]])
    kronecker(diag(nl), Sk / s2)
  })
  G <- as.matrix(Matrix::bdiag(Gs))
  n <- length(y); p <- ncol(X)
  V0 <- Z %*% G %*% t(Z) + diag(n)
  R <- chol(V0)
  ldV <- 2 * sum(log(diag(R)))
  Vi <- chol2inv(R)
  XtViX <- t(X) %*% Vi %*% X
  beta <- solve(XtViX, t(X) %*% Vi %*% y)
  r <- y - X %*% beta
  pw <- as.numeric(t(r) %*% Vi %*% r)
  crit <- if (reml) ldV + as.numeric(determinant(XtViX)$modulus) + (n - p) * (1 + log(2 * pi * pw / (n - p)))
    else ldV + n * (1 + log(2 * pi * pw / n))
  # lme4's Var(β̂) = σ² (X'V₀⁻¹X)⁻¹ at glmmTMB's optimum (glmmTMB's own SEs come from the observed
  # Hessian of all its parameters, whose β–θ cross terms are not zero in a finite sample)
  list(criterion = crit, se = sqrt(diag(s2 * solve(XtViX))))
}
getME <- function(fit, what) glmmTMB::getME(fit, what)

terms_of <- function(fit) {
  vc <- VarCorr(fit)$cond
  lapply(names(vc), function(g) {
    S <- vc[[g]]
    list(group = g, names = colnames(S), sd = unname(attr(S, "stddev")), corr = unname(attr(S, "correlation")))
  })
}

# glmmTMB's structures (its covstruct vignette; SDs relative to σ): Σ/σ² of a term from its ψ
# (ou: correlation exp(−exp(ψ₂) |t_i − t_j|) at the numFactor's coordinates)
rel_cov <- function(structure, q, psi, times = NULL) {
  R <- diag(q); lag <- abs(outer(1:q, 1:q, "-"))
  if (structure == "ar1") { rho <- psi[2] / sqrt(1 + psi[2]^2); R <- rho^lag; s <- rep(exp(psi[1]), q) }
  else if (structure == "ou") { R <- exp(-exp(psi[2]) * abs(outer(times, times, "-"))); s <- rep(exp(psi[1]), q) }
  else {
    s <- exp(psi[1:q])
    if (structure == "cs") { a <- 1 / (q - 1); rho <- plogis(psi[q + 1]) * (1 + a) - a; R[lag > 0] <- rho }
    if (structure == "toep") { r <- psi[(q + 1):(2 * q - 1)]; r <- r / sqrt(1 + r^2); R[lag > 0] <- r[lag[lag > 0]] }
    if (structure == "us") { T <- matrix(0, q, q); T[lower.tri(T, diag = TRUE)] <- psi; return(T %*% t(T)) }
    if (structure == "scalar") return(matrix(psi[1]^2, 1, 1))
  }
  outer(s, s) * R
}
npar_of <- function(structure, q) switch(structure, ar1 = 2, ou = 2, cs = q + 1, toep = 2 * q - 1, diag = q, us = q * (q + 1) / 2, scalar = 1)

# lmerTest's Satterthwaite ddf with varpar = (each term's parameters, σ), at `par` and the σ̂ profiled
# there, from analytic derivatives of lmerTest's devfun_vp (numDeriv on the criterion itself proved
# too imprecise: on sleepstudy's cs its df moved from 22.35 to 42.9 with numDeriv's step). With
# V₀ = Z G Zᵀ + I, S = XᵀV₀⁻¹X, P = V₀⁻¹ − V₀⁻¹X S⁻¹XᵀV₀⁻¹, Q = yᵀPy, B = ZᵀPZ, u = ZᵀPy, G_i = ∂G/∂φ_i:
#   d = log|V₀| [+ log|S|] + Q/σ² + (n − p')·log(2πσ²)          (p' = p for REML, 0 for ML)
#   ∂²(log|V₀| + log|S|)/∂φ_i∂φ_j = tr(B G_ij) − tr(B G_i B G_j)   (ML: V₀⁻¹ in place of P)
#   ∂²Q/∂φ_i∂φ_j = 2 uᵀG_i B G_j u − uᵀG_ij u,   ∂Q/∂φ_i = −uᵀG_i u
#   ∂²d/∂φ_i∂σ = −2 ∂Q/∂φ_i / σ³,   ∂²d/∂σ² = 6Q/σ⁴ − 2(n − p')/σ²
#   ∂Var(β̂)/∂φ_i = σ² S⁻¹ XᵀV₀⁻¹ Z G_i Zᵀ V₀⁻¹X S⁻¹,   ∂Var(β̂)/∂σ = 2σ S⁻¹
# G_i and G_ij, the derivatives of each term's Σ/σ² (rel_cov, a closed form), by numDeriv.
satterthwaite <- function(X, Z, y, terms, par, reml) {
  n <- length(y); p <- ncol(X); np <- length(par)
  k <- 0
  blocks <- lapply(terms, function(t) { m <- npar_of(t$structure, t$q); idx <- k + seq_len(m); k <<- k + m; c(t, list(idx = idx)) })
  # G and its derivatives, term by term (each parameter acts in its own term's block)
  sizes <- sapply(blocks, function(b) b$q * b$nl); offs <- c(0, cumsum(sizes))
  G <- matrix(0, sum(sizes), sum(sizes))
  dG <- lapply(seq_len(np), function(i) G)
  d2G <- lapply(seq_len(np), function(i) lapply(seq_len(np), function(j) G))
  for (bi in seq_along(blocks)) {
    b <- blocks[[bi]]; rows <- offs[bi] + seq_len(sizes[bi]); psi <- par[b$idx]; q <- b$q
    f <- function(v) as.vector(rel_cov(b$structure, q, v, b$times))
    G[rows, rows] <- kronecker(diag(b$nl), matrix(f(psi), q))
    J <- numDeriv::jacobian(f, psi)
    H <- lapply(seq_len(q * q), function(e) numDeriv::hessian(function(v) f(v)[e], psi))
    for (a in seq_along(b$idx)) {
      dG[[b$idx[a]]][rows, rows] <- kronecker(diag(b$nl), matrix(J[, a], q))
      for (c in seq_along(b$idx)) d2G[[b$idx[a]]][[b$idx[c]]][rows, rows] <- kronecker(diag(b$nl), matrix(sapply(H, function(h) h[a, c]), q))
    }
  }
  V0 <- Z %*% G %*% t(Z) + diag(n)
  Vi <- chol2inv(chol(V0))
  S <- t(X) %*% Vi %*% X; Si <- solve(S)
  P <- Vi - Vi %*% X %*% Si %*% t(X) %*% Vi
  Q <- as.numeric(t(y) %*% P %*% y)
  pp <- if (reml) p else 0
  sigma <- sqrt(Q / (n - pp)); s2 <- sigma^2
  B <- t(Z) %*% (if (reml) P else Vi) %*% Z   # the log-determinants' part
  BQ <- t(Z) %*% P %*% Z                       # the quadratic form's part
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
  sapply(seq_len(p), function(j) {
    g <- sapply(Jac, function(M) M[j, j])
    2 * V[j, j]^2 / as.numeric(t(g) %*% A %*% g)
  })
}

# the oracle's Satterthwaite checked on lmerTest itself: sleepstudy's (Days | Subject), REML
local({
  m <- lmerTest::lmer(Reaction ~ Days + (Days | Subject), data = ss, REML = TRUE, control = lmerControl(optimizer = "nloptwrap",
    optCtrl = list(ftol_abs = 1e-14, ftol_rel = 1e-15, xtol_abs = 1e-12, xtol_rel = 1e-14)))
  ours <- satterthwaite(lme4::getME(m, "X"), as.matrix(lme4::getME(m, "Z")), lme4::getME(m, "y"),
                        list(list(structure = "us", q = 2, nl = 18)), lme4::getME(m, "theta"), TRUE)
  stopifnot(max(abs(ours / summary(m)$coefficients[, "df"] - 1)) < 1e-7)
})

# each case's terms (structure, q, levels) in Z's order, and glmmTMB's parameters as the oracle's
# varpar (log-SDs relative to σ; a scalar (1 | g) term's θ = SD/σ)
structures_of <- function(fit, formula) {
  vc <- VarCorr(fit)$cond
  kinds <- regmatches(formula, gregexpr("(ar1|cs|toep|diag|ou)\\(|\\(1 \\|", formula))[[1]]
  lapply(seq_along(vc), function(k) {
    kind <- sub("\\($", "", kinds[k]); if (kind == "(1 |") kind <- "scalar"
    # ou's times: the numFactor's levels "(0)", "(1)", … as numbers
    times <- if (kind == "ou") as.numeric(gsub("^.*\\(|\\)$", "", colnames(vc[[k]]))) else NULL
    list(structure = kind, q = nrow(vc[[k]]), nl = nlevels(fit$modelInfo$reTrms$cond$flist[[attr(fit$modelInfo$reTrms$cond$flist, "assign")[k]]]), times = times)
  })
}
varpar_of <- function(fit, terms) {
  th <- fit$fit$par[names(fit$fit$par) == "theta"]; s <- sigma(fit); k <- 0
  unlist(lapply(terms, function(t) {
    m <- npar_of(t$structure, t$q); v <- th[k + seq_len(m)]; k <<- k + m
    if (t$structure == "scalar") return(exp(v) / s)
    nsd <- if (t$structure %in% c("ar1", "ou")) 1 else t$q
    c(v[1:nsd] - log(s), v[-(1:nsd)])
  }))
}

out <- lapply(cases, function(cs) {
  dat <- if (cs$data == "structcov.csv") sim else ss
  lapply(c(TRUE, FALSE), function(reml) {
    fit <- fit_best(cs, dat, reml, glmmTMBControl(optCtrl = list(iter.max = 1e4, eval.max = 1e4, rel.tol = 1e-12)))
    ll <- logLik(fit)
    prof <- profiled(fit, reml)
    cf <- summary(fit)$coefficients$cond
    tms <- structures_of(fit, cs$formula)
    sat <- satterthwaite(getME(fit, "X"), as.matrix(getME(fit, "Z")), model.response(fit$frame), tms, varpar_of(fit, tms), reml)
    stopifnot(isTRUE(fit$sdr$pdHess), abs(prof$criterion + 2 * as.numeric(ll)) < 1e-6)
    list(
      name = cs$name, data = cs$data, formula = cs$formula, reml = reml,
      beta = unname(cf[, 1]), se = unname(cf[, 2]), xnames = rownames(cf),
      sigma = sigma(fit), terms = terms_of(fit), theta = unname(fit$fit$par[names(fit$fit$par) == "theta"]),
      betad = unname(fit$fit$par[names(fit$fit$par) == "betad"]),
      loglik = as.numeric(ll), df = attr(ll, "df"), aic = AIC(fit), bic = BIC(fit),
      objective_at = prof$criterion, se_lme4 = unname(prof$se),
      satterthwaite_df = sat
    )
  })
})
out <- unlist(out, recursive = FALSE)

# us(…) is lme4's unstructured term: lme4's fit of sleepstudy's (Days | Subject), to tight tolerances
tight <- lmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-14, ftol_rel = 1e-15, xtol_abs = 1e-12, xtol_rel = 1e-14))
getME <- lme4::getME
us <- lapply(c(TRUE, FALSE), function(reml) {
  m <- lmer(Reaction ~ Days + (Days | Subject), data = ss, REML = reml, control = tight)
  list(reml = reml, theta = unname(getME(m, "theta")), objective = unname(getME(m, "devcomp")$cmp[if (reml) "REML" else "dev"]),
       beta = unname(fixef(m)), sigma = sigma(m))
})
write(toJSON(list(glmmTMB = as.character(packageVersion("glmmTMB")), lme4 = as.character(packageVersion("lme4")), cases = out, us = us),
             auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(root, "structcov", "structcov.json"))
