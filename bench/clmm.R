# Cumulative link mixed model: ordinal 2022.11-16's clmm on simulated data of n rows and G groups
# (y in 5 categories from a logistic latent variable, a covariate x, a 2-level factor f, (1 | g)),
# written to /tmp/clmm-bench-N-G.csv for bench/clmm.ts to fit the same rows; prints clmm's time.
#   Rscript bench/clmm.R N G [nAGQ]
suppressPackageStartupMessages(library(ordinal))
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(args[1]); G <- as.integer(args[2]); nAGQ <- if (length(args) > 2) as.integer(args[3]) else 1L
set.seed(20261206)
g <- factor(sample.int(G, n, replace = TRUE))
x <- rnorm(n); f <- factor(sample(c("a", "b"), n, replace = TRUE))
latent <- 0.5 * x + 0.8 * (f == "b") + rnorm(G, sd = 1)[g] + rlogis(n)
y <- cut(latent, c(-Inf, -1.5, -0.2, 0.8, 2, Inf), labels = FALSE)
d <- data.frame(y = y, x = x, f = f, g = g)
file <- sprintf("/tmp/clmm-bench-%d-%d.csv", n, G)
write.csv(d, file, row.names = FALSE, quote = FALSE)
d$y <- factor(d$y, ordered = TRUE)
t <- system.time(fit <- clmm(y ~ x + f + (1 | g), data = d, nAGQ = nAGQ))
cat(sprintf("clmm n=%d G=%d nAGQ=%d: %.2f s, logLik %.6f\n", n, G, nAGQ, t[["elapsed"]], fit$logLik))
