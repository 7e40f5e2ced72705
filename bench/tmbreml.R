#!/usr/bin/env Rscript
# glmmTMB 1.1.5's time on the cases of test/oracle/tmbreml.R (bench/tmbreml.ts), by ML and by REML: the median
# of 3 fits each (TMB's compilation is done once, at install).
#   Rscript bench/tmbreml.R
suppressPackageStartupMessages({ library(glmmTMB); library(jsonlite) })
rd <- function(n) read.csv(file.path("test/fixtures/data", paste0(n, ".csv")), stringsAsFactors = TRUE)
data <- list(sleepstudy = rd("sleepstudy"), tmbfamilies = rd("tmbfamilies"), tmbfamilies2 = rd("tmbfamilies2"), salamanders = rd("salamanders"))
fam_of <- function(f) switch(f, gaussian = gaussian(), beta_family = beta_family(), tweedie = tweedie(link = "log"), poisson = poisson(), nbinom2 = nbinom2())
for (name in c("sleepstudy_lmm", "gaussian_disp_f", "beta_x", "tweedie_x", "zip_mined", "nb2_mined", "zip_zire")) {
  ref <- fromJSON(file.path("test/fixtures/tmbreml", paste0(name, ".json")))
  d <- data[[ref$data]]
  if (ref$data == "sleepstudy") d$Subject <- factor(d$Subject)
  tm <- sapply(c(FALSE, TRUE), function(reml) median(replicate(3, system.time(glmmTMB(as.formula(ref$formula), ziformula = as.formula(ref$ziformula),
    dispformula = as.formula(ref$dispformula), family = fam_of(ref$family), data = d, REML = reml))[["elapsed"]])))
  cat(sprintf("glmmTMB %s: ML %.2f s, REML %.2f s (median of 3)\n", name, tm[1], tm[2]))
}
