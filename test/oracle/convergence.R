#!/usr/bin/env Rscript
# lme4's convergence checks (lme4 1.1-31: optwrap's deriv12 at the optimum, checkConv, checkHess) and
# its check of the fixed effects' scales (checkScaleX), for test/convergence.test.ts: for each model,
# lme4's θ̂ (and β̂ for glmer), its derivatives (optinfo$derivs: the gradient and Hessian of lmer's
# criterion in θ, of glmer's deviance in (θ, β)), its checks' codes and messages (optinfo$conv$lme4)
# and the warnings of the fit (the scales' among them).
# Two data sets are generated here (fixed seed) and written beside the fixture:
#   small_var.csv  3,000 rows, 300 groups, a between-group SD of 0.02 against a residual SD of 1;
#   income.csv     2,000 rows, 50 groups, a binary response on an income-like covariate (mean 50,000):
#                  lme4's classic "rescale variables" case.
# Usage (from the repository root): Rscript test/oracle/convergence.R test/fixtures/data test/fixtures/convergence
# Needs: apt-get install r-cran-lme4 r-cran-jsonlite
suppressMessages({ library(lme4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)
rd <- function(f) read.csv(f, stringsAsFactors = TRUE)

set.seed(1)
n <- 3000; G <- 300
g <- factor(rep(1:G, each = n / G)); x <- rnorm(n)
y <- 1 + 0.5 * x + rnorm(G, sd = 0.02)[g] + rnorm(n)
write.csv(data.frame(y, x, g), file.path(out, "small_var.csv"), row.names = FALSE)
n <- 2000; G <- 50
g <- factor(rep(1:G, each = n / G)); income <- rnorm(n, 50000, 15000)
eta <- -1 + 2e-5 * income + rnorm(G, sd = 0.5)[g]
yb <- rbinom(n, 1, plogis(eta))
# a Gaussian response on the same covariate (lmer's scales warning)
yc <- 3 + 1e-4 * income + rnorm(G, sd = 1)[g] + rnorm(n)
write.csv(data.frame(yb, yc, income, g), file.path(out, "income.csv"), row.names = FALSE)

data <- list(
  sleepstudy = rd(file.path(dataDir, "sleepstudy.csv")),
  dyestuff = rd(file.path(dataDir, "dyestuff.csv")),
  penicillin = rd(file.path(dataDir, "penicillin.csv")),
  pastes = rd(file.path(dataDir, "pastes.csv")),
  cbpp = rd(file.path(dataDir, "cbpp.csv")),
  small_var = rd(file.path(out, "small_var.csv")),
  income = rd(file.path(out, "income.csv"))
)
data$sleepstudy$Subject <- factor(data$sleepstudy$Subject)
data$cbpp$herd <- factor(data$cbpp$herd); data$cbpp$period <- factor(data$cbpp$period)
data$small_var$g <- factor(data$small_var$g); data$income$g <- factor(data$income$g)

cases <- list(
  sleepstudy = list(formula = "Reaction ~ Days + (Days | Subject)", data = "sleepstudy"),
  sleepstudy_ml = list(formula = "Reaction ~ Days + (Days | Subject)", data = "sleepstudy", reml = FALSE),
  sleepstudy_uncorr = list(formula = "Reaction ~ Days + (Days || Subject)", data = "sleepstudy"),
  dyestuff = list(formula = "Yield ~ 1 + (1 | Batch)", data = "dyestuff"),
  penicillin = list(formula = "diameter ~ 1 + (1 | plate) + (1 | sample)", data = "penicillin"),
  pastes = list(formula = "strength ~ 1 + (1 | batch/cask)", data = "pastes"),
  small_var = list(formula = "y ~ x + (1 | g)", data = "small_var"),
  income_lmer = list(formula = "yc ~ income + (1 | g)", data = "income"),
  # nloptwrap stopped after 15 evaluations: lme4's max|grad| warning at a point short of the optimum
  sleepstudy_maxeval = list(formula = "Reaction ~ Days + (Days | Subject)", data = "sleepstudy", maxeval = 15),
  cbpp = list(formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", data = "cbpp", family = "binomial"),
  income_glmer = list(formula = "yb ~ income + (1 | g)", data = "income", family = "binomial")
)

res <- list()
for (nm in names(cases)) {
  cs <- cases[[nm]]
  d <- data[[cs$data]]
  warns <- character()
  fit <- withCallingHandlers({
    if (is.null(cs$family)) {
      ctrl <- if (is.null(cs$maxeval)) lmerControl() else lmerControl(optCtrl = list(maxeval = cs$maxeval))
      lmer(as.formula(cs$formula), d, REML = if (is.null(cs$reml)) TRUE else cs$reml, control = ctrl)
    } else {
      glmer(as.formula(cs$formula), d, family = cs$family)
    }
  }, warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") },
     message = function(m) { warns <<- c(warns, trimws(conditionMessage(m))); invokeRestart("muffleMessage") })
  dv <- fit@optinfo$derivs
  conv <- fit@optinfo$conv$lme4
  res[[nm]] <- list(
    formula = cs$formula, data = cs$data, reml = if (is.null(cs$family)) isREML(fit) else NULL,
    family = cs$family, maxeval = cs$maxeval,
    theta = unname(getME(fit, "theta")), beta = unname(fixef(fit)),
    criterion = if (is.null(cs$family)) unname(fit@devcomp$cmp[[if (isREML(fit)) "REML" else "dev"]]) else unname(deviance(fit)),
    gradient = dv$gradient, hessian = unname(dv$Hessian),
    code = if (is.null(conv$code)) integer(0) else conv$code,
    messages = if (is.null(conv$messages)) character(0) else unlist(conv$messages),
    warnings = warns
  )
}
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, null = "null", matrix = "rowmajor", pretty = TRUE),
           file.path(out, "lme4.json"))

# lme4's checks on given derivatives (every branch of checkConv and checkHess after the singularity
# check: lbound −∞, so no singular θ), and checkScaleX on given model matrices
quiet <- function(expr) suppressWarnings(suppressMessages(expr))
derivCases <- list(
  ok = list(gradient = c(1e-4, -2e-4), Hessian = matrix(c(40, 5, 5, 300), 2)),
  grad = list(gradient = c(0.5, 0.01, -0.2), Hessian = matrix(c(30, 2, 1, 2, 400, 10, 1, 10, 600), 3)),
  # a small |g| with a large scaled gradient (flat curvature): min(|s|, |g|) stays small
  flat = list(gradient = c(1e-3, 1e-4), Hessian = matrix(c(1e-5, 0, 0, 50), 2)),
  negative = list(gradient = c(1e-5, 1e-5, 1e-5), Hessian = matrix(c(10, 0, 0, 0, -2, 0, 0, 0, -3), 3)),
  zero = list(gradient = c(1e-5, 1e-5), Hessian = matrix(c(10, 0, 0, 1e-8), 2)),
  large = list(gradient = c(1e-5, 1e-5), Hessian = matrix(c(1e7, 0, 0, 50), 2)),
  ratio = list(gradient = c(1e-5, 1e-5), Hessian = matrix(c(5e5, 0, 0, 0.1), 2)),
  notpd = list(gradient = c(1e-5, 1e-5), Hessian = matrix(c(1, 2, 2, 1), 2)),
  nonfinite = list(gradient = c(1e-5, 1e-5), Hessian = matrix(c(1, Inf, Inf, 1), 2)),
  nagrad = list(gradient = c(NA, 1e-5), Hessian = matrix(c(1, 0, 0, 1), 2))
)
checks <- lapply(derivCases, function(dv) {
  n <- length(dv$gradient)
  cc <- quiet(lme4:::checkConv(dv, rep(1, n), ctrl = lmerControl()$checkConv, lbound = rep(-Inf, n)))
  list(gradient = ifelse(is.na(dv$gradient), "NA", dv$gradient), hessian = unname(dv$Hessian),
       code = if (is.null(cc$code)) integer(0) else cc$code,
       messages = if (is.null(cc$messages)) character(0) else unlist(cc$messages))
})
set.seed(2)
m <- 40
scaleCases <- list(
  plain = cbind(1, rnorm(m), rnorm(m, sd = 10)),
  big = cbind(1, rnorm(m, sd = 2000)),
  small = cbind(1, rnorm(m, sd = 5e-4)),
  ratio = cbind(1, rnorm(m, sd = 0.05), rnorm(m, sd = 60)),
  ratio_ok = cbind(1, rnorm(m, sd = 0.05), rnorm(m, sd = 40)),
  dummies = cbind(1, rbinom(m, 1, 0.5), rnorm(m, 1e5, 10) - 1e5),
  no_intercept_big_dummy = cbind(rbinom(m, 1, 0.5), rnorm(m, sd = 999))
)
scales <- lapply(scaleCases, function(X) {
  w <- tryCatch({ lme4:::checkScaleX(X, kind = "warning"); character(0) }, warning = function(w) conditionMessage(w))
  list(X = unname(X), warning = w)
})
writeLines(toJSON(list(checkConv = checks, checkScaleX = scales), digits = NA, auto_unbox = TRUE, null = "null", matrix = "rowmajor", pretty = TRUE),
           file.path(out, "checks.json"))
