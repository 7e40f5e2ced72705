#!/usr/bin/env Rscript
# emmeans's regrid() of lmer and glmer grids, for test/emmeansRegrid.test.ts: the regridded means
# (transform "response", its synonyms "unlink" and "mu", "log", "none"; predict.type), their
# pairwise differences (and, of the log grid, ratios with type = "response"), with their adjustments,
# and by grids; emmeans 1.8.4.
# Models: a log(y) lmer (Kenward-Roger df, inherited "when re-gridding") fitted to tight tolerances (the
# optimum our fit reaches); glmer fits as in test/oracle/emmeans.R, emmeans on a reference grid (qdrg)
# with β and Var(β) of the exact Laplace deviance's optimum (test/oracle/exact_laplace.R), the fit our
# glmer reaches: cbpp (binomial logit), a Poisson with an offset, a binomial with a factor × covariate
# interaction (by grids).
# Usage (from the repository root):
#   Rscript test/oracle/emmeans_regrid.R test/fixtures/data test/fixtures/emmeans test/fixtures/emmeans_regrid
# Needs: apt-get install r-cran-lme4 r-cran-jsonlite r-cran-emmeans r-cran-pbkrtest
suppressMessages({ library(lme4); library(jsonlite); library(emmeans); library(pbkrtest) })
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "exact_laplace.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; emmDir <- args[2]; out <- args[3]
stopifnot(packageVersion("emmeans") >= "1.8.4", packageVersion("emmeans") < "1.8.5")
emm_options(pbkrtest.limit = 1e6, lmerTest.limit = 1e6)
tight <- lmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
gtight <- glmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))

fact <- read.csv(file.path(emmDir, "factorial.csv"))
fact$A <- factor(fact$A, levels = c("a1", "a2", "a3")); fact$B <- factor(fact$B, levels = c("hi", "lo"))
cbpp <- read.csv(file.path(dataDir, "cbpp.csv")); cbpp$period <- factor(cbpp$period); cbpp$herd <- factor(cbpp$herd)
pois <- read.csv(file.path(emmDir, "poisson.csv")); pois$trt <- factor(pois$trt, levels = c("ctl", "highdose", "lowdose"))
bi <- read.csv(file.path(dataDir, "binomial_interaction.csv")); bi$f <- factor(bi$f); bi$g <- factor(bi$g)

mlog <- lmer(log(y) ~ A * B + x + (1 | g), fact, control = tight)
gb <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial, control = gtight)
gpo <- glmer(count ~ trt + offset(log(expo)) + (1 | g), pois, poisson, control = gtight)
gbi <- glmer(y ~ x1 * f + x2 + (1 | g), bi, binomial, control = gtight)
# (`...`: qdrg's `at`; emmeans on a grid takes no `at`)
exact_grid <- function(m, fixed, data, link, ...) {
  ex <- exact_optimum(exact_devfun(update(m, devFunOnly = TRUE)), getME(m, "theta"), fixef(m), getME(m, "lower"))
  list(rg = qdrg(fixed, data = data, coef = setNames(ex$beta, names(fixef(m))), vcov = ex$vcov, link = link, ...), ex = ex)
}
xb <- exact_grid(gb, ~ period, cbpp, "logit")
xpo <- exact_grid(gpo, ~ trt + offset(log(expo)), pois, "log")
xbi <- exact_grid(gbi, ~ x1 * f + x2, bi, "logit", at = list(x1 = c(-1, 1)))

tab <- function(s) {
  df <- as.data.frame(s)
  for (nm in names(df)) if (is.factor(df[[nm]])) df[[nm]] <- as.character(df[[nm]])
  list(columns = names(df), rows = unname(lapply(seq_len(nrow(df)), function(i) unname(as.list(df[i, ])))), mesg = as.character(attr(s, "mesg")))
}
both <- function(x, ...) summary(x, infer = c(TRUE, TRUE), ...)
# the R messages regrid gives (not notes of the printout)
msgs <- function(expr) { m <- character(0); v <- withCallingHandlers(expr, message = function(e) { m <<- c(m, conditionMessage(e)); invokeRestart("muffleMessage") }); list(value = v, messages = sub("\n$", "", m)) }

# one case: the grid `emm` (its model, specs and options), regrid(emm, transform, predict.type), the
# regridded grid's summary (as printed: its predict.type) and contrasts of it
# (a glmer case's grid is qdrg's, which labels its response-scale means "response": `fitEmm`, the same grid
# of the glmer fit itself, gives the columns emmeans prints for the fit: prob, rate)
regridCase <- function(name, model, emm, specs, transform, contrasts = list(), options = list(), predict.type = NULL, fitEmm = NULL) {
  rg <- function(e) if (is.null(predict.type)) regrid(e, transform = transform) else regrid(e, transform = transform, predict.type = predict.type)
  r <- msgs(rg(emm))
  g <- r$value
  cs <- lapply(contrasts, function(k) {
    a <- list(g, k$method)
    if (!is.null(k$adjust)) a$adjust <- k$adjust
    if (!is.null(k$type)) a$type <- k$type
    res <- both(do.call(contrast, a))
    c(k, list(result = tab(res)))
  })
  c(list(name = name, model = model, specs = specs, transform = transform), options,
    if (!is.null(predict.type)) list(predictType = predict.type),
    list(messages = r$messages, tran = if (is.null(g@misc$tran)) NA else if (is.character(g@misc$tran)) g@misc$tran else "link",
         emm = tab(summary(g)), contrasts = cs),
    if (!is.null(fitEmm)) list(fitColumns = names(summary(suppressMessages(rg(fitEmm))))))
}
pw <- function(adjust = NULL, type = NULL) Filter(Negate(is.null), list(method = "pairwise", adjust = adjust, type = type))

eb <- emmeans(xb$rg, ~ period); ebr <- emmeans(xb$rg, ~ period, type = "response")
epo <- emmeans(xpo$rg, ~ trt)
ebi <- emmeans(xbi$rg, ~ f | x1)
stopifnot(nrow(summary(ebi)) == 6)
elA <- emmeans(mlog, ~ A); elAB <- emmeans(mlog, ~ A | B)
cases <- list(
  regridCase("cbpp_response", "gb", eb, "~ period", "response", list(pw(), pw("holm")), fitEmm = emmeans(gb, ~ period)),
  regridCase("cbpp_unlink", "gb", eb, "~ period", "unlink"),
  regridCase("cbpp_mu", "gb", eb, "~ period", "mu"),
  regridCase("cbpp_log", "gb", eb, "~ period", "log", list(pw(), pw(type = "response"), pw("bonferroni", "response")), fitEmm = emmeans(gb, ~ period)),
  regridCase("cbpp_log_predict_response", "gb", eb, "~ period", "log", list(pw()), predict.type = "response", fitEmm = emmeans(gb, ~ period)),
  regridCase("cbpp_type_response_log", "gb", ebr, "~ period", "log", list(pw()), options = list(type = "response")),
  regridCase("cbpp_type_response_response", "gb", ebr, "~ period", "response", list(pw()), options = list(type = "response"), fitEmm = emmeans(gb, ~ period, type = "response")),
  regridCase("cbpp_none", "gb", eb, "~ period", "none", list(pw(), pw(type = "response")), fitEmm = emmeans(gb, ~ period)),
  regridCase("cbpp_type_response_none", "gb", ebr, "~ period", "none", list(pw()), options = list(type = "response"), fitEmm = emmeans(gb, ~ period, type = "response")),
  regridCase("cbpp_log_then_response", "gb", regrid(eb, transform = "log"), "~ period", "response", list(pw())),
  regridCase("poisson_offset_response", "gpo", epo, "~ trt", "response", list(pw()), fitEmm = emmeans(gpo, ~ trt)),
  regridCase("poisson_offset_log", "gpo", epo, "~ trt", "log", list(pw(type = "response")), fitEmm = emmeans(gpo, ~ trt)),
  regridCase("binomial_by_response", "gbi", ebi, "~ f | x1", "response", list(pw()), options = list(at = list(x1 = c(-1, 1)))),
  regridCase("binomial_by_log", "gbi", ebi, "~ f | x1", "log", list(pw(type = "response"), pw("none")), options = list(at = list(x1 = c(-1, 1)))),
  regridCase("lmer_log_A_response", "mlog", elA, "~ A", "response", list(pw(), pw("holm"))),
  regridCase("lmer_log_A_log", "mlog", elA, "~ A", "log", list(pw(type = "response"))),
  regridCase("lmer_log_AB_response", "mlog", elAB, "~ A | B", "response", list(pw())),
  regridCase("lmer_log_AB_log", "mlog", elAB, "~ A | B", "log", list(pw(type = "response")), predict.type = "response"),
  regridCase("lmer_log_AB_none", "mlog", elAB, "~ A | B", "none", list(pw(type = "response")))
)
# regrid to "log" of a grid with means ≤ 0 (an untransformed lmer's, shifted): flagged non-estimable
fact$yc <- fact$y - 10.5
write.csv(data.frame(yc = fact$yc, A = as.character(fact$A), g = fact$g), file.path(out, "factorial_yc.csv"), row.names = FALSE)
yc <- read.csv(file.path(out, "factorial_yc.csv")); yc$A <- factor(yc$A)
mc <- lmer(yc ~ A + (1 | g), yc, control = tight)
cases <- c(cases, list(regridCase("lmer_identity_log_invalid", "mc", emmeans(mc, ~ A), "~ A", "log", list(pw(type = "response")))))

models <- list(
  mlog = list(formula = "log(y) ~ A * B + x + (1 | g)", data = "factorial.csv", reml = TRUE, objective = REMLcrit(mlog), theta = getME(mlog, "theta"), beta = fixef(mlog)),
  mc = list(formula = "yc ~ A + (1 | g)", data = "factorial_yc.csv", reml = TRUE, objective = REMLcrit(mc), theta = getME(mc, "theta"), beta = fixef(mc)),
  gb = list(formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", data = "cbpp", family = "binomial", link = "logit", objective = xb$ex$value, theta = xb$ex$theta, beta = setNames(xb$ex$beta, names(fixef(gb)))),
  gpo = list(formula = "count ~ trt + offset(log(expo)) + (1 | g)", data = "poisson.csv", family = "poisson", link = "log", objective = xpo$ex$value, theta = xpo$ex$theta, beta = setNames(xpo$ex$beta, names(fixef(gpo)))),
  gbi = list(formula = "y ~ x1 * f + x2 + (1 | g)", data = "binomial_interaction", family = "binomial", link = "logit", objective = xbi$ex$value, theta = xbi$ex$theta, beta = setNames(xbi$ex$beta, names(fixef(gbi))))
)
models <- lapply(models, function(m) { m$beta <- as.list(m$beta); m$theta <- as.numeric(m$theta); m })
writeLines(toJSON(list(emmeans = as.character(packageVersion("emmeans")), models = models, cases = cases), auto_unbox = TRUE, digits = I(15), na = "null", null = "null", pretty = FALSE),
           file.path(out, "emmeans_regrid.json"))
cat("wrote", length(cases), "cases\n")
