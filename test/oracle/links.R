#!/usr/bin/env Rscript
# References for glmer with the rest of R's links (test/links.test.ts), lme4 1.1-31:
#   binomial(cauchit), binomial(log), poisson(identity), poisson(sqrt), gaussian(log), gaussian(inverse).
#
# lme4's glmFamily.cpp has its own cauchit (mu = min(1 - eps, pcauchy(eta)), dmu/deta = dcauchy(eta)),
# log (mu = dmu/deta = max(eps, exp(eta))) and identity links; sqrt is R's make.link("sqrt")
# (mu = eta^2, dmu/deta = 2 eta), evaluated through R. gaussian is a family with a scale (useSc):
#   aic = n (log(2 pi dev / n) + 1) + 2 - sum(log(wt))   (GaussianDist::aic, n = number of rows),
#   sigma(fit) = sqrt(pwrss / n), as for Gamma (test/oracle/gamma.R).
# glmer(family = gaussian) with the identity link calls lmer (a deprecation warning, recorded).
# A link whose mu leaves the family's range (log-link binomial with mu > 1, identity Poisson with
# mu < 0) makes lme4 1.1-31's PIRLS stop with "PIRLS loop resulted in NaN value" (recorded).
#
# For each case: glmer's default fit, the exact Laplace deviance (exact_laplace.R) at fixed
# (theta, beta) points, the exact stage-1 (nAGQ = 0) deviance at theta points and at glmer(nAGQ = 0)'s
# optimum, and the exact optimum (tight, nloptwrap) with its Hessian Var(beta), sigma,
# the response-scale fitted values there and population predictions linkinv(X beta) on new x.
# Usage (from the repository root): Rscript test/oracle/links.R
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
source(file.path(here, "exact_laplace.R"))
out <- file.path(root, "test/fixtures/links")
dir.create(out, showWarnings = FALSE, recursive = TRUE)

set.seed(20261206)
mk <- function(ng, per) {
  g <- rep(seq_len(ng), each = per); n <- length(g)
  data.frame(g = g, x = round(rnorm(n), 4))
}
d1 <- mk(25, 8); b <- rnorm(25, 0, 0.8)
d1$y <- rbinom(nrow(d1), 1, pcauchy(0.3 + 0.8 * d1$x + b[d1$g]))
d2 <- mk(20, 6); b <- rnorm(20, 0, 0.3)
d2$n <- sample(5:12, nrow(d2), replace = TRUE)
d2$s <- rbinom(nrow(d2), d2$n, exp(-1.6 + 0.25 * d2$x + b[d2$g])); d2$f <- d2$n - d2$s
d3 <- mk(20, 10); b <- rnorm(20, 0, 1)
d3$y <- rpois(nrow(d3), 20 + 1.5 * d3$x + b[d3$g])
d4 <- mk(20, 10); b <- rnorm(20, 0, 0.3)
d4$y <- rpois(nrow(d4), (2 + 0.4 * d4$x + b[d4$g])^2)
d5 <- mk(20, 10); b <- rnorm(20, 0, 0.3)
d5$y <- round(exp(1.5 + 0.3 * d5$x + b[d5$g]) + rnorm(nrow(d5), 0, 0.4), 6)
d6 <- mk(20, 10); b <- rnorm(20, 0, 0.05)
d6$y <- round(1 / (0.5 + 0.1 * d6$x + b[d6$g]) + rnorm(nrow(d6), 0, 0.2), 6)
d6$w <- sample(c(1, 2), nrow(d6), replace = TRUE)

cases <- list(
  list(name = "binomial_cauchit", d = d1, formula = "y ~ x + (1 | g)", family = "binomial", link = "cauchit"),
  list(name = "binomial_log", d = d2, formula = "cbind(s, f) ~ x + (1 | g)", family = "binomial", link = "log"),
  list(name = "poisson_identity", d = d3, formula = "y ~ x + (1 | g)", family = "poisson", link = "identity"),
  list(name = "poisson_sqrt", d = d4, formula = "y ~ x + (1 | g)", family = "poisson", link = "sqrt"),
  list(name = "gaussian_log", d = d5, formula = "y ~ x + (1 | g)", family = "gaussian", link = "log"),
  list(name = "gaussian_inverse", d = d6, formula = "y ~ x + (1 | g)", family = "gaussian", link = "inverse", weights = "w")
)
newx <- c(-1.5, -0.5, 0, 0.7, 1.8)

for (cs in cases) {
  d <- cs$d
  d$g <- factor(d$g)
  write.csv(cs$d, file.path(out, paste0(cs$name, ".csv")), row.names = FALSE)
  fam <- get(cs$family)(link = cs$link)
  fo <- as.formula(cs$formula)
  d$.w <- if (is.null(cs$weights)) rep(1, nrow(d)) else d[[cs$weights]]
  m <- glmer(fo, data = d, family = fam, weights = .w)
  nth <- length(getME(m, "theta"))
  default <- list(
    theta = I(as.numeric(getME(m, "theta"))), fixef = named(fixef(m)),
    se = named(sqrt(diag(as.matrix(vcov(m))))), sigma = sigma(m), loglik = as.numeric(logLik(m)),
    df = attr(logLik(m), "df"), deviance = deviance(m), fitted_head = I(as.numeric(head(fitted(m), 10))),
    summary = I(capture.output(print(summary(m)))))
  ref <- stage_references(fo, d, fam)
  gf <- ref$gf; dev <- ref$dev; exact <- ref$exact; objective0_at <- ref$objective0_at; nagq0 <- ref$nagq0
  th <- default$theta; be <- unlist(default$fixef)
  pts <- list(c(th, be), c(th * 0.8, be * 1.01), c(th + 0.05, be - 0.002 * seq_along(be)))
  objective_at <- lapply(pts, function(x) list(theta = I(x[seq_len(nth)]), beta = I(x[-seq_len(nth)]), value = exact(x)))
  xo <- exact_optimum(exact, th, be, gf$reTrms$lower)
  exact(c(xo$theta, xo$beta))
  rho <- environment(dev)
  useSc <- cs$family == "gaussian"
  pwrss <- rho$resp$wrss() + rho$pp$sqrL(1)
  X <- cbind(1, newx)
  tight <- list(theta = I(xo$theta), fixef = as.list(setNames(xo$beta, names(be))), vcov = xo$vcov,
                se = as.list(setNames(sqrt(diag(xo$vcov)), names(be))), deviance_laplace = xo$value,
                sigma = if (useSc) sqrt(pwrss / nrow(d)) else 1, gradient = I(xo$gradient),
                mu = I(as.numeric(rho$resp$mu)), b = I(as.numeric(rho$pp$b(1))),
                newx = I(newx), predict_population = I(as.numeric(fam$linkinv(drop(X %*% xo$beta)))))
  res <- list(name = cs$name, data = paste0(cs$name, ".csv"), formula = cs$formula, family = cs$family, link = fam$link,
              weights = cs$weights, R = R.version.string, lme4 = as.character(packageVersion("lme4")),
              default = default, objective_at = objective_at, objective0_at = objective0_at, nagq0 = nagq0, tight = tight)
  write_json_file(res, file.path(out, paste0(cs$name, ".json")))
  cat(cs$name, "default", format(-2 * default$loglik, digits = 12), "tight", format(xo$value, digits = 12), "\n")
}

# mu outside the family's range: lme4 1.1-31 stops with PIRLS's NaN error
set.seed(2)
dd <- data.frame(g = rep(1:10, each = 10), x = round(rnorm(100), 4))
dd$yb <- rbinom(100, 1, pmin(0.99, exp(-0.05 + 0.6 * dd$x)))
dd$yp <- rpois(100, pmax(0.01, 1 + 2 * dd$x))
dd$yg <- round(2 + 0.5 * dd$x + rnorm(10)[dd$g] + rnorm(100), 6)
write.csv(dd, file.path(out, "out_of_range.csv"), row.names = FALSE)
dd$g <- factor(dd$g)
msg <- function(expr) tryCatch({ expr; "no error" }, error = function(e) conditionMessage(e))
wmsg <- function(expr) tryCatch({ expr; "no warning" }, warning = function(w) conditionMessage(w))
oor <- list(
  binomial_log = msg(glmer(yb ~ x + (1 | g), dd, family = binomial(link = "log"))),
  poisson_identity = msg(glmer(yp ~ x + (1 | g), dd, family = poisson(link = "identity"))),
  gaussian_identity = wmsg(glmer(yg ~ x + (1 | g), dd, family = gaussian)),
  gaussian_log_nonpositive = msg(glmer(yg - 2 ~ x + (1 | g), dd, family = gaussian(link = "log"))),
  R = R.version.string, lme4 = as.character(packageVersion("lme4")))
write_json_file(oor, file.path(out, "out_of_range.json"))
print(oor)

# the links' pieces (R's make.link) and gaussian's aic (lme4's GaussianDist::aic)
eta <- c(-3, -0.4, 0.2, 1.1, 4)
unit <- list(eta = eta)
for (lk in c("cauchit", "sqrt")) { L <- make.link(lk); unit[[lk]] <- list(linkinv = L$linkinv(eta), mu_eta = L$mu.eta(eta)) }
unit$cauchit_lme4 <- list(linkinv = pmin(1 - .Machine$double.eps, pcauchy(eta)), mu_eta = dcauchy(eta))
y <- c(0.3, 1.2, 2.5, 0.05, 7.1); mu <- c(0.5, 1, 2, 0.2, 5); wt <- c(1, 2, 1, 0.5, 3)
gdr <- gaussian()$dev.resids(y, mu, wt)
unit$gaussian <- list(y = y, mu = mu, wt = wt, dev_resids = gdr, aic = length(y) * (log(2 * pi * sum(gdr) / length(y)) + 1) + 2 - sum(log(wt)))
write_json_file(unit, file.path(out, "unit.json"))
