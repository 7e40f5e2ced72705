#!/usr/bin/env Rscript
# R's functions inside lme4 formulas beyond test/oracle/formula_functions.R — whole-column summaries
# (mean, sd, var, median, min, max, sum, length; na.rm), scale(x, center =, scale =), row-wise
# functions (round half to even at a decimal, floor, ceiling, trunc, sign, pmin, pmax, ifelse,
# as.numeric of a factor, exp, log(x, base)) — for test/formulaFunctions2.test.ts (lme4 1.1-31, R 4.2.2):
#   round.json   R's round(x, digits) on values at and near .5 ties, bit for bit (%.17g);
#   models.json  per model: X's column names and values, θ, β, σ, the REML criterion, the criterion at
#                a second θ (lmer's devfun), n.
# One data set is generated here (fixed seed) and written beside the fixtures:
#   ff2.csv  240 rows: y (Gaussian, 6 missing), x (numeric with 2 decimals, ties at .x5, 10 missing),
#            x2 (halves: ties at .5, no missing), f (factor a/b/c), h (factor lo/hi), g (16 groups).
#   x's missing rows are not y's: R evaluates the summaries over the whole column before na.omit.
# Usage (from the repository root):
#   Rscript test/oracle/formula_functions2.R test/fixtures/formula_functions2
suppressMessages({ library(lme4); library(jsonlite) })
out <- commandArgs(trailingOnly = TRUE)[1]
dir.create(out, showWarnings = FALSE, recursive = TRUE)

## round() at ties ---------------------------------------------------------------------------------
set.seed(11)
xr <- c(round(runif(400, -50, 50), 3), (-40:40) / 8, (-40:40) / 20 + 0.005, 0.15, 0.25, 0.35, 0.45, 2.675, 1.005, -0.25, 0.125,
        1234.5678, 123456789.125, 0.5, 1.5, 2.5, -2.5, 1e15 + 0.5, 4503599627370497, 1e-320)
digits <- c(0, 1, 2, 3, -1, -2, 6)
writeLines(toJSON(list(R = R.version.string, x = sprintf("%.17g", xr), digits = digits,
                       round = lapply(digits, function(d) sprintf("%.17g", round(xr, d)))), auto_unbox = TRUE),
           file.path(out, "round.json"))

## the data ---------------------------------------------------------------------------------------
set.seed(20261208)
n <- 240; G <- 16
g <- rep(sprintf("g%02d", 1:G), each = n / G)
x <- round(rnorm(n, 0.3, 1), 2)
x[sample(n, 30)] <- sample(c(-1.25, -0.35, 0.05, 0.15, 0.25, 0.45, 1.05, 2.5), 30, replace = TRUE)
x2 <- sample(seq(-2, 6, by = 0.5), n, replace = TRUE)
f <- sample(c("a", "b", "c"), n, replace = TRUE)
h <- sample(c("lo", "hi"), n, replace = TRUE)
u <- rnorm(G, sd = 0.8)[as.integer(factor(g))]
y <- round(1 + 0.5 * x + 0.3 * pmax(x2, 0) - 0.2 * (f == "b") + 0.4 * (f == "c") + 0.3 * (h == "hi") + u + rnorm(n, sd = 0.7), 4)
x[sample(n, 10)] <- NA
y[sample(which(!is.na(x)), 6)] <- NA
write.csv(data.frame(y, x, x2, f, h, g), file.path(out, "ff2.csv"), row.names = FALSE, na = "")
d <- read.csv(file.path(out, "ff2.csv"), stringsAsFactors = TRUE)

cases <- list(
  mean_na_rm = "y ~ I(x - mean(x, na.rm = TRUE)) + (1 | g)",
  sd_na_rm = "y ~ I(x / sd(x, na.rm = TRUE)) + f + (1 | g)",
  min_log = "y ~ log(x2 - min(x2) + 1) + (1 | g)",
  summaries = "y ~ I((x2 - median(x2)) / (max(x2) - min(x2))) + I(x2 * length(x2) / sum(x2) + x / var(x, na.rm = TRUE)) + (1 | g)",
  median_na_rm = "y ~ I(x - median(x, na.rm = TRUE)) + I(x2 - mean(x2)) + (1 | g)",
  scale_center_false = "y ~ scale(x, center = FALSE) + (1 | g)",
  scale_scale_false = "y ~ scale(x2, scale = FALSE) + (scale(x2, scale = FALSE) | g)",
  scale_numbers = "y ~ scale(x2, center = 2, scale = 4) + scale(x, center = FALSE, scale = FALSE) + (1 | g)",
  round = "y ~ round(x2) + round(x, 1) + (1 | g)",
  round_digits = "y ~ round(x, digits = 2) + round(x2 * 37, -1) + (1 | g)",
  floor_sign = "y ~ floor(x2 / 2) + sign(x) + (1 | g)",
  ceiling_trunc = "y ~ ceiling(x) + trunc(x2 / 2) + (1 | g)",
  pmin_pmax = "y ~ pmin(x, 1) + pmax(x2, 0, x) + (1 | g)",
  ifelse = "y ~ ifelse(x > 0, x, 0) + ifelse(f == \"b\", x2, -x2) + (1 | g)",
  as_numeric = "y ~ as.numeric(f) + as.numeric(x2) + (1 | g)",
  exp_log_base = "y ~ exp(x2 / 4) + log(x2 + 3, 3) + log(x2 + 3, base = 10) + (1 | g)",
  random_slope = "y ~ pmax(x, 0) + (round(x2) | g)",
  # `.`: every column but the response's (the grouping factor g too, as R's terms(formula, data =))
  dot_minus_g = "y ~ . - g + (1 | g)",
  dot_minus_h = "y ~ . - h - g + (1 | g)",
  dot_power = "y ~ .^2 - g - x2 - x:g - f:g - h:g + (1 | g)",
  # %in%: x %in% f is x:f; (x + x2) %in% f is x:f + x2:f
  in_op = "y ~ x %in% f + (1 | g)",
  in_sum = "y ~ h + (x + x2) %in% f + (1 | g)",
  # lme4's dummy(): one level's indicator, a random slope of its own
  dummy = "y ~ x + (1 | g) + (0 + dummy(f, \"b\") | g)",
  # interaction(): levels with f varying fastest (a.hi, b.hi, c.hi, a.lo, …); unused ones dropped by the frame
  interaction = "y ~ x + interaction(f, h) + (1 | g)",
  interaction_sep = "y ~ interaction(h, f, sep = \"_\") + (1 | g)",
  # C(): the factor with its contrasts
  C_sum = "y ~ C(f, contr.sum) + x + (1 | g)",
  C_poly_helmert = "y ~ C(f, contr.poly) * x + C(h, contr.helmert) + (1 | g)",
  # cut(): R's breaks (equal widths over the whole column, the outer ones moved by diff/1000) and labels
  cut_n = "y ~ cut(x2, breaks = 3) + (1 | g)",
  cut_inf = "y ~ cut(x, c(-Inf, 0, 1, Inf)) + (1 | g)",
  # rows outside the breaks are NA, dropped by na.omit; include.lowest closes [-1.25, 0]
  cut_lowest = "y ~ cut(x, c(-1.25, 0, 0.45, 3), include.lowest = TRUE) + x2 + (1 | g)",
  cut_left = "y ~ cut(x2, 4, right = FALSE, dig.lab = 2) + (1 | g)"
)
lctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))
mat <- function(m) unname(as.matrix(m))
models <- list()
for (nm in names(cases)) {
  m <- lmer(as.formula(cases[[nm]]), data = d, REML = TRUE, control = lctrl)
  dev <- update(m, devFunOnly = TRUE)
  th2 <- getME(m, "theta") * 0.7 + 0.05
  models[[nm]] <- list(formula = cases[[nm]], xnames = I(colnames(getME(m, "X"))), X = mat(getME(m, "X")), n = nobs(m),
                       theta = I(as.numeric(getME(m, "theta"))), beta = I(as.numeric(fixef(m))), sigma = sigma(m),
                       criterion = as.numeric(m@devcomp$cmp[["REML"]]), cnames = lapply(getME(m, "cnms"), I),
                       objective_at = list(theta = I(as.numeric(th2)), value = dev(th2)))
}
# Without na.rm, mean(x) of a column with missing values is NA in every row: na.omit drops every row
# and lmer stops (the test expects a clear error instead)
na_error <- tryCatch({ lmer(y ~ I(x - mean(x)) + (1 | g), data = d); "no error" }, error = function(e) conditionMessage(e))
writeLines(toJSON(list(R = R.version.string, lme4 = as.character(packageVersion("lme4")), models = models, na_error = na_error),
                  digits = NA, auto_unbox = TRUE, matrix = "rowmajor"),
           file.path(out, "models.json"))
