#!/usr/bin/env Rscript
# emmeans 1.8.4's printouts of lmer fits (print.summary_emm): `by` variables as blocks ("B = hi:",
# each block's table), contrasts per block with the adjustment's family size per block, a numeric by
# variable's formatted value, emtrends, back-transformed means and ratios, non-estimable means, and
# emmeans's notes, for test/emmeansPrint.test.ts. The lmer models are fitted to tight tolerances (the
# optimum our fit reaches) on test/oracle/emmeans.R's simulated data.
# Usage (from the repository root):
#   Rscript test/oracle/emmeans_print.R test/fixtures/emmeans test/fixtures/emmeans_print
# Needs: apt-get install r-cran-lme4 r-cran-jsonlite r-cran-emmeans r-cran-pbkrtest r-cran-lmertest
suppressMessages({ library(lme4); library(jsonlite); library(emmeans); library(pbkrtest); library(lmerTest) })
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
  me = list(formula = "y ~ A * B + x + (1 | g)", data = "empty_cell.csv"))
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
write(toJSON(list(versions = list(R = R.version.string, lme4 = as.character(packageVersion("lme4")), emmeans = as.character(packageVersion("emmeans")), pbkrtest = as.character(packageVersion("pbkrtest"))),
  models = models, cases = cases), auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(out, "emmeans_print.json"))
