#!/usr/bin/env Rscript
# A Gamma(log) GLMM for the README's timing (bench/gamma.ts runs ours on the same CSV), lme4 1.1-31:
# 50,000 rows, 500 groups, y ~ x + (x | g). Writes the CSV, times glmer, and evaluates the exact
# Laplace deviance (test/oracle/exact_laplace.R: lme4's deviance function with PIRLS settled) at
# glmer's optimum and, when given, at ours (theta..., beta... as further arguments).
#   Rscript bench/gamma.R /tmp/bench_gamma.csv [theta1 theta2 theta3 beta1 beta2]
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
source(file.path(here, "..", "test", "oracle", "exact_laplace.R"))
a <- commandArgs(trailingOnly = TRUE)
csv <- if (length(a) >= 1) a[1] else "/tmp/bench_gamma.csv"
set.seed(7)
ng <- 500; per <- 100; n <- ng * per
g <- rep(1:ng, each = per); x <- rnorm(n)
b0 <- rnorm(ng, 0, 0.4); b1 <- rnorm(ng, 0, 0.2)
y <- rgamma(n, shape = 3, scale = exp(0.5 + 0.3 * x + b0[g] + b1[g] * x) / 3)
write.csv(data.frame(y = signif(y, 8), x = round(x, 5), g = g), csv, row.names = FALSE)
d <- read.csv(csv); d$g <- factor(d$g)
fo <- y ~ x + (x | g); fam <- Gamma(link = "log")
t <- system.time(m <- glmer(fo, data = d, family = fam))
gf <- glFormula(fo, data = d, family = fam)
dev0 <- do.call(mkGlmerDevfun, c(gf, list(nAGQ = 0L, control = glmerControl(tolPwrss = 1e-12))))
o1 <- optimizeGlmer(dev0, stage = 1)
exact <- exact_devfun(updateGlmerDevfun(dev0, gf$reTrms, nAGQ = 1L), 1L)
cat("glmer", t[["elapsed"]], "s; reported -2logL", format(-2 * as.numeric(logLik(m)), digits = 13),
    "; exact at glmer's optimum", format(exact(c(getME(m, "theta"), fixef(m))), digits = 13), "\n")
if (length(a) > 1) cat("exact at the given point", format(exact(as.numeric(a[-1])), digits = 13), "\n")
