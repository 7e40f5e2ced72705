#!/usr/bin/env Rscript
# multcomp 1.4-22's glht() of lmer and glmer fits, for test/glht.test.ts: per case the hypotheses' matrix
# K (row names, rhs, alternative, contrast type), the estimates and their covariance, every test of
# summary() (univariate, p.adjust's methods, single-step, free, Shaffer, Westfall, the Chisq and F global
# tests), confint() with the adjusted and univariate critical values, and the printouts. mvtnorm's
# integrals are run far past their defaults (abseps 2e-6, maxpts 1e6; qmvt's ptol 1e-8 on one seed) so that the
# references carry an integration error well below the library's. lmer fits at lme4's tight optimum;
# glmer fits moved to the exact Laplace optimum (exact_laplace.R), which our glmer reaches.
# Usage (from the repository root): Rscript test/oracle/glht.R test/fixtures/data test/fixtures/glht
suppressMessages({ library(lme4); library(multcomp); library(jsonlite) })
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "exact_laplace.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)
tight <- lmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
gtight <- glmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
PREC <- list(abseps = 2e-6, maxpts = 1e6)

oats <- read.csv(file.path(dataDir, "Oats.csv")); oats$Block <- factor(oats$Block); oats$Variety <- factor(oats$Variety)
cbpp <- read.csv(file.path(dataDir, "cbpp.csv")); cbpp$period <- factor(cbpp$period); cbpp$herd <- factor(cbpp$herd)
fx <- read.csv(file.path(dataDir, "..", "parameters", "factor_covariate.csv")); fx$f <- factor(fx$f); fx$h <- factor(fx$h); fx$g <- factor(fx$g)

models <- list(
  oats = list(fit = lmer(yield ~ nitro + Variety + (1 | Block/Variety), oats, control = tight),
              formula = "yield ~ nitro + Variety + (1 | Block/Variety)", data = "data/Oats.csv", factors = list("Block", "Variety")),
  oats_sum = list(fit = lmer(yield ~ nitro + Variety + (1 | Block/Variety), oats, control = tight, contrasts = list(Variety = "contr.sum")),
                  formula = "yield ~ nitro + Variety + (1 | Block/Variety)", data = "data/Oats.csv", factors = list("Block", "Variety"), contrasts = list(Variety = "contr.sum")),
  oats_noint = list(fit = lmer(yield ~ 0 + Variety + nitro + (1 | Block/Variety), oats, control = tight),
                    formula = "yield ~ 0 + Variety + nitro + (1 | Block/Variety)", data = "data/Oats.csv", factors = list("Block", "Variety")),
  cbpp = list(fit = exact_fit(glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial, control = gtight)),
              formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", data = "data/cbpp.csv", factors = list("period", "herd"), family = "binomial"),
  fxi = list(fit = lmer(y ~ f * x + h + (1 | g), fx, control = tight),
             formula = "y ~ f * x + h + (1 | g)", data = "parameters/factor_covariate.csv", factors = list("f", "h", "g"))
)

TESTS <- c("univariate", "holm", "hochberg", "hommel", "bonferroni", "BH", "BY", "fdr", "none", "single-step", "free", "Shaffer", "Westfall")
capture <- function(x) capture.output(print(x))
cases <- list()
add <- function(name, model, linfct, ..., tests = TESTS, printTests = c("univariate", "holm", "Shaffer"), level = 0.95, prec = PREC, adjustedCi = TRUE) {
  t0 <- Sys.time(); on.exit(message(name, " ", format(Sys.time() - t0)))
  m <- models[[model]]$fit
  g <- suppressWarnings(glht(m, linfct = linfct, ...))
  warn <- NULL
  withCallingHandlers(glht(m, linfct = linfct, ...), warning = function(w) { warn <<- c(warn, conditionMessage(w)); invokeRestart("muffleWarning") })
  res <- list()
  prints <- list()
  for (t in tests) {
    test <- if (t == "univariate") univariate() else do.call(adjusted, c(list(type = t), prec))
    s <- summary(g, test = test)
    res[[t]] <- list(p = unname(as.numeric(s$test$pvalues)), error = if (is.null(attr(s$test$pvalues, "error"))) 0 else attr(s$test$pvalues, "error"))
    if (t %in% printTests) prints[[t]] <- capture(s)
  }
  gl <- list()
  for (t in c("Chisq", "F")) {
    s <- summary(g, test = if (t == "Chisq") Chisqtest() else Ftest())
    gl[[t]] <- list(statistic = if (t == "Chisq") as.numeric(s$test$SSH) else as.numeric(s$test$fstat), df = if (t == "Chisq") as.numeric(s$test$df[[1]]) else as.numeric(s$test$df), p = as.numeric(s$test$pvalue))
    prints[[t]] <- capture(s)
  }
  ci <- list()
  for (ca in if (adjustedCi) c("adjusted", "univariate") else "univariate") {
    calpha <- if (ca == "adjusted") do.call(adjusted_calpha, c(PREC, list(ptol = 1e-8, seed = 1))) else univariate_calpha()
    cc <- confint(g, level = level, calpha = calpha)
    ci[[ca]] <- list(quantile = attr(cc$confint, "calpha"), lower = unname(cc$confint[, "lwr"]), upper = unname(cc$confint[, "upr"]))
    if (ca == "univariate") prints[["confint_univariate"]] <- capture(cc)
  }
  s1 <- summary(g, test = univariate())
  cases[[length(cases) + 1]] <<- list(
    name = name, model = model, linfct = if (inherits(linfct, "mcp")) list(mcp = lapply(linfct, function(v) if (is.matrix(v)) lapply(seq_len(nrow(v)), function(i) v[i, ]) else v)) else if (is.matrix(linfct)) list(K = lapply(seq_len(nrow(linfct)), function(i) unname(linfct[i, ]))) else linfct,
    options = list(...), level = level,
    K = lapply(seq_len(nrow(g$linfct)), function(i) unname(g$linfct[i, ])), rownames = rownames(g$linfct), coefnames = colnames(g$linfct),
    rhs = g$rhs, alternative = g$alternative, type = if (is.null(g$type)) NULL else g$type, df = g$df,
    estimate = unname(coef(g)), covariance = lapply(seq_len(nrow(g$linfct)), function(i) unname(vcov(g)[i, ])),
    se = unname(s1$test$sigma), statistic = unname(s1$test$tstat),
    tests = res, global = gl, confint = ci, print_glht = capture(g), prints = prints, warnings = warn)
}
add("oats_tukey", "oats", mcp(Variety = "Tukey"))
add("oats_dunnett", "oats", mcp(Variety = "Dunnett"))
add("oats_types", "oats", mcp(Variety = c("Sequen", "GrandMean")), tests = c("univariate", "holm", "single-step", "Westfall"))
for (ty in c("AVE", "Changepoint", "Williams", "Marcus", "McDermott", "UmbrellaWilliams")) {
  lf <- list(ty); names(lf) <- "Variety"; class(lf) <- "mcp"; attr(lf, "interaction_average") <- FALSE; attr(lf, "covariate_average") <- FALSE
  add(paste0("oats_", ty), "oats", lf, tests = c("univariate", "single-step", "Westfall"), printTests = character(0))
}
add("oats_levels", "oats", mcp(Variety = c("Victory - Marvellous = 0", "Victory = 0")))
add("oats_sum_tukey", "oats_sum", mcp(Variety = "Tukey"), tests = c("univariate", "single-step"))
add("oats_noint_tukey", "oats_noint", mcp(Variety = "Tukey"), tests = c("univariate", "single-step"))
add("oats_coef", "oats", c("nitro = 0", "VarietyVictory - VarietyMarvellous = 0"), level = 0.9)
add("oats_greater", "oats", c("2*nitro - 0.5*VarietyVictory <= 1", "VarietyVictory/2 + nitro*3 <= -2"), tests = c("univariate", "holm", "single-step", "free"))
add("oats_less", "oats", c("(VarietyVictory + VarietyMarvellous)/2 >= 0", "Intercept + nitro >= 100"), tests = c("univariate", "single-step", "Westfall"))
add("oats_matrix", "oats", rbind(c(0, 1, 0, 0), c(0, 0, 1, -1), c(1, 0.5, 0, 0)), rhs = c(50, 0, 100), tests = c("univariate", "single-step", "free", "Westfall"))
# a t with 20 df: mvtnorm's t integrals converge slowly, so its references are integrated to 1e-5 and its
# adjusted quantile (qmvt's root of a t integral) is left out
add("oats_tukey_df", "oats", mcp(Variety = "Tukey"), df = 20, tests = c("univariate", "single-step", "Westfall"), prec = list(abseps = 1e-5, maxpts = 1e6), adjustedCi = FALSE)
add("cbpp_tukey", "cbpp", mcp(period = "Tukey"))
add("cbpp_dunnett_less", "cbpp", mcp(period = "Dunnett"), alternative = "less", tests = c("univariate", "single-step", "free", "Westfall"))
add("fxi_tukey", "fxi", mcp(f = "Tukey"), tests = c("univariate", "single-step", "Westfall"))
add("fxi_two_factors", "fxi", mcp(f = "Dunnett", h = "Tukey"), tests = c("univariate", "single-step", "Shaffer", "Westfall"))

spec <- lapply(models, function(m) m[setdiff(names(m), "fit")])
writeLines(toJSON(list(models = spec, cases = cases), auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null"), file.path(out, "glht.json"))
