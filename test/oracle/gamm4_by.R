#!/usr/bin/env Rscript
# gamm4 0.2-6 (mgcv 1.8-41, lme4 1.1-31, R 4.2.2): `by =` smooths and t2() tensor product smooths, for
# test/gamm4By.test.ts. Each case: the mer's θ (lme4's order), σ, criterion (REML or, for glmer, the
# Laplace deviance), the criterion at θ; the gam view: coefficients, Vp (gamm4's parametrization: for a t2
# smooth, gam.setup's prediction constraint, G$P applied), edf, sp, fitted values, summary.gam's p.table and
# s.table, each smooth's values and SEs on a grid (plot.gam's: a by smooth with by = 1, a t2 smooth on a
# 7 × 7 grid of its covariates' ranges), predictions with SEs at new rows; a t2 smooth's fit basis |X| on its
# penalized blocks and S.scale at the data's first rows.
# One data set is generated here (fixed seed) and written beside the other data:
#   gamsim_by.csv  mgcv's gamSim(4, n = 400, scale = 2) (a 3-level factor `fac` with a smooth of x2 per level),
#                  a numeric by variable z with y_vc = 1 + z f(x1) + noise (gamSim(3)'s form), a 12-level
#                  grouping factor g whose effects (SD 0.5) are added to both responses, and a Poisson
#                  response yp = Poisson(exp((f0(x0) + f2(x2))/4 + b_g)); values rounded to 6 digits.
# Usage (from the repository root): Rscript test/oracle/gamm4_by.R test/fixtures/data test/fixtures/gamm4
suppressMessages({ library(gamm4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)

set.seed(20261207)
d4 <- gamSim(4, n = 400, scale = 2, verbose = FALSE)
g <- sample(1:12, 400, replace = TRUE)
b <- rnorm(12) * 0.5
z <- runif(400)
f1 <- function(x) exp(2 * x) / 4
yvc <- 1 + z * f1(d4$x1) * 2 + rnorm(400) * 0.5 + b[g]
eta <- (2 * sin(pi * d4$x0) + exp(2 * d4$x2) / 3) / 2 - 0.5 + b[g]
yp <- rpois(400, exp(eta))
dat <- data.frame(y = round(d4$y + b[g], 6), yvc = round(yvc, 6), yp = yp, x0 = round(d4$x0, 6), x1 = round(d4$x1, 6),
                  x2 = round(d4$x2, 6), z = round(z, 6), fac = paste0("l", as.integer(d4$fac)), g = sprintf("g%02d", g))
write.csv(dat, file.path(dataDir, "gamsim_by.csv"), row.names = FALSE)
data <- read.csv(file.path(dataDir, "gamsim_by.csv"), stringsAsFactors = TRUE)

mat <- function(m) unname(as.matrix(m))
ctrl <- lmerControl(optCtrl = list(xtol_rel = 1e-12, ftol_abs = 1e-14, ftol_rel = 1e-14, maxeval = 1e5))
gctrl <- glmerControl(tolPwrss = 1e-13, optCtrl = list(rhoend = 1e-12, FtolAbs = 1e-15, FtolRel = 1e-15, XtolRel = 1e-12, maxfun = 1e5))
case <- function(name, formula, random, newdata, family = NULL) {
  fit <- if (is.null(family)) gamm4(as.formula(formula), random = as.formula(random), data = data, REML = TRUE, control = ctrl)
         else gamm4(as.formula(formula), random = as.formula(random), data = data, family = family, control = gctrl)
  mer <- fit$mer; gam <- fit$gam
  theta <- getME(mer, "theta")
  if (is.null(family)) { dev <- getME(mer, "devfun"); crit <- REMLcrit(mer); at <- dev(theta) }
  else { crit <- deviance(mer); at <- NA; crit <- -2 * as.numeric(logLik(mer)) }
  sms <- lapply(gam$smooth, function(sm) {
    ind <- sm$first.para:sm$last.para
    beta <- gam$coefficients[ind]; V <- gam$Vp[ind, ind]
    if (inherits(sm, "t2.smooth")) {
      g1 <- seq(min(data[[sm$term[1]]]), max(data[[sm$term[1]]]), length.out = 7)
      g2 <- seq(min(data[[sm$term[2]]]), max(data[[sm$term[2]]]), length.out = 7)
      nd <- expand.grid(a = g1, b = g2); names(nd) <- sm$term
    } else {
      xv <- data[[sm$term]]
      nd <- data.frame(seq(min(xv), max(xv), length.out = 50)); names(nd) <- sm$term
      if (sm$by != "NA") nd[[sm$by]] <- if (is.null(sm$by.level)) 1 else factor(sm$by.level, levels = levels(data[[sm$by]]))
    }
    Xp <- PredictMat(sm, nd)
    r <- list(label = sm$label, term = sm$term, by = sm$by, by_level = if (is.null(sm$by.level)) NULL else sm$by.level,
              first = sm$first.para, last = sm$last.para, edf = sum(gam$edf[ind]), rank = sm$rank, null_space_dim = sm$null.space.dim,
              grid = as.list(nd[sm$term]), fit = as.numeric(Xp %*% beta), se = sqrt(rowSums((Xp %*% V) * Xp)))
    if (inherits(sm, "t2.smooth")) {
      sm0 <- smoothCon(eval(parse(text = sm$label)), data = data, absorb.cons = TRUE, scale.penalty = TRUE)[[1]]
      r$S_scale <- sm0$S.scale
      r$absX_head <- mat(abs(sm0$X[1:12, 1:sum(sm0$rank)]))
      r$Xp_head <- mat(PredictMat(sm, data[1:12, , drop = FALSE]))
    }
    r
  })
  st <- summary(gam)
  pr <- predict(gam, newdata = newdata, se.fit = TRUE)
  vc <- as.data.frame(VarCorr(mer))
  list(
    name = name, formula = formula, random = random, family = if (is.null(family)) "gaussian" else family, n = nrow(data),
    mer = list(theta = as.numeric(theta), sigma = sigma(mer), criterion = crit, criterion_at_theta = at,
               beta = as.numeric(fixef(mer)), fixef_names = names(fixef(mer)), varcorr = list(grp = vc$grp, sdcor = vc$sdcor)),
    gam = list(coefficients = as.numeric(gam$coefficients), names = names(gam$coefficients),
               Vp = mat(gam$Vp), edf = as.numeric(gam$edf), sig2 = gam$sig2, sp = as.numeric(gam$sp), sp_names = names(gam$sp),
               fitted = as.numeric(gam$fitted.values), linear_predictors = as.numeric(gam$linear.predictors),
               p_table = list(names = rownames(st$p.table), estimate = st$p.table[, 1], se = st$p.table[, 2],
                              stat = st$p.table[, 3], p = st$p.table[, 4]),
               s_table = list(names = rownames(st$s.table), edf = st$s.table[, 1], ref_df = st$s.table[, 2],
                              stat = st$s.table[, 3], p = st$s.table[, 4]),
               r_sq = st$r.sq),
    smooths = sms,
    newdata = as.list(newdata),
    predict = list(fit = as.numeric(pr$fit), se = as.numeric(pr$se.fit))
  )
}

nd_fac <- data.frame(x0 = c(0.1, 0.5, 0.9, 0.3), x2 = c(0.2, 0.5, 0.95, 0.7), fac = factor(c("l1", "l2", "l3", "l2"), levels = levels(data$fac)))
nd_vc <- data.frame(x1 = c(0.1, 0.5, 0.9), z = c(0.3, 1, 0.6))
nd_t2 <- data.frame(x0 = c(0.1, 0.5, 0.9), x1 = c(0.4, 0.5, 0.6), x2 = c(0.2, 0.6, 0.8))
cases <- list(
  case("by_factor_cr", "y ~ fac + s(x2, by = fac, bs = \"cr\") + s(x0, bs = \"cr\")", "~ (1 | g)", nd_fac),
  case("by_factor_tp", "y ~ fac + s(x2, by = fac, k = 8)", "~ (1 | g)", nd_fac),
  case("by_numeric_cr", "yvc ~ s(x1, by = z, bs = \"cr\")", "~ (1 | g)", nd_vc),
  case("t2_cr", "y ~ t2(x0, x2) + x1", "~ (1 | g)", nd_t2),
  case("t2_k", "y ~ t2(x0, x2, k = c(4, 6), bs = \"cr\")", "~ (1 | g)", nd_t2),
  case("t2_poisson", "yp ~ t2(x0, x2)", "~ (1 | g)", nd_t2, family = "poisson")
)
names(cases) <- vapply(cases, function(x) x$name, "")
writeLines(toJSON(cases, auto_unbox = TRUE, digits = NA, matrix = "rowmajor"), file.path(out, "gamm4_by.json"))
