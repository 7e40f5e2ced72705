#!/usr/bin/env Rscript
# nlme 3.1-162's lme/gls and lme4 1.1-31's nlmer on the cases of bench/nlme.ts (the same rows, read from
# test/fixtures/data): each fit's time, the median of 5 after one warm-up, and its log-likelihood.
#   Rscript bench/nlme.R
suppressPackageStartupMessages({ library(nlme); library(lme4); library(jsonlite) })
factors <- list(Orthodont = character(), Ovary = "Mare", BodyWeight = "Rat", Wheat2 = character(), Soybean = "Plot", Phenobarb = "Subject", Oats = character())
read <- function(name) {
  d <- read.csv(file.path("test/fixtures/data", paste0(name, ".csv")), stringsAsFactors = TRUE)
  for (f in factors[[name]]) d[[f]] <- factor(d[[f]])
  d
}
timed <- function(f) {
  f()
  t <- replicate(5, system.time(f())[["elapsed"]])
  list(s = median(t), out = f())
}
ex <- function(s) if (is.null(s)) NULL else eval(parse(text = s))
for (name in c("ortho_varident_reml", "ovary_ar1", "bw_car1", "bw_varpower_car1_ml", "gls_wheat_exp_ml",
               "ortho_varpower_fitted", "bw_varpower_fitted", "soy_varpower_fitted", "soy_varpower_time", "pheno_varconstpower", "oats_nested_reml", "gls_wheat_spher")) {
  fx <- fromJSON(file.path("test/fixtures/nlme", paste0(name, ".json")))
  d <- read(fx$data)
  o <- fx$ours
  r <- if (!is.null(o$model)) {
    timed(function() gls(as.formula(o$model), data = d, weights = ex(o$weights), correlation = ex(o$correlation), method = fx$method))
  } else {
    timed(function() lme(as.formula(o$fixed), data = d, random = as.formula(o$random), weights = ex(o$weights),
                         correlation = ex(o$correlation), method = fx$method))
  }
  cat(sprintf("nlme %s (n = %d): %.3f s, logLik %.6f\n", name, nrow(d), r$s, as.numeric(logLik(r$out))))
}
orange <- read.csv("test/fixtures/data/Orange.csv", stringsAsFactors = TRUE)
theoph <- read.csv("test/fixtures/data/Theoph.csv", stringsAsFactors = TRUE)
r <- timed(function() nlmer(circumference ~ SSlogis(age, Asym, xmid, scal) ~ Asym | Tree, orange, start = c(Asym = 200, xmid = 725, scal = 350)))
cat(sprintf("lme4 nlmer orange (n = %d): %.3f s, deviance %.6f\n", nrow(orange), r$s, deviance(r$out)))
r <- timed(function() nlmer(conc ~ SSfol(Dose, Time, lKe, lKa, lCl) ~ (lKe + lKa + lCl | Subject), theoph, start = c(lKe = -2.5, lKa = 0.5, lCl = -3)))
cat(sprintf("lme4 nlmer theoph (n = %d): %.3f s, deviance %.6f\n", nrow(theoph), r$s, deviance(r$out)))
