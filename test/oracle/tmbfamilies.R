#!/usr/bin/env Rscript
# More glmmTMB families and dispformula: references from glmmTMB 1.1.5 (test/tmbfamilies.test.ts,
# src/zeroinfl). Cases:
#   - glmmTMB's Salamanders (test/fixtures/data/salamanders.csv, written by test/oracle/zeroinfl.R):
#     zero-inflated nbinom1 and hurdle truncated_nbinom1 with ziformula ~ mined, and zero-inflated nbinom2
#     with dispformula ~ mined;
#   - a data set constructed here with a seed (test/fixtures/data/tmbfamilies.csv, 400 rows in 25 groups
#     g, a factor f with levels a, b, c, a covariate x): a beta GLMM yb ~ x + (1 | g) (logit link,
#     Var = mu (1 - mu) / (1 + phi)) with dispformula ~ 1 and ~ f, and a heteroscedastic gaussian LMM
#     yg ~ x + (1 | g) with dispformula ~ f (glmmTMB's dispersion for gaussian is sigma^2: sigma() is
#     exp(betad / 2)).
# For each case, as test/oracle/zeroinfl.R: glmmTMB's fit (fit$fit$par in glmmTMB's order beta, betazi,
# betad, theta), the objective there and at two points about it, a tight optimum (Newton steps on TMB's
# exact gradient to max|gradient| < 1e-10) with optimHess's Hessian there, logLik/AIC/BIC/df.resid,
# the summary's tables (cond, zi, disp), vcov(full = TRUE), predictions of every type glmmTMB 1.1.5 has
# ("disp" included), ranef, Pearson residuals (null where glmmTMB stops or gives NA), performance
# 0.10.2's check_overdispersion and check_zeroinflation (null where performance stops), the printout.
# Usage (from the repository root): Rscript test/oracle/tmbfamilies.R
suppressPackageStartupMessages({ library(glmmTMB); library(jsonlite); library(performance) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
out <- file.path(root, "test/fixtures/tmbfamilies")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
source(file.path(here, "tmb_common.R"))

sal <- read.csv(file.path(root, "test/fixtures/data/salamanders.csv"), stringsAsFactors = TRUE)

# the constructed data: group effects b_g ~ N(0, 0.6^2) (beta) and N(0, 1) (gaussian)
set.seed(20261206)
G <- 25; m <- 16; n <- G * m
g <- factor(sprintf("g%02d", rep(seq_len(G), each = m)))
f <- factor(rep(c("a", "b", "c"), length.out = n))
x <- round(rnorm(n), 4)
bb <- rnorm(G, 0, 0.6)[as.integer(g)]
mu <- plogis(0.3 + 0.8 * x + bb)
phi <- c(a = 8, b = 20, c = 4)[as.character(f)]
yb <- rbeta(n, mu * phi, (1 - mu) * phi)
bg <- rnorm(G, 0, 1)[as.integer(g)]
yg <- 2 + 1.5 * x + bg + rnorm(n) * c(a = 0.5, b = 1, c = 2)[as.character(f)]
csv <- file.path(root, "test/fixtures/data/tmbfamilies.csv")
write.csv(data.frame(g, f, x, yb = signif(yb, 10), yg = signif(yg, 10)), csv, row.names = FALSE, quote = FALSE)
syn <- read.csv(csv, stringsAsFactors = TRUE)

cases <- list(
  list(name = "zinb1_mined", data = "salamanders", formula = "count ~ mined + (1 | site)", zi = "~ 1", disp = "~ 1", family = "nbinom1"),
  list(name = "hurdle_nb1_cover", data = "salamanders", formula = "count ~ cover + (1 | site)", zi = "~ mined", disp = "~ 1", family = "truncated_nbinom1"),
  list(name = "zinb2_disp_mined", data = "salamanders", formula = "count ~ mined + (1 | site)", zi = "~ mined", disp = "~ mined", family = "nbinom2"),
  list(name = "beta_x", data = "tmbfamilies", formula = "yb ~ x + (1 | g)", zi = "~ 0", disp = "~ 1", family = "beta_family"),
  list(name = "beta_disp_f", data = "tmbfamilies", formula = "yb ~ x + (1 | g)", zi = "~ 0", disp = "~ f", family = "beta_family"),
  list(name = "gaussian_disp_f", data = "tmbfamilies", formula = "yg ~ x + (1 | g)", zi = "~ 0", disp = "~ f", family = "gaussian")
)

fam_of <- function(name) switch(name, nbinom1 = nbinom1(), nbinom2 = nbinom2(), truncated_nbinom1 = truncated_nbinom1(),
  beta_family = beta_family(), gaussian = gaussian())
tab <- function(m) if (is.null(m)) NULL else list(rownames = rownames(m), estimate = unname(m[, 1]), se = unname(m[, 2]), z = unname(m[, 3]), p = unname(m[, 4]))
try_or_null <- function(expr) tryCatch({ v <- expr; if (length(v) == 0 || any(is.na(v))) NULL else v }, error = function(e) NULL)

for (cs in cases) {
  d <- if (cs$data == "salamanders") sal else syn
  fit <- glmmTMB(as.formula(cs$formula), ziformula = as.formula(cs$zi), dispformula = as.formula(cs$disp), family = fam_of(cs$family), data = d)
  s <- summary(fit)
  nt <- tmbNewton(fit, 30)
  par <- nt$par; fn <- nt$fn; gr <- nt$gr; objective <- nt$objective; tp <- nt$tp
  stopifnot(max(abs(gr(tp))) < 1e-9)
  tight <- list(par = tp, objective = fn(tp))
  Ht <- optimHess(tight$par, fn, gr)
  vt <- solve(Ht)
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
    objective_at_opt = fit$fit$objective,
    loglik = as.numeric(logLik(fit)), df = attr(logLik(fit), "df"), aic = AIC(fit), bic = BIC(fit),
    df_resid = df.residual(fit), nobs = nobs(fit),
    cond = tab(s$coefficients$cond), zi = tab(s$coefficients$zi), disp = tab(s$coefficients$disp),
    vcov_full = unname(as.matrix(vcov(fit, full = TRUE))), vcov_names = colnames(vcov(fit, full = TRUE)),
    sd_re = unname(sdre), sigma = try_or_null(sigma(fit)),
    ranef = list(levels = rownames(re), values = unname(re[, 1])),
    predict_response = pred("response"), predict_conditional = pred("conditional"), predict_zprob = pred("zprob"),
    predict_link = pred("link"), predict_zlink = pred("zlink"), predict_disp = pred("disp"),
    pearson = try_or_null(unname(residuals(fit, type = "pearson"))),
    overdispersion = if (is.null(od) || is.na(od$chisq_statistic)) NULL else list(chisq = od$chisq_statistic, ratio = od$dispersion_ratio, rdf = od$residual_df, p = od$p_value),
    zeroinflation = if (is.null(zc) || is.na(zc$predicted.zeros)) NULL else list(predicted = zc$predicted.zeros, observed = zc$observed.zeros, ratio = zc$ratio),
    objective = objective,
    tight = list(par = unname(tight$par), value = tight$objective, se = unname(sqrt(diag(vt))), hessian = unname(Ht)),
    printout = capture.output(print(s))
  )
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE, null = "null"), file.path(out, paste0(cs$name, ".json")))
  cat(cs$name, "logLik", res$loglik, "tight", -tight$objective, "pearson", !is.null(res$pearson), "od", !is.null(res$overdispersion), "zi", !is.null(res$zeroinflation), "\n")
}

# predict(newdata) of every type, with the random effects (a new level at b = 0: allow.new.levels) and
# without (re.form = NA), for the dispersion-model cases: Salamanders' newdata
# (test/fixtures/data/salamanders_newdata.csv, written by zeroinfl_predict.R) and new rows of the
# constructed data (test/fixtures/data/tmbfamilies_newdata.csv: levels seen and one new group 'gNEW')
nd_syn <- data.frame(g = c("g01", "g07", "gNEW", "g25"), f = c("a", "c", "b", "b"), x = c(-1.2, 0.3, 0.8, 2.1))
write.csv(nd_syn, file.path(root, "test/fixtures/data/tmbfamilies_newdata.csv"), row.names = FALSE, quote = FALSE)
nd_syn <- read.csv(file.path(root, "test/fixtures/data/tmbfamilies_newdata.csv"), stringsAsFactors = TRUE)
nd_sal <- read.csv(file.path(root, "test/fixtures/data/salamanders_newdata.csv"), stringsAsFactors = TRUE)
pred_cases <- Filter(function(cs) cs$name %in% c("zinb2_disp_mined", "beta_disp_f", "gaussian_disp_f", "hurdle_nb1_cover"), cases)
pr <- list()
for (cs in pred_cases) {
  d <- if (cs$data == "salamanders") sal else syn
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
