#!/usr/bin/env Rscript
# lme4's anova(fm0, fm1) on sleepstudy (REML fits, refitted by ML inside anova): the reference of the
# browser app's fit comparison (test/e2e/workbench.test.ts).
# Usage (from the repository root): Rscript test/oracle/sleepstudy_anova.R
suppressMessages({ library(lme4); library(jsonlite) })
d <- read.csv("test/fixtures/data/sleepstudy.csv")
d$Subject <- factor(d$Subject)
fm0 <- lmer(Reaction ~ Days + (1 | Subject), d)
fm1 <- lmer(Reaction ~ Days + (Days | Subject), d)
a <- anova(fm0, fm1)
out <- list(
  R = R.version.string, lme4 = as.character(packageVersion("lme4")),
  models = c("Reaction ~ Days + (1 | Subject)", "Reaction ~ Days + (Days | Subject)"),
  npar = a$npar, AIC = a$AIC, BIC = a$BIC, logLik = a$logLik, deviance = a$deviance,
  Chisq = a$Chisq[2], Df = a$Df[2], p = a[["Pr(>Chisq)"]][2]
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "test/fixtures/reference/sleepstudy_anova.json")
