#!/usr/bin/env Rscript
# R's matrix-valued and conversion functions in lme4 formulas — factor(), as.factor(), poly(),
# splines::ns(), splines::bs() — for test/formulaFunctions.test.ts (lme4 1.1-31, R 4.2.2, lmerTest
# 3.1-3, emmeans 1.8.4):
#   basis.json  the bases themselves on fixed x (poly orthogonal and raw, ns, bs) and on new x through
#               R's predict methods (makepredictcall: predict.poly's recurrence; ns/bs outside the
#               boundary knots: linear / Taylor extrapolation);
#   models.json per model: X's column names and values (model.matrix), θ, β, SEs, σ, the criterion
#               (REML or ML; glmer: the Laplace deviance), the criterion at a second θ (lmer's devfun),
#               population-level predictions on new data (re.form = NA) including x beyond the data's
#               range; lmerTest's anova (types III, II, I) of the poly model; emmeans of a factor() model.
# One data set is generated here (fixed seed) and written beside the fixtures:
#   ff.csv  300 rows: x (numeric, 0..10), f (factor A/B), gnum (numeric group id 1..20), y (Gaussian),
#           count (Poisson), z (a covariate with missing values in 12 rows; yNA = y with 9 missing).
# Usage (from the repository root):
#   Rscript test/oracle/formula_functions.R test/fixtures/data test/fixtures/formula_functions
suppressMessages({ library(lme4); library(lmerTest); library(emmeans); library(splines); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)
mat <- function(m) unname(as.matrix(m))

## the bases on their own -------------------------------------------------------------------------
xb <- c(0.5, 1.3, 2, 2, 3.7, 4.1, 5.5, 6, 7.25, 9, 9.5, 10)
xnew <- c(-2, 0, 0.5, 3, 5.2, 10, 12.5)
basis <- list()
addBasis <- function(name, call, b, x = xb, new_x = xnew) {
  basis[[name]] <<- list(call = call, x = I(x), values = mat(b), new_x = I(new_x), new_values = mat(predict(b, new_x)),
                         attributes = lapply(attributes(b)[setdiff(names(attributes(b)), c("dim", "dimnames", "class"))], function(a) if (is.list(a)) a else I(as.numeric(a))))
}
addBasis("poly3", "poly(x, 3)", poly(xb, 3))
addBasis("poly1", "poly(x, 1)", poly(xb, 1))
addBasis("poly2raw", "poly(x, 2, raw = TRUE)", poly(xb, 2, raw = TRUE))
addBasis("ns3", "ns(x, df = 3)", ns(xb, df = 3))
addBasis("ns_knots", "ns(x, knots = c(2, 5))", ns(xb, knots = c(2, 5)))
addBasis("ns1", "ns(x)", ns(xb))
addBasis("bs4", "bs(x, df = 4)", bs(xb, df = 4))
addBasis("bs3", "bs(x)", bs(xb))
addBasis("bs_deg2", "bs(x, degree = 2, df = 4)", bs(xb, degree = 2, df = 4))
addBasis("bs_knots", "bs(x, knots = c(3, 6))", bs(xb, knots = c(3, 6)))
# boundary knots given: wider than the data, and narrower (the data's own rows then beyond them, and
# df's quantiles over the x inside them only)
addBasis("ns_boundary", "ns(x, df = 3, Boundary.knots = c(0, 12))", ns(xb, df = 3, Boundary.knots = c(0, 12)))
addBasis("bs_boundary", "bs(x, df = 5, Boundary.knots = c(1, 9))", suppressWarnings(bs(xb, df = 5, Boundary.knots = c(1, 9))))
# x tied at its minimum: df's quantiles put a knot at the lower boundary knot
xt <- c(1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 5); xtnew <- c(0, 1, 1.2, 4, 6)
addBasis("bs_tied_min", "bs(x, df = 7)", suppressWarnings(bs(xt, df = 7)), xt, xtnew)
addBasis("ns_tied_min", "ns(x, df = 5)", ns(xt, df = 5), xt, xtnew)
# x tied inside: two quantiles equal, a repeated inner knot (lower continuity there)
xi <- c(1, 2, 2, 2, 2, 2, 2, 2, 3, 4, 5, 6); xinew <- c(0, 2, 2.5, 6, 7)
addBasis("bs_tied_inner", "bs(x, df = 6)", suppressWarnings(bs(xi, df = 6)), xi, xinew)
addBasis("ns_tied_inner", "ns(x, df = 4)", ns(xi, df = 4), xi, xinew)
addBasis("ns_boundary_in", "ns(x, df = 4, Boundary.knots = c(1, 9))", ns(xb, df = 4, Boundary.knots = c(1, 9)))
writeLines(toJSON(list(R = R.version.string, basis = basis), digits = NA, auto_unbox = TRUE, matrix = "rowmajor"), file.path(out, "basis.json"))

## the data ---------------------------------------------------------------------------------------
sleep <- read.csv(file.path(dataDir, "sleepstudy.csv"))
sleep$Subject <- factor(sleep$Subject)
set.seed(20261207)
n <- 300; G <- 20
gnum <- rep(1:G, each = n / G)
x <- round(runif(n, 0, 10), 2)
f <- factor(sample(c("A", "B"), n, replace = TRUE))
u <- rnorm(G, sd = 0.7)[gnum]
y <- round(1 + 0.4 * x - 0.05 * x^2 + 0.6 * (f == "B") + 0.1 * x * (f == "B") + u + rnorm(n, sd = 0.8), 4)
count <- rpois(n, exp(0.2 + 0.25 * x - 0.02 * x^2 + 0.4 * u))
z <- round(rnorm(n), 3); z[sample(n, 12)] <- NA
yNA <- y; yNA[sample(n, 9)] <- NA
write.csv(data.frame(y, yNA, count, x, f, gnum, z), file.path(out, "ff.csv"), row.names = FALSE, na = "")
ff <- read.csv(file.path(out, "ff.csv"), stringsAsFactors = TRUE)
datasets <- list(sleepstudy = sleep, ff = ff)
newdata <- list(
  sleepstudy = data.frame(Days = c(-1, 0, 2.5, 9, 11.5), Subject = factor("308")),
  ff = data.frame(x = c(-1, 0, 3.3, 10, 12), f = factor(c("A", "B", "A", "B", "A"), levels = c("A", "B")), gnum = 1, z = 0.5),
  # a factor() of Days predicts at the data's levels only (a new level is R's error too)
  levels = data.frame(Days = c(0, 3, 9, 3), Subject = factor("308"))
)

lctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))
gctrl <- glmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5), tolPwrss = 1e-12)
cases <- list(
  poly2_reml = list(data = "sleepstudy", formula = "Reaction ~ poly(Days, 2) + (poly(Days, 2) | Subject)", REML = TRUE),
  poly2_ml = list(data = "sleepstudy", formula = "Reaction ~ poly(Days, 2) + (poly(Days, 2) | Subject)", REML = FALSE),
  poly3_raw = list(data = "sleepstudy", formula = "Reaction ~ poly(Days, 3, raw = TRUE) + (1 | Subject)", REML = TRUE),
  poly_degree = list(data = "sleepstudy", formula = "Reaction ~ poly(Days, degree = 3) + (1 | Subject)", REML = TRUE),
  factor_days = list(data = "sleepstudy", formula = "Reaction ~ factor(Days) + (1 | Subject)", REML = TRUE, newdata = "levels"),
  as_factor_days = list(data = "sleepstudy", formula = "Reaction ~ as.factor(Days) + (1 | Subject)", REML = FALSE, newdata = "levels"),
  ns3 = list(data = "sleepstudy", formula = "Reaction ~ ns(Days, df = 3) + (Days | Subject)", REML = TRUE),
  bs4 = list(data = "sleepstudy", formula = "Reaction ~ bs(Days, df = 4) + (1 | Subject)", REML = TRUE),
  ns_knots = list(data = "ff", formula = "y ~ ns(x, knots = c(2, 5)) + (1 | gnum)", REML = TRUE),
  bs_deg2 = list(data = "ff", formula = "y ~ bs(x, degree = 2, df = 4) + (1 | gnum)", REML = TRUE),
  poly_interaction = list(data = "ff", formula = "y ~ poly(x, 2) * f + (1 | gnum)", REML = TRUE),
  # lme4 1.1-31 evaluates a grouping expression in the model frame, whose column is `factor(gnum)`, not
  # gnum: it finds gnum only in the formula's environment ("couldn't evaluate grouping factor
  # factor(gnum) within model frame" otherwise). The vector gnum above, from which ff.csv's column was
  # written, is that variable here (as a user's attached data or global would be): the same grouping.
  factor_group = list(data = "ff", formula = "y ~ x + (1 | factor(gnum))", REML = TRUE),
  factor_lhs = list(data = "ff", formula = "y ~ x + (0 + factor(f) | gnum)", REML = TRUE),
  poly_na = list(data = "ff", formula = "yNA ~ poly(x, 2) + z + (1 | gnum)", REML = TRUE),
  glmer_poly = list(data = "ff", formula = "count ~ poly(x, 2) + (1 | gnum)", family = "poisson")
)
models <- list()
for (nm in names(cases)) {
  cs <- cases[[nm]]
  d <- datasets[[cs$data]]
  nd <- if (is.null(cs$newdata)) cs$data else cs$newdata
  if (is.null(cs$family)) {
    m <- lme4::lmer(as.formula(cs$formula), data = d, REML = cs$REML, control = lctrl)
    crit <- as.numeric(if (cs$REML) m@devcomp$cmp[["REML"]] else m@devcomp$cmp[["dev"]])
    dev <- update(m, devFunOnly = TRUE)
    th2 <- getME(m, "theta") * 0.7 + 0.05
    at <- list(theta = I(as.numeric(th2)), value = dev(th2))
  } else {
    m <- lme4::glmer(as.formula(cs$formula), data = d, family = cs$family, control = gctrl)
    crit <- as.numeric(deviance(m) + 0) ; crit <- -2 * as.numeric(logLik(m))
    at <- NULL
  }
  r <- c(cs, list(xnames = I(colnames(getME(m, "X"))), X = mat(getME(m, "X")), n = nobs(m),
                  theta = I(as.numeric(getME(m, "theta"))), beta = I(as.numeric(fixef(m))),
                  se = I(as.numeric(sqrt(diag(as.matrix(vcov(m)))))), sigma = sigma(m), criterion = crit,
                  cnames = lapply(getME(m, "cnms"), I),
                  predict_new = list(newdata = newdata[[nd]], value = I(as.numeric(predict(m, newdata = newdata[[nd]], re.form = NA))))))
  if (!is.null(at)) r$objective_at <- at
  # with the group's effects (re.form = NULL): lme4 evaluates the random terms' bases by their predvars too
  # (lme4 1.1-31 stops on (1 | factor(gnum)) here, in mkReTrms's KhatriRao: that case has no reference)
  if (is.null(cs$family)) r$predict_groups <- tryCatch(I(as.numeric(predict(m, newdata = newdata[[nd]]))), error = function(e) { message(nm, ": ", conditionMessage(e)); NULL })
  # glmer: vcov from RX as well (use.hessian = FALSE), free of the finite-difference Hessian's error
  if (!is.null(cs$family)) r$se_rx <- I(as.numeric(sqrt(diag(as.matrix(suppressWarnings(vcov(m, use.hessian = FALSE)))))))
  models[[nm]] <- r
}

## lmerTest's anova of the poly models; emmeans of a factor() model -------------------------------
tab <- function(a) list(terms = I(rownames(a)), F = I(as.numeric(a[["F value"]])), NumDF = I(as.numeric(a$NumDF)),
                        DenDF = I(as.numeric(a$DenDF)), p = I(as.numeric(a[["Pr(>F)"]])))
mp <- lmerTest::lmer(Reaction ~ poly(Days, 2) + (poly(Days, 2) | Subject), data = sleep, control = lctrl)
mi <- lmerTest::lmer(y ~ poly(x, 2) * f + (1 | gnum), data = ff, control = lctrl)
anova_res <- list(
  poly2_reml = list(type3 = tab(anova(mp, type = 3)), type1 = tab(anova(mp, type = 1)), type2 = tab(anova(mp, type = 2))),
  poly_interaction = list(type3 = tab(anova(mi, type = 3)), type1 = tab(anova(mi, type = 1)), type2 = tab(anova(mi, type = 2)),
                          drop1 = tab(drop1(mi)))
)
mf <- lmerTest::lmer(Reaction ~ factor(Days) + (1 | Subject), data = sleep, control = lctrl)
em <- as.data.frame(emmeans(mf, ~ Days))
emm <- list(factor_days = list(spec = "Days", levels = I(as.character(em$Days)), emmean = I(em$emmean), SE = I(em$SE), df = I(em$df)))
# poly models: the grid is over the data variable (at its mean, or `at`), the basis evaluated there
# with the kept coefficients (predict.poly)
emrow <- function(e, by) { e <- as.data.frame(e); list(levels = I(as.character(e[[by]])), emmean = I(e$emmean), SE = I(e$SE), df = I(e$df)) }
emm$poly_days <- c(list(spec = "Days"), emrow(emmeans(mp, ~ Days), "Days"))
emm$poly_f <- c(list(spec = "f"), emrow(emmeans(mi, ~ f), "f"))
jt <- as.data.frame(joint_tests(mi))
emm$joint_poly_interaction <- list(terms = I(as.character(jt[["model term"]])), df1 = I(jt$df1), df2 = I(jt$df2), F = I(jt$F.ratio), p = I(jt$p.value))
emm$poly_f_at <- c(list(spec = "f", at = list(x = I(c(2, 8)))), emrow(emmeans(mi, ~ f | x, at = list(x = c(2, 8))), "f"))
writeLines(toJSON(list(R = R.version.string, lme4 = as.character(packageVersion("lme4")), lmerTest = as.character(packageVersion("lmerTest")),
                       emmeans = as.character(packageVersion("emmeans")), models = models, anova = anova_res, emm = emm),
                  digits = NA, auto_unbox = TRUE, matrix = "rowmajor", dataframe = "columns", na = "null"),
           file.path(out, "models.json"))
