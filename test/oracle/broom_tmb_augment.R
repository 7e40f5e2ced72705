#!/usr/bin/env Rscript
# broom.mixed 0.2.9.4's augment() of glmmTMB 1.1.5 fits, for test/broomTmbAugment.test.ts
# (src/broom/augmentTmb.ts). augment.glmmTMB is broom's augment_columns(fit, data): the data's columns, then
#   .fitted  predict(fit): the conditional model's linear predictor at the conditional modes (link scale),
#   .se.fit  predict(fit, se.fit = TRUE)$se.fit: TMB's sdreport of eta_predict (the random effects'
#            conditional variance plus the parameters' uncertainty, the modes' derivatives included),
#   .resid   residuals(fit): the response residual y - predict(fit, type = "response") (zero model included);
# influence(), cooks.distance() and rstandard() fail for glmmTMB 1.1.5 (no columns).
# Each model is fitted by glmmTMB and moved to its tight optimum (Newton steps on TMB's gradient to
# max|gradient| < 1e-10, sdreport there), the one our fit reaches (as test/oracle/ggeffects_tmb.R).
# Usage (from the repository root): Rscript test/oracle/broom_tmb_augment.R
suppressPackageStartupMessages({ library(glmmTMB); library(broom.mixed); library(jsonlite) })
root <- getwd()
rd <- function(f) read.csv(file.path(root, "test/fixtures/data", f), stringsAsFactors = TRUE)
sleep <- rd("sleepstudy.csv"); sleep$Subject <- factor(sleep$Subject)
data <- list(salamanders = rd("salamanders.csv"), tmbfamilies = rd("tmbfamilies.csv"), tmbfamilies2 = rd("tmbfamilies2.csv"), sleepstudy = sleep)
models <- list(
  zip = list(data = "salamanders", formula = "count ~ mined + cover + (1 | site)", ziformula = "~ mined", dispformula = "~ 1", family = "poisson"),
  zinb2 = list(data = "salamanders", formula = "count ~ mined + cover + (1 | site)", ziformula = "~ mined", dispformula = "~ 1", family = "nbinom2"),
  hurdle_pois = list(data = "salamanders", formula = "count ~ mined + cover + (1 | site)", ziformula = "~ mined", dispformula = "~ 1", family = "truncated_poisson"),
  beta = list(data = "tmbfamilies", formula = "yb ~ x + f + (1 | g)", ziformula = "~ 0", dispformula = "~ 1", family = "beta_family"),
  gaussian_disp = list(data = "tmbfamilies", formula = "yg ~ x + f + (1 | g)", ziformula = "~ 0", dispformula = "~ f", family = "gaussian"),
  gamma = list(data = "tmbfamilies2", formula = "yga ~ x + (1 | g)", ziformula = "~ 0", dispformula = "~ 1", family = "Gamma"),
  gaussian_slope = list(data = "sleepstudy", formula = "Reaction ~ Days + (Days | Subject)", ziformula = "~ 0", dispformula = "~ 1", family = "gaussian"),
  zip_crossed = list(data = "salamanders", formula = "count ~ mined + cover + (1 | site) + (1 | spp)", ziformula = "~ mined", dispformula = "~ 1", family = "poisson"),
  zip_zi_site = list(data = "salamanders", formula = "count ~ mined + (1 | site)", ziformula = "~ mined + (1 | site)", dispformula = "~ 1", family = "poisson")
)
famOf <- function(name) switch(name, poisson = poisson(), nbinom2 = nbinom2(), truncated_poisson = truncated_poisson(),
  beta_family = beta_family(), gaussian = gaussian(), Gamma = Gamma(link = "log"))
tightFit <- function(fit) {
  obj <- fit$obj
  fn <- function(x) obj$fn(x)
  gr <- function(x) as.numeric(obj$gr(x))
  tp <- fit$fit$par
  for (it in 1:20) {
    g <- gr(tp)
    if (max(abs(g)) < 1e-10) break
    tp <- tp - solve(optimHess(tp, fn, gr), g)
  }
  stopifnot(max(abs(gr(tp))) < 1e-9)
  tight <- fit
  tight$fit$par <- tp
  tight$fit$objective <- fn(tp)
  tight$fit$parfull <- obj$env$last.par
  tight$sdr <- TMB::sdreport(obj, par.fixed = tp)
  tight
}
cases <- lapply(names(models), function(name) {
  m <- models[[name]]
  d <- data[[m$data]]
  fit <- tightFit(glmmTMB(as.formula(m$formula), ziformula = as.formula(m$ziformula), dispformula = as.formula(m$dispformula), family = famOf(m$family), data = d))
  a <- as.data.frame(augment(fit, data = d))
  b <- as.data.frame(augment(fit))  # without data: the model frame's columns
  keep <- grep("^\\.", names(a), value = TRUE)
  c(list(name = name), m, list(par = unname(fit$fit$par), columns = names(a), columns_frame = names(b)),
    lapply(setNames(keep, keep), function(k) as.numeric(a[[k]])))
})
writeLines(toJSON(cases, digits = NA, auto_unbox = TRUE, null = "null", na = "null"), file.path(root, "test/fixtures/broom/broom_tmb_augment.json"))
for (cs in cases) { cat("==", cs$name, paste(cs$columns, collapse = " "), "|", paste(cs$columns_frame, collapse = " "), "\n"); print(head(cbind(cs$.fitted, cs$.se.fit, cs$.resid), 3)) }
