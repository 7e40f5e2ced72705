#!/usr/bin/env Rscript
# Model comparison and term tests of glmmTMB fits (src/zeroinfl/anova.ts, test/tmbAnova.test.ts): references
# from glmmTMB 1.1.5, car 3.1-1 and R 4.2's stats.
#   anova(m0, m1, ...): glmmTMB's anova.glmmTMB (likelihood-ratio table, models ordered by Df, heading
#     "Data: ... Models: m0: formula, zi=~..., disp=~...") on the fits moved to their tight optimum
#     (tmb_common.R's tmbTightFit: Newton steps on TMB's gradient to max|gradient| < 1e-10; logLik reads
#     fit$objective there);
#   drop1(m, scope, test = "Chisq"): stats' drop1.default on a glmmTMB fit (each term of the conditional
#     model refitted without it by update(m, ~ . - term), extractAIC.glmmTMB); printed by R on its own fits,
#     and its numbers recomputed the same way with each refit moved to its tight optimum (the table printed
#     with those numbers in place);
#   Anova(m, type, component): glmmTMB's Anova.glmmTMB (car's Wald chi-square tests from the component's
#     coefficients and vcov) at the tight optimum (the sdreport there), with the fit's parameters and
#     vcov(full = TRUE) there so that a test can run the Wald stage alone;
#   the errors glmmTMB and stats give (REML against ML, REML fits with other fixed effects, a trivial
#     component, a scope term that is not a conditional term).
# Data: test/fixtures/data/salamanders.csv (as "Salamanders"), tmbfamilies.csv, sleepstudy.csv.
# Usage (from the repository root): Rscript test/oracle/tmb_anova.R
suppressPackageStartupMessages({ library(glmmTMB); library(car); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
out <- file.path(root, "test/fixtures/tmb_anova")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
source(file.path(here, "tmb_common.R"))
rd <- function(n) read.csv(file.path(root, "test/fixtures/data", paste0(n, ".csv")), stringsAsFactors = TRUE)
Salamanders <- rd("salamanders")
tmbfamilies <- rd("tmbfamilies")
sleepstudy <- rd("sleepstudy")
sleepstudy$Subject <- factor(sleepstudy$Subject)

fam_of <- function(f) switch(f, poisson = poisson(), nbinom2 = nbinom2(), truncated_nbinom2 = truncated_nbinom2(),
  gaussian = gaussian())
# a fit whose call holds the formulas and the data's name, as a user's call would (anova's heading reads them)
fitOf <- function(m) {
  cl <- call("glmmTMB", as.formula(m$formula), ziformula = as.formula(m$zi), dispformula = as.formula(m$disp),
    family = call(m$family), data = as.name(m$data), REML = isTRUE(m$reml))
  f <- eval(cl)
  f$call$family <- as.name(m$family)
  f
}
printed <- function(x) paste(capture.output(print(x)), collapse = "\n")

models <- list(
  zip0 = list(data = "Salamanders", formula = "count ~ 1 + (1 | site)", zi = "~mined", disp = "~1", family = "poisson"),
  zip1 = list(data = "Salamanders", formula = "count ~ mined + (1 | site)", zi = "~mined", disp = "~1", family = "poisson"),
  zip2 = list(data = "Salamanders", formula = "count ~ spp * mined + (1 | site)", zi = "~mined", disp = "~1", family = "poisson"),
  zinb2 = list(data = "Salamanders", formula = "count ~ spp * mined + (1 | site)", zi = "~mined", disp = "~1", family = "nbinom2"),
  zimc = list(data = "Salamanders", formula = "count ~ spp + (1 | site)", zi = "~mined * cover", disp = "~1", family = "poisson"),
  hnb = list(data = "Salamanders", formula = "count ~ spp + mined + (1 | site)", zi = "~spp + mined", disp = "~1", family = "truncated_nbinom2"),
  gdisp = list(data = "tmbfamilies", formula = "yg ~ x * f + (1 | g)", zi = "~0", disp = "~x * f", family = "gaussian"),
  zip_noint = list(data = "Salamanders", formula = "count ~ 0 + mined + (1 | site)", zi = "~mined", disp = "~1", family = "poisson"),
  ss_i = list(data = "sleepstudy", formula = "Reaction ~ Days + (1 | Subject)", zi = "~0", disp = "~1", family = "gaussian", reml = TRUE),
  ss_s = list(data = "sleepstudy", formula = "Reaction ~ Days + (Days | Subject)", zi = "~0", disp = "~1", family = "gaussian", reml = TRUE),
  ss_0 = list(data = "sleepstudy", formula = "Reaction ~ 1 + (Days | Subject)", zi = "~0", disp = "~1", family = "gaussian", reml = TRUE),
  ss_ml = list(data = "sleepstudy", formula = "Reaction ~ Days + (Days | Subject)", zi = "~0", disp = "~1", family = "gaussian")
)
fits <- list(); tight <- list()
for (nm in names(models)) {
  fits[[nm]] <- fitOf(models[[nm]])
  tight[[nm]] <- tmbTightFit(fits[[nm]])
}
params <- lapply(names(models), function(nm) {
  t <- tight[[nm]]
  list(name = nm, par = unname(t$fit$par), objective = t$fit$objective, loglik = as.numeric(logLik(t)),
    df = attr(logLik(t), "df"), vcov = if (isTRUE(models[[nm]]$reml)) NULL else unname(vcov(t, full = TRUE)), nobs = nobs(t))
})
names(params) <- names(models)

# anova(...) at the tight fits, each with the names as written in the call
anovaCase <- function(label, nms) {
  mods <- tight[nms]
  a <- do.call(anova, c(unname(mods), list(model.names = nms)))
  list(label = label, models = nms, order = rownames(a), Df = a$Df, AIC = a$AIC, BIC = a$BIC, logLik = a$logLik,
    deviance = a$deviance, Chisq = a$Chisq, ChiDf = a[["Chi Df"]], p = a[["Pr(>Chisq)"]], printed = printed(a))
}
anovas <- list(
  anovaCase("zip nested", c("zip0", "zip1", "zip2")),
  anovaCase("zip against zinb (the larger first)", c("zinb2", "zip2")),
  anovaCase("REML fits, same fixed effects", c("ss_s", "ss_i"))
)

# drop1: R's own (printout) and at tight refits
drop1Case <- function(label, nm, scope = NULL) {
  fit <- fits[[nm]]
  a <- if (is.null(scope)) drop1(fit, test = "Chisq") else drop1(fit, scope = scope, test = "Chisq")
  terms <- rownames(a)[-1]
  t0 <- tight[[nm]]
  ans <- t(sapply(terms, function(tt) {
    nfit <- update(fit, as.formula(paste("~ . -", tt)))
    extractAIC(tmbTightFit(nfit))
  }))
  ans <- rbind(extractAIC(t0), ans)
  dfs <- ans[1, 1] - ans[, 1]; dfs[1] <- NA
  dev <- ans[, 2] - 2 * ans[, 1]; dev <- dev - dev[1]; dev[1] <- NA
  P <- dev; P[-1] <- stats:::safe_pchisq(dev[-1], dfs[-1], lower.tail = FALSE)
  at <- a
  at$Df <- dfs; at$AIC <- ans[, 2]; at$LRT <- dev; at[["Pr(>Chi)"]] <- P
  list(label = label, model = nm, scope = scope, terms = terms, Df = dfs, AIC = unname(ans[, 2]), LRT = unname(dev),
    p = unname(P), printed_r = printed(a), printed = printed(at))
}
drop1s <- list(
  drop1Case("zip1: mined", "zip1"),
  drop1Case("zip2: the interaction (drop.scope)", "zip2"),
  drop1Case("zip2: scope spp and spp:mined (spp inside the interaction: Df 0)", "zip2", c("spp", "spp:mined")),
  drop1Case("hurdle nbinom2", "hnb"),
  drop1Case("gaussian with dispformula", "gdisp")
)

AnovaCase <- function(nm, type, component) {
  a <- Anova(tight[[nm]], type = type, component = component)
  list(model = nm, type = type, component = component, terms = rownames(a), Chisq = a$Chisq, Df = a$Df,
    p = a[["Pr(>Chisq)"]], printed = printed(a))
}
Anovas <- list(
  AnovaCase("zip1", "II", "cond"), AnovaCase("zip1", "III", "zi"),
  AnovaCase("zip2", "II", "cond"), AnovaCase("zip2", "III", "cond"),
  AnovaCase("zinb2", "II", "cond"), AnovaCase("zinb2", "III", "cond"), AnovaCase("zinb2", "II", "zi"),
  AnovaCase("zimc", "II", "zi"), AnovaCase("zimc", "III", "zi"), AnovaCase("zimc", "II", "cond"),
  AnovaCase("hnb", "II", "cond"), AnovaCase("hnb", "III", "cond"), AnovaCase("hnb", "II", "zi"), AnovaCase("hnb", "III", "zi"),
  # glmmTMB's type III reads the conditional model's intercept for every component: no "(Intercept)" row here
  AnovaCase("zip_noint", "III", "zi"),
  AnovaCase("gdisp", "II", "cond"), AnovaCase("gdisp", "III", "cond"), AnovaCase("gdisp", "II", "disp"), AnovaCase("gdisp", "III", "disp")
)

err <- function(expr) tryCatch({ expr; NA_character_ }, error = function(e) conditionMessage(e))
errors <- list(
  reml_ml = err(anova(fits$ss_s, fits$ss_ml)),
  reml_fixed = err(anova(fits$ss_s, fits$ss_0)),
  trivial_disp = err(Anova(fits$zip1, component = "disp")),
  trivial_disp_nb = err(Anova(fits$zinb2, component = "disp")),
  trivial_zi = err(Anova(fits$gdisp, component = "zi")),
  scope_zi = err(drop1(fits$zimc, scope = "mined", test = "Chisq"))
)

res <- list(versions = list(glmmTMB = as.character(packageVersion("glmmTMB")), car = as.character(packageVersion("car")), R = R.version.string),
  models = models, params = params, anovas = anovas, drop1 = drop1s, Anova = Anovas, errors = errors)
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = FALSE), file.path(out, "tmb_anova.json"))
cat("wrote", file.path(out, "tmb_anova.json"), "\n")
