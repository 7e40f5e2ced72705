#!/usr/bin/env Rscript
# summary.gam's approximate significance of smooth terms (Wood 2013, mgcv 1.8-41) for gamm4 0.2-6 fits,
# for test/gamm4Pvalues.test.ts and test/chisqMixture.test.ts:
#   psum_chisq: mgcv's psum.chisq (Davies' algorithm, acc 2e-5) on a grid of weights, degrees of freedom,
#               non-centralities and quantiles (both tails), with the fault Davies reported (via trace);
#               and mgcv:::liu2 (Liu et al.'s approximation) on the same grid (central cases);
#   cases:      for each gamm4 case of test/oracle/gamm4.R (and one with a null smooth, s(x3)):
#               summary(b$gam)$s.table and, per smooth, testStat's inputs (coefficients, the Vp block,
#               crossprod of gam$R's columns), its rank argument and residual df, and its output (with
#               T'_r, the statistic of the other orientation); summary(b$gam)'s printout; the mer's θ
#               by name (lme4's group.column), to evaluate our gam view at gamm4's θ.
# Usage (from the repository root): Rscript test/oracle/gamm4_pvalues.R test/fixtures/data test/fixtures/gamm4
suppressMessages({ library(gamm4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
psum <- mgcv:::psum.chisq; liu2 <- mgcv:::liu2; testStat <- mgcv:::testStat
# testStat also returning T'_r (d1: the statistic of the other orientation of the rank-r pseudo-inverse,
# which mgcv reports instead of T_r when its basis's signs are those of another orientation)
testStat1 <- testStat
body(testStat1)[[length(body(testStat1))]] <- quote(list(stat = d, stat1 = d1, pval = min(1, pval), rank = rank))

# --- psum.chisq on a grid ---
weights <- list(
  list(lb = c(1, 1, 1), df = c(1, 1, 1)),
  list(lb = c(2.5, 1, 0.3), df = c(1, 2, 3)),
  list(lb = c(1.6, 0.4), df = c(1, 1)),
  list(lb = c(5, 1, 1, 0.01), df = c(1, 1, 4, 1)),
  list(lb = c(1.8660254, 0.1339746), df = c(1, 1)),          # testStat's weights at nu = 0.5
  list(lb = c(1, 1, 1.99, 0.01, -4.2 / 380), df = c(1, 1, 1, 1, 380)),  # its F form (negative weight)
  list(lb = c(1.3, -0.7, 0.4), df = c(2, 1, 3)),
  list(lb = c(0.5, 0.2), df = c(3, 2), nc = c(1.5, 0.4)),
  list(lb = c(1, 0.999999, 1e-7), df = c(1, 1, 1)),
  list(lb = c(10, 0.1), df = c(1, 10)),
  list(lb = c(3, 1, 0.5), df = c(1, 2, 1), lim = 50),       # too few terms: Liu et al.'s fallback
  list(lb = c(0.5, 0.2), df = c(3, 2), nc = c(1.5, 0.4), lim = 50)  # ... none with non-central terms: NA
)
grid <- lapply(weights, function(w) {
  nc <- if (is.null(w$nc)) rep(0, length(w$lb)) else w$nc
  mu <- sum(w$lb * (w$df + nc)); s <- sqrt(sum(w$lb^2 * (2 * w$df + 4 * nc)))
  q <- signif(c(mu - 1.5 * s, mu - 0.5 * s, mu, mu + 0.7 * s, mu + 2 * s, mu + 5 * s, mu + 12 * s, 0), 6)
  if (min(w$lb) > 0) q <- q[q >= 0]
  lim <- if (is.null(w$lim)) 1e5 else w$lim
  quiet <- function(expr) withCallingHandlers(expr, warning = function(m) invokeRestart("muffleWarning"))
  run <- function(lower) vapply(q, function(qq) quiet(psum(qq, w$lb, df = w$df, nc = nc, lower.tail = lower, nlim = lim)), 0)
  fault <- vapply(q, function(qq) quiet(attr(psum(qq, w$lb, df = w$df, nc = nc, nlim = lim, trace = TRUE), "ifault")), 0L)
  list(lb = w$lb, df = w$df, nc = nc, lim = lim, q = q, upper = run(FALSE), lower = run(TRUE), ifault = fault,
       liu = if (all(nc == 0)) vapply(q, function(qq) liu2(qq, w$lb, h = w$df), 0) else NULL)
})

# --- gamm4 cases ---
gamsim <- read.csv(file.path(dataDir, "gamsim1.csv"), stringsAsFactors = TRUE)
sleep <- read.csv(file.path(dataDir, "sleepstudy.csv"), stringsAsFactors = TRUE)
sleep$Subject <- factor(sleep$Subject)
mat <- function(m) unname(as.matrix(m))
case <- function(name, formula, random, data, REML = TRUE) {
  fit <- gamm4(as.formula(formula), random = as.formula(random), data = data, REML = REML,
               control = lmerControl(optCtrl = list(xtol_rel = 1e-12, ftol_abs = 1e-14, ftol_rel = 1e-14, maxeval = 1e5)))
  gam <- fit$gam
  st <- summary(gam)
  res.df <- length(gam$y) - sum(gam$edf)
  sms <- lapply(gam$smooth, function(sm) {
    ind <- sm$first.para:sm$last.para
    Xt <- gam$R[, ind, drop = FALSE]
    rank <- min(ncol(Xt), sum(gam$edf[ind]))
    ts <- testStat1(gam$coefficients[ind], Xt, gam$Vp[ind, ind, drop = FALSE], rank, type = 0, res.df = res.df)
    ts_chi <- testStat(gam$coefficients[ind], Xt, gam$Vp[ind, ind, drop = FALSE], rank, type = 0, res.df = -1)
    list(label = sm$label, p = as.numeric(gam$coefficients[ind]), V = mat(gam$Vp[ind, ind, drop = FALSE]),
         XtX = mat(crossprod(Xt)), rank = rank, res_df = res.df,
         stat = ts$stat, stat1 = ts$stat1, pval = ts$pval, ref_df = ts$rank, pval_chisq = ts_chi$pval)
  })
  theta <- getME(fit$mer, "theta")
  list(name = name, formula = formula, random = random, REML = REML, res_df = res.df,
       theta = as.list(theta),
       s_table = list(names = rownames(st$s.table), edf = st$s.table[, 1], ref_df = st$s.table[, 2],
                      F = st$s.table[, 3], p = st$s.table[, 4]),
       smooths = sms, printed = capture.output(print(st)))
}
cases <- list(
  case("sleep_cr", "Reaction ~ s(Days, k = 5, bs = \"cr\")", "~ (1 | Subject)", sleep),
  case("sleep_tp", "Reaction ~ s(Days, k = 5)", "~ (1 | Subject)", sleep),
  case("sleep_tp_ml", "Reaction ~ s(Days, k = 5)", "~ (1 | Subject)", sleep, REML = FALSE),
  case("gamsim", "y ~ s(x0) + s(x1, bs = \"cr\") + x2", "~ (1 | fac)", gamsim),
  case("gamsim_cr", "y ~ s(x0, bs = \"cr\") + s(x1, bs = \"cr\", k = 8) + x2", "~ (1 | fac)", gamsim),
  case("gamsim_tp12", "y ~ s(x2, bs = \"tp\", k = 12) + x0", "~ (1 | fac)", gamsim),
  case("gamsim_null", "y ~ s(x0, bs = \"cr\") + s(x3) + x2", "~ (1 | fac)", gamsim)
)
names(cases) <- vapply(cases, function(x) x$name, "")
writeLines(toJSON(list(psum_chisq = grid, cases = cases), auto_unbox = TRUE, digits = NA, matrix = "rowmajor"),
           file.path(out, "gamm4_pvalues.json"))
