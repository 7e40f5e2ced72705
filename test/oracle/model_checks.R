#!/usr/bin/env Rscript
# performance 0.10.2's model checks and indices of lmer and glmer fits (check_collinearity,
# check_overdispersion, check_zeroinflation, check_singularity, check_convergence, model_performance),
# for test/modelChecks.test.ts.
#
# Each case records lme4's default fit's pieces (theta, beta, sigma, Var(beta), the fitted means, the
# criterion's parts, optinfo$derivs, Nakagawa's R2 and the ICC) and what performance returns and prints
# for it: the test evaluates our pure check functions at these pieces (no optimizer). Then the same
# performance values at the fit run to tight tolerances (lmer: nloptwrap; glmer: PIRLS to 1e-12 and
# bobyqa then nloptwrap; the negative binomial at glmer.nb's size), which the fit-level methods of
# our own fit are compared with.
# Writes the simulated data beside the expectations.
# Usage (from the repository root):
#   Rscript test/oracle/model_checks.R test/fixtures/data test/fixtures/model-checks
# Needs: lme4 1.1-31, performance 0.10.2, insight 0.19.0, car 3.1-1, jsonlite.
suppressMessages({ library(lme4); library(jsonlite); library(performance); library(insight); library(MASS) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
stopifnot(packageVersion("performance") == "0.10.2", packageVersion("insight") == "0.19.0", packageVersion("lme4") == "1.1.31")
TIGHT <- list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12, maxeval = 1e5)

rd <- function(f) read.csv(file.path(dataDir, f))
ss <- rd("sleepstudy.csv"); ss$Subject <- factor(ss$Subject)
dy2 <- rd("dyestuff2.csv")
cb <- rd("cbpp.csv"); cb$herd <- factor(cb$herd); cb$period <- factor(cb$period)
gt <- rd("grouseticks.csv"); for (v in c("BROOD", "LOCATION", "YEAR")) gt[[v]] <- factor(gt[[v]])
ssw <- rd("sleepstudy_weighted.csv"); ssw$Subject <- factor(ssw$Subject)
gam <- read.csv(file.path(dataDir, "..", "r2", "gamma_log.csv"))

# sleepstudy with a covariate nearly collinear with Days (Days + noise) and a factor of Days' phases
set.seed(20261206)
ssv <- data.frame(Reaction = ss$Reaction, Days = ss$Days, DaysN = round(ss$Days + rnorm(nrow(ss), 0, 0.5), 4),
                  phase = ifelse(ss$Days < 3, "early", ifelse(ss$Days < 7, "mid", "late")), Subject = as.character(ss$Subject))
write.csv(ssv, file.path(out, "sleepstudy_vif.csv"), row.names = FALSE)
ssv$Subject <- factor(ssv$Subject); ssv$phase <- factor(ssv$phase)   # R's level order: early, late, mid

# a Bernoulli GLMM with two correlated covariates
set.seed(20261207)
ng <- 30; nper <- 12
g <- rep(sprintf("g%02d", 1:ng), each = nper)
x <- round(rnorm(ng * nper), 3); z <- round(0.8 * x + rnorm(ng * nper, 0, 0.6), 3)
b <- rnorm(ng, 0, 0.8)
y <- rbinom(ng * nper, 1, plogis(-0.3 + 0.7 * x - 0.4 * z + b[as.integer(factor(g))]))
bern <- data.frame(y, x, z, g)
write.csv(bern, file.path(out, "bernoulli.csv"), row.names = FALSE)

# zero-inflated counts: a Poisson GLMM's counts with a third of them set to 0
set.seed(20261208)
ng <- 25; nper <- 10
g <- rep(sprintf("s%02d", 1:ng), each = nper)
x <- round(runif(ng * nper, -1, 1), 3)
b <- rnorm(ng, 0, 0.4)
count <- rpois(ng * nper, exp(1.2 + 0.5 * x + b[as.integer(factor(g))])) * rbinom(ng * nper, 1, 2 / 3)
zi <- data.frame(count, x, g)
write.csv(zi, file.path(out, "zero_inflated.csv"), row.names = FALSE)

cases <- list(
  list(name = "sleepstudy_vif", data = "model-checks/sleepstudy_vif.csv", factors = c("Subject", "phase"), formula = "Reaction ~ Days + DaysN + phase + (1 | Subject)", d = ssv),
  list(name = "sleepstudy_vif_ml", data = "model-checks/sleepstudy_vif.csv", factors = c("Subject", "phase"), formula = "Reaction ~ Days + DaysN + phase + (1 | Subject)", d = ssv, reml = FALSE),
  list(name = "sleepstudy_interaction", data = "model-checks/sleepstudy_vif.csv", factors = c("Subject", "phase"), formula = "Reaction ~ Days * phase + (1 | Subject)", d = ssv),
  list(name = "sleepstudy_slopes", data = "sleepstudy.csv", factors = "Subject", formula = "Reaction ~ Days + (Days | Subject)", d = ss),
  list(name = "dyestuff2_singular", data = "dyestuff2.csv", formula = "Yield ~ 1 + (1 | Batch)", d = dy2),
  list(name = "cbpp_binomial", data = "cbpp.csv", factors = c("herd", "period"), formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", d = cb, family = "binomial"),
  list(name = "bernoulli", data = "model-checks/bernoulli.csv", formula = "y ~ x + z + (1 | g)", d = bern, family = "binomial"),
  list(name = "grouseticks_poisson", data = "grouseticks.csv", factors = c("BROOD", "LOCATION", "YEAR"), formula = "TICKS ~ YEAR + cHEIGHT + (1 | BROOD) + (1 | LOCATION)", d = gt, family = "poisson"),
  list(name = "grouseticks_negbin", data = "grouseticks.csv", factors = c("LOCATION", "YEAR"), formula = "TICKS ~ YEAR + cHEIGHT + (1 | LOCATION)", d = gt, family = "negative.binomial"),
  list(name = "zero_inflated_poisson", data = "model-checks/zero_inflated.csv", formula = "count ~ x + (1 | g)", d = zi, family = "poisson"),
  # prior weights: the criterion at the other estimator carries -sum(log w)
  list(name = "sleepstudy_weighted", data = "sleepstudy_weighted.csv", factors = "Subject", formula = "Reaction ~ Days + (Days | Subject)", d = ssw, weights = "w"),
  list(name = "gamma_log", data = "r2/gamma_log.csv", formula = "y ~ x + (1 | g)", d = gam, family = "Gamma", link = "log")
)

# a call's value, its warnings, messages and what it printed
run <- function(expr) {
  w <- character(); msg <- character()
  printed <- capture.output(val <- withCallingHandlers(tryCatch(expr, error = function(e) structure(list(error = conditionMessage(e)), class = "oracle_error")),
    warning = function(c) { w <<- c(w, conditionMessage(c)); invokeRestart("muffleWarning") },
    message = function(c) { msg <<- c(msg, conditionMessage(c)); invokeRestart("muffleMessage") }))
  list(value = val, warnings = w, messages = msg, printed = printed)
}
inf <- function(x) if (is.infinite(x)) "Inf" else x
num <- function(v) if (is.null(v) || (length(v) == 1 && is.na(v))) NULL else as.numeric(v)
# a print's lines and its messages (performance prints its verdicts with message())
printout <- function(x) { r <- run(print(x)); list(lines = r$printed, messages = sub("\n$", "", r$messages)) }

# performance's print of check_collinearity with the rows in the order of its groups (Low, Moderate,
# High): 0.10.2's print binds the groups' rows in that order and then indexes them by the rows'
# original positions, which mislabels the rows where the model's term order is not the groups' order
collinearity_print <- function(cc) {
  grp <- ifelse(cc$VIF < 5, 1, ifelse(cc$VIF < 10, 2, 3))
  cc2 <- cc[order(grp), , drop = FALSE]
  class(cc2) <- class(cc)
  list(as_printed = printout(cc)$lines, grouped = printout(cc2)$lines)
}

performance_of <- function(m, family) {
  co <- run(check_collinearity(m))
  cc <- co$value
  collinearity <- if (is.data.frame(cc)) list(
    # an infinite bound (plogis at 1) as "Inf": jsonlite writes Inf as null, NA's spelling
    table = lapply(seq_len(nrow(cc)), function(i) list(Term = cc$Term[i], VIF = cc$VIF[i], VIF_CI_low = inf(cc$VIF_CI_low[i]), VIF_CI_high = inf(cc$VIF_CI_high[i]),
                                                      SE_factor = cc$SE_factor[i], Tolerance = cc$Tolerance[i], Tolerance_CI_low = cc$Tolerance_CI_low[i], Tolerance_CI_high = cc$Tolerance_CI_high[i])),
    print = collinearity_print(cc),
    # car's generalized VIF with its size adjustment GVIF^(1/(2 Df)) (car 3.1-1's vif.merMod)
    car = { v <- car::vif(m); if (is.matrix(v)) list(GVIF = I(unname(v[, 1])), Df = I(unname(v[, 2])), adjusted = I(unname(v[, 3])))
            else list(GVIF = I(unname(v)), Df = I(rep(1, length(v))), adjusted = I(unname(sqrt(v)))) }) else NULL
  od <- if (family != "gaussian") run(check_overdispersion(m)) else NULL
  overdispersion <- if (is.null(od)) NULL else if (inherits(od$value, "oracle_error")) list(error = od$value$error) else
    list(chisq = od$value$chisq_statistic, ratio = od$value$dispersion_ratio, rdf = od$value$residual_df, p = od$value$p_value, print = printout(od$value))
  zr <- if (family %in% c("poisson", "negative.binomial")) run(check_zeroinflation(m)) else NULL
  zeroinflation <- if (is.null(zr)) NULL else list(predicted = zr$value$predicted.zeros, observed = zr$value$observed.zeros, ratio = zr$value$ratio,
                                                   tolerance = zr$value$tolerance, print = printout(zr$value),
                                                   print_tol_0.3 = printout(check_zeroinflation(m, tolerance = 0.3)))
  conv <- check_convergence(m)
  mp <- run(model_performance(m))
  mpml <- run(model_performance(m, estimator = "ML"))
  tab <- function(v) as.list(v[1, , drop = TRUE])
  list(
    collinearity = collinearity, collinearity_warnings = co$warnings,
    overdispersion = overdispersion, zeroinflation = zeroinflation,
    singular = list(default = check_singularity(m), tol_1e_4 = check_singularity(m, tolerance = 1e-4), isSingular = isSingular(m)),
    convergence = list(converged = as.logical(conv), gradient = attr(conv, "gradient"), tol_1e_8 = as.logical(check_convergence(m, tolerance = 1e-8))),
    performance = list(columns = I(names(mp$value)), values = tab(mp$value), printed = mp$printed, warnings = mp$warnings, print = printout(mp$value)$lines),
    performance_ml = list(columns = I(names(mpml$value)), values = tab(mpml$value))
  )
}

pieces <- function(m, family) {
  dc <- getME(m, "devcomp")
  d <- m@optinfo$derivs
  list(theta = I(as.numeric(getME(m, "theta"))), beta = as.list(fixef(m)), sigma = sigma(m),
       vcov = lapply(seq_len(ncol(vcov(m))), function(j) as.numeric(as.matrix(vcov(m))[, j])),
       mu = I(as.numeric(fitted(m))), cmp = as.list(dc$cmp[c("ldL2", "ldRX2", "pwrss", "dev", "REML")]),
       loglik = as.numeric(logLik(m)), npar = attr(logLik(m), "df"), nobs = nobs(m),
       derivs = if (is.null(d)) NULL else list(gradient = I(as.numeric(d$gradient)), hessian = lapply(seq_len(ncol(d$Hessian)), function(j) as.numeric(d$Hessian[, j]))),
       r2 = { r <- suppressWarnings(r2_nakagawa(m)); list(conditional = num(r$R2_conditional), marginal = num(r$R2_marginal)) },
       icc = { i <- suppressWarnings(icc(m)); if (is.data.frame(i)) list(adjusted = i$ICC_adjusted) else NULL },
       nb_theta = if (family == "negative.binomial") getME(m, "glmer.nb.theta") else NULL)
}

res <- list()
for (cs in cases) {
  d <- cs$d
  fo <- as.formula(cs$formula)
  reml <- if (is.null(cs$reml)) TRUE else cs$reml
  fam <- if (is.null(cs$family)) "gaussian" else cs$family
  if (fam == "gaussian") {
    d$.w <- if (is.null(cs$weights)) rep(1, nrow(d)) else d[[cs$weights]]
    m <- lmer(fo, d, REML = reml, weights = .w)
    mt <- lmer(fo, d, REML = reml, weights = .w, control = lmerControl(optimizer = "nloptwrap", optCtrl = TIGHT))
  } else {
    tight <- glmerControl(tolPwrss = 1e-12, optimizer = c("bobyqa", "nloptwrap"), optCtrl = TIGHT)
    if (fam == "negative.binomial") {
      m <- glmer.nb(fo, d)
      mt <- glmer(fo, d, family = negative.binomial(theta = getME(m, "glmer.nb.theta")), control = tight)
    } else {
      link <- if (is.null(cs$link)) get(fam)()$link else cs$link
      m <- glmer(fo, d, family = get(fam)(link = link))
      mt <- glmer(fo, d, family = get(fam)(link = link), control = tight)
    }
  }
  res[[length(res) + 1]] <- list(name = cs$name, data = cs$data, formula = cs$formula, factors = I(if (is.null(cs$factors)) character() else cs$factors),
                                 reml = reml, family = fam, link = if (is.null(cs$link)) NULL else cs$link, weights = cs$weights,
                                 lme4 = c(pieces(m, fam), performance_of(m, fam)),
                                 tight = c(pieces(mt, fam), performance_of(mt, fam)))
  cat(cs$name, "\n")
}
writeLines(toJSON(list(R = R.version.string, lme4 = as.character(packageVersion("lme4")), performance = as.character(packageVersion("performance")),
                       insight = as.character(packageVersion("insight")), cases = res),
                  auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), file.path(out, "model_checks.json"))
