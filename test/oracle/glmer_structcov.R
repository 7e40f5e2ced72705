#!/usr/bin/env Rscript
# glmmTMB 1.1.5's structured covariances of random effects (ar1, cs, diag, us) in GLMMs (binomial
# and Poisson, canonical links), for test/glmerStructcov.test.ts. Usage (from the repository root):
#   Rscript test/oracle/glmer_structcov.R
# Writes test/fixtures/data/glmer_structcov.csv (simulated counts: 80 subjects in 8 sites, 4 equally
# spaced times; y_cs from a compound-symmetry covariance of the subject's per-time effects, y_ar1 from
# an AR(1) one plus a site effect, y_diag from an intercept and a slope in x; t_irr the times 0, 1,
# 2, 5 for ou, glmmTMB's numFactor(t_irr)) and
# test/fixtures/glmer_structcov/glmer_structcov.json: per case glmmTMB's fit (β, its SEs, each term's
# SDs and correlations, its theta ψ, logLik, df, AIC) and, independent of any optimizer, lme4's
# Laplace deviance (glmer's devfun at nAGQ = 1, PIRLS to a tight tolerance) at glmmTMB's optimum:
#   θ = vech(L), L Lᵀ = Σ (no residual σ: binomial and Poisson have none, so glmmTMB's SDs are the
#   absolute SDs of the random effects and lme4's relative covariance factor is Σ's own)
# For the canonical links (logit, log) the exact and the expected Hessian of the conditional
# log-likelihood in u are equal, so lme4's Laplace deviance is glmmTMB's −2 logLik as a function of
# (θ, β): both are recorded (laplace_lme4 and m2loglik).
# The us case: glmmTMB's us(1 + x | subject) and lme4's glmer (1 + x | subject) (tight tolerances).
# Needs: R with glmmTMB (1.1.5), lme4 and jsonlite.
suppressMessages({ library(glmmTMB); library(lme4); library(jsonlite) })
root <- "test/fixtures"
set.seed(20261207)
nsub <- 80; nt <- 4; nsite <- 8
d <- expand.grid(time = 0:(nt - 1), subject = 1:nsub)
d$site <- paste0("s", (d$subject - 1) %% nsite + 1)
d$subject <- sprintf("id%02d", d$subject)
d$x <- round(rnorm(nrow(d)), 3)
site_eff <- rnorm(nsite, sd = 0.4); names(site_eff) <- paste0("s", 1:nsite)
draw <- function(S) { L <- t(chol(S)); as.vector(do.call(cbind, lapply(1:nsub, function(i) L %*% rnorm(nt)))) }
S_cs <- outer(c(0.5, 0.6, 0.7, 0.8), c(0.5, 0.6, 0.7, 0.8)) * (0.5 + 0.5 * diag(nt))
S_ar1 <- 0.6^2 * 0.7^abs(outer(0:3, 0:3, "-"))
eta0 <- 0.8 + 0.15 * d$time + 0.3 * d$x
d$y_cs <- rpois(nrow(d), exp(eta0 + draw(S_cs)))
d$y_ar1 <- rpois(nrow(d), exp(eta0 + draw(S_ar1) + site_eff[d$site]))
a <- rnorm(nsub, sd = 0.5); s <- rnorm(nsub, sd = 0.3)
d$y_diag <- rpois(nrow(d), exp(eta0 + rep(a, each = nt) + rep(s, each = nt) * d$x))
# irregular times for ou (3 → 5: 0, 1, 2, 5), no draw
d$t_irr <- ifelse(d$time == 3, 5, d$time)
write.csv(d[, c("subject", "site", "time", "x", "y_cs", "y_ar1", "y_diag", "t_irr")], file.path(root, "data", "glmer_structcov.csv"), row.names = FALSE)

sim <- read.csv(file.path(root, "data", "glmer_structcov.csv"), stringsAsFactors = TRUE)
sim$timef <- factor(sim$time)
sim$t_irrf <- factor(sim$t_irr)
sim$times <- numFactor(sim$t_irr)
cbpp <- read.csv(file.path(root, "data", "cbpp.csv"), stringsAsFactors = TRUE)
cbpp$herd <- factor(cbpp$herd); cbpp$period <- factor(cbpp$period)
stopifnot(identical(levels(cbpp$period), c("1", "2", "3", "4")))   # equally spaced times, consecutive

# formula: glmmTMB's; ts: ours (factor(time) in place of the data frame's timef); lme4: the same Z as
# an unstructured term (for lme4's devfun at glmmTMB's Σ)
cases <- list(
  list(name = "cbpp_ar1", data = "cbpp.csv", family = "binomial",
       formula = "cbind(incidence, size - incidence) ~ period + ar1(0 + period | herd)",
       ts = "cbind(incidence, size - incidence) ~ period + ar1(0 + period | herd)",
       lme4 = "cbind(incidence, size - incidence) ~ period + (0 + period | herd)"),
  list(name = "pois_cs", data = "glmer_structcov.csv", family = "poisson",
       formula = "y_cs ~ time + x + cs(0 + timef | subject)",
       ts = "y_cs ~ time + x + cs(0 + factor(time) | subject)",
       lme4 = "y_cs ~ time + x + (0 + timef | subject)"),
  list(name = "pois_diag", data = "glmer_structcov.csv", family = "poisson",
       formula = "y_diag ~ time + x + diag(1 + x | subject)",
       ts = "y_diag ~ time + x + diag(1 + x | subject)",
       lme4 = "y_diag ~ time + x + (1 + x | subject)"),
  list(name = "pois_ar1_site", data = "glmer_structcov.csv", family = "poisson",
       formula = "y_ar1 ~ time + x + ar1(0 + timef | subject) + (1 | site)",
       ts = "y_ar1 ~ time + x + ar1(0 + factor(time) | subject) + (1 | site)",
       lme4 = "y_ar1 ~ time + x + (0 + timef | subject) + (1 | site)"),
  list(name = "pois_toep", data = "glmer_structcov.csv", family = "poisson",
       formula = "y_cs ~ time + x + toep(0 + timef | subject)",
       ts = "y_cs ~ time + x + toep(0 + factor(time) | subject)",
       lme4 = "y_cs ~ time + x + (0 + timef | subject)"),
  list(name = "pois_ou", data = "glmer_structcov.csv", family = "poisson",
       formula = "y_ar1 ~ time + x + ou(times + 0 | subject)",
       ts = "y_ar1 ~ time + x + ou(0 + factor(t_irr) | subject)",
       lme4 = "y_ar1 ~ time + x + (0 + t_irrf | subject)")
)
# glmmTMB to a tight relative tolerance: nlminb then ends each fit with "singular convergence (7)"
# (recorded as convergence = 1), at a point where sdreport's Hessian is positive definite (pdHess) and
# whose −2ℓ our optimum matches or lowers by ≤ 1.2e-8 (test/glmerStructcov.test.ts)
tight <- glmmTMBControl(optCtrl = list(iter.max = 1e4, eval.max = 1e4, rel.tol = 1e-12))

terms_of <- function(fit) {
  vc <- VarCorr(fit)$cond
  lapply(names(vc), function(g) {
    S <- vc[[g]]
    list(group = g, names = colnames(S), sd = unname(attr(S, "stddev")), corr = unname(attr(S, "correlation")), cov = unname(as.matrix(S)))
  })
}

# lme4's Laplace deviance (nAGQ = 1) at θ = vech(chol(Σ)) of each term in lme4's order and β
laplace_lme4 <- function(cs, dat, fit) {
  fam <- if (cs$family == "binomial") binomial() else poisson()
  devf <- glmer(as.formula(cs$lme4), data = dat, family = fam, nAGQ = 1, devFunOnly = TRUE,
                control = glmerControl(tolPwrss = 1e-13, check.nobs.vs.nRE = "ignore"))
  vc <- VarCorr(fit)$cond
  lf <- glFormula(as.formula(cs$lme4), data = dat, family = fam, control = glmerControl(check.nobs.vs.nRE = "ignore"))
  cnms <- lf$reTrms$cnms
  theta <- unlist(lapply(seq_along(cnms), function(k) {
    # (ou's columns are numFactor's, times(0) …, in the order of t_irrf's levels)
    S <- as.matrix(vc[[names(cnms)[k]]]); stopifnot(ncol(S) == length(cnms[[k]]), identical(colnames(S), cnms[[k]]) || grepl("^times", colnames(S)[1]))
    L <- t(chol(S)); L[lower.tri(L, diag = TRUE)]
  }))
  list(theta = theta, value = devf(c(theta, unname(fixef(fit)$cond))))
}

out <- list()
for (cs in cases) {
  dat <- if (cs$data == "cbpp.csv") cbpp else sim
  fam <- if (cs$family == "binomial") binomial() else poisson()
  fit <- glmmTMB(as.formula(cs$formula), data = dat, family = fam, control = tight)
  lap <- laplace_lme4(cs, dat, fit)
  pars <- fit$fit$par
  out[[cs$name]] <- list(
    name = cs$name, data = cs$data, family = cs$family, formula = cs$formula, ts = cs$ts,
    beta = unname(fixef(fit)$cond), xnames = names(fixef(fit)$cond),
    se = unname(sqrt(diag(vcov(fit)$cond))),
    psi = unname(pars[names(pars) == "theta"]),
    terms = terms_of(fit),
    logLik = as.numeric(logLik(fit)), m2loglik = -2 * as.numeric(logLik(fit)),
    df = attr(logLik(fit), "df"), AIC = AIC(fit), BIC = BIC(fit), nobs = nobs(fit),
    laplace_lme4 = lap$value, theta_lme4 = lap$theta,
    convergence = fit$fit$convergence, pdHess = fit$sdr$pdHess
  )
  cat(cs$name, "logLik", as.numeric(logLik(fit)), "-2ll", -2 * as.numeric(logLik(fit)), "lme4 laplace", lap$value, "\n")
}

# us(1 + x | subject) in glmmTMB against lme4's glmer (1 + x | subject)
us_tmb <- glmmTMB(y_diag ~ time + x + us(1 + x | subject), data = sim, family = poisson(), control = tight)
us_lme4 <- glmer(y_diag ~ time + x + (1 + x | subject), data = sim, family = poisson(),
  control = glmerControl(optimizer = "nloptwrap", tolPwrss = 1e-13,
    optCtrl = list(ftol_abs = 1e-14, ftol_rel = 1e-15, xtol_abs = 1e-12, xtol_rel = 1e-14)))
us <- list(
  ts = "y_diag ~ time + x + us(1 + x | subject)", lme4_ts = "y_diag ~ time + x + (1 + x | subject)",
  lme4 = list(beta = unname(fixef(us_lme4)), theta = unname(getME(us_lme4, "theta")), se = unname(sqrt(diag(as.matrix(vcov(us_lme4))))),
              m2loglik = -2 * as.numeric(logLik(us_lme4)), df = attr(logLik(us_lme4), "df")),
  glmmTMB = list(beta = unname(fixef(us_tmb)$cond), m2loglik = -2 * as.numeric(logLik(us_tmb)), terms = terms_of(us_tmb))
)
cat("us: lme4", us$lme4$m2loglik, "glmmTMB", us$glmmTMB$m2loglik, "\n")
write(toJSON(list(glmmTMB = as.character(packageVersion("glmmTMB")), lme4 = as.character(packageVersion("lme4")), cases = out, us = us),
             auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(root, "glmer_structcov", "glmer_structcov.json"))
