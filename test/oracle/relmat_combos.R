#!/usr/bin/env Rscript
# References for a known covariance K (relmat) combined with the other features (issue 13), on the
# fixtures of test/oracle/relmat.R (the 40-species phylogeny; the pedigree with a herd factor). Every
# model is lme4's modular fit with Z L in place of Z (L = t(chol(K)), as in relmat.R):
#   inference:  Kenward-Roger by pbkrtest (vcovAdj and Lb_ddf on the modular fit: they read Zt from
#               it); Satterthwaite by a dense computation (V = sigma^2 (sum_k theta_k^2 Z_k K_k Z_k' + I),
#               the REML deviance in (theta, sigma) and Var(beta) differentiated by numDeriv, as lmerTest
#               defines it) -- lmerTest itself cannot be used: as_lmerModLT given the modular deviance
#               function reports other df (72.1 and 228.7 here against 5.74 and 189.2 from the
#               definition), so it is not the reference; profile intervals (lme4's confint(method =
#               "profile") on the modular fit); the likelihood-ratio test between two ML fits.
#   priors:     blme's modular path (lFormula -> Zt replaced -> blme:::mkBlmerDevfun -> optimizeLmer
#               -> mkMerMod -> repackageMerMod), with the default Wishart prior and a gamma prior on the
#               relmat term's SD.
#   NB:         the negative binomial GLMM count ~ x + (1 | species): the NB size maximizing the exact
#               Laplace likelihood (optimize over log size; at each size the modular glmer with
#               negative.binomial(size), optimized on the exact Laplace deviance, exact_laplace.R), the
#               joint optimum glmer.nb's alternation converges to; Var(beta) with the size known. Its
#               counts are simulated here (phylo_nb.csv): NB(size 2) on the phylogeny's rows.
# Usage (from the repository root): Rscript test/oracle/relmat_combos.R
# Writes test/fixtures/relmat/combos.json and phylo_nb.csv.
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
source(file.path(here, "exact_laplace.R"))
suppressMessages({ library(pbkrtest); library(blme); library(numDeriv); library(MASS) })
fx <- file.path(root, "test/fixtures/relmat")

phylo <- read.csv(file.path(fx, "phylo_data.csv")); phylo$species <- factor(phylo$species)
Kd <- read.csv(file.path(fx, "phylo_K.csv"), check.names = FALSE)
K <- as.matrix(Kd[, -1]); dimnames(K) <- list(Kd[, 1], Kd[, 1])
pdat <- read.csv(file.path(fx, "pedigree_data.csv")); pdat$animal <- factor(pdat$animal); pdat$herd <- factor(pdat$herd)
pj <- fromJSON(file.path(fx, "pedigree_A.json"))
A <- as.matrix(pj$A); dimnames(A) <- list(pj$ids, pj$ids)

# Zt's rows of the relmat terms replaced by (L (x) I)' Zt (scalar terms here)
with_relmat <- function(lf, relmats) {
  Zt <- lf$reTrms$Zt
  for (g in names(relmats)) {
    i <- which(names(lf$reTrms$cnms) == g)
    lev <- levels(lf$reTrms$flist[[g]])
    L <- t(chol(relmats[[g]][lev, lev]))
    rows <- (lf$reTrms$Gp[i] + 1):lf$reTrms$Gp[i + 1]
    Zt[rows, ] <- t(L) %*% Zt[rows, ]
  }
  lf$reTrms$Zt <- as(as(Zt, "CsparseMatrix"), "generalMatrix")
  lf
}
fit_lmm <- function(formula, data, relmats, REML) {
  lf <- with_relmat(lFormula(as.formula(formula), data = data, REML = REML), relmats)
  dev <- do.call(mkLmerDevfun, lf)
  opt <- optimizeLmer(dev, optimizer = "nloptwrap", control = TIGHT_LMER)
  list(m = mkMerMod(environment(dev), opt, lf$reTrms, fr = lf$fr), lf = lf, dev = dev)
}

# Satterthwaite's df by its definition, densely: varpar = (theta_1 .. theta_k, sigma)
satterthwaite_dense <- function(f, data, relmats, groups) {
  m <- f$m; lf <- f$lf
  y <- model.response(lf$fr); X <- lf$X; n <- length(y); p <- ncol(X)
  ZKZ <- lapply(groups, function(g) {
    Z <- model.matrix(~ 0 + lf$fr[[g]]); lev <- levels(lf$fr[[g]])
    Kg <- if (g %in% names(relmats)) relmats[[g]][lev, lev] else diag(length(lev))
    Z %*% Kg %*% t(Z)
  })
  Vof <- function(vp) { k <- length(groups); V <- diag(n); for (i in seq_len(k)) V <- V + vp[i]^2 * ZKZ[[i]]; vp[k + 1]^2 * V }
  reml <- function(vp) {
    R <- chol(Vof(vp)); Xs <- backsolve(R, X, transpose = TRUE); ys <- backsolve(R, y, transpose = TRUE)
    XtVX <- crossprod(Xs); b <- solve(XtVX, crossprod(Xs, ys)); r <- ys - Xs %*% b
    2 * sum(log(diag(R))) + as.numeric(determinant(XtVX)$modulus) + sum(r^2) + (n - p) * log(2 * pi)
  }
  C <- function(vp) solve(t(X) %*% solve(Vof(vp), X))
  vp <- c(as.numeric(getME(m, "theta")), sigma(m))
  Avp <- 2 * solve(hessian(reml, vp))
  b <- fixef(m)
  rows <- lapply(seq_len(p), function(i) {
    f1 <- function(v) C(v)[i, i]
    g <- grad(f1, vp); v <- f1(vp)
    df <- 2 * v^2 / sum(g * (Avp %*% g)); t <- b[[i]] / sqrt(v)
    list(name = names(b)[i], estimate = b[[i]], se = sqrt(v), df = df, t = t, p = 2 * pt(-abs(t), df))
  })
  list(rows = rows, varpar = I(vp), vcov_varpar = Avp)
}
kenward_roger <- function(m) {
  V0 <- vcov(m); Va <- vcovAdj(m); Vm <- as.matrix(Va); b <- fixef(m); p <- length(b)
  lapply(seq_len(p), function(i) {
    L <- matrix(0, 1, p); L[i] <- 1
    df <- Lb_ddf(L, V0, Va); t <- b[[i]] / sqrt(Vm[i, i])
    list(name = names(b)[i], estimate = b[[i]], se = sqrt(Vm[i, i]), df = df, t = t, p = 2 * pt(-abs(t), df))
  })
}
profile_ci <- function(m) {
  ci <- confint(m, method = "profile", oldNames = FALSE)
  setNames(lapply(seq_len(nrow(ci)), function(i) I(as.numeric(ci[i, ]))), rownames(ci))
}
fit_summary <- function(m) list(criterion = as.numeric(if (isREML(m)) REMLcrit(m) else deviance(m)),
  theta = I(as.numeric(getME(m, "theta"))), sigma = sigma(m), fixef = named(fixef(m)),
  se = named(sqrt(diag(as.matrix(vcov(m))))), loglik = as.numeric(logLik(m)), aic = AIC(m), bic = BIC(m))

res <- list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
            pbkrtest = as.character(packageVersion("pbkrtest")), blme = as.character(packageVersion("blme")))

# ---- inference ----
inf_case <- function(name, formula, data, relmats, groups) {
  f <- fit_lmm(formula, data, relmats, TRUE)
  sat <- satterthwaite_dense(f, data, relmats, groups)
  # the dense definition's coefficients agree with the modular fit's
  stopifnot(max(abs(sapply(sat$rows, `[[`, "se") - sqrt(diag(as.matrix(vcov(f$m)))))) < 1e-6)
  list(name = name, formula = formula, fit = fit_summary(f$m), satterthwaite = sat$rows,
       kenward_roger = kenward_roger(f$m), profile = profile_ci(f$m))
}
res$inference <- list(
  inf_case("phylo", "y ~ x + (1 | species)", phylo, list(species = K), "species"),
  inf_case("pedigree_herd", "y ~ x + (1 | animal) + (1 | herd)", pdat, list(animal = A), c("animal", "herd")))

# likelihood-ratio test between two ML fits (and the same from REML fits, refitted with ML)
m0 <- fit_lmm("y ~ 1 + (1 | species)", phylo, list(species = K), FALSE)$m
m1 <- fit_lmm("y ~ x + (1 | species)", phylo, list(species = K), FALSE)$m
chisq <- as.numeric(2 * (logLik(m1) - logLik(m0)))
res$lrt <- list(formulas = I(c("y ~ 1 + (1 | species)", "y ~ x + (1 | species)")),
  fits = list(fit_summary(m0), fit_summary(m1)), chisq = chisq, df = 1, p = pchisq(chisq, 1, lower.tail = FALSE))

# ---- priors (blme) ----
blme_case <- function(name, cov_prior) {
  lmod <- with_relmat(lFormula(y ~ x + (1 | species), data = phylo, REML = TRUE), list(species = K))
  devfun <- do.call(blme:::mkBlmerDevfun, c(lmod, lmod$X, lmod$reTrms, list(
    priors = list(covPriors = cov_prior, fixefPrior = NULL, residPrior = NULL), start = NULL, verbose = 0L,
    control = lmerControl(), env = environment())))
  opt <- blme:::optimizeLmer(devfun, optimizer = "nloptwrap", control = list(ftol_abs = 1e-14, ftol_rel = 1e-15, xtol_abs = 1e-12, xtol_rel = 1e-14, maxeval = 1e5),
    restart_edge = FALSE, boundary.tol = 0, verbose = 0L, start = NULL, calc.derivs = FALSE, use.last.params = FALSE)
  fit <- mkMerMod(environment(devfun), opt, lmod$reTrms, fr = lmod$fr)
  fit <- blme:::repackageMerMod(fit, opt, environment(devfun))
  cmp <- fit@devcomp$cmp
  list(name = name, cov_prior = if (is.character(cov_prior)) cov_prior else deparse(cov_prior),
       objective = opt$fval, theta = I(as.numeric(getME(fit, "theta"))), sigma = sigma(fit),
       fixef = named(fixef(fit)), se = named(sqrt(diag(as.matrix(vcov(fit))))),
       remlcrit = unname(cmp["REML"]), penalty = unname(cmp["penalty"]))
}
res$priors <- list(
  blme_case("wishart", quote(wishart)),
  blme_case("gamma_sd", "gamma(shape = 2.5, rate = 0.5, posterior.scale = 'sd')"))

# ---- negative binomial ----
# overdispersed counts on the phylogeny's rows: b = sqrt(0.5) L z, count ~ NB(size 2, mu = exp(0.3 + 0.4 x + b))
set.seed(20261204)
sp <- levels(phylo$species)
bnb <- setNames(sqrt(0.5) * as.numeric(t(chol(K[sp, sp])) %*% rnorm(length(sp))), sp)
nbdat <- data.frame(species = phylo$species, x = phylo$x)
nbdat$count <- rnbinom(nrow(nbdat), size = 2, mu = exp(0.3 + 0.4 * nbdat$x + bnb[as.character(nbdat$species)]))
write.csv(nbdat, file.path(fx, "phylo_nb.csv"), row.names = FALSE)
nb_at <- function(size, start = NULL) {
  gf <- with_relmat(glFormula(count ~ x + (1 | species), data = nbdat, family = negative.binomial(size)), list(species = K))
  dev <- do.call(mkGlmerDevfun, c(gf, list(nAGQ = 0L, control = glmerControl(tolPwrss = 1e-12))))
  o1 <- optimizeGlmer(dev, stage = 1)
  dev <- updateGlmerDevfun(dev, gf$reTrms, nAGQ = 1L)
  exact <- exact_devfun(dev, 1L)
  beta0 <- environment(dev)$pp$delb
  xo <- exact_optimum(exact, o1$par, beta0, getME(mkMerMod(environment(dev), o1, gf$reTrms, fr = gf$fr), "lower"))
  xo
}
o <- optimize(function(ls) nb_at(exp(ls))$value, c(log(0.05), log(50)), tol = 1e-9)
size <- exp(o$minimum)
xo <- nb_at(size)
res$negative_binomial <- list(formula = "count ~ x + (1 | species)", data = "phylo_nb.csv", nb_size = size,
  deviance_laplace = xo$value, theta = I(xo$theta), fixef = as.list(setNames(xo$beta, c("(Intercept)", "x"))),
  se = as.list(setNames(sqrt(diag(xo$vcov)), c("(Intercept)", "x"))),
  aic = xo$value + 2 * (length(xo$theta) + length(xo$beta) + 1),
  method = "optimize(log size) of the exact Laplace deviance's optimum (modular glmer, negative.binomial(size), Zt <- t(L) %*% Zt)")

write_json_file(res, file.path(fx, "combos.json"))
cat("wrote", file.path(fx, "combos.json"), "\n")
