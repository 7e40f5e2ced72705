#!/usr/bin/env Rscript
# lmerTest's ls_means, difflsmeans and show_tests (of ls_means and of anova of types I-III) for
# test/inference/lsMeans.test.ts and the CLI's test.
# Usage (from the repository root): Rscript test/oracle/ls_means.R
# Writes test/fixtures/inference/ls-means.json.
#
# lmerTest 3.1-3's ls_means builds its own contrast matrices (lsmeans_contrasts): a grid of every
# factor's levels with each covariate at its mean, the model matrix of that grid (the fit's contrasts),
# and per factor term the average of the grid rows in each of the term's cells; each row is a contest1D.
# Every fit runs lme4's optimizer to tight tolerances; the JSON keeps θ and σ so that the tests can
# evaluate at exactly lme4's parameters.
# Needs: R with lme4, lmerTest (3.1-3), pbkrtest, MASS and jsonlite.
suppressMessages({
  library(lme4); library(jsonlite); library(lmerTest, warn.conflicts = FALSE); library(pbkrtest)
})
root <- "test/fixtures"
tight <- lmerControl(optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
mat <- function(m) list(rownames = I(rownames(m)), colnames = I(colnames(m)),
                        L = unname(lapply(seq_len(nrow(m)), function(i) I(as.numeric(m[i, ])))))
table_rows <- function(t) lapply(seq_len(nrow(t)), function(i) list(
  name = rownames(t)[i], estimate = t[i, "Estimate"], se = t[i, "Std. Error"], df = t[i, "df"],
  t = t[i, "t value"], lower = t[i, "lower"], upper = t[i, "upper"], p = t[i, "Pr(>|t|)"]))
printed <- function(x) I(capture.output(print(x)))

read_case <- function(file, factors) {
  d <- read.csv(file.path(root, "data", file), stringsAsFactors = TRUE)
  for (f in factors) d[[f]] <- factor(d[[f]])
  d
}

lsm_block <- function(m, which, level, pairwise) {
  out <- list(which = if (is.null(which)) NULL else I(which), level = level, pairwise = pairwise)
  for (ddf in c("Satterthwaite", "Kenward-Roger")) {
    t <- ls_means(m, which = which, level = level, ddf = ddf, pairwise = pairwise)
    key <- if (ddf == "Satterthwaite") "satterthwaite" else "kenward_roger"
    out[[key]] <- list(rows = table_rows(t), printed = printed(t))
    if (ddf == "Satterthwaite") {
      out$hypotheses <- lapply(show_tests(t), mat)
      out$show_tests <- printed(show_tests(t))
      out$show_tests_fractions <- printed(show_tests(t, fractions = TRUE))
      out$show_tests_unnamed <- printed(show_tests(t, names = FALSE))
    }
  }
  out
}

case <- function(name, file, formula, factors, blocks, contrasts = NULL, subset = NULL) {
  dd <- read_case(file, factors)
  if (!is.null(subset)) dd <- dd[eval(parse(text = subset), dd), ]
  m <- if (is.null(contrasts)) lmerTest::lmer(as.formula(formula), data = dd, REML = TRUE, control = tight)
       else lmerTest::lmer(as.formula(formula), data = dd, REML = TRUE, control = tight, contrasts = contrasts)
  res <- list(name = name, data = file, formula = formula, factors = I(factors), reml = TRUE,
              contrasts = contrasts, subset = subset,
              R = R.version.string, lme4 = as.character(packageVersion("lme4")),
              lmerTest = as.character(packageVersion("lmerTest")),
              nobs = nobs(m), theta = I(as.numeric(getME(m, "theta"))), sigma = sigma(m),
              xnames = I(colnames(model.matrix(m))), ls_means = list(), anova_tests = list())
  for (b in blocks) res$ls_means[[length(res$ls_means) + 1]] <- lsm_block(m, b$which, b$level, b$pairwise)
  for (type in 1:3) {
    a <- anova(m, type = type)
    res$anova_tests[[as.character(type)]] <- list(hypotheses = lapply(show_tests(a), mat),
      printed = printed(show_tests(a)), fractions = printed(show_tests(a, fractions = TRUE)))
  }
  # which = a term that is not a factor term: lmerTest's refusal
  num <- attr(terms(m), "term.labels")[lmerTest:::numeric_terms(m)]
  if (length(num)) res$refusal <- list(which = num[1], message = tryCatch({ ls_means(m, which = num[1]); NA },
    error = function(e) conditionMessage(e)))
  res
}

B <- function(which = NULL, level = 0.95, pairwise = FALSE) list(which = which, level = level, pairwise = pairwise)
cases <- list(
  function() case("factorial_covariate", "anova_types.csv", "y ~ A * B + x + (1 | g)", c("g"),
                  list(B(), B(pairwise = TRUE), B(which = "A:B", level = 0.9), B(which = c("B", "A"), pairwise = TRUE, level = 0.99))),
  function() case("contr_sum", "anova_types.csv", "y ~ A * B + x + (1 | g)", c("g"),
                  list(B(), B(which = "B", pairwise = TRUE)), contrasts = list(A = "contr.sum", B = "contr.sum")),
  function() case("cake", "cake.csv", "angle ~ recipe * temperature + (1 | recipe:replicate)", c("replicate", "temperature"),
                  list(B(), B(which = "recipe", pairwise = TRUE))),
  function() case("sleepstudy_design", "sleepstudy_design.csv", "Reaction ~ grp * phase + Days + (Days | Subject)", "Subject",
                  list(B(), B(which = "grp:phase", pairwise = TRUE))),
  function() case("factor_by_covariate", "anova_types.csv", "y ~ A * x + B + (1 | g) + (1 | item)", c("g", "item"),
                  list(B(), B(pairwise = TRUE))),
  function() case("covariate_only", "anova_types.csv", "y ~ x + z + (1 | g)", c("g"), list(B())),
  # an empty cell (A = a2, B = b3): lme4 drops the aliased column Aa2:Bb3, and lmerTest's estimability
  # check (is_estimable against the null space of the full model matrix) gives NA rows
  function() case("empty_cell", "anova_types.csv", "y ~ A * B + x + (1 | g)", c("g"),
                  list(B(), B(which = "A:B", pairwise = TRUE)), subset = "!(A == 'a2' & B == 'b3')")
)

out <- lapply(cases, function(f) f())
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE),
           file.path(root, "inference/ls-means.json"))
for (r in out) cat(r$name, "ok\n")
