#!/usr/bin/env Rscript
# gamm4 0.2-6 (mgcv 1.8-41, lme4 1.1-31, R 4.2.2) for binomial and Poisson responses: gamm4(…, family)
# calls glmer (Laplace: mkGlmerDevfun, optimizeGlmer's two stages) and builds its gam view from the
# working weights at the fit. For test/gamm4Glmm.test.ts. Each case: the mer's θ (lme4's order), β,
# −2 logLik and a fresh devfun's value at the mer's parameters (the Laplace deviance), deviance() (gamm4's gcv.ubre), conditional
# fitted values; the gam view: coefficients, Vp, edf, working and prior weights, fitted values and
# linear predictors (population level), summary(gam)'s parametric z table and R²(adj), each smooth's
# values and SEs on a 50-point grid, predict.gam on the link and response scales with SEs.
# The data: test/fixtures/data/gamsim1.csv (written by gamm4.R) with responses added here (fixed seed),
# written to gamsim1_glmm.csv:
#   (x3 has no effect on y: gamSim(1)'s f3 = 0)
#   yb      y > median(y) (0/1)
#   yp      Poisson counts, mean exp(1 + (y − mean y)/6)
#   trials  1 to 6; succ  binomial successes of trials with probability plogis((y − mean y)/3); fail
# Usage (from the repository root): Rscript test/oracle/gamm4_glmm.R test/fixtures/data test/fixtures/gamm4
suppressMessages({ library(gamm4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)

g <- read.csv(file.path(dataDir, "gamsim1.csv"), stringsAsFactors = TRUE)
set.seed(20261207)
n <- nrow(g)
g$yb <- as.integer(g$y > median(g$y))
g$yp <- rpois(n, exp(1 + (g$y - mean(g$y)) / 6))
g$trials <- sample(1:6, n, replace = TRUE)
g$succ <- rbinom(n, g$trials, plogis((g$y - mean(g$y)) / 3))
g$fail <- g$trials - g$succ
write.csv(g[, c("x0", "x1", "x2", "x3", "fac", "yb", "yp", "trials", "succ", "fail")], file.path(dataDir, "gamsim1_glmm.csv"), row.names = FALSE)
g <- read.csv(file.path(dataDir, "gamsim1_glmm.csv"), stringsAsFactors = TRUE)

# both stages to tight tolerances (stage 1 bobyqa, stage 2 Nelder_Mead: optimizeGlmer's defaults, as gamm4
# calls it; each ignores the other's settings with a warning), PIRLS to a tight tolerance (tolPwrss; gamm4 hands its
# control to mkGlmerDevfun): at lme4's default 1e-7 the Laplace deviance carries PIRLS's error (~5e-7 relative here)
ctrl <- glmerControl(tolPwrss = 1e-13, optCtrl = list(rhoend = 1e-12, FtolAbs = 1e-15, FtolRel = 1e-15, XtolRel = 1e-12, maxfun = 1e5))
mat <- function(m) unname(as.matrix(m))
case <- function(name, formula, random, family, data, newdata) {
  fit0 <- suppressWarnings(gamm4(as.formula(formula), random = as.formula(random), data = data,
                                 family = family, control = ctrl))
  # again from that optimum with Nelder_Mead's absolute parameter tolerance xt (default 5e-4 × its step,
  # 1e-5, where it stops first) tightened: one value per parameter
  npar <- length(getME(fit0$mer, "theta")) + length(fixef(fit0$mer))
  ctrl2 <- ctrl; ctrl2$optCtrl$xt <- rep(1e-11, npar)
  fit <- suppressWarnings(gamm4(as.formula(formula), random = as.formula(random), data = data, family = family,
                                control = ctrl2, start = list(theta = getME(fit0$mer, "theta"), fixef = fixef(fit0$mer))))
  mer <- fit$mer; gam <- fit$gam
  # lme4's stage-2 devfun of this mer, made afresh (PIRLS from its start, tight), at the mer's (θ, β)
  rt <- list(Zt = getME(mer, "Zt"), theta = getME(mer, "theta"), Lind = getME(mer, "Lind"), Gp = getME(mer, "Gp"),
             lower = getME(mer, "lower"), Lambdat = getME(mer, "Lambdat"), flist = getME(mer, "flist"), cnms = getME(mer, "cnms"))
  devfun <- mkGlmerDevfun(fr = model.frame(mer), X = getME(mer, "X"), reTrms = rt, family = family,
                          control = glmerControl(tolPwrss = 1e-13))
  devfun <- updateGlmerDevfun(devfun, rt)
  laplaceAt <- devfun(c(getME(mer, "theta"), fixef(mer)))
  sms <- lapply(gam$smooth, function(sm) {
    xv <- data[[sm$term]]
    grid <- seq(min(xv), max(xv), length.out = 50)
    nd <- data.frame(grid); names(nd) <- sm$term
    Xp <- PredictMat(sm, nd)
    ind <- sm$first.para:sm$last.para
    V <- gam$Vp[ind, ind]
    list(label = sm$label, term = sm$term, first = sm$first.para, last = sm$last.para, edf = sum(gam$edf[ind]),
         grid = grid, fit = as.numeric(Xp %*% gam$coefficients[ind]), se = sqrt(rowSums((Xp %*% V) * Xp)))
  })
  st <- summary(gam)
  pl <- predict(gam, newdata = newdata, se.fit = TRUE, type = "link")
  pr <- predict(gam, newdata = newdata, se.fit = TRUE, type = "response")
  vc <- as.data.frame(VarCorr(mer))
  list(
    name = name, formula = formula, random = random, family = family$family, link = family$link, n = nrow(data),
    mer = list(theta = as.numeric(getME(mer, "theta")), theta_names = names(getME(mer, "theta")),
               beta = as.numeric(fixef(mer)), fixef_names = names(fixef(mer)),
               m2loglik = -2 * as.numeric(logLik(mer)), laplace_at = laplaceAt, deviance = deviance(mer),
               varcorr = list(grp = vc$grp, sdcor = vc$sdcor), fitted = as.numeric(fitted(mer))),
    gam = list(coefficients = as.numeric(gam$coefficients), names = names(gam$coefficients),
               Vp = mat(gam$Vp), edf = as.numeric(gam$edf), sig2 = gam$sig2, sp = as.numeric(gam$sp),
               weights = as.numeric(gam$weights), prior_weights = as.numeric(gam$prior.weights),
               fitted = as.numeric(gam$fitted.values), linear_predictors = as.numeric(gam$linear.predictors),
               df_residual = gam$df.residual, gcv_ubre = gam$gcv.ubre, method = gam$method,
               p_table = list(names = rownames(st$p.table), estimate = st$p.table[, 1], se = st$p.table[, 2],
                              z = st$p.table[, 3], p = st$p.table[, 4]),
               r_sq = st$r.sq, printout = capture.output(print(st))),
    smooths = sms,
    newdata = as.list(newdata),
    predict_link = list(fit = as.numeric(pl$fit), se = as.numeric(pl$se.fit)),
    predict_response = list(fit = as.numeric(pr$fit), se = as.numeric(pr$se.fit))
  )
}

nd <- data.frame(x0 = c(0.1, 0.5, 0.93), x1 = c(0.2, 0.6, 0.05), x2 = c(0.3, 0.7, 0.5))
cases <- list(
  case("binary_cr", "yb ~ s(x0, bs = \"cr\") + s(x1, bs = \"cr\") + x2", "~ (1 | fac)", binomial(), g, nd),
  case("binary_tp", "yb ~ s(x0) + s(x1, bs = \"cr\") + x2", "~ (1 | fac)", binomial(), g, nd),
  case("cbind_cr", "cbind(succ, fail) ~ s(x2, bs = \"cr\") + x0", "~ (1 | fac)", binomial(), g, nd),
  case("poisson_cr", "yp ~ s(x2, bs = \"cr\", k = 8) + s(x1, bs = \"cr\") + x0", "~ (1 | fac)", poisson(), g, nd),
  case("poisson_tp", "yp ~ s(x2) + x0", "~ (1 | fac)", poisson(), g, nd),
  # a smooth of a covariate without effect: its variance at the boundary (θ ≈ 0; gamm4's sp huge)
  case("poisson_boundary", "yp ~ s(x3, bs = \"cr\") + x2", "~ (1 | fac)", poisson(), g,
       data.frame(x2 = c(0.3, 0.7, 0.5), x3 = c(0.2, 0.6, 0.05)))
)
names(cases) <- vapply(cases, function(x) x$name, "")
writeLines(toJSON(cases, auto_unbox = TRUE, digits = NA, matrix = "rowmajor"), file.path(out, "gamm4_glmm.json"))
