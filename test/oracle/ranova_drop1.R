#!/usr/bin/env Rscript
# lmerTest's ranova() (reduce.terms = TRUE and FALSE) and drop1() (Satterthwaite and Kenward-Roger)
# for test/inference/ranovaDrop1.test.ts.
# Usage (from the repository root): Rscript test/oracle/ranova_drop1.R
# Writes test/fixtures/inference/ranova-drop1.json and test/fixtures/data/sleepstudy_dayf.csv (sleepstudy
# with DayF, a copy of Days read as a factor).
# Every lmer fit (the model and each of ranova's reduced models) runs lme4's optimizer to tight
# tolerances, so that the optima, and not lme4's stopping rule, are the bar.
# Needs: R with lme4, lmerTest (3.1-3), pbkrtest and jsonlite.
suppressMessages({
  library(lme4); library(jsonlite); library(lmerTest, warn.conflicts = FALSE); library(pbkrtest)
})
root <- "test/fixtures"
tight <- lmerControl(optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
read_case <- function(file, factors) {
  d <- read.csv(file.path(root, "data", file), stringsAsFactors = TRUE)
  for (f in factors) d[[f]] <- factor(d[[f]])
  d
}
num <- function(v) ifelse(is.na(v), NA, v)
ranova_rows <- function(a) lapply(seq_len(nrow(a)), function(i) list(
  name = rownames(a)[i], npar = a[i, "npar"], logLik = a[i, "logLik"], AIC = a[i, "AIC"],
  LRT = num(a[i, "LRT"]), Df = num(a[i, "Df"]), p = num(a[i, "Pr(>Chisq)"])))
drop1_rows <- function(a) lapply(seq_len(nrow(a)), function(i) list(
  term = rownames(a)[i], sumsq = a[i, "Sum Sq"], meansq = a[i, "Mean Sq"], numdf = a[i, "NumDF"],
  dendf = a[i, "DenDF"], F = a[i, "F value"], p = a[i, "Pr(>F)"]))

# a rank-deficient design: Days and a factor of its values (lme4 drops a column; lmerTest's drop1
# then compares the designs with and without each term): sleepstudy with DayF = Days
ss <- read.csv(file.path(root, "data", "sleepstudy.csv"))
ss$DayF <- ss$Days
write.csv(ss, file.path(root, "data", "sleepstudy_dayf.csv"), row.names = FALSE)

cases <- list(
  list(name = "sleepstudy slope", data = "sleepstudy.csv", formula = "Reaction ~ Days + (Days | Subject)", factors = "Subject"),
  list(name = "sleepstudy uncorrelated", data = "sleepstudy.csv", formula = "Reaction ~ Days + (Days || Subject)", factors = "Subject"),
  list(name = "penicillin crossed", data = "penicillin.csv", formula = "diameter ~ 1 + (1 | plate) + (1 | sample)", factors = character(0)),
  list(name = "pastes nested", data = "pastes.csv", formula = "strength ~ 1 + (1 | batch/cask)", factors = character(0)),
  list(name = "two terms and a factor slope", data = "anova_types.csv", formula = "y ~ A + x + (1 | g) + (0 + x | g) + (A | item)", factors = character(0)),
  list(name = "interactions", data = "anova_types.csv", formula = "y ~ A * B + x * z + (1 | g) + (1 | g:h)", factors = character(0)),
  list(name = "slope without intercept", data = "sleepstudy.csv", formula = "Reaction ~ Days + (0 + Days | Subject)", factors = "Subject"),
  list(name = "two slopes", data = "anova_types.csv", formula = "y ~ x + z + (x + z | g)", factors = character(0)),
  list(name = "intercept written", data = "sleepstudy.csv", formula = "Reaction ~ Days + (1 + Days | Subject)", factors = "Subject"),
  list(name = "factor and slope in one term", data = "anova_types.csv", formula = "y ~ A * x + (A + x | g)", factors = character(0)),
  list(name = "rank-deficient design", data = "sleepstudy_dayf.csv", formula = "Reaction ~ Days + DayF + (1 | Subject)", factors = c("Subject", "DayF")),
  list(name = "weighted", data = "sleepstudy_weighted.csv", formula = "Reaction ~ Days + (1 | Subject)", factors = "Subject", weights = "w")
)
out <- list()
for (cs in cases) for (reml in c(TRUE, FALSE)) {
  dd <- read_case(cs$data, cs$factors)
  # ranova's refits are update(model, formula = ...): they keep the model's control (tight)
  # prior weights as a column of the data (lm's and lmer's weights argument evaluated in it)
  m <- if (is.null(cs$weights)) lmerTest::lmer(as.formula(cs$formula), data = dd, REML = reml, control = tight) else
    eval(bquote(lmerTest::lmer(.(as.formula(cs$formula)), data = dd, REML = .(reml), control = tight, weights = .(as.name(cs$weights)))))
  res <- list(name = cs$name, data = cs$data, formula = cs$formula, factors = I(cs$factors), reml = reml, weights = if (is.null(cs$weights)) NA else cs$weights,
              R = R.version.string, lme4 = as.character(packageVersion("lme4")),
              lmerTest = as.character(packageVersion("lmerTest")),
              logLik = as.numeric(logLik(m)), theta = I(as.numeric(getME(m, "theta"))),
              ranova = ranova_rows(ranova(m)), ranovaFull = ranova_rows(ranova(m, reduce.terms = FALSE)),
              heading = I(attr(ranova(m), "heading")))
  res$drop1 <- list(satterthwaite = drop1_rows(drop1(m, ddf = "Satterthwaite")))
  # Kenward-Roger: pbkrtest ignores prior weights (mixedgpu refuses them and uses Satterthwaite's)
  kr <- reml && is.null(cs$weights)
  if (kr) res$drop1[["kenward-roger"]] <- drop1_rows(drop1(m, ddf = "Kenward-Roger"))
  # the printed tables (print.anova with lmerTest's headings), for the text formatting
  res$printed <- list(ranova = I(capture.output(print(ranova(m)))),
                      ranovaFull = I(capture.output(print(ranova(m, reduce.terms = FALSE)))),
                      drop1 = I(capture.output(print(drop1(m, ddf = "Satterthwaite")))))
  if (kr) res$printed[["drop1KR"]] <- I(capture.output(print(drop1(m, ddf = "Kenward-Roger"))))
  out[[length(out) + 1]] <- res
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           file.path(root, "inference/ranova-drop1.json"))
