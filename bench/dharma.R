#!/usr/bin/env Rscript
# The R side of bench/dharma.ts: DHARMa 0.5.0's simulateResiduals work on a Poisson glmer and an lmer
# fit (lme4 1.1-31) of seeded data of the same shape (n rows, G groups, y ~ x + (1 | g)): DHARMa is not
# installed here, so its code is sourced from the git mirror (as test/oracle/dharma.R) and timed as
# simulateResiduals runs it: getSimulations (lme4's simulate with re.form = NULL, as a matrix), getQuantile
# (method "PIT"), then testUniformity, testDispersion, testZeroInflation and testOutliers.
# Usage: Rscript bench/dharma.R [n] [groups] [nsim] [mirror]
suppressMessages(library(lme4))
a <- commandArgs(trailingOnly = TRUE)
n <- if (length(a) >= 1) as.integer(a[1]) else 10000L
G <- if (length(a) >= 2) as.integer(a[2]) else 200L
nsim <- if (length(a) >= 3) as.integer(a[3]) else 250L
mirror <- if (length(a) >= 4) a[4] else "/work/.mirror/florianhartig+DHARMa/repo"
dh <- new.env()
for (f in c("helper.R", "DHARMa.R", "random.R", "tests.R")) {
  path <- tempfile(fileext = ".R")
  system2("git", c("-C", mirror, "show", paste0("746f969c743b410aac83ec7cddfa4365fad4c977:DHARMa/R/", f)), stdout = path)
  sys.source(path, envir = dh)
}
set.seed(20261206)
g <- factor(paste0("g", (seq_len(n) - 1) %% G))
x <- rnorm(n)
b <- rnorm(G, 0, 0.5)[as.integer(g)]
d <- data.frame(y = rpois(n, exp(0.5 + 0.4 * x + b)), z = 1 + 0.5 * x + b + rnorm(n), x = x, g = g)
for (which in c("glmer poisson", "lmer")) {
  fit <- if (which == "lmer") lmer(z ~ x + (1 | g), d) else glmer(y ~ x + (1 | g), d, family = poisson)
  t0 <- proc.time()[["elapsed"]]
  sims <- data.matrix(simulate(fit, nsim = nsim, re.form = NULL))
  obs <- model.frame(fit)[, 1]
  set.seed(123)
  res <- dh$createDHARMa(sims, obs, predict(fit, type = "response", re.form = ~0), integerResponse = which != "lmer")
  t1 <- proc.time()[["elapsed"]]
  u <- dh$testUniformity(res, plot = FALSE); disp <- dh$testDispersion(res, plot = FALSE)
  zi <- dh$testZeroInflation(res, plot = FALSE); out <- suppressMessages(dh$testOutliers(res, plot = FALSE))
  t2 <- proc.time()[["elapsed"]]
  cat(sprintf("%s: n = %d, G = %d, nsim = %d: simulations + residuals %.2f s, the four tests %.2f s (%s)\n", which, n, G, nsim, t1 - t0, t2 - t1, out$method))
}
