#!/usr/bin/env Rscript
# RLRsim 3.1.8's exact (restricted) likelihood-ratio tests of a variance component, for
# test/rlrsim.test.ts: exactRLRT(m), exactRLRT(m, mA, m0) and exactLRT(m, m0).
# Usage (from the repository root): Rscript test/oracle/rlrsim.R
# Writes test/fixtures/rlrsim/rlrsim.json: per case the observed statistic, the eigenvalues the null
# distribution uses (RLRTSim's mu, LRTSim's mu and xi, sorted decreasing), the p-value of a run with
# nsim = 1e6, and that run's null sample summarized (its mass at 0, and P(T > x) at its quantiles), so
# that the tests compare our simulated null law with RLRsim's within Monte Carlo error (R's RNG is not
# ours). Every lmer fit runs lme4's optimizer to tight tolerances.
# Needs: R with lme4 (1.1-31), RLRsim (3.1.8) and jsonlite.
suppressMessages({ library(lme4); library(RLRsim); library(jsonlite) })
root <- "test/fixtures"
tight <- lmerControl(optimizer = "nloptwrap",
                     optCtrl = list(ftol_abs = 1e-14, ftol_rel = 1e-15, xtol_abs = 1e-12, xtol_rel = 1e-14))
ss <- read.csv(file.path(root, "data", "sleepstudy.csv"), stringsAsFactors = TRUE)
ss$Subject <- factor(ss$Subject)
dy <- read.csv(file.path(root, "data", "dyestuff.csv"), stringsAsFactors = TRUE)
dy2 <- read.csv(file.path(root, "data", "dyestuff2.csv"), stringsAsFactors = TRUE)
NSIM <- 1e6
probs <- c(0.6, 0.75, 0.9, 0.95, 0.99)

# the eigenvalues RLRTSim and LRTSim use (their own lines, on the design extract.lmerModDesign gives)
eigen_rlrt <- function(m) {
  d <- RLRsim:::extract.lmerModDesign(m)
  Vr <- d$Vr; if (all(Vr == 0)) diag(Vr) <- 1
  mu <- (svd(chol(cov2cor(Vr)) %*% t(qr.resid(qr(d$X), d$Z)), nu = 0, nv = 0)$d)^2
  sort(mu / max(mu), decreasing = TRUE)
}
eigen_lrt <- function(m) {
  d <- RLRsim:::extract.lmerModDesign(m)
  S <- chol(cov2cor(d$Vr))
  mu <- (svd(S %*% t(qr.resid(qr(d$X), d$Z)), nu = 0, nv = 0)$d)^2
  xi <- (svd(S %*% t(d$Z), nu = 0, nv = 0)$d)^2
  mu <- mu / max(mu, xi); xi <- xi / max(mu, xi)
  list(mu = sort(mu, decreasing = TRUE), xi = sort(xi, decreasing = TRUE))
}
null_summary <- function(sample) {
  q <- unname(quantile(sample, probs, type = 7))
  list(nsim = length(sample), mass0 = mean(sample == 0), probs = probs, quantiles = q,
       exceed = sapply(q, function(x) mean(sample > x)), mean = mean(sample))
}
# the null law of the RLRT with a given design, simulated whatever the observed statistic
rlrt_null <- function(m) {
  d <- RLRsim:::extract.lmerModDesign(m)
  Vr <- d$Vr; if (all(Vr == 0)) diag(Vr) <- 1
  RLRTSim(d$X, d$Z, qrX = qr(d$X), sqrt.Sigma = chol(cov2cor(Vr)), seed = 20261206, nsim = NSIM)
}

cases <- list()

# 1. one random effect: sleepstudy (1 | Subject), REML
m1 <- lmer(Reaction ~ Days + (1 | Subject), ss, control = tight)
t1 <- exactRLRT(m1, seed = 1, nsim = NSIM)
cases[[length(cases) + 1]] <- list(name = "sleepstudy_intercept", kind = "rlrt", data = "sleepstudy.csv",
  formula = "Reaction ~ Days + (1 | Subject)", reml = TRUE,
  statistic = unname(t1$statistic), p = t1$p.value, nsim = NSIM, mu = eigen_rlrt(m1),
  null = null_summary(t1$sample), n = nrow(ss), p_fixed = ncol(getME(m1, "X")), K = nlevels(ss$Subject))

# 2. several random effects: the slope's variance in (1 | Subject) + (0 + Days | Subject)
mA <- lmer(Reaction ~ Days + (1 | Subject) + (0 + Days | Subject), ss, control = tight)
m0 <- lmer(Reaction ~ Days + (1 | Subject), ss, control = tight)
mS <- lmer(Reaction ~ Days + (0 + Days | Subject), ss, control = tight)
t2 <- exactRLRT(mS, mA, m0, seed = 1, nsim = NSIM)
cases[[length(cases) + 1]] <- list(name = "sleepstudy_slope", kind = "rlrt", data = "sleepstudy.csv",
  formula = "Reaction ~ Days + (0 + Days | Subject)",
  full = "Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)", null = "Reaction ~ Days + (1 | Subject)",
  reml = TRUE, statistic = unname(t2$statistic), p = t2$p.value, nsim = NSIM, mu = eigen_rlrt(mS),
  null_law = null_summary(t2$sample), n = nrow(ss), p_fixed = 2, K = nlevels(ss$Subject))

# 3. a moderate p-value: Dyestuff (1 | Batch)
m3 <- lmer(Yield ~ 1 + (1 | Batch), dy, control = tight)
t3 <- exactRLRT(m3, seed = 1, nsim = NSIM)
cases[[length(cases) + 1]] <- list(name = "dyestuff", kind = "rlrt", data = "dyestuff.csv",
  formula = "Yield ~ 1 + (1 | Batch)", reml = TRUE,
  statistic = unname(t3$statistic), p = t3$p.value, nsim = NSIM, mu = eigen_rlrt(m3),
  null = null_summary(t3$sample), n = nrow(dy), p_fixed = 1, K = nlevels(dy$Batch))

# 4. the tested variance estimated at 0: Dyestuff2 (1 | Batch) (statistic 0, p = 1, no simulation);
#    its null law anyway (RLRTSim on the same design), to test the simulation on it
m4 <- suppressMessages(lmer(Yield ~ 1 + (1 | Batch), dy2, control = tight))
t4 <- suppressMessages(exactRLRT(m4, seed = 1, nsim = NSIM))
cases[[length(cases) + 1]] <- list(name = "dyestuff2_zero", kind = "rlrt", data = "dyestuff2.csv",
  formula = "Yield ~ 1 + (1 | Batch)", reml = TRUE,
  statistic = unname(t4$statistic), p = t4$p.value, nsim = 0, mu = eigen_rlrt(m4),
  null = null_summary(rlrt_null(m4)), theta = unname(getME(m4, "theta")), n = nrow(dy2), p_fixed = 1, K = 6)

# 5. ML: exactLRT of sleepstudy (1 | Subject) against lm(Reaction ~ Days) (q = 0) and lm(Reaction ~ 1) (q = 1)
m5 <- lmer(Reaction ~ Days + (1 | Subject), ss, REML = FALSE, control = tight)
for (nullf in c("Reaction ~ Days", "Reaction ~ 1")) {
  l0 <- lm(as.formula(nullf), ss)
  t5 <- suppressMessages(exactLRT(m5, l0, seed = 1, nsim = NSIM))
  e <- eigen_lrt(m5)
  cases[[length(cases) + 1]] <- list(name = paste0("sleepstudy_ml_", if (nullf == "Reaction ~ 1") "q1" else "q0"),
    kind = "lrt", data = "sleepstudy.csv", formula = "Reaction ~ Days + (1 | Subject)", reml = FALSE,
    null = nullf, q = ncol(getME(m5, "X")) - length(coef(l0)),
    statistic = unname(t5$statistic), p = t5$p.value, nsim = NSIM, mu = e$mu, xi = e$xi,
    null_law = null_summary(t5$sample), n = nrow(ss), p_fixed = 2, K = nlevels(ss$Subject))
}

# 6. exactRLRT of an ML fit: the restricted likelihood at the ML estimates (RLRsim's message)
t6 <- suppressMessages(exactRLRT(m5, seed = 1, nsim = 1000))
cases[[length(cases) + 1]] <- list(name = "sleepstudy_ml_rlrt", kind = "rlrt", data = "sleepstudy.csv",
  formula = "Reaction ~ Days + (1 | Subject)", reml = FALSE, statistic = unname(t6$statistic), p = t6$p.value,
  nsim = 1000, mu = eigen_rlrt(m5), n = nrow(ss), p_fixed = 2, K = nlevels(ss$Subject))

# 7. exactLRT of a REML fit: the likelihood at the REML estimates (RLRsim's message)
t7 <- suppressMessages(exactLRT(m1, lm(Reaction ~ Days, ss), seed = 1, nsim = 1000))
cases[[length(cases) + 1]] <- list(name = "sleepstudy_reml_lrt", kind = "lrt", data = "sleepstudy.csv",
  formula = "Reaction ~ Days + (1 | Subject)", reml = TRUE, null = "Reaction ~ Days", q = 0,
  statistic = unname(t7$statistic), p = t7$p.value, nsim = 1000, n = nrow(ss), p_fixed = 2, K = nlevels(ss$Subject))

# the printout of exactRLRT (print.htest), to match our text
out <- capture.output(print(exactRLRT(m1, seed = 1, nsim = 10000)))
writeLines(toJSON(list(rlrsim = as.character(packageVersion("RLRsim")), lme4 = as.character(packageVersion("lme4")),
  cases = cases, printout = out), auto_unbox = TRUE, digits = NA, pretty = TRUE),
  file.path(root, "rlrsim", "rlrsim.json"))
