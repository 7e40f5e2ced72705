#!/usr/bin/env Rscript
# glmmTMB fits whose fixed effects run to a boundary (test/tmbBoundary.test.ts, src/zeroinfl/boundary.ts):
# references from glmmTMB 1.1.5.
#
# Cases:
#   - zinbm3, glmmTMB's vignette model (Brooks et al. 2017): count ~ spp * mined + (1 | site), zi = ~ spp *
#     mined, nbinom2, on Salamanders (test/fixtures/data/salamanders.csv, written by zeroinfl.R; read.csv's
#     sorted level order, so the cells are named as in the tests). The zero-inflation probability of the
#     cells spp = GP, mined = no and spp = EC-L, mined = yes runs to 0: glmmTMB stops with zi:sppGP,
#     zi:sppEC-L:minedyes and zi:sppGP:minedyes at ±15…18 and SEs in the thousands.
#   - zip_cell: a zero-inflated Poisson, count ~ f + (1 | g), zi = ~ f, on simulated rows (a seed) where
#     level c (mean ~9) has no zeros at all (checked below): p_c → 0.
#   - pois_zero_cell: a Poisson GLMM (zi = ~ 0), y ~ f + (1 | g), whose level c has only zeros: μ_c → 0.
# For each: glmmTMB's own fit (par, objective, logLik, the optimizer's message and iterations, the
# coefficient tables from sdreport); and the model with the boundary fixed ("mapped"): glmmTMB's `map`
# holding the unbounded coefficients at −30 (their cells' η ≈ −30: the supremum to ~1e-13), started at
# glmmTMB's estimates (a coefficient in `follow` moved with its mapped partner, so that the cell they share,
# spp = GP, mined = yes, keeps its η: otherwise it starts at the boundary too and nlminb leaves it there), refitted and
# polished by tmbNewton (tmb_common.R) to max |gradient| < 1e-9; its objective (the supremum), the full
# parameter vector (mapped entries at −30) and the SEs of the free parameters from optimHess of TMB's gradient.
# glmmTMB's own SEs of the finite coefficients come from a Hessian at its drifting point (η ≈ −15):
# they agree with the mapped model's to ~1e-4 relative; the tests compare ours with the mapped model's.
# Usage (from the repository root): Rscript test/oracle/tmb_boundary.R
suppressPackageStartupMessages({ library(glmmTMB); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
out <- file.path(root, "test/fixtures/tmb_boundary")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
source(file.path(here, "tmb_common.R"))

sal <- read.csv(file.path(root, "test/fixtures/data/salamanders.csv"), stringsAsFactors = TRUE)

# simulated rows: 3 levels of f, 20 groups, 5 rows per group and level
csv <- file.path(root, "test/fixtures/data/tmb_boundary.csv")
set.seed(20261207)
sim <- expand.grid(rep = 1:5, f = c("a", "b", "c"), g = sprintf("g%02d", 1:20))
b <- rnorm(20, sd = 0.5)[as.integer(factor(sim$g))]
mu <- exp(1 + 0.4 * (sim$f == "b") + 1.2 * (sim$f == "c") + b)
pzi <- c(a = 0.3, b = 0.2, c = 0)[as.character(sim$f)]
sim$count <- ifelse(runif(nrow(sim)) < pzi, 0, rpois(nrow(sim), mu))
sim$y <- ifelse(sim$f == "c", 0, rpois(nrow(sim), exp(0.5 + b)))
stopifnot(all(sim$count[sim$f == "c"] > 0))
write.csv(sim[, c("f", "g", "count", "y")], csv, row.names = FALSE, quote = FALSE)
sim <- read.csv(csv, stringsAsFactors = TRUE)

cases <- list(
  list(name = "zinbm3", data = "salamanders", formula = "count ~ spp * mined + (1 | site)", zi = "~ spp * mined", family = "nbinom2",
       map = list(betazi = c("sppGP", "sppEC-L:minedyes")), follow = c("sppGP:minedyes" = "sppGP")),
  list(name = "zip_cell", data = "tmb_boundary", formula = "count ~ f + (1 | g)", zi = "~ f", family = "poisson",
       map = list(betazi = "fc")),
  list(name = "pois_zero_cell", data = "tmb_boundary", formula = "y ~ f + (1 | g)", zi = "~ 0", family = "poisson",
       map = list(beta = "fc"))
)
fam_of <- function(name) switch(name, poisson = poisson(), nbinom2 = nbinom2())
tab <- function(m) if (is.null(m)) NULL else list(rownames = rownames(m), estimate = unname(m[, 1]), se = unname(m[, 2]))

for (cs in cases) {
  d <- if (cs$data == "salamanders") sal else sim
  t0 <- Sys.time()
  fit <- glmmTMB(as.formula(cs$formula), ziformula = as.formula(cs$zi), family = fam_of(cs$family), data = d)
  secs <- as.numeric(Sys.time() - t0, units = "secs")
  s <- summary(fit)
  # the mapped model: the unbounded coefficients held at -30
  cn <- colnames(getME(fit, "X")); zn <- colnames(getME(fit, "Xzi"))
  map <- list(); start <- list(beta = unname(fixef(fit)$cond))
  if (length(zn)) start$betazi <- setNames(unname(fixef(fit)$zi), zn)
  if (!is.null(cs$map[["beta"]])) {
    k <- match(cs$map[["beta"]], cn); stopifnot(!anyNA(k))
    map$beta <- factor(replace(seq_along(cn), k, NA)); start[["beta"]][k] <- -30
  }
  if (!is.null(cs$map[["betazi"]])) {
    k <- match(cs$map[["betazi"]], zn); stopifnot(!anyNA(k))
    for (j in names(cs$follow)) start$betazi[j] <- start$betazi[j] + start$betazi[cs$follow[[j]]] + 30
    map$betazi <- factor(replace(seq_along(zn), k, NA)); start$betazi[k] <- -30
    start$betazi <- unname(start$betazi)
  }
  mfit <- glmmTMB(as.formula(cs$formula), ziformula = as.formula(cs$zi), family = fam_of(cs$family), data = d, map = map, start = start)
  nt <- tmbNewton(mfit, 20)
  stopifnot(max(abs(nt$gr(nt$tp))) < 1e-9)
  Ht <- optimHess(nt$tp, nt$fn, nt$gr)
  # the full parameter vector (glmmTMB's order: beta, betazi, betad, theta), mapped entries at -30
  full <- c(start[["beta"]], start$betazi, numeric(length(fit$fit$par) - length(cn) - length(zn)))
  mapped <- c(if (!is.null(cs$map[["beta"]])) match(cs$map[["beta"]], cn), if (!is.null(cs$map[["betazi"]])) length(cn) + match(cs$map[["betazi"]], zn))
  free <- setdiff(seq_along(full), mapped)
  full[free] <- nt$tp
  se <- rep(NA_real_, length(full)); se[free] <- sqrt(diag(solve(Ht)))
  res <- list(
    name = cs$name, data = cs$data, formula = cs$formula, ziformula = cs$zi, family = cs$family,
    glmmtmb = list(
      par = unname(fit$fit$par), parnames = names(fit$fit$par), objective = fit$fit$objective,
      loglik = as.numeric(logLik(fit)), message = fit$fit$message, iterations = fit$fit$iterations,
      evaluations = unname(fit$fit$evaluations), seconds = secs,
      cond = tab(s$coefficients$cond), zi = tab(s$coefficients$zi)
    ),
    mapped = list(
      names = c(cs$map[["beta"]], if (length(cs$map[["betazi"]])) paste0("zi:", cs$map[["betazi"]])), index = mapped - 1L,
      par = unname(full), objective = nt$fn(nt$tp), loglik = -nt$fn(nt$tp), se = se
    )
  )
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"), file.path(out, paste0(cs$name, ".json")))
  cat(cs$name, fit$fit$message, "logLik", format(res$glmmtmb$loglik, digits = 12), "mapped", format(res$mapped$loglik, digits = 12), secs, "s\n")
}
