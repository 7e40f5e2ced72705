#!/usr/bin/env Rscript
# DHARMa 0.5.0's own code (not installed here: its sources are taken from the git mirror of
# florianhartig/DHARMa, commit 746f969c743b410aac83ec7cddfa4365fad4c977, DHARMa/R/{helper,DHARMa,random,tests,simulateResiduals}.R,
# extracted to a temporary folder with `git show` and sourced into one environment) applied to OUR
# simulations: for each test/fixtures/dharma/<name>.json written by test/oracle/exportDharmaSimulations.ts,
#   createDHARMa(simulated, observed, fitted, integerResponse) with R's runif replaced in that environment
#   by our uniforms (min + (max − min) U_i: the randomized PIT's draws), so that getQuantile's residuals are
#   DHARMa's given our draws; its lower and upper PIT bounds (rowMeans(sims < y), rowMeans(sims <= y), the
#   two lines of getQuantile); then testUniformity, testDispersion, testZeroInflation (each alternative),
#   testOutliers (binomial: each margin and alternative; bootstrap for integer responses, with R's sample
#   replaced by our resamples, each margin); recalculateResiduals by the case's group (the same runif).
# Writes test/fixtures/dharma/dharma.json.
# Usage (from the repository root; needs the mirror): Rscript test/oracle/dharma.R [MIRROR]
#   MIRROR defaults to /work/.mirror/florianhartig+DHARMa/repo (a bare git repository).
suppressMessages(library(jsonlite))
args <- commandArgs(trailingOnly = TRUE)
mirror <- if (length(args)) args[1] else "/work/.mirror/florianhartig+DHARMa/repo"
commit <- "746f969c743b410aac83ec7cddfa4365fad4c977"
src <- tempfile("dharma"); dir.create(src)
dh <- new.env()
for (f in c("helper.R", "DHARMa.R", "random.R", "tests.R", "simulateResiduals.R")) {
  path <- file.path(src, f)
  status <- system2("git", c("-C", mirror, "show", paste0(commit, ":DHARMa/R/", f)), stdout = path)
  if (status != 0) stop("git show failed for ", f)
  sys.source(path, envir = dh)
}
dir <- "test/fixtures/dharma"
cases <- c("cbpp", "overdispersed", "zip", "sleepstudy", "dyestuff_unconditional", "zip_zeroinfl", "salamanders_hurdle_nb")
quiet <- function(expr) suppressMessages(suppressWarnings(expr))
htest <- function(t) list(statistic = unname(t$statistic), p_value = t$p.value, method = t$method,
                          parameter = if (is.null(t$parameter)) NULL else unname(t$parameter),
                          estimate = if (is.null(t$estimate)) NULL else unname(t$estimate),
                          estimate_name = if (is.null(t$estimate)) NULL else names(t$estimate),
                          conf_int = if (is.null(t$conf.int)) NULL else as.numeric(t$conf.int))
out <- list()
for (name in cases) {
  d <- fromJSON(file.path(dir, paste0(name, ".json")), simplifyVector = TRUE)
  sims <- t(d$simulated)            # nObs x nSim, as DHARMa keeps them
  obs <- d$observed
  U <- d$uniforms
  dh$runif <- function(n, min = 0, max = 1) min + (max - min) * U[seq_len(n)]
  simulationOutput <- quiet(dh$createDHARMa(simulatedResponse = sims, observedResponse = obs,
                               fittedPredictedResponse = d$fitted, integerResponse = d$integerResponse))
  r <- list(residuals = simulationOutput$scaledResiduals, rank = dh$rankTransform(d$fitted),
            lower = unname(rowMeans(sims < obs)), upper = unname(rowMeans(sims <= obs)))
  for (alt in c("two.sided", "less", "greater")) {
    r[[paste0("uniformity_", alt)]] <- htest(dh$testUniformity(simulationOutput, alternative = alt, plot = FALSE))
    r[[paste0("uniformity_", alt)]]$exact <- dh$testUniformity(simulationOutput, alternative = alt, plot = FALSE)$exact
  }
  for (alt in c("two.sided", "greater", "less")) {
    r[[paste0("dispersion_", alt)]] <- htest(dh$testDispersion(simulationOutput, alternative = alt, plot = FALSE))
    r[[paste0("zeroinflation_", alt)]] <- htest(dh$testZeroInflation(simulationOutput, alternative = alt, plot = FALSE))
    for (margin in c("both", "upper", "lower")) {
      r[[paste0("outliers_binomial_", margin, "_", alt)]] <- htest(quiet(dh$testOutliers(simulationOutput, alternative = alt, margin = margin, type = "binomial", plot = FALSE)))
    }
  }
  if (isTRUE(d$integerResponse)) {
    boot <- d$boot
    for (margin in c("both", "upper", "lower")) {
      k <- 0
      dh$sample <- function(x, size, replace = FALSE) { k <<- k + 1; boot[k, ] }
      r[[paste0("outliers_bootstrap_", margin)]] <- htest(quiet(dh$testOutliers(simulationOutput, margin = margin, type = "bootstrap", plot = FALSE)))
      rm("sample", envir = dh)
    }
  }
  # print.htest's lines of three tests
  r$printed <- list(
    uniformity = capture.output(print(dh$testUniformity(simulationOutput, plot = FALSE))),
    dispersion = capture.output(print(dh$testDispersion(simulationOutput, plot = FALSE))),
    outliers = capture.output(print(quiet(dh$testOutliers(simulationOutput, type = "binomial", plot = FALSE)))),
    dharma = capture.output(dh$print.DHARMa(simulationOutput)))
  if (!is.null(d$group)) {
    g <- d$group
    rec <- quiet(dh$recalculateResiduals(simulationOutput, group = g))
    r$recalculated <- list(levels = levels(as.factor(g)), observed = rec$observedResponse, fitted = rec$fittedPredictedResponse,
                           residuals = rec$scaledResiduals,
                           uniformity = htest(dh$testUniformity(rec, plot = FALSE)),
                           dispersion = htest(dh$testDispersion(rec, plot = FALSE)),
                           printed = capture.output(dh$print.DHARMa(rec)))
  }
  out[[name]] <- r
}
out$source <- list(package = "DHARMa 0.5.0", commit = commit, R = R.version.string)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, null = "null"), file.path(dir, "dharma.json"))
