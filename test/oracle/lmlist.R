#!/usr/bin/env Rscript
# lme4 1.1-31's lmList(formula, data, pool) — one lm per level of the grouping factor — and its
# methods coef(), summary() (pooled or not), confint(level) (pooled or not), fitted(), residuals(type),
# sigma() (pooledSD) and the printouts of show(), print(summary()) and print(confint()), for
# test/lmList.test.ts.
#
# Cases (each a JSON file; the data each case uses written beside it as CSV):
#   sleepstudy       Reaction ~ Days | Subject, pool = TRUE (lme4's default); confint with pool = FALSE
#                    (what confint(fm) gives, see below) and pool = TRUE
#   sleepstudy_nopool  the same with pool = FALSE
#   factor_levels    y ~ x + f | g on generated data: a group lacking f's level "b" (coefficient fb
#                    absent there: NA in coef()), a group lacking level "a" (its baseline is "b", as
#                    lm drops unused levels per group), a group with x constant (x aliased: NA), a group
#                    where f has one level (lm fails: lme4's warning, NA row)
#   missing_rows     Reaction ~ Days | Subject on a copy of sleepstudy with NA cells in Reaction, Days
#                    and Subject, a group with one row (its slope NA, df −1: lme4's pooledSD counts
#                    length(coef), aliased coefficients included), a group whose rows all have a
#                    missing response (lm fails: "0 (non-NA) cases")
#   missing_rows_nopool  the same with pool = FALSE
#   binomial, binomial_cbind, poisson  lmList(…, family): a glm in each group (0/1 responses; cbind(s, f);
#                    counts with a factor of one level in a group (failed) and a level in one group only)
# Usage (from the repository root):
#   Rscript test/oracle/lmlist.R test/fixtures/data test/fixtures/lmlist
# Needs: lme4 1.1-31, jsonlite.
suppressMessages({ library(lme4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
stopifnot(packageVersion("lme4") == "1.1.31")

# a 3-d array [group, stat, coef] as {coef: [[per group]]} by stat
arrStat <- function(a, k) lapply(setNames(dimnames(a)[[3]], dimnames(a)[[3]]), function(cf) unname(a[, k, cf]))

record <- function(name, formula, data, dataName, pool, levels = c(0.95, 0.9), family = NULL) {
  warns <- character(0)
  fm <- withCallingHandlers(
    if (is.null(family)) eval(bquote(lmList(.(formula), data = .(as.name(dataName)), pool = .(pool))))
    else eval(bquote(lmList(.(formula), data = .(as.name(dataName)), family = .(as.name(family))))),
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") })
  cf <- coef(fm)
  s <- summary(fm)
  sd <- tryCatch(lme4:::pooledSD(fm), error = function(e) e)
  res <- list(
    formula = paste(deparse(formula), collapse = ""), pool = pool, data = paste0(dataName, ".csv"),
    family = family,
    warnings = I(warns),
    groups = names(fm),
    failed = I(names(fm)[vapply(fm, is.null, NA)]),
    coef = list(names = colnames(cf), values = lapply(seq_len(nrow(cf)), function(i) unname(unlist(cf[i, ])))),
    pooled_sd = if (inherits(sd, "error")) list(error = conditionMessage(sd)) else list(sd = c(sd), df = attr(sd, "df")),
    summary = list(
      coef_names = dimnames(s$coefficients)[[3]],
      estimate = arrStat(s$coefficients, 1), se = arrStat(s$coefficients, 2),
      t = arrStat(s$coefficients, 3), p = arrStat(s$coefficients, 4),
      sigma = if (is.null(family)) unname(s$sigma) else NULL,
      df = unname(s$df),
      RSE = if (pool) s$RSE else NULL, df_residual = if (pool) s$df.residual else NULL),
    # confint.lmList4 reads its pool from `...` or object$pool, which is NULL (pool is an attribute of
    # the lmList4, not an element): confint(fm) is each group's confint.lm whatever the fit's pool, and
    # confint(fm, pool = TRUE) the pooled intervals
    confint = if (!is.null(family)) list() else lapply(levels, function(lv) {
      ci <- eval(bquote(confint(fm, level = .(lv))))
      list(level = lv, names = dimnames(ci)[[3]], columns = dimnames(ci)[[2]],
           lower = arrStat(ci, 1), upper = arrStat(ci, 2),
           print = capture.output(print(ci)))
    }),
    confint_pooled = if (!is.null(family)) list() else lapply(levels, function(lv) {
      ci <- eval(bquote(confint(fm, level = .(lv), pool = TRUE)))
      list(level = lv, names = dimnames(ci)[[3]], columns = dimnames(ci)[[2]],
           lower = arrStat(ci, 1), upper = arrStat(ci, 2),
           print = capture.output(print(ci)))
    }),
    # lme4's fitted() and residuals(): the groups' values concatenated in the order the groups first
    # appear, NA for a failed group's rows (they stop with "invalid 'times' argument" where the grouping
    # variable has a missing value: origOrder then holds NA); and per group (asList = TRUE, NULL for a failed group)
    fitted = tryCatch(list(names = names(fitted(fm)), values = unname(fitted(fm))), error = function(e) list(error = conditionMessage(e))),
    fitted_by_group = lapply(fitted(fm, asList = TRUE), function(v) if (is.null(v)) NULL else I(unname(v))),
    residuals = lapply(c(response = "response", pearson = "pearson", pooled.pearson = "pooled.pearson"),
                       function(tp) tryCatch(unname(residuals(fm, type = tp)), error = function(e) list(error = conditionMessage(e)))),
    residuals_by_group = lapply(c(response = "response", pearson = "pearson", pooled.pearson = "pooled.pearson"),
                       function(tp) lapply(residuals(fm, type = tp, asList = TRUE), function(v) if (is.null(v)) NULL else I(unname(v)))),
    print = capture.output(show(fm)),
    summary_print = capture.output(print(s))
  )
  writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null", na = "null"),
             file.path(out, paste0(name, ".json")))
}

sleepstudy <- read.csv(file.path(dataDir, "sleepstudy.csv"))
record("sleepstudy", Reaction ~ Days | Subject, sleepstudy, "sleepstudy", TRUE)
record("sleepstudy_nopool", Reaction ~ Days | Subject, sleepstudy, "sleepstudy", FALSE)

# generated: 6 groups of 12 rows, factor f (a, b, c), covariate x
set.seed(20261206)
g <- rep(sprintf("g%d", 1:6), each = 12)
f <- rep(c("a", "b", "c"), length.out = 72)
x <- round(runif(72, 0, 10), 2)
f[g == "g2"] <- rep(c("a", "c"), 6)            # g2 lacks level b
f[g == "g4"] <- rep(c("b", "c"), 6)            # g4 lacks level a: its baseline is b
x[g == "g3"] <- 5                             # g3: x constant, aliased with the intercept
f[g == "g6"] <- "c"                           # g6: f has one level, lm fails
beff <- c(a = 0, b = 2, c = -1.5)
y <- round(10 + 0.8 * x + beff[f] + as.numeric(factor(g)) + rnorm(72, 0, 1.5), 3)
factor_levels <- data.frame(y = y, x = x, f = f, g = g)
write.csv(factor_levels, file.path(out, "factor_levels.csv"), row.names = FALSE)
record("factor_levels", y ~ x + f | g, factor_levels, "factor_levels", TRUE)
record("factor_levels_nopool", y ~ x + f | g, factor_levels, "factor_levels", FALSE)

# sleepstudy with missing cells, a one-row group (999) and a group with every response missing (998)
missing_rows <- sleepstudy
missing_rows$Reaction[c(3, 25, 26)] <- NA
missing_rows$Days[c(50, 120)] <- NA
missing_rows$Subject[c(71, 160)] <- NA
missing_rows <- rbind(missing_rows,
  data.frame(Reaction = 300.5, Days = 4, Subject = 999),
  data.frame(Reaction = c(NA, NA), Days = c(1, 2), Subject = 998))
write.csv(missing_rows, file.path(out, "missing_rows.csv"), row.names = FALSE, na = "")
record("missing_rows", Reaction ~ Days | Subject, missing_rows, "missing_rows", TRUE)
record("missing_rows_nopool", Reaction ~ Days | Subject, missing_rows, "missing_rows", FALSE)
# glm families (lme4's lmList(…, family)): glm in each group; pool is FALSE by default (no dispersion)
set.seed(20261207)
g <- rep(sprintf("h%d", 1:5), each = 40)
x <- round(runif(200, -2, 2), 3)
a <- c(-0.5, 0.2, 0.8, -1, 0.1)[as.integer(factor(g))]
b <- c(1, 0.5, -0.7, 1.5, 0.2)[as.integer(factor(g))]
binary <- data.frame(y = rbinom(200, 1, plogis(a + b * x)), x = x, g = g)
write.csv(binary, file.path(out, "binary.csv"), row.names = FALSE)
record("binomial", y ~ x | g, binary, "binary", FALSE, family = "binomial")

g <- rep(sprintf("k%d", 1:4), each = 10)
x <- round(runif(40, -1, 1), 3)
size <- rep(c(8, 10, 12, 15), 10)
s <- rbinom(40, size, plogis(0.3 + 0.8 * x + c(0, 0.5, -0.5, 1)[as.integer(factor(g))]))
trials <- data.frame(s = s, f = size - s, x = x, g = g)
write.csv(trials, file.path(out, "trials.csv"), row.names = FALSE)
record("binomial_cbind", cbind(s, f) ~ x | g, trials, "trials", FALSE, family = "binomial")

g <- rep(sprintf("m%d", 1:5), each = 30)
x <- round(runif(150, 0, 2), 3)
f <- rep(c("a", "b"), 75)
f[g == "m3"] <- "a"                           # m3: f has one level, glm fails
f[g == "m5"][1:3] <- "c"                      # m5: a third level, only there
counts <- data.frame(y = rpois(150, exp(0.5 + 0.4 * x + 0.3 * (f == "b"))), x = x, f = f, g = g)
counts$y[c(7, 100)] <- NA
write.csv(counts, file.path(out, "counts.csv"), row.names = FALSE, na = "")
record("poisson", y ~ x + f | g, counts, "counts", FALSE, family = "poisson")
cat("wrote", out, "\n")
