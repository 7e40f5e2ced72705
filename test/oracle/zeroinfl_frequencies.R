#!/usr/bin/env Rscript
# The browser app's observed and expected count frequencies of a zero-inflated or hurdle fit
# (demo/src/zeroinfl.ts expectedFrequencies; test/e2e/demo-zeroinfl.test.ts) from glmmTMB 1.1.5's own fit
# of Salamanders (test/fixtures/data/salamanders.csv, as test/oracle/zeroinfl.R reads it):
#   E[#{y = k}] = sum_i P(y_i = k), k = 0 … 30,
#   zero-inflated: P(0) = p + (1 - p) f(0; mu), P(k) = (1 - p) f(k; mu);
#   hurdle:        P(0) = p,                    P(k) = (1 - p) f(k; mu) / (1 - f(0; mu)),
# with p = predict(type = "zprob"), mu = exp(predict(type = "link")) (the conditional model at the
# conditional modes), f dpois or dnbinom(size = sigma(fit), mu); and the observed counts of each k.
# Usage (from the repository root): Rscript test/oracle/zeroinfl_frequencies.R
suppressPackageStartupMessages({ library(glmmTMB); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
d <- read.csv(file.path(root, "test/fixtures/data/salamanders.csv"), stringsAsFactors = TRUE)

cases <- list(
  list(name = "zip_mined", family = "poisson", fam = poisson(), hurdle = FALSE),
  list(name = "zinb_mined", family = "nbinom2", fam = nbinom2(), hurdle = FALSE),
  list(name = "hurdle_nb_mined", family = "truncated_nbinom2", fam = truncated_nbinom2(), hurdle = TRUE)
)
K <- 30
out <- list()
for (cs in cases) {
  fit <- glmmTMB(count ~ mined + (1 | site), ziformula = ~ mined, family = cs$fam, data = d)
  p <- predict(fit, type = "zprob")
  mu <- exp(predict(fit, type = "link"))
  nb <- grepl("nbinom2", cs$family)
  size <- if (nb) sigma(fit) else NA
  f <- function(k) if (nb) dnbinom(k, size = size, mu = mu) else dpois(k, mu)
  expected <- sapply(0:K, function(k) {
    if (cs$hurdle) sum(if (k == 0) p else (1 - p) * f(k) / (1 - f(0)))
    else sum(if (k == 0) p + (1 - p) * f(0) else (1 - p) * f(k))
  })
  observed <- sapply(0:K, function(k) sum(d$count == k))
  out[[cs$name]] <- list(family = cs$family, ziformula = "~ mined", formula = "count ~ mined + (1 | site)",
                         loglik = as.numeric(logLik(fit)), counts = 0:K, observed = observed, expected = expected,
                         above = sum(d$count > K))
}
write(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(root, "test/fixtures/zeroinfl/frequencies.json"))
