#!/usr/bin/env Rscript
# emmeans 1.8.4's printouts of lmer fits (print.summary_emm): `by` variables as blocks ("B = hi:",
# each block's table), contrasts per block with the adjustment's family size per block, a numeric by
# variable's formatted value, emtrends, back-transformed means and ratios, non-estimable means, and
# emmeans's notes, for test/emmeansPrint.test.ts. The lmer models are fitted to tight tolerances (the
# optimum our fit reaches) on test/oracle/emmeans.R's simulated data; two glmer fits (cbpp, and the
# Poisson data with trt * expo) with tight nloptwrap settings: z tests, the response scale, odds ratios
# and ratios per block (glmer's optimum is ours to ~1e-6, far below the printed digits).
# Usage (from the repository root):
#   Rscript test/oracle/emmeans_print.R test/fixtures/emmeans test/fixtures/emmeans_print
# Needs: apt-get install r-cran-lme4 r-cran-jsonlite r-cran-emmeans r-cran-pbkrtest r-cran-lmertest
suppressMessages({ library(lme4); library(jsonlite); library(emmeans); library(pbkrtest); library(lmerTest) })
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "exact_laplace.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
emm_options(pbkrtest.limit = 1e6, lmerTest.limit = 1e6)
tight <- lmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
fact <- read.csv(file.path(dataDir, "factorial.csv"))
fact$A <- factor(fact$A, levels = c("a1", "a2", "a3")); fact$B <- factor(fact$B, levels = c("hi", "lo"))
empty <- read.csv(file.path(dataDir, "empty_cell.csv"))
empty$A <- factor(empty$A, levels = c("a1", "a2", "a3")); empty$B <- factor(empty$B, levels = c("hi", "lo"))
models <- list(
  m1 = list(formula = "y ~ A * B + x + log(z) + d + (1 | g)", data = "factorial.csv"),
  m2 = list(formula = "y ~ A * x + B + log(z) + (1 | g)", data = "factorial.csv"),
  mlog = list(formula = "log(y) ~ A * B + x + (1 | g)", data = "factorial.csv"),
  me = list(formula = "y ~ A * B + x + (1 | g)", data = "empty_cell.csv"),
  gb = list(formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", data = "cbpp.csv", family = "binomial"),
  gpx = list(formula = "count ~ trt * expo + (1 | g)", data = "poisson.csv", family = "poisson"))
printed <- function(x) capture.output(print(x))
cases <- list()
add <- function(name, model, what, call, emm, contrast = NULL) {
  cases[[length(cases) + 1]] <<- list(name = name, model = model, what = what, call = call,
    emmeans = printed(emm), contrast = if (is.null(contrast)) NULL else printed(contrast))
}
# (fitted by name, so that emmeans recovers their data)
m1 <- lmer(y ~ A * B + x + log(z) + d + (1 | g), fact, control = tight)
m2 <- lmer(y ~ A * x + B + log(z) + (1 | g), fact, control = tight)
mlog <- lmer(log(y) ~ A * B + x + (1 | g), fact, control = tight)
me <- lmer(y ~ A * B + x + (1 | g), empty, control = tight)
# glmer: z statistics, the response scale's probabilities and rates, odds ratios and ratios per block
gtight <- glmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
cbpp <- read.csv(file.path(dataDir, "..", "data", "cbpp.csv")); cbpp$period <- factor(cbpp$period); cbpp$herd <- factor(cbpp$herd)
pois <- read.csv(file.path(dataDir, "poisson.csv")); pois$trt <- factor(pois$trt, levels = c("ctl", "highdose", "lowdose"))
gb0 <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial, control = gtight)
gpx0 <- glmer(count ~ trt * expo + (1 | g), pois, poisson, control = gtight)
# glmer's own optimum and Hessian belong to its early-stopping PIRLS (SEs ~0.5% off the exact Laplace
# deviance's): as test/oracle/emmeans.R, emmeans on a reference grid (qdrg) with β and Var(β) of the
# exact Laplace deviance's optimum (test/oracle/exact_laplace.R), the fit our glmer reaches
# (with glmer's label of the response scale, emmeans's misc$inv.lbl: prob for binomial, rate for poisson)
exact_grid <- function(m, fixed, data, link, lbl) {
  ex <- exact_optimum(exact_devfun(update(m, devFunOnly = TRUE)), getME(m, "theta"), fixef(m), getME(m, "lower"))
  function(...) {
    rg <- qdrg(fixed, data = data, coef = setNames(ex$beta, names(fixef(m))), vcov = ex$vcov, link = link, ...)
    rg@misc$inv.lbl <- lbl
    rg
  }
}
gb <- exact_grid(gb0, ~ period, cbpp, "logit", "prob")
gpx <- exact_grid(gpx0, ~ trt * expo, pois, "log", "rate")
e <- emmeans(m1, ~ A | B)
add("m1_A_by_B", "m1", list(specs = "~ A | B"), "pairs", e, pairs(e))
e <- emmeans(m1, ~ B | A, lmer.df = "satterthwaite")
add("m1_B_by_A_sat_holm", "m1", list(specs = "~ B | A", ddf = "satterthwaite"), "revpairwise holm", e, contrast(e, "revpairwise", adjust = "holm"))
e <- emmeans(m1, ~ A * B, lmer.df = "asymptotic")
add("m1_AB_pairs_by_B", "m1", list(specs = "~ A * B", ddf = "asymptotic"), "pairwise by B", e, pairs(e, by = "B"))
e <- emmeans(m2, ~ A | x, at = list(x = c(0, 2.5, 10)))
add("m2_A_by_x", "m2", list(specs = "~ A | x", at = list(x = c(0, 2.5, 10))), "trt.vs.ctrl", e, contrast(e, "trt.vs.ctrl"))
e <- emtrends(m2, ~ A | B, var = "x")
add("m2_trend_A_by_B", "m2", list(specs = "~ A | B", var = "x"), "pairwise", e, pairs(e))
e <- emmeans(mlog, ~ A | B, type = "response")
add("mlog_response_by_B", "mlog", list(specs = "~ A | B", type = "response"), "pairwise", e, pairs(e))
e <- emmeans(mlog, ~ B | A)
add("mlog_link_by_A", "mlog", list(specs = "~ B | A"), "pairwise", e, pairs(e))
e <- emmeans(me, ~ A | B)
add("me_nonest_by_B", "me", list(specs = "~ A | B"), "pairwise", e, pairs(e))
e <- emmeans(m1, ~ A | B, adjust = "sidak")
add("m1_A_by_B_sidak_means", "m1", list(specs = "~ A | B", adjust = "sidak"), "eff bonferroni", e, contrast(e, "eff", adjust = "bonferroni"))
e <- emmeans(gb(), ~ period, type = "response")
add("gb_response", "gb", list(specs = "~ period", type = "response"), "trt.vs.ctrl", e, contrast(e, "trt.vs.ctrl"))
e <- emmeans(gpx(at = list(expo = c(1, 2.5))), ~ trt | expo, type = "response")
add("gpx_response_by_expo", "gpx", list(specs = "~ trt | expo", at = list(expo = c(1, 2.5)), type = "response"), "pairs", e, pairs(e))
e <- emmeans(gpx(at = list(expo = c(1, 2.5))), ~ expo | trt)
add("gpx_link_by_trt", "gpx", list(specs = "~ expo | trt", at = list(expo = c(1, 2.5))), "revpairwise", e, contrast(e, "revpairwise"))
write(toJSON(list(versions = list(R = R.version.string, lme4 = as.character(packageVersion("lme4")), emmeans = as.character(packageVersion("emmeans")), pbkrtest = as.character(packageVersion("pbkrtest"))),
  models = models, cases = cases), auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(out, "emmeans_print.json"))
