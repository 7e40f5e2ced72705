#!/usr/bin/env Rscript
# nlme 3.1-162's intervals() on the two ridges of test/nlme.test.ts and test/nlme4.test.ts: Orthodont's
# lme with a random intercept and corCompSymm (ortho_cs), or corSymm (ortho_symm), in the same groups,
# where only σ_b² + σ² and σ_b² + ρσ² (σ_b² + ρ_jk σ²) are identified, so that the Hessian of the
# log-likelihood in the variance parameters is singular. Per fit (nlme's default control, and the
# tight one of test/oracle/nlme_common.R): intervals()'s error message, or null where it gives
# intervals; and the eigenvalues of nlme's approximate variance-covariance apVar (its fdHess Hessian's
# inverse, on nlme's natural scale), or apVar's message where nlme has none.
# Usage (from the repository root):
#   Rscript test/oracle/nlme5.R test/fixtures/data test/fixtures/nlme
# Needs: nlme 3.1-162, jsonlite.
suppressMessages({ library(nlme); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
stopifnot(packageVersion("nlme") == "3.1.162")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "nlme_common.R"))

orth <- read.csv(file.path(dataDir, "Orthodont.csv"), stringsAsFactors = FALSE)
orth$Subject <- factor(orth$Subject); orth$Sex <- factor(orth$Sex)

ridgeRecord <- function(f) {
  iv <- tryCatch(intervals(f), error = function(e) conditionMessage(e))
  ap <- f$apVar
  list(logLik = as.numeric(logLik(f)),
       intervalsError = if (is.character(iv)) iv else NULL,
       intervals = if (is.character(iv)) NULL else intervalsList(iv),
       apVarError = if (is.character(ap)) ap else NULL,
       apVarEigen = if (is.character(ap)) NULL else eigen(ap, symmetric = TRUE, only.values = TRUE)$values)
}
ridgeCase <- function(name, correlation) {
  f <- lme(distance ~ age + Sex, data = orth, random = ~ 1 | Subject, correlation = correlation)
  ft <- lme(distance ~ age + Sex, data = orth, random = ~ 1 | Subject, correlation = correlation, control = tight)
  list(name = name, default = ridgeRecord(f), tight = ridgeRecord(ft))
}
res <- list(ridgeCase("ortho_cs", corCompSymm(form = ~ 1 | Subject)), ridgeCase("ortho_symm", corSymm(form = ~ 1 | Subject)))
write(toJSON(res, auto_unbox = TRUE, digits = NA, null = "null"), file.path(out, "ridge_intervals.json"))
cat("done\n")
