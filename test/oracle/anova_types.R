#!/usr/bin/env Rscript
# lmerTest's anova tables of types I, II and III (anova(fit, type, ddf)) with Satterthwaite's and
# Kenward-Roger's denominator df, and their hypothesis matrices (show_tests), for
# test/inference/anovaTypes.test.ts.
# Usage (from the repository root): Rscript test/oracle/anova_types.R
# Writes test/fixtures/data/anova_types.csv (a derived data set, deterministic: set.seed) and
# test/fixtures/inference/anova-types.json.
#
# lmerTest 3.1-3's single_anova computes type 1 with get_contrasts_type1 (Doolittle of X'X), type 2
# with get_contrasts_type2_unfolded (marginal terms: rows of the identity; contained terms:
# get_contrasts_type2, Doolittle of X'X with the term and its containers moved last) and type 3
# with get_contrasts_type3. Every fit runs lme4's optimizer to tight tolerances; the JSON keeps θ
# and σ so that the tests evaluate the tests at exactly lme4's parameters.
# Needs: R with lme4, lmerTest (3.1-3), pbkrtest and jsonlite.
suppressMessages({
  library(lme4); library(jsonlite); library(lmerTest, warn.conflicts = FALSE); library(pbkrtest)
})
root <- "test/fixtures"
tight <- lmerControl(optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
mat <- function(m) unname(lapply(seq_len(nrow(m)), function(i) I(as.numeric(m[i, ]))))

## ---- the derived data set: 12 blocks g, 2 plots h per block, 6 items crossed with the blocks;
## factors A (2 levels) and B (3 levels), covariates x and z; 10 rows dropped (unbalanced cells) ----
set.seed(20261205)
d <- expand.grid(rep = 1:2, B = c("b1", "b2", "b3"), A = c("a1", "a2"), g = sprintf("g%02d", 1:12))
d$h <- paste0("h", (d$rep + as.integer(factor(d$B))) %% 2 + 1)
d$item <- sprintf("i%d", (seq_len(nrow(d)) - 1) %% 6 + 1)
d$x <- round(runif(nrow(d), 0, 10), 2)
d$z <- round(rnorm(nrow(d), 5, 2), 2)
ug <- rnorm(12, 0, 2); names(ug) <- sprintf("g%02d", 1:12)
sg <- rnorm(12, 0, 0.3); names(sg) <- names(ug)
ugh <- rnorm(24, 0, 1); names(ugh) <- paste(rep(names(ug), each = 2), c("h1", "h2"), sep = ":")
ui <- rnorm(6, 0, 1.5); names(ui) <- sprintf("i%d", 1:6)
eff <- c(a1.b1 = 0, a2.b1 = 1.5, a1.b2 = 0.8, a2.b2 = 1.2, a1.b3 = -0.5, a2.b3 = 2.5)
d$y <- round(10 + eff[paste(d$A, d$B, sep = ".")] + (0.4 + sg[d$g]) * d$x + 0.3 * d$z - 0.05 * d$x * d$z +
  0.15 * (d$A == "a2") * d$x + ug[d$g] + ugh[paste(d$g, d$h, sep = ":")] + ui[d$item] + rnorm(nrow(d), 0, 1), 3)
drop <- c(3, 17, 18, 40, 41, 42, 77, 100, 101, 130)
d <- d[-drop, c("y", "A", "B", "x", "z", "g", "h", "item")]
write.csv(d, file.path(root, "data/anova_types.csv"), row.names = FALSE)

read_case <- function(file, factors) {
  d <- read.csv(file.path(root, "data", file), stringsAsFactors = TRUE)
  for (f in factors) d[[f]] <- factor(d[[f]])
  d
}
anova_rows <- function(a) {
  setNames(lapply(rownames(a), function(r) list(
    sumsq = a[r, "Sum Sq"], meansq = a[r, "Mean Sq"], numdf = a[r, "NumDF"], dendf = a[r, "DenDF"],
    F = a[r, "F value"], p = a[r, "Pr(>F)"])), rownames(a))
}

case <- function(name, file, formula, factors) {
  dd <- read_case(file, factors)
  m <- lmerTest::lmer(as.formula(formula), data = dd, REML = TRUE, control = tight)
  res <- list(name = name, data = file, formula = formula, factors = I(factors), reml = TRUE,
              R = R.version.string, lme4 = as.character(packageVersion("lme4")),
              lmerTest = as.character(packageVersion("lmerTest")),
              nobs = nobs(m), theta = I(as.numeric(getME(m, "theta"))), sigma = sigma(m),
              xnames = I(colnames(model.matrix(m))), types = list())
  for (type in c("I", "II", "III")) {
    sat <- anova(m, type = type, ddf = "Satterthwaite")
    kr <- anova(m, type = type, ddf = "Kenward-Roger")
    res$types[[type]] <- list(
      heading = attr(sat, "heading"),
      # print(anova(...)) as lines, for the CLI's text (tests compare it at their own optimum)
      printed = list(satterthwaite = I(capture.output(print(sat))), kenward_roger = I(capture.output(print(kr)))),
      hypotheses = lapply(show_tests(sat), mat),
      satterthwaite = anova_rows(sat),
      kenward_roger = anova_rows(kr))
  }
  res
}

cases <- list(
  factorial = function() case("factorial", "anova_types.csv", "y ~ A * B + (1 | g)", c("g")),
  factor_covariate = function() case("factor_covariate", "anova_types.csv", "y ~ A * x + (1 | g)", c("g")),
  two_covariates = function() case("two_covariates", "anova_types.csv", "y ~ x * z + (x | g)", c("g")),
  nested_crossed = function() case("nested_crossed", "anova_types.csv", "y ~ A * B + x + (1 | g/h) + (1 | item)", c("g", "h", "item")),
  nested_fixed = function() case("nested_fixed", "anova_types.csv", "y ~ A / B + (1 | g)", c("g")),
  slopes_within = function() case("slopes_within", "anova_types.csv", "y ~ A / x + z + (1 | g)", c("g")),
  three_way = function() case("three_way", "anova_types.csv", "y ~ A * B * x + (1 | g)", c("g")),
  no_intercept = function() case("no_intercept", "anova_types.csv", "y ~ 0 + B * z + (1 | g)", c("g")),
  design_covariate = function() case("design_covariate", "sleepstudy_design.csv", "Reaction ~ Days * grp + (Days | Subject)", "Subject"),
  design_factors = function() case("design_factors", "sleepstudy_design.csv", "Reaction ~ grp * phase + Days + (1 | Subject)", "Subject"),
  one_term = function() case("one_term", "sleepstudy_unbalanced.csv", "Reaction ~ Days + (Days | Subject)", "Subject")
)

out <- lapply(cases, function(f) f())
writeLines(toJSON(unname(out), auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE),
           file.path(root, "inference/anova-types.json"))
for (r in out) cat(r$name, "ok\n")
