#!/usr/bin/env Rscript
# geepack 1.3.9's geeglm (generalized estimating equations, Halekoh, Højsgaard & Yan 2006), for
# test/gee.test.ts (src/gee/).
#
# Data (written to test/fixtures/gee/ as CSV, read back here so that the fits see what the tests read):
# geepack's ohio (binomial, 537 children × 4 waves), geepack's dietox (gaussian; Feed has 72 missing
# values; 3 pigs with 11 rows: unequal clusters) and MASS's epil (Poisson counts, 59 subjects × 4).
# Every fit but the two *_default ones is run with geese.control(epsilon = 1e-12, maxit = 100) (geepack's default epsilon is 1e-4
# on max |Δβ|, |Δφ|, |Δα| of one iteration, maxit 25).
#
# Per case (test/fixtures/gee/cases.json): β, the sandwich (geese$vbeta), naive (vbeta.naiv) and the
# std.err's covariance of β, φ (gamma) and α with their covariances (san.se: vgamma, valpha; jack:
# ajs; j1s; fij), the coefficient table of summary(), print(summary()) and the number of clusters;
# anova(fit) and anova(fit1, fit2) tables; QIC(); predict() on the link and response scales.
# Usage (from the repository root): Rscript test/oracle/geepack.R test/fixtures/gee
# Needs: geepack 1.3.9, MASS, jsonlite.
suppressMessages({ library(geepack); library(MASS); library(jsonlite) })
out <- commandArgs(trailingOnly = TRUE)[1]
stopifnot(packageVersion("geepack") == "1.3.9")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
data(ohio); data(dietox)
write.csv(ohio, file.path(out, "ohio.csv"), row.names = FALSE)
write.csv(dietox, file.path(out, "dietox.csv"), row.names = FALSE, na = "")
write.csv(epil[, c("y", "trt", "base", "age", "V4", "subject", "period", "lbase", "lage")], file.path(out, "epil.csv"), row.names = FALSE)
ohio <- read.csv(file.path(out, "ohio.csv"))
dietox <- read.csv(file.path(out, "dietox.csv"))
dietox$Cu <- factor(dietox$Cu); dietox$Pig <- factor(dietox$Pig)
epil <- read.csv(file.path(out, "epil.csv")); epil$trt <- factor(epil$trt)
ctl <- geese.control(epsilon = 1e-12, maxit = 100)
mat <- function(m) if (is.null(m) || length(m) == 0) list() else unname(lapply(seq_len(nrow(m)), function(i) as.numeric(m[i, ])))

cases <- list()
run <- function(name, data, formula, family, id, corstr, std.err = "san.se", waves = NULL, scale.fix = FALSE, weights = NULL, newdata = NULL, ctl = geese.control(epsilon = 1e-12, maxit = 100)) {
  data$.id <- data[[id]]
  data$.w <- if (is.null(weights)) 1 else data[[weights]]
  data$.waves <- if (is.null(waves)) NA else data[[waves]]
  fit <- if (is.null(waves)) {
    geeglm(formula, family = family, data = data, id = .id, corstr = corstr, std.err = std.err, scale.fix = scale.fix, weights = .w, control = ctl)
  } else {
    geeglm(formula, family = family, data = data, id = .id, waves = .waves, corstr = corstr, std.err = std.err, scale.fix = scale.fix, weights = .w, control = ctl)
  }
  g <- fit$geese
  s <- summary(fit)
  res <- list(
    formula = deparse(formula), family = family$family, link = family$link, id = id, corstr = corstr, std_err = std.err,
    waves = if (is.null(waves)) NULL else waves, scale_fix = scale.fix, weights = if (is.null(weights)) NULL else weights,
    epsilon = ctl$epsilon, maxit = ctl$maxit, error = g$error, nobs = length(fit$y), clusz = g$clusz, xnames = names(g$beta),
    beta = unname(g$beta), vbeta = mat(g$vbeta), vbeta_naiv = mat(g$vbeta.naiv),
    gamma = unname(g$gamma), vgamma = mat(g$vgamma), alpha = unname(g$alpha), valpha = mat(g$valpha),
    vbeta_ajs = mat(g$vbeta.ajs), vgamma_ajs = mat(g$vgamma.ajs), valpha_ajs = mat(g$valpha.ajs),
    vbeta_j1s = mat(g$vbeta.j1s), vgamma_j1s = mat(g$vgamma.j1s), valpha_j1s = mat(g$valpha.j1s),
    vbeta_fij = mat(g$vbeta.fij), vgamma_fij = mat(g$vgamma.fij), valpha_fij = mat(g$valpha.fij),
    coef = lapply(as.list(s$coefficients), as.numeric), dispersion = lapply(as.list(s$dispersion), as.numeric),
    corr = lapply(as.list(s$corr), as.numeric),
    fitted = as.numeric(fitted(fit)),
    # print.summary.geeglm sets options(digits = max(3, getOption("digits") - 3)) and leaves it: each
    # printout here starts from R's default digits = 7
    printout = { options(digits = 7); capture.output(print(s)) }
  )
  if (!is.null(newdata)) {
    res$newdata <- newdata
    res$predict_link <- as.numeric(predict(fit, newdata = newdata))
    res$predict_response <- as.numeric(predict(fit, newdata = newdata, type = "response"))
  }
  cases[[name]] <<- res
  fit
}

# geepack's default control (epsilon 1e-4 on the largest step, maxit 25): the stopping rule itself
run("ohio_exchangeable_default", ohio, resp ~ age + smoke, binomial(), "id", "exchangeable", ctl = geese.control())
run("dietox_ar1_default", dietox, Weight ~ Time + Cu, gaussian(), "Pig", "ar1", waves = "Time", ctl = geese.control())
o_ind <- run("ohio_independence", ohio, resp ~ age + smoke, binomial(), "id", "independence")
o_exc <- run("ohio_exchangeable", ohio, resp ~ age + smoke, binomial(), "id", "exchangeable",
  newdata = data.frame(age = c(-2, 0, 1), smoke = c(0, 1, 1)))
o_ar1 <- run("ohio_ar1", ohio, resp ~ age + smoke, binomial(), "id", "ar1")
o_uns <- run("ohio_unstructured", ohio, resp ~ age + smoke, binomial(), "id", "unstructured")
run("ohio_exchangeable_jack", ohio, resp ~ age + smoke, binomial(), "id", "exchangeable", std.err = "jack")
run("ohio_ar1_j1s", ohio, resp ~ age + smoke, binomial(), "id", "ar1", std.err = "j1s")
run("ohio_exchangeable_fij", ohio, resp ~ age + smoke, binomial(), "id", "exchangeable", std.err = "fij")
d_ar1 <- run("dietox_ar1", dietox, Weight ~ Time + Cu, gaussian(), "Pig", "ar1", waves = "Time",
  newdata = data.frame(Time = c(1, 6), Cu = c("Cu000", "Cu175")))
run("dietox_ar1_jack", dietox, Weight ~ Time + Cu, gaussian(), "Pig", "ar1", std.err = "jack", waves = "Time")
d_exc <- run("dietox_exchangeable", dietox, Weight ~ Time + Cu, gaussian(), "Pig", "exchangeable")
# geeglm stops ("nrow(zsca) and length(y) not match") where a covariate (not the response) is missing:
# its scale model's frame keeps the row; fitted here on the complete rows, which gee() drops itself
run("dietox_feed_exchangeable", dietox[!is.na(dietox$Feed), ], Weight ~ Time + Feed, gaussian(), "Pig", "exchangeable")
run("dietox_unstructured_small", dietox[dietox$Time <= 4, ], Weight ~ Time, gaussian(), "Pig", "unstructured")
run("dietox_gamma_exchangeable", dietox, Weight ~ Time + Cu, Gamma(link = "log"), "Pig", "exchangeable")
e_exc <- run("epil_exchangeable", epil, y ~ lbase * trt + lage + V4, poisson(), "subject", "exchangeable")
run("epil_exchangeable_jack", epil, y ~ lbase * trt + lage + V4, poisson(), "subject", "exchangeable", std.err = "jack")
e_small <- run("epil_exchangeable_small", epil, y ~ lbase + lage, poisson(), "subject", "exchangeable")
run("epil_ar1_scalefix", epil, y ~ lbase * trt + lage + V4, poisson(), "subject", "ar1", scale.fix = TRUE)
# clusters of one row under ar1 (subjects 1 to 3 keep their first period only): they add to β and φ, not to α
run("epil_ar1_singletons", epil[!(epil$subject %in% 1:3 & epil$period > 1), ], y ~ lbase + trt + lage + V4, poisson(), "subject", "ar1",
  std.err = "jack")
run("epil_independence_weights", epil, y ~ lbase + trt + lage, poisson(), "subject", "independence", weights = "base")

tab <- function(a) {
  force(a)
  options(digits = 7)
  list(rows = rownames(a), df = as.numeric(a$Df), x2 = as.numeric(a$X2), p = as.numeric(a[["P(>|Chi|)"]]), printout = capture.output(print(a)))
}
anovas <- list(
  ohio_exchangeable = tab(anova(o_exc)),
  dietox_ar1 = tab(anova(d_ar1)),
  epil_exchangeable = tab(anova(e_exc)),
  epil_two = NULL
)
# anova(fit1, fit2) and QIC() evaluate the fits' calls again: fitted here with the arguments written out
E1 <- geeglm(y ~ lbase * trt + lage + V4, family = poisson(), data = epil, id = subject, corstr = "exchangeable", control = geese.control(epsilon = 1e-12, maxit = 100))
E2 <- geeglm(y ~ lbase + lage, family = poisson(), data = epil, id = subject, corstr = "exchangeable", control = geese.control(epsilon = 1e-12, maxit = 100))
O1 <- geeglm(resp ~ age + smoke, family = binomial(), data = ohio, id = id, corstr = "exchangeable", control = geese.control(epsilon = 1e-12, maxit = 100))
O2 <- geeglm(resp ~ age + smoke, family = binomial(), data = ohio, id = id, corstr = "ar1", control = geese.control(epsilon = 1e-12, maxit = 100))
stopifnot(all.equal(coef(E1), coef(e_exc), tolerance = 1e-12), all.equal(coef(O2), coef(o_ar1), tolerance = 1e-12))
anovas$epil_two <- tab(anova(E1, E2))
qics <- list(
  ohio_exchangeable = as.list(QIC(O1)),
  ohio_ar1 = as.list(QIC(O2)),
  epil_exchangeable = as.list(QIC(E1))
)
options(digits = 7)
qic_printout <- capture.output(print(QIC(O1)))
writeLines(toJSON(list(cases = cases, anova = anovas, qic = qics, qic_printout = qic_printout), auto_unbox = TRUE, digits = NA, null = "null", na = "null"), file.path(out, "cases.json"))
