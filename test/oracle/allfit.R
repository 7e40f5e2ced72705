#!/usr/bin/env Rscript
# lme4 1.1-31's allFit(fit) and summary(allFit(fit)) — the fit refitted by each optimizer available
# here (bobyqa, Nelder_Mead, nlminbwrap, nloptwrap's NLOPT_LN_NELDERMEAD and NLOPT_LN_BOBYQA; optimx
# and dfoptim's nmkbw are not installed, and are left out of meth.tab) — for test/allFit.test.ts.
#
# Cases (each a JSON file in the output folder):
#   sleepstudy       Reaction ~ Days + (Days | Subject), REML: a well-determined interior optimum
#   dyestuff2        Yield ~ 1 + (1 | Batch), REML: a singular fit (θ = 0)
#   sleepstudy_ml_uncorr  Reaction ~ Days + (1 | Subject) + (0 + Days | Subject), ML
#   slope_singular   y ~ x + (x | g), REML, on generated data (12 groups of 10, no slope variance;
#                    slope_singular.csv, written here): singular, θ₃ = 0 with the slope's SD > 0
#   cbpp             cbind(incidence, size - incidence) ~ period + (1 | herd), binomial (Laplace)
#   income_glmer     yb ~ income + (1 | g), binomial, on convergence.R's income.csv (an unscaled
#                    covariate of mean 50,000): lme4 warns "Model failed to converge" and "very large
#                    eigenvalue" / "Rescale variables?"
# Per optimizer: whether it ran (which.OK), lme4's convergence messages (summary's msgs), the
# optimizer's own message and warnings, logLik, fixef, θ, the sdcor column (as.data.frame(VarCorr)),
# feval; the summary's sdcor column names (tnames, as lme4 labels them); for lmer, the optimum to tight
# tolerances.
# And lme4's Nelder_Mead alone (lmerControl(optimizer = "Nelder_Mead", maxfun 1e5)) on every random model
# of test/oracle/random_models.R (test/fixtures/random-lmm): its criterion and θ per model, beside the
# best of that script's three lme4 fits (nelder_mead_random.json).
# Usage (from the repository root):
#   Rscript test/oracle/allfit.R test/fixtures/data test/fixtures/convergence/income.csv test/fixtures/allfit [test/fixtures/random-lmm]
# Needs: lme4 1.1-31, jsonlite (nloptr through lme4).
suppressMessages({ library(lme4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; incomeCsv <- args[2]; out <- args[3]
stopifnot(packageVersion("lme4") == "1.1.31")
rd <- function(f) read.csv(f, stringsAsFactors = TRUE)

sleepstudy <- rd(file.path(dataDir, "sleepstudy.csv")); sleepstudy$Subject <- factor(sleepstudy$Subject)
dyestuff2 <- rd(file.path(dataDir, "dyestuff2.csv"))
cbpp <- rd(file.path(dataDir, "cbpp.csv")); cbpp$herd <- factor(cbpp$herd); cbpp$period <- factor(cbpp$period)
income <- rd(incomeCsv); income$g <- factor(income$g)
# a random slope whose variance the fit puts on the boundary (θ₃ = 0: a correlation of −1), written here
set.seed(1); G <- 12; x <- rep(0:9, G); g <- factor(rep(1:G, each = 10))
y <- 2 + 0.5 * x + rnorm(G, sd = 1)[g] + rnorm(10 * G, sd = 1.5)
slope_singular <- data.frame(y = round(y, 4), x, g)
write.csv(slope_singular, file.path(out, "slope_singular.csv"), row.names = FALSE)
slope_singular <- rd(file.path(out, "slope_singular.csv")); slope_singular$g <- factor(slope_singular$g)

cases <- list(
  sleepstudy = list(call = quote(lmer(Reaction ~ Days + (Days | Subject), sleepstudy)),
                    formula = "Reaction ~ Days + (Days | Subject)", data = "sleepstudy.csv", REML = TRUE),
  dyestuff2 = list(call = quote(lmer(Yield ~ 1 + (1 | Batch), dyestuff2)),
                   formula = "Yield ~ 1 + (1 | Batch)", data = "dyestuff2.csv", REML = TRUE),
  sleepstudy_ml_uncorr = list(call = quote(lmer(Reaction ~ Days + (1 | Subject) + (0 + Days | Subject), sleepstudy, REML = FALSE)),
                              formula = "Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)", data = "sleepstudy.csv", REML = FALSE),
  slope_singular = list(call = quote(lmer(y ~ x + (x | g), slope_singular)),
                        formula = "y ~ x + (x | g)", data = "slope_singular.csv", REML = TRUE),
  cbpp = list(call = quote(glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)),
              formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", data = "cbpp.csv", family = "binomial"),
  income_glmer = list(call = quote(glmer(yb ~ income + (1 | g), income, family = binomial)),
                      formula = "yb ~ income + (1 | g)", data = "../convergence/income.csv", family = "binomial")
)

# allFit's own table less nmkbw and optimx (not installed). lme4 1.1-31's allFit cannot drop both
# itself (it subsets meth.tab with a logical of meth.tab.0's length: "logical subscript too long"), so
# it runs here with that package check answered TRUE and the reduced table given: the same function.
methTab <- lme4:::meth.tab.0[!lme4:::meth.tab.0[, "optimizer"] %in% c("nmkbw", "optimx"), ]
allFit <- lme4::allFit
environment(allFit) <- list2env(list(requireNamespace = function(...) TRUE), parent = asNamespace("lme4"))

for (name in names(cases)) {
  cs <- cases[[name]]
  fit <- suppressWarnings(suppressMessages(eval(cs$call)))
  af <- suppressWarnings(suppressMessages(allFit(fit, meth.tab = methTab, verbose = FALSE)))
  s <- summary(af)
  fits <- lapply(names(af), function(nm) {
    x <- af[[nm]]
    if (inherits(x, "error")) return(list(optimizer = nm, ok = FALSE, error = conditionMessage(x)))
    list(optimizer = nm, ok = TRUE,
         msgs = I(as.character(x@optinfo$conv$lme4$messages)),
         optimizer_message = if (is.null(x@optinfo$message)) NULL else as.character(x@optinfo$message),
         optimizer_warnings = I(as.character(unlist(x@optinfo$warnings))),
         singular = isSingular(x),
         llik = as.numeric(logLik(x)), fixef = as.list(fixef(x)), theta = unname(getME(x, "theta")),
         sdcor = as.data.frame(VarCorr(x))[["sdcor"]], feval = x@optinfo$feval)
  })
  # lmer: the optimum to tight tolerances (nloptwrap's BOBYQA), the bar for θ and β; glmer's default
  # deviance is perturbed by its PIRLS tolerance (test/glmm.test.ts), so its tight optimum is
  # test/oracle/glmer_tight.R's (test/fixtures/reference-tight), not refitted here
  tight <- if (isGLMM(fit)) NULL else {
    ft <- update(fit, control = lmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12, maxeval = 1e5)))
    list(llik = as.numeric(logLik(ft)), theta = unname(getME(ft, "theta")), fixef = as.list(fixef(ft)),
         sdcor = as.data.frame(VarCorr(ft))[["sdcor"]])
  }
  res <- list(
    case = name, tight = tight, formula = cs$formula, data = cs$data, family = if (is.null(cs$family)) NULL else cs$family,
    REML = if (is.null(cs$REML)) NULL else cs$REML,
    original = list(llik = as.numeric(logLik(fit)), theta = unname(getME(fit, "theta")), fixef = as.list(fixef(fit)),
                    msgs = I(as.character(fit@optinfo$conv$lme4$messages))),
    which_ok = as.list(s$which.OK), llik = as.list(s$llik),
    sdcor_names = I(colnames(s$sdcor)), vc_names = I(with(as.data.frame(VarCorr(fit)), paste(grp, var1, var2, sep = "|"))),
    best_llik = max(s$llik),
    fits = fits)
  writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), file.path(out, paste0(name, ".json")))
  cat(name, ":", format(s$llik, digits = 12), "\n")
}

# ---- lme4's Nelder_Mead on the random models ---------------------------------------------------
if (length(args) >= 4) {
  rdir <- args[4]
  L <- fromJSON(file.path(rdir, "lme4.json"), simplifyVector = FALSE)
  nm <- lapply(L$cases, function(c) {
    d <- read.csv(file.path(rdir, paste0(c$name, ".csv")), stringsAsFactors = TRUE)
    best <- min(c$default$objective, c$bobyqa$objective, c$tight$objective)
    m <- tryCatch(suppressWarnings(suppressMessages(lmer(as.formula(c$formula), d, REML = c$reml,
      control = lmerControl(optimizer = "Nelder_Mead", optCtrl = list(maxfun = 1e5))))), error = function(e) e)
    if (inherits(m, "error")) return(list(name = c$name, error = conditionMessage(m), best = best))
    list(name = c$name, formula = c$formula, reml = c$reml, best = best,
         objective = if (c$reml) REMLcrit(m) else deviance(m), theta = I(unname(getME(m, "theta"))), feval = m@optinfo$feval)
  })
  writeLines(toJSON(list(lme4 = as.character(packageVersion("lme4")), cases = nm), auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
             file.path(out, "nelder_mead_random.json"))
  cat("Nelder_Mead misses of the best by > 1e-6:", sum(vapply(nm, function(x) is.null(x$objective) || x$objective - x$best > 1e-6, NA)), "of", length(nm), "\n")
}
