#!/usr/bin/env Rscript
# gamm4 0.2-6 (mgcv 1.8-41, lme4 1.1-31, R 4.2.2): the smooth bases added after test/oracle/gamm4_by.R — the
# cyclic cubic spline s(x, bs = "cc"), the P-spline s(x, bs = "ps") (mgcv's default m = c(2, 2)), t2() with tp
# margins (bs = "tp", and mixed bs = c("cr", "tp")) and t2() with `by =` (a factor: one t2 per level; numeric) —
# for test/gamm4Bases.test.ts, on test/fixtures/data/gamsim_by.csv (written by gamm4_by.R).
# Each case has what gamm4_by.R's cases have (the mer's θ, σ, criterion and the criterion at θ; the gam view:
# coefficients, Vp, edf, sp, fitted values, summary.gam's p.table and s.table, each smooth's values and SEs on a
# grid, predictions with SEs at new rows) and, for each s() smooth, mgcv's smoothCon(…, absorb.cons = TRUE,
# scale.penalty = TRUE) basis at the data's first 12 rows, its penalty and S.scale, and PredictMat at values
# beyond the data's range (a cc smooth wraps them, a ps smooth continues linearly).
# The t2 cases are fitted with gamm4_by.R's patch of nat.param's eigen() (the margins' eigenvector signs and
# two-dimensional null basis fixed as src/smooth/t2Smooth.ts fixes them; no other change to mgcv). A tp margin's
# own basis comes from mgcv's Lanczos eigenvectors, whose signs are arbitrary: with tp margins single
# coefficients may differ in sign, the fit may not.
# Usage (from the repository root): Rscript test/oracle/gamm4_bases.R test/fixtures/data test/fixtures/gamm4
suppressMessages({ library(gamm4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)
data <- read.csv(file.path(dataDir, "gamsim_by.csv"), stringsAsFactors = TRUE)

source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "gamm4_common.R"))
smoothCalls <- function(formula) regmatches(formula, gregexpr("(s|t2)\\((?:[^()]|\\([^()]*\\))*\\)", formula, perl = TRUE))[[1]]

case <- function(name, formula, random, newdata, family = NULL) {
  patched <- grepl("t2\\(", formula)
  usePatch(patched)
  on.exit(usePatch(FALSE))
  fit <- if (is.null(family)) gamm4(as.formula(formula), random = as.formula(random), data = data, REML = TRUE, control = ctrl)
         else suppressWarnings(gamm4(as.formula(formula), random = as.formula(random), data = data, family = family, control = gctrl))
  if (is.null(family)) {
    # again from that optimum with bobyqa at a tight rhoend: nloptwrap stops on its ftol in the flat directions of
    # a model with many penalties (t2 by a factor: 9) ~1e-8 of the criterion above the optimum, its smooths ~1e-5 off
    fit <- gamm4(as.formula(formula), random = as.formula(random), data = data, REML = TRUE, start = getME(fit$mer, "theta"),
                 control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
  }
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
  else { at <- NA; crit <- -2 * as.numeric(logLik(mer)) }
  calls <- smoothCalls(formula)
  sms <- lapply(gam$smooth, function(sm) {
    ind <- sm$first.para:sm$last.para
    beta <- gam$coefficients[ind]; V <- gam$Vp[ind, ind]
    byName <- sub("^ordered\\((.*)\\)$", "\\1", sm$by)
    if (inherits(sm, "t2.smooth")) {
      g1 <- seq(min(data[[sm$term[1]]]), max(data[[sm$term[1]]]), length.out = 7)
      g2 <- seq(min(data[[sm$term[2]]]), max(data[[sm$term[2]]]), length.out = 7)
      nd <- expand.grid(a = g1, b = g2); names(nd) <- sm$term
    } else {
      xv <- data[[sm$term]]
      nd <- data.frame(seq(min(xv), max(xv), length.out = 50)); names(nd) <- sm$term
    }
    if (sm$by != "NA") nd[[byName]] <- if (is.null(sm$by.level)) 1 else factor(sm$by.level, levels = levels(data[[byName]]))
    Xp <- PredictMat(sm, nd)
    r <- list(label = sm$label, term = sm$term, by = sm$by, by_level = if (is.null(sm$by.level)) NULL else sm$by.level,
              first = sm$first.para, last = sm$last.para, edf = sum(gam$edf[ind]), rank = sm$rank, null_space_dim = sm$null.space.dim,
              grid = as.list(nd[sm$term]), fit = as.numeric(Xp %*% beta), se = sqrt(rowSums((Xp %*% V) * Xp)))
    if (!inherits(sm, "t2.smooth") && sm$by == "NA") {
      call <- calls[startsWith(calls, paste0("s(", sm$term))]
      sm0 <- smoothCon(eval(parse(text = call)), data = data, absorb.cons = TRUE, scale.penalty = TRUE)[[1]]
      r$S_scale <- sm0$S.scale
      r$X_head <- mat(sm0$X[1:12, , drop = FALSE])
      r$S <- mat(sm0$S[[1]])
      xv <- data[[sm$term]]; w <- diff(range(xv))
      out <- data.frame(c(min(xv) - 0.3 * w, min(xv) - 0.01 * w, max(xv) + 0.01 * w, max(xv) + 0.45 * w)); names(out) <- sm$term
      r$outside <- out[[1]]
      r$X_outside <- mat(PredictMat(sm0, out))
    }
    r
  })
  gammRecord(name, formula, patched, random, family, data, mer, theta, crit, at, gam, sms, newdata)
}

nd <- data.frame(x0 = c(0.1, 0.5, 0.9, 0.3), x1 = c(0.4, 0.5, 0.6, 0.2), x2 = c(0.2, 0.5, 0.95, 0.7), z = c(0.3, 1, 0.6, 0.1),
                 fac = factor(c("l1", "l2", "l3", "l2"), levels = levels(data$fac)))
specs <- list(
  list("cc", "yvc ~ s(x1, bs = \"cc\", k = 8) + z", "~ (1 | g)"),
  list("cc_by", "y ~ fac + s(x2, by = fac, bs = \"cc\", k = 6)", "~ (1 | g)"),
  list("ps", "y ~ s(x2, bs = \"ps\") + s(x0, bs = \"cr\")", "~ (1 | g)"),
  list("ps_by", "y ~ fac + s(x2, by = fac, bs = \"ps\", k = 6)", "~ (1 | g)"),
  list("cc_ps_poisson", "yp ~ s(x0, bs = \"cc\") + s(x2, bs = \"ps\", k = 8)", "~ (1 | g)", "poisson"),
  list("t2_tp", "y ~ t2(x0, x2, bs = \"tp\") + x1", "~ (1 | g)"),
  list("t2_cr_tp", "y ~ t2(x0, x2, bs = c(\"cr\", \"tp\"), k = c(5, 6))", "~ (1 | g)"),
  list("t2_by_factor", "y ~ fac + t2(x0, x2, by = fac, k = 4)", "~ (1 | g)"),
  list("t2_by_numeric", "yvc ~ t2(x1, x2, by = z, k = 4)", "~ (1 | g)"),
  list("t2_cc_ps", "y ~ t2(x0, x2, bs = c(\"cc\", \"ps\"), k = c(5, 6)) + x1", "~ (1 | g)")
)
cases <- list()
for (s in specs) {
  cases[[s[[1]]]] <- case(s[[1]], s[[2]], s[[3]], nd, if (length(s) > 3) s[[4]] else NULL)
}
writeLines(toJSON(cases, auto_unbox = TRUE, digits = NA, matrix = "rowmajor"), file.path(out, "gamm4_bases.json"))
