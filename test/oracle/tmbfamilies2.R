#!/usr/bin/env Rscript
# glmmTMB's binomial, betabinomial, Gamma, tweedie, genpois and truncated_genpois families: references
# from glmmTMB 1.1.5 (test/tmbfamilies2.test.ts, src/zeroinfl). Cases:
#   - a data set constructed here with a seed (test/fixtures/data/tmbfamilies2.csv: 400 rows in 25 groups
#     g, a factor f with levels a, b, c, a covariate x):
#       zero-inflated binomial cbind(s, fl) ~ x + (1 | g), ziformula ~ 1 (trials ntr in 1..12; prop = s / ntr
#       for the proportion-with-weights form);
#       Gamma(link = "log") yga ~ x + (1 | g) with dispformula ~ f (glmmTMB: shape phi, scale mu / phi;
#       sigma() = 1 / sqrt(phi));
#       tweedie(link = "log") ytw ~ x + (1 | g) (power p = 1 + plogis(psi), compound Poisson-gamma draws);
#   - lme4's cbpp (test/fixtures/data/cbpp.csv): betabinomial cbind(incidence, size - incidence) ~ period + (1 | herd);
#   - glmmTMB's Salamanders (test/fixtures/data/salamanders.csv): genpois count ~ mined + (1 | site), and
#     truncated_genpois count ~ mined + (1 | site) with ziformula ~ mined;
#   - zero-inflated betabinomial cbind(s, fl) ~ x + (1 | g) (ziformula ~ 1, the constructed data) and
#     zero-inflated genpois count ~ mined + (1 | site) (ziformula ~ cover, Salamanders; with ~ mined the
#     zero model's minedyes runs off to -Inf).
# For each case, as test/oracle/tmbfamilies.R: glmmTMB's fit (fit$fit$par, glmmTMB's order beta, betazi,
# betad, theta, psi), the objective there and at two points about it, a tight optimum (Newton steps on
# TMB's exact gradient to max|gradient| < 1e-10 where they get there) with optimHess's Hessian,
# logLik/AIC/BIC/df.resid, the summary's tables, sigma, predictions of every type, ranef, Pearson residuals
# (null where glmmTMB stops or gives NA), performance 0.10.2's checks (null where performance stops).
# Usage (from the repository root): Rscript test/oracle/tmbfamilies2.R
suppressPackageStartupMessages({ library(glmmTMB); library(jsonlite); library(performance) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
out <- file.path(root, "test/fixtures/tmbfamilies2")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
source(file.path(here, "tmb_common.R"))

sal <- read.csv(file.path(root, "test/fixtures/data/salamanders.csv"), stringsAsFactors = TRUE)
cbpp <- read.csv(file.path(root, "test/fixtures/data/cbpp.csv"), stringsAsFactors = TRUE)
cbpp$herd <- factor(cbpp$herd); cbpp$period <- factor(cbpp$period)

set.seed(20261207)
G <- 25; m <- 16; n <- G * m
g <- factor(sprintf("g%02d", rep(seq_len(G), each = m)))
f <- factor(rep(c("a", "b", "c"), length.out = n))
x <- round(rnorm(n), 4)
# binomial: trials 1..12, p = plogis(-0.3 + 0.7 x + b), structural zeros with probability 0.2
b1 <- rnorm(G, 0, 0.8)[as.integer(g)]
ntr <- sample(1:12, n, replace = TRUE)
s <- rbinom(n, ntr, plogis(-0.3 + 0.7 * x + b1)) * rbinom(n, 1, 0.8)
# Gamma: mean exp(0.5 + 0.4 x + b), shape by f
b2 <- rnorm(G, 0, 0.5)[as.integer(g)]
shape <- c(a = 2, b = 6, c = 1.2)[as.character(f)]
yga <- rgamma(n, shape = shape, scale = exp(0.5 + 0.4 * x + b2) / shape)
# tweedie (p = 1.5, phi = 1.2): N ~ Poisson(mu^(2-p) / (phi (2-p))), y = sum of N gamma(shape (2-p)/(p-1), scale phi (p-1) mu^(p-1))
b3 <- rnorm(G, 0, 0.6)[as.integer(g)]
mut <- exp(0.2 + 0.5 * x + b3); pw <- 1.5; ph <- 1.2
N <- rpois(n, mut^(2 - pw) / (ph * (2 - pw)))
ytw <- sapply(seq_len(n), function(i) if (N[i] == 0) 0 else sum(rgamma(N[i], shape = (2 - pw) / (pw - 1), scale = ph * (pw - 1) * mut[i]^(pw - 1))))
csv <- file.path(root, "test/fixtures/data/tmbfamilies2.csv")
write.csv(data.frame(g, f, x, s, fl = ntr - s, ntr, prop = signif(s / ntr, 15), yga = signif(yga, 10), ytw = signif(ytw, 10)), csv, row.names = FALSE, quote = FALSE)
syn <- read.csv(csv, stringsAsFactors = TRUE)

cases <- list(
  list(name = "zibinom_x", data = "tmbfamilies2", formula = "cbind(s, fl) ~ x + (1 | g)", zi = "~ 1", disp = "~ 1", family = "binomial"),
  list(name = "betabinom_cbpp", data = "cbpp", formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", zi = "~ 0", disp = "~ 1", family = "betabinomial"),
  list(name = "gamma_disp_f", data = "tmbfamilies2", formula = "yga ~ x + (1 | g)", zi = "~ 0", disp = "~ f", family = "Gamma"),
  list(name = "tweedie_x", data = "tmbfamilies2", formula = "ytw ~ x + (1 | g)", zi = "~ 0", disp = "~ 1", family = "tweedie"),
  list(name = "genpois_mined", data = "salamanders", formula = "count ~ mined + (1 | site)", zi = "~ 0", disp = "~ 1", family = "genpois"),
  list(name = "hurdle_genpois_mined", data = "salamanders", formula = "count ~ mined + (1 | site)", zi = "~ mined", disp = "~ 1", family = "truncated_genpois"),
  list(name = "zibetabinom_x", data = "tmbfamilies2", formula = "cbind(s, fl) ~ x + (1 | g)", zi = "~ 1", disp = "~ 1", family = "betabinomial"),
  list(name = "zigenpois_cover", data = "salamanders", formula = "count ~ mined + (1 | site)", zi = "~ cover", disp = "~ 1", family = "genpois")
)

fam_of <- function(name) switch(name, binomial = binomial(), betabinomial = betabinomial(), Gamma = Gamma(link = "log"),
  tweedie = tweedie(link = "log"), genpois = genpois(), truncated_genpois = truncated_genpois())
tab <- function(m) if (is.null(m)) NULL else list(rownames = rownames(m), estimate = unname(m[, 1]), se = unname(m[, 2]), z = unname(m[, 3]), p = unname(m[, 4]))
try_or_null <- function(expr) tryCatch({ v <- expr; if (length(v) == 0 || any(is.na(v))) NULL else v }, error = function(e) NULL)
dat_of <- function(name) switch(name, salamanders = sal, cbpp = cbpp, tmbfamilies2 = syn)

for (cs in cases) {
  d <- dat_of(cs$data)
  fit <- glmmTMB(as.formula(cs$formula), ziformula = as.formula(cs$zi), dispformula = as.formula(cs$disp), family = fam_of(cs$family), data = d)
  s <- summary(fit)
  nt <- tmbNewton(fit, 30)
  par <- nt$par; fn <- nt$fn; gr <- nt$gr; objective <- nt$objective; tp <- nt$tp
  tight_ok <- max(abs(gr(tp))) < 1e-8 && fn(tp) <= fn(par) + 1e-12
  if (!tight_ok) tp <- par
  tight <- list(par = tp, objective = fn(tp))
  Ht <- optimHess(tight$par, fn, gr)
  vt <- tryCatch(solve(Ht), error = function(e) NULL)
  fn(par)  # leave the object at glmmTMB's optimum
  vc <- VarCorr(fit)$cond
  sdre <- attr(vc[[1]], "stddev")
  re <- ranef(fit)$cond[[1]]
  pred <- function(type) try_or_null(unname(predict(fit, type = type)))
  od <- tryCatch(suppressWarnings(check_overdispersion(fit)), error = function(e) NULL)
  zc <- tryCatch(check_zeroinflation(fit), error = function(e) NULL)
  res <- list(
    name = cs$name, data = cs$data, formula = cs$formula, ziformula = cs$zi, dispformula = cs$disp, family = cs$family,
    par = unname(par), parnames = names(par),
    objective_at_opt = fit$fit$objective, convergence = fit$fit$convergence,
    loglik = as.numeric(logLik(fit)), df = attr(logLik(fit), "df"), aic = AIC(fit), bic = BIC(fit),
    df_resid = df.residual(fit), nobs = nobs(fit),
    cond = tab(s$coefficients$cond), zi = tab(s$coefficients$zi), disp = tab(s$coefficients$disp),
    vcov_full = try_or_null(unname(as.matrix(vcov(fit, full = TRUE)))),
    sd_re = unname(sdre), sigma = try_or_null(sigma(fit)), family_params = try_or_null(unname(family_params(fit))),
    ranef = list(levels = rownames(re), values = unname(re[, 1])),
    predict_response = pred("response"), predict_conditional = pred("conditional"), predict_zprob = pred("zprob"),
    predict_link = pred("link"), predict_zlink = pred("zlink"), predict_disp = pred("disp"),
    pearson = try_or_null(unname(residuals(fit, type = "pearson"))),
    overdispersion = if (is.null(od) || is.na(od$chisq_statistic)) NULL else list(chisq = od$chisq_statistic, ratio = od$dispersion_ratio, rdf = od$residual_df, p = od$p_value),
    zeroinflation = if (is.null(zc) || is.na(zc$predicted.zeros)) NULL else list(predicted = zc$predicted.zeros, observed = zc$observed.zeros, ratio = zc$ratio),
    objective = objective,
    tight = list(ok = tight_ok, par = unname(tight$par), value = tight$objective, se = if (is.null(vt)) NULL else unname(sqrt(diag(vt))), hessian = unname(Ht)),
    printout = capture.output(print(s))
  )
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE, null = "null"), file.path(out, paste0(cs$name, ".json")))
  cat(cs$name, paste(names(par), collapse = ","), "logLik", res$loglik, "tight", tight_ok, -tight$objective, "sigma", res$sigma, "pearson", !is.null(res$pearson), "od", !is.null(res$overdispersion), "zi", !is.null(res$zeroinflation), "\n")
}

# predict(newdata) of every type, with the random effects (a new level at b = 0: allow.new.levels) and
# without (re.form = NA): new rows of the constructed data (test/fixtures/data/tmbfamilies2_newdata.csv:
# levels seen and one new group 'gNEW') and Salamanders' newdata (test/fixtures/data/salamanders_newdata.csv)
nd_syn <- data.frame(g = c("g01", "g07", "gNEW", "g25"), f = c("a", "c", "b", "b"), x = c(-1.2, 0.3, 0.8, 2.1))
write.csv(nd_syn, file.path(root, "test/fixtures/data/tmbfamilies2_newdata.csv"), row.names = FALSE, quote = FALSE)
nd_syn <- read.csv(file.path(root, "test/fixtures/data/tmbfamilies2_newdata.csv"), stringsAsFactors = TRUE)
nd_sal <- read.csv(file.path(root, "test/fixtures/data/salamanders_newdata.csv"), stringsAsFactors = TRUE)
pr <- list()
for (cs in Filter(function(cs) cs$name %in% c("zibinom_x", "gamma_disp_f", "tweedie_x", "genpois_mined", "hurdle_genpois_mined"), cases)) {
  d <- dat_of(cs$data)
  nd <- if (cs$data == "salamanders") nd_sal else nd_syn
  fit <- glmmTMB(as.formula(cs$formula), ziformula = as.formula(cs$zi), dispformula = as.formula(cs$disp), family = fam_of(cs$family), data = d)
  r <- list(par = unname(fit$fit$par))
  for (type in c("response", "conditional", "zprob", "link", "zlink", "disp")) {
    r[[type]] <- unname(predict(fit, newdata = nd, type = type, allow.new.levels = TRUE))
    r[[paste0(type, "_population")]] <- unname(predict(fit, newdata = nd, type = type, re.form = NA, allow.new.levels = TRUE))
  }
  pr[[cs$name]] <- r
}
writeLines(toJSON(pr, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(out, "predict_newdata.json"))

# emmeans 1.8.4 of the betabinomial cbpp fit: the period means on the logit scale and as probabilities
suppressPackageStartupMessages(library(emmeans))
bb <- glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = betabinomial())
e_link <- as.data.frame(emmeans(bb, ~ period))
e_resp <- as.data.frame(emmeans(bb, ~ period, type = "response"))
writeLines(toJSON(list(par = unname(bb$fit$par), link = list(emmean = e_link$emmean, se = e_link$SE, df = e_link$df),
  response = list(columns = names(e_resp), prob = e_resp$prob, se = e_resp$SE)), digits = NA, auto_unbox = TRUE, pretty = TRUE),
  file.path(out, "emmeans_betabinom.json"))

# the objective only (the row kernel's two-predictor form): random effects in the zero model with the new
# families, glmmTMB's objective at its optimum and two points about it. (A zero-inflated genpois with
# ziformula ~ cover + (1 | site) on Salamanders is left out: at glmmTMB's optimum our inner Newton
# iteration for the modes fails — the objective is +Inf there — while at the two points about it the
# objectives agree to 2e-12; glmmTMB warns "false convergence (8)" on it; see the README.)
zre <- list(
  list(name = "zibinom_zire", data = "tmbfamilies2", formula = "cbind(s, fl) ~ x + (1 | g)", zi = "~ x + (1 | g)", disp = "~ 1", family = "binomial"),
  list(name = "hurdle_genpois_zire", data = "salamanders", formula = "count ~ mined + (1 | site)", zi = "~ mined + (1 | site)", disp = "~ 1", family = "truncated_genpois")
)
zr <- list()
for (cs in zre) {
  fit <- glmmTMB(as.formula(cs$formula), ziformula = as.formula(cs$zi), dispformula = as.formula(cs$disp), family = fam_of(cs$family), data = dat_of(cs$data))
  par <- fit$fit$par
  zr[[cs$name]] <- c(cs, list(parnames = names(par), objective = tmbPoints(fit, par)))
}
writeLines(toJSON(zr, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(out, "objective_zire.json"))
