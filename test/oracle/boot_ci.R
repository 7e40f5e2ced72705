#!/usr/bin/env Rscript
# boot::boot.ci's interval constructions (norm, basic, perc, bca) on fixed sets of bootstrap
# replicates: the reference for src/inference/bootCi.ts (issue 11).
# Usage (from the repository root): Rscript test/oracle/boot_ci.R
# Writes test/fixtures/inference/boot_ci.json: for each case the estimate t0, the replicates t (with
# null for a failed refit), the jackknife values tj (the statistic without each of m groups) and
# boot.ci's intervals at each level. BCa's influence values are the jackknife's,
# L = (m - 1) (mean(tj) - tj) (boot's empinf(type = "jack") formula), passed to boot.ci as L.
# Needs: boot (a recommended package, installed with R) and jsonlite.
suppressMessages({ library(boot); library(jsonlite) })
set.seed(20261204)

# a boot object whose t and t0 are then replaced by the case's (boot.ci reads t, t0, R from it)
shell <- function(t0, t) {
  b <- boot(data = rnorm(10), statistic = function(d) mean(d), R = length(t), sim = "parametric",
            ran.gen = function(d, mle) rnorm(length(d)), mle = 0)
  b$t0 <- t0
  b$t <- matrix(t, ncol = 1)
  b
}

mkcase <- function(name, t0, t, tj, levels = c(0.95, 0.9)) {
  bo <- shell(t0, t)
  L <- (length(tj) - 1) * (mean(tj) - tj)
  iv <- lapply(levels, function(conf) {
    ci <- suppressWarnings(boot.ci(bo, conf = conf, type = c("norm", "basic", "perc", "bca"), L = L))
    list(level = conf,
         norm = as.numeric(ci$normal[1, 2:3]), basic = as.numeric(ci$basic[1, 4:5]),
         perc = as.numeric(ci$percent[1, 4:5]), bca = as.numeric(ci$bca[1, 4:5]))
  })
  list(name = name, t0 = t0, t = lapply(t, function(v) if (is.finite(v)) v else NULL), tj = tj, intervals = iv)
}

cases <- list(
  # a right-skewed statistic (a variance component's SD), R = 999: (R + 1) alpha is a whole number
  mkcase("skewed_999", 0.5, 0.5 * sqrt(rchisq(999, df = 12) / 12) * 0.97, 0.5 + 0.04 * (rchisq(40, 3) - 3) / sqrt(6)),
  # R = 500: interpolated order statistics; left skew in the jackknife (negative acceleration)
  mkcase("normal_500", 2.0, rnorm(500, 2.03, 0.2), 2 - 0.02 * (rchisq(25, 2) - 2) / 2),
  # failed refits (NA) left out; the estimate off the replicates' median (bias correction w != 0)
  mkcase("with_na_300", 1.0, replace(exp(rnorm(300, 0.1, 0.3)), c(5, 77, 290), NA), exp(rnorm(30, 0, 0.05))),
  # a correlation near its bound
  mkcase("bounded_400", 0.85, tanh(atanh(0.85) + rnorm(400, -0.05, 0.25)), tanh(atanh(0.85) + rnorm(18, 0, 0.06)))
)
writeLines(toJSON(list(boot = as.character(packageVersion("boot")), R = R.version.string, cases = cases),
                  auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           "test/fixtures/inference/boot_ci.json")
