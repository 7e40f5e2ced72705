#!/usr/bin/env Rscript
# metafor's time on a bench/meta.ts data set, one JSON line on stdout.
# Usage: Rscript bench/metafor.R data.csv regression|threelevel [REML|ML|DL]
#   regression: rma(yi, vi, mods = ~ x1 + x2 + x3, method)
#   threelevel: rma.mv(yi, vi, mods = ~ x, random = ~ 1 | district/school, method, sparse = TRUE)
# metafor's default controls (its default stopping rules), as a user runs it.
suppressMessages({ library(metafor); library(jsonlite) })
a <- commandArgs(trailingOnly = TRUE)
method <- if (length(a) >= 3) a[3] else "REML"
t0 <- proc.time()[["elapsed"]]
d <- read.csv(a[1])
tr <- proc.time()[["elapsed"]] - t0
t1 <- proc.time()[["elapsed"]]
if (a[2] == "regression") {
  r <- rma(yi, vi, mods = ~ x1 + x2 + x3, data = d, method = method)
  comp <- list(tau2 = r$tau2)
} else {
  d$district <- factor(d$district); d$school <- factor(d$school)
  r <- rma.mv(yi, vi, mods = ~ x, random = ~ 1 | district/school, data = d, method = method, sparse = TRUE)
  comp <- list(sigma2 = r$sigma2)
}
tf <- proc.time()[["elapsed"]] - t1
vm <- tryCatch({ s <- readLines("/proc/self/status"); as.numeric(sub("[^0-9]*([0-9]+).*", "\\1", s[grep("^VmHWM", s)])) / 1024 }, error = function(e) NA)
cat(toJSON(c(list(k = r$k, read_s = tr, fit_s = tf, beta = as.numeric(r$beta), se = as.numeric(r$se),
                  loglik = as.numeric(logLik(r)), peak_rss_mib = vm, metafor = as.character(packageVersion("metafor"))), comp),
           auto_unbox = TRUE, digits = NA), "\n")
