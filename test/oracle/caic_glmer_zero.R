#!/usr/bin/env Rscript
# A Poisson glmer fit with two grouping factors, one of whose variance is estimated at 0, for
# test/caic.test.ts: cAIC4 1.0's deleteZeroComponents refits the glmer without that term (update()) and
# takes the reduced fit's conditional log-likelihood and Poisson bias correction. As test/oracle/caic.R,
# the correction is also recomputed from refits run with tight tolerances (`df_intended`).
# Usage (from the repository root):
#   Rscript test/oracle/caic_glmer_zero.R test/fixtures/data/caic_glmer_zero.csv test/fixtures/caic/caic_glmer_zero.json
# Needs: cAIC4 (CRAN), lme4, jsonlite
suppressMessages({ library(cAIC4); library(lme4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
# tight: the optimizer and PIRLS (lme4's default tolPwrss leaves the Laplace deviance here 5.6e-5 above its
# value at the conditional modes, and θ̂ 8e-5 (relative) from the optimum)
tightG <- glmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10, maxfun = 1e5), tolPwrss = 1e-13)
# h: five identical copies of 40 rows (20 groups g with an effect), so every level of h has the same
# residual sum at the optimum and the criterion rises from θ_h = 0: a zero that no optimizer misses
# (a simulated h with no effect gave θ_h = 0 with lme4's bobyqa, 1.5e-5 with its default nloptwrap, 1.8e-8 with ours)
set.seed(4); n0 <- 40
base <- data.frame(x = round(runif(n0), 3), g = rep(1:20, 2))
u <- rnorm(20, sd = 0.5); base$y <- rpois(n0, exp(0.5 + 0.3 * base$x + u[base$g]))
d <- do.call(rbind, lapply(1:5, function(h) cbind(base, h = h)))
write.csv(d, args[1], row.names = FALSE)
d <- read.csv(args[1]); d$g <- factor(d$g); d$h <- factor(d$h)
# cAIC4 on lme4's default fit (as a user calls it): its θ_h is 0 run after run, where a tight bobyqa's
# is 0 or 7e-11 from one run to the next (and cAIC4 tests theta == 0)
m <- glmer(y ~ x + (1 | g) + (1 | h), family = poisson, data = d)
r <- cAIC(m)
# Saefken et al. (2014) on the reduced fit, tight: bc = sum_{y_i > 0} y_i (eta_i(y) - eta_i(y - e_i))
m1 <- glmer(y ~ x + (1 | g), family = poisson, data = d, control = tightG)
y <- getME(m1, "y"); eta <- m1@resp$eta; ind <- which(y != 0)
etaI <- sapply(ind, function(i) {
  e <- d; e$y[i] <- e$y[i] - 1
  mi <- glmer(formula(m1), data = e, family = poisson, control = tightG, start = list(theta = getME(m1, "theta"), fixef = fixef(m1)))
  mi@resp$eta[i]
})
intended <- sum(y[ind] * (eta[ind] - etaI))
out <- list(cAIC4 = as.character(packageVersion("cAIC4")), lme4 = as.character(packageVersion("lme4")),
            formula = "y ~ x + (1 | g) + (1 | h)", theta = unname(getME(m, "theta")),
            reducedFormula = paste(deparse(formula(r$reducedModel)), collapse = ""), reducedTheta = unname(getME(m1, "theta")),
            reducedObjective = -2 * as.numeric(logLik(m1)),
            loglikelihood_tight = sum(dpois(y, fitted(m1), log = TRUE)),
            loglikelihood = r$loglikelihood, cAIC4_df = r$df, cAIC4_caic = r$caic, new = r$new,
            df_intended = intended, caic_intended = -2 * r$loglikelihood + 2 * intended, refits = length(ind),
            printout = paste(capture.output(print(r)), collapse = "\n"))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), args[2])
