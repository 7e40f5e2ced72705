#!/usr/bin/env Rscript
# glmmTMB 1.1.5's likelihood profiles, profile(fit) (TMB's tmbprofile per parameter) and
# confint(fit, method = "profile") (a spline through the profile's points, inverted at ½ χ²₁(level)), of
# test/oracle/tmb_confint.R's fits, for test/tmbProfile.test.ts. Per case: the optimum x̂ and the SEs
# (sqrt(diag(vcov(fit, full = TRUE)))) the grid is built from, the profile data frames (.par, .focal, value)
# with the raw −log L at each point (tmbprofile's own output before profile.glmmTMB subtracts its minimum),
# confint(profile) of each of those profiles and confint(fit, method = "profile", ...) calls.
# Usage (from the repository root): Rscript test/oracle/tmb_profile.R test/fixtures/data test/fixtures/tmb_profile/profile.json
# Needs: glmmTMB 1.1.5, TMB, jsonlite.
suppressMessages({ library(glmmTMB); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
rd <- function(f) read.csv(file.path(dataDir, f), stringsAsFactors = TRUE)
tight <- glmmTMBControl(optCtrl = list(iter.max = 1e4, eval.max = 1e4, rel.tol = 1e-14))
sal <- rd("salamanders.csv")
sleep <- rd("sleepstudy.csv"); sleep$Subject <- factor(sleep$Subject)
tf <- rd("tmbfamilies.csv")

mat <- function(ci) if (inherits(ci, "ciError")) unclass(ci) else list(names = rownames(ci), columns = colnames(ci), values = lapply(seq_len(ncol(ci)), function(j) unname(ci[, j])))
# profile(fit, parm, ...) as glmmTMB gives it, with tmbprofile's raw values (the same call as profile.glmmTMB's FUN)
prof <- function(fit, parm, level_max = 0.99, npts = 8) {
  pp <- profile(fit, parm = parm, level_max = level_max, npts = npts)
  sds <- sqrt(diag(vcov(fit, full = TRUE)))
  ytol <- qchisq(level_max, 1)
  raw <- unlist(lapply(parm, function(p) TMB::tmbprofile(fit$obj, name = p, h = sds[p] / 4, ytol = ytol, ystep = ytol / npts, trace = FALSE)$value))
  stopifnot(isTRUE(all.equal(raw - ave(raw, rep(parm, table(factor(pp$.par, levels = unique(pp$.par)))), FUN = function(v) min(v, na.rm = TRUE)), pp$value, tolerance = 0)))
  list(parm = parm, level_max = level_max, npts = npts,
       data = list(par = as.character(pp$.par), focal = pp$.focal, value = pp$value, raw = raw),
       # confint(profile) of each parameter's profile alone (glmmTMB's confint.profile.glmmTMB with parm = i; its
       # error where the spline fails: a profile that is not monotone on one side)
       confint = lapply(seq_along(parm), function(i) tryCatch(mat(confint(pp, parm = i)), error = function(e) list(error = conditionMessage(e)))))
}
cases <- list()
add <- function(name, spec, fit, profiles, calls) {
  cases[[length(cases) + 1]] <<- c(list(name = name), spec, list(
    par = unname(fit$fit$par), objective = fit$fit$objective, fullNames = rownames(vcov(fit, full = TRUE)),
    sds = unname(sqrt(diag(vcov(fit, full = TRUE)))), profiles = profiles,
    calls = lapply(calls, function(cl) list(options = cl$options, result = mat(cl$ci)))))
}
# the call's value, or glmmTMB's error (the spline of a profile that is not monotone on one side)
ci <- function(options, value) list(options = options, ci = tryCatch(value, error = function(e) structure(list(error = conditionMessage(e)), class = "ciError")))

m <- glmmTMB(Reaction ~ Days + (Days | Subject), data = sleep, control = tight)
add("sleep_gauss", list(formula = "Reaction ~ Days + (Days | Subject)", ziformula = "~ 0", dispformula = "~ 1", family = "gaussian", data = "sleepstudy"), m,
  list(prof(m, 1:6), prof(m, c(2, 4), level_max = 0.95, npts = 5)), list(
  ci(list(method = "profile"), confint(m, method = "profile")),
  ci(list(method = "profile", level = 0.9, parm = "theta_"), confint(m, method = "profile", level = 0.9, parm = "theta_"))))

m <- glmmTMB(count ~ mined + (1 | site), ziformula = ~mined, family = nbinom2, data = sal, control = tight)
add("zinb2_mined", list(formula = "count ~ mined + (1 | site)", ziformula = "~ mined", dispformula = "~ 1", family = "nbinom2", data = "salamanders"), m,
  list(prof(m, 1:6)), list(
  ci(list(method = "profile"), confint(m, method = "profile")),
  ci(list(method = "profile", parm = 3), confint(m, method = "profile", parm = 3)),
  ci(list(method = "profile", parm = 4), confint(m, method = "profile", parm = 4))))

m <- glmmTMB(yg ~ x + (1 | g), dispformula = ~f, family = gaussian, data = tf, control = tight)
add("gauss_disp_f", list(formula = "yg ~ x + (1 | g)", ziformula = "~ 0", dispformula = "~ f", family = "gaussian", data = "tmbfamilies"), m,
  list(prof(m, 1:5)), list(
  ci(list(method = "profile", parm = "disp_"), confint(m, method = "profile", parm = "disp_"))))

m <- glmmTMB(count ~ mined + (1 | site), ziformula = ~mined + (1 | site), family = poisson, data = sal, control = tight)
add("zip_zi_site", list(formula = "count ~ mined + (1 | site)", ziformula = "~ mined + (1 | site)", dispformula = "~ 1", family = "poisson", data = "salamanders"), m,
  list(prof(m, 5)), list(
  ci(list(method = "profile", parm = list(2, 5)), confint(m, method = "profile", parm = c(2, 5)))))

dir.create(dirname(out), showWarnings = FALSE, recursive = TRUE)
writeLines(toJSON(list(glmmTMB = as.character(packageVersion("glmmTMB")), cases = cases), auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), out)
