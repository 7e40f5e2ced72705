#!/usr/bin/env Rscript
# gamm4 0.2-6 (mgcv 1.8-41, lme4 1.1-31, R 4.2.2): `by =` smooths and t2() tensor product smooths, for
# test/gamm4By.test.ts. Each case: the mer's θ (lme4's order), σ, criterion (REML or, for glmer, the
# Laplace deviance), the criterion at θ; the gam view: coefficients, Vp (gamm4's parametrization: for a t2
# smooth, gam.setup's prediction constraint, G$P applied), edf, sp, fitted values, summary.gam's p.table and
# s.table, each smooth's values and SEs on a grid (plot.gam's: a by smooth with by = 1, a t2 smooth on a
# 7 × 7 grid of its covariates' ranges), predictions with SEs at new rows; a t2 smooth's fit basis |X| on its
# penalized blocks and S.scale at the data's first rows.
# t2 with cr margins: mgcv's nat.param takes the margin penalty's eigenvectors from eigen(), and for its
# two-dimensional null space LAPACK returns an orthonormal basis fixed only by round-off, on which the t2's
# `nr` and `rn` penalties depend (nat.param scales the null columns one by one). mixedgpu fixes that basis
# (src/smooth/t2Smooth.ts: v1 ∝ P_N 1, v2 ∝ the rest of P_N c, c_j = j − (k − 1)/2, P_N the null projector);
# gamm4's summary tests a t2 smooth with its coefficients and Vp after gam.setup's G$P but its R before, which
# is not invariant to the margins' eigenvector signs either: mixedgpu makes each eigenvector's largest entry
# positive. The cases named t2_* are gamm4 with eigen() in nat.param returning that same basis and signs (the
# patch below, no other change to mgcv); the case t2_cr_stock is stock gamm4.
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

source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "gamm4_common.R"))
case <- function(name, formula, random, newdata, family = NULL, patched = grepl("t2\\(", formula)) {
  usePatch(patched)
  on.exit(usePatch(FALSE))
  fit <- if (is.null(family)) gamm4(as.formula(formula), random = as.formula(random), data = data, REML = TRUE, control = ctrl)
         else suppressWarnings(gamm4(as.formula(formula), random = as.formula(random), data = data, family = family, control = gctrl))
  if (!is.null(family)) {
    # as test/oracle/gamm4_glmm.R: again from that optimum with stage 2's Nelder_Mead parameter tolerance xt tightened
    npar <- length(getME(fit$mer, "theta")) + length(fixef(fit$mer))
    gctrl2 <- gctrl; gctrl2$optCtrl$xt <- rep(1e-11, npar)
    fit <- suppressWarnings(gamm4(as.formula(formula), random = as.formula(random), data = data, family = family,
                                  control = gctrl2, start = list(theta = getME(fit$mer, "theta"), fixef = fixef(fit$mer))))
  }
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
      byName <- sub("^ordered\\((.*)\\)$", "\\1", sm$by)   # by = ordered(fac): the column fac
      if (sm$by != "NA") nd[[byName]] <- if (is.null(sm$by.level)) 1 else factor(sm$by.level, levels = levels(data[[byName]]))
    }
    Xp <- PredictMat(sm, nd)
    r <- list(label = sm$label, term = sm$term, by = sm$by, by_level = if (is.null(sm$by.level)) NULL else sm$by.level,
              first = sm$first.para, last = sm$last.para, edf = sum(gam$edf[ind]), rank = sm$rank, null_space_dim = sm$null.space.dim,
              grid = as.list(nd[sm$term]), fit = as.numeric(Xp %*% beta), se = sqrt(rowSums((Xp %*% V) * Xp)))
    if (inherits(sm, "t2.smooth")) {
      call <- regmatches(formula, regexpr("t2\\((?:[^()]|\\([^()]*\\))*\\)", formula, perl = TRUE))
      sm0 <- smoothCon(eval(parse(text = call)), data = data, absorb.cons = TRUE, scale.penalty = TRUE)[[1]]
      r$S_scale <- sm0$S.scale
      r$absX_head <- mat(abs(sm0$X[1:12, 1:sum(sm0$rank)]))
      r$Xp_head <- mat(PredictMat(sm, data[1:12, , drop = FALSE]))
    }
    r
  })
  gammRecord(name, formula, patched, random, family, data, mer, theta, crit, at, gam, sms, newdata)
}

nd_fac <- data.frame(x0 = c(0.1, 0.5, 0.9, 0.3), x2 = c(0.2, 0.5, 0.95, 0.7), fac = factor(c("l1", "l2", "l3", "l2"), levels = levels(data$fac)))
nd_vc <- data.frame(x1 = c(0.1, 0.5, 0.9), z = c(0.3, 1, 0.6))
nd_t2 <- data.frame(x0 = c(0.1, 0.5, 0.9), x1 = c(0.4, 0.5, 0.6), x2 = c(0.2, 0.6, 0.8))
cases <- list(
  case("by_factor_cr", "y ~ fac + s(x2, by = fac, bs = \"cr\") + s(x0, bs = \"cr\")", "~ (1 | g)", nd_fac),
  case("by_factor_tp", "y ~ fac + s(x2, by = fac, k = 8)", "~ (1 | g)", nd_fac),
  case("by_ordered_cr", "y ~ fac + s(x2, bs = \"cr\") + s(x2, by = ordered(fac), bs = \"cr\")", "~ (1 | g)", nd_fac),
  case("by_numeric_cr", "yvc ~ s(x1, by = z, bs = \"cr\")", "~ (1 | g)", nd_vc),
  case("t2_cr", "y ~ t2(x0, x2) + x1", "~ (1 | g)", nd_t2),
  case("t2_k", "y ~ t2(x0, x2, k = c(4, 6), bs = \"cr\")", "~ (1 | g)", nd_t2),
  case("t2_poisson", "yp ~ t2(x0, x2)", "~ (1 | g)", nd_t2, family = "poisson"),
  case("t2_cr_stock", "y ~ t2(x0, x2) + x1", "~ (1 | g)", nd_t2, patched = FALSE)
)
names(cases) <- vapply(cases, function(x) x$name, "")
writeLines(toJSON(cases, auto_unbox = TRUE, digits = NA, matrix = "rowmajor"), file.path(out, "gamm4_by.json"))
