#!/usr/bin/env Rscript
# nlme 3.1-162's pdSymm and pdNatural (a general Ψ in nlme's other parametrizations: the matrix
# logarithm, and log SDs with each correlation's log((1 + r)/(1 − r))), corNatural (corSymm's general
# correlation, each correlation's log((1 + ρ)/(1 − ρ))) and nested levels with a variance covariate of
# the fitted values (varPower(), varComb with varPower()), for test/nlme6.test.ts (src/nlme/).
#
# The lme cases are nlme_common.R's nestedCase records (the same as test/oracle/nlme3.R's; with a fitted(.)
# covariate, the fixed point of nlme's own fits: nlme_common.R's fixedPoint); the data are nlme.R's and
# nlme3.R's CSVs. The gls cases with corNatural are nlme_common.R's glsRecord with intervals() at nlme's
# default step and at .relStep = 1e-4 (`intervalsStep4`). nlme 3.1-162 cannot print a summary of a fit with
# corNatural: print.summary.corNatural stops ("$ operator is invalid for atomic vectors") after the
# structure's first three lines; the record holds the lines before the error and its message (`printError`).
# anova(): pdSymm against pdDiag (ML), nlme's likelihood-ratio table.
# Usage (from the repository root):
#   Rscript test/oracle/nlme6.R test/fixtures/data test/fixtures/nlme
# Needs: nlme 3.1-162, jsonlite.
suppressMessages({ library(nlme); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
stopifnot(packageVersion("nlme") == "3.1.162")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "nlme_common.R"))

rd <- function(name, factors) {
  d <- read.csv(file.path(dataDir, paste0(name, ".csv")), stringsAsFactors = FALSE)
  for (v in factors) d[[v]] <- factor(d[[v]])
  d
}
datasets <- list(Orthodont = rd("Orthodont", c("Subject", "Sex")), Pixel = rd("Pixel", c("Dog", "Side")),
                 Oats = rd("Oats", c("Block", "Variety")), schools3 = rd("schools3", c("School", "Class", "Pupil")))

# pdSymm and pdNatural: one level, nested levels, a block of pdBlocked
ndOrth <- data.frame(Subject = c("M01", "F05"), age = c(9, 13))
nestedCase("ortho_pdsymm", "Orthodont", distance ~ age, list(Subject = pdSymm(~ age)), newdata = ndOrth,
           ours = list(fixed = "distance ~ age", random = "list(Subject = pdSymm(~ age))"))
nestedCase("ortho_pdnatural_ml", "Orthodont", distance ~ age + Sex, list(Subject = pdNatural(~ age)), method = "ML",
           ours = list(fixed = "distance ~ age + Sex", random = "list(Subject = pdNatural(~ age))"))
nestedCase("pixel_pdnatural_nested", "Pixel", pixel ~ day + I(day^2), list(Dog = pdNatural(~ day), Side = pdSymm(~ 1)),
           ours = list(fixed = "pixel ~ day + I(day^2)", random = "list(Dog = pdNatural(~ day), Side = pdSymm(~ 1))"))
nestedCase("pixel_pdblocked_natural", "Pixel", pixel ~ day + I(day^2), list(Dog = pdBlocked(list(pdNatural(~ day), pdIdent(~ Side - 1)))),
           ours = list(fixed = "pixel ~ day + I(day^2)", random = "list(Dog = pdBlocked(list(pdNatural(~ day), pdIdent(~ Side - 1))))"))

# nested levels with a variance covariate of the fitted values (the innermost level's)
nestedCase("oats_nested_varpower", "Oats", yield ~ nitro, ~ 1 | Block/Variety, weights = quote(varPower()),
           ours = list(fixed = "yield ~ nitro", random = "~ 1 | Block/Variety", weights = "varPower()"))
nestedCase("schools3_varpower_ml", "schools3", y ~ x + w, ~ 1 | School/Class/Pupil, weights = quote(varPower()), method = "ML",
           ours = list(fixed = "y ~ x + w", random = "~ 1 | School/Class/Pupil", weights = "varPower()"))
nestedCase("oats_nested_varcomb", "Oats", yield ~ nitro, ~ 1 | Block/Variety, weights = quote(varComb(varIdent(form = ~ 1 | Variety), varPower())),
           ours = list(fixed = "yield ~ nitro", random = "~ 1 | Block/Variety", weights = "varComb(varIdent(form = ~ 1 | Variety), varPower())"))

# corNatural in lme: Oats' four plots of a variety within a block, a random intercept per block
nestedCase("oats_block_natural", "Oats", yield ~ nitro, ~ 1 | Block, correlation = quote(corNatural(form = ~ 1 | Block/Variety)),
           ours = list(fixed = "yield ~ nitro", random = "~ 1 | Block", correlation = "corNatural(form = ~ 1 | Block/Variety)"))

# corNatural in gls: test/oracle/nlme4.R's corSymm cases (gls_symm_varident, gls_symm_occasion_ml) with corNatural
naturalGls <- function(name, model, weights = NULL, correlation, method = "REML", ours) {
  d <- datasets$Orthodont
  call <- bquote(gls(.(model), data = d, weights = .(weights), correlation = .(correlation), method = .(method)))
  f <- eval(call)
  call$control <- tightGls
  ft <- tryCatch(eval(call), error = function(e) NULL)
  call$control <- glsControl(.relStep = 1e-4)
  f4 <- eval(call)
  stopifnot(isTRUE(all.equal(logLik(f4), logLik(f), tolerance = 1e-8)))
  s <- summary(f)
  res <- glsRecord(name, "Orthodont", model, method, ours, d, f, ft, s)
  iv4 <- tryCatch(intervals(f4), error = function(e) NULL)
  if (!is.null(iv4)) res$intervalsStep4 <- intervalsList(iv4)
  writeRecord(res, f)
}
naturalGls("gls_natural_varident", distance ~ age * Sex, quote(varIdent(form = ~ 1 | age)), quote(corNatural(form = ~ 1 | Subject)),
           ours = list(model = "distance ~ age * Sex", weights = "varIdent(form = ~ 1 | age)", correlation = "corNatural(form = ~ 1 | Subject)"))
naturalGls("gls_natural_occasion_ml", distance ~ age + Sex, correlation = quote(corNatural(form = ~ occasion | Subject)), method = "ML",
           ours = list(model = "distance ~ age + Sex", correlation = "corNatural(form = ~ occasion | Subject)"))

# anova(): pdDiag against pdSymm (ML)
d <- datasets$Orthodont
a1 <- lme(distance ~ age, data = d, random = list(Subject = pdDiag(~ age)), method = "ML")
a2 <- lme(distance ~ age, data = d, random = list(Subject = pdSymm(~ age)), method = "ML")
a <- anova(a1, a2)
write(toJSON(list(name = "anova_pdsymm", df = a$df, AIC = a$AIC, BIC = a$BIC, logLik = a$logLik,
                  L.Ratio = a$L.Ratio, p = a$`p-value`, print = paste(capture.output(print(a)), collapse = "\n")),
             digits = NA, auto_unbox = TRUE, na = "null"), file.path(out, "anova_pdsymm.json"))
cat("done\n")
