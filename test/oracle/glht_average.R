#!/usr/bin/env Rscript
# multcomp 1.4-22's mcp(..., interaction_average, covariate_average) (glht.mcp's mcp2matrix2): the comparisons of a
# factor in an interaction with another factor (its interaction columns weighted 1/(k + 1), k the columns per
# comparison column) or with a covariate (at the covariate's mean), for test/glhtAverage.test.ts. Per case K (row
# names, type), multcomp's warnings, the estimates and their covariance, univariate and single-step p-values
# (mvtnorm integrated to abseps 2e-6) and the univariate printout. Fits: lmer of obk_long (treatment × phase, 3 × 3:
# both orders of the interaction's columns), lmer of anova_types (B × x, a covariate), glmer of binomial_interaction
# (f × x1), nlme's lme of obk_long.
# Usage (from the repository root): Rscript test/oracle/glht_average.R test/fixtures/data test/fixtures/glht_average
suppressMessages({ library(lme4); library(nlme); library(multcomp); library(jsonlite) })
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "exact_laplace.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)
tight <- lmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
gtight <- glmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
ltight <- lmeControl(maxIter = 500, msMaxIter = 500, tolerance = 1e-10, msTol = 1e-14, niterEM = 0, msMaxEval = 2000)
PREC <- list(abseps = 2e-6, maxpts = 1e6)

obk <- read.csv(file.path(dataDir, "obk_long.csv"))
for (v in c("id", "treatment", "gender", "phase", "hour")) obk[[v]] <- factor(obk[[v]])
at <- read.csv(file.path(dataDir, "anova_types.csv"))
for (v in c("A", "B", "g")) at[[v]] <- factor(at[[v]])
bi <- read.csv(file.path(dataDir, "binomial_interaction.csv")); bi$f <- factor(bi$f); bi$g <- factor(bi$g)

models <- list(
  obk = list(fit = lmer(value ~ treatment * phase + age + (1 | id), obk, control = tight),
             kind = "lmer", formula = "value ~ treatment * phase + age + (1 | id)", data = "data/obk_long.csv", factors = list("id", "treatment", "gender", "phase", "hour")),
  bx = list(fit = lmer(y ~ B * x + A + (1 | g), at, control = tight),
            kind = "lmer", formula = "y ~ B * x + A + (1 | g)", data = "data/anova_types.csv", factors = list("A", "B", "g")),
  fx1 = list(fit = exact_fit(glmer(y ~ f * x1 + (1 | g), bi, binomial, control = gtight)),
             kind = "glmer", formula = "y ~ f * x1 + (1 | g)", data = "data/binomial_interaction.csv", factors = list("f", "g"), family = "binomial"),
  obk_lme = list(fit = lme(value ~ treatment * phase, random = ~ 1 | id, data = obk, control = ltight),
                 kind = "lme", fixed = "value ~ treatment * phase", random = "~ 1 | id", data = "data/obk_long.csv", factors = list("id", "treatment", "gender", "phase", "hour"))
)

capture <- function(x) capture.output(print(x))
cases <- list()
add <- function(name, model, spec, ia = FALSE, ca = FALSE) {
  m <- models[[model]]$fit
  lf <- do.call(mcp, c(spec, list(interaction_average = ia, covariate_average = ca)))
  warn <- NULL
  g <- withCallingHandlers(glht(m, linfct = lf), warning = function(w) { warn <<- c(warn, conditionMessage(w)); invokeRestart("muffleWarning") })
  su <- summary(g, test = univariate())
  ss <- summary(g, test = do.call(adjusted, c(list(type = "single-step"), PREC)))
  cases[[length(cases) + 1]] <<- list(
    name = name, model = model, mcp = spec, interaction_average = ia, covariate_average = ca,
    K = lapply(seq_len(nrow(g$linfct)), function(i) unname(g$linfct[i, ])), rownames = rownames(g$linfct), coefnames = colnames(g$linfct),
    type = g$type, warnings = warn,
    beta = unname(g$coef), vcov = lapply(seq_len(nrow(g$vcov)), function(i) unname(g$vcov[i, ])),
    estimate = unname(coef(g)), covariance = lapply(seq_len(nrow(g$linfct)), function(i) unname(vcov(g)[i, ])),
    se = unname(su$test$sigma), statistic = unname(su$test$tstat),
    tests = list(univariate = list(p = unname(as.numeric(su$test$pvalues)), error = 0),
                 `single-step` = list(p = unname(as.numeric(ss$test$pvalues)), error = attr(ss$test$pvalues, "error"))),
    prints = list(univariate = capture(su)))
}
add("obk_treatment", "obk", list(treatment = "Tukey"))
add("obk_treatment_ia", "obk", list(treatment = "Tukey"), ia = TRUE)
add("obk_phase_ia", "obk", list(phase = "Tukey"), ia = TRUE)
add("obk_both_ia", "obk", list(treatment = "Dunnett", phase = "Tukey"), ia = TRUE)
add("bx_B", "bx", list(B = "Tukey"))
add("bx_B_ia", "bx", list(B = "Tukey"), ia = TRUE)
add("bx_B_ia_ca", "bx", list(B = "Tukey"), ia = TRUE, ca = TRUE)
add("bx_B_ca", "bx", list(B = "Tukey"), ca = TRUE)
add("bx_A_ia", "bx", list(A = "Tukey"), ia = TRUE)
add("fx1_f_ia_ca", "fx1", list(f = "Tukey"), ia = TRUE, ca = TRUE)
add("obk_lme_phase_ia", "obk_lme", list(phase = "Tukey"), ia = TRUE)
add("obk_lme_treatment", "obk_lme", list(treatment = "Tukey"))

spec <- lapply(models, function(m) m[setdiff(names(m), "fit")])
writeLines(toJSON(list(versions = list(multcomp = as.character(packageVersion("multcomp")), lme4 = as.character(packageVersion("lme4")), nlme = as.character(packageVersion("nlme"))),
                       models = spec, cases = cases), auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null"), file.path(out, "glht_average.json"))
