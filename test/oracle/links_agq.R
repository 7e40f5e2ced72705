#!/usr/bin/env Rscript
# Adaptive Gauss-Hermite quadrature (nAGQ > 1) references for glmer with the links added last
# (test/links_agq.test.ts), lme4 1.1-31: binomial(cauchit), binomial(log), poisson(identity),
# poisson(sqrt), on links.R's simulated data sets (test/fixtures/links/*.csv: one scalar term (1 | g))
# and, for the binomial links, on cbpp (test/fixtures/data/cbpp.csv).
#
# lme4's AGQ deviance function (mkdevfun, nAGQ > 1) runs PIRLS for u with beta fixed and then
# glmerAGQ (its own PIRLS pass again, then the quadrature at the mode with L's diagonal as the
# scale). For non-canonical links PIRLS is Fisher scoring and converges linearly, so the value is
# "settled" as in exact_laplace.R: further glmerAGQ calls (each another PIRLS pass, L refreshed)
# until the value changes by less than 1e-12 relative (the exact AGQ deviance).
#
# For each case and nAGQ in 5, 9, 25: glmer's default fit (theta, beta, -2 logLik), the exact AGQ
# deviance at three (theta, beta) points about it, and the exact optimum (nloptwrap on the exact
# deviance, from the default fit) with its finite-difference Hessian Var(beta) (lme4:::deriv12).
# Usage (from the repository root): Rscript test/oracle/links_agq.R
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
source(file.path(here, "exact_laplace.R"))
out <- file.path(root, "test/fixtures/links_agq")
dir.create(out, showWarnings = FALSE, recursive = TRUE)

cases <- list(
  list(name = "binomial_cauchit", data = "links/binomial_cauchit.csv", formula = "y ~ x + (1 | g)", family = "binomial", link = "cauchit", group = "g"),
  list(name = "binomial_log", data = "links/binomial_log.csv", formula = "cbind(s, f) ~ x + (1 | g)", family = "binomial", link = "log", group = "g"),
  list(name = "poisson_identity", data = "links/poisson_identity.csv", formula = "y ~ x + (1 | g)", family = "poisson", link = "identity", group = "g"),
  list(name = "poisson_sqrt", data = "links/poisson_sqrt.csv", formula = "y ~ x + (1 | g)", family = "poisson", link = "sqrt", group = "g"),
  list(name = "cbpp_cauchit", data = "data/cbpp.csv", formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", family = "binomial", link = "cauchit", group = "herd", factors = c("herd", "period")),
  list(name = "cbpp_log", data = "data/cbpp.csv", formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", family = "binomial", link = "log", group = "herd", factors = c("herd", "period"))
)

# (a non-finite value, where a quadrature node's mu leaves the family's range, is returned as it is)
exact_agq <- function(dev) {
  rho <- environment(dev)
  again <- function() .Call(lme4:::glmerAGQ, rho$pp$ptr(), rho$resp$ptr(), 1e-12, 100L, rho$GQmat, rho$fac, 0L)
  function(x) {
    v <- dev(x)
    if (!is.finite(v)) return(v)
    settle(v, function() { v1 <- again(); if (is.finite(v1)) v1 else stop("non-finite AGQ deviance while settling") })
  }
}

for (cs in cases) {
  d <- read.csv(file.path(root, "test/fixtures", cs$data))
  for (f in c(cs$group, cs$factors)) d[[f]] <- factor(d[[f]])
  fam <- get(cs$family)(link = cs$link)
  fo <- as.formula(cs$formula)
  fits <- list()
  for (nAGQ in c(5L, 9L, 25L)) {
    m <- glmer(fo, data = d, family = fam, nAGQ = nAGQ)
    th <- as.numeric(getME(m, "theta")); be <- as.numeric(fixef(m)); nth <- length(th)
    default <- list(theta = I(th), fixef = named(fixef(m)), se = named(sqrt(diag(as.matrix(vcov(m))))),
                    deviance = -2 * as.numeric(logLik(m)), df = attr(logLik(m), "df"),
                    messages = I(as.character(unlist(m@optinfo$conv$lme4$messages))))
    dev <- update(m, devFunOnly = TRUE, control = glmerControl(tolPwrss = 1e-12))
    exact <- exact_agq(dev)
    pts <- list(c(th, be), c(th * 0.8, be * 1.01), c(th + 0.05, be - 0.002 * seq_along(be)))
    objective_at <- lapply(pts, function(x) list(theta = I(x[seq_len(nth)]), beta = I(x[-seq_len(nth)]),
                                                 value = exact(x), glmer_devfun = dev(x)))
    xo <- tryCatch(exact_optimum(exact, th, be, getME(m, "lower")), error = function(e) conditionMessage(e))
    if (is.character(xo)) {
      # the optimizer met a point where the deviance is not finite: no tight optimum (recorded)
      fits[[as.character(nAGQ)]] <- list(nAGQ = nAGQ, default = default, objective_at = objective_at, tight = NULL, tight_error = xo)
      cat(cs$name, "nAGQ", nAGQ, "default", format(default$deviance, digits = 12), "no tight optimum:", xo, "\n")
      next
    }
    tight <- list(theta = I(xo$theta), fixef = as.list(setNames(xo$beta, names(fixef(m)))),
                  se = as.list(setNames(sqrt(diag(xo$vcov)), names(fixef(m)))), vcov = xo$vcov,
                  deviance = xo$value, gradient = I(xo$gradient))
    fits[[as.character(nAGQ)]] <- list(nAGQ = nAGQ, default = default, objective_at = objective_at, tight = tight)
    cat(cs$name, "nAGQ", nAGQ, "default", format(default$deviance, digits = 12), "tight", format(xo$value, digits = 12),
        "devfun vs exact at default", format(objective_at[[1]]$glmer_devfun - objective_at[[1]]$value, digits = 3), "\n")
  }
  res <- list(name = cs$name, data = cs$data, formula = cs$formula, family = cs$family, link = fam$link,
              factors = I(c(cs$group, cs$factors)), R = R.version.string, lme4 = as.character(packageVersion("lme4")),
              fits = unname(fits))
  write_json_file(res, file.path(out, paste0(cs$name, ".json")))
}
