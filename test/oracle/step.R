#!/usr/bin/env Rscript
# lmerTest's step() (backward elimination: random-effects terms by ranova, then fixed-effects terms by
# drop1) for test/inference/step.test.ts.
# Usage (from the repository root): Rscript test/oracle/step.R
# Writes test/fixtures/data/step_design.csv (a design made here with a fixed seed: some fixed and
# some random-effects terms null) and test/fixtures/inference/step.json.
# Every lmer fit (the model, ranova's reduced models and step's refits, which update() the model's
# call and so keep its control) runs lme4's optimizer to tight tolerances, so that the optima, and
# not lme4's stopping rule, are the bar.
# Needs: R with lme4, lmerTest (3.1-3), pbkrtest and jsonlite.
suppressMessages({
  library(lme4); library(jsonlite); library(lmerTest, warn.conflicts = FALSE); library(pbkrtest)
})
root <- "test/fixtures"
tight <- lmerControl(optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))

# the design: 24 groups g of 6 rows crossed with 8 items; factors A (3 levels, an effect) and B
# (2 levels, none), covariates x (an effect) and z (none); a small random slope of x by g and a
# small item variance (so that ranova's p-values are large but not 1, and apart: no ties)
set.seed(11)
ng <- 24; per <- 6; n <- ng * per
g <- factor(sprintf("g%02d", rep(1:ng, each = per)))
item <- factor(sprintf("i%d", ((seq_len(n) - 1) %% 8) + 1))
A <- factor(sample(c("a1", "a2", "a3"), n, TRUE)); B <- factor(sample(c("b1", "b2"), n, TRUE))
x <- round(rnorm(n), 3); z <- round(rnorm(n), 3)
bg <- rnorm(ng); sg <- rnorm(ng, sd = 0.15); bi <- rnorm(8, sd = 0.2)
y <- round(10 + c(0, 1, 2)[A] + 0.8 * x + bg[g] + sg[g] * x + bi[item] + rnorm(n), 4)
# prior weights for the weighted case (drawn after y: y is as without them)
w <- round(runif(n, 0.5, 2), 3)
write.csv(data.frame(y, A, B, x, z, g, item, w), file.path(root, "data", "step_design.csv"), row.names = FALSE)

num <- function(v) ifelse(is.na(v), NA, v)
random_rows <- function(a) lapply(seq_len(nrow(a)), function(i) list(
  name = rownames(a)[i], eliminated = num(a[i, "Eliminated"]), npar = a[i, "npar"], logLik = a[i, "logLik"], AIC = a[i, "AIC"],
  LRT = num(a[i, "LRT"]), Df = num(a[i, "Df"]), p = num(a[i, "Pr(>Chisq)"])))
fixed_rows <- function(a) lapply(seq_len(nrow(a)), function(i) list(
  term = rownames(a)[i], eliminated = a[i, "Eliminated"], sumsq = a[i, "Sum Sq"], meansq = a[i, "Mean Sq"], numdf = a[i, "NumDF"],
  dendf = a[i, "DenDF"], F = num(a[i, "F value"]), p = num(a[i, "Pr(>F)"])))

cases <- list(
  list(name = "design", data = "step_design.csv", formula = "y ~ A * B + x + z + (1 + x | g) + (1 | item)", factors = character(0), reml = TRUE),
  list(name = "design", data = "step_design.csv", formula = "y ~ A * B + x + z + (1 + x | g) + (1 | item)", factors = character(0), reml = FALSE),
  list(name = "design, Kenward-Roger, keep B", data = "step_design.csv", formula = "y ~ A * B + x + z + (1 + x | g) + (1 | item)", factors = character(0), reml = TRUE, ddf = "Kenward-Roger", keep = c("B")),
  list(name = "design, keep an interaction and a non-term", data = "step_design.csv", formula = "y ~ A * B + x + z + (1 + x | g) + (1 | item)", factors = character(0), reml = FALSE, keep = c("A:B", "w")),
  list(name = "design, alphas", data = "step_design.csv", formula = "y ~ A * B + x + z + (1 + x | g) + (1 | item)", factors = character(0), reml = TRUE, alpha.random = 0.6, alpha.fixed = 0.25),
  list(name = "design, random part kept", data = "step_design.csv", formula = "y ~ A * B + x + z + (1 + x | g) + (1 | item)", factors = character(0), reml = TRUE, reduce.random = FALSE),
  list(name = "design, fixed part kept", data = "step_design.csv", formula = "y ~ A * B + x + z + (1 + x | g) + (1 | item)", factors = character(0), reml = FALSE, reduce.fixed = FALSE),
  list(name = "factor by covariate", data = "step_design.csv", formula = "y ~ B * x + (1 | g)", factors = character(0), reml = TRUE),
  list(name = "factor by covariate", data = "step_design.csv", formula = "y ~ B * x + (1 | g)", factors = character(0), reml = TRUE, ddf = "Kenward-Roger"),
  list(name = "factor by covariate", data = "step_design.csv", formula = "y ~ B * x + (1 | g)", factors = character(0), reml = FALSE),
  list(name = "sleepstudy", data = "sleepstudy.csv", formula = "Reaction ~ Days + (Days | Subject)", factors = "Subject", reml = TRUE),
  list(name = "sleepstudy", data = "sleepstudy.csv", formula = "Reaction ~ Days + (Days | Subject)", factors = "Subject", reml = FALSE),
  # lme4 keeps `||` expanded in the model's formula: lmerTest's "Model found:" of a model with
  # nothing eliminated is then "Reaction ~ Days + ((1 | Subject) + (0 + Days | Subject))"
  list(name = "sleepstudy uncorrelated", data = "sleepstudy.csv", formula = "Reaction ~ Days + (Days || Subject)", factors = "Subject", reml = TRUE),
  list(name = "design weighted", data = "step_design.csv", formula = "y ~ A * B + x + z + (1 + x | g) + (1 | item)", factors = character(0), reml = TRUE, weights = "w"),
  # an intercept-only model (no fixed-effects term to test: an empty fixed table), nested and crossed
  list(name = "pastes nested", data = "pastes.csv", formula = "strength ~ 1 + (1 | batch/cask)", factors = character(0), reml = TRUE),
  list(name = "pastes nested", data = "pastes.csv", formula = "strength ~ 1 + (1 | batch/cask)", factors = character(0), reml = FALSE),
  list(name = "penicillin crossed", data = "penicillin.csv", formula = "diameter ~ 1 + (1 | plate) + (1 | sample)", factors = character(0), reml = TRUE),
  # a rank-deficient design (lme4 drops a column of DayF, a factor of Days' values): Days's drop1 row is
  # NA (DayF spans it), DayF is eliminated, and the refit's X has full rank; with alpha.fixed = 0.99
  # nothing is eliminated and the NA row stays
  list(name = "rank-deficient design", data = "sleepstudy_dayf.csv", formula = "Reaction ~ Days + DayF + (1 | Subject)", factors = c("Subject", "DayF"), reml = TRUE),
  list(name = "rank-deficient design", data = "sleepstudy_dayf.csv", formula = "Reaction ~ Days + DayF + (1 | Subject)", factors = c("Subject", "DayF"), reml = TRUE, alpha.fixed = 0.99)
)
out <- list()
for (cs in cases) {
  dd <- read.csv(file.path(root, "data", cs$data), stringsAsFactors = TRUE)
  for (f in cs$factors) dd[[f]] <- factor(dd[[f]])
  # prior weights as a column of the data (lmer's weights argument evaluated in it; step's update() keeps it)
  m <- if (is.null(cs$weights)) lmerTest::lmer(as.formula(cs$formula), data = dd, REML = cs$reml, control = tight) else
    eval(bquote(lmerTest::lmer(.(as.formula(cs$formula)), data = dd, REML = .(cs$reml), control = tight, weights = .(as.name(cs$weights)))))
  ddf <- if (is.null(cs$ddf)) "Satterthwaite" else cs$ddf
  args <- list(m, ddf = ddf)
  for (a in c("alpha.random", "alpha.fixed", "reduce.random", "reduce.fixed", "keep")) if (!is.null(cs[[a]])) args[[a]] <- cs[[a]]
  warnings <- character(0)
  s <- withCallingHandlers(suppressMessages(do.call(step, args)),
                           warning = function(w) { warnings <<- c(warnings, conditionMessage(w)); invokeRestart("muffleWarning") })
  final <- get_model(s)
  out[[length(out) + 1]] <- list(
    name = cs$name, data = cs$data, formula = cs$formula, factors = I(cs$factors), reml = cs$reml,
    weights = if (is.null(cs$weights)) NA else cs$weights,
    ddf = tolower(ddf), options = cs[intersect(names(cs), c("alpha.random", "alpha.fixed", "reduce.random", "reduce.fixed"))],
    keep = I(if (is.null(cs$keep)) character(0) else cs$keep),
    R = R.version.string, lme4 = as.character(packageVersion("lme4")), lmerTest = as.character(packageVersion("lmerTest")),
    random = random_rows(s$random), fixed = fixed_rows(s$fixed),
    final = list(formula = paste(deparse(formula(final)), collapse = " "), class = class(final)[1],
                 rank_deficient = ncol(getME(final, "X")) < ncol(model.matrix(formula(final, fixed.only = TRUE), dd)),
                 logLik = as.numeric(logLik(final)), criterion = as.numeric(if (cs$reml) getME(final, "devcomp")$cmp[["REML"]] else deviance(final)),
                 theta = I(as.numeric(getME(final, "theta"))), fixef = as.list(fixef(final))),
    warnings = I(warnings),
    printed = I(capture.output(print(s))))
  cat(cs$name, if (cs$reml) "REML" else "ML", ddf, ": random", paste(rownames(s$random)[which(s$random$Eliminated > 0)], collapse = ", "),
      "| fixed", paste(rownames(s$fixed)[s$fixed$Eliminated > 0], collapse = ", "), "|", out[[length(out)]]$final$formula, "\n")
}

# all random-effects terms eliminated: lmerTest goes on with lm() and lm's drop1 (mixedgpu refuses)
dd <- read.csv(file.path(root, "data", "step_design.csv"), stringsAsFactors = TRUE)
m <- lmerTest::lmer(y ~ A + (1 | item), data = dd, control = tight)
s <- suppressMessages(step(m))
lm_case <- list(formula = "y ~ A + (1 | item)", data = "step_design.csv", reml = TRUE,
                random = random_rows(s$random), final_class = class(get_model(s))[1],
                fixed_columns = I(colnames(s$fixed)), printed = I(capture.output(print(s))))
writeLines(toJSON(list(cases = out, allRandomEliminated = lm_case), auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           file.path(root, "inference/step.json"))
