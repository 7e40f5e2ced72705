#!/usr/bin/env Rscript
# Two simulated count data sets for DHARMa's tests (test/oracle/dharma.R, test/dharma.test.ts), each fitted
# there as a Poisson glmer y ~ x + (1 | g) that misses part of how the data were made:
#   dharma_overdispersed.csv  negative binomial counts (size 1.5) around exp(0.5 + 0.4 x + b_g): overdispersed
#                             for the Poisson fit, so DHARMa's dispersion test rejects;
#   dharma_zip.csv            zero-inflated Poisson: 0 with probability 0.3, else Poisson(exp(1 + 0.3 x + b_g)):
#                             more zeros than the Poisson fit expects, so the zero-inflation test rejects.
# 30 groups of 8 rows, b_g ~ N(0, 0.5²), x ~ N(0, 1).
# Usage (from the repository root): Rscript test/oracle/dharma_data.R
set.seed(20261206)
G <- 30; m <- 8
g <- rep(sprintf("g%02d", 1:G), each = m)
x <- round(rnorm(G * m), 4)
b <- rnorm(G, 0, 0.5)[as.integer(factor(g))]
y <- rnbinom(G * m, mu = exp(0.5 + 0.4 * x + b), size = 1.5)
write.csv(data.frame(y = y, x = x, g = g), "test/fixtures/data/dharma_overdispersed.csv", row.names = FALSE)
x <- round(rnorm(G * m), 4)
b <- rnorm(G, 0, 0.5)[as.integer(factor(g))]
y <- ifelse(runif(G * m) < 0.3, 0, rpois(G * m, exp(1 + 0.3 * x + b)))
write.csv(data.frame(y = y, x = x, g = g), "test/fixtures/data/dharma_zip.csv", row.names = FALSE)
