#!/usr/bin/env Rscript
# lme4 1.1-31's case-deletion influence (influence.merMod) of models with data-dependent terms —
# scale(x), poly(x, 2), ns(x, df = 3), bs(x, df = 4) — for test/influenceDataTerms.test.ts.
#
# What lme4 does: influence.merMod refits each deletion by
#   update(model, data = data, subset = (.groups != del), start = par, control = control)
# i.e. with `subset`, not with the data cut down. R's model.frame evaluates the formula's variables
# (scale(Days), poly(Days, 2), …) on the whole `data` and only then applies `subset` (stats'
# model.frame.default: eval(predvars, data) before the C-level subset), so each refit keeps the full
# data's centre and scale, poly coefficients and spline knots: β̂₋ᵢ is in β̂'s coordinates.
#
# Per case:
#   lme4:    influence(fit, groups) itself (refits stopped at lmerControl/glmerControl defaults with
#            maxfun = 1000, from θ̂).
#   tight:   the same deletions as lme4 makes them (update(fit, data = data, subset = kept)), refitted
#            from θ̂ to tight tolerances (lmer: minqa's BOBYQA to rhoend 1e-10; glmer: the exact
#            Laplace optimum of exact_laplace.R, Var(β̂₋ᵢ) from its Hessian), and lme4's formulas.
#   rebuilt: β̂₋ᵢ of the refit on the data cut down (update(fit, data = data[kept, ])), where the terms
#            are evaluated on the kept rows only (new centre/scale, basis, knots): NOT lme4's
#            influence(); kept so the test shows that the two differ (it would catch a switch to it).
# Usage (from the repository root):
#   Rscript test/oracle/influence_data_terms.R test/fixtures/data test/fixtures/influence/data_terms.json
suppressMessages({ library(lme4); library(splines); library(jsonlite) })
# exact_devfun, exact_optimum, TIGHT_LMER
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "exact_laplace.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
rd <- function(f) read.csv(file.path(dataDir, f), stringsAsFactors = TRUE)
tightLmer <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10, maxfun = 1e5))
tightGlmer <- glmerControl(tolPwrss = 1e-12, optimizer = c("bobyqa", "nloptwrap"), optCtrl = TIGHT_LMER)

sleep <- rd("sleepstudy.csv"); sleep$Subject <- factor(sleep$Subject)
cbpp <- rd("cbpp.csv"); cbpp$herd <- factor(cbpp$herd); cbpp$period <- factor(cbpp$period)
po <- rd("poisson_offset.csv")
at <- rd("anova_types.csv")
# sleepstudy with Reaction missing on days 7-9 of the first 6 subjects (18 rows), written as a fixture:
# R evaluates scale(Days) on all 180 rows (before na.omit, and before influence's subset)
sleepNa <- sleep
sleepNa$Reaction[as.integer(sleepNa$Subject) <= 6 & sleepNa$Days >= 7] <- NA
write.csv(sleepNa, file.path(dataDir, "sleepstudy_na.csv"), row.names = FALSE)
sleepNa <- rd("sleepstudy_na.csv"); sleepNa$Subject <- factor(sleepNa$Subject)

source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "influence_formulas.R"))
# var.cov.comps: σ², then each VarCorr matrix's lower triangle by columns (σ = 1 for binomial, Poisson)
varcov <- function(fit, theta = getME(fit, "theta")) {
  fit@theta <- as.numeric(theta)
  s <- if (isGLMM(fit)) 1 else sigma(fit)
  c(s^2, unlist(lapply(VarCorr(fit), function(V) V[lower.tri(V, diag = TRUE)])))
}

runCase <- function(name, file, data, formula, groups, factors, family = NULL) {
  fo <- as.formula(formula)
  glmm <- !is.null(family)
  fam <- if (glmm) call(family$family, link = family$link)
  fit <- if (glmm) eval(bquote(glmer(.(fo), data = data, family = .(fam), control = tightGlmer)))
         else eval(bquote(lmer(.(fo), data = data, control = tightLmer)))
  case <- identical(groups, "case")
  infl <- if (case) influence(fit) else influence(fit, groups = groups)
  g <- if (case) seq_len(nrow(data)) else data[[groups]]
  del <- if (case) seq_len(nrow(data)) else unique(g)
  start <- if (glmm) list(theta = getME(fit, "theta"), fixef = fixef(fit)) else list(theta = getME(fit, "theta"))
  full <- if (glmm) { e <- exact_at(fit, environment()); list(beta = e$beta, vcov = e$vcov, theta = e$theta, sigma = 1) }
          else list(beta = unname(fixef(fit)), vcov = unname(as.matrix(vcov(fit))), theta = unname(getME(fit, "theta")), sigma = sigma(fit))
  refits <- lapply(del, function(u) {
    kept <- if (case) seq_len(nrow(data)) != u else g != u
    dk <- data; dk$.keep <- kept
    # lme4's deletion: the whole data, subset to the kept rows (the terms evaluated on all rows)
    m <- suppressWarnings(update(fit, data = dk, subset = .keep, start = start, control = if (glmm) tightGlmer else tightLmer))
    # the data cut down (the terms evaluated on the kept rows): not lme4's influence()
    r <- suppressWarnings(update(fit, data = data[kept, , drop = FALSE], start = start, control = if (glmm) tightGlmer else tightLmer))
    if (glmm) {
      e <- exact_at(m, environment())
      list(beta = e$beta, theta = e$theta, sigma = 1, vcov = e$vcov, varcov = unname(varcov(m, e$theta)), rebuilt = unname(fixef(r)))
    } else {
      list(beta = unname(fixef(m)), theta = unname(getME(m, "theta")), sigma = sigma(m), vcov = unname(as.matrix(vcov(m))),
           varcov = unname(varcov(m)), rebuilt = unname(fixef(r)))
    }
  })
  tb <- do.call(rbind, lapply(refits, function(r) r$beta))
  tv <- lapply(refits, function(r) r$vcov)
  lb <- unname(infl[[2]]); lv <- lapply(infl[[6]], function(v) unname(as.matrix(v)))
  list(name = name, data = file, formula = formula, groups = groups, factors = I(factors),
       family = if (glmm) family$family else NULL, link = if (glmm) family$link else NULL,
       deleted = I(as.character(del)), xnames = I(names(fixef(fit))), full = full,
       lme4 = list(beta = lb, varcov = unname(infl[[4]]), varcovNames = colnames(infl[[4]]), vcov = lv,
                   cooks = as.numeric(cooks.distance(infl)), dfbeta = unname(dfbeta(infl)),
                   dfbetas = tryCatch(unname(dfbetas(infl)), error = function(e) NULL)),
       tight = c(list(beta = unname(tb), theta = lapply(refits, function(r) r$theta), sigma = vapply(refits, function(r) r$sigma, 0),
                      vcov = tv, varcov = do.call(rbind, lapply(refits, function(r) r$varcov))),
                 formulas(full$beta, full$vcov, tb, tv)),
       rebuilt = list(beta = do.call(rbind, lapply(refits, function(r) r$rebuilt))))
}
# the exact Laplace optimum (exact_laplace.R) of a glmer fit, its call evaluated in `env`
exact_at <- function(fit, env) {
  dev <- eval(update(fit, devFunOnly = TRUE, evaluate = FALSE), envir = env)
  o <- exact_optimum(exact_devfun(dev), as.numeric(getME(fit, "theta")), as.numeric(fixef(fit)), getME(fit, "lower"))
  list(theta = o$theta, beta = o$beta, vcov = o$vcov)
}

binom <- list(family = "binomial", link = "logit"); pois <- list(family = "poisson", link = "log")
cases <- list(
  runCase("sleep_scale_subject", "sleepstudy.csv", sleep, "Reaction ~ scale(Days) + (scale(Days) | Subject)", "Subject", "Subject"),
  runCase("sleep_scale_case", "sleepstudy.csv", sleep, "Reaction ~ scale(Days) + (1 | Subject)", "case", "Subject"),
  # rows with a missing response: the centre and scale over all 180 Days, each refit on the complete kept rows
  runCase("sleep_na_scale_subject", "sleepstudy_na.csv", sleepNa, "Reaction ~ scale(Days) + (scale(Days) | Subject)", "Subject", "Subject"),
  runCase("sleep_poly_subject", "sleepstudy.csv", sleep, "Reaction ~ poly(Days, 2) + (1 | Subject)", "Subject", "Subject"),
  # a continuous x (sleepstudy's Days is the same 0…9 in every Subject: its knots would not move)
  runCase("anova_types_ns_g", "anova_types.csv", at, "y ~ A + ns(x, df = 3) + (1 | g)", "g", character(0)),
  runCase("anova_types_bs_g", "anova_types.csv", at, "y ~ bs(x, df = 4) + (1 | g)", "g", character(0)),
  runCase("anova_types_scale_case", "anova_types.csv", at, "y ~ A * scale(x) + (scale(x) | g)", "case", character(0)),
  runCase("cbpp_scale_herd", "cbpp.csv", cbpp, "cbind(incidence, size - incidence) ~ period + scale(size) + (1 | herd)", "herd", c("herd", "period"), binom),
  runCase("poisson_poly_site", "poisson_offset.csv", po, "count ~ poly(x, 2) + offset(log(exposure)) + (1 | site)", "site", character(0), pois)
)
writeLines(toJSON(list(lme4 = as.character(packageVersion("lme4")), cases = cases), auto_unbox = TRUE, digits = NA, pretty = FALSE, null = "null"), out)
