#!/usr/bin/env Rscript
# lme4 1.1-31's residuals(fit, type, scaled), fitted(fit) and predict(fit) (no newdata) of lmer and
# glmer fits whose data have missing values, with na.action = na.omit and na.exclude
# (residuals.merMod → residuals.lmResp / residuals.glmResp, then naresid; fitted.merMod and
# predict.merMod → napredict), for test/residuals.test.ts.
#
# Data: copies of sleepstudy, cbpp and a Gamma GLMM's data (test/fixtures/gamma) with NA cells in the response, a covariate, the grouping factor
# and the weights (sleepstudy_na.csv, cbpp_na.csv, written beside the expectations).
# Each case records lme4's θ, β, σ and Laplace deviance (so the test can evaluate at lme4's
# estimates, no optimizer), then for every type ("response", "pearson", "working", "deviance") with
# scaled = FALSE and TRUE the residuals (null where R gives NA), fitted(), predict() (a glmer's on the
# link and the response scale) and the refusal of type = "partial" (its message); an lmer fit's
# hatvalues() (napredict too), and where simulate() puts NA (its draws times 0: R's RNG is not ours).
# A glmer case also records the same at the exact Laplace deviance's optimum (exact_laplace.R: glmer's
# PIRLS stops early, so its default optimum is ~1e-4 away from the one our fit reaches): the deviance
# function moved there, the residuals of its response module (residuals.glmResp, as residuals.merMod
# calls it) padded by naresid with the fit's na.action, for the test's second level (our optimum);
# an lmer case the same of lme4's fit refitted to tight optimizer tolerances.
# Usage (from the repository root):
#   Rscript test/oracle/residuals.R test/fixtures/data test/fixtures/residuals
# Needs: lme4 1.1-31, jsonlite.
suppressMessages({ library(lme4); library(jsonlite) })
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(here, "exact_laplace.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
stopifnot(packageVersion("lme4") == "1.1.31")

ss <- read.csv(file.path(dataDir, "sleepstudy.csv"))
set.seed(20261206)
ss$w <- round(runif(nrow(ss), 0.5, 2), 3)
ss$Reaction[c(5, 40)] <- NA
ss$Days[c(77, 100)] <- NA
ss$Subject[150] <- NA
ss$w[120] <- NA
write.csv(ss, file.path(out, "sleepstudy_na.csv"), row.names = FALSE, na = "")
ss$Subject <- factor(ss$Subject)

cb <- read.csv(file.path(dataDir, "cbpp.csv"))
cb$incidence[3] <- NA
cb$period[20] <- NA
cb$herd[41] <- NA
cb$size[50] <- NA
write.csv(cb, file.path(out, "cbpp_na.csv"), row.names = FALSE, na = "")
cb$herd <- factor(cb$herd); cb$period <- factor(cb$period)

# a Gamma(log) GLMM with prior weights (test/fixtures/gamma/gamma_crossed.csv's rows): a family with a
# scale, so scaled = TRUE divides by sigma(fit) != 1
gm <- read.csv(file.path(dataDir, "..", "gamma", "gamma_crossed.csv"))
gm$y[7] <- NA
gm$x[60] <- NA
gm$g[111] <- NA
gm$w[150] <- NA
write.csv(gm, file.path(out, "gamma_na.csv"), row.names = FALSE, na = "")
gm$g <- factor(gm$g)

num <- function(x) { x <- unname(as.numeric(x)); lapply(x, function(v) if (is.na(v)) NULL else v) }

# residuals.merMod's steps on a glmer fit's response module after its deviance function was moved to
# the exact optimum: residuals(resp, type) (/ sigma = 1 for binomial and Poisson), fitted (mu),
# predict (eta, mu; re.form = NA: X beta), each through naresid/napredict with the fit's na.action
at_exact <- function(fit) {
  dev <- update(fit, devFunOnly = TRUE)
  ex <- exact_devfun(dev)
  xo <- exact_optimum(ex, getME(fit, "theta"), fixef(fit), getME(fit, "lower"))
  ex(c(xo$theta, xo$beta))
  # further passes until eta settles, each from weights updated at the last mu, then the weights of mu
  # (as test/oracle/random_postfit.R: exact_devfun's glmerLaplace passes leave glmResp's weights, hence
  # its Pearson residuals sqrtrwt (y - mu), one pass behind mu)
  rho <- environment(dev)
  for (k in 1:500) {
    eta0 <- rho$resp$eta + 0  # a copy: the field is a view of the C++ vector
    rho$resp$updateWts()
    .Call(lme4:::glmerLaplace, rho$pp$ptr(), rho$resp$ptr(), 1L, 1e-12, 100L, 0L)
    if (max(abs(rho$resp$eta - eta0) / pmax(1, abs(eta0))) < 1e-14) break
  }
  rho$resp$updateWts()
  resp <- rho$resp
  # sigma(fit) at this point, as mkMerMod's sigmaML: sqrt(pwrss / n) (1 without a scale)
  sig <- if (getME(fit, "devcomp")$dims[["useSc"]]) sqrt((resp$wrss() + rho$pp$sqrL(1)) / nobs(fit)) else 1
  na <- attr(model.frame(fit), "na.action")
  pad <- function(x) num(if (is.null(na)) x else naresid(na, x))
  padp <- function(x) num(if (is.null(na)) x else napredict(na, x))
  res <- list()
  for (t in c("response", "pearson", "working", "deviance")) {
    r <- lme4:::residuals.glmResp(resp, t)
    res[[t]] <- pad(r); res[[paste0(t, "_scaled")]] <- pad(r / sig)
  }
  off <- model.offset(model.frame(fit)); if (is.null(off)) off <- 0
  list(theta = xo$theta, beta = xo$beta, laplace = xo$value, sigma = sig,
       default = res$deviance, residuals = res, fitted = padp(resp$mu), predict = padp(resp$eta),
       predict_response = padp(resp$mu), predict_population = padp(drop(getME(fit, "X") %*% xo$beta) + off))
}

# an lmer fit's rows (its theta too): the reference at our optimum is lme4 refitted to tight
# tolerances (its default stops ~1e-5 away in the residuals)
rows_of <- function(fit) {
  res <- list()
  for (t in c("response", "pearson", "working", "deviance")) {
    res[[t]] <- num(residuals(fit, type = t)); res[[paste0(t, "_scaled")]] <- num(residuals(fit, type = t, scaled = TRUE))
  }
  list(theta = I(unname(getME(fit, "theta"))), default = num(residuals(fit)), residuals = res, fitted = num(fitted(fit)),
       predict = num(predict(fit)), predict_population = num(predict(fit, re.form = NA)), hatvalues = num(hatvalues(fit)))
}

record <- function(fit, data, formula, na, glmm, extra = list()) {
  types <- c("response", "pearson", "working", "deviance")
  res <- list()
  for (t in types) {
    res[[t]] <- num(residuals(fit, type = t))
    res[[paste0(t, "_scaled")]] <- num(residuals(fit, type = t, scaled = TRUE))
  }
  partial <- tryCatch({ residuals(fit, type = "partial"); "no error" }, error = function(e) conditionMessage(e))
  c(list(
    data = data, formula = formula, na_action = na, glmm = glmm,
    theta = I(unname(getME(fit, "theta"))), beta = I(unname(fixef(fit))), sigma = sigma(fit),
    deviance = if (glmm) unname(deviance(fit)) else NULL,
    laplace = if (glmm) -2 * as.numeric(logLik(fit)) else NULL,
    nobs = nobs(fit), n_input = nrow(switch(data, sleepstudy_na = ss, cbpp_na = cb, gamma_na = gm)),
    default = num(residuals(fit)),
    residuals = res,
    fitted = num(fitted(fit)),
    predict = num(predict(fit)),
    predict_response = if (glmm) num(predict(fit, type = "response")) else NULL,
    predict_population = num(predict(fit, re.form = NA)),
    partial_error = partial,
    hatvalues = if (!glmm) num(hatvalues(fit)) else NULL,
    simulate_na = num(simulate(fit, nsim = 1, seed = 1)[[1]] * 0),
    exact = if (glmm) at_exact(fit) else NULL,
    tight = if (!glmm) rows_of(update(fit, control = lmerControl(optimizer = "nloptwrap", optCtrl = TIGHT_LMER))) else NULL
  ), extra)
}

cases <- list()
for (na in c("na.omit", "na.exclude")) {
  short <- sub("na.", "", na)
  f <- "Reaction ~ Days + (Days | Subject)"
  fit <- lmer(as.formula(f), ss, na.action = na)
  cases[[paste0("lmm_", short)]] <- record(fit, "sleepstudy_na", f, short, FALSE, list(reml = TRUE))
  fitw <- lmer(as.formula(f), ss, weights = w, REML = FALSE, na.action = na)
  cases[[paste0("lmm_weighted_", short)]] <- record(fitw, "sleepstudy_na", f, short, FALSE, list(reml = FALSE, weights = "w"))
  fc <- "cbind(incidence, size - incidence) ~ period + (1 | herd)"
  g <- glmer(as.formula(fc), cb, family = binomial, na.action = na)
  cases[[paste0("binomial_cbind_", short)]] <- record(g, "cbpp_na", fc, short, TRUE, list(family = "binomial"))
  fp <- "incidence / size ~ period + (1 | herd)"
  g <- glmer(as.formula(fp), cb, family = binomial, weights = size, na.action = na)
  cases[[paste0("binomial_weights_", short)]] <- record(g, "cbpp_na", fp, short, TRUE, list(family = "binomial", weights = "size"))
  fo <- "incidence ~ period + (1 | herd)"
  g <- glmer(as.formula(fo), cb, family = poisson, na.action = na)
  cases[[paste0("poisson_", short)]] <- record(g, "cbpp_na", fo, short, TRUE, list(family = "poisson"))
  fg <- "y ~ x + (1 | g)"
  g <- glmer(as.formula(fg), gm, family = Gamma(link = "log"), weights = w, na.action = na)
  cases[[paste0("gamma_", short)]] <- record(g, "gamma_na", fg, short, TRUE, list(family = "Gamma", link = "log", weights = "w"))
}
writeLines(toJSON(list(lme4 = as.character(packageVersion("lme4")), R = R.version.string, cases = cases),
                  auto_unbox = TRUE, digits = NA, null = "null", pretty = FALSE),
           file.path(out, "residuals.json"))
cat("wrote", length(cases), "cases\n")
