#!/usr/bin/env Rscript
# mitml 0.4-4's testModels with method D4 (Chan & Meng 2022: the likelihood ratio of the stacked
# data sets) and its `ariv` options ("positive" for D2, D3 and D4; "robust" for D4), on lme4 1.1-31
# fits of the imputations in test/fixtures/mitml/imputed_long.csv (written by test/oracle/mitml.R) —
# for test/mitmlD4.test.ts.
#
# D4 stacks the m data sets (each grouping factor's levels made distinct per imputation, mitml's
# .updateStackedLL.merMod: "imp<l>_<level>"), fits the model to the stack and takes logLik(stack)/m
# as the average log-likelihood at the stacked estimates; mitml takes the data from each fit's
# model.frame. The fits are ML (mitml refits REML fits with ML for D4: `reml`, `refit`), by bobyqa to
# rhoend 1e-10 as in mitml.R (the lmer fits) and 1e-9 with tolPwrss 1e-13 (the glmer fits); the stacked
# fits inherit that control through mitml's update of the call.
# Usage (from the repository root):  Rscript test/oracle/mitml_d4.R test/fixtures/mitml
# Needs: mitml 0.4-4, lme4 1.1-31, jsonlite.
suppressMessages({ library(mitml); library(lme4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
out <- args[1]
stopifnot(packageVersion("mitml") == "0.4.4", packageVersion("lme4") == "1.1.31")
long <- read.csv(file.path(out, "imputed_long.csv"), stringsAsFactors = TRUE)
m <- max(long$.imp)
sets <- lapply(seq_len(m), function(i) { x <- long[long$.imp == i, ]; x$Pass <- as.integer(x$ReadAchiev > 500); x })
fml <- list(
  lmer_slope = ReadAchiev ~ ReadDis + SES + Sex + (1 + Sex | ID),
  lmer_null = ReadAchiev ~ ReadDis + (1 + Sex | ID),
  glmer_bin = Pass ~ ReadDis + Sex + (1 | ID),
  glmer_null = Pass ~ ReadDis + (1 | ID))
fitEach <- function(f, glmm, REML) lapply(sets, function(x)
  if (glmm) eval(bquote(glmer(.(f), data = .(x), family = binomial,
                              control = glmerControl(optimizer = "bobyqa", tolPwrss = 1e-13, optCtrl = list(rhoend = 1e-9, maxfun = 1e5)))))
  else eval(bquote(lmer(.(f), data = .(x), REML = .(REML), control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10))))))
ml <- list(lmer_slope = fitEach(fml$lmer_slope, FALSE, FALSE), lmer_null = fitEach(fml$lmer_null, FALSE, FALSE),
           glmer_bin = fitEach(fml$glmer_bin, TRUE, NA), glmer_null = fitEach(fml$glmer_null, TRUE, NA))
reml <- list(lmer_slope = fitEach(fml$lmer_slope, FALSE, TRUE), lmer_null = fitEach(fml$lmer_null, FALSE, TRUE))
# the stacked fits themselves, as mitml makes them, for the test of our stack
stackLL <- function(f) as.numeric(mitml:::.getLL(mitml:::.updateStackedLL(f[[1]], datalist = lapply(f, mitml:::.getDataLL)))) / m
tm <- function(f, f0, ...) {
  r <- suppressWarnings(testModels(f, f0, ...))
  list(test = as.list(setNames(as.numeric(r$test), colnames(r$test))), print = capture.output(print(r)))
}
ref <- list(
  m = m,
  lmer = list(
    logLik = sapply(ml$lmer_slope, function(x) as.numeric(logLik(x))),
    logLik0 = sapply(ml$lmer_null, function(x) as.numeric(logLik(x))),
    stacked = stackLL(ml$lmer_slope), stacked0 = stackLL(ml$lmer_null),
    D4 = tm(ml$lmer_slope, ml$lmer_null, method = "D4"),
    D4positive = tm(ml$lmer_slope, ml$lmer_null, method = "D4", ariv = "positive"),
    D4robust = tm(ml$lmer_slope, ml$lmer_null, method = "D4", ariv = "robust"),
    D4reml = tm(reml$lmer_slope, reml$lmer_null, method = "D4"),
    D2positive = tm(ml$lmer_slope, ml$lmer_null, method = "D2", use = "likelihood", ariv = "positive"),
    D2waldPositive = tm(reml$lmer_slope, reml$lmer_null, method = "D2", ariv = "positive"),
    D3positive = tm(ml$lmer_slope, ml$lmer_null, method = "D3", ariv = "positive")),
  glmer = list(
    stacked = stackLL(ml$glmer_bin), stacked0 = stackLL(ml$glmer_null),
    D4 = tm(ml$glmer_bin, ml$glmer_null, method = "D4"),
    D4robust = tm(ml$glmer_bin, ml$glmer_null, method = "D4", ariv = "robust")))
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = FALSE),
           file.path(out, "d4.json"))
cat("wrote", file.path(out, "d4.json"), "\n")
