#!/usr/bin/env Rscript
# gamm4 0.2-6 (mgcv 1.8-41, lme4 1.1-31, R 4.2.2): penalized smooths s(x) as mixed models, for
# test/gamm4.test.ts. Each case: the mer's θ (lme4's order), σ, REML criterion and fixed effects,
# the criterion of the mer's deviance function at θ; the gam view: coefficients in the smooths'
# constrained basis, Vp, edf, the parametric table, fitted values (population level), each smooth's
# values and SEs on a 50-point grid over its covariate's range (PredictMat), predictions with SEs
# at new rows (some outside the data's range: mgcv extrapolates linearly); and, for the cr smooths, the constrained basis at the data's first rows and its
# penalty (deterministic: no eigenvector signs).
# One data set is generated here (fixed seed) and written beside the other data:
#   gamsim1.csv  mgcv's gamSim(1, n = 400, scale = 2), a factor fac of 20 levels whose effects
#                (SD 0.5) are added to y, as gamm4's help page does; values rounded to 6 digits.
# Usage (from the repository root): Rscript test/oracle/gamm4.R test/fixtures/data test/fixtures/gamm4
suppressMessages({ library(gamm4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)

set.seed(20261206)
dat <- gamSim(1, n = 400, scale = 2, verbose = FALSE)
fac <- sample(1:20, 400, replace = TRUE)
b <- rnorm(20) * 0.5
dat$y <- dat$y + b[fac]
g <- data.frame(y = round(dat$y, 6), x0 = round(dat$x0, 6), x1 = round(dat$x1, 6), x2 = round(dat$x2, 6),
                x3 = round(dat$x3, 6), fac = sprintf("f%02d", fac))
write.csv(g, file.path(dataDir, "gamsim1.csv"), row.names = FALSE)
gamsim <- read.csv(file.path(dataDir, "gamsim1.csv"), stringsAsFactors = TRUE)
sleep <- read.csv(file.path(dataDir, "sleepstudy.csv"), stringsAsFactors = TRUE)
sleep$Subject <- factor(sleep$Subject)

mat <- function(m) unname(as.matrix(m))
case <- function(name, formula, random, data, newdata, REML = TRUE) {
  fit <- gamm4(as.formula(formula), random = as.formula(random), data = data, REML = REML,
               control = lmerControl(optCtrl = list(xtol_rel = 1e-12, ftol_abs = 1e-14, ftol_rel = 1e-14, maxeval = 1e5)))
  mer <- fit$mer; gam <- fit$gam
  theta <- getME(mer, "theta")
  dev <- getME(mer, "devfun")
  crit <- if (REML) REMLcrit(mer) else deviance(mer)
  sms <- lapply(gam$smooth, function(sm) {
    xv <- data[[sm$term]]
    grid <- seq(min(xv), max(xv), length.out = 50)
    nd <- data.frame(grid); names(nd) <- sm$term
    Xp <- PredictMat(sm, nd)
    ind <- sm$first.para:sm$last.para
    beta <- gam$coefficients[ind]
    V <- gam$Vp[ind, ind]
    r <- list(label = sm$label, term = sm$term, class = class(sm)[1], bs_dim = sm$bs.dim,
              first = sm$first.para, last = sm$last.para, edf = sum(gam$edf[ind]),
              grid = grid, fit = as.numeric(Xp %*% beta), se = sqrt(rowSums((Xp %*% V) * Xp)))
    if (inherits(sm, "cr.smooth")) {
      r$knots <- sm$xp
      r$X_head <- mat(PredictMat(sm, data[1:12, , drop = FALSE]))
      r$S <- mat(sm$S[[1]])
      r$S_scale <- sm$S.scale
    }
    r
  })
  st <- summary(gam)
  pr <- predict(gam, newdata = newdata, se.fit = TRUE)
  vc <- as.data.frame(VarCorr(mer))
  list(
    name = name, formula = formula, random = random, REML = REML, n = nrow(data),
    mer = list(theta = as.numeric(theta), sigma = sigma(mer), criterion = crit,
               criterion_at_theta = dev(theta), fixef = as.list(fixef(mer)),
               fixef_names = names(fixef(mer)), varcorr = list(grp = vc$grp, vcov = vc$vcov, sdcor = vc$sdcor),
               fitted = as.numeric(fitted(mer))),
    gam = list(coefficients = as.numeric(gam$coefficients), names = names(gam$coefficients),
               Vp = mat(gam$Vp), edf = as.numeric(gam$edf), sig2 = gam$sig2, sp = as.numeric(gam$sp),
               fitted = as.numeric(gam$fitted.values),
               p_table = list(names = rownames(st$p.table), estimate = st$p.table[, 1], se = st$p.table[, 2],
                              t = st$p.table[, 3], p = st$p.table[, 4]),
               s_table = list(names = rownames(st$s.table), edf = st$s.table[, 1], ref_df = st$s.table[, 2],
                              F = st$s.table[, 3], p = st$s.table[, 4]),
               r_sq = st$r.sq),
    smooths = sms,
    newdata = as.list(newdata),
    predict = list(fit = as.numeric(pr$fit), se = as.numeric(pr$se.fit))
  )
}

cases <- list(
  case("sleep_cr", "Reaction ~ s(Days, k = 5, bs = \"cr\")", "~ (1 | Subject)", sleep,
       data.frame(Days = c(0, 2.5, 4, 9, -1.5, 10.7))),
  case("sleep_tp", "Reaction ~ s(Days, k = 5)", "~ (1 | Subject)", sleep,
       data.frame(Days = c(0, 2.5, 4, 9, -1.5, 10.7))),
  case("sleep_tp_ml", "Reaction ~ s(Days, k = 5)", "~ (1 | Subject)", sleep,
       data.frame(Days = c(0, 2.5, 4, 9, -1.5, 10.7)), REML = FALSE),
  case("gamsim", "y ~ s(x0) + s(x1, bs = \"cr\") + x2", "~ (1 | fac)", gamsim,
       data.frame(x0 = c(0.1, 0.5, 0.93), x1 = c(0.2, 0.6, 0.05), x2 = c(0.3, 0.7, 0.5))),
  case("gamsim_cr", "y ~ s(x0, bs = \"cr\") + s(x1, bs = \"cr\", k = 8) + x2", "~ (1 | fac)", gamsim,
       data.frame(x0 = c(0.1, 0.5, 0.93), x1 = c(0.2, 0.6, 0.05), x2 = c(0.3, 0.7, 0.5))),
  case("gamsim_tp12", "y ~ s(x2, bs = \"tp\", k = 12) + x0", "~ (1 | fac)", gamsim,
       data.frame(x0 = c(0.1, 0.5), x2 = c(0.25, 0.8)))
)
names(cases) <- vapply(cases, function(x) x$name, "")
writeLines(toJSON(cases, auto_unbox = TRUE, digits = NA, matrix = "rowmajor"), file.path(out, "gamm4.json"))
