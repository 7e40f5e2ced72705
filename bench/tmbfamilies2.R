#!/usr/bin/env Rscript
# glmmTMB 1.1.5's time on the cases of test/oracle/tmbfamilies2.R (bench/tmbfamilies2.ts): the median of 5
# fits each (TMB's compilation is done once, at install).
#   Rscript bench/tmbfamilies2.R
suppressPackageStartupMessages({ library(glmmTMB); library(jsonlite) })
cbpp <- read.csv("test/fixtures/data/cbpp.csv", stringsAsFactors = TRUE)
cbpp$herd <- factor(cbpp$herd); cbpp$period <- factor(cbpp$period)
data <- list(salamanders = read.csv("test/fixtures/data/salamanders.csv", stringsAsFactors = TRUE),
             tmbfamilies2 = read.csv("test/fixtures/data/tmbfamilies2.csv", stringsAsFactors = TRUE), cbpp = cbpp)
fam_of <- function(name) switch(name, binomial = binomial(), betabinomial = betabinomial(), Gamma = Gamma(link = "log"),
  tweedie = tweedie(link = "log"), genpois = genpois(), truncated_genpois = truncated_genpois())
for (name in c("zibinom_x", "betabinom_cbpp", "gamma_disp_f", "tweedie_x", "genpois_mined", "hurdle_genpois_mined")) {
  ref <- fromJSON(file.path("test/fixtures/tmbfamilies2", paste0(name, ".json")))
  t <- replicate(5, system.time(glmmTMB(as.formula(ref$formula), ziformula = as.formula(ref$ziformula), dispformula = as.formula(ref$dispformula),
    family = fam_of(ref$family), data = data[[ref$data]]))[["elapsed"]])
  cat(sprintf("glmmTMB %s: %.2f s (median of 5)\n", name, median(t)))
}
