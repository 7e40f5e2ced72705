#!/usr/bin/env Rscript
# merTools 0.5.2's predictInterval, REsim and FEsim (on arm 1.13-1's sim), for test/predictIntervalSim.test.ts.
# Monte-Carlo outputs with n.sims = 20000 and a fixed seed; the deterministic pieces exactly:
#  - the covariance, per unit scale s², of arm's joint draw of (b, β): A⁻¹ with
#    A = [[ΛᵀZᵀWZΛ + I, ΛᵀZᵀWX], [XᵀWZΛ, XᵀWX]] formed densely (no permutation), Var(b)/s² = Λ A⁻¹_uu Λᵀ;
#    arm's own (its t(Lambda) in place of Λ) beside it, where it differs (correlated random slopes);
#  - pwrss, n − p, and merTools's residDF = n − (p + length(θ) + 1).
# Fits to tight tolerances (the optimum our fit reaches).
# Usage (from the repository root): Rscript test/oracle/merTools.R test/fixtures/data test/fixtures/merTools.json
# Needs: lme4 1.1-31, merTools 0.5.2, arm 1.13-1, jsonlite. About 18 minutes on 2 shared cores (arm::sim loops per draw).
suppressMessages({ library(lme4); library(merTools); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
rd <- function(f, ...) read.csv(file.path(dataDir, f), stringsAsFactors = TRUE, ...)
tight <- lmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
gtight <- glmerControl(optimizer = "bobyqa", tolPwrss = 1e-12, optCtrl = list(rhoend = 1e-10, maxfun = 1e5))
NS <- 20000

sleep <- rd("sleepstudy.csv"); sleep$Subject <- factor(sleep$Subject)
cbpp <- rd("cbpp.csv"); cbpp$herd <- factor(cbpp$herd); cbpp$period <- factor(cbpp$period)
twof <- rd("broom_two_factors.csv"); twof$g <- factor(twof$g); twof$h <- factor(twof$h)

# the exact covariance of arm's draw per unit s² (module comment), and arm's own
drawCov <- function(m) {
  Z <- as.matrix(getME(m, "Z")); X <- getME(m, "X"); Lam <- as.matrix(getME(m, "Lambda"))
  W <- if (isGLMM(m)) m@resp$sqrtXwt^2 else weights(m)
  ZL <- Z %*% Lam; q <- ncol(Z); p <- ncol(X)
  A <- rbind(cbind(crossprod(ZL, W * ZL) + diag(q), crossprod(ZL, W * X)), cbind(crossprod(X, W * ZL), crossprod(X, W * X)))
  Ai <- solve(A)
  Vb <- Lam %*% Ai[1:q, 1:q] %*% t(Lam)
  Vb_arm <- t(Lam) %*% Ai[1:q, 1:q] %*% Lam
  list(b_var = diag(Vb), b_var_arm = diag(Vb_arm), beta_cov = unname(Ai[q + 1:p, q + 1:p]),
       b_beta_cov = unname(Lam %*% Ai[1:q, q + 1:p]))
}
# lme4's b in its order (term, level, column), named as REsim's rows
bInfo <- function(m) {
  re <- ranef(m, condVar = TRUE)
  lapply(names(re), function(f) {
    r <- re[[f]]; pv <- attr(r, "postVar")
    list(group = f, levels = rownames(r), terms = colnames(r), modes = unname(as.matrix(r)),
         condVar = lapply(seq_len(nrow(r)), function(g) unname(as.matrix(pv[, , g]))))
  })
}
pi <- function(m, nd, ...) {
  a <- list(...)
  r <- suppressWarnings(suppressMessages(predictInterval(m, newdata = nd, n.sims = NS, seed = 1, ...)))
  c(a, list(fit = r$fit, upr = r$upr, lwr = r$lwr, effect = if (!is.null(r$effect)) r$effect else NULL))
}
resim <- function(m) { r <- REsim(m, n.sims = NS, seed = 1); r[] <- lapply(r, function(x) if (is.factor(x)) as.character(x) else x); r }
fesim <- function(m) FEsim(m, n.sims = NS, seed = 1)
base <- function(m) {
  n <- nrow(m@frame); p <- length(fixef(m))
  list(theta = unname(getME(m, "theta")), beta = unname(fixef(m)), vcov = unname(as.matrix(vcov(m))),
       sigma = sigma(m), pwrss = m@devcomp$cmp[["pwrss"]], n = n, p = p,
       residDF = n - (p + length(getME(m, "theta")) + 1), blocks = bInfo(m), draw_cov = drawCov(m))
}

cases <- list()
# 1. sleepstudy, correlated random slopes (REML); new data with a new subject
m1 <- lmer(Reaction ~ Days + (Days | Subject), sleep, control = tight)
nd1 <- data.frame(Subject = factor(c("308", "308", "335", "372", "999")), Days = c(0, 9, 5, 2, 4))
cases$sleep_slopes <- c(list(formula = "Reaction ~ Days + (Days | Subject)", data = "sleepstudy.csv", factors = list("Subject"),
  newdata = nd1), base(m1), list(
  predict = list(
    pi(m1, nd1, which = "full"), pi(m1, nd1, which = "fixed"), pi(m1, nd1, which = "random"),
    pi(m1, nd1, which = "full", include.resid.var = FALSE), pi(m1, nd1, which = "fixed", include.resid.var = FALSE),
    pi(m1, nd1, which = "random", include.resid.var = FALSE), pi(m1, nd1, which = "full", stat = "mean", level = 0.95),
    pi(m1, nd1, which = "all")),
  resim = resim(m1), fesim = fesim(m1)))
# 2. sleepstudy, random intercepts (arm's draws are right here: Λ diagonal)
m2 <- lmer(Reaction ~ Days + (1 | Subject), sleep, control = tight)
cases$sleep_intercept <- c(list(formula = "Reaction ~ Days + (1 | Subject)", data = "sleepstudy.csv", factors = list("Subject"),
  newdata = nd1), base(m2), list(
  predict = list(pi(m2, nd1, which = "full"), pi(m2, nd1, which = "full", include.resid.var = FALSE)),
  resim = resim(m2), fesim = fesim(m2)))
# 3. cbpp, binomial glmer; new data with a new herd
m3 <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial, control = gtight)
nd3 <- data.frame(herd = factor(c("1", "3", "15", "99")), period = factor(c("1", "2", "4", "3"), levels = c("1", "2", "3", "4")))
cases$cbpp <- c(list(formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", data = "cbpp.csv", factors = list("herd", "period"),
  family = "binomial", newdata = nd3), base(m3), list(
  predict = list(
    pi(m3, nd3, which = "full"), pi(m3, nd3, which = "fixed"), pi(m3, nd3, which = "random"),
    pi(m3, nd3, which = "full", include.resid.var = FALSE), pi(m3, nd3, which = "fixed", include.resid.var = FALSE),
    pi(m3, nd3, which = "random", include.resid.var = FALSE),
    pi(m3, nd3, which = "full", type = "probability"), pi(m3, nd3, which = "full", type = "probability", include.resid.var = FALSE)),
  resim = resim(m3), fesim = fesim(m3)))
# 4. two crossed grouping factors, a correlated random slope on the first (ML)
m4 <- lmer(y ~ x + (x | g) + (1 | h), twof, REML = FALSE, control = tight)
nd4 <- data.frame(g = factor(c("g1", "g2", "g3", "gnew")), h = factor(c("h1", "h2", "hnew", "h1")), x = c(0.5, 3, 7.5, 2))
cases$two_factors <- c(list(formula = "y ~ x + (x | g) + (1 | h)", data = "broom_two_factors.csv", factors = list("g", "h"), reml = FALSE,
  newdata = nd4), base(m4), list(
  predict = list(pi(m4, nd4, which = "full"), pi(m4, nd4, which = "random", include.resid.var = FALSE)),
  resim = resim(m4), fesim = fesim(m4)))

writeLines(toJSON(list(n_sims = NS, merTools = as.character(packageVersion("merTools")), arm = as.character(packageVersion("arm")),
  lme4 = as.character(packageVersion("lme4")), cases = cases), digits = NA, auto_unbox = TRUE, na = "null"), out)
