#!/usr/bin/env Rscript
# glmmTMB 1.1.5's time on the cases of test/oracle/tmbfamilies.R (bench/tmbfamilies.ts): the median of 5
# fits each (TMB's compilation is done once, at install).
#   Rscript bench/tmbfamilies.R
suppressPackageStartupMessages({ library(glmmTMB); library(jsonlite) })
data <- list(salamanders = read.csv("test/fixtures/data/salamanders.csv", stringsAsFactors = TRUE),
             tmbfamilies = read.csv("test/fixtures/data/tmbfamilies.csv", stringsAsFactors = TRUE))
fam_of <- function(name) switch(name, nbinom1 = nbinom1(), nbinom2 = nbinom2(), truncated_nbinom1 = truncated_nbinom1(), beta_family = beta_family(), gaussian = gaussian())
for (name in c("zinb1_mined", "hurdle_nb1_cover", "zinb2_disp_mined", "beta_x", "beta_disp_f", "gaussian_disp_f")) {
  ref <- fromJSON(file.path("test/fixtures/tmbfamilies", paste0(name, ".json")))
  t <- replicate(5, system.time(glmmTMB(as.formula(ref$formula), ziformula = as.formula(ref$ziformula), dispformula = as.formula(ref$dispformula),
    family = fam_of(ref$family), data = data[[ref$data]]))[["elapsed"]])
  cat(sprintf("glmmTMB %s: %.2f s (median of 5)\n", name, median(t)))
}
