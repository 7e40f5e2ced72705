#!/usr/bin/env Rscript
# MASS 7.3-58.2's glmmPQL (penalized quasi-likelihood on nlme 3.1-162's lme), for test/glmmPQL.test.ts
# (src/pql/).
#
# Cases: the ?glmmPQL example on MASS's bacteria (test/fixtures/data/bacteria.csv, whose yy is
# as.integer(y == "y"), trt's levels alphabetical: the fit is checked here to equal the example's on
# the factor y); lme4's cbpp as
# proportions with prior weights and as cbind(successes, failures); lme4's grouseticks (Poisson,
# ~ 1 | BROOD, and nested ~ 1 | LOCATION/BROOD); a seeded Poisson simulation with an AR(1) within-subject
# correlation (corAR1(form = ~ time | id)), one with an exposure offset and one with a random slope
# (yslope, ~ time | id) (written to test/fixtures/data/pql_sim.csv); a seeded Gamma(log) simulation
# (test/fixtures/data/pql_gamma.csv); bacteria with the probit link.
#
# Per case (one JSON each, test/fixtures/glmmpql/NAME.json): the number of "iteration k" messages MASS
# printed (`niter`), and for glmmPQL's default lme control (`default`) and for a tight one (`tight`:
# lmeControl(msMaxIter = 500, tolerance = 1e-10, msTol = 1e-14, niterEM = 0, ...), passed on to every lme
# fit by glmmPQL's control argument): the fixed-effects table (Value, Std.Error, DF, t-value, p-value), σ,
# each level's random-effect SDs, ranef of the innermost level, the fitted values on the link scale
# (level Q and 0), predict(type = "response"), the last lme's working response zz and invwt = 1/w (its
# data, fit$data; `lmeFixed` its formula, MASS's fixed2), that lme's log-likelihood (refitted on fit$data: glmmPQL sets logLik to NA), and
# print(summary(fit)). bacteria also has predictions on new rows (levels 0 and 1, link and response).
# Usage (from the repository root):
#   Rscript test/oracle/glmmpql.R test/fixtures/data test/fixtures/glmmpql
# Needs: MASS 7.3-58.2, nlme 3.1-162, jsonlite.
suppressMessages({ library(MASS); library(nlme); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
stopifnot(packageVersion("MASS") == "7.3.58.2", packageVersion("nlme") == "3.1.162")
dir.create(out, showWarnings = FALSE, recursive = TRUE)

tight <- lmeControl(maxIter = 500, msMaxIter = 500, tolerance = 1e-10, msTol = 1e-14, niterEM = 0, msMaxEval = 2000)

rd <- function(f) read.csv(file.path(dataDir, f))
bacteria_csv <- rd("bacteria.csv")
bacteria_csv$ID <- factor(bacteria_csv$ID); bacteria_csv$trt <- factor(bacteria_csv$trt)
cbpp_csv <- rd("cbpp.csv"); cbpp_csv$herd <- factor(cbpp_csv$herd); cbpp_csv$period <- factor(cbpp_csv$period)
ticks <- rd("grouseticks.csv")
for (v in c("YEAR", "BROOD", "LOCATION")) ticks[[v]] <- factor(ticks[[v]])

# The ?glmmPQL example on MASS's own bacteria equals the fit on the CSV's yy (0/1).
ex <- suppressMessages(glmmPQL(y ~ trt + I(week > 2), random = ~ 1 | ID, family = binomial, data = bacteria))
ours <- suppressMessages(glmmPQL(yy ~ trt + I(week > 2), random = ~ 1 | ID, family = binomial, data = bacteria_csv))
# (the CSV's trt levels are alphabetical, drug, drug+, placebo, as our reader's: the same fit, reparametrized)
stopifnot(isTRUE(all.equal(unname(fitted(ex)), unname(fitted(ours)), tolerance = 1e-8)), isTRUE(all.equal(ex$sigma, ours$sigma, tolerance = 1e-8)))

# Poisson counts over 8 occasions of 40 subjects: a random intercept and an AR(1) latent series (ρ = 0.6)
set.seed(20261207)
nid <- 40; nt <- 8
sim <- expand.grid(time = 1:nt, id = sprintf("s%02d", 1:nid))[, c("id", "time")]
sim$x <- round(rnorm(nrow(sim)), 4)
sim$expo <- round(runif(nrow(sim), 0.5, 3), 3)
b <- rnorm(nid, sd = 0.5)
e <- unlist(lapply(1:nid, function(i) as.numeric(arima.sim(list(ar = 0.6), nt, sd = 0.3))))
eta <- 0.4 + 0.08 * sim$time + 0.3 * sim$x + b[as.integer(factor(sim$id))] + e
sim$y <- rpois(nrow(sim), exp(eta))
sim$yexp <- rpois(nrow(sim), sim$expo * exp(eta - 0.5))
# a random slope in time (SD 0.15, correlation 0.3 with the intercept's deviation)
bs <- 0.15 * (0.3 * b / 0.5 + sqrt(1 - 0.09) * rnorm(nid))
sim$yslope <- rpois(nrow(sim), exp(eta - 0.4 + bs[as.integer(factor(sim$id))] * (sim$time - 4.5)))
sim$id <- as.character(sim$id)
write.csv(sim, file.path(dataDir, "pql_sim.csv"), row.names = FALSE)
sim$id <- factor(sim$id)

# Gamma responses (log link, shape 4) in 25 groups of 6
set.seed(7)
gam <- data.frame(g = rep(sprintf("g%02d", 1:25), each = 6), x = round(runif(150, 0, 2), 4))
gb <- rnorm(25, sd = 0.4)
gam$y <- round(rgamma(150, shape = 4, rate = 4 / exp(1 + 0.5 * gam$x + gb[as.integer(factor(gam$g))])), 6)
write.csv(gam, file.path(dataDir, "pql_gamma.csv"), row.names = FALSE)
gam$g <- factor(gam$g)

datasets <- list(bacteria = bacteria_csv, cbpp = cbpp_csv, grouseticks = ticks, pql_sim = sim, pql_gamma = gam)

# The fit's numbers (f: a glmmPQL fit; d: its data).
record <- function(f, d, lmeCall) {
  s <- summary(f)
  tt <- s$tTable
  re <- f$modelStruct$reStruct
  sds <- lapply(re, function(r) unname(sqrt(diag(as.matrix(r))) * f$sigma))
  # the last lme refitted on its working data (glmmPQL replaces its logLik by NA)
  lmeCall$data <- f$data
  refit <- eval(lmeCall)
  r <- list(
    fixef = list(names = rownames(tt), Value = unname(tt[, 1]), Std.Error = unname(tt[, 2]), DF = unname(tt[, 3]),
                 t = unname(tt[, 4]), p = unname(tt[, 5])),
    vcov = unname(as.matrix(vcov(f))),
    sigma = f$sigma, reSD = sds, reNames = names(re),
    ranef = unname(as.matrix(if (is.data.frame(ranef(f))) ranef(f) else ranef(f)[[length(ranef(f))]])[, 1]),
    fitted = unname(fitted(f)), fitted0 = unname(fitted(f, level = 0)),
    response = unname(predict(f, type = "response")),
    zz = f$data$zz, invwt = f$data$invwt,
    lmeLogLik = as.numeric(logLik(refit)), lmeFixef = unname(fixef(refit)),
    corStruct = if (is.null(f$modelStruct$corStruct)) NULL else unname(coef(f$modelStruct$corStruct, unconstrained = FALSE)),
    print = paste(capture.output(print(s)), collapse = "\n")
  )
  r
}

pqlCase <- function(name, dataName, fixed, random, family, ours, weights = NULL, correlation = NULL, newdata = NULL) {
  d <- datasets[[dataName]]
  iters <- 0L
  run <- function(control) {
    call <- bquote(glmmPQL(.(fixed), random = .(random), family = .(family), data = d))
    if (!is.null(weights)) call$weights <- weights
    if (!is.null(correlation)) call$correlation <- correlation
    if (!is.null(control)) call$control <- control
    iters <<- 0L
    f <- withCallingHandlers(eval(call), message = function(m) {
      if (grepl("^iteration", conditionMessage(m))) iters <<- iters + 1L
      invokeRestart("muffleMessage")
    })
    f$call$data <- as.name(dataName)
    list(f = f, niter = iters)
  }
  def <- run(NULL)
  tig <- run(tight)
  # the lme glmmPQL's last iteration fitted (MASS's mcall, for its log-likelihood on fit$data)
  # (MASS drops the offset from lme's formula: its zz is η − offset + (y − μ)/μ'(η))
  Terms <- terms(fixed)
  offt <- attr(Terms, "offset")
  fixed2 <- if (length(offt)) {
    tf <- drop.terms(Terms, offt, keep.response = TRUE)
    reformulate(attr(tf, "term.labels"), response = quote(zz), intercept = attr(tf, "intercept"))
  } else { f2 <- fixed; f2[[2L]] <- quote(zz); f2 }
  lmeCall <- bquote(lme(.(fixed2), random = .(random), method = "ML", weights = varFixed(~invwt)))
  if (!is.null(correlation)) lmeCall$correlation <- correlation
  res <- list(name = name, data = dataName, ours = ours, lmeFixed = deparse(fixed2),
              niter = def$niter, niterTight = tig$niter,
              default = record(def$f, d, lmeCall), tight = { lmeCall$control <- tight; record(tig$f, d, lmeCall) },
              nobs = nrow(def$f$data))
  if (!is.null(newdata)) {
    res$newdata <- newdata
    f <- tig$f
    res$tight$predictNew <- list(
      link1 = unname(predict(f, newdata = newdata)), link0 = unname(predict(f, newdata = newdata, level = 0)),
      response1 = unname(predict(f, newdata = newdata, type = "response")),
      response0 = unname(predict(f, newdata = newdata, level = 0, type = "response")))
  }
  write(toJSON(res, digits = NA, auto_unbox = TRUE, null = "null"), file.path(out, paste0(name, ".json")))
  cat(name, ": ", def$niter, " iterations (tight ", tig$niter, ")\n", sep = "")
}

pqlCase("bacteria", "bacteria", yy ~ trt + I(week > 2), ~ 1 | ID, binomial,
        ours = list(fixed = "yy ~ trt + I(week > 2)", random = "~ 1 | ID", family = "binomial"),
        newdata = data.frame(ID = c("X01", "X02", "Z26", "new"), trt = c("placebo", "drug", "drug+", "drug"), week = c(0, 4, 11, 2)))
pqlCase("cbpp_prop", "cbpp", incidence / size ~ period, ~ 1 | herd, binomial, weights = quote(size),
        ours = list(fixed = "incidence/size ~ period", random = "~ 1 | herd", family = "binomial", weights = "size", factors = list("herd", "period")))
pqlCase("cbpp_cbind", "cbpp", cbind(incidence, size - incidence) ~ period, ~ 1 | herd, binomial,
        ours = list(fixed = "cbind(incidence, size - incidence) ~ period", random = "~ 1 | herd", family = "binomial", factors = list("herd", "period")))
pqlCase("ticks", "grouseticks", TICKS ~ YEAR + cHEIGHT, ~ 1 | BROOD, poisson,
        ours = list(fixed = "TICKS ~ YEAR + cHEIGHT", random = "~ 1 | BROOD", family = "poisson", factors = list("YEAR", "BROOD", "LOCATION")))
pqlCase("ticks_nested", "grouseticks", TICKS ~ YEAR + cHEIGHT, ~ 1 | LOCATION/BROOD, poisson,
        ours = list(fixed = "TICKS ~ YEAR + cHEIGHT", random = "~ 1 | LOCATION/BROOD", family = "poisson", factors = list("YEAR", "BROOD", "LOCATION")))
pqlCase("sim_ar1", "pql_sim", y ~ time + x, ~ 1 | id, poisson, correlation = quote(corAR1(form = ~ time | id)),
        ours = list(fixed = "y ~ time + x", random = "~ 1 | id", family = "poisson", correlation = "corAR1(form = ~ time | id)"))
pqlCase("sim_offset", "pql_sim", yexp ~ time + x + offset(log(expo)), ~ 1 | id, poisson,
        ours = list(fixed = "yexp ~ time + x + offset(log(expo))", random = "~ 1 | id", family = "poisson"))
pqlCase("gamma_log", "pql_gamma", y ~ x, ~ 1 | g, Gamma(link = "log"),
        ours = list(fixed = "y ~ x", random = "~ 1 | g", family = "Gamma", link = "log"))
pqlCase("sim_slope", "pql_sim", yslope ~ time + x, ~ time | id, poisson,
        ours = list(fixed = "yslope ~ time + x", random = "~ time | id", family = "poisson"))
pqlCase("bacteria_probit", "bacteria", yy ~ trt + I(week > 2), ~ 1 | ID, binomial(link = "probit"),
        ours = list(fixed = "yy ~ trt + I(week > 2)", random = "~ 1 | ID", family = "binomial", link = "probit"))
