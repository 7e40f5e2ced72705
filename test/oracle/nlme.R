#!/usr/bin/env Rscript
# nlme 3.1-162's lme and gls with residual variance functions (varIdent, varPower, varExp,
# varConstPower, varFixed) and correlation structures (corAR1, corCAR1, corCompSymm, corExp, corGaus), for
# test/nlme.test.ts (src/nlme/).
#
# The data sets are nlme's Orthodont, Ovary, BodyWeight and Wheat2, written to test/fixtures/data as CSV with
# their grouping factors as plain character columns (R's alphabetical level order, as the model frame
# reads them) and the rows sorted by group (nlme's lme orders the rows by group: its fitted values and
# residuals then come in the CSV's order). Ovary gets its two harmonic columns (sin2pi = sin(2πTime),
# cos2pi = cos(2πTime)) as columns.
#
# Per case (one JSON each): nlme's estimates and what the test checks at them — logLik, AIC, BIC, σ,
# θ (lme4's order: the lower Cholesky factor of Ψ/σ², column by column), the variance function's and the
# correlation structure's coefficients (nlme's unconstrained and constrained), the fixed-effects table
# (Value, Std.Error, DF, t-value, p-value), VarCorr's SDs and correlations, ranef, fitted values and
# residuals (levels 0 and 1; response and normalized), predictions on new rows (levels 0 and 1) and the
# anova tables of nested fits. Each fit is also refitted with a tight optimizer tolerance
# (lmeControl(msMaxIter = 500, tolerance = 1e-10, msTol = 1e-12, niterEM = 0...)) and its logLik
# recorded as `logLikTight`.
# Usage (from the repository root):
#   Rscript test/oracle/nlme.R test/fixtures/data test/fixtures/nlme
# Needs: nlme 3.1-162, jsonlite.
suppressMessages({ library(nlme); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
stopifnot(packageVersion("nlme") == "3.1.162")
dir.create(out, showWarnings = FALSE, recursive = TRUE)

plain <- function(d, group) {
  d <- as.data.frame(d)
  for (v in names(d)) if (is.factor(d[[v]])) d[[v]] <- as.character(d[[v]])
  d <- d[order(d[[group]]), ]
  rownames(d) <- NULL
  d
}
orth <- plain(Orthodont, "Subject")
orth$occasion <- (orth$age - 8) / 2 + 1
ovary <- plain(Ovary, "Mare")
ovary$sin2pi <- sin(2 * pi * ovary$Time)
ovary$cos2pi <- cos(2 * pi * ovary$Time)
bw <- plain(BodyWeight, "Rat")
bw$Diet <- paste0("D", bw$Diet)
wheat <- plain(Wheat2, "Block")
write.csv(orth, file.path(dataDir, "Orthodont.csv"), row.names = FALSE)
write.csv(ovary, file.path(dataDir, "Ovary.csv"), row.names = FALSE)
write.csv(bw, file.path(dataDir, "BodyWeight.csv"), row.names = FALSE)
write.csv(wheat, file.path(dataDir, "Wheat2.csv"), row.names = FALSE)
orth$Subject <- factor(orth$Subject); orth$Sex <- factor(orth$Sex)
ovary$Mare <- factor(ovary$Mare)
bw$Rat <- factor(bw$Rat); bw$Diet <- factor(bw$Diet)
wheat$variety <- factor(wheat$variety); wheat$Block <- factor(wheat$Block)
datasets <- list(Orthodont = orth, Ovary = ovary, BodyWeight = bw, Wheat2 = wheat)

source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "nlme_common.R"))

lmeCase <- function(name, dataName, fixed, random, weights = NULL, correlation = NULL, method = "REML",
                    ours = list(), newdata = NULL, control = NULL) {
  d <- datasets[[dataName]]
  call <- bquote(lme(.(fixed), data = d, random = .(random), weights = .(weights), correlation = .(correlation), method = .(method)))
  if (!is.null(control)) call$control <- control
  f <- eval(call)
  call$control <- tight
  ft <- tryCatch(eval(call), error = function(e) NULL)
  s <- summary(f)
  writeRecord(lmeRecord(name, dataName, fixed, random, method, ours, d, f, ft, s), f, newdata)
  invisible(f)
}

glsCase <- function(name, dataName, model, weights = NULL, correlation = NULL, method = "REML", ours = list()) {
  d <- datasets[[dataName]]
  call <- bquote(gls(.(model), data = d, weights = .(weights), correlation = .(correlation), method = .(method)))
  f <- eval(call)
  call$control <- tightGls
  ft <- tryCatch(eval(call), error = function(e) NULL)
  s <- summary(f)
  writeRecord(glsRecord(name, dataName, model, method, ours, d, f, ft, s), f)
  invisible(f)
}

anovaCase <- function(name, f1, f2) {
  a <- anova(f1, f2)
  res <- list(name = name, df = a$df, AIC = a$AIC, BIC = a$BIC, logLik = a$logLik,
              L.Ratio = a$L.Ratio, p = a$`p-value`, print = paste(capture.output(print(a)), collapse = "\n"))
  write(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null"), file.path(out, paste0(name, ".json")))
}

nd <- data.frame(age = c(9, 13, 11), Subject = c("M01", "F03", "F10"), Sex = c("Male", "Female", "Female"))
o1 <- lmeCase("ortho_varident_reml", "Orthodont", distance ~ age, ~ 1 | Subject, quote(varIdent(form = ~ 1 | Sex)), newdata = nd,
              ours = list(fixed = "distance ~ age", random = "~ 1 | Subject", weights = "varIdent(form = ~ 1 | Sex)"))
o0 <- lmeCase("ortho_homosc_reml", "Orthodont", distance ~ age, ~ 1 | Subject,
              ours = list(fixed = "distance ~ age", random = "~ 1 | Subject"))
anovaCase("anova_varident", o0, o1)
o1ml <- lmeCase("ortho_varident_ml", "Orthodont", distance ~ age + Sex, ~ 1 | Subject, quote(varIdent(form = ~ 1 | Sex)), method = "ML",
                ours = list(fixed = "distance ~ age + Sex", random = "~ 1 | Subject", weights = "varIdent(form = ~ 1 | Sex)"))
o2ml <- lmeCase("ortho_varident_ml_small", "Orthodont", distance ~ age, ~ 1 | Subject, quote(varIdent(form = ~ 1 | Sex)), method = "ML",
                ours = list(fixed = "distance ~ age", random = "~ 1 | Subject", weights = "varIdent(form = ~ 1 | Sex)"))
anovaCase("anova_fixed_ml", o2ml, o1ml)
lmeCase("ortho_slope_varpower", "Orthodont", distance ~ age * Sex, ~ age | Subject, quote(varPower(form = ~ age)),
        ours = list(fixed = "distance ~ age * Sex", random = "~ age | Subject", weights = "varPower(form = ~ age)"))
lmeCase("ortho_varexp_strata", "Orthodont", distance ~ age + Sex, ~ 1 | Subject, quote(varExp(form = ~ age | Sex)),
        ours = list(fixed = "distance ~ age + Sex", random = "~ 1 | Subject", weights = "varExp(form = ~ age | Sex)"))
lmeCase("bw_varconstpower_ml", "BodyWeight", weight ~ Time * Diet, ~ 1 | Rat, quote(varConstPower(form = ~ Time)), method = "ML",
        ours = list(fixed = "weight ~ Time * Diet", random = "~ 1 | Rat", weights = "varConstPower(form = ~ Time)"))
lmeCase("ortho_varfixed", "Orthodont", distance ~ age + Sex, ~ 1 | Subject, quote(varFixed(~ age)),
        ours = list(fixed = "distance ~ age + Sex", random = "~ 1 | Subject", weights = "varFixed(~ age)"))
lmeCase("ortho_cs", "Orthodont", distance ~ age + Sex, ~ 1 | Subject, correlation = quote(corCompSymm(form = ~ 1 | Subject)),
        ours = list(fixed = "distance ~ age + Sex", random = "~ 1 | Subject", correlation = "corCompSymm(form = ~ 1 | Subject)"))
lmeCase("ovary_ar1", "Ovary", follicles ~ sin2pi + cos2pi, ~ 1 | Mare, correlation = quote(corAR1(form = ~ 1 | Mare)),
        ours = list(fixed = "follicles ~ sin2pi + cos2pi", random = "~ 1 | Mare", correlation = "corAR1(form = ~ 1 | Mare)"))
lmeCase("ovary_ar1_ml", "Ovary", follicles ~ sin2pi + cos2pi, ~ 1 | Mare, correlation = quote(corAR1(form = ~ 1 | Mare)), method = "ML",
        ours = list(fixed = "follicles ~ sin2pi + cos2pi", random = "~ 1 | Mare", correlation = "corAR1(form = ~ 1 | Mare)"))
lmeCase("bw_car1", "BodyWeight", weight ~ Time * Diet, ~ Time | Rat, correlation = quote(corCAR1(form = ~ Time | Rat)),
        ours = list(fixed = "weight ~ Time * Diet", random = "~ Time | Rat", correlation = "corCAR1(form = ~ Time | Rat)"))
lmeCase("bw_varpower_car1_ml", "BodyWeight", weight ~ Time * Diet, ~ 1 | Rat, quote(varPower(form = ~ Time)), quote(corCAR1(form = ~ Time | Rat)), method = "ML",
        ours = list(fixed = "weight ~ Time * Diet", random = "~ 1 | Rat", weights = "varPower(form = ~ Time)", correlation = "corCAR1(form = ~ Time | Rat)"))
lmeCase("bw_corexp", "BodyWeight", weight ~ Time * Diet, ~ 1 | Rat, correlation = quote(corExp(form = ~ Time | Rat)),
        ours = list(fixed = "weight ~ Time * Diet", random = "~ 1 | Rat", correlation = "corExp(form = ~ Time | Rat)"))
glsCase("gls_wheat_gaus_nugget", "Wheat2", yield ~ variety - 1, correlation = quote(corGaus(form = ~ latitude + longitude, nugget = TRUE)),
        ours = list(model = "yield ~ variety - 1", correlation = "corGaus(form = ~ latitude + longitude, nugget = TRUE)"))
glsCase("gls_wheat_exp_ml", "Wheat2", yield ~ variety - 1, correlation = quote(corExp(form = ~ latitude + longitude)), method = "ML",
        ours = list(model = "yield ~ variety - 1", correlation = "corExp(form = ~ latitude + longitude)"))
glsCase("gls_ar1_varident", "Orthodont", distance ~ age * Sex, quote(varIdent(form = ~ 1 | Sex)), quote(corAR1(form = ~ 1 | Subject)),
        ours = list(model = "distance ~ age * Sex", weights = "varIdent(form = ~ 1 | Sex)", correlation = "corAR1(form = ~ 1 | Subject)"))
glsCase("gls_ar1_occasion", "Orthodont", distance ~ age + Sex, correlation = quote(corAR1(form = ~ occasion | Subject)),
        ours = list(model = "distance ~ age + Sex", correlation = "corAR1(form = ~ occasion | Subject)"))
glsCase("gls_cs_ml", "Orthodont", distance ~ age + Sex, correlation = quote(corCompSymm(form = ~ 1 | Subject)), method = "ML",
        ours = list(model = "distance ~ age + Sex", correlation = "corCompSymm(form = ~ 1 | Subject)"))
glsCase("gls_varpower_strata", "Orthodont", distance ~ age + Sex, quote(varPower(form = ~ age | Sex)),
        ours = list(model = "distance ~ age + Sex", weights = "varPower(form = ~ age | Sex)"))
cat("done\n")
