#!/usr/bin/env Rscript
# lme4 1.1-31's nlmer (nonlinear mixed models) and R 4.2.2's self-starting models, for
# test/nlmer.test.ts.
#
#   selfstart.json   each of SSlogis, SSfpl, SSasymp, SSasympOff, SSasympOrig, SSbiexp, SSfol,
#                    SSgompertz, SSmicmen, SSweibull at a few covariate values and parameter sets:
#                    the value and attr(., "gradient") (R's deriv of the model)
#   orange.json      nlmer(circumference ~ SSlogis(age, Asym, xmid, scal) ~ Asym | Tree, Orange)
#   theoph.json      nlmer(conc ~ SSfol(Dose, Time, lKe, lKa, lCl) ~ (lKe + lKa + lCl | Subject), Theoph)
#   micmen.json      a constructed Michaelis–Menten data set (micmen.csv): rate ~ SSmicmen(conc, Vm, K) ~ Vm | g
#   asymp.json       a constructed asymptotic-regression data set (asymp.csv):
#                    y ~ SSasymp(x, Asym, R0, lrc) ~ Asym + R0 + lrc + (R0 | g)
#   logis200.json    many groups (test/nlmerBlocks.test.ts): simulated SSlogis growth curves, 200 groups × 10
#                    ages (logis200.csv), y ~ SSlogis(x, Asym, xmid, scal) ~ Asym + xmid | g
#   orange_anova.json  lme4's anova(fit1, fit2) of the Orange fits with a random Asym and with a random
#                    Asym and xmid: the table, its heading and printout, and the second fit's estimates
# Each fit: θ, β, the deviance at the optimum (opt$fval), σ, vcov as summary() uses it (and whether
# lme4 fell back to R_X), ranef, fitted, residuals, the summary printout, the stage-1 (nAGQ = 0) fit,
# and lme4's second-stage deviance function (devFunOnly) at its optimum and at a moved point.
# The data sets are written to test/fixtures/data as CSV (Orange.csv, Theoph.csv, micmen.csv, asymp.csv, logis200.csv).
# Usage (from the repository root):
#   Rscript test/oracle/nlmer.R test/fixtures/data test/fixtures/nlmer
# Needs: lme4 1.1-31, jsonlite.
suppressMessages({ library(lme4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
stopifnot(packageVersion("lme4") == "1.1.31")
wj <- function(x, f) writeLines(toJSON(x, digits = NA, auto_unbox = TRUE, null = "null", na = "null"), file.path(out, f))

## self-starting models
ss <- list(
  SSlogis = list(cov = list(input = c(0, 118, 664, 1582)), pars = list(c(Asym = 192, xmid = 728, scal = 348), c(Asym = -3, xmid = 0.5, scal = 2.5))),
  SSfpl = list(cov = list(input = c(0, 2, 10, 50)), pars = list(c(A = 13, B = 368, xmid = 14, scal = 6), c(A = -1, B = 2, xmid = 0, scal = -3))),
  SSasymp = list(cov = list(input = c(0, 1.5, 7, 20)), pars = list(c(Asym = 94, R0 = -8, lrc = -3.2), c(Asym = 1, R0 = 2, lrc = 0.5))),
  SSasympOff = list(cov = list(input = c(95, 175, 250, 1000)), pars = list(c(Asym = 32, lrc = -4.6, c0 = 52), c(Asym = 2, lrc = 0.1, c0 = -1))),
  SSasympOrig = list(cov = list(input = c(0, 1, 5, 30)), pars = list(c(Asym = 100, lrc = -2), c(Asym = -2, lrc = 1.3))),
  SSbiexp = list(cov = list(input = c(0.25, 1, 4, 8)), pars = list(c(A1 = 3, lrc1 = 1, A2 = 0.6, lrc2 = -1.3), c(A1 = -1, lrc1 = 0.1, A2 = 5, lrc2 = 0.2))),
  SSfol = list(cov = list(Dose = c(4.02, 4.4, 5.5, 3.1), input = c(0, 0.25, 3.8, 24.4)), pars = list(c(lKe = -2.5, lKa = 0.5, lCl = -3), c(lKe = 0.3, lKa = -1.1, lCl = 0.7))),
  SSgompertz = list(cov = list(x = c(0, 1, 3.5, 8)), pars = list(c(Asym = 4.5, b2 = 2.3, b3 = 0.7), c(Asym = -1, b2 = 0.5, b3 = 1.2))),
  SSmicmen = list(cov = list(input = c(0.02, 0.11, 0.56, 1.1)), pars = list(c(Vm = 212, K = 0.064), c(Vm = -3, K = 2))),
  SSweibull = list(cov = list(x = c(0.5, 1, 2, 10)), pars = list(c(Asym = 2.5, Drop = 2.1, lrc = -1.7, pwr = 2.1), c(Asym = 0, Drop = -1, lrc = 0.4, pwr = 0.7)))
)
ssOut <- lapply(names(ss), function(nm) {
  s <- ss[[nm]]
  list(model = nm, covariates = s$cov, cases = lapply(s$pars, function(p) {
    # called with names (R's deriv code computes the gradient only when every argument is a name)
    env <- list2env(c(s$cov, as.list(p)))
    v <- eval(as.call(c(as.name(nm), lapply(names(formals(get(nm))), as.name))), env)
    g <- attr(v, "gradient")
    stopifnot(!is.null(g))
    list(parameters = as.list(p), value = as.numeric(v), gradient = lapply(colnames(g), function(j) as.numeric(g[, j])))
  }))
})
wj(ssOut, "selfstart.json")

## data
orange <- data.frame(Tree = as.character(Orange$Tree), age = Orange$age, circumference = Orange$circumference)
write.csv(orange, file.path(dataDir, "Orange.csv"), row.names = FALSE)
theoph <- data.frame(Subject = as.character(Theoph$Subject), Wt = Theoph$Wt, Dose = Theoph$Dose, Time = Theoph$Time, conc = Theoph$conc)
write.csv(theoph, file.path(dataDir, "Theoph.csv"), row.names = FALSE)
set.seed(20261206)
g <- rep(sprintf("g%02d", 1:10), each = 6)
conc <- rep(c(0.02, 0.06, 0.11, 0.22, 0.56, 1.1), 10)
Vm <- 200 + rnorm(10, 0, 25)
micmen <- data.frame(g = g, conc = conc, rate = round(Vm[as.integer(factor(g))] * conc / (0.07 + conc) + rnorm(60, 0, 6), 2))
write.csv(micmen, file.path(dataDir, "micmen.csv"), row.names = FALSE)
ga <- rep(sprintf("s%d", 1:9), each = 7)
x <- rep(c(0, 1, 2, 4, 7, 11, 16), 9)
R0 <- 10 + rnorm(9, 0, 4)
asymp <- data.frame(g = ga, x = x, y = round(50 + (R0[as.integer(factor(ga))] - 50) * exp(-exp(-1.6) * x) + rnorm(63, 0, 1.5), 3))
asymp$y[c(5, 40)] <- NA # rows dropped by na.omit
write.csv(asymp, file.path(dataDir, "asymp.csv"), row.names = FALSE)

fitCase <- function(name, formula, data, start, dataFile, pred = NULL) {
  # nlformula evaluates the call's arguments in its caller's caller: a call written out here, with the
  # data under the name the printout shows
  dname <- sub("\\.csv$", "", dataFile)
  assign(dname, data)
  call <- function(...) eval(substitute(nlmer(F, D, start = S, ...), list(F = formula, D = as.name(dname), S = start)))
  fit <- call()
  fit0 <- call(nAGQ = 0L)
  vc <- withCallingHandlers(vcov(fit), warning = function(w) invokeRestart("muffleWarning"))
  vcw <- tryCatch({ vcov(fit); "hessian" }, warning = function(w) "RX")
  df <- call(devFunOnly = TRUE)
  par <- fit@optinfo$val
  moved <- par * 1.03 + 0.01
  # lme4's devfun starts each PNLS solve from the u of the previous call (rho$u0 is pp$u0, which the
  # C++ updates in place) and stops at tolPwrss = 1e-10, where Gauss-Newton's linear convergence leaves
  # the value ~1e-7 relative from the converged one, depending on the path. With tolPwrss = 1e-16 and a
  # second call from the first one's solution the value is the Laplace deviance at the converged modes
  # to ~1e-9 (1e-17 and below: step halving fails at rounding level).
  environment(df)$tolPwrss <- 1e-16
  tight <- function(x) { df(x); df(x) }
  re <- ranef(fit)
  summ <- withCallingHandlers(capture.output(print(summary(fit))), warning = function(w) invokeRestart("muffleWarning"))
  vcr <- as.data.frame(VarCorr(fit))
  wj(list(
    formula = paste(deparse(formula, width.cutoff = 500), collapse = ""), data = dataFile, start = as.list(start),
    n = nobs(fit), theta = getME(fit, "theta"), beta = as.list(fixef(fit)), deviance = unname(fit@devcomp$cmp["dev"]),
    sigma = sigma(fit), logLik = as.numeric(logLik(fit)), AIC = AIC(fit), BIC = BIC(fit), df_resid = df.residual(fit),
    vcov = unname(as.matrix(vc)), vcov_source = vcw, se = unname(sqrt(diag(as.matrix(vc)))),
    feval = fit@optinfo$feval,
    ranef = lapply(re, function(r) list(levels = rownames(r), values = lapply(as.list(r), as.numeric))),
    varcorr = list(grp = vcr$grp, var1 = vcr$var1, var2 = vcr$var2, vcov = vcr$vcov, sdcor = vcr$sdcor),
    fitted = unname(fitted(fit)), residuals = unname(residuals(fit)),
    summary = summ,
    stage1 = list(theta = getME(fit0, "theta"), beta = unname(fixef(fit0)), deviance = unname(fit0@devcomp$cmp["dev"])),
    devfun = list(at = par, value = tight(par), moved = moved, moved_value = tight(moved), tol = 1e-16),
    predict = pred
  ), paste0(name, ".json"))
}
# predictions at new rows: lme4 1.1-31's predict(newdata) does not work for nlmer (it fails, or with
# re.form = NA returns β's matrix), so they are the model at the fit's parameters, by hand:
# population SSlogis(age, Asym, xmid, scal), conditional with Asym + the tree's ranef
orangePred <- function() {
  fit <- nlmer(circumference ~ SSlogis(age, Asym, xmid, scal) ~ Asym | Tree, orange, start = c(Asym = 200, xmid = 725, scal = 350))
  nd <- data.frame(age = c(100, 1000, 1500, 600), Tree = c("1", "3", "5", "2"))
  b <- fixef(fit); re <- ranef(fit)$Tree
  list(age = nd$age, Tree = nd$Tree,
       population = as.numeric(SSlogis(nd$age, b[["Asym"]], b[["xmid"]], b[["scal"]])),
       conditional = as.numeric(SSlogis(nd$age, b[["Asym"]] + re[nd$Tree, "Asym"], b[["xmid"]], b[["scal"]])))
}
fitCase("orange", circumference ~ SSlogis(age, Asym, xmid, scal) ~ Asym | Tree, orange, c(Asym = 200, xmid = 725, scal = 350), "Orange.csv", orangePred())
fitCase("theoph", conc ~ SSfol(Dose, Time, lKe, lKa, lCl) ~ (lKe + lKa + lCl | Subject), theoph, c(lKe = -2.5, lKa = 0.5, lCl = -3), "Theoph.csv")
fitCase("micmen", rate ~ SSmicmen(conc, Vm, K) ~ Vm | g, micmen, c(Vm = 200, K = 0.05), "micmen.csv")
fitCase("asymp", y ~ SSasymp(x, Asym, R0, lrc) ~ Asym + R0 + lrc + (R0 | g), asymp, c(Asym = 45, R0 = 8, lrc = -1.5), "asymp.csv")

## many groups: 200 groups × 10 ages, random Asym and xmid (the level blocks of PNLS's L at a size where they matter)
set.seed(20261207)
G <- 200
asymG <- 200 + rnorm(G, 0, 25)
xmidG <- 700 + rnorm(G, 0, 60)
logis200 <- data.frame(g = rep(sprintf("g%03d", 1:G), each = 10), x = rep(150 * (1:10), G))
gi <- as.integer(factor(logis200$g))
logis200$y <- round(asymG[gi] / (1 + exp((xmidG[gi] - logis200$x) / 300)) + rnorm(G * 10, 0, 5), 4)
write.csv(logis200, file.path(dataDir, "logis200.csv"), row.names = FALSE)
fitCase("logis200", y ~ SSlogis(x, Asym, xmid, scal) ~ Asym + xmid | g, logis200, c(Asym = 200, xmid = 700, scal = 300), "logis200.csv")

## lme4's anova(fit1, fit2) of two nlmer fits (the browser app's Fits comparison)
Orange <- orange
fit1 <- nlmer(circumference ~ SSlogis(age, Asym, xmid, scal) ~ Asym | Tree, Orange, start = c(Asym = 200, xmid = 725, scal = 350))
fit2 <- nlmer(circumference ~ SSlogis(age, Asym, xmid, scal) ~ Asym + xmid | Tree, Orange, start = c(Asym = 200, xmid = 725, scal = 350))
a <- anova(fit1, fit2)
wj(list(
  data = "Orange.csv", start = list(Asym = 200, xmid = 725, scal = 350),
  formulas = c(paste(deparse(formula(fit1), width.cutoff = 500), collapse = ""), paste(deparse(formula(fit2), width.cutoff = 500), collapse = "")),
  names = rownames(a), npar = a$npar, AIC = a$AIC, BIC = a$BIC, logLik = a$logLik, deviance = a$deviance,
  Chisq = a$Chisq, Df = a$Df, p = a[["Pr(>Chisq)"]], heading = attr(a, "heading"),
  print = capture.output(print(a)),
  fit2 = list(theta = getME(fit2, "theta"), beta = as.list(fixef(fit2)), deviance = unname(fit2@devcomp$cmp["dev"]))
), "orange_anova.json")
