#!/usr/bin/env Rscript
# clubSandwich 0.5.8's cluster-robust inference for lmerMod fits (vcovCR, coef_test, conf_int,
# Wald_test), for test/robust.test.ts (src/inference/robust/). Models: sleepstudy (Days | Subject) by
# REML and ML, Pastes' nested (1 | batch/cask), students in classes in schools (generated here, written to
# test/fixtures/data/robust_schools.csv) with a factor covariate and clusters at the school level (the
# default, the highest level of nesting) and a random slope, and prior weights. Every model is fitted
# with minqa's bobyqa to a tight tolerance (rhoend 1e-10), so that the test's comparison at our own
# optimum is against the optimum itself; the comparison at lme4's theta uses the same theta.
#
# Prior weights: clubSandwich 0.5.8 stops on them for lmerMod ("Models with prior weights are not
# currently supported"), and its targetVariance.lmerMod, Z Lambda Lambda' Z' + I, leaves them out. The
# weighted cases here call its vcov_CR (what vcovCR.lmerMod calls after its checks) with that method
# replaced by the weighted model's working variance, Z Lambda Lambda' Z' + W^-1 (W = diag(w)), in units
# of sigma^2 as clubSandwich's: the same algorithm on the model lme4 fitted.
#
# Usage (from the repository root):
#   Rscript test/oracle/club_sandwich.R test/fixtures/data test/fixtures/club-sandwich
# Needs: lme4 1.1-31, clubSandwich 0.5.8, jsonlite.
suppressMessages({ library(lme4); library(clubSandwich); library(jsonlite) })
stopifnot(packageVersion("clubSandwich") == "0.5.8")
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)
rd <- function(f) read.csv(file.path(dataDir, f), stringsAsFactors = TRUE)
sleep <- rd("sleepstudy.csv"); sleep$Subject <- factor(sleep$Subject)
sw <- rd("sleepstudy_weighted.csv"); sw$Subject <- factor(sw$Subject)
pastes <- rd("pastes.csv")

# students in classes in schools: 14 schools, 2 to 4 classes each, 3 to 12 students a class; a
# student-level covariate x, a school-level covariate s, a three-level factor grp, a school slope on x,
# heteroscedastic errors (what the robust variance is for) and prior weights w
set.seed(20261206)
rows <- list()
for (s in 1:14) {
  ncl <- sample(2:4, 1); sx <- rnorm(1); ub <- rnorm(2, sd = c(1, 0.4))
  for (k in 1:ncl) {
    nst <- sample(3:12, 1); uc <- rnorm(1, sd = 0.6)
    x <- round(rnorm(nst), 3)
    grp <- sample(c("a", "b", "c"), nst, replace = TRUE)
    e <- rnorm(nst, sd = 0.5 + 0.6 * abs(x))
    y <- 1 + 0.5 * x + 0.3 * sx + 0.4 * (grp == "b") - 0.2 * (grp == "c") + ub[1] + ub[2] * x + uc + e
    rows[[length(rows) + 1]] <- data.frame(y = round(y, 4), x = x, s = round(sx, 3), grp = grp,
      school = sprintf("S%02d", s), class = sprintf("C%d", k), w = sample(1:4, nst, replace = TRUE))
  }
}
schools <- do.call(rbind, rows)
write.csv(schools, file.path(dataDir, "robust_schools.csv"), row.names = FALSE)
schools <- rd("robust_schools.csv")

# the weighted model's working variance per cluster (in units of sigma^2), for vcov_CR
targetWeighted <- function(obj, cluster = clubSandwich:::get_outer_group(obj)) {
  Zlam <- Matrix::tcrossprod(lme4::getME(obj, "Z"), lme4::getME(obj, "Lambdat"))
  w <- weights(obj)
  lapply(levels(cluster), function(f) {
    i <- cluster == f
    z <- Zlam[i, , drop = FALSE]
    as.matrix(Matrix::tcrossprod(z)) + diag(1 / w[i], nrow = sum(i))
  })
}

tight <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10, maxfun = 1e5))
cases <- list(
  sleepstudy = list(data = "sleepstudy.csv", d = sleep, formula = "Reaction ~ Days + (Days | Subject)",
    constraints = list(zero = c("(Intercept)", "Days"))),
  sleepstudy_ml = list(data = "sleepstudy.csv", d = sleep, formula = "Reaction ~ Days + (Days | Subject)", reml = FALSE,
    constraints = list(zero = c("(Intercept)", "Days"))),
  pastes = list(data = "pastes.csv", d = pastes, formula = "strength ~ 1 + (1 | batch/cask)",
    constraints = list(zero = "(Intercept)")),
  schools = list(data = "robust_schools.csv", d = schools, formula = "y ~ x + s + grp + (1 | school/class)",
    constraints = list(zero = c("grpb", "grpc"), equal = c("x", "grpb", "grpc"), zero3 = c("x", "s", "grpc"))),
  schools_slope_ml = list(data = "robust_schools.csv", d = schools, formula = "y ~ x * grp + (x | school) + (1 | school:class)", reml = FALSE,
    constraints = list(zero = c("x:grpb", "x:grpc"), equal = c("grpb", "grpc"))),
  schools_weighted = list(data = "robust_schools.csv", d = schools, formula = "y ~ x + s + grp + (1 | school/class)", weights = "w",
    constraints = list(zero = c("grpb", "grpc"))),
  sleepstudy_weighted = list(data = "sleepstudy_weighted.csv", d = sw, formula = "Reaction ~ Days + (Days | Subject)", weights = "w",
    constraints = list(zero = c("(Intercept)", "Days")))
)
# explicit clusters: the schools model clustered by class within school is refused (school's random
# intercept is not nested in it); the slope model by school given by name
explicit <- list(schools_slope_ml = "school")

types <- c("CR0", "CR1", "CR1p", "CR1S", "CR2", "CR3")
# the saddlepoint p-value with the normal's upper tail taken directly: clubSandwich's saddlepoint_pval computes
# 1 - pnorm(r) - dnorm(r) (1/r - 1/q), which cancels for large r (sleepstudy_weighted's CR1S: -1.3e-17); the
# same root s (uniroot as clubSandwich runs it), then pnorm(r, lower.tail = FALSE) - dnorm(r) (1/r - 1/q)
saddle_tail <- function(t, Q) {
  eig <- pmax(0, eigen(Q, symmetric = TRUE, only.values = TRUE)$values)
  g <- c(1, -t^2 * eig / sum(eig))
  s_eq <- function(s) sum(g / (1 - 2 * g * s))
  s_range <- if (t^2 < 1) c(1 / (2 * min(g)), 0) else c(0, 1 / (2 * max(g)))
  s <- uniroot(s_eq, s_range)$root
  if (abs(s) > 0.01) {
    r <- sign(s) * sqrt(sum(log(1 - 2 * g * s)))
    q <- s * sqrt(2 * sum(g^2 / (1 - 2 * g * s)^2))
    pnorm(r, lower.tail = FALSE) - dnorm(r) * (1 / r - 1 / q)
  } else 0.5 - sum(g^3) / (3 * sqrt(pi) * sum(g^2)^(3 / 2))
}
ctests <- c("z", "naive-t", "naive-tp", "Satterthwaite", "saddlepoint")
wtests <- c("chi-sq", "Naive-F", "Naive-Fp", "HTA", "HTB", "HTZ", "EDF", "EDT")
ns <- asNamespace("clubSandwich")
# the method is replaced in the namespace itself (UseMethod finds it there before the S3 table)
originalTarget <- get("targetVariance.lmerMod", envir = ns)
setMethodBinding <- function(f) {
  unlockBinding("targetVariance.lmerMod", ns)
  assign("targetVariance.lmerMod", f, envir = ns)
  lockBinding("targetVariance.lmerMod", ns)
}

res <- lapply(names(cases), function(nm) {
  cs <- cases[[nm]]
  d <- cs$d
  m <- if (is.null(cs$weights)) lmer(as.formula(cs$formula), d, REML = !identical(cs$reml, FALSE), control = tight)
       else lmer(as.formula(cs$formula), d, REML = !identical(cs$reml, FALSE), weights = d[[cs$weights]], control = tight)
  cl <- if (!is.null(explicit[[nm]])) d[[explicit[[nm]]]] else clubSandwich:::get_outer_group(m)
  clName <- if (!is.null(explicit[[nm]])) explicit[[nm]] else names(getME(m, "flist"))[which.min(getME(m, "l_i"))]
  vc <- function(type) {
    if (is.null(cs$weights)) {
      if (is.null(explicit[[nm]])) vcovCR(m, type = type) else vcovCR(m, cluster = cl, type = type)
    } else {
      setMethodBinding(targetWeighted)
      v <- clubSandwich:::vcov_CR(m, cluster = cl, type = type, target = NULL, inverse_var = TRUE, form = "sandwich")
      v
    }
  }
  byType <- lapply(types, function(type) {
    V <- vc(type)
    ct <- coef_test(m, vcov = V, test = ctests)
    P_arr <- clubSandwich:::get_P_array(clubSandwich:::get_GH(m, V))
    ct$p_saddle_tail <- sapply(seq_along(ct$tstat), function(i) saddle_tail(ct$tstat[i], P_arr[, , i]))
    ci <- conf_int(m, vcov = V, level = 0.95, test = "Satterthwaite")
    ci90 <- conf_int(m, vcov = V, level = 0.9, test = "naive-t")
    wald <- lapply(names(cs$constraints), function(k) {
      con <- if (k == "equal") constrain_equal(cs$constraints[[k]]) else constrain_zero(cs$constraints[[k]])
      w <- Wald_test(m, constraints = con, vcov = V, test = wtests)
      list(kind = if (k == "equal") "equal" else "zero", coefs = I(cs$constraints[[k]]), test = w$test, Fstat = w$Fstat,
           delta = w$delta, df_num = w$df_num, df_denom = w$df_denom, p_val = w$p_val)
    })
    list(type = type, vcov = I(as.vector(t(as.matrix(V)))), cluster_levels = nlevels(attr(V, "cluster")),
         coef_test = lapply(list(beta = ct$beta, SE = ct$SE, tstat = ct$tstat, p_z = ct$p_z, df_t = ct$df_t, p_t = ct$p_t,
           df_tp = ct$df_tp, p_tp = ct$p_tp, df_Satt = ct$df_Satt, p_Satt = ct$p_Satt,
           saddlepoint = ct$saddlepoint, p_saddle = ct$p_saddle, p_saddle_tail = ct$p_saddle_tail), I),
         conf_int = lapply(list(df = ci$df, lower = ci$CI_L, upper = ci$CI_U), I),
         conf_int90_naive_t = lapply(list(df = ci90$df, lower = ci90$CI_L, upper = ci90$CI_U), I),
         wald = wald,
         printed = if (type == "CR2") list(
           coef_test = capture.output(print(coef_test(m, vcov = V))),
           coef_test_all = capture.output(print(ct)),
           conf_int = capture.output(print(ci)),
           wald = capture.output(print(Wald_test(m, constraints = if (names(cs$constraints)[1] == "equal") constrain_equal(cs$constraints[[1]]) else constrain_zero(cs$constraints[[1]]), vcov = V, test = wtests)))
         ) else NULL)
  })
  names(byType) <- types
  setMethodBinding(originalTarget)
  list(data = cs$data, formula = cs$formula, reml = isREML(m), weights = cs$weights, cluster = clName,
       clusterGiven = !is.null(explicit[[nm]]),
       theta = I(unname(getME(m, "theta"))), beta = I(unname(fixef(m))), xnames = I(names(fixef(m))), sigma = sigma(m),
       types = byType)
})
names(res) <- names(cases)
# restore the unweighted method (vcov_CR above replaced it for the weighted cases)
invisible(res)

# what clubSandwich refuses: crossed random effects without an explicit cluster, and clusters in which a
# grouping factor is not nested
pen <- rd("penicillin.csv")
mp <- lmer(diameter ~ 1 + (1 | plate) + (1 | sample), pen)
refusals <- list(
  crossed = tryCatch({ vcovCR(mp, type = "CR2"); "" }, error = function(e) conditionMessage(e)),
  not_nested = tryCatch({ mm <- lmer(y ~ x + (1 | school/class), schools); vcovCR(mm, cluster = schools$class, type = "CR2"); "" },
    error = function(e) conditionMessage(e)),
  weights = tryCatch({ mw <- lmer(y ~ x + (1 | school), schools, weights = w); vcovCR(mw, type = "CR2"); "" },
    error = function(e) conditionMessage(e))
)
write(toJSON(list(cases = res, refusals = refusals), auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = FALSE),
  file.path(out, "club_sandwich.json"))
