#!/usr/bin/env Rscript
# cAIC4 1.0's cAIC on a larger simulated lmer fit (2000 rows, a random slope on an 80-level factor and a
# crossed 25-level factor: q = 185), for test/caic.test.ts: cAIC4 forms n × n matrices, ours does not.
# Writes the data (test/fixtures/data/caic_sim.csv) and the reference (test/fixtures/caic/caic_sim.json).
# Usage (from the repository root): Rscript test/oracle/caic_sim.R test/fixtures/data test/fixtures/caic/caic_sim.json
suppressMessages({ library(cAIC4); library(lme4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
set.seed(20261207)
n <- 2000
g <- sprintf("g%02d", sample(80, n, replace = TRUE)); h <- sprintf("h%02d", sample(25, n, replace = TRUE))
x <- round(runif(n, -1, 1), 3)
bg <- rnorm(80, sd = 1); sg <- rnorm(80, sd = 0.5); bh <- rnorm(25, sd = 0.7)
gi <- as.integer(substr(g, 2, 3)); hi <- as.integer(substr(h, 2, 3))
y <- round(1 + 0.5 * x + bg[gi] + sg[gi] * x + bh[hi] + rnorm(n), 4)
d <- data.frame(y = y, x = x, g = g, h = h, stringsAsFactors = TRUE)
write.csv(d, file.path(args[1], "caic_sim.csv"), row.names = FALSE)
d <- read.csv(file.path(args[1], "caic_sim.csv"), stringsAsFactors = TRUE)
tightL <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))
out <- list()
for (REML in c(TRUE, FALSE)) {
  m <- lmer(y ~ x + (1 + x | g) + (1 | h), data = d, REML = REML, control = tightL)
  t0 <- proc.time()[["elapsed"]]
  r <- cAIC(m)
  out[[if (REML) "reml" else "ml"]] <- list(REML = REML, theta = unname(getME(m, "theta")), loglikelihood = r$loglikelihood,
    df = r$df, caic = r$caic, seconds = proc.time()[["elapsed"]] - t0)
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), args[2])
