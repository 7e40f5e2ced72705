#!/usr/bin/env Rscript
# cAIC4 1.0's conditional AIC (Greven & Kneib 2010; Saefken et al. 2014) of lmer and glmer fits, for
# test/caic.test.ts. Per case: lme4's theta-hat, cAIC4's cAIC() (loglikelihood, df, caic, new and the
# reduced model's formula), and for the GLMMs the same bias correction recomputed from refits run with
# tight tolerances (the optimum itself, not where the optimizer stopped).
#
# cAIC4 1.0's biasCorrectionBernoulli calls refit(model, nresp = y_flipped): refit.merMod's argument is
# `newresp`, so the flipped response is ignored (lme4 warns "additional arguments to refit.merMod
# ignored") and every refit is the original fit: its df is optimizer noise around 0. We record that
# value (`cAIC4_df`) and the correction as the function intends it (Saefken et al. eq. for Bernoulli
# responses, the refits with y_i -> 1 - y_i): `df_intended`, from tight refits.
# Usage (from the repository root): Rscript test/oracle/caic.R test/fixtures/data test/fixtures/caic/caic.json
# Needs: cAIC4 (CRAN), lme4, jsonlite
suppressMessages({ library(cAIC4); library(lme4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
rd <- function(f) read.csv(file.path(dataDir, f), stringsAsFactors = TRUE)
tightL <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))
tightG <- glmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10, maxfun = 1e5))

sleep <- rd("sleepstudy.csv"); sleep$Subject <- factor(sleep$Subject)
# a grouping factor with no variance: 10 levels cycling through the rows (cAIC4 drops it and refits)
sleep$noise <- factor(rep(1:10, length.out = nrow(sleep)))
pen <- rd("penicillin.csv")
dy2 <- rd("dyestuff2.csv")
grouse <- rd("grouseticks.csv"); grouse$YEAR <- factor(grouse$YEAR); grouse$BROOD <- factor(grouse$BROOD)
bact <- rd("bacteria.csv")

lmmCase <- function(name, formula, data, REML) {
  m <- lmer(formula, data = data, REML = REML, control = tightL)
  r <- suppressWarnings(cAIC(m))
  list(name = name, formula = deparse(formula), REML = REML, theta = unname(getME(m, "theta")),
       sigma = sigma(m), loglikelihood = r$loglikelihood, df = r$df, caic = r$caic, new = r$new,
       reducedFormula = if (r$new) paste(deparse(formula(r$reducedModel)), collapse = "") else NULL,
       printout = paste(capture.output(print(r)), collapse = "\n"))
}

# the refits' linear predictors at the tight optimum: eta_i of the fit to y with row i changed
tightEta <- function(m, data, resp, newY, rows) {
  th <- getME(m, "theta"); be <- fixef(m)
  sapply(rows, function(i) {
    d <- data; d[[resp]] <- newY(i)
    mi <- glmer(formula(m), data = d, family = family(m), control = tightG, start = list(theta = th, fixef = be))
    mi@resp$eta[i]
  })
}

glmmCase <- function(name, formula, data, family, resp) {
  m <- glmer(formula, data = data, family = family, control = tightG)
  r <- suppressWarnings(cAIC(m))
  y <- getME(m, "y"); eta <- m@resp$eta; mu <- getME(m, "mu")
  if (family == "poisson") {
    # Saefken et al. (2014): bc = sum_{y_i > 0} y_i (eta_i(y) - eta_i(y - e_i))
    ind <- which(y != 0)
    etaI <- tightEta(m, data, resp, function(i) { z <- y; z[i] <- z[i] - 1; z }, ind)
    intended <- sum(y[ind] * (eta[ind] - etaI))
  } else {
    # Bernoulli: bc = sum_i mu_i (1 - mu_i) (1 - 2 y_i) (eta_i(y with y_i -> 1 - y_i) - eta_i(y))
    etaI <- tightEta(m, data, resp, function(i) { z <- y; z[i] <- 1 - z[i]; z }, seq_along(y))
    intended <- sum(mu * (1 - mu) * (1 - 2 * y) * (etaI - eta))
  }
  cll <- r$loglikelihood
  list(name = name, formula = deparse(formula), family = family, theta = unname(getME(m, "theta")),
       beta = unname(fixef(m)), loglikelihood = cll, cAIC4_df = r$df, cAIC4_caic = r$caic,
       df_intended = intended, caic_intended = -2 * cll + 2 * intended, new = r$new,
       printout = paste(capture.output(print(r)), collapse = "\n"))
}

cases <- list(
  lmmCase("sleep_slope_reml", Reaction ~ Days + (Days | Subject), sleep, TRUE),
  lmmCase("sleep_slope_ml", Reaction ~ Days + (Days | Subject), sleep, FALSE),
  lmmCase("sleep_intercept_reml", Reaction ~ Days + (1 | Subject), sleep, TRUE),
  lmmCase("sleep_uncorrelated_ml", Reaction ~ Days + (1 | Subject) + (0 + Days | Subject), sleep, FALSE),
  lmmCase("penicillin_crossed_reml", diameter ~ 1 + (1 | plate) + (1 | sample), pen, TRUE),
  lmmCase("sleep_noise_singular_reml", Reaction ~ Days + (1 | Subject) + (1 | noise), sleep, TRUE),
  lmmCase("dyestuff2_all_zero_reml", Yield ~ 1 + (1 | Batch), dy2, TRUE),
  glmmCase("grouseticks_poisson", TICKS ~ YEAR + (1 | BROOD), grouse, "poisson", "TICKS"),
  glmmCase("bacteria_bernoulli", yy ~ trt + week + (1 | ID), bact, "binomial", "yy")
)
names(cases) <- sapply(cases, `[[`, "name")
writeLines(toJSON(list(cAIC4 = as.character(packageVersion("cAIC4")), lme4 = as.character(packageVersion("lme4")),
                       cases = cases), auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null"), out)
