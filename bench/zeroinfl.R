# Zero-inflated count GLMMs: glmmTMB 1.1.5 on simulated data of n rows and G groups (zero-inflated
# Poisson: log mu = 0.8 + 0.5 x + b_g, b ~ N(0, 0.5^2), p = 0.3 structural zeros), written to
# /tmp/zeroinfl-bench-N-G.csv for bench/zeroinfl.ts to fit the same rows; prints glmmTMB's time.
#   Rscript bench/zeroinfl.R N G FAMILY      (FAMILY: poisson, nbinom2, truncated_poisson, truncated_nbinom2)
suppressPackageStartupMessages(library(glmmTMB))
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(args[1]); G <- as.integer(args[2]); family <- if (length(args) > 2) args[3] else "poisson"
set.seed(20261206)
g <- factor(sample.int(G, n, replace = TRUE))
x <- runif(n) - 0.5
mu <- exp(0.8 + 0.5 * x + rnorm(G, sd = 0.5)[g])
y <- ifelse(runif(n) < 0.3, 0, rpois(n, mu))
d <- data.frame(y = y, x = x, g = g)
file <- sprintf("/tmp/zeroinfl-bench-%d-%d.csv", n, G)
write.csv(d, file, row.names = FALSE, quote = FALSE)
fam <- switch(family, poisson = poisson(), nbinom2 = nbinom2(), truncated_poisson = truncated_poisson(), truncated_nbinom2 = truncated_nbinom2())
t <- system.time(fit <- glmmTMB(y ~ x + (1 | g), ziformula = ~ x, family = fam, data = d))
cat(sprintf("glmmTMB n=%d G=%d %s: %.2f s, logLik %.6f\n", n, G, family, t[["elapsed"]], as.numeric(logLik(fit))))
