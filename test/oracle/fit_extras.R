#!/usr/bin/env Rscript
# lme4's predict with re.form (a subset of the random-effects terms), coef(), rePCA() and hatvalues()
# on the reference data sets, for test/predictReform.test.ts, test/coef.test.ts, test/rePCA.test.ts and
# test/hatvalues.test.ts. Each model is fitted to tight tolerances (the optimum our fit reaches)
# and predicted on new data for each re.form; lme4's mkNewReTrms takes, for every re.form term, the
# columns of ranef(fit)[[group]] named by the term. (No glmer case: glmer's optimum is off the
# converged Laplace deviance's by its early-stopping PIRLS, so its predictions are not ours to 1e-6;
# the test checks a GLMM's reForm by its rules.)
# Usage (from the repository root): Rscript test/oracle/fit_extras.R test/fixtures/data test/fixtures/fit-extras/lme4.json
# Needs: apt-get install r-cran-lme4 r-cran-jsonlite
suppressMessages({ library(lme4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
tight <- lmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
rd <- function(f) read.csv(file.path(dataDir, f), stringsAsFactors = TRUE)

sleep <- rd("sleepstudy.csv"); sleep$Subject <- factor(sleep$Subject)
pen <- rd("penicillin.csv")
pastes <- rd("pastes.csv")

cases <- list(
  list(name = "sleepstudy_slopes", data = sleep, fit = lmer(Reaction ~ Days + (Days | Subject), sleep, control = tight),
       newdata = sleep[c(1, 12, 25, 100, 180), ], reforms = c("~(1 | Subject)", "~(0 + Days | Subject)", "~(Days | Subject)", "~0")),
  list(name = "sleepstudy_uncorrelated", data = sleep, fit = lmer(Reaction ~ Days + (Days || Subject), sleep, control = tight),
       newdata = sleep[c(2, 30, 77, 150), ], reforms = c("~(1 | Subject)", "~(0 + Days | Subject)")),
  list(name = "penicillin_crossed", data = pen, fit = lmer(diameter ~ 1 + (1 | plate) + (1 | sample), pen, control = tight),
       newdata = pen[c(1, 7, 50, 144), ], reforms = c("~(1 | plate)", "~(1 | sample)", "~(1 | sample) + (1 | plate)")),
  list(name = "pastes_nested", data = pastes, fit = lmer(strength ~ 1 + (1 | batch/cask), pastes, control = tight),
       newdata = pastes[c(1, 9, 33, 60), ], reforms = c("~(1 | batch)", "~(1 | cask:batch)", "~(1 | batch/cask)")),
  # coef's fill: a random slope without its fixed effect
  list(name = "sleepstudy_no_fixed_slope", data = sleep, fit = lmer(Reaction ~ 1 + (Days | Subject), sleep, control = tight),
       newdata = sleep[c(3, 40), ], reforms = c("~(0 + Days | Subject)")),
  # rePCA of a nearly singular fit (a third column the data hardly support: its θ is ill-determined, so the
  # test evaluates rePCA at lme4's θ, and coef and predict skip it)
  list(name = "sleepstudy_singular", data = sleep, fit = lmer(Reaction ~ Days + (Days + I(Days^2) | Subject), sleep, control = tight),
       newdata = sleep[c(4, 90), ], reforms = c("~(1 | Subject)"))
)
res <- lapply(cases, function(cs) {
  preds <- lapply(cs$reforms, function(rf) {
    list(re_form = rf, link = unname(as.numeric(predict(cs$fit, newdata = cs$newdata, re.form = as.formula(rf)))))
  })
  pcs <- rePCA(cs$fit)
  repca <- lapply(names(pcs), function(g) list(group = g, sdev = as.numeric(pcs[[g]]$sdev), rotation = unname(as.matrix(pcs[[g]]$rotation)),
    proportion = as.numeric(summary(pcs)[[g]]$importance[2, ])))
  cf <- coef(cs$fit)
  coefs <- lapply(names(cf), function(g) list(group = g, levels = rownames(cf[[g]]), columns = names(cf[[g]]),
    values = lapply(setNames(names(cf[[g]]), names(cf[[g]])), function(nm) unname(as.numeric(cf[[g]][[nm]])))))
  list(name = cs$name, formula = paste(deparse(formula(cs$fit), width.cutoff = 500L), collapse = ""), theta = as.numeric(getME(cs$fit, "theta")), coef = coefs, rePCA = repca, hat = unname(as.numeric(hatvalues(cs$fit))),
       rows = as.integer(rownames(cs$newdata)), objective = as.numeric(REMLcrit(cs$fit)),
       predictions = preds)
})
# hatvalues with prior weights (√W in the hat matrix)
sw <- rd("sleepstudy_weighted.csv"); sw$Subject <- factor(sw$Subject)
mw <- lmer(Reaction ~ Days + (Days | Subject), sw, weights = w, control = tight)
weighted <- list(name = "sleepstudy_weighted", formula = "Reaction ~ Days + (Days | Subject)", weights = "w",
  objective = as.numeric(REMLcrit(mw)), theta = as.numeric(getME(mw, "theta")), hat = unname(as.numeric(hatvalues(mw))))
writeLines(toJSON(list(lme4 = as.character(packageVersion("lme4")), cases = res, weighted = weighted), auto_unbox = TRUE, digits = NA, pretty = TRUE), out)
