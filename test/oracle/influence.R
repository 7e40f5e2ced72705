#!/usr/bin/env Rscript
# lme4's case-deletion influence (influence.merMod, lme4 >= 1.1-27) on the reference data sets, for
# test/influence.test.ts: for each deleted unit (a level of `groups`, or a row when groups is "case")
# β̂₋ᵢ, σ̂₋ᵢ, θ̂₋ᵢ, Var(β̂₋ᵢ), and cooks.distance / dfbeta / dfbetas of the influence object.
#
# Two sets per case:
#   lme4:  influence(fit, groups) itself. Its refits run lmerControl(optCtrl = list(maxfun = maxfun))
#          with nloptwrap's default tolerances, started at θ̂ (influence.merMod's `start`), so they stop
#          early; the test compares ours with these at a looser tolerance.
#   tight: the same deletions refitted here with tight tolerances, update(fit, data = d[kept, ],
#          start = θ̂, control = tight), and lme4's formulas applied to them (the optimum itself).
# The full fit is tight in both (influence() reads its β̂ and Var(β̂) from the fit given).
# Usage (from the repository root): Rscript test/oracle/influence.R test/fixtures/data test/fixtures/influence/lme4.json
# Needs: apt-get install r-cran-lme4 r-cran-jsonlite
suppressMessages({ library(lme4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
# minqa's BOBYQA to a final radius of 1e-10: nloptwrap with ftol_abs 1e-12, xtol_abs 1e-10 stopped
# sleepstudy's refit without Subject 333 5e-6 off in θ (its criterion 7e-10 above this optimum's)
tight <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10, maxfun = 1e5))
rd <- function(f) read.csv(file.path(dataDir, f), stringsAsFactors = TRUE)

sleep <- rd("sleepstudy.csv"); sleep$Subject <- factor(sleep$Subject)
sw <- rd("sleepstudy_weighted.csv"); sw$Subject <- factor(sw$Subject)
pen <- rd("penicillin.csv")
at <- rd("anova_types.csv")
pastes <- rd("pastes.csv")

source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "influence_formulas.R"))
# lme4's var.cov.comps of a fit: σ², then each VarCorr matrix's lower triangle by columns
varcov <- function(fit) c(sigma(fit)^2, unlist(lapply(VarCorr(fit), function(V) V[lower.tri(V, diag = TRUE)])))
units <- function(fit) list(
  beta = unname(fixef(fit)), theta = unname(getME(fit, "theta")), sigma = sigma(fit),
  vcov = unname(as.matrix(vcov(fit))), varcov = unname(varcov(fit)))

runCase <- function(name, formula, data, groups, reml = TRUE, weights = NULL) {
  data$.w <- if (is.null(weights)) 1 else data[[weights]]
  # the call with its values written in (influence's update evaluates it again elsewhere)
  fit <- if (is.null(weights)) eval(bquote(lmer(.(formula), data, REML = .(reml), control = tight)))
         else eval(bquote(lmer(.(formula), data, REML = .(reml), weights = .w, control = tight)))
  case <- identical(groups, "case")
  infl <- if (case) influence(fit) else influence(fit, groups = groups)
  g <- if (case) seq_len(nrow(data)) else data[[groups]]
  del <- if (case) seq_len(nrow(data)) else unique(g)
  fixed <- fixef(fit); V <- as.matrix(vcov(fit))
  # the tight refits of the same deletions, from θ̂ as influence() starts them
  refits <- lapply(del, function(u) {
    d <- data[if (case) -u else g != u, , drop = FALSE]
    m <- suppressWarnings(update(fit, data = d, start = list(theta = getME(fit, "theta")), control = tight))
    units(m)
  })
  tb <- do.call(rbind, lapply(refits, function(r) r$beta))
  tv <- lapply(refits, function(r) r$vcov)
  lb <- unname(infl[[2]]); lv <- lapply(infl[[6]], function(v) unname(as.matrix(v)))
  lf <- formulas(fixed, V, lb, lv)
  list(name = name, formula = paste(deparse(formula, width.cutoff = 500L), collapse = ""), groups = groups, reml = reml,
       weights = weights, deleted = as.character(del),
       full = list(beta = unname(fixed), vcov = unname(V), theta = unname(getME(fit, "theta")), sigma = sigma(fit)),
       lme4 = list(beta = lb, varcov = unname(infl[[4]]), varcovNames = colnames(infl[[4]]), vcov = lv,
                   cooks = as.numeric(cooks.distance(infl)), dfbeta = unname(dfbeta(infl)), # lme4 1.1-31's dfbetas fails for one fixed effect (its vapply returns a vector,
                   # t() of which is 1 × G: "non-conformable arrays"): null there
                   dfbetas = tryCatch(unname(dfbetas(infl)), error = function(e) NULL),
                   converged = as.logical(infl$converged), feval = as.numeric(infl$function.evals),
                   formulasCheck = lf),
       tight = c(list(beta = unname(tb), theta = lapply(refits, function(r) r$theta), sigma = vapply(refits, function(r) r$sigma, 0), vcov = tv,
                      varcov = do.call(rbind, lapply(refits, function(r) r$varcov))),
                 formulas(fixed, V, tb, tv)))
}

cases <- list(
  runCase("sleepstudy_subject", Reaction ~ Days + (Days | Subject), sleep, "Subject"),
  runCase("sleepstudy_case", Reaction ~ Days + (1 | Subject), sleep, "case"),
  runCase("sleepstudy_weighted_ml", Reaction ~ Days + (Days | Subject), sw, "Subject", reml = FALSE, weights = "w"),
  runCase("penicillin_plate", diameter ~ 1 + (1 | plate) + (1 | sample), pen, "plate"),
  runCase("anova_types_factor", y ~ A + x + (1 | g), at, "g"),
  # an offset (subset with the rows), and two terms of one factor (VarCorr's names Subject, Subject.1)
  runCase("sleepstudy_offset", Reaction ~ Days + offset(10 * log(Days + 1)) + (Days | Subject), sleep, "Subject"),
  runCase("sleepstudy_uncorrelated", Reaction ~ Days + (Days || Subject), sleep, "Subject"),
  # nested: deleting a batch leaves its casks (cask:batch levels) without rows, which lme4's refit drops
  runCase("pastes_batch", strength ~ 1 + (1 | batch/cask), pastes, "batch")
)
writeLines(toJSON(list(lme4 = as.character(packageVersion("lme4")), cases = cases), auto_unbox = TRUE, digits = NA, pretty = FALSE, null = "null"), out)
