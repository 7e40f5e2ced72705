#!/usr/bin/env Rscript
# emmeans 1.8.4 on ordinal 2022.11-16's clmm fits, for test/clmmEmmeans.test.ts (src/ordinal/emmBasis.ts):
# the reference grid (factors' levels, covariates at their means, `at`, `by`, weights) and every
# `mode` of emm_basis.clm: latent (with `rescale`), linear.predictor (by the pseudo-factor `cut`),
# cum.prob, exc.prob, prob (the pseudo-factor of the response's levels) and mean.class, with
# contrasts (pairwise with Tukey, trt.vs.ctrl, by groups) and their printouts.
# Each model's clmm fit with ordinal's defaults; its coef (thresholds' alpha, beta) and vcov
# restricted to them (as emm_basis.clmm restricts it) are written beside the results, so that the
# test can compute the means at R's own parameters as well as at its own fit.
# Data: test/fixtures/data/wine.csv and soup.csv (written by test/oracle/clmm.R).
# Usage (from the repository root): Rscript test/oracle/clmm_emmeans.R
suppressPackageStartupMessages({ library(ordinal); library(emmeans); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
out <- file.path(root, "test/fixtures/clmm_emmeans")
dir.create(out, showWarnings = FALSE, recursive = TRUE)

wine <- read.csv(file.path(root, "test/fixtures/data/wine.csv"))
wine$rating <- factor(wine$rating, levels = 1:5, ordered = TRUE)
wine$temp <- factor(wine$temp, levels = c("cold", "warm"))
wine$contact <- factor(wine$contact, levels = c("no", "yes"))
wine$judge <- factor(wine$judge)
wine$x <- (wine$bottle - 4.5) / 4
# unbalanced cells (rows 1-5 and 20-21 left out), for the weights
wine_unbal <- wine[-c(1:5, 20:21), ]
# an empty cell (warm, yes): clmm drops the aliased interaction column; its means are not estimable
wine_empty <- wine[!(wine$temp == "warm" & wine$contact == "yes"), ]
soup <- read.csv(file.path(root, "test/fixtures/data/soup.csv"))
soup$SURENESS <- factor(soup$SURENESS, levels = 1:6, ordered = TRUE)
soup$PRODID <- factor(soup$PRODID)
soup$DAY <- factor(soup$DAY)
soup$RESP <- factor(soup$RESP)

tab <- function(s) {
  df <- as.data.frame(s)
  for (nm in names(df)) if (is.factor(df[[nm]])) df[[nm]] <- as.character(df[[nm]])
  list(columns = names(df), rows = unname(lapply(seq_len(nrow(df)), function(i) unname(as.list(df[i, ])))), mesg = as.character(attr(s, "mesg")))
}
both <- function(x, ...) summary(x, infer = c(TRUE, TRUE), ...)
printed <- function(x) paste(capture.output(print(x)), collapse = "\n")

models <- list(
  wine = list(data = "wine", formula = "rating ~ temp + contact + (1 | judge)", link = "logit"),
  wine_int = list(data = "wine", formula = "rating ~ temp * contact + (1 | judge)", link = "logit"),
  wine_unbal = list(data = "wine_unbal", formula = "rating ~ temp * contact + (1 | judge)", link = "logit", drop = c(1:5, 20:21)),
  wine_empty = list(data = "wine_empty", formula = "rating ~ temp * contact + (1 | judge)", link = "logit", emptyCell = TRUE),
  wine_equidistant = list(data = "wine", formula = "rating ~ temp + contact + (1 | judge)", link = "logit", threshold = "equidistant"),
  wine_symmetric = list(data = "wine", formula = "rating ~ temp + contact + (1 | judge)", link = "probit", threshold = "symmetric"),
  wine_probit_x = list(data = "wine", formula = "rating ~ temp + contact + x + (1 | judge)", link = "probit"),
  soup = list(data = "soup", formula = "SURENESS ~ PRODID + DAY + (1 | RESP)", link = "logit")
)
thresholdOf <- function(m) if (is.null(m$threshold)) "flexible" else m$threshold
fits <- lapply(models, function(m) {
  d <- get(m$data)
  eval(bquote(clmm(.(as.formula(m$formula)), data = d, link = .(m$link), threshold = .(thresholdOf(m)))))
})
# each fit at its tight optimum, the one our fit reaches (as test/oracle/clmm.R finds it): the objective
# with the inner Newton iteration converged to max|grad| < 1e-12, nlminb from clmm's optimum, then Newton
# steps on ordinal:::deriv12's Hessian while they lower it; the fit's coefficients replaced by those
# and its Hessian by clmm's there (every model here has one random intercept: clmm's "ssr" path, its last parameter log SD)
tightFit <- function(fit, m) {
  d <- get(m$data)
  rho <- eval(bquote(clmm(.(as.formula(m$formula)), data = d, link = .(m$link), threshold = .(thresholdOf(m)), doFit = FALSE, gradTol = 1e-12, maxIter = 200)))
  obj <- function(par) ordinal:::getNLA.ssr(rho, par)
  tight <- nlminb(fit$optRes$par, obj, control = list(rel.tol = 1e-14, x.tol = 1e-12, eval.max = 5000, iter.max = 2000))
  for (k in 1:10) {
    gH <- ordinal:::deriv12(obj, tight$par)
    np <- tight$par - solve(gH$Hessian, gH$gradient)
    fnp <- obj(np)
    if (!(fnp < tight$objective)) break
    tight$par <- np; tight$objective <- fnp
  }
  # the Hessian as clmm computes it (deriv12 of its objective with its inner tolerance, max|grad| < 1e-4):
  # with the inner iteration at 1e-12 it stops with "step factor reduced below minimum" in some of
  # deriv12's points, and the objective's noise over deriv12's step (1e-4) moves the Hessian by ~1%
  rho0 <- eval(bquote(clmm(.(as.formula(m$formula)), data = d, link = .(m$link), threshold = .(thresholdOf(m)), doFit = FALSE)))
  gH <- ordinal:::deriv12(function(par) ordinal:::getNLA.ssr(rho0, par), tight$par)
  nc <- length(fit$coefficients)
  fit$coefficients[] <- tight$par[seq_len(nc)]
  fit$alpha[] <- tight$par[seq_along(fit$alpha)]
  fit$beta[] <- tight$par[length(fit$alpha) + seq_along(fit$beta)]
  H <- gH$Hessian; dimnames(H) <- dimnames(fit$Hessian)
  fit$Hessian <- H
  fit$tightObjective <- tight$objective
  fit
}
tightFits <- mapply(tightFit, fits, models, SIMPLIFY = FALSE)

# a case: emmeans(fit, specs, mode, ...) and its contrasts
# a case: emmeans(fit, specs, mode, ...) and its contrasts, of clmm's fit and of the tight one
case <- function(name, model, specs, mode, ..., contrasts = list()) {
  results <- function(fit) {
    e <- suppressWarnings(suppressMessages(emmeans(fit, as.formula(specs), mode = mode, ...)))
    list(emm = tab(summary(e)), printed = printed(e),
         contrasts = lapply(contrasts, function(cc) {
           r <- do.call(contrast, c(list(e), cc))
           list(args = cc, result = tab(both(r)), printed = printed(r))
         }))
  }
  c(list(name = name, model = model, specs = specs, mode = mode, options = list(...)), results(fits[[model]]),
    list(tight = results(tightFits[[model]])))
}

cases <- list(
  case("latent", "wine", "~ temp", "latent", contrasts = list(list(method = "pairwise"))),
  case("latent_rescale", "wine", "~ contact", "latent", rescale = c(2, 3)),
  case("latent_cells_tukey", "wine", "~ temp * contact", "latent", contrasts = list(list(method = "pairwise"), list(method = "trt.vs.ctrl"), list(method = "pairwise", adjust = "holm"))),
  case("linear_predictor", "wine", "~ temp", "linear.predictor", contrasts = list(list(method = "pairwise"))),
  case("linear_predictor_cut", "wine", "~ temp | cut", "linear.predictor", contrasts = list(list(method = "pairwise"), list(method = "consec", by = "temp", adjust = "sidak"))),
  case("linear_predictor_response", "wine", "~ temp", "linear.predictor", type = "response", contrasts = list(list(method = "pairwise"))),
  case("cum_prob", "wine", "~ temp", "cum.prob", contrasts = list(list(method = "pairwise"))),
  case("cum_prob_cut", "wine", "~ temp | cut", "cum.prob", contrasts = list(list(method = "pairwise"))),
  case("exc_prob", "wine", "~ contact | cut", "exc.prob", contrasts = list(list(method = "pairwise"))),
  case("prob", "wine", "~ rating | temp", "prob"),
  case("prob_pairs", "wine", "~ temp | rating", "prob", contrasts = list(list(method = "pairwise"))),
  case("prob_averaged", "wine", "~ temp", "prob"),
  case("prob_by", "wine", "~ temp | contact * rating", "prob", contrasts = list(list(method = "pairwise"))),
  case("mean_class", "wine", "~ temp", "mean.class", contrasts = list(list(method = "pairwise"))),
  case("mean_class_cells", "wine", "~ temp * contact", "mean.class", contrasts = list(list(method = "pairwise"))),
  case("mean_class_by", "wine", "~ temp | contact", "mean.class", contrasts = list(list(method = "pairwise"))),
  case("int_latent_by", "wine_int", "~ temp | contact", "latent", contrasts = list(list(method = "pairwise"))),
  case("int_prob", "wine_int", "~ temp * contact | rating", "prob", contrasts = list(list(method = "pairwise"))),
  case("unbal_latent_proportional", "wine_unbal", "~ temp", "latent", weights = "proportional", contrasts = list(list(method = "pairwise"))),
  case("unbal_cum_proportional", "wine_unbal", "~ temp | cut", "cum.prob", weights = "proportional"),
  case("unbal_prob_cells", "wine_unbal", "~ contact | rating", "prob", weights = "cells"),
  case("unbal_mean_class_proportional", "wine_unbal", "~ temp", "mean.class", weights = "proportional"),
  case("unbal_latent_equal", "wine_unbal", "~ temp", "latent"),
  case("empty_latent", "wine_empty", "~ temp * contact", "latent", contrasts = list(list(method = "pairwise"))),
  case("empty_latent_averaged", "wine_empty", "~ temp", "latent"),
  case("empty_linear_predictor", "wine_empty", "~ temp | contact", "linear.predictor", contrasts = list(list(method = "pairwise"))),
  case("empty_prob", "wine_empty", "~ rating | temp * contact", "prob"),
  case("empty_cum_prob", "wine_empty", "~ temp | cut", "cum.prob", contrasts = list(list(method = "pairwise"))),
  case("empty_mean_class", "wine_empty", "~ temp * contact", "mean.class", contrasts = list(list(method = "pairwise"))),
  # thresholds with a Jacobian other than I: the latent mean's m = colMeans(J), rescale's shift of every
  # threshold parameter (emmeans's), and the probabilities through Θ = J α
  case("equidistant_latent_rescale", "wine_equidistant", "~ temp", "latent", rescale = c(1, 2)),
  case("equidistant_prob", "wine_equidistant", "~ rating | temp", "prob", contrasts = list(list(method = "consec", by = "temp", adjust = "bonferroni"))),
  case("equidistant_linear_predictor", "wine_equidistant", "~ cut | contact", "linear.predictor"),
  case("symmetric_cum", "wine_symmetric", "~ temp | cut", "cum.prob", contrasts = list(list(method = "pairwise"))),
  case("symmetric_mean_class", "wine_symmetric", "~ contact", "mean.class"),
  case("symmetric_latent", "wine_symmetric", "~ temp", "latent", rescale = c(-1, 0.5)),
  case("probit_x_cum", "wine_probit_x", "~ temp | cut", "cum.prob"),
  case("probit_x_at", "wine_probit_x", "~ x", "mean.class", at = list(x = c(-0.5, 0.5)), contrasts = list(list(method = "pairwise"))),
  case("probit_x_latent", "wine_probit_x", "~ contact", "latent"),
  case("soup_latent_tukey", "soup", "~ PRODID", "latent", contrasts = list(list(method = "pairwise"))),
  case("soup_prob_day", "soup", "~ SURENESS | DAY", "prob"),
  case("soup_mean_class", "soup", "~ PRODID", "mean.class", contrasts = list(list(method = "trt.vs.ctrl")))
)

paramsOf <- function(f) {
  b <- coef(f)
  V <- vcov(f)[names(b), names(b)]
  list(coef = unname(b), names = names(b), vcov = unname(c(t(V))), logLik = as.numeric(logLik(f)))
}
params <- lapply(fits, paramsOf)
tightParams <- lapply(tightFits, function(f) c(paramsOf(f), list(objective = f$tightObjective)))
ref <- list(
  versions = list(emmeans = as.character(packageVersion("emmeans")), ordinal = as.character(packageVersion("ordinal")), R = R.version.string),
  models = models, params = params, tightParams = tightParams, cases = cases)
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = FALSE), file.path(out, "clmm_emmeans.json"))
