#!/usr/bin/env Rscript
# Inference references (issue 11) from lmerTest, pbkrtest and lme4.
# Usage (from the repository root): Rscript test/oracle/inference.R [CASE ...]
# Writes test/fixtures/inference/CASE.json, and the derived data sets under test/fixtures/data/.
#
# Every lmer fit runs lme4's optimizer to tight tolerances (ftol_abs 1e-12, ftol_rel 1e-15,
# xtol_abs 1e-10, xtol_rel 1e-12): lmerTest's and pbkrtest's numbers depend on the optimum, and the
# default nloptwrap stops short of it on flat ridges (see test/oracle/lme4_reference.R). The JSON
# keeps θ and σ so that the tests can also evaluate our formulas at exactly R's parameters.
# Needs: apt-get install r-cran-lme4 r-cran-lmertest r-cran-pbkrtest r-cran-jsonlite
suppressMessages({
  library(lme4); library(jsonlite); library(lmerTest, warn.conflicts = FALSE); library(pbkrtest)
})
args <- commandArgs(trailingOnly = TRUE)
root <- "test/fixtures"
out <- file.path(root, "inference")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
tight <- lmerControl(optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
gtight <- glmerControl(tolPwrss = 1e-12, optimizer = c("bobyqa", "nloptwrap"),
                       optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12, maxeval = 1e5))

named <- function(v) as.list(setNames(as.numeric(v), names(v)))
mat <- function(m) unname(lapply(seq_len(nrow(m)), function(i) I(as.numeric(m[i, ]))))
elapsed <- function(expr) { t0 <- proc.time()[["elapsed"]]; v <- force(expr); list(value = v, s = proc.time()[["elapsed"]] - t0) }

## ---- derived data sets (deterministic), written once into test/fixtures/data ----
sleep <- read.csv(file.path(root, "data/sleepstudy.csv"))
sleep$Subject <- factor(sleep$Subject)
si <- as.integer(sleep$Subject)
# unbalanced: each subject loses its last (si %% 4) days and every day with (Days + si) %% 7 == 0
keep <- !(sleep$Days >= 10 - (si %% 4) | (sleep$Days + si) %% 7 == 0)
unb <- sleep[keep, ]
write.csv(unb, file.path(root, "data/sleepstudy_unbalanced.csv"), row.names = FALSE)
# a between-subject factor (3 groups of 6 subjects) and a within-subject factor, on the unbalanced rows
design <- unb
design$grp <- factor(c("A", "B", "C")[(as.integer(design$Subject) - 1) %% 3 + 1])
design$phase <- factor(ifelse(design$Days <= 4, "early", "late"))
write.csv(design, file.path(root, "data/sleepstudy_design.csv"), row.names = FALSE)

read_case <- function(file, factors) {
  d <- read.csv(file.path(root, "data", file), stringsAsFactors = TRUE)
  for (f in factors) d[[f]] <- factor(d[[f]])
  d
}

coef_table <- function(s) {
  ct <- s$coefficients
  setNames(lapply(rownames(ct), function(r) list(
    estimate = ct[r, "Estimate"], se = ct[r, "Std. Error"], df = ct[r, "df"],
    t = ct[r, "t value"], p = ct[r, "Pr(>|t|)"])), rownames(ct))
}
anova_table <- function(a) {
  if (nrow(a) == 0) return(structure(list(), names = character(0)))
  setNames(lapply(rownames(a), function(r) list(
    sumsq = a[r, "Sum Sq"], meansq = a[r, "Mean Sq"], numdf = a[r, "NumDF"], dendf = a[r, "DenDF"],
    F = a[r, "F value"], p = a[r, "Pr(>F)"])), rownames(a))
}
contest_rows <- function(m, L, ddf) {
  r <- contest(m, L, joint = TRUE, ddf = ddf)
  list(sumsq = r[["Sum Sq"]], meansq = r[["Mean Sq"]], numdf = r[["NumDF"]], dendf = r[["DenDF"]],
       F = r[["F value"]], p = r[["Pr(>F)"]])
}
contest1 <- function(m, l, ddf) {
  r <- contest1D(m, l, ddf = ddf)
  list(estimate = r[["Estimate"]], se = r[["Std. Error"]], df = r[["df"]], t = r[["t value"]], p = r[["Pr(>|t|)"]])
}
ci_list <- function(ci) setNames(lapply(rownames(ci), function(r) as.numeric(ci[r, ])), rownames(ci))

## ---- lmer cases: Satterthwaite, Kenward-Roger, type III, contrasts, profile and Wald CIs ----
lmer_case <- function(name, file, formula, factors, kr = TRUE, profile = TRUE, contrasts = list(), reml = TRUE) {
  d <- read_case(file, factors)
  fo <- as.formula(formula)
  fit <- elapsed(lmerTest::lmer(fo, data = d, REML = reml, control = tight))
  m <- fit$value
  res <- list(name = name, data = file, formula = formula, factors = I(factors), reml = reml,
              R = R.version.string, lme4 = as.character(packageVersion("lme4")),
              lmerTest = as.character(packageVersion("lmerTest")),
              pbkrtest = as.character(packageVersion("pbkrtest")),
              nobs = nobs(m), theta = I(as.numeric(getME(m, "theta"))), sigma = sigma(m),
              beta = named(fixef(m)), vcov = mat(as.matrix(vcov(m))), fit_s = fit$s,
              objective = if (reml) REMLcrit(m) else deviance(m))
  # lmerTest's intermediate quantities: the Hessian of the deviance in (theta, sigma), 2 H^-1, Jac
  varpar <- c(getME(m, "theta"), sigma(m))
  devfun <- lme4::lmer(fo, data = d, REML = reml, control = tight, devFunOnly = TRUE)
  h <- numDeriv::hessian(lmerTest:::devfun_vp, varpar, devfun = devfun, reml = reml)
  res$satterthwaite <- list(hessian = mat(h), vcov_varpar = mat(m@vcov_varpar),
                            jacobian = lapply(m@Jac_list, mat))
  s <- elapsed(summary(m, ddf = "Satterthwaite"))
  res$satterthwaite$coefficients <- coef_table(s$value)
  a <- elapsed(anova(m, type = "III", ddf = "Satterthwaite"))
  res$satterthwaite$anova <- anova_table(a$value)
  res$satterthwaite$time_s <- s$s + a$s
  res$type3_contrasts <- lapply(show_tests(a$value), mat)
  res$contrasts <- lapply(contrasts, function(L) {
    L <- matrix(unlist(L), nrow = length(L), byrow = TRUE)
    out <- list(L = mat(L), satterthwaite = contest_rows(m, L, "Satterthwaite"))
    if (nrow(L) == 1) out$satterthwaite_t <- contest1(m, L[1, ], "Satterthwaite")
    if (kr && reml) {
      out$kenward_roger <- contest_rows(m, L, "Kenward-Roger")
      if (nrow(L) == 1) out$kenward_roger_t <- contest1(m, L[1, ], "Kenward-Roger")
    }
    out
  })
  if (kr && reml) {
    k <- elapsed(summary(m, ddf = "Kenward-Roger"))
    res$kenward_roger <- list(coefficients = coef_table(k$value))
    ka <- elapsed(anova(m, type = "III", ddf = "Kenward-Roger"))
    res$kenward_roger$anova <- anova_table(ka$value)
    va <- elapsed(pbkrtest::vcovAdj(m))
    res$kenward_roger$vcov_adj <- mat(as.matrix(va$value))
    res$kenward_roger$W <- mat(as.matrix(attr(va$value, "W")))
    res$kenward_roger$P <- lapply(attr(va$value, "P"), function(x) mat(as.matrix(x)))
    res$kenward_roger$time_s <- va$s
  }
  res$wald <- ci_list(confint(m, method = "Wald", oldNames = FALSE))
  if (profile) {
    pr <- elapsed(suppressWarnings(confint(m, method = "profile", oldNames = FALSE)))
    res$profile <- list(level = 0.95, intervals = ci_list(pr$value), time_s = pr$s)
    pr90 <- suppressWarnings(confint(m, method = "profile", oldNames = FALSE, level = 0.9))
    res$profile90 <- list(level = 0.9, intervals = ci_list(pr90))
  }
  res
}

## ---- likelihood-ratio anova between nested models ----
lrt_case <- function(name, file, formulas, factors, family = NULL) {
  d <- read_case(file, factors)
  ms <- lapply(formulas, function(f) {
    if (is.null(family)) lme4::lmer(as.formula(f), data = d, control = tight)
    else lme4::glmer(as.formula(f), data = d, family = family, control = gtight)
  })
  a <- suppressMessages(do.call(anova, c(ms, list(model.names = paste0("m", seq_along(ms))))))
  idx <- as.integer(sub("m", "", rownames(a)))
  list(name = name, data = file, factors = I(factors), family = if (is.null(family)) "gaussian" else family,
       formulas = I(unlist(formulas)),
       models = lapply(seq_len(nrow(a)), function(i) list(
         formula = formulas[[idx[i]]], npar = a$npar[i], aic = a$AIC[i], bic = a$BIC[i],
         loglik = a$logLik[i], deviance = a$deviance[i])),
       tests = lapply(seq_len(nrow(a)), function(i) if (i == 1) NULL else list(
         chisq = a$Chisq[i], df = a$Df[i], p = a[["Pr(>Chisq)"]][i])))
}

## ---- prediction intervals: dense Henderson mixed-model equations (small data only) ----
# Var([beta_hat; b_hat - b]) = sigma^2 C^-1, C = [X'X X'Z; Z'X Z'Z + sigma^2 G^-1] (Henderson 1975)
predict_case <- function(name, file, formula, factors, newdata) {
  d <- read_case(file, factors)
  m <- lme4::lmer(as.formula(formula), data = d, control = tight)
  X <- getME(m, "X"); Z <- as.matrix(getME(m, "Z")); s2 <- sigma(m)^2
  Lt <- as.matrix(getME(m, "Lambdat")); G <- crossprod(Lt) * s2
  C <- rbind(cbind(crossprod(X), crossprod(X, Z)), cbind(crossprod(Z, X), crossprod(Z) + s2 * solve(G)))
  Vj <- s2 * solve(C)
  nd <- as.data.frame(newdata)
  for (f in factors) if (f %in% names(nd)) nd[[f]] <- factor(nd[[f]], levels = levels(d[[f]]))
  z975 <- qnorm(0.975)
  rows <- lapply(seq_len(nrow(nd)), function(i) {
    r <- nd[i, , drop = FALSE]
    x <- model.matrix(delete.response(terms(lme4::nobars(as.formula(formula)))), r)
    known <- !is.na(r$Subject)
    if (known) {
      zr <- numeric(ncol(Z)); g <- as.character(r$Subject)
      cn <- colnames(Z); lv <- rownames(ranef(m)$Subject); k <- match(g, lv)
      q <- 2; zr[(k - 1) * q + 1] <- 1; zr[(k - 1) * q + 2] <- r$Days
      v <- c(x, zr); fit <- sum(x * fixef(m)) + sum(zr * as.numeric(t(as.matrix(ranef(m)$Subject))))
      vc <- drop(t(v) %*% Vj %*% v); vp <- vc + s2
    } else {
      fit <- sum(x * fixef(m)); vc <- drop(x %*% vcov(m) %*% t(x))
      zz <- c(1, r$Days); Sb <- as.matrix(VarCorr(m)$Subject)
      vp <- vc + drop(t(zz) %*% Sb %*% zz) + s2
    }
    list(fit = fit, confidence = c(fit - z975 * sqrt(vc), fit + z975 * sqrt(vc)),
         prediction = c(fit - z975 * sqrt(vp), fit + z975 * sqrt(vp)))
  })
  list(name = name, data = file, formula = formula, factors = I(factors), newdata = nd, level = 0.95, rows = rows)
}

## ---- glmer: Wald and profile intervals ----
glmer_case <- function(name, file, formula, factors, family) {
  d <- read_case(file, factors)
  m <- lme4::glmer(as.formula(formula), data = d, family = family, control = gtight)
  pr <- elapsed(suppressWarnings(confint(m, method = "profile", oldNames = FALSE)))
  list(name = name, data = file, formula = formula, factors = I(factors), family = family,
       theta = I(as.numeric(getME(m, "theta"))), beta = named(fixef(m)), deviance = deviance(m),
       wald = ci_list(confint(m, method = "Wald", oldNames = FALSE)),
       profile = list(level = 0.95, intervals = ci_list(pr$value), time_s = pr$s))
}

## ---- the parametric bootstrap of a glmer fit: the distribution of confint's statistics under
## bootMer (lme4's default glmer control, as a user's fit): means, SDs and percentile intervals.
## Our draws are not R's, so the tests compare distributions, not replicates.
glmer_boot_case <- function(name, file, formula, factors, family, nsim) {
  d <- read_case(file, factors)
  # family "negative.binomial": glmer.nb, whose bootMer refits hold the size θ at its estimate
  m <- if (family == "negative.binomial") lme4::glmer.nb(as.formula(formula), data = d) else lme4::glmer(as.formula(formula), data = d, family = family)
  FUN <- function(x) { th <- getME(x, "theta"); c(setNames(th, NULL), fixef(x)) }  # scalar terms: sd = θ
  set.seed(1)
  b <- elapsed(suppressWarnings(suppressMessages(bootMer(m, FUN, nsim = nsim))))
  t <- b$value$t
  colnames(t) <- c(paste0("sd_(Intercept)|", names(getME(m, "cnms"))), names(fixef(m)))
  ok <- stats::complete.cases(t)
  list(name = name, data = file, formula = formula, factors = I(factors), family = family, nsim = nsim,
       failed = sum(!ok), t0 = named(setNames(b$value$t0, colnames(t))),
       mean = named(colMeans(t[ok, ])), sd = named(apply(t[ok, ], 2, sd)),
       singular = mean(t[ok, 1] < 1e-4),
       percentile = lapply(setNames(seq_len(ncol(t)), colnames(t)), function(j) I(as.numeric(quantile(t[ok, j], c(0.025, 0.975))))),
       time_s = b$s)
}

## ---- R's interpolating and inverse splines (profile intervals), on profile-like points ----
spline_case <- function() {
  sets <- list(
    list(x = c(0.5, 0.9, 1.3, 1.8, 2.2, 2.9, 3.5), z = c(-2.9, -1.6, -0.7, 0.1, 0.65, 1.6, 2.4)),
    list(x = c(0, 0.3, 0.8, 1.2, 1.9), z = c(-1.1, -0.8, 0.2, 1.0, 2.7)),
    list(x = c(-3, -2.2, -1.5, -1.1, -0.2, 0.4), z = c(-2.7, -2.1, -1.0, -0.2, 0.9, 3.1)))
  lapply(sets, function(s) {
    fw <- splines::interpSpline(s$x, s$z)
    bk <- splines::backSpline(fw)
    xs <- seq(min(s$x), max(s$x), length.out = 9); zs <- c(-2.5, -1.959964, -1, 0, 0.5, 1.959964, 2.5)
    list(x = s$x, z = s$z, at = xs, forward = predict(fw, xs)$y, zeta = zs, backward = predict(bk, zs)$y)
  })
}

## ---- printed tables (capture.output), for the text formatting ----
text_case <- function() {
  d <- read_case("sleepstudy_design.csv", "Subject")
  m <- lmerTest::lmer(Reaction ~ Days * grp + (Days | Subject), data = d, control = tight)
  m0 <- lme4::lmer(Reaction ~ Days + grp + (Days | Subject), data = d, control = tight)
  m1 <- lme4::lmer(Reaction ~ Days * grp + (Days | Subject), data = d, control = tight)
  cf <- function(s) { o <- capture.output(printCoefmat(s$coefficients, digits = max(3, getOption("digits") - 3))); o }
  list(name = "text", theta = I(as.numeric(getME(m, "theta"))),
       coef_satterthwaite = cf(summary(m)), coef_kenward_roger = cf(summary(m, ddf = "Kenward-Roger")),
       anova_satterthwaite = capture.output(print(anova(m))), anova_kenward_roger = capture.output(print(anova(m, ddf = "Kenward-Roger"))),
       lrt = capture.output(print(suppressMessages(anova(m0, m1)))),
       wald = capture.output(print(confint(m1, method = "Wald", oldNames = FALSE))))
}

cases <- list(
  text = text_case,
  splines = function() list(name = "splines", sets = spline_case()),
  sleepstudy = function() lmer_case("sleepstudy", "sleepstudy.csv", "Reaction ~ Days + (Days | Subject)", "Subject",
    contrasts = list(list(c(1, 5)), list(c(1, 0), c(0, 1)), list(c(0, 1), c(0, 2)))),
  sleepstudy_ml = function() lmer_case("sleepstudy_ml", "sleepstudy.csv", "Reaction ~ Days + (Days | Subject)", "Subject",
    reml = FALSE, kr = FALSE, profile = FALSE, contrasts = list(list(c(1, 5)))),
  sleepstudy_unbalanced = function() lmer_case("sleepstudy_unbalanced", "sleepstudy_unbalanced.csv",
    "Reaction ~ Days + (Days | Subject)", "Subject", contrasts = list(list(c(1, 5)), list(c(1, 0), c(0, 1)))),
  sleepstudy_uncorrelated = function() lmer_case("sleepstudy_uncorrelated", "sleepstudy_unbalanced.csv",
    "Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)", "Subject", contrasts = list(list(c(1, 5)))),
  penicillin = function() lmer_case("penicillin", "penicillin.csv", "diameter ~ 1 + (1 | plate) + (1 | sample)", character(0)),
  pastes = function() lmer_case("pastes", "pastes.csv", "strength ~ 1 + (1 | batch/cask)", character(0)),
  design_covariate = function() lmer_case("design_covariate", "sleepstudy_design.csv",
    "Reaction ~ Days * grp + (Days | Subject)", "Subject", profile = FALSE,
    contrasts = list(list(c(0, 1, 0, 0, 0, 0), c(0, 0, 0, 0, 1, 0), c(0, 0, 0, 0, 0, 1)))),
  design_factors = function() lmer_case("design_factors", "sleepstudy_design.csv",
    "Reaction ~ grp * phase + Days + (1 | Subject)", "Subject", profile = FALSE),
  insteval = function() lmer_case("insteval", "insteval.csv", "y ~ service + (1 | s) + (1 | d) + (1 | dept:service)",
    c("s", "d", "dept", "service"), kr = FALSE, profile = FALSE),
  lrt_sleepstudy = function() lrt_case("lrt_sleepstudy", "sleepstudy.csv", list(
    "Reaction ~ Days + (Days | Subject)", "Reaction ~ Days + (1 | Subject)", "Reaction ~ 1 + (1 | Subject)"), "Subject"),
  lrt_design = function() lrt_case("lrt_design", "sleepstudy_design.csv", list(
    "Reaction ~ Days * grp + (Days | Subject)", "Reaction ~ Days + grp + (Days | Subject)"), "Subject"),
  lrt_cbpp = function() lrt_case("lrt_cbpp", "cbpp.csv", list(
    "cbind(incidence, size - incidence) ~ period + (1 | herd)", "cbind(incidence, size - incidence) ~ 1 + (1 | herd)"),
    c("herd", "period"), family = "binomial"),
  predict_sleepstudy = function() predict_case("predict_sleepstudy", "sleepstudy.csv", "Reaction ~ Days + (Days | Subject)", "Subject",
    data.frame(Days = c(0, 4.5, 9, 12, 3), Subject = c("308", "309", "372", NA, NA))),
  profile_cbpp = function() glmer_case("profile_cbpp", "cbpp.csv", "cbind(incidence, size - incidence) ~ period + (1 | herd)",
    c("herd", "period"), "binomial"),
  boot_cbpp = function() glmer_boot_case("boot_cbpp", "cbpp.csv", "cbind(incidence, size - incidence) ~ period + (1 | herd)",
    c("herd", "period"), "binomial", 2000),
  boot_negbin = function() glmer_boot_case("boot_negbin", "grouseticks.csv", "TICKS ~ YEAR + (1 | LOCATION)",
    c("YEAR", "LOCATION"), "negative.binomial", 1000),
  dyestuff2 = function() lmer_case("dyestuff2", "dyestuff2.csv", "Yield ~ 1 + (1 | Batch)", character(0), kr = FALSE)
)

run <- if (length(args)) args else names(cases)
for (nm in run) {
  r <- tryCatch(cases[[nm]](), error = function(e) list(name = nm, error = conditionMessage(e)))
  writeLines(toJSON(r, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE),
             file.path(out, paste0(nm, ".json")))
  cat(nm, if (!is.null(r$error)) paste("ERROR", r$error) else "ok", "\n")
}
