#!/usr/bin/env Rscript
# Stratified mixed-effects Cox model (strata(x2): separate baseline hazards, risk sets within each
# stratum), from the functions of test/oracle/coxme.R with the PL summed over the strata: the PL at η
# against coxph(Surv ~ offset(η) + strata(x2))$loglik (stopifnot, 1e-10), the IPL at a fixed θ and the
# fitted θ̂, β̂, SEs, log-likelihoods. Data: test/fixtures/data/coxsim.csv (written by coxme.R).
# Usage (from the repository root): Rscript test/oracle/coxme_strata.R
suppressPackageStartupMessages({ library(survival); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
COXME_FUNCTIONS_ONLY <- TRUE
source(file.path(here, "coxme.R"))
d <- read.csv(file.path(root, "test/fixtures/data/coxsim.csv"))
m <- list(X = cbind(x1 = d$x1), terms = list(list(name = "centre", g = factor(d$centre), cols = matrix(1, nrow(d), 1), cnames = "(Intercept)")),
          start = rep(-Inf, nrow(d)), stop = d$time, status = d$status, ties = "efron", offset = rep(0, nrow(d)), strata = factor(d$x2))
m$Z <- make_Z(m$terms)
set.seed(7)
pl <- list()
for (tt in c("efron", "breslow")) {
  eta <- round(rnorm(nrow(d), 0, 0.7), 6)
  mm <- m; mm$ties <- tt
  mine <- m_pieces(mm, eta, NULL)$loglik
  ref <- coxph(Surv(time, status) ~ offset(eta) + strata(x2), data = cbind(d, eta = eta), ties = tt)$loglik[1]
  stopifnot(abs(mine - ref) < 1e-10 * abs(ref))
  pl[[length(pl) + 1]] <- list(ties = tt, eta = eta, loglik = ref)
}
at <- penalized_mode(0.4, m)
th <- fit_theta(m)
pm <- penalized_mode(th, m)
res <- list(name = "sim_strata", formula = "Surv(time, status) ~ x1 + strata(x2) + (1 | centre)", data = "coxsim.csv", ties = "efron",
            n = nrow(d), nevent = sum(d$status), pl_at_eta = pl,
            at_theta = list(list(theta = I(0.4), ipl = at$ipl, ppl = at$ppl, pl = at$pl, beta = I(at$beta))),
            fit = list(theta = I(th), beta = I(pm$beta), se = I(pm$se), ipl = pm$ipl, ppl = pm$ppl, pl = pm$pl, null = null_loglik(m), df_penalized = pm$df),
            survival = as.character(packageVersion("survival")))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(root, "test/fixtures/coxme/sim_strata.json"))
cat("theta =", th, " beta =", pm$beta, " ipl =", pm$ipl, "\n")
