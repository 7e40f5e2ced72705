#!/usr/bin/env Rscript
# multcomp 1.4-22's glht() with Dunnett's comparisons against another base level, as the browser app's
# Multiple comparisons card asks for them: mcp(f = contrMat(table(model.frame(fit)$f), "Dunnett", base = b))
# (a matrix over the levels with row names: multcomp keeps the names and calls the type "User-defined").
# Per case: K, row names, type, the estimates, SEs and statistics, the holm and univariate p-values, the
# univariate intervals and the holm printout. For test/glhtBase.test.ts and test/e2e/demo-glht.test.ts.
# Usage (from the repository root): Rscript test/oracle/glhtBase.R test/fixtures/data test/fixtures/glht
suppressMessages({ library(lme4); library(multcomp); library(jsonlite) })
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "exact_laplace.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
tight <- lmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
gtight <- glmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
oats <- read.csv(file.path(dataDir, "Oats.csv")); oats$Block <- factor(oats$Block); oats$Variety <- factor(oats$Variety)
cbpp <- read.csv(file.path(dataDir, "cbpp.csv")); cbpp$period <- factor(cbpp$period); cbpp$herd <- factor(cbpp$herd)
fits <- list(
  oats = lmer(yield ~ nitro + Variety + (1 | Block/Variety), oats, control = tight),
  cbpp = exact_fit(glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial, control = gtight))
)
capture <- function(x) capture.output(print(x))
cases <- list()
add <- function(name, model, factor, base, alternative = "two.sided") {
  fit <- fits[[model]]
  K <- contrMat(table(model.frame(fit)[[factor]]), "Dunnett", base = base)
  lf <- list(K); names(lf) <- factor
  g <- glht(fit, linfct = do.call(mcp, lf), alternative = alternative)
  s1 <- summary(g, test = univariate())
  sh <- summary(g, test = adjusted("holm"))
  ci <- confint(g, level = 0.95, calpha = univariate_calpha())
  cases[[length(cases) + 1]] <<- list(
    name = name, model = model, factor = factor, base = base, alternative = alternative,
    levelK = lapply(seq_len(nrow(K)), function(i) unname(K[i, ])), levelRownames = rownames(K),
    K = lapply(seq_len(nrow(g$linfct)), function(i) unname(g$linfct[i, ])), rownames = rownames(g$linfct),
    type = if (is.null(g$type)) NULL else g$type,
    estimate = unname(coef(g)), se = unname(s1$test$sigma), statistic = unname(s1$test$tstat),
    p_univariate = unname(as.numeric(s1$test$pvalues)), p_holm = unname(as.numeric(sh$test$pvalues)),
    ci_univariate = list(quantile = attr(ci$confint, "calpha"), lower = unname(ci$confint[, "lwr"]), upper = unname(ci$confint[, "upr"])),
    print_holm = capture(sh))
}
add("oats_dunnett_base2", "oats", "Variety", 2)
add("cbpp_dunnett_base3_less", "cbpp", "period", 3, "less")
writeLines(toJSON(list(cases = cases), digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(out, "glht_base.json"))
