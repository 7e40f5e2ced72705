# RLRsim's exactRLRT on the design of bench/rlrt.ts (drawn in R the same way: the numbers differ, not the sizes):
# y ~ x + (1 | g), n rows, G groups, nsim 10,000; seconds after the fit.
#   Rscript bench/rlrt.R [n] [groups]
suppressMessages({ library(lme4); library(RLRsim) })
a <- commandArgs(TRUE)
n <- if (length(a) > 0) as.integer(a[1]) else 20000L
G <- if (length(a) > 1) as.integer(a[2]) else 500L
set.seed(20261206)
g <- factor(paste0("g", (seq_len(n) - 1) %% G))
b <- 0.2 * rnorm(G)
x <- rnorm(n)
y <- 1 + 0.5 * x + b[as.integer(g)] + rnorm(n)
m <- lmer(y ~ x + (1 | g))
t <- system.time(r <- exactRLRT(m, nsim = 10000))
cat(sprintf("n %d, K %d: RLRT %.4f, p %g; exactRLRT %.2f s\n", n, G, r$statistic, r$p.value, t[["elapsed"]]))
