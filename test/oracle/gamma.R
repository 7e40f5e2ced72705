#!/usr/bin/env Rscript
# References for glmer with the Gamma and inverse.gaussian families (test/gamma.test.ts), lme4 1.1-31.
#
# lme4 treats these families as having a scale (useSc = TRUE, hasNoScale() is FALSE):
#   the Laplace deviance is resp$Laplace = aic + ldL2 + sqrL, where aic is glmFamily.cpp's
#     Gamma:            -2 sum wt log dgamma(y, 1/disp, scale = mu disp) + 2,   disp = sum(devres)/sum(wt)
#     inverse.gaussian: sum(wt) (log(2 pi disp) + 1) + 3 sum wt log y + 2
#   sigma(fit) = sqrt(pwrss / n), pwrss = sum wt (y - mu)^2 / V(mu) + |u|^2 (mkMerMod's sigmaML);
#   VarCorr scales the relative covariance by sigma^2 and adds a Residual row; vcov from the Hessian
#   (default) is not scaled, vcov(use.hessian = FALSE) is sigma^2 (RX'RX)^-1; logLik's df counts sigma.
# nAGQ > 1 runs but gives a value that is not the Laplace's likelihood (recorded as agq_odd).
#
# Cases (simulated here, data in test/fixtures/gamma/*.csv):
#   gamma_log:       y ~ x + (1 | g),            Gamma(log)
#   gamma_inverse:   y ~ x + (1 | g),            Gamma(inverse)
#   gamma_slope:     y ~ x + (x | g),            Gamma(log)
#   gamma_crossed:   y ~ x + (1 | g) + (1 | h),  Gamma(log), prior weights w
#   gamma_identity:  y ~ x + (1 | g),            Gamma(identity)
#   ig_log:          y ~ x + (1 | g),            inverse.gaussian(log)
#   ig_canonical:    y ~ x + (1 | g),            inverse.gaussian(1/mu^2)
#   ig_inverse:      y ~ x + (1 | g),            inverse.gaussian(inverse)
#   ig_identity:     y ~ x + (1 | g),            inverse.gaussian(identity)
# For each: glmer's default fit, the exact Laplace deviance (exact_laplace.R) at fixed (theta, beta)
# points, the exact stage-1 (nAGQ = 0) deviance at theta points and at glmer(nAGQ = 0)'s optimum,
# and the exact optimum (tight, nloptwrap) with its Hessian Var(beta), sigma, VarCorr and RX vcov.
# Usage (from the repository root): Rscript test/oracle/gamma.R
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
source(file.path(here, "exact_laplace.R"))
out <- file.path(root, "test/fixtures/gamma")
dir.create(out, showWarnings = FALSE, recursive = TRUE)

# inverse Gaussian draws (Michael, Schucany and Haas 1976), mean mu, shape lambda
rinvgauss1 <- function(n, mu, lambda) {
  nu <- rnorm(n)^2
  x <- mu + mu^2 * nu / (2 * lambda) - mu / (2 * lambda) * sqrt(4 * mu * lambda * nu + mu^2 * nu^2)
  ifelse(runif(n) <= mu / (mu + x), x, mu^2 / x)
}

set.seed(20261205)
mk <- function(ng, per) {
  g <- rep(seq_len(ng), each = per); n <- length(g)
  data.frame(g = g, h = sample(rep(1:8, length.out = n)), x = round(rnorm(n), 4))
}
d1 <- mk(20, 10); b <- rnorm(20, 0, 0.4)
d1$y <- signif(rgamma(nrow(d1), shape = 4, scale = exp(1 + 0.5 * d1$x + b[d1$g]) / 4), 8)
d2 <- mk(15, 12); b0 <- rnorm(15, 0, 0.05); b1 <- rnorm(15, 0, 0.02)
d2$y <- signif(rgamma(nrow(d2), shape = 6, scale = 1 / (0.5 + 0.1 * d2$x + b0[d2$g]) / 6), 8)
d7 <- mk(24, 12); b0 <- rnorm(24, 0, 0.4); b1 <- rnorm(24, 0, 0.25)
d7$y <- signif(rgamma(nrow(d7), shape = 5, scale = exp(0.8 + 0.3 * d7$x + b0[d7$g] + b1[d7$g] * d7$x) / 5), 8)
d3 <- mk(25, 8); bg <- rnorm(25, 0, 0.3); bh <- rnorm(8, 0, 0.2)
d3$w <- sample(c(1, 2, 3), nrow(d3), replace = TRUE)
d3$y <- signif(rgamma(nrow(d3), shape = 3 * d3$w, scale = exp(0.5 - 0.3 * d3$x + bg[d3$g] + bh[d3$h]) / (3 * d3$w)), 8)
d4 <- mk(20, 10); b <- rnorm(20, 0, 0.5)
d4$y <- signif(rgamma(nrow(d4), shape = 5, scale = (5 + 1 * d4$x + b[d4$g]) / 5), 8)
d5 <- mk(20, 10); b <- rnorm(20, 0, 0.3)
d5$y <- signif(rinvgauss1(nrow(d5), exp(0.3 + 0.4 * d5$x + b[d5$g]), 4), 8)
d6 <- mk(20, 10); b <- rnorm(20, 0, 0.05)
d6$y <- signif(rinvgauss1(nrow(d6), 1 / sqrt(0.8 + 0.1 * d6$x + b[d6$g]), 6), 8)
d8 <- mk(20, 10); b <- rnorm(20, 0, 0.08)
d8$y <- signif(rinvgauss1(nrow(d8), 1 / (0.9 + 0.15 * d8$x + b[d8$g]), 5), 8)
d9 <- mk(20, 10); b <- rnorm(20, 0, 0.3)
d9$y <- signif(rinvgauss1(nrow(d9), 2 + 0.3 * d9$x + b[d9$g], 8), 8)

cases <- list(
  list(name = "gamma_log", d = d1, formula = "y ~ x + (1 | g)", family = "Gamma", link = "log"),
  list(name = "gamma_inverse", d = d2, formula = "y ~ x + (1 | g)", family = "Gamma", link = "inverse"),
  list(name = "gamma_slope", d = d7, formula = "y ~ x + (x | g)", family = "Gamma", link = "log"),
  list(name = "gamma_crossed", d = d3, formula = "y ~ x + (1 | g) + (1 | h)", family = "Gamma", link = "log", weights = "w"),
  list(name = "gamma_identity", d = d4, formula = "y ~ x + (1 | g)", family = "Gamma", link = "identity"),
  list(name = "ig_log", d = d5, formula = "y ~ x + (1 | g)", family = "inverse.gaussian", link = "log"),
  list(name = "ig_canonical", d = d6, formula = "y ~ x + (1 | g)", family = "inverse.gaussian", link = "1/mu^2"),
  list(name = "ig_inverse", d = d8, formula = "y ~ x + (1 | g)", family = "inverse.gaussian", link = "inverse"),
  list(name = "ig_identity", d = d9, formula = "y ~ x + (1 | g)", family = "inverse.gaussian", link = "identity")
)

ranef_list <- function(m) {
  re <- ranef(m)
  lapply(names(re), function(g) list(group = g, levels = rownames(re[[g]]), values = lapply(as.list(re[[g]]), as.numeric)))
}

for (cs in cases) {
  d <- cs$d
  for (f in c("g", "h")) d[[f]] <- factor(d[[f]])
  write.csv(cs$d, file.path(out, paste0(cs$name, ".csv")), row.names = FALSE)
  fam <- get(cs$family)(link = cs$link)
  fo <- as.formula(cs$formula)
  d$.w <- if (is.null(cs$weights)) rep(1, nrow(d)) else d[[cs$weights]]
  m <- glmer(fo, data = d, family = fam, weights = .w)
  nth <- length(getME(m, "theta"))
  default <- list(
    theta = I(as.numeric(getME(m, "theta"))), fixef = named(fixef(m)),
    se = named(sqrt(diag(as.matrix(vcov(m))))), vcov = unname(as.matrix(vcov(m))),
    vcov_rx = unname(as.matrix(suppressWarnings(vcov(m, use.hessian = FALSE)))),
    sigma = sigma(m), loglik = as.numeric(logLik(m)), df = attr(logLik(m), "df"), aic = AIC(m), bic = BIC(m),
    deviance = deviance(m), df_resid = df.residual(m), varcorr = varcorr_rows(m), ranef = ranef_list(m),
    pearson_head = I(as.numeric(head(residuals(m, "pearson"), 10))),
    summary = I(capture.output(print(summary(m)))))
  # the exact Laplace deviance at fixed points and its optimum
  ref <- stage_references(fo, d, fam)
  gf <- ref$gf; dev <- ref$dev; exact <- ref$exact; objective0_at <- ref$objective0_at; nagq0 <- ref$nagq0
  th <- default$theta; be <- unlist(default$fixef)
  pts <- list(c(th, be), c(th * 0.8, be + 0.02), c(th + 0.1, be - 0.01 * seq_along(be)))
  objective_at <- lapply(pts, function(x) list(theta = I(x[seq_len(nth)]), beta = I(x[-seq_len(nth)]), value = exact(x)))
  # the exact optimum; where lme4's PIRLS fails on the way (NaN at a trial point: the inverse link
  # leaves its domain), the tight references are left out (the case's default fit is still compared)
  xo <- tryCatch(exact_optimum(exact, th, be, gf$reTrms$lower), error = function(e) NULL)
  if (is.null(xo)) {
    cat(cs$name, "no tight optimum (lme4's PIRLS failed at a trial point)\n")
  } else {
  exact(c(xo$theta, xo$beta))
  rho <- environment(dev)
  pwrss <- rho$resp$wrss() + rho$pp$sqrL(1)
  tight <- list(theta = I(xo$theta), fixef = as.list(setNames(xo$beta, names(be))), vcov = xo$vcov,
                se = as.list(setNames(sqrt(diag(xo$vcov)), names(be))), deviance_laplace = xo$value,
                sigma = sqrt(pwrss / nrow(d)), drsum = rho$resp$resDev(), gradient = I(xo$gradient),
                b = I(as.numeric(rho$pp$b(1))))
  # VarCorr and sigma^2 (RX'RX)^-1 at the tight optimum (VarCorr.merMod's mkVarCorr with sc = sigma)
  rt <- gf$reTrms
  vct <- lme4:::mkVarCorr(tight$sigma, cnms = rt$cnms, nc = lengths(rt$cnms), theta = xo$theta, nms = names(rt$cnms))
  attr(vct, "sc") <- tight$sigma; attr(vct, "useSc") <- TRUE; class(vct) <- "VarCorr.merMod"
  vdf <- as.data.frame(vct)
  tight$varcorr <- lapply(seq_len(nrow(vdf)), function(i) list(group = vdf$grp[i], vcov = vdf$vcov[i], sdcor = vdf$sdcor[i]))
  tight$vcov_rx <- unname(tight$sigma^2 * as.matrix(rho$pp$unsc()))
  }
  res <- list(name = cs$name, data = paste0(cs$name, ".csv"), formula = cs$formula, family = cs$family, link = fam$link,
              weights = cs$weights, R = R.version.string, lme4 = as.character(packageVersion("lme4")),
              default = default, objective_at = objective_at, objective0_at = objective0_at, nagq0 = nagq0, tight = if (is.null(xo)) NULL else tight)
  if (cs$name == "gamma_log") {
    a <- glmer(fo, data = d, family = fam, nAGQ = 5L)
    res$agq_odd <- list(nAGQ = 5L, loglik = as.numeric(logLik(a)), laplace_loglik = default$loglik)
  }
  write_json_file(res, file.path(out, paste0(cs$name, ".json")))
  cat(cs$name, "default", format(-2 * default$loglik, digits = 12), "tight", if (is.null(xo)) NA else format(xo$value, digits = 12), "\n")
}

# the families' pieces: variance, deviance residuals, aic (R's family objects), links
y <- c(0.3, 1.2, 2.5, 0.05, 7.1); mu <- c(0.5, 1, 2, 0.2, 5); wt <- c(1, 2, 1, 0.5, 3)
unit <- list(y = y, mu = mu, wt = wt)
for (fn in c("Gamma", "inverse.gaussian")) {
  f <- get(fn)()
  dr <- f$dev.resids(y, mu, wt)
  unit[[fn]] <- list(variance = f$variance(mu), dev_resids = dr, aic = f$aic(y, 1, mu, wt, sum(dr)))
}
write_json_file(unit, file.path(out, "unit.json"))
