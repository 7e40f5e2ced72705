#!/usr/bin/env Rscript
# nlme 3.1-162's lme with several nested levels of grouping and with pdMat classes for a level's Ψ, for
# test/nlme3.test.ts (src/nlme/randomSpec.ts, lmeFit.ts).
#
# Data: nlme's Oats, Pixel and Machines, and a simulated three-level data set (schools3), written to
# test/fixtures/data as CSV (grouping factors as plain
# character columns, Pixel's Dog as D1…D10, the rows sorted by the grouping factors outermost first, as
# nlme's lme sorts them, so that its fitted values come in the CSV's order); Orthodont is nlme.R's CSV.
#
# Per case (one JSON each): nlme's logLik, AIC, BIC, df, σ, each level's Ψ/σ² (as.matrix of the
# reStruct: the criterion's θ at nlme's estimates is its Cholesky factor), the structures' coefficients,
# the fixed-effects table (Value, Std.Error, DF, t, p) and vcov, each level's VarCorr SDs and correlations,
# ranef per level (nlme's group names, `I/Golden Rain`), fitted values and residuals at levels 0 … Q,
# pearson and normalized residuals, the numbers of groups, the printout, intervals() for every level (also
# with fdHess's step .relStep = 1e-4: `intervalsStep4`) and
# predictions on new rows at levels 0 … Q. Each fit is refitted with nlme_common.R's tight control and its
# logLik recorded as `logLikTight`.
# Usage (from the repository root):
#   Rscript test/oracle/nlme3.R test/fixtures/data test/fixtures/nlme
# Needs: nlme 3.1-162, jsonlite.
suppressMessages({ library(nlme); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
stopifnot(packageVersion("nlme") == "3.1.162")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "nlme_common.R"))

plain <- function(d, groups) {
  d <- as.data.frame(d)
  for (v in names(d)) if (is.factor(d[[v]])) d[[v]] <- as.character(d[[v]])
  d <- d[do.call(order, unname(as.list(d[groups]))), ]
  rownames(d) <- NULL
  d
}
oats <- plain(Oats, c("Block", "Variety"))
pixel <- as.data.frame(Pixel); pixel$Dog <- paste0("D", as.character(pixel$Dog))
pixel <- plain(pixel, c("Dog", "Side"))
machines <- plain(Machines, c("Worker"))
orth <- read.csv(file.path(dataDir, "Orthodont.csv"), stringsAsFactors = FALSE)
# three levels, simulated: 6 schools × 3 classes × 4 pupils × 3 observations; x varies within pupils, w
# between pupils (nlme's DF: the pupils' stratum)
set.seed(7)
sim <- expand.grid(obs = 1:3, Pupil = paste0("p", 1:4), Class = paste0("c", 1:3), School = paste0("s", 1:6), stringsAsFactors = FALSE)
sch <- rnorm(6, sd = 3); cls <- rnorm(18, sd = 1.5); pup <- rnorm(72, sd = 1)
si <- match(sim$School, paste0("s", 1:6)); ci <- (si - 1) * 3 + match(sim$Class, paste0("c", 1:3)); pi <- (ci - 1) * 4 + match(sim$Pupil, paste0("p", 1:4))
sim$x <- round(rnorm(nrow(sim)), 3); sim$w <- round(rnorm(72)[pi], 3)
sim$y <- round(10 + 0.5 * sim$x + 0.8 * sim$w + sch[si] + cls[ci] + pup[pi] + rnorm(nrow(sim), sd = 0.8), 4)
sim$obs <- NULL
sim <- plain(sim, c("School", "Class", "Pupil"))
write.csv(sim, file.path(dataDir, "schools3.csv"), row.names = FALSE)
write.csv(oats, file.path(dataDir, "Oats.csv"), row.names = FALSE)
write.csv(pixel, file.path(dataDir, "Pixel.csv"), row.names = FALSE)
write.csv(machines, file.path(dataDir, "Machines.csv"), row.names = FALSE)
asFactors <- function(d, vars) { for (v in vars) d[[v]] <- factor(d[[v]]); d }
datasets <- list(
  Oats = asFactors(oats, c("Block", "Variety")), Pixel = asFactors(pixel, c("Dog", "Side")),
  Machines = asFactors(machines, c("Worker", "Machine")), Orthodont = asFactors(orth, c("Subject", "Sex")),
  schools3 = asFactors(sim, c("School", "Class", "Pupil")))

# (nestedCase, the record of an lme fit with Q ≥ 1 levels: test/oracle/nlme_common.R)
ndOats <- data.frame(Block = c("I", "IV", "VI"), Variety = c("Victory", "Golden Rain", "Marvellous"), nitro = c(0.2, 0.4, 0.6))
nestedCase("oats_nested_reml", "Oats", yield ~ nitro, ~ 1 | Block/Variety, newdata = ndOats,
           ours = list(fixed = "yield ~ nitro", random = "~ 1 | Block/Variety"))
nestedCase("oats_nested_ml", "Oats", yield ~ nitro, ~ 1 | Block/Variety, method = "ML",
           ours = list(fixed = "yield ~ nitro", random = "~ 1 | Block/Variety"))
ndPixel <- data.frame(Dog = c("D1", "D4", "D9"), Side = c("R", "L", "R"), day = c(2, 7, 10))
nestedCase("pixel_list", "Pixel", pixel ~ day + I(day^2), list(Dog = ~ day, Side = ~ 1), newdata = ndPixel,
           ours = list(fixed = "pixel ~ day + I(day^2)", random = "list(Dog = ~ day, Side = ~ 1)"))
# the correlation within the innermost groups (Variety %in% Block): nitro's four plots in order
nestedCase("oats_nested_ar1", "Oats", yield ~ nitro, ~ 1 | Block/Variety, correlation = quote(corAR1(form = ~ 1 | Block/Variety)),
           ours = list(fixed = "yield ~ nitro", random = "~ 1 | Block/Variety", correlation = "corAR1(form = ~ 1 | Block/Variety)"))
nestedCase("oats_nested_varident_ml", "Oats", yield ~ nitro + Variety, ~ 1 | Block/Variety, weights = quote(varIdent(form = ~ 1 | Variety)), method = "ML",
           ours = list(fixed = "yield ~ nitro + Variety", random = "~ 1 | Block/Variety", weights = "varIdent(form = ~ 1 | Variety)"))
# pdMat classes
nestedCase("ortho_pddiag", "Orthodont", distance ~ age, list(Subject = pdDiag(~ age)),
           ours = list(fixed = "distance ~ age", random = "list(Subject = pdDiag(~ age))"))
nestedCase("machines_pdcompsymm", "Machines", score ~ Machine, list(Worker = pdCompSymm(~ Machine - 1)),
           ours = list(fixed = "score ~ Machine", random = "list(Worker = pdCompSymm(~ Machine - 1))"))
nestedCase("machines_pdident", "Machines", score ~ Machine, list(Worker = pdIdent(~ Machine - 1)), method = "ML",
           ours = list(fixed = "score ~ Machine", random = "list(Worker = pdIdent(~ Machine - 1))"))
ndSchools <- data.frame(School = c("s2", "s5"), Class = c("c1", "c3"), Pupil = c("p4", "p2"), x = c(0.5, -1), w = c(1, 0.2))
nestedCase("schools3_nested", "schools3", y ~ x + w, ~ 1 | School/Class/Pupil, newdata = ndSchools,
           ours = list(fixed = "y ~ x + w", random = "~ 1 | School/Class/Pupil"))
# a pdMat class at one of two levels: pdDiag at the outer, pdIdent at the inner (beside a general level)
nestedCase("pixel_pddiag_nested", "Pixel", pixel ~ day + I(day^2), list(Dog = pdDiag(~ day), Side = ~ 1),
           ours = list(fixed = "pixel ~ day + I(day^2)", random = "list(Dog = pdDiag(~ day), Side = ~ 1)"))
nestedCase("oats_pdident_inner", "Oats", yield ~ nitro, list(Block = ~ 1, Variety = pdIdent(~ nitro)),
           ours = list(fixed = "yield ~ nitro", random = "list(Block = ~ 1, Variety = pdIdent(~ nitro))"))
# pdBlocked: Oats' Block with two multiples of the identity (nlme's equivalent of ~ 1 | Block/Variety with
# equal variances), Pixel's Dog with a general block beside a multiple of the identity (Pinheiro & Bates §4.2)
nestedCase("oats_pdblocked", "Oats", yield ~ nitro, list(Block = pdBlocked(list(pdIdent(~ 1), pdIdent(~ Variety - 1)))),
           ours = list(fixed = "yield ~ nitro", random = "list(Block = pdBlocked(list(pdIdent(~ 1), pdIdent(~ Variety - 1))))"))
nestedCase("pixel_pdblocked", "Pixel", pixel ~ day + I(day^2), list(Dog = pdBlocked(list(~ day, pdIdent(~ Side - 1)))),
           ours = list(fixed = "pixel ~ day + I(day^2)", random = "list(Dog = pdBlocked(list(~ day, pdIdent(~ Side - 1))))"))

# anova(): one level against two (ML, the same fixed effects), nlme's likelihood-ratio table
d <- datasets$Oats
a1 <- lme(yield ~ nitro, data = d, random = ~ 1 | Block, method = "ML")
a2 <- lme(yield ~ nitro, data = d, random = ~ 1 | Block/Variety, method = "ML")
a <- anova(a1, a2)
write(toJSON(list(name = "anova_oats_nested", df = a$df, AIC = a$AIC, BIC = a$BIC, logLik = a$logLik,
                  L.Ratio = a$L.Ratio, p = a$`p-value`, print = paste(capture.output(print(a)), collapse = "\n")),
             digits = NA, auto_unbox = TRUE, na = "null"), file.path(out, "anova_oats_nested.json"))
