#!/usr/bin/env Rscript
# A Poisson glmer fit whose only variance parameter lme4 estimates at 0, for test/caic.test.ts: cAIC4 1.0
# stops on it (deleteZeroComponents returns lm(nobars(formula)), and biasCorrectionPoisson then reads
# zeroLessModel@resp: 'trying to get slot "resp" from an object (class "lm") that is not an S4 object').
# Usage (from the repository root): Rscript test/oracle/caic_poisson_zero.R test/fixtures/data/caic_poisson_zero.csv
suppressMessages(library(cAIC4))
out <- commandArgs(trailingOnly = TRUE)[1]
set.seed(4); n <- 200; d <- data.frame(x = round(runif(n), 3), g = factor(rep(1:20, 10)))
d$y <- rpois(n, exp(0.5 + 0.3 * d$x))
write.csv(d, out, row.names = FALSE)
m <- glmer(y ~ x + (1 | g), family = poisson, data = d); print(getME(m, "theta"))
print(try(cAIC(m)))
