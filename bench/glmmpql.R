# MASS 7.3-58.2's glmmPQL on simulated binomial data of n rows and G groups (a covariate x, a 2-level
# factor f, a random intercept of SD 1), written to /tmp/glmmpql-bench-N-G.csv for bench/glmmpql.ts to fit
# the same rows; prints glmmPQL's time (best of 3) and estimates.
#   Rscript bench/glmmpql.R N G
suppressPackageStartupMessages({ library(MASS); library(nlme) })
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(args[1]); G <- as.integer(args[2])
set.seed(20261207)
g <- factor(sprintf("g%05d", sample.int(G, n, replace = TRUE)))
x <- rnorm(n); f <- factor(sample(c("a", "b"), n, replace = TRUE))
eta <- -0.3 + 0.5 * x + 0.8 * (f == "b") + rnorm(G)[g]
d <- data.frame(y = rbinom(n, 1, plogis(eta)), x = round(x, 6), f = f, g = g)
write.csv(d, sprintf("/tmp/glmmpql-bench-%d-%d.csv", n, G), row.names = FALSE, quote = FALSE)
d <- read.csv(sprintf("/tmp/glmmpql-bench-%d-%d.csv", n, G)); d$g <- factor(d$g); d$f <- factor(d$f)
best <- Inf
for (r in 1:3) {
  t <- system.time(fit <- glmmPQL(y ~ x + f, random = ~ 1 | g, family = binomial, data = d, verbose = FALSE))
  best <- min(best, t[["elapsed"]])
}
cat(sprintf("MASS glmmPQL n=%d G=%d: %.2f s (best of 3), sigma %.7f, fixef %s\n", n, G, best, fit$sigma, paste(sprintf("%.7f", fixef(fit)), collapse = " ")))
