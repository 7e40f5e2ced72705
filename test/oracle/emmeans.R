#!/usr/bin/env Rscript
# emmeans's estimated marginal means and their contrasts for lmer and glmer fits, for
# test/emmeans.test.ts: the reference grid (factors' levels, covariates at their means over the rows
# used, covariates with two values kept, `at`), the weights, the ddf methods (Kenward-Roger with the
# adjusted covariance, Satterthwaite, asymptotic), the contrast families and every p-value and
# interval adjustment, non-estimable means, and glmer's response scale (back-transformed means,
# odds ratios and ratios). Each lmer model is fitted to tight tolerances (the optimum our fit reaches).
# glmer's own optimum and Hessian belong to its early-stopping PIRLS (test/oracle/glmer_tight.R), so
# each glmer case is emmeans on a reference grid (qdrg) with β and Var(β) of the exact Laplace
# deviance's optimum (test/oracle/exact_laplace.R), the fit our glmer reaches.
# Writes the simulated data beside the expectations.
# Usage (from the repository root):
#   Rscript test/oracle/emmeans.R test/fixtures/data test/fixtures/emmeans
# Needs: apt-get install r-cran-lme4 r-cran-jsonlite r-cran-emmeans r-cran-pbkrtest r-cran-lmertest
suppressMessages({ library(lme4); library(jsonlite); library(emmeans); library(pbkrtest); library(lmerTest) })
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "exact_laplace.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
emm_options(pbkrtest.limit = 1e6, lmerTest.limit = 1e6)
tight <- lmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
gtight <- glmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))

# a factorial design: A (3 levels) x B (2 levels), a covariate x, log(z) with some z missing, a 0/1
# numeric d (emmeans keeps covariates with two values: cov.keep = 2), 24 groups, unbalanced cells
set.seed(20261205)
n <- 360
g <- sample(sprintf("g%02d", 1:24), n, replace = TRUE)
A <- sample(c("a1", "a2", "a3"), n, replace = TRUE, prob = c(0.45, 0.35, 0.2))
B <- sample(c("lo", "hi"), n, replace = TRUE, prob = c(0.6, 0.4))
x <- round(rnorm(n, 1, 2), 3)
z <- round(exp(rnorm(n, 0.5, 0.6)), 3)
d <- rbinom(n, 1, 0.3)
b <- rnorm(24, 0, 1.5)
eta <- 10 + c(a1 = 0, a2 = 1.2, a3 = -0.7)[A] + ifelse(B == "hi", 0.8, 0) + ifelse(A == "a2" & B == "hi", -1.1, 0) +
  0.4 * x + 0.9 * log(z) - 0.6 * d + b[as.integer(factor(g))]
y <- round(eta + rnorm(n, 0, 1.2), 4)
z[c(5, 77, 140)] <- NA
fact <- data.frame(y, A, B, x, z, d, g)
write.csv(fact, file.path(out, "factorial.csv"), row.names = FALSE, na = "")
fact$A <- factor(fact$A, levels = c("a1", "a2", "a3")); fact$B <- factor(fact$B, levels = c("hi", "lo"))
# an empty cell: (a3, hi) removed
empty <- fact[!(fact$A == "a3" & fact$B == "hi"), ]
write.csv(data.frame(lapply(empty, function(c) if (is.factor(c)) as.character(c) else c)), file.path(out, "empty_cell.csv"), row.names = FALSE, na = "")

# a Poisson count with an exposure (offset) and a 3-level treatment
set.seed(77)
np <- 300
pg <- sample(sprintf("s%02d", 1:30), np, replace = TRUE)
trt <- sample(c("ctl", "lowdose", "highdose"), np, replace = TRUE)
expo <- round(runif(np, 0.5, 3), 3)
pb <- rnorm(30, 0, 0.4)
mu <- expo * exp(0.3 + c(ctl = 0, lowdose = -0.3, highdose = -0.8)[trt] + pb[as.integer(factor(pg))])
count <- rpois(np, mu)
pois <- data.frame(count, trt, expo, g = pg)
write.csv(pois, file.path(out, "poisson.csv"), row.names = FALSE)
pois$trt <- factor(pois$trt, levels = c("ctl", "highdose", "lowdose"))

tab <- function(s) {
  df <- as.data.frame(s)
  for (nm in names(df)) if (is.factor(df[[nm]])) df[[nm]] <- as.character(df[[nm]])
  list(columns = names(df), rows = unname(lapply(seq_len(nrow(df)), function(i) unname(as.list(df[i, ])))), mesg = as.character(attr(s, "mesg")))
}
both <- function(x) summary(x, infer = c(TRUE, TRUE))

m1 <- lmer(y ~ A * B + x + log(z) + d + (1 | g), fact, control = tight)
m1ml <- lmer(y ~ A * B + x + log(z) + d + (1 | g), fact, control = tight, REML = FALSE)
sleep <- read.csv(file.path(dataDir, "sleepstudy.csv")); sleep$Days <- factor(sleep$Days); sleep$Subject <- factor(sleep$Subject)
ms <- lmer(Reaction ~ Days + (1 | Subject), sleep, control = tight)
me <- lmer(y ~ A * B + x + (1 | g), empty, control = tight)
cbpp <- read.csv(file.path(dataDir, "cbpp.csv")); cbpp$period <- factor(cbpp$period); cbpp$herd <- factor(cbpp$herd)
gb <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial, control = gtight)
gp <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial(link = "probit"), control = gtight)
gpo <- glmer(count ~ trt + offset(log(expo)) + (1 | g), pois, poisson, control = gtight)
# the exact Laplace optimum's β and Var(β) on a reference grid of the fixed part
exact_grid <- function(m, fixed, data, link) {
  ex <- exact_optimum(exact_devfun(update(m, devFunOnly = TRUE)), getME(m, "theta"), fixef(m), getME(m, "lower"))
  list(rg = qdrg(fixed, data = data, coef = setNames(ex$beta, names(fixef(m))), vcov = ex$vcov, link = link), ex = ex)
}
xb <- exact_grid(gb, ~ period, cbpp, "logit")
xp <- exact_grid(gp, ~ period, cbpp, "probit")
xpo <- exact_grid(gpo, ~ trt + offset(log(expo)), pois, "log")
# slopes (emtrends): a covariate interacting with a factor, and one inside log() (lmer only: emtrends
# rebuilds the grid from the model, so it cannot take the exact optimum's β as the glmer cases do)
m2 <- lmer(y ~ A * x + B + log(z) + (1 | g), fact, control = tight)
# a transformed response: emmeans back-transforms the means (type = "response") and makes ratios of log's contrasts
mlog <- lmer(log(y) ~ A * B + x + (1 | g), fact, control = tight)
msqrt <- lmer(sqrt(y) ~ A + x + (1 | g), fact, control = tight)

kr <- function(...) emmeans(..., lmer.df = "kenward-roger")
e1 <- kr(m1, ~ A)
cases <- list(
  list(name = "A_kr", model = "m1", specs = "~ A", ddf = "kenward-roger", emm = tab(summary(e1)), contrasts = list(
    list(method = "pairwise", result = tab(both(pairs(e1)))),
    list(method = "revpairwise", result = tab(both(contrast(e1, "revpairwise")))),
    list(method = "trt.vs.ctrl", result = tab(both(contrast(e1, "trt.vs.ctrl")))),
    list(method = "trt.vs.ctrl", ref = 2, result = tab(both(contrast(e1, "trt.vs.ctrl", ref = 2)))),
    list(method = "trt.vs.ctrlk", result = tab(both(contrast(e1, "trt.vs.ctrlk")))),
    list(method = "eff", result = tab(both(contrast(e1, "eff")))),
    list(method = "del.eff", result = tab(both(contrast(e1, "del.eff")))),
    list(method = "consec", adjust = "sidak", result = tab(both(contrast(e1, "consec", adjust = "sidak")))),
    list(method = "poly", result = tab(both(contrast(e1, "poly")))),
    list(method = "pairwise", adjust = "bonferroni", result = tab(both(pairs(e1, adjust = "bonferroni")))),
    list(method = "pairwise", adjust = "holm", result = tab(both(pairs(e1, adjust = "holm")))),
    list(method = "pairwise", adjust = "hochberg", result = tab(both(pairs(e1, adjust = "hochberg")))),
    list(method = "pairwise", adjust = "hommel", result = tab(both(pairs(e1, adjust = "hommel")))),
    list(method = "pairwise", adjust = "fdr", result = tab(both(pairs(e1, adjust = "fdr")))),
    list(method = "pairwise", adjust = "BY", result = tab(both(pairs(e1, adjust = "BY")))),
    list(method = "pairwise", adjust = "scheffe", result = tab(both(pairs(e1, adjust = "scheffe")))),
    list(method = "pairwise", adjust = "sidak", result = tab(both(pairs(e1, adjust = "sidak")))),
    list(method = "pairwise", adjust = "none", result = tab(both(pairs(e1, adjust = "none")))),
    list(method = "eff", adjust = "tukey", result = tab(both(contrast(e1, "eff", adjust = "tukey")))),
    list(method = "custom", custom = list(a1_vs_rest = c(1, -0.5, -0.5), a2_minus_a3 = c(0, 1, -1)),
         result = tab(both(contrast(e1, list(a1_vs_rest = c(1, -0.5, -0.5), a2_minus_a3 = c(0, 1, -1))))))
  )),
  list(name = "A_by_B_satterthwaite", model = "m1", specs = "~ A | B", ddf = "satterthwaite",
       emm = tab(summary(emmeans(m1, ~ A | B, lmer.df = "satterthwaite"))),
       contrasts = list(list(method = "pairwise", result = tab(both(pairs(emmeans(m1, ~ A | B, lmer.df = "satterthwaite"))))))),
  list(name = "AB_asymptotic", model = "m1", specs = "~ A * B", ddf = "asymptotic",
       emm = tab(summary(emmeans(m1, ~ A * B, lmer.df = "asymptotic"))),
       contrasts = list(list(method = "pairwise", result = tab(both(pairs(emmeans(m1, ~ A * B, lmer.df = "asymptotic"))))))),
  list(name = "B_proportional", model = "m1", specs = "~ B", ddf = "kenward-roger", weights = "proportional", emm = tab(summary(kr(m1, ~ B, weights = "proportional")))),
  list(name = "B_cells", model = "m1", specs = "~ B", ddf = "kenward-roger", weights = "cells", emm = tab(summary(kr(m1, ~ B, weights = "cells")))),
  list(name = "B_outer", model = "m1", specs = "~ B", ddf = "kenward-roger", weights = "outer", emm = tab(summary(kr(m1, ~ B, weights = "outer")))),
  list(name = "B_flat", model = "m1", specs = "~ B", ddf = "kenward-roger", weights = "flat", emm = tab(summary(kr(m1, ~ B, weights = "flat")))),
  list(name = "A_at_x", model = "m1", specs = "~ A", ddf = "kenward-roger", at = list(x = 1.5), emm = tab(summary(kr(m1, ~ A, at = list(x = 1.5))))),
  list(name = "x_by_A", model = "m1", specs = "~ x | A", ddf = "kenward-roger", at = list(x = c(-1, 0, 2)), emm = tab(summary(kr(m1, ~ x | A, at = list(x = c(-1, 0, 2)))))),
  list(name = "d_kept", model = "m1", specs = "~ d", ddf = "kenward-roger", emm = tab(summary(kr(m1, ~ d))),
       contrasts = list(list(method = "pairwise", result = tab(both(pairs(kr(m1, ~ d))))))),
  list(name = "A_level90", model = "m1", specs = "~ A", ddf = "kenward-roger", level = 0.9, emm = tab(summary(e1, level = 0.9)),
       contrasts = list(list(method = "pairwise", level = 0.9, result = tab(summary(pairs(e1), infer = c(TRUE, TRUE), level = 0.9))))),
  list(name = "A_ml", model = "m1ml", specs = "~ A", ddf = "satterthwaite", emm = tab(summary(emmeans(m1ml, ~ A, lmer.df = "satterthwaite"))),
       contrasts = list(list(method = "pairwise", result = tab(both(pairs(emmeans(m1ml, ~ A, lmer.df = "satterthwaite"))))))),
  # consec's default adjustment, the multivariate t (mvtnorm's randomized integration, error ~1e-3: seeded
  # here so that the fixture is reproducible; the exact values are in mvt_exact below)
  list(name = "A_consec_mvt", model = "m1", specs = "~ A", ddf = "kenward-roger", adjust = "mvt", emm = { set.seed(2); tab(summary(e1, adjust = "mvt")) },
       contrasts = list(list(method = "consec", result = { set.seed(3); tab(both(contrast(e1, "consec"))) }),
                        list(method = "pairwise", adjust = "mvt", result = { set.seed(4); tab(both(pairs(e1, adjust = "mvt"))) }))),
  list(name = "sleep_consec_mvt", model = "ms", specs = "~ Days", ddf = "kenward-roger", emm = tab(summary(kr(ms, ~ Days))),
       contrasts = list(list(method = "consec", result = { set.seed(5); tab(both(contrast(kr(ms, ~ Days), "consec"))) }))),
  # emmeans's default on an ML fit: Kenward-Roger, pbkrtest's vcovAdj refitting with REML (our remlRefit: m1)
  list(name = "A_ml_kr", model = "m1ml", remlModel = "m1", specs = "~ A", emm = tab(summary(emmeans(m1ml, ~ A))),
       contrasts = list(list(method = "pairwise", result = tab(both(pairs(emmeans(m1ml, ~ A))))))),
  list(name = "AB_ml_kr", model = "m1ml", remlModel = "m1", specs = "~ B | A", emm = tab(summary(emmeans(m1ml, ~ B | A))),
       contrasts = list(list(method = "pairwise", result = tab(both(pairs(emmeans(m1ml, ~ B | A))))))),
  list(name = "sleep_days", model = "ms", specs = "~ Days", ddf = "kenward-roger", emm = tab(summary(kr(ms, ~ Days))),
       contrasts = list(list(method = "pairwise", result = tab(both(pairs(kr(ms, ~ Days))))),
                        list(method = "trt.vs.ctrl", result = tab(both(contrast(kr(ms, ~ Days), "trt.vs.ctrl")))),
                        list(method = "poly", result = tab(both(contrast(kr(ms, ~ Days), "poly")))))),
  list(name = "empty_A", model = "me", specs = "~ A", ddf = "kenward-roger", emm = tab(summary(kr(me, ~ A))),
       contrasts = list(list(method = "pairwise", result = tab(both(pairs(kr(me, ~ A))))))),
  list(name = "empty_A_by_B", model = "me", specs = "~ A | B", ddf = "kenward-roger", emm = tab(summary(kr(me, ~ A | B))),
       contrasts = list(list(method = "pairwise", result = tab(both(pairs(kr(me, ~ A | B))))))),
  list(name = "cbpp_link", model = "gb", specs = "~ period", emm = tab(summary(emmeans(xb$rg, ~ period))),
       contrasts = list(list(method = "pairwise", result = tab(both(pairs(emmeans(xb$rg, ~ period))))))),
  list(name = "cbpp_response", model = "gb", specs = "~ period", type = "response", emm = tab(summary(emmeans(xb$rg, ~ period, type = "response"))),
       contrasts = list(list(method = "pairwise", result = tab(both(pairs(emmeans(xb$rg, ~ period, type = "response"))))),
                        list(method = "trt.vs.ctrl", result = tab(both(contrast(emmeans(xb$rg, ~ period, type = "response"), "trt.vs.ctrl")))))),
  list(name = "cbpp_probit_response", model = "gp", specs = "~ period", type = "response", emm = tab(summary(emmeans(xp$rg, ~ period, type = "response"))),
       contrasts = list(list(method = "pairwise", result = tab(both(pairs(emmeans(xp$rg, ~ period, type = "response"))))))),
  list(name = "poisson_offset_response", model = "gpo", specs = "~ trt", type = "response", emm = tab(summary(emmeans(xpo$rg, ~ trt, type = "response"))),
       contrasts = list(list(method = "pairwise", result = tab(both(pairs(emmeans(xpo$rg, ~ trt, type = "response"))))))),
  list(name = "trend_x_by_A", model = "m2", specs = "~ A", var = "x", ddf = "kenward-roger", emm = tab(summary(emtrends(m2, ~ A, var = "x", lmer.df = "kenward-roger"))),
       contrasts = list(list(method = "pairwise", result = tab(both(pairs(emtrends(m2, ~ A, var = "x", lmer.df = "kenward-roger"))))))),
  list(name = "trend_z_log", model = "m2", specs = "~ B", var = "z", ddf = "satterthwaite", emm = tab(summary(emtrends(m2, ~ B, var = "z", lmer.df = "satterthwaite")))),
  list(name = "trend_x_at", model = "m2", specs = "~ A", var = "x", ddf = "asymptotic", at = list(x = 2), emm = tab(summary(emtrends(m2, ~ A, var = "x", lmer.df = "asymptotic", at = list(x = 2))))),
  list(name = "overall", model = "m1", specs = "~ 1", ddf = "satterthwaite", emm = tab(summary(emmeans(m1, ~ 1, lmer.df = "satterthwaite")))),
  list(name = "overall_by_B", model = "m1", specs = "~ 1 | B", ddf = "kenward-roger", emm = tab(summary(kr(m1, ~ 1 | B)))),
  list(name = "log_response_link", model = "mlog", specs = "~ A", ddf = "kenward-roger", emm = tab(summary(kr(mlog, ~ A))),
       contrasts = list(list(method = "pairwise", result = tab(both(pairs(kr(mlog, ~ A))))),
                        list(method = "custom", custom = list(a1_vs_rest = c(1, -0.5, -0.5), total = c(1, 1, 1)), result = tab(both(contrast(kr(mlog, ~ A), list(a1_vs_rest = c(1, -0.5, -0.5), total = c(1, 1, 1)))))))),
  list(name = "log_response", model = "mlog", specs = "~ A | B", ddf = "satterthwaite", type = "response", emm = tab(summary(emmeans(mlog, ~ A | B, lmer.df = "satterthwaite", type = "response"))),
       contrasts = list(list(method = "pairwise", result = tab(both(pairs(emmeans(mlog, ~ A | B, lmer.df = "satterthwaite", type = "response"))))),
                        list(method = "eff", result = tab(both(contrast(emmeans(mlog, ~ A | B, lmer.df = "satterthwaite", type = "response"), "eff")))))),
  list(name = "sqrt_response", model = "msqrt", specs = "~ A", ddf = "kenward-roger", type = "response", emm = tab(summary(kr(msqrt, ~ A, type = "response"))),
       contrasts = list(list(method = "pairwise", result = tab(both(pairs(kr(msqrt, ~ A, type = "response"))))))),
  list(name = "cbpp_probit_link", model = "gp", specs = "~ period", emm = tab(summary(emmeans(xp$rg, ~ period))),
       contrasts = list(list(method = "pairwise", result = tab(both(pairs(emmeans(xp$rg, ~ period))))))),
  list(name = "cbpp_custom_link", model = "gb", specs = "~ period", emm = tab(summary(emmeans(xb$rg, ~ period))),
       contrasts = list(list(method = "custom", custom = list(p1 = c(1, 0, 0, 0), p1_vs_p2 = c(1, -1, 0, 0)), result = tab(both(contrast(emmeans(xb$rg, ~ period), list(p1 = c(1, 0, 0, 0), p1_vs_p2 = c(1, -1, 0, 0)))))))),
  list(name = "poisson_offset_at", model = "gpo", specs = "~ trt", type = "response", offset = 0, emm = tab(summary(emmeans(xpo$rg, ~ trt, type = "response", offset = 0))))
)
models <- list(
  m1 = list(formula = "y ~ A * B + x + log(z) + d + (1 | g)", data = "factorial.csv", reml = TRUE, objective = REMLcrit(m1), theta = getME(m1, "theta"), beta = fixef(m1)),
  m1ml = list(formula = "y ~ A * B + x + log(z) + d + (1 | g)", data = "factorial.csv", reml = FALSE, objective = deviance(m1ml), theta = getME(m1ml, "theta"), beta = fixef(m1ml)),
  ms = list(formula = "Reaction ~ Days + (1 | Subject)", data = "sleepstudy", reml = TRUE, objective = REMLcrit(ms), theta = getME(ms, "theta"), beta = fixef(ms)),
  me = list(formula = "y ~ A * B + x + (1 | g)", data = "empty_cell.csv", reml = TRUE, objective = REMLcrit(me), theta = getME(me, "theta"), beta = fixef(me)),
  mlog = list(formula = "log(y) ~ A * B + x + (1 | g)", data = "factorial.csv", reml = TRUE, objective = REMLcrit(mlog), theta = getME(mlog, "theta"), beta = fixef(mlog)),
  msqrt = list(formula = "sqrt(y) ~ A + x + (1 | g)", data = "factorial.csv", reml = TRUE, objective = REMLcrit(msqrt), theta = getME(msqrt, "theta"), beta = fixef(msqrt)),
  gb = list(formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", data = "cbpp", family = "binomial", link = "logit", objective = xb$ex$value, theta = xb$ex$theta, beta = setNames(xb$ex$beta, names(fixef(gb)))),
  gp = list(formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", data = "cbpp", family = "binomial", link = "probit", objective = xp$ex$value, theta = xp$ex$theta, beta = setNames(xp$ex$beta, names(fixef(gp)))),
  m2 = list(formula = "y ~ A * x + B + log(z) + (1 | g)", data = "factorial.csv", reml = TRUE, objective = REMLcrit(m2), theta = getME(m2, "theta"), beta = fixef(m2)),
  gpo = list(formula = "count ~ trt + offset(log(expo)) + (1 | g)", data = "poisson.csv", family = "poisson", link = "log", objective = xpo$ex$value, theta = xpo$ex$theta, beta = setNames(xpo$ex$beta, names(fixef(gpo))))
)
models <- lapply(models, function(m) { m$beta <- as.list(m$beta); m$theta <- as.numeric(m$theta); m })
# the distribution functions behind the adjustments
qs <- list(c(3.5, 3, 10), c(2.1, 5, 20), c(4.7, 10, 153), c(0.5, 2, 3), c(3.3, 4, Inf), c(6, 6, 1000), c(3, 3, 30000), c(1.2, 20, 7), c(5.5, 2.56155281280883, 326.8474), c(0.01, 3, 5))
ps <- list(c(0.95, 3, 10), c(0.9, 10, 153), c(0.99, 4, Inf), c(0.95, 2, 2.5), c(0.95, 2.56155281280883, 326.8474), c(0.5, 6, 40))
pv <- c(0.01, 0.04, 0.03, 0.2, 0.005, 0.5, 0.049, 0.04)
distributions <- list(
  ptukey = lapply(qs, function(a) list(q = a[1], nmeans = a[2], df = if (is.finite(a[3])) a[3] else "Inf", lower = ptukey(a[1], a[2], a[3]), upper = ptukey(a[1], a[2], a[3], lower.tail = FALSE))),
  qtukey = lapply(ps, function(a) list(p = a[1], nmeans = a[2], df = if (is.finite(a[3])) a[3] else "Inf", q = qtukey(a[1], a[2], a[3]))),
  qdunnettx = lapply(list(c(0.95, 2, 326.847400583996), c(0.95, 9, 153), c(0.95, 3, Inf), c(0.9, 5, 12)), function(a) list(p = a[1], m = a[2], df = if (is.finite(a[3])) a[3] else "Inf", x = emmeans:::.qdunnx(a[1], a[2], a[3]))),
  qf = lapply(list(c(0.95, 2, 326.6), c(0.95, 1, 10), c(0.99, 5, 3), c(0.5, 3, 1000), c(0.999, 1, 2)), function(a) list(p = a[1], df1 = a[2], df2 = a[3], q = qf(a[1], a[2], a[3]))),
  p_adjust = list(p = pv, n = 11, methods = lapply(setNames(nm = c("holm", "hochberg", "hommel", "bonferroni", "BH", "BY")), function(m) list(all = p.adjust(pv, m), padded = p.adjust(pv, m, n = 11))))
)
# the multivariate t behind mvt, integrated far more precisely than emmeans does (abseps 1e-6; the quantiles
# by uniroot on that probability with one seed for every evaluation, so a smooth function of c): rectangles
# of t and normal vectors, a singular correlation (pairwise differences of 3 means), and the two-sided
# equicoordinate quantile; and the exact p-values and critical value of A_consec_mvt's and the pairwise
# mvt contrasts (emmeans's corrmat, t ratios and df through .fix.df)
library(mvtnorm)
precise <- GenzBretz(maxpts = 2e6, abseps = 1e-6, releps = 0)
set.seed(11)
R3 <- matrix(c(1, .5, .3, .5, 1, -.2, .3, -.2, 1), 3)
C4 <- diag(4); for (i in 1:3) { C4[i, i + 1] <- -.5; C4[i + 1, i] <- -.5 }
P3 <- matrix(c(1, .5, -.5, .5, 1, .5, -.5, .5, 1), 3)
pm <- function(lower, upper, corr, df) list(lower = lower, upper = upper, corr = as.vector(t(corr)), df = df,
  value = as.numeric(if (df == 0) pmvnorm(lower, upper, corr = corr, algorithm = precise) else pmvt(lower, upper, corr = corr, df = df, algorithm = precise)))
# the two-sided equicoordinate quantile (mvtnorm's qmvt at this precision does not converge in minutes)
quantile2 <- function(p, corr, df) {
  k <- nrow(corr)
  f <- function(c) { set.seed(7); as.numeric(if (df == 0) pmvnorm(rep(-c, k), rep(c, k), corr = corr, algorithm = precise) else pmvt(rep(-c, k), rep(c, k), corr = corr, df = df, algorithm = precise)) - p }
  lo <- if (df == 0) qnorm((1 + p) / 2) else qt((1 + p) / 2, df)
  hi <- if (df == 0) qnorm((1 + p^(1 / k)) / 2) else qt((1 + p^(1 / k)) / 2, df)
  uniroot(f, c(lo, hi + 1e-6), tol = 1e-8)$root
}
mvt_exact <- list(
  pmvt = list(pm(c(-1.5, -2, -1), c(2, 1, 1.5), R3, 0), pm(c(-1.5, -2, -1), c(2, 1, 1.5), R3, 5), pm(c(-1.5, -2, -1), c(2, 1, 1.5), R3, 28),
              pm(rep(-2.3, 4), rep(2.3, 4), C4, 20), pm(rep(-2, 3), rep(2, 3), P3, 0), pm(c(-Inf, -1, 0.5), c(1, Inf, 3), R3, 3)),
  qmvt = lapply(list(list(C4, 20), list(C4, 0), list(R3, 7)), function(a) list(corr = as.vector(t(a[[1]])), df = a[[2]], p = 0.95,
    q = quantile2(0.95, a[[1]], a[[2]])))
)
exact_contrasts <- function(con) {
  s <- summary(con, adjust = "none")
  V <- vcov(con); corr <- cov2cor(V); t <- s$t.ratio; df <- emmeans:::.fix.df(s$df)
  list(t = t, df = s$df, p = sapply(seq_along(t), function(i) 1 - pmvt(rep(-abs(t[i]), length(t)), rep(abs(t[i]), length(t)), corr = corr, df = df[i], algorithm = precise)),
       cv = quantile2(0.95, corr, df[1]))
}
mvt_exact$A_consec <- exact_contrasts(contrast(e1, "consec"))
mvt_exact$A_pairwise <- exact_contrasts(pairs(e1))
distributions$mvt <- mvt_exact
writeLines(toJSON(list(emmeans = as.character(packageVersion("emmeans")), lme4 = as.character(packageVersion("lme4")), models = models, cases = cases, distributions = distributions),
  auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), file.path(out, "emmeans.json"))
