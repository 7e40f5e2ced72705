#!/usr/bin/env Rscript
# Random effects in glmmTMB's zero-inflation model, and vector random-effects terms: references from
# glmmTMB 1.1.5 (test/zeroinflRe.test.ts, src/zeroinfl).
#
# Data: glmmTMB's Salamanders (644 rows, 23 sites) with its day of year DOY, water temperature Wtemp
# and days since precipitation DOP (scaled, all vary within site), written to test/fixtures/data/salamanders_doy.csv and read back with read.csv, so that R fits
# the same table as the tests.
#
# For each case: glmmTMB's own fit with its defaults (nlminb on TMB's Laplace objective): fit$fit$par
# (beta, betazi, betad, theta, thetazi: glmmTMB's order), the objective there and at two points about
# it (TMB's Laplace, inner Newton converged), logLik, AIC, BIC, df.resid, the summary's tables,
# vcov(full = TRUE), VarCorr (SDs and correlations, cond and zi), ranef (cond and zi), predictions;
# a tight optimum (Newton steps on TMB's exact gradient with optimHess's Hessian until
# max|gradient| < 1e-9) with its SEs; the summary's printout.
# Usage (from the repository root): Rscript test/oracle/zeroinfl_re.R
suppressPackageStartupMessages({ library(glmmTMB); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
out <- file.path(root, "test/fixtures/zeroinfl_re")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
source(file.path(here, "tmb_common.R"))

csv <- file.path(root, "test/fixtures/data/salamanders_doy.csv")
write.csv(Salamanders[, c("site", "mined", "spp", "DOY", "Wtemp", "DOP", "count")], csv, row.names = FALSE, quote = FALSE)
d <- read.csv(csv, stringsAsFactors = TRUE)

cases <- list(
  list(name = "zip_re", formula = "count ~ mined + (1 | site)", zi = "~ mined + (1 | site)", family = "poisson"),
  list(name = "zinb2_re", formula = "count ~ mined + (1 | site)", zi = "~ spp + (1 | site)", family = "nbinom2"),
  # glmmTMB itself stops with "false convergence (8)" and a non-positive-definite Hessian here: only
  # the objective at its parameters is a reference
  list(name = "zinb2_re_mined", formula = "count ~ mined + (1 | site)", zi = "~ mined + (1 | site)", family = "nbinom2", objective_only = TRUE),
  list(name = "hurdle_pois_re", formula = "count ~ mined + (1 | site)", zi = "~ mined + (1 | site)", family = "truncated_poisson"),
  list(name = "zip_zi_only_re", formula = "count ~ mined + (1 | site)", zi = "~ (1 | spp)", family = "poisson"),
  list(name = "zip_vector", formula = "count ~ mined + (1 + DOY | site)", zi = "~ mined", family = "poisson"),
  list(name = "zip_diag", formula = "count ~ mined + (1 + DOY || site)", zi = "~ mined", family = "poisson"),
  # glmmTMB's fits of these end singular (correlation parameters near -250): the objective at chosen
  # points with distinct correlation parameters checks the parametrization for q = 3, the order of TMB's
  # UNSTRUCTURED_CORR fill (row by row: it differs from column by column from q = 4) and a vector term in
  # the zero model
  list(name = "zip_vector3", formula = "count ~ mined + (1 + DOY + Wtemp | site)", zi = "~ mined", family = "poisson",
       objective_only = TRUE, theta = c(-1.2, -1.4, -1.8, 0.6, -0.4, 0.3)),
  list(name = "zip_vector4", formula = "count ~ mined + (1 + DOY + Wtemp + DOP | site)", zi = "~ mined", family = "poisson",
       objective_only = TRUE, theta = c(-1.2, -1.4, -1.8, -1.6, 0.6, -0.4, 0.3, 0.8, -0.7, 0.2)),
  list(name = "zip_zi_vector", formula = "count ~ mined + (1 | site)", zi = "~ mined + (1 + DOY | site)", family = "poisson",
       objective_only = TRUE, theta = c(-1.5, -0.4, -1.1, 0.5))
)

fam_of <- function(name) switch(name, poisson = poisson(), nbinom2 = nbinom2(), truncated_nbinom2 = truncated_nbinom2(), truncated_poisson = truncated_poisson())

tab <- function(m) if (is.null(m)) NULL else list(rownames = rownames(m), estimate = unname(m[, 1]), se = unname(m[, 2]), z = unname(m[, 3]), p = unname(m[, 4]))
vcl <- function(vc) if (is.null(vc)) NULL else lapply(vc, function(m) list(sd = unname(attr(m, "stddev")), names = names(attr(m, "stddev")), corr = if (is.null(attr(m, "correlation"))) NULL else unname(as.matrix(attr(m, "correlation")))))
rel <- function(r) if (is.null(r)) NULL else lapply(r, function(m) list(levels = rownames(m), columns = colnames(m), values = unname(as.matrix(m))))

for (cs in cases) {
  fit <- suppressWarnings(glmmTMB(as.formula(cs$formula), ziformula = as.formula(cs$zi), family = fam_of(cs$family), data = d))
  if (isTRUE(cs$objective_only)) {
    par <- fit$fit$par
    if (!is.null(cs$theta)) par[names(par) %in% c("theta", "thetazi")] <- cs$theta
    res <- list(name = cs$name, formula = cs$formula, ziformula = cs$zi, family = cs$family, message = fit$fit$message,
      objective = tmbPoints(fit, par))
    writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(out, paste0(cs$name, ".json")))
    next
  }
  s <- summary(fit)
  nt <- tmbNewton(fit, 20)
  par <- nt$par; fn <- nt$fn; gr <- nt$gr; objective <- nt$objective; tp <- nt$tp
  cat(cs$name, "max|gr| at tight", max(abs(gr(tp))), "\n")
  tight <- list(par = tp, objective = fn(tp))
  Ht <- optimHess(tight$par, fn, gr)
  vt <- solve(Ht)
  fn(par)  # leave the object at glmmTMB's optimum
  vc <- VarCorr(fit)
  re <- ranef(fit)
  res <- list(
    name = cs$name, formula = cs$formula, ziformula = cs$zi, family = cs$family,
    par = unname(par), parnames = names(par),
    objective_at_opt = fit$fit$objective,
    loglik = as.numeric(logLik(fit)), df = attr(logLik(fit), "df"), aic = AIC(fit), bic = BIC(fit),
    df_resid = df.residual(fit), nobs = nobs(fit),
    cond = tab(s$coefficients$cond), zi = tab(s$coefficients$zi),
    vcov_full = unname(as.matrix(vcov(fit, full = TRUE))), vcov_names = colnames(vcov(fit, full = TRUE)),
    varcorr = list(cond = vcl(vc$cond), zi = vcl(vc$zi)),
    sigma = sigma(fit),
    ranef = list(cond = rel(re$cond), zi = rel(re$zi)),
    predict_response = unname(predict(fit, type = "response")),
    predict_conditional = unname(predict(fit, type = "conditional")),
    predict_zprob = unname(predict(fit, type = "zprob")),
    predict_link = unname(predict(fit, type = "link")),
    objective = objective,
    tight = list(par = unname(tight$par), value = tight$objective, se = unname(sqrt(diag(vt)))),
    printout = capture.output(print(s))
  )
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE, null = "null"), file.path(out, paste0(cs$name, ".json")))
  cat(cs$name, "logLik", res$loglik, "tight", -tight$objective, "\n")
}
