#!/usr/bin/env Rscript
# performance 0.10.2's check_overdispersion and check_zeroinflation on glmmTMB 1.1.5's zero-inflated and
# hurdle fits (test/zeroinflChecks.test.ts, src/zeroinfl/pearson.ts). Data test/fixtures/data/salamanders.csv.
# For each case: glmmTMB's parameters fit$fit$par (the values are at those parameters: the tests build
# our fit at the same point), residuals(fit, type = "pearson") (glmmTMB's: (y − E y)/√V with V the
# family's variance at the conditional mean, zero-inflated as V(1 − p) + μ²p(1 − p)), df.residual,
# check_overdispersion's statistic, ratio, p-value and print, check_zeroinflation's counts, ratio and
# print, insight::model_info's is_negbin, and predict(type = "disp").
# Usage (from the repository root): Rscript test/oracle/zeroinfl_performance.R
suppressPackageStartupMessages({ library(glmmTMB); library(performance); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
d <- read.csv(file.path(root, "test/fixtures/data/salamanders.csv"), stringsAsFactors = TRUE)
cases <- list(
  list(name = "zip_mined", formula = "count ~ mined + (1 | site)", zi = "~ mined", family = "poisson"),
  list(name = "zinb_mined", formula = "count ~ mined + (1 | site)", zi = "~ mined", family = "nbinom2"),
  list(name = "hurdle_nb_mined", formula = "count ~ mined + (1 | site)", zi = "~ mined", family = "truncated_nbinom2"),
  list(name = "hurdle_pois_cover", formula = "count ~ mined + cover + (1 | site)", zi = "~ mined", family = "truncated_poisson"),
  list(name = "nb_nozi", formula = "count ~ mined + (1 | site)", zi = "~ 0", family = "nbinom2")
)
fam_of <- function(name) switch(name, poisson = poisson(), nbinom2 = nbinom2(), truncated_nbinom2 = truncated_nbinom2(), truncated_poisson = truncated_poisson())
out <- list()
for (cs in cases) {
  fit <- glmmTMB(as.formula(cs$formula), ziformula = as.formula(cs$zi), family = fam_of(cs$family), data = d)
  od <- check_overdispersion(fit)
  zi <- check_zeroinflation(fit)
  out[[cs$name]] <- list(
    name = cs$name, formula = cs$formula, ziformula = cs$zi, family = cs$family, par = unname(fit$fit$par),
    pearson = unname(residuals(fit, type = "pearson")), df_residual = df.residual(fit),
    disp = unname(predict(fit, type = "disp"))[1:3], is_negbin = insight::model_info(fit)$is_negbin,
    overdispersion = list(chisq = od$chisq_statistic, ratio = od$dispersion_ratio, rdf = od$residual_df, p = od$p_value,
                          print = capture.output(print(od)), message = capture.output(print(od), type = "message")),
    zeroinflation = list(predicted = zi$predicted.zeros, observed = zi$observed.zeros, ratio = zi$ratio, tolerance = zi$tolerance,
                         print = capture.output(print(zi)), message = capture.output(print(zi), type = "message")))
}
out$source <- list(packages = paste("performance", packageVersion("performance"), "glmmTMB", packageVersion("glmmTMB")), R = R.version.string)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(root, "test/fixtures/zeroinfl/performance.json"))
