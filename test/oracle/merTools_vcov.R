#!/usr/bin/env Rscript
# merTools 0.5.2's covariance of predictInterval's β draws with fix.intercept.variance = TRUE and with
# ignore.fixed.terms, read from merTools itself: mvtnorm::rmvnorm is traced and the `sigma` of its
# β draws (mean = fixef) recorded. For test/predictIntervalSim.test.ts.
# Usage (from the repository root): Rscript test/oracle/merTools_vcov.R test/fixtures/data test/fixtures/merTools_vcov.json
# Needs: lme4 1.1-31, merTools 0.5.2, mvtnorm, jsonlite. A few seconds.
suppressMessages({ library(lme4); library(merTools); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
rd <- function(f, ...) read.csv(file.path(dataDir, f), stringsAsFactors = TRUE, ...)
tight <- lmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
gtight <- glmerControl(optimizer = "bobyqa", tolPwrss = 1e-12, optCtrl = list(rhoend = 1e-10, maxfun = 1e5))
sleep <- rd("sleepstudy.csv"); sleep$Subject <- factor(sleep$Subject)
cbpp <- rd("cbpp.csv"); cbpp$herd <- factor(cbpp$herd); cbpp$period <- factor(cbpp$period)

seen <- new.env()
trace(mvtnorm::rmvnorm, tracer = quote(if (length(mean) == seen$p && isTRUE(all.equal(unname(mean), unname(seen$beta)))) seen$sigma <- sigma), print = FALSE)
betaCov <- function(m, nd, ...) {
  seen$p <- length(fixef(m)); seen$beta <- fixef(m); seen$sigma <- NULL
  suppressWarnings(suppressMessages(predictInterval(m, newdata = nd, n.sims = 3, seed = 1, ...)))
  unname(as.matrix(seen$sigma))
}
m1 <- lmer(Reaction ~ Days + (Days | Subject), sleep, control = tight)
nd1 <- data.frame(Subject = factor(c("308", "335")), Days = c(0, 5))
m3 <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial, control = gtight)
nd3 <- data.frame(herd = factor(c("1", "3")), period = factor(c("1", "2"), levels = c("1", "2", "3", "4")))
cases <- list(
  sleep_slopes = list(formula = "Reaction ~ Days + (Days | Subject)", data = "sleepstudy.csv", factors = list("Subject"),
    vcov = unname(as.matrix(vcov(m1))), fix_intercept = betaCov(m1, nd1, fix.intercept.variance = TRUE),
    ignore_days = betaCov(m1, nd1, ignore.fixed.terms = "Days")),
  cbpp = list(formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", data = "cbpp.csv", factors = list("herd", "period"), family = "binomial",
    vcov = unname(as.matrix(vcov(m3))), fix_intercept = betaCov(m3, nd3, fix.intercept.variance = TRUE),
    ignore_period2 = betaCov(m3, nd3, ignore.fixed.terms = "period2")))
writeLines(toJSON(list(merTools = as.character(packageVersion("merTools")), cases = cases), digits = NA, auto_unbox = TRUE), out)
