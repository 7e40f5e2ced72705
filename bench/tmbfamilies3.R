#!/usr/bin/env Rscript
# glmmTMB 1.1.5's time on the cases of test/oracle/tmbfamilies3.R (bench/tmbfamilies3.ts): one fit each
# (each takes tens of seconds: TMB's compois atomics).
#   Rscript bench/tmbfamilies3.R
suppressPackageStartupMessages({ library(glmmTMB); library(jsonlite) })
d <- read.csv("test/fixtures/data/tmbfamilies3.csv", stringsAsFactors = TRUE)
fam_of <- function(name) switch(name, compois = compois(), truncated_compois = truncated_compois())
for (name in c("compois_under", "compois_over", "zicompois", "hurdle_compois", "compois_disp_x")) {
  ref <- fromJSON(file.path("test/fixtures/tmbfamilies3", paste0(name, ".json")))
  t <- system.time(f <- glmmTMB(as.formula(ref$formula), ziformula = as.formula(ref$ziformula), dispformula = as.formula(ref$dispformula),
    family = fam_of(ref$family), data = d))[["elapsed"]]
  cat(sprintf("glmmTMB %s: %.2f s, logLik %.6f\n", name, t, as.numeric(logLik(f))))
}
