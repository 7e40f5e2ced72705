#!/usr/bin/env Rscript
# Adaptive product-rule Gauss-Hermite quadrature for ONE grouping factor with a vector term
# ((1 + x | g), (x || g)): references for test/agqVector.test.ts (src/glmm/agqVector.ts). lme4 refuses
# nAGQ > 1 here and GLMMadaptive is not installed, so this is an independent R implementation:
#
#   -2l(theta, beta) = sum_g -2 log I_g,  I_g = int (2 pi)^(-q/2) exp(-devc_g(u)/2) du,
#   devc_g(u) = |u|^2 + sum_{i in g} d(y_i, mu_i),  eta = X beta + Z_g Lambda u,
#
# (d the family's deviance residuals, as lme4's glmerAGQ). Per group: the mode u~ by Fisher-scoring
# Newton steps (to |step| < 1e-13), the scale L_g (L_g L_g' = I + Lambda' Z_g' W Z_g Lambda, W the
# expected weights at u~, as lme4's and our L), and u = u~ + L_g^-T z:
#   -2 log I_g = devc_g(u~) + log|L_g|^2 - 2 log J_g,   J_g = int phi_q(z) exp(-D(z)/2 + |z|^2/2) dz,
#   D(z) = devc_g(u~ + L_g^-T z) - devc_g(u~), and J_g by
#   (a) the K^q product rule of statmod::gauss.quad.prob(K, "normal"), and
#   (b) cubature::hcubature of (2 pi)^(-q/2) exp(-D(z)/2) over z in [-12, 12]^q (tol 1e-11; the mass
#       outside is below e^-60), which validates (a): (a) at K = 25 and (b) must agree to 1e-8.
# Then the optimum in (theta, beta) of (a) at K = 5 and K = 9 by minqa::bobyqa from lme4's Laplace fit
# (rhoend 1e-9), with Var(beta) = the beta block of 2 H^-1 (numDeriv::hessian of the deviance in
# (theta, beta), as lme4's calc.vcov.hess). And q = 1: (a) on (1 | g) against lme4's glmer(nAGQ = K)
# deviance function, the check that (a) is lme4's quadrature.
# Usage (from the repository root): Rscript test/oracle/agq_vector.R
suppressPackageStartupMessages({ library(lme4); library(statmod); library(cubature); library(minqa); library(numDeriv); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
out <- file.path(root, "test/fixtures/agq_vector")
dir.create(out, showWarnings = FALSE, recursive = TRUE)

# ---- data: simulated, written to the fixtures ----------------------------------------------------
set.seed(20261208)
ng <- 60; m <- 8
g <- rep(seq_len(ng), each = m)
x <- round(rnorm(ng * m), 4)
S <- matrix(c(1, 0.3 * 0.6, 0.3 * 0.6, 0.36), 2)   # sd 1 and 0.6, correlation 0.3
b <- t(t(chol(S)) %*% matrix(rnorm(2 * ng), 2))
y <- rbinom(ng * m, 1, plogis(-0.4 + 0.8 * x + b[g, 1] + b[g, 2] * x))
binary <- data.frame(y = y, x = x, g = sprintf("g%02d", g))
write.csv(binary, file.path(out, "binary.csv"), row.names = FALSE, quote = FALSE)

ng2 <- 50; m2 <- 8
g2 <- rep(seq_len(ng2), each = m2)
x2 <- round(runif(ng2 * m2, -1, 1), 4)
S2 <- matrix(c(0.25, -0.2 * 0.5 * 0.4, -0.2 * 0.5 * 0.4, 0.16), 2)
b2 <- t(t(chol(S2)) %*% matrix(rnorm(2 * ng2), 2))
cnt <- rpois(ng2 * m2, exp(0.7 + 0.5 * x2 + b2[g2, 1] + b2[g2, 2] * x2))
counts <- data.frame(y = cnt, x = x2, g = sprintf("h%02d", g2))
write.csv(counts, file.path(out, "counts.csv"), row.names = FALSE, quote = FALSE)

# ---- the per-group quadrature ------------------------------------------------------------------
# spec: the data, the model matrices, the family, Lambda from theta
mkSpec <- function(data, fam, diagonal) {
  X <- cbind(1, data$x)
  Z <- cbind(1, data$x)
  gi <- split(seq_len(nrow(data)), factor(data$g))
  list(X = X, Z = Z, y = data$y, wt = rep(1, nrow(data)), fam = fam, groups = gi, q = 2, diagonal = diagonal)
}
lambdaOf <- function(theta, spec) {
  if (spec$diagonal) return(diag(theta, spec$q))
  L <- matrix(0, spec$q, spec$q); L[lower.tri(L, diag = TRUE)] <- theta; L
}
# devc for the columns of U (q x N) of one group: |u|^2 + sum_i d(y_i, mu_i)
devcCols <- function(U, base, ZL, y, wt, fam) {
  eta <- base + ZL %*% U
  mu <- fam$linkinv(eta)
  dr <- matrix(fam$dev.resids(rep(y, ncol(U)), as.vector(mu), rep(wt, ncol(U))), nrow = length(y))
  colSums(U^2) + colSums(dr)
}
# the mode and the scale of one group
groupMode <- function(base, ZL, y, wt, fam, q) {
  u <- rep(0, q)
  f <- devcCols(matrix(u), base, ZL, y, wt, fam)
  for (it in 1:200) {
    eta <- as.vector(base + ZL %*% u); mu <- fam$linkinv(eta); me <- fam$mu.eta(eta); v <- fam$variance(mu)
    grad <- u - as.vector(crossprod(ZL, wt * (y - mu) * me / v))
    H <- diag(q) + crossprod(ZL, (wt * me^2 / v) * ZL)
    step <- -solve(H, grad)
    s <- 1
    repeat {
      un <- u + s * step; fn <- devcCols(matrix(un), base, ZL, y, wt, fam)
      if (fn <= f + 1e-12 * abs(f) || s < 1e-6) break
      s <- s / 2
    }
    u <- un; f <- fn
    if (max(abs(s * step)) < 1e-13) break
  }
  eta <- as.vector(base + ZL %*% u); mu <- fam$linkinv(eta); me <- fam$mu.eta(eta); v <- fam$variance(mu)
  H <- diag(q) + crossprod(ZL, (wt * me^2 / v) * ZL)
  R <- chol(H)   # R'R = H: L = R'
  list(u = u, f = f, R = R, ldL2 = 2 * sum(log(diag(R))))
}
# -2 l by (a) the K^q product rule, or (b) hcubature (K = NULL)
devAgq <- function(par, spec, K = NULL) {
  nth <- if (spec$diagonal) spec$q else spec$q * (spec$q + 1) / 2
  theta <- par[seq_len(nth)]; beta <- par[-seq_len(nth)]
  Lam <- lambdaOf(theta, spec)
  q <- spec$q
  if (!is.null(K)) {
    r <- gauss.quad.prob(K, "normal")
    grid <- as.matrix(expand.grid(rep(list(seq_len(K)), q)))
    Zn <- t(matrix(r$nodes[grid], ncol = q))            # q x K^q
    W <- apply(matrix(r$weights[grid], ncol = q), 1, prod)
  }
  total <- 0
  for (rows in spec$groups) {
    base <- as.vector(spec$X[rows, , drop = FALSE] %*% beta)
    ZL <- spec$Z[rows, , drop = FALSE] %*% Lam
    y <- spec$y[rows]; wt <- spec$wt[rows]
    md <- groupMode(base, ZL, y, wt, spec$fam, q)
    Dof <- function(Zc) devcCols(md$u + backsolve(md$R, Zc), base, ZL, y, wt, spec$fam) - md$f
    if (!is.null(K)) {
      J <- sum(W * exp(-Dof(Zn) / 2 + colSums(Zn^2) / 2))
    } else {
      J <- hcubature(function(Zc) matrix((2 * pi)^(-q / 2) * exp(-Dof(Zc) / 2), nrow = 1),
                     lowerLimit = rep(-12, q), upperLimit = rep(12, q), tol = 1e-11, vectorInterface = TRUE, maxEval = 0)$integral
    }
    total <- total + md$f + md$ldL2 - 2 * log(J)
  }
  total
}

cases <- list(
  list(name = "binary_slopes", data = binary, file = "binary.csv", formula = "y ~ x + (1 + x | g)", lme4 = y ~ x + (1 + x | g), family = "binomial", fam = binomial(), diagonal = FALSE),
  list(name = "binary_diag", data = binary, file = "binary.csv", formula = "y ~ x + (x || g)", lme4 = y ~ x + (x || g), family = "binomial", fam = binomial(), diagonal = TRUE),
  list(name = "poisson_slopes", data = counts, file = "counts.csv", formula = "y ~ x + (1 + x | g)", lme4 = y ~ x + (1 + x | g), family = "poisson", fam = poisson(), diagonal = FALSE)
)

for (cs in cases) {
  spec <- mkSpec(cs$data, cs$fam, cs$diagonal)
  lap <- glmer(cs$lme4, data = cs$data, family = cs$fam, control = glmerControl(optimizer = "bobyqa"))
  nth <- length(getME(lap, "theta"))
  p0 <- c(getME(lap, "theta"), fixef(lap))
  pts <- list(p0, p0 * c(rep(1.2, nth), 0.9, 1.1))
  # the deviance at fixed points: (a) at K = 5, 9, 25; (b) once
  at <- lapply(pts, function(p) {
    a <- sapply(c(5, 9, 25), function(K) devAgq(p, spec, K))
    bb <- devAgq(p, spec, NULL)
    cat(cs$name, ": (a) K=25 vs (b) hcubature, relative", abs(a[3] - bb) / abs(bb), "\n")
    stopifnot(abs(a[3] - bb) / abs(bb) < 1e-8)
    list(theta = p[seq_len(nth)], beta = unname(p[-seq_len(nth)]), K5 = a[1], K9 = a[2], K25 = a[3], hcubature = bb)
  })
  fits <- lapply(if (cs$name == "binary_diag") integer(0) else c(5, 9), function(K) {
    f <- function(p) devAgq(p, spec, K)
    o <- bobyqa(p0, f, lower = c(if (cs$diagonal) rep(0, nth) else c(0, -Inf, 0), rep(-Inf, length(fixef(lap)))),
                control = list(rhobeg = 0.05, rhoend = 1e-9, maxfun = 20000))
    H <- hessian(f, o$par)
    V <- 2 * solve(H)
    ib <- -seq_len(nth)
    cat(cs$name, "K =", K, ": deviance", o$fval, "evals", o$feval, "\n")
    list(nAGQ = K, theta = o$par[seq_len(nth)], beta = o$par[ib], deviance = o$fval,
         se = sqrt(diag(V)[ib]), evaluations = o$feval)
  })
  write(toJSON(list(name = cs$name, data = cs$file, formula = cs$formula, family = cs$family,
                    laplace = list(theta = unname(getME(lap, "theta")), beta = unname(fixef(lap)), deviance = deviance(lap)),
                    at = at, fits = fits), auto_unbox = TRUE, digits = NA, pretty = TRUE),
        file.path(out, paste0(cs$name, ".json")))
}

# ---- q = 1: (a) on (1 | g) against lme4's glmer(nAGQ = K) deviance function ------------------------
scalarSpec <- function(data, fam) {
  s <- mkSpec(data, fam, TRUE); s$Z <- matrix(1, nrow(data), 1); s$q <- 1; s
}
q1 <- lapply(list(list(name = "binary", data = binary, fam = binomial()), list(name = "counts", data = counts, fam = poisson())), function(cs) {
  spec <- scalarSpec(cs$data, cs$fam)
  lapply(c(5, 9), function(K) {
    fit <- glmer(y ~ x + (1 | g), data = cs$data, family = cs$fam, nAGQ = K)
    p <- c(getME(fit, "theta"), fixef(fit))
    dfun <- glmer(y ~ x + (1 | g), data = cs$data, family = cs$fam, nAGQ = K, devFunOnly = TRUE)
    # lme4's PIRLS stops at a relative change of 1e-7: settle it (each call starts from the last modes)
    v <- dfun(p); for (i in 1:50) { v1 <- dfun(p); if (abs(v1 - v) < 1e-13 * abs(v)) break; v <- v1 }
    a <- devAgq(p, spec, K)
    cat("q = 1", cs$name, "K =", K, ": (a)", a, "lme4", v1, "relative", abs(a - v1) / abs(v1), "\n")
    stopifnot(abs(a - v1) / abs(v1) < 1e-8)
    list(data = paste0(cs$name, ".csv"), nAGQ = K, theta = unname(getME(fit, "theta")), beta = unname(fixef(fit)), lme4 = v1, rule = a)
  })
})
write(toJSON(unlist(q1, recursive = FALSE), auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(out, "scalar_lme4.json"))
