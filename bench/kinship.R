#!/usr/bin/env Rscript
# lme4 on bench/kinship.ts's kinship model, as pedigreemm and lme4qtl fit it: lFormula →
# reTrms$Zt ← t(L) %*% Zt (K = L L') → mkLmerDevfun → optimizeLmer (lme4's defaults) → mkMerMod.
# Usage: Rscript bench/kinship.R data.csv K.bin ids.txt   (K: levels² doubles, row-major, native endian)
# Prints one line: KINSHIP_RESULT {json} with the fit's time (lFormula to mkMerMod, K's Cholesky
# included), evaluations, REML criterion, θ and the process's peak RSS (VmHWM).
suppressMessages({ library(lme4); library(jsonlite) })
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1], stringsAsFactors = TRUE)
ids <- readLines(a[3])
N <- length(ids)
K <- matrix(readBin(a[2], "double", N * N), N, N, byrow = TRUE, dimnames = list(ids, ids))
t0 <- proc.time()[["elapsed"]]
lf <- lFormula(y ~ x + (1 | id), data = d, control = lmerControl(check.nobs.vs.nlev = "ignore", check.nobs.vs.nRE = "ignore"))
lev <- levels(lf$reTrms$flist$id)
L <- t(chol(K[lev, lev]))
lf$reTrms$Zt <- as(t(L) %*% lf$reTrms$Zt, "CsparseMatrix")
devfun <- do.call(mkLmerDevfun, lf)
opt <- optimizeLmer(devfun)
m <- mkMerMod(environment(devfun), opt, lf$reTrms, fr = lf$fr)
time_s <- proc.time()[["elapsed"]] - t0
st <- readLines("/proc/self/status")
hwm <- as.numeric(sub("[^0-9]*([0-9]+).*", "\\1", st[grepl("^VmHWM", st)])) / 1024
cat("KINSHIP_RESULT ", toJSON(list(time_s = time_s, feval = opt$feval, criterion = opt$fval, theta = as.numeric(getME(m, "theta")),
                                  lme4 = as.character(packageVersion("lme4")), peak_rss_mib = hwm), auto_unbox = TRUE, digits = NA), "\n", sep = "")
