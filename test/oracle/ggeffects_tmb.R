#!/usr/bin/env Rscript
# ggeffects 1.2.0's ggpredict and ggemmeans of glmmTMB 1.1.5 fits (insight 0.19.0, emmeans 1.8.4), for
# test/ggeffectsTmb.test.ts (src/zeroinfl/ggpredict.ts). What ggeffects computes for a glmmTMB fit
# (get_predictions_glmmTMB, ggemmeans):
#   ggpredict type "fe":  predict(fit, grid, type = "link", se.fit = TRUE, re.form = NA), the conditional
#                         model's link inverse of eta and of eta -/+ qnorm * SE (insight's wald df: Inf);
#   type "re":            the same eta (the grid's grouping factors NA: population level) with
#                         SE^2 + sigma(fit)^2 (insight's get_sigma; 0 where it is NULL, as a gaussian
#                         fit's with a dispformula): "prediction intervals";
#   type "fe.zi"/"re.zi": predict(type = "response") (the zero model included), intervals from 1000
#                         simulation draws (.simulate_zi_predictions): the points are written here and
#                         compared; the intervals are random and not reproduced (src refuses them);
#   ggemmeans "fe":       emmeans(component = "cond") on the link scale (t on df.residual), back-transformed;
#   ggemmeans "re":       emmeans's interval moved out by qnorm * sigma, SE sqrt(SE^2 + sigma^2).
# Each model is fitted by glmmTMB and moved to its tight optimum (Newton steps on TMB's gradient to
# max|gradient| < 1e-10, sdreport there, as test/oracle/zeroinfl_emmeans.R): our fit reaches that point.
# Usage (from the repository root): Rscript test/oracle/ggeffects_tmb.R
suppressPackageStartupMessages({ library(glmmTMB); library(ggeffects); library(emmeans); library(jsonlite) })
root <- getwd()
out <- file.path(root, "test/fixtures/ggeffects_tmb")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
rd <- function(f) read.csv(file.path(root, "test/fixtures/data", f), stringsAsFactors = TRUE)
data <- list(salamanders = rd("salamanders.csv"), tmbfamilies = rd("tmbfamilies.csv"), tmbfamilies2 = rd("tmbfamilies2.csv"), binomial_interaction = rd("binomial_interaction.csv"))

models <- list(
  zip = list(data = "salamanders", formula = "count ~ mined + cover + (1 | site)", ziformula = "~ mined", dispformula = "~ 1", family = "poisson"),
  zinb2 = list(data = "salamanders", formula = "count ~ mined + cover + (1 | site)", ziformula = "~ mined", dispformula = "~ 1", family = "nbinom2"),
  zinb1_spp = list(data = "salamanders", formula = "count ~ spp + cover + (1 | site)", ziformula = "~ mined", dispformula = "~ 1", family = "nbinom1"),
  hurdle_pois = list(data = "salamanders", formula = "count ~ mined + cover + (1 | site)", ziformula = "~ mined", dispformula = "~ 1", family = "truncated_poisson"),
  hurdle_nb2 = list(data = "salamanders", formula = "count ~ mined + cover + (1 | site)", ziformula = "~ cover", dispformula = "~ 1", family = "truncated_nbinom2"),
  beta = list(data = "tmbfamilies", formula = "yb ~ x + f + (1 | g)", ziformula = "~ 0", dispformula = "~ 1", family = "beta_family"),
  gaussian_disp = list(data = "tmbfamilies", formula = "yg ~ x + f + (1 | g)", ziformula = "~ 0", dispformula = "~ f", family = "gaussian"),
  gamma = list(data = "tmbfamilies2", formula = "yga ~ x + f + (1 | g)", ziformula = "~ 0", dispformula = "~ 1", family = "Gamma"),
  binomial = list(data = "binomial_interaction", formula = "y ~ x1 + f + (1 | g)", ziformula = "~ 0", dispformula = "~ 1", family = "binomial")
)
famOf <- function(name) switch(name, poisson = poisson(), nbinom2 = nbinom2(), nbinom1 = nbinom1(), truncated_poisson = truncated_poisson(),
  truncated_nbinom2 = truncated_nbinom2(), beta_family = beta_family(), gaussian = gaussian(), Gamma = Gamma(link = "log"), binomial = binomial())
fits <- lapply(models, function(m) glmmTMB(as.formula(m$formula), ziformula = as.formula(m$ziformula), dispformula = as.formula(m$dispformula), family = famOf(m$family), data = data[[m$data]]))

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
tights <- lapply(fits, tightFit)

tab <- function(p) {
  d <- as.data.frame(p)
  for (nm in names(d)) if (is.factor(d[[nm]])) d[[nm]] <- as.character(d[[nm]])
  d
}
# a case: ggpredict or ggemmeans of the tight fit; the zero-inflated types' intervals are dropped (simulated)
case <- function(name, model, method, terms, type = "fe", ...) {
  set.seed(1)
  f <- get(method)
  msgs <- character(0)
  p <- withCallingHandlers(f(tights[[model]], terms = terms, type = type, ...),
    message = function(m) { msgs <<- c(msgs, conditionMessage(m)); invokeRestart("muffleMessage") })
  d <- tab(p)
  # (a fit without a zero model falls back to "fe" / "re", with ggeffects's note: its intervals are kept)
  simulated <- type %in% c("fe.zi", "re.zi", "zero_inflated", "zi_random") && models[[model]]$ziformula != "~ 0"
  if (simulated) { d$conf.low <- NULL; d$conf.high <- NULL; d$std.error <- NULL }
  list(name = name, model = model, method = method, terms = terms, type = type, options = lapply(list(...), as.list),
       table = d, printed = if (simulated) NULL else paste(capture.output(print(p)), collapse = "\n"),
       prediction_interval = isTRUE(attr(p, "prediction.interval")), messages = msgs,
       title = attr(p, "title"), constant_values = lapply(attr(p, "constant.values"), function(v) if (is.factor(v)) as.character(v) else v))
}
cases <- list(
  case("zip_cover", "zip", "ggpredict", "cover"),
  case("zip_cover_mined", "zip", "ggpredict", c("cover [-1, 0, 1]", "mined")),
  case("zip_cover_mined_re", "zip", "ggpredict", c("cover [0, 1]", "mined"), type = "re"),
  case("zip_mined_zi", "zip", "ggpredict", "mined", type = "fe.zi"),
  case("zip_cover_mined_zi", "zip", "ggpredict", c("cover [-1, 1]", "mined"), type = "fe.zi"),
  case("zip_emm", "zip", "ggemmeans", c("cover [0, 1]", "mined")),
  case("zip_emm_re", "zip", "ggemmeans", "mined", type = "re"),
  case("zinb2_mined", "zinb2", "ggpredict", "mined", ci.lvl = 0.9),
  case("zinb2_mined_re", "zinb2", "ggpredict", "mined", type = "re"),
  case("zinb2_cover_zi", "zinb2", "ggpredict", "cover [-1, 0, 1]", type = "fe.zi"),
  case("zinb2_emm_re", "zinb2", "ggemmeans", "cover [-1, 1]", type = "re"),
  case("zinb1_spp", "zinb1_spp", "ggpredict", "spp"),
  case("zinb1_spp_cover", "zinb1_spp", "ggpredict", c("spp", "cover [-1, 1]"), condition = c(mined = "no")),
  case("zinb1_emm_spp", "zinb1_spp", "ggemmeans", "spp"),
  case("zinb1_mined_zi", "zinb1_spp", "ggpredict", "mined", type = "fe.zi"),
  case("hurdle_pois_mined", "hurdle_pois", "ggpredict", "mined"),
  case("hurdle_pois_mined_re", "hurdle_pois", "ggpredict", "mined", type = "re"),
  case("hurdle_pois_mined_zi", "hurdle_pois", "ggpredict", "mined", type = "fe.zi"),
  case("hurdle_nb2_cover", "hurdle_nb2", "ggpredict", c("cover [-1, 1]", "mined")),
  case("hurdle_nb2_cover_zi", "hurdle_nb2", "ggpredict", c("cover [-1, 1]", "mined"), type = "fe.zi"),
  case("beta_x", "beta", "ggpredict", "x"),
  case("beta_x_f", "beta", "ggpredict", c("x [-1, 1]", "f")),
  case("beta_f_re", "beta", "ggpredict", "f", type = "re"),
  case("beta_emm", "beta", "ggemmeans", "x [-1, 1]"),
  case("gaussian_disp_x", "gaussian_disp", "ggpredict", "x"),
  case("gaussian_disp_f_re", "gaussian_disp", "ggpredict", "f", type = "re"),
  case("gaussian_disp_emm_f", "gaussian_disp", "ggemmeans", "f"),
  case("gamma_x", "gamma", "ggpredict", "x [-1, 0, 1]"),
  case("gamma_f_re", "gamma", "ggpredict", "f", type = "re"),
  case("gamma_emm", "gamma", "ggemmeans", c("x [-1, 1]", "f")),
  case("binomial_x1", "binomial", "ggpredict", "x1"),
  case("binomial_f_re", "binomial", "ggpredict", "f", type = "re"),
  case("binomial_emm", "binomial", "ggemmeans", c("x1 [-1, 1]", "f")),
  case("beta_x_zi", "beta", "ggpredict", "x [-1, 1]", type = "fe.zi")
)
paramsOf <- function(f) list(par = unname(f$fit$par), sigma = sigma(f), objective = f$fit$objective)
ref <- list(
  versions = list(ggeffects = as.character(packageVersion("ggeffects")), insight = as.character(packageVersion("insight")), glmmTMB = as.character(packageVersion("glmmTMB")), R = R.version.string),
  models = models, params = lapply(tights, paramsOf), cases = cases)
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = FALSE, dataframe = "columns"), file.path(out, "ggeffects_tmb.json"))
for (cs in cases) { cat("==", cs$name, "\n"); print(cs$table); if (!is.null(cs$printed)) cat(cs$printed, "\n"); print(cs$messages) }
