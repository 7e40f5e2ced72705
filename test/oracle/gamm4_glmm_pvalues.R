#!/usr/bin/env Rscript
# summary.gam's approximate significance of smooth terms (Wood 2013, mgcv 1.8-41) and print.summary.gam's
# printout for gamm4 0.2-6's binomial and Poisson fits, for test/gamm4GlmmPvalues.test.ts. The cases, data and
# settings are test/oracle/gamm4_glmm.R's (its data file gamsim1_glmm.csv, its glmerControl, its second fit
# from the first's optimum with Nelder_Mead's xt tightened). gamm4 sets, for a glmer fit whose VarCorr has
# sc = 1: scale 1, scale.estimated = FALSE, sig2 = 1, method "glmer.ML", gcv.ubre = deviance(mer), R the R
# factor of V^{-1/2} Xf (V = diag(1/w) + Z Λ Λᵀ Zᵀ, w the working weights), Vp from it; summary.gam then tests
# each smooth by testStat(…, res.df = -1): the χ² form, Chi.sq = T_r, Ref.df = min(p_s, edf_s).
# Each case: s.table (edf, Ref.df, Chi.sq, p-value), per smooth testStat's inputs (coefficients, the Vp block,
# crossprod of gam$R's columns, rank) and output with T'_r (the statistic of the other orientation of the
# rank-r pseudo-inverse), p.table, r.sq, the criterion, scale.estimated, sig2, method, the mer's θ by name,
# and the whole printout of summary(gam).
# Usage (from the repository root): Rscript test/oracle/gamm4_glmm_pvalues.R test/fixtures/data test/fixtures/gamm4
suppressMessages({ library(gamm4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
testStat <- mgcv:::testStat
testStat1 <- testStat
body(testStat1)[[length(body(testStat1))]] <- quote(list(stat = d, stat1 = d1, pval = min(1, pval), rank = rank))

g <- read.csv(file.path(dataDir, "gamsim1_glmm.csv"), stringsAsFactors = TRUE)
ctrl <- glmerControl(tolPwrss = 1e-13, optCtrl = list(rhoend = 1e-12, FtolAbs = 1e-15, FtolRel = 1e-15, XtolRel = 1e-12, maxfun = 1e5))
mat <- function(m) unname(as.matrix(m))
case <- function(name, formula, random, family, data) {
  fit0 <- suppressWarnings(gamm4(as.formula(formula), random = as.formula(random), data = data,
                                 family = family, control = ctrl))
  npar <- length(getME(fit0$mer, "theta")) + length(fixef(fit0$mer))
  ctrl2 <- ctrl; ctrl2$optCtrl$xt <- rep(1e-11, npar)
  fit <- suppressWarnings(gamm4(as.formula(formula), random = as.formula(random), data = data, family = family,
                                control = ctrl2, start = list(theta = getME(fit0$mer, "theta"), fixef = fixef(fit0$mer))))
  mer <- fit$mer; gam <- fit$gam
  st <- summary(gam)
  sms <- lapply(gam$smooth, function(sm) {
    ind <- sm$first.para:sm$last.para
    Xt <- gam$R[, ind, drop = FALSE]
    rank <- min(ncol(Xt), sum(gam$edf[ind]))
    ts <- testStat1(gam$coefficients[ind], Xt, gam$Vp[ind, ind, drop = FALSE], rank, type = 0, res.df = -1)
    list(label = sm$label, p = as.numeric(gam$coefficients[ind]), V = mat(gam$Vp[ind, ind, drop = FALSE]),
         XtX = mat(crossprod(Xt)), rank = rank, stat = ts$stat, stat1 = ts$stat1, pval = ts$pval, ref_df = ts$rank)
  })
  theta <- getME(mer, "theta")
  list(name = name, formula = formula, random = random, family = family$family, n = nrow(data),
       theta = as.list(theta), beta = as.numeric(fixef(mer)),
       scale_estimated = gam$scale.estimated, sig2 = gam$sig2, method = gam$method, gcv_ubre = gam$gcv.ubre,
       res_df = length(gam$y) - sum(gam$edf),
       s_table = list(names = rownames(st$s.table), edf = st$s.table[, 1], ref_df = st$s.table[, 2],
                      chi_sq = st$s.table[, 3], p = st$s.table[, 4], colnames = colnames(st$s.table)),
       p_table = list(names = rownames(st$p.table), estimate = st$p.table[, 1], se = st$p.table[, 2],
                      z = st$p.table[, 3], p = st$p.table[, 4], colnames = colnames(st$p.table)),
       r_sq = st$r.sq, smooths = sms, printed = capture.output(print(st)))
}

cases <- list(
  case("binary_cr", "yb ~ s(x0, bs = \"cr\") + s(x1, bs = \"cr\") + x2", "~ (1 | fac)", binomial(), g),
  case("binary_tp", "yb ~ s(x0) + s(x1, bs = \"cr\") + x2", "~ (1 | fac)", binomial(), g),
  case("cbind_cr", "cbind(succ, fail) ~ s(x2, bs = \"cr\") + x0", "~ (1 | fac)", binomial(), g),
  case("poisson_cr", "yp ~ s(x2, bs = \"cr\", k = 8) + s(x1, bs = \"cr\") + x0", "~ (1 | fac)", poisson(), g),
  case("poisson_tp", "yp ~ s(x2) + x0", "~ (1 | fac)", poisson(), g),
  case("poisson_boundary", "yp ~ s(x3, bs = \"cr\") + x2", "~ (1 | fac)", poisson(), g)
)
names(cases) <- vapply(cases, function(x) x$name, "")
writeLines(toJSON(cases, auto_unbox = TRUE, digits = NA, matrix = "rowmajor"), file.path(out, "gamm4_glmm_pvalues.json"))
