#!/usr/bin/env Rscript
# lme4 1.1-31's drop1(glmerFit, test = "Chisq") (lme4:::drop1.merMod: each marginal fixed-effects
# term of drop.scope dropped in turn, the model refitted by update(fit, ~ . - term), the table of
# npar, AIC, LRT = Δ(−2ℓ), Pr(Chi)) and influence(glmerFit, groups) (lme4:::influence.merMod: the fit
# without each level, refitted from start = list(theta = θ̂, fixef = β̂)), for test/glmerDrop1.test.ts
# and test/glmerInfluence.test.ts.
#
# Two references per case, as test/oracle/glmer_tight.R explains for glmer fits:
#   lme4:  drop1() / influence() themselves. drop1's refits inherit the fit's control (update keeps
#          it): here glmerControl(tolPwrss = 1e-12, BOBYQA then nloptwrap, tight); their −2ℓ still
#          carries the Laplace error of a Cholesky factor L one PIRLS step behind the mode (~1e-5).
#          influence() overrides the control with glmerControl(optCtrl = list(maxfun = 1000)):
#          lme4's default tolerances (tolPwrss 1e-7, Nelder–Mead's stage 2), so its refits stop early.
#   exact: every model (the full one, each reduced one, each case-deleted one) at the optimum of the
#          exact Laplace (or AGQ) deviance: glmer's deviance function followed by further PIRLS passes
#          until the value settles (glmerLaplace with tolPwrss 1e-12), minimized by nloptwrap to
#          ftol_abs 1e-13, xtol_abs 1e-10 from the tight glmer fit; Var(β̂) from the Hessian of that
#          deviance (lme4's deriv12), as vcov() of a glmer fit. drop1's table and influence's formulas
#          (lme4 1.1-31 R/methods.R) are applied to these.
# Usage (from the repository root): Rscript test/oracle/glmer_drop1.R test/fixtures/data test/fixtures/glmer-drop1
# Needs: apt-get install r-cran-lme4 r-cran-jsonlite
suppressMessages({ library(lme4); library(jsonlite) })
# settle, exact_devfun, exact_optimum, TIGHT_LMER
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "exact_laplace.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)
rd <- function(f) read.csv(file.path(dataDir, f), stringsAsFactors = TRUE)

tight <- glmerControl(tolPwrss = 1e-12, optimizer = c("bobyqa", "nloptwrap"), optCtrl = TIGHT_LMER)

# generated data (fixed seeds), written as fixtures so the tests read the same rows
set.seed(20261205)
G <- 30; m <- 8
bi <- data.frame(g = factor(rep(sprintf("g%02d", 1:G), each = m)), x1 = round(rnorm(G * m), 3),
                 f = factor(sample(c("a", "b", "c"), G * m, replace = TRUE)), x2 = round(runif(G * m, -1, 1), 3))
eta <- with(bi, -0.3 + 0.8 * x1 + c(a = 0, b = 0.5, c = -0.4)[as.character(f)] + 0.6 * x1 * (f == "b") + 0.7 * x2 + rnorm(G, sd = 0.9)[as.integer(g)])
bi$y <- rbinom(G * m, 1, plogis(eta))
write.csv(bi, file.path(dataDir, "binomial_interaction.csv"), row.names = FALSE)
set.seed(7)
G <- 12; m <- 10
po <- data.frame(site = factor(sprintf("s%02d", rep(1:G, each = m))), x = round(rnorm(G * m), 3),
                 trt = factor(sample(c("ctl", "low", "high"), G * m, replace = TRUE), levels = c("ctl", "low", "high")),
                 exposure = round(runif(G * m, 0.5, 3), 2))
po$count <- with(po, rpois(G * m, exposure * exp(0.4 + 0.3 * x + c(ctl = 0, low = 0.2, high = 0.5)[as.character(trt)] + rnorm(G, sd = 0.5)[as.integer(site)])))
write.csv(po, file.path(dataDir, "poisson_offset.csv"), row.names = FALSE)

gam <- rd("../gamma/gamma_log.csv"); gam$g <- factor(gam$g)
ticks <- rd("grouseticks.csv"); for (v in c("YEAR", "LOCATION")) ticks[[v]] <- factor(ticks[[v]])
cbpp <- rd("cbpp.csv"); cbpp$herd <- factor(cbpp$herd); cbpp$period <- factor(cbpp$period)
bi <- rd("binomial_interaction.csv"); po <- rd("poisson_offset.csv")
# (the factors' levels in R's default order, as a CSV reader sorts them)

# the exact optimum of a glmer fit (see the header): θ, β, −2ℓ, Var(β̂) from the Hessian
exactOpt <- function(fit, env = parent.frame()) {
  nAGQ <- fit@devcomp$dims[["nAGQ"]]
  # the fit's call evaluated where the fit was made (its data)
  dev <- eval(update(fit, devFunOnly = TRUE, evaluate = FALSE), envir = env)
  exact <- if (nAGQ > 1) dev else exact_devfun(dev)
  # a point where PIRLS does not converge (the negative binomial's far steps) is no optimum
  safe <- function(x) tryCatch(exact(x), error = function(e) 1e10)
  o <- exact_optimum(safe, as.numeric(getME(fit, "theta")), as.numeric(fixef(fit)), getME(fit, "lower"))
  list(theta = o$theta, beta = o$beta, deviance = o$value, vcov = o$vcov,
       npar = attr(logLik(fit), "df"), glmerDeviance = as.numeric(-2 * logLik(fit)))
}

# ---- drop1 ----
# control "default": glmer's default control (the negative binomial's Fisher scoring does not reach
# tolPwrss 1e-12 in the reduced fits: "pwrssUpdate did not converge"); its lme4 table then carries
# glmer's default PIRLS error, and the exact optima start from the default fits
drop1Case <- function(name, file, data, formula, family, factors, nAGQ = 1L, weights = NULL, theta = NULL, control = "tight") {
  famName <- if (is.null(theta)) family$family else "negative.binomial"
  fo <- as.formula(formula)
  data$.w <- if (is.null(weights)) 1 else data[[weights]]
  ctrl <- if (control == "tight") tight else glmerControl()
  fit <- glmer(fo, data = data, family = family, nAGQ = nAGQ, weights = .w, control = ctrl)
  tab <- drop1(fit, test = "Chisq")
  none <- drop1(fit)
  scope <- rownames(tab)[-1]
  if (nAGQ == 0L) {
    # nAGQ = 0: lme4's table alone (its −2ℓ is the Laplace deviance at stage 1's optimum, β from PIRLS;
    # the exact optimization below is of stage 2's deviance)
    cat(name, "LRT lme4", format(tab$LRT[-1], digits = 10), "\n")
    return(list(name = name, data = file, formula = formula, family = famName, theta = theta, control = control, link = family$link, nAGQ = nAGQ,
                weights = weights, factors = I(factors), scope = I(scope),
                lme4 = list(npar = I(tab$npar[-1]), AIC = I(tab$AIC), LRT = I(tab$LRT[-1]), p = I(tab[["Pr(Chi)"]][-1]),
                            noneAIC = I(none$AIC), heading = I(attr(tab, "heading")),
                            printed = I(capture.output(print(tab))), printedNone = I(capture.output(print(none))))))
  }
  full <- exactOpt(fit)
  reduced <- lapply(scope, function(tt) exactOpt(update(fit, as.formula(paste("~ . -", tt)))))
  npar <- full$npar - vapply(reduced, function(r) r$npar, 0)
  lrt <- vapply(reduced, function(r) r$deviance, 0) - full$deviance
  cat(name, "LRT lme4", format(tab$LRT[-1], digits = 10), "exact", format(lrt, digits = 10), "\n")
  list(name = name, data = file, formula = formula, family = famName, theta = theta, control = control, link = family$link, nAGQ = nAGQ,
       weights = weights, factors = I(factors), scope = I(scope),
       lme4 = list(npar = I(tab$npar[-1]), AIC = I(tab$AIC), LRT = I(tab$LRT[-1]), p = I(tab[["Pr(Chi)"]][-1]),
                   noneAIC = I(none$AIC), heading = I(attr(tab, "heading")),
                   printed = I(capture.output(print(tab))), printedNone = I(capture.output(print(none)))),
       exact = list(full = full, reduced = reduced, npar = I(npar), AIC = I(c(full$deviance + 2 * full$npar, vapply(reduced, function(r) r$deviance + 2 * r$npar, 0))),
                    LRT = I(lrt), p = I(pchisq(lrt, npar, lower.tail = FALSE))))
}

binom <- binomial(); pois <- poisson()
drop1Cases <- list(
  drop1Case("cbpp_period", "cbpp.csv", cbpp, "cbind(incidence, size - incidence) ~ period + (1 | herd)", binom, c("herd", "period")),
  drop1Case("cbpp_probit", "cbpp.csv", cbpp, "cbind(incidence, size - incidence) ~ period + (1 | herd)", binomial(link = "probit"), c("herd", "period")),
  drop1Case("cbpp_agq", "cbpp.csv", cbpp, "cbind(incidence, size - incidence) ~ period + (1 | herd)", binom, c("herd", "period"), nAGQ = 5L),
  drop1Case("cbpp_nagq0", "cbpp.csv", cbpp, "cbind(incidence, size - incidence) ~ period + (1 | herd)", binom, c("herd", "period"), nAGQ = 0L),
  drop1Case("cbpp_proportion_weights", "cbpp.csv", cbpp, "incidence / size ~ period + (1 | herd)", binom, c("herd", "period"), weights = "size"),
  drop1Case("binomial_interaction", "binomial_interaction.csv", bi, "y ~ x1 * f + x2 + (1 | g)", binom, character(0)),
  # aliased columns: lme4 drops I(x1 + x2) and I(2 * x1) from the full design and one column from each
  # reduced one, so every npar is 0 (Pr(Chi) NA) and each LRT is 0 up to the optimizer
  drop1Case("binomial_aliased", "binomial_interaction.csv", bi, "y ~ x1 + x2 + I(x1 + x2) + I(2 * x1) + (1 | g)", binom, character(0)),
  # a family with a scale (npar counts σ) and the negative binomial at a fixed size
  drop1Case("gamma_log", "../gamma/gamma_log.csv", gam, "y ~ x + (1 | g)", Gamma(link = "log"), c("g")),
  drop1Case("negbin_theta2", "grouseticks.csv", ticks, "TICKS ~ YEAR + scale(HEIGHT) + (1 | LOCATION)", MASS::negative.binomial(2), c("YEAR", "LOCATION"), theta = 2, control = "default"),
  drop1Case("poisson_offset", "poisson_offset.csv", po, "count ~ x + trt + offset(log(exposure)) + (1 | site)", pois, character(0))
)
writeLines(toJSON(list(R = R.version.string, lme4 = as.character(packageVersion("lme4")), cases = drop1Cases),
                  auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE), file.path(out, "drop1.json"))

# ---- influence ----
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "influence_formulas.R"))
# var.cov.comps at θ (σ = 1): each term's covariance's lower triangle by columns
varcovAt <- function(fit, theta) {
  fit@theta <- theta
  c(1, unlist(lapply(VarCorr(fit), function(V) V[lower.tri(V, diag = TRUE)])))
}

influenceCase <- function(name, file, data, formula, family, factors, groups, wcol = NULL, nAGQ = 1L) {
  fo <- as.formula(formula)
  data$.w <- if (is.null(wcol)) 1 else data[[wcol]]
  # the call with its values written in (influence's update evaluates it again elsewhere)
  fam <- call(family$family, link = family$link)
  fit <- eval(bquote(glmer(.(fo), data = data, family = .(fam), weights = .w, nAGQ = .(nAGQ), control = tight)))
  # groups "case": each observation (influence() without groups, units R's row names)
  case <- identical(groups, "case")
  infl <- if (case) influence(fit) else influence(fit, groups = groups)
  full <- exactOpt(fit)
  del <- if (case) seq_len(nrow(data)) else unique(data[[groups]])
  refits <- lapply(del, function(u) {
    d <- data[if (case) -u else data[[groups]] != u, , drop = FALSE]
    m <- suppressWarnings(eval(bquote(glmer(.(fo), data = d, family = .(fam), weights = .w, nAGQ = .(nAGQ), control = tight,
                                            start = list(theta = .(getME(fit, "theta")), fixef = .(fixef(fit)))))))
    e <- exactOpt(m)
    e$varcov <- varcovAt(m, e$theta)
    e
  })
  tb <- do.call(rbind, lapply(refits, function(r) r$beta))
  tv <- lapply(refits, function(r) r$vcov)
  lb <- unname(infl[[2]]); lv <- lapply(infl[[6]], function(v) unname(as.matrix(v)))
  list(name = name, data = file, formula = formula, family = family$family, link = family$link, weights = wcol,
       nAGQ = nAGQ, factors = I(factors), groups = groups, deleted = I(as.character(del)),
       full = list(beta = unname(fixef(fit)), vcov = unname(as.matrix(vcov(fit))), theta = unname(getME(fit, "theta")),
                   exact = full),
       lme4 = list(beta = lb, varcov = unname(infl[[4]]), varcovNames = colnames(infl[[4]]), vcov = lv,
                   cooks = as.numeric(cooks.distance(infl)), dfbeta = unname(dfbeta(infl)), dfbetas = unname(dfbetas(infl)),
                   converged = as.logical(infl$converged), feval = as.numeric(infl$function.evals)),
       exact = c(list(beta = unname(tb), theta = lapply(refits, function(r) r$theta), vcov = tv,
                      varcov = do.call(rbind, lapply(refits, function(r) r$varcov))),
                 formulas(full$beta, full$vcov, tb, tv)))
}
inflCases <- list(
  influenceCase("cbpp_herd", "cbpp.csv", cbpp, "cbind(incidence, size - incidence) ~ period + (1 | herd)", binom, c("herd", "period"), "herd"),
  influenceCase("cbpp_herd_agq", "cbpp.csv", cbpp, "cbind(incidence, size - incidence) ~ period + (1 | herd)", binom, c("herd", "period"), "herd", nAGQ = 5L),
  influenceCase("cbpp_case", "cbpp.csv", cbpp, "cbind(incidence, size - incidence) ~ period + (1 | herd)", binom, c("herd", "period"), "case"),
  influenceCase("poisson_site", "poisson_offset.csv", po, "count ~ x + trt + offset(log(exposure)) + (1 | site)", pois, character(0), "site")
)
writeLines(toJSON(list(R = R.version.string, lme4 = as.character(packageVersion("lme4")), cases = inflCases),
                  auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE), file.path(out, "influence.json"))
