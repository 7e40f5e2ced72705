#!/usr/bin/env Rscript
# lme4 on bench/glmmLinks.ts's data: time and -2 logLik of glmer (probit, cloglog), glmer with a
# negative.binomial(1.5) family and glmer.nb, one fit each (lme4's defaults).
#   npx vite-node bench/glmmLinks.ts 20000 400 probit 20k.csv && Rscript bench/glmmLinks.R 20k.csv
suppressMessages({ library(lme4); library(MASS) })
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); d$g <- factor(d$g)
models <- if (length(args) > 1) strsplit(args[2], ",")[[1]] else c("probit", "cloglog", "nb", "nbfixed")
for (m in models) {
  t <- system.time(fit <- switch(m,
    probit = glmer(yp ~ x + z + (x | g), d, family = binomial("probit")),
    cloglog = glmer(yc ~ x + z + (x | g), d, family = binomial("cloglog")),
    nb = glmer.nb(yn ~ x + z + (x | g), d),
    nbfixed = glmer(yn ~ x + z + (x | g), d, family = negative.binomial(1.5))))[["elapsed"]]
  cat(sprintf("%s: %.2f s, -2logLik %.9f\n", m, t, -2 * as.numeric(logLik(fit))))
}
