#!/usr/bin/env Rscript
# lme4's anova() of one fit (anova.merMod with a single model: the fixed-effects terms' sequential sums
# of squares from RX beta, "Analysis of Variance Table" with npar, Sum Sq, Mean Sq, F value), for
# test/lme4Anova.test.ts: lmer fits (REML, ML, prior weights, factor interactions, an aliased column)
# with lme4's theta (the test assembles our fit there) and the same tables of the fits run to a tight
# optimizer tolerance (the comparison at our optimum), and glmer fits (binomial, poisson) with lme4's
# formula at their exact Laplace optimum (test/oracle/exact_laplace.R) for the comparison at ours.
# Usage (from the repository root): Rscript test/oracle/lme4_anova.R test/fixtures/data test/fixtures/lme4-anova
# Needs: apt-get install r-cran-lme4 r-cran-jsonlite
suppressMessages({ library(lme4); library(jsonlite) })
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "exact_laplace.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)
rd <- function(f) read.csv(file.path(dataDir, f), stringsAsFactors = TRUE)
sleep <- rd("sleepstudy.csv"); sleep$Subject <- factor(sleep$Subject)
sw <- rd("sleepstudy_weighted.csv"); sw$Subject <- factor(sw$Subject)
at <- rd("anova_types.csv")
# an aliased column: x2 = 2 x (lme4 drops it, and its term has no row)
at$x2 <- 2 * at$x
write.csv(at, file.path(out, "anova_types_x2.csv"), row.names = FALSE)
cbpp <- rd("cbpp.csv"); cbpp$period <- factor(cbpp$period); cbpp$herd <- factor(cbpp$herd)
glmmData <- read.csv(file.path(dirname(out), "car-anova", "glmm.csv"), stringsAsFactors = TRUE)

cases <- list(
  sleepstudy = list(data = "sleepstudy.csv", d = sleep, formula = "Reaction ~ Days + (Days | Subject)"),
  sleepstudy_ml = list(data = "sleepstudy.csv", d = sleep, formula = "Reaction ~ Days + (Days | Subject)", reml = FALSE),
  weighted = list(data = "sleepstudy_weighted.csv", d = sw, formula = "Reaction ~ Days + (1 | Subject)", weights = "w"),
  interaction = list(data = "anova_types.csv", d = at, formula = "y ~ A * B + x + (1 | g)"),
  covariate_interaction = list(data = "anova_types.csv", d = at, formula = "y ~ A + B * x + z + (1 | g) + (1 | h)"),
  no_intercept = list(data = "anova_types.csv", d = at, formula = "y ~ 0 + A + x + (1 | g)"),
  aliased = list(data = "anova_types_x2.csv", d = at, formula = "y ~ A + x + x2 + B + (1 | g)"),
  cbpp = list(data = "cbpp.csv", d = cbpp, formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", family = "binomial"),
  binary_interaction = list(data = "glmm.csv", d = glmmData, formula = "yb ~ A * B + x + (1 | g)", family = "binomial"),
  poisson_offset = list(data = "glmm.csv", d = glmmData, formula = "count ~ A + B * x + offset(log(t)) + (1 | g)", family = "poisson")
)
res <- lapply(cases, function(cs) {
  m <- if (is.null(cs$family)) {
    if (is.null(cs$weights)) lmer(as.formula(cs$formula), cs$d, REML = !identical(cs$reml, FALSE))
    else lmer(as.formula(cs$formula), cs$d, REML = !identical(cs$reml, FALSE), weights = cs$d[[cs$weights]])
  } else glmer(as.formula(cs$formula), cs$d, family = cs$family, control = glmerControl(tolPwrss = 1e-12))
  a <- anova(m)
  # the optimum itself (minqa's bobyqa to a final radius of 1e-10), for the comparison at our optimum:
  # nloptwrap's default stop leaves sleepstudy's ML fit with a gradient of 1.4e-3
  tight <- if (is.null(cs$family)) anova(update(m, control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10, maxfun = 1e5)))) else {
    # glmer: lme4's formula (anova.merMod's lines) at the exact Laplace optimum (exact_laplace.R), with
    # R_X of the PIRLS state there (glmer's own bobyqa stops ~1e-4 away in beta)
    dev <- update(m, devFunOnly = TRUE)
    ex_f <- exact_devfun(dev)
    ex <- exact_optimum(ex_f, getME(m, "theta"), fixef(m), getME(m, "lower"))
    ex_f(c(ex$theta, ex$beta))
    RX <- environment(dev)$pp$RX()
    asgn <- attr(getME(m, "X"), "assign")
    ss <- unlist(lapply(split(as.vector(RX %*% ex$beta)^2, asgn), sum))
    df <- lengths(split(asgn, asgn))
    keep <- unique(asgn) != 0
    data.frame(`Sum Sq` = ss[keep], `F value` = (ss / df)[keep], check.names = FALSE)
  }
  list(data = cs$data, formula = cs$formula, reml = if (is.null(cs$family)) isREML(m) else NULL, family = cs$family,
       weights = cs$weights, theta = unname(getME(m, "theta")), beta = unname(fixef(m)),
       terms = rownames(a), npar = a$npar, sumSq = a[["Sum Sq"]], meanSq = a[["Mean Sq"]], F = a[["F value"]],
       printed = capture.output(print(a)), tightF = tight[["F value"]], tightSumSq = tight[["Sum Sq"]])
})
writeLines(toJSON(res, digits = NA, auto_unbox = FALSE, null = "null", pretty = TRUE), file.path(out, "lme4.json"))
