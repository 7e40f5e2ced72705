#!/usr/bin/env Rscript
# multcomp 1.4-22's glht() of nlme's lme and gls, MASS's glmmPQL and glmmTMB 1.1.5 fits (their modelparm:
# modelparm.lme, modelparm.default, modelparm.glmmTMB with its component), for test/glhtFits.test.ts: per case
# the model's β̂ and vcov as multcomp read them (glht's coef and vcov), K (row names, type), the estimates and their covariance,
# the deterministic tests (univariate, holm, Shaffer), single-step and Westfall integrated far past mvtnorm's
# defaults (abseps 1e-5), the Chisq and F global tests (F is multcomp's χ² with a warning where the model has
# no df.residual: lme, gls, glmmPQL), confint's univariate and adjusted intervals, and the printouts.
# Usage (from the repository root): Rscript test/oracle/glht_fits.R test/fixtures/data test/fixtures/glht_fits
suppressMessages({ library(nlme); library(MASS); library(glmmTMB); library(multcomp); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)
PREC <- list(abseps = 1e-5, maxpts = 2e5)
# the fits at tight optima (as the nlme and glmmTMB oracles fit them), so that ours are compared within their fits' tolerances
tight <- lmeControl(maxIter = 500, msMaxIter = 500, tolerance = 1e-10, msTol = 1e-14, niterEM = 0, msMaxEval = 2000)
tightGls <- glsControl(maxIter = 500, msMaxIter = 500, tolerance = 1e-10, msTol = 1e-14)
tightTmb <- glmmTMBControl(optCtrl = list(iter.max = 1e4, eval.max = 1e4, rel.tol = 1e-14))

oats <- read.csv(file.path(dataDir, "Oats.csv")); oats$Block <- factor(oats$Block); oats$Variety <- factor(oats$Variety)
cbpp <- read.csv(file.path(dataDir, "cbpp.csv")); cbpp$period <- factor(cbpp$period); cbpp$herd <- factor(cbpp$herd)
sal <- read.csv(file.path(dataDir, "salamanders.csv")); sal$spp <- factor(sal$spp); sal$mined <- factor(sal$mined); sal$site <- factor(sal$site)

models <- list(
  lme_oats = list(fit = lme(yield ~ nitro + Variety, random = ~ 1 | Block/Variety, data = oats, control = tight),
                  ours = list(kind = "lme", data = "Oats", fixed = "yield ~ nitro + Variety", random = "~ 1 | Block/Variety", method = "REML", factors = c("Block", "Variety"))),
  lme_oats_ml = list(fit = lme(yield ~ nitro + Variety, random = ~ 1 | Block/Variety, data = oats, method = "ML", control = tight),
                     ours = list(kind = "lme", data = "Oats", fixed = "yield ~ nitro + Variety", random = "~ 1 | Block/Variety", method = "ML", factors = c("Block", "Variety"))),
  gls_oats = list(fit = gls(yield ~ nitro + Variety, correlation = corCompSymm(form = ~ 1 | Block), data = oats, control = tightGls),
                  ours = list(kind = "gls", data = "Oats", model = "yield ~ nitro + Variety", correlation = "corCompSymm(form = ~ 1 | Block)", method = "REML", factors = c("Block", "Variety"))),
  pql_cbpp = list(fit = suppressMessages(glmmPQL(cbind(incidence, size - incidence) ~ period, random = ~ 1 | herd, family = binomial, data = cbpp, verbose = FALSE)),
                  ours = list(kind = "glmmPQL", data = "cbpp", fixed = "cbind(incidence, size - incidence) ~ period", random = "~ 1 | herd", family = "binomial", factors = c("herd", "period"))),
  tmb_sal = list(fit = glmmTMB(count ~ spp + mined + (1 | site), ziformula = ~ mined, family = poisson, data = sal, control = tightTmb),
                 ours = list(kind = "glmmTMB", data = "salamanders", formula = "count ~ spp + mined + (1 | site)", ziformula = "~ mined", family = "poisson")),
  tmb_sal_zi = list(fit = glmmTMB(count ~ mined + (1 | site), ziformula = ~ spp, family = poisson, data = sal, control = tightTmb),
                    ours = list(kind = "glmmTMB", data = "salamanders", formula = "count ~ mined + (1 | site)", ziformula = "~ spp", family = "poisson"))
)

# glmmTMB's nlminb stops with a gradient up to ~3e-4 here (singular convergence): Newton steps on TMB's exact
# gradient (optimHess of it) take its parameters to the converged optimum, which ours are compared with
converged <- function(m, component) {
  pp <- m$fit$par
  for (i in 1:20) { g <- m$obj$gr(pp); if (max(abs(g)) < 1e-10) break; pp <- pp - solve(optimHess(pp, m$obj$fn, m$obj$gr), as.numeric(g)) }
  list(beta = unname(pp[names(pp) == (if (component == "zi") "betazi" else "beta")]), gradient = max(abs(m$obj$gr(pp))))
}
capture <- function(x) capture.output(print(x))
cases <- list()
add <- function(name, model, linfct, ..., component = NULL, tests = c("univariate", "holm", "Shaffer", "single-step"), fit = models[[model]]$fit) {
  t0 <- Sys.time(); on.exit(message(name, " ", format(Sys.time() - t0)))
  g <- glht(fit, linfct = linfct, ...)
  res <- list(); prints <- list()
  for (t in tests) {
    test <- if (t == "univariate") univariate() else do.call(adjusted, c(list(type = t), PREC))
    s <- summary(g, test = test)
    res[[t]] <- list(p = unname(as.numeric(s$test$pvalues)), error = if (is.null(attr(s$test$pvalues, "error"))) 0 else attr(s$test$pvalues, "error"))
    prints[[t]] <- capture(s)
  }
  gl <- list()
  for (t in c("Chisq", "F")) {
    w <- NULL  # (a χ² test's df is c(q, stats::df): multcomp's fct leaves its df unset)
    s <- withCallingHandlers(summary(g, test = if (t == "Chisq") Chisqtest() else Ftest()),
                             warning = function(x) { w <<- c(w, conditionMessage(x)); invokeRestart("muffleWarning") })
    gl[[t]] <- list(type = s$test$type, statistic = if (s$test$type == "Chisq") as.numeric(s$test$SSH) else as.numeric(s$test$fstat),
                    df = if (s$test$type == "Chisq") as.numeric(s$test$df[[1]]) else as.numeric(s$test$df), p = as.numeric(s$test$pvalue), warning = w)
    prints[[t]] <- capture(s)
  }
  u <- confint(g, calpha = univariate_calpha())
  a <- confint(g, calpha = do.call(adjusted_calpha, c(PREC, list(ptol = 1e-6, seed = 1))))
  prints[["confint_univariate"]] <- capture(u)
  s1 <- summary(g, test = univariate())
  cases[[length(cases) + 1]] <<- list(
    name = name, model = model, ours = models[[model]]$ours,
    linfct = if (inherits(linfct, "mcp")) list(mcp = unclass(linfct)) else list(K = lapply(seq_len(nrow(linfct)), function(i) unname(linfct[i, ])), rownames = rownames(linfct)),
    component = component,
    beta = unname(g$coef), vcov = lapply(seq_len(nrow(g$vcov)), function(i) unname(g$vcov[i, ])), df = g$df,
    K = lapply(seq_len(nrow(g$linfct)), function(i) unname(g$linfct[i, ])), rownames = rownames(g$linfct), coefnames = colnames(g$linfct),
    rhs = g$rhs, alternative = g$alternative, type = g$type,
    estimate = unname(coef(g)), covariance = lapply(seq_len(nrow(g$linfct)), function(i) unname(vcov(g)[i, ])),
    se = unname(s1$test$sigma), statistic = unname(s1$test$tstat),
    tests = res, global = gl,
    confint = list(univariate = list(quantile = attr(u$confint, "calpha"), lower = unname(u$confint[, "lwr"]), upper = unname(u$confint[, "upr"])),
                   adjusted = list(quantile = attr(a$confint, "calpha"), lower = unname(a$confint[, "lwr"]), upper = unname(a$confint[, "upr"]))),
    prints = prints, print_glht = capture(g),
    converged = if (inherits(models[[model]]$fit, "glmmTMB")) converged(models[[model]]$fit, if (is.null(component)) "cond" else component) else NULL)
}
add("lme_oats_tukey", "lme_oats", mcp(Variety = "Tukey"), tests = c("univariate", "holm", "Shaffer", "single-step", "Westfall"))
add("lme_oats_ml_dunnett", "lme_oats_ml", mcp(Variety = "Dunnett"))
add("gls_oats_tukey", "gls_oats", mcp(Variety = "Tukey"))
add("pql_cbpp_tukey", "pql_cbpp", mcp(period = "Tukey"))
add("tmb_sal_dunnett", "tmb_sal", mcp(spp = "Dunnett"))
# The zero model's hypotheses: glmmTMB 1.1.5's modelparm with component = "zi" stops here (multcomp's
# modelparm.default passes the component to coef.: "unused argument (component = "zi")"), and multcomp's mcp2matrix
# finds only the conditional model's factors; so multcomp's glht of parm(fixef(m)$zi, vcov(m)$zi) — what glmmTMB's
# modelparm reads for the component — with the comparisons as a matrix: each species against the first, Dunnett's
mz <- models$tmb_sal_zi$fit
Kzi <- cbind(0, diag(6)); colnames(Kzi) <- names(fixef(mz)$zi); rownames(Kzi) <- paste(levels(sal$spp)[-1], "-", levels(sal$spp)[1])
add("tmb_sal_zi_dunnett", "tmb_sal_zi", Kzi, component = "zi", fit = parm(fixef(mz)$zi, vcov(mz)$zi))
# a parm has no df.residual (its F is the χ² test); glmmTMB's modelparm would leave glht the fit, whose
# df.residual(mz) multcomp's F test takes: SSH/q on (q, df.residual)
local({
  n <- length(cases); gF <- cases[[n]]$global$Chisq; q <- gF$df; dfr <- df.residual(mz)
  cases[[n]]$global$F <<- list(type = "F", statistic = gF$statistic / q, df = c(q, dfr), p = pf(gF$statistic / q, q, dfr, lower.tail = FALSE), warning = NULL)
  cases[[n]]$prints$F <<- NULL
})
writeLines(toJSON(list(versions = list(multcomp = as.character(packageVersion("multcomp")), nlme = as.character(packageVersion("nlme")), glmmTMB = as.character(packageVersion("glmmTMB")), MASS = as.character(packageVersion("MASS"))), cases = cases), auto_unbox = TRUE, digits = NA, null = "null"), file.path(out, "glht_fits.json"))
