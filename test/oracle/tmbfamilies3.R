#!/usr/bin/env Rscript
# glmmTMB's Conway–Maxwell–Poisson family compois (and truncated_compois): references from glmmTMB 1.1.5
# (test/tmbfamilies3.test.ts, src/zeroinfl/compois.ts). glmmTMB's compois is mean-parametrized: log μ = η,
# ν = 1/φ (φ = exp(betad)), P(y) = λ^y / (y!)^ν / Z(λ, ν) with λ solved from E[y] = μ (TMB's
# compois_calc_loglambda). Data constructed here with a seed (test/fixtures/data/tmbfamilies3.csv: 400 rows
# in 25 groups g, a covariate x), the counts drawn by inverting the CMP distribution function:
#   yu: under-dispersed, ν = 2.5 (φ = 0.4), log μ = 0.8 + 0.5 x + b, b ~ N(0, 0.5²);
#   yo: over-dispersed,  ν = 0.6 (φ ≈ 1.67), log μ = 0.6 + 0.4 x + b, b ~ N(0, 0.4²);
#   yz: yu-like (ν = 1.8) with structural zeros of probability 0.25;
#   yd: ν varying with x: log φ = −0.5 + 0.6 x (dispformula ~ x).
# Cases: compois yu ~ x + (1 | g); compois yo ~ x + (1 | g); zero-inflated compois yz ~ x + (1 | g) with
# ziformula ~ 1; truncated_compois (hurdle) yz ~ x + (1 | g) with ziformula ~ 1; compois yd ~ x + (1 | g)
# with dispformula ~ x. For each, as test/oracle/tmbfamilies2.R: glmmTMB's fit, the objective there and at
# two points about it, a tight optimum (Newton steps on TMB's gradient) with optimHess's Hessian, logLik,
# AIC, BIC, df.resid, the tables, sigma, predictions of every type, ranef, Pearson residuals (null where
# glmmTMB stops or gives NA), performance's checks (null where it stops), and the family's variance
# function at a few (μ, φ) (compois()$variance: TMB's compois_calc_var). Also, the objective only, a
# zero-inflated compois with random effects in the zero model (ziformula ~ (1 | g)): objective_zire.json.
# Usage (from the repository root): Rscript test/oracle/tmbfamilies3.R
suppressPackageStartupMessages({ library(glmmTMB); library(jsonlite); library(performance) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
out <- file.path(root, "test/fixtures/tmbfamilies3")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
source(file.path(here, "tmb_common.R"))

# the CMP probabilities of 0..K for mean mu and nu (λ by uniroot on the mean of the truncated series)
cmp_probs <- function(mu, nu, K = 200) {
  j <- 0:K
  lp <- function(ll) { v <- j * ll - nu * lgamma(j + 1); v - max(v) }
  mean_of <- function(ll) { w <- exp(lp(ll)); sum(j * w) / sum(w) }
  ll <- uniroot(function(ll) log(mean_of(ll)) - log(mu), c(-50, 50), tol = 1e-12)$root
  w <- exp(lp(ll)); w / sum(w)
}
rcmp <- function(mu, nu) { p <- cmp_probs(mu, nu); u <- runif(1); min(which(cumsum(p) >= u)) - 1 }

set.seed(20261208)
G <- 25; m <- 16; n <- G * m
g <- factor(sprintf("g%02d", rep(seq_len(G), each = m)))
x <- round(rnorm(n), 4)
bu <- rnorm(G, 0, 0.5)[as.integer(g)]
yu <- sapply(seq_len(n), function(i) rcmp(exp(0.8 + 0.5 * x[i] + bu[i]), 2.5))
bo <- rnorm(G, 0, 0.4)[as.integer(g)]
yo <- sapply(seq_len(n), function(i) rcmp(exp(0.6 + 0.4 * x[i] + bo[i]), 0.6))
bz <- rnorm(G, 0, 0.5)[as.integer(g)]
yz <- sapply(seq_len(n), function(i) rcmp(exp(1.0 + 0.4 * x[i] + bz[i]), 1.8)) * rbinom(n, 1, 0.75)
bd <- rnorm(G, 0, 0.4)[as.integer(g)]
yd <- sapply(seq_len(n), function(i) rcmp(exp(0.9 + 0.3 * x[i] + bd[i]), 1 / exp(-0.5 + 0.6 * x[i])))
csv <- file.path(root, "test/fixtures/data/tmbfamilies3.csv")
write.csv(data.frame(g, x, yu, yo, yz, yd), csv, row.names = FALSE, quote = FALSE)
syn <- read.csv(csv, stringsAsFactors = TRUE)

cases <- list(
  list(name = "compois_under", formula = "yu ~ x + (1 | g)", zi = "~ 0", disp = "~ 1", family = "compois"),
  list(name = "compois_over", formula = "yo ~ x + (1 | g)", zi = "~ 0", disp = "~ 1", family = "compois"),
  list(name = "zicompois", formula = "yz ~ x + (1 | g)", zi = "~ 1", disp = "~ 1", family = "compois"),
  list(name = "hurdle_compois", formula = "yz ~ x + (1 | g)", zi = "~ 1", disp = "~ 1", family = "truncated_compois"),
  list(name = "compois_disp_x", formula = "yd ~ x + (1 | g)", zi = "~ 0", disp = "~ x", family = "compois")
)
fam_of <- function(name) switch(name, compois = compois(), truncated_compois = truncated_compois())
tab <- function(m) if (is.null(m)) NULL else list(rownames = rownames(m), estimate = unname(m[, 1]), se = unname(m[, 2]), z = unname(m[, 3]), p = unname(m[, 4]))
try_or_null <- function(expr) tryCatch({ v <- expr; if (length(v) == 0 || any(is.na(v))) NULL else v }, error = function(e) NULL)
err_of <- function(expr) tryCatch({ expr; NULL }, error = function(e) conditionMessage(e))

fits <- list()
for (cs in cases) {
  fit <- glmmTMB(as.formula(cs$formula), ziformula = as.formula(cs$zi), dispformula = as.formula(cs$disp), family = fam_of(cs$family), data = syn)
  fits[[cs$name]] <- fit
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
  zc <- tryCatch(suppressWarnings(check_zeroinflation(fit)), error = function(e) NULL)
  res <- list(
    name = cs$name, data = "tmbfamilies3", formula = cs$formula, ziformula = cs$zi, dispformula = cs$disp, family = cs$family,
    par = unname(par), parnames = names(par),
    objective_at_opt = fit$fit$objective, convergence = fit$fit$convergence,
    loglik = as.numeric(logLik(fit)), df = attr(logLik(fit), "df"), aic = AIC(fit), bic = BIC(fit),
    df_resid = df.residual(fit), nobs = nobs(fit),
    cond = tab(s$coefficients$cond), zi = tab(s$coefficients$zi), disp = tab(s$coefficients$disp),
    vcov_full = try_or_null(unname(as.matrix(vcov(fit, full = TRUE)))),
    sd_re = unname(sdre), sigma = try_or_null(sigma(fit)),
    ranef = list(levels = rownames(re), values = unname(re[, 1])),
    predict_response = pred("response"), predict_conditional = pred("conditional"), predict_zprob = pred("zprob"),
    predict_link = pred("link"), predict_zlink = pred("zlink"), predict_disp = pred("disp"),
    pearson = try_or_null(unname(residuals(fit, type = "pearson"))),
    pearson_error = err_of(residuals(fit, type = "pearson")),
    overdispersion = if (is.null(od) || is.na(od$chisq_statistic)) NULL else list(chisq = od$chisq_statistic, ratio = od$dispersion_ratio, rdf = od$residual_df, p = od$p_value),
    zeroinflation = if (is.null(zc) || is.null(zc$predicted.zeros) || is.na(zc$predicted.zeros)) NULL else list(predicted = zc$predicted.zeros, observed = zc$observed.zeros, ratio = zc$ratio),
    objective = objective,
    tight = list(ok = tight_ok, par = unname(tight$par), value = tight$objective, se = if (is.null(vt)) NULL else unname(sqrt(diag(vt))), hessian = unname(Ht)),
    printout = capture.output(print(s))
  )
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE, null = "null"), file.path(out, paste0(cs$name, ".json")))
  cat(cs$name, paste(names(par), collapse = ","), "logLik", res$loglik, "conv", fit$fit$convergence, "tight", tight_ok, -tight$objective, "sigma", res$sigma, "pearson", !is.null(res$pearson), "od", !is.null(res$overdispersion), "zi", !is.null(res$zeroinflation), "\n")
}

# predict(newdata) of every type, with the random effects (a new level at b = 0) and without (re.form = NA)
nd <- data.frame(g = c("g01", "g07", "gNEW", "g25"), x = c(-1.2, 0.3, 0.8, 2.1))
write.csv(nd, file.path(root, "test/fixtures/data/tmbfamilies3_newdata.csv"), row.names = FALSE, quote = FALSE)
nd <- read.csv(file.path(root, "test/fixtures/data/tmbfamilies3_newdata.csv"), stringsAsFactors = TRUE)
pr <- list()
for (nm in c("compois_under", "zicompois", "hurdle_compois", "compois_disp_x")) {
  fit <- fits[[nm]]
  r <- list(par = unname(fit$fit$par))
  for (type in c("response", "conditional", "zprob", "link", "zlink", "disp")) {
    r[[type]] <- unname(predict(fit, newdata = nd, type = type, allow.new.levels = TRUE))
    r[[paste0(type, "_population")]] <- unname(predict(fit, newdata = nd, type = type, re.form = NA, allow.new.levels = TRUE))
  }
  pr[[nm]] <- r
}
writeLines(toJSON(pr, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(out, "predict_newdata.json"))

# the density itself: TMB's dcompois2 (log) through a tiny TMB objective is not reachable from R without
# compiling, so the family's variance function (compois()$variance, TMB's compois_calc_var through glmmTMB's
# C entry) and glmmTMB's own log-likelihood of single-row fits stand for it: the variance at a grid of (μ, φ)
vg <- expand.grid(mu = c(0.05, 0.5, 1, 3.7, 12, 40, 150), phi = c(0.2, 0.5, 1, 2.5))
vg$var <- compois()$variance(vg$mu, vg$phi)
writeLines(toJSON(list(mu = vg$mu, phi = vg$phi, var = vg$var), digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(out, "variance.json"))

# the objective only (the row kernel's two-predictor form): random effects in the zero model, glmmTMB's
# objective at its optimum and two points about it
zre <- list(list(name = "zicompois_zire", formula = "yz ~ x + (1 | g)", zi = "~ (1 | g)", disp = "~ 1", family = "compois"))
zr <- list()
for (cs in zre) {
  fit <- glmmTMB(as.formula(cs$formula), ziformula = as.formula(cs$zi), dispformula = as.formula(cs$disp), family = fam_of(cs$family), data = syn)
  par <- fit$fit$par
  zr[[cs$name]] <- c(cs, list(parnames = names(par), convergence = fit$fit$convergence, objective = tmbPoints(fit, par)))
}
writeLines(toJSON(zr, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(out, "objective_zire.json"))
