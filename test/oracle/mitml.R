#!/usr/bin/env Rscript
# Multiple imputation then pooling: mitml 0.4-4's testEstimates, testModels (D1, D2, D3) and
# testConstraints, and mice 3.15's pool, on lme4 1.1-31 fits of each imputed data set — for
# test/mitml.test.ts and test/mitmlPool.test.ts.
#
# The imputations: mitml's `studentratings` (750 students in 50 schools, ID), the columns ID, Sex,
# ReadAchiev, ReadDis and SES, with ReadDis (153 missing) and SES (281 missing) imputed by mitml's
# panImpute (ReadDis + SES ~ ReadAchiev + Sex + (1 | ID), seed 4711, 5 imputations), written in mice's
# long format (`.imp` 0 = the original rows with their NA, 1..5 the completed sets; `.id` the row):
# imputed_long.csv. Every test reads these same imputations.
#
# Models (each lmer by REML, as lme4's default; glmer by Laplace):
#   lmer_slope   ReadAchiev ~ ReadDis + SES + Sex + (1 + Sex | ID)   (a random slope of Sex; singular in imputation 3)
#   lmer_null    ReadAchiev ~ ReadDis + (1 + Sex | ID)              (nested in lmer_slope: k = 2)
#   glmer_bin    Pass ~ ReadDis + Sex + (1 | ID), binomial, Pass = ReadAchiev > 500 (our tests: I(ReadAchiev > 500))
#   glmer_null   Pass ~ ReadDis + (1 | ID), binomial
# References (references.json): per imputation the fixed effects, their vcov, the VarCorr parts
# mitml's .getMisc reports, logLik (REML and ML refit), df; testEstimates with and without extra.pars
# and with df.com = 100; testModels D1 (with and without df.com), D2 (wald; likelihood and D3 on ML
# fits of lmer started at the REML θ, see mlEach below), D3 (lmer
# only: mitml has no D3 for glmerMod — it has no .getArgsLL method for it, and stops with "Could not
# evaluate likelihood for objects of class 'glmerMod'"); testConstraints D1 and D2 (and D1 with
# df.com); mice::pool's summary (mice's dfcom from broom.mixed's glance df.residual) and with
# dfcom = 100; and the printouts of testEstimates and testModels (print, line by line).
# Usage (from the repository root):  Rscript test/oracle/mitml.R test/fixtures/mitml
# Needs: mitml 0.4-4, mice 3.15, lme4 1.1-31, broom.mixed, jsonlite, pan.
suppressMessages({ library(mitml); library(mice); library(lme4); library(jsonlite); library(broom.mixed) })
args <- commandArgs(trailingOnly = TRUE)
out <- args[1]
dir.create(out, showWarnings = FALSE, recursive = TRUE)
stopifnot(packageVersion("mitml") == "0.4.4", packageVersion("lme4") == "1.1.31")

data(studentratings)
d0 <- studentratings[, c("ID", "Sex", "ReadAchiev", "ReadDis", "SES")]
d0$ID <- as.integer(d0$ID)
imp <- panImpute(d0, formula = ReadDis + SES ~ ReadAchiev + Sex + (1 | ID), n.burn = 1000, n.iter = 100,
                 m = 5, seed = 4711, silent = TRUE)
implist <- mitmlComplete(imp, "all")
m <- length(implist)
# mice's long format: .imp 0 = the original data, .id = the row within each set
long <- do.call(rbind, c(list(cbind(.imp = 0L, .id = seq_len(nrow(d0)), d0)),
  lapply(seq_len(m), function(i) cbind(.imp = i, .id = seq_len(nrow(d0)), implist[[i]][, names(d0)]))))
write.csv(long, file.path(out, "imputed_long.csv"), row.names = FALSE, na = "")
# read back, as the tests read it (the written digits are the data)
long <- read.csv(file.path(out, "imputed_long.csv"), stringsAsFactors = TRUE)
sets <- lapply(seq_len(m), function(i) { x <- long[long$.imp == i, ]; x$Pass <- as.integer(x$ReadAchiev > 500); x })

fml <- list(
  lmer_slope = ReadAchiev ~ ReadDis + SES + Sex + (1 + Sex | ID),
  lmer_null = ReadAchiev ~ ReadDis + (1 + Sex | ID),
  glmer_bin = Pass ~ ReadDis + Sex + (1 | ID),
  glmer_null = Pass ~ ReadDis + (1 | ID))
# each call holds its data set itself, so that mitml's refits (update of the call: ML for D2's
# likelihood and D3, the random part alone for D3's log-likelihood at the pooled parameters) find it
# lmer by bobyqa: lme4 1.1-31's default nloptwrap stops at a singular local optimum of lmer_slope in
# imputation 3 (REML logLik -4386.61 at θ₁ = 0, against bobyqa's and Nelder_Mead's -4379.12), and to
# rhoend 1e-10 (our tests too), so that the weakly determined slope variance is exact to ~1e-7, not to
# the default 2e-7 in θ; glmer by bobyqa in both stages to rhoend 1e-9 with tolPwrss 1e-13, so that
# the Laplace deviance is evaluated at exact conditional modes (at the default 1e-7 lme4's optimum is
# 2e-5 away in β and its logLik 1.8e-5 lower than the exact one)
fitEach <- function(f, glmm) lapply(sets, function(x)
  if (glmm) eval(bquote(glmer(.(f), data = .(x), family = binomial,
                              control = glmerControl(optimizer = "bobyqa", tolPwrss = 1e-13, optCtrl = list(rhoend = 1e-9, maxfun = 1e5)))))
  else eval(bquote(lmer(.(f), data = .(x), control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10))))))
fits <- list(
  lmer_slope = fitEach(fml$lmer_slope, FALSE), lmer_null = fitEach(fml$lmer_null, FALSE),
  glmer_bin = fitEach(fml$glmer_bin, TRUE), glmer_null = fitEach(fml$glmer_null, TRUE))
print(sapply(fits, function(f) sapply(f, isSingular)))
# ML fits for the likelihood-based tests (D2 with use = "likelihood", D3), started at the REML θ as
# lme4's refitML: mitml's own refit (update(REML = FALSE), from lme4's default start) stops at a local
# optimum for lmer_null in imputation 3 (logLik -4421.521 against refitML's -4412.745), so these tests
# get ML fits, which mitml uses as they are
mlEach <- function(key, f) lapply(seq_len(m), function(i) {
  th <- getME(fits[[key]][[i]], "theta"); x <- sets[[i]]
  r <- eval(bquote(lmer(.(f), data = .(x), REML = FALSE, start = .(th), control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10)))))
  stopifnot(abs(logLik(r) - logLik(refitML(fits[[key]][[i]]))) < 1e-4)
  r
})
mlfits <- list(lmer_slope = mlEach("lmer_slope", fml$lmer_slope), lmer_null = mlEach("lmer_null", fml$lmer_null))

estTable <- function(e) {
  e <- unclass(e)
  r <- list(names = rownames(e))
  for (j in colnames(e)) r[[j]] <- unname(e[, j])
  r
}
perImp <- function(f) lapply(f, function(x) list(
  beta = unname(fixef(x)), names = names(fixef(x)), vcov = unname(as.matrix(vcov(x))),
  misc = as.list(mitml:::.getMisc(x)), logLik = as.numeric(logLik(x)),
  logLikML = if (isREML(x)) as.numeric(logLik(refitML(x))) else as.numeric(logLik(x)),
  df = attr(logLik(x), "df"), theta = unname(getME(x, "theta")), sigma = sigma(x)))
te <- function(f, ...) {
  r <- testEstimates(f, ...)
  list(estimates = estTable(r$estimates), extra = if (is.null(r$extra.pars)) NULL else estTable(r$extra.pars),
       print = capture.output(print(r)))
}
tm <- function(f, f0, ...) {
  r <- suppressWarnings(testModels(f, f0, ...))
  list(test = as.list(setNames(as.numeric(r$test), colnames(r$test))), print = capture.output(print(r)))
}
tc <- function(f, constraints, ...) {
  r <- testConstraints(f, constraints = constraints, ...)
  list(test = as.list(setNames(as.numeric(r$test), colnames(r$test))), Qbar = unname(r$Qbar),
       T = unname(as.matrix(r$T)), constraints = r$constraints, print = capture.output(print(r)))
}
mp <- function(f, ...) {
  p <- pool(f, ...)
  s <- summary(p)
  list(summary = lapply(as.list(s), function(c) if (is.factor(c)) as.character(c) else c),
       pooled = lapply(as.list(p$pooled), function(c) if (is.factor(c)) as.character(c) else c),
       dfcom = p$pooled$dfcom[1], glance_df_residual = broom.mixed::glance(f[[1]])$df.residual)
}
d3err <- tryCatch({ testModels(fits$glmer_bin, fits$glmer_null, method = "D3"); NA },
                  error = function(e) conditionMessage(e))
cons <- c("SES", "SexGirl - ReadDis")
ref <- list(
  m = m,
  formulas = lapply(fml, function(f) paste(deparse(f), collapse = "")),
  perImputation = lapply(fits, perImp),
  lmer = list(
    testEstimates = te(fits$lmer_slope),
    testEstimatesExtra = te(fits$lmer_slope, extra.pars = TRUE),
    testEstimatesDfCom = te(fits$lmer_slope, extra.pars = TRUE, df.com = 100),
    pool = mp(fits$lmer_slope), poolDfCom = mp(fits$lmer_slope, dfcom = 100),
    D1 = tm(fits$lmer_slope, fits$lmer_null, method = "D1"),
    D1DfCom = tm(fits$lmer_slope, fits$lmer_null, method = "D1", df.com = 100),
    D2wald = tm(fits$lmer_slope, fits$lmer_null, method = "D2", use = "wald"),
    D2likelihood = tm(mlfits$lmer_slope, mlfits$lmer_null, method = "D2", use = "likelihood"),
    D3 = tm(mlfits$lmer_slope, mlfits$lmer_null, method = "D3"),
    constraints = cons,
    constraintsD1 = tc(fits$lmer_slope, cons, method = "D1"),
    constraintsD1DfCom = tc(fits$lmer_slope, cons, method = "D1", df.com = 100),
    constraintsD2 = tc(fits$lmer_slope, cons, method = "D2")),
  glmer = list(
    testEstimates = te(fits$glmer_bin),
    testEstimatesExtra = te(fits$glmer_bin, extra.pars = TRUE),
    pool = mp(fits$glmer_bin),
    D1 = tm(fits$glmer_bin, fits$glmer_null, method = "D1"),
    D2wald = tm(fits$glmer_bin, fits$glmer_null, method = "D2", use = "wald"),
    D2likelihood = tm(fits$glmer_bin, fits$glmer_null, method = "D2", use = "likelihood"),
    D3error = d3err,
    constraintsD1 = tc(fits$glmer_bin, c("SexGirl"), method = "D1")))
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = FALSE),
           file.path(out, "references.json"))
cat("wrote", file.path(out, "references.json"), "\n")
