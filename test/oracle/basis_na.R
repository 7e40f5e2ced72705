#!/usr/bin/env Rscript
# poly(), splines::ns(), splines::bs() with missing values, for test/gram/basisEngines.test.ts (lme4
# 1.1-31, R 4.2.2): which rows R computes the bases' coefficients on. model.frame evaluates the calls
# on every row of the data, before na.omit drops the rows missing another variable; ns/bs take their
# knots from the non-missing values of their own argument; poly refuses a missing value.
# One data set is generated here (fixed seed) and written beside the fixture:
#   ffna.csv  240 rows: x (0..10, no missing), xNA (x with 15 missing), f (A/B), gnum (1..12),
#             yNA (Gaussian with 10 missing, in other rows than xNA's).
# basis_na.json, per model: X's column names, θ, β, σ, the REML criterion, n, and the coefficients
# of its basis (poly: alpha, norm2; ns/bs: knots, Boundary.knots) as model.frame's predvars keep them;
# and R's error for poly of a column with missing values.
# Usage (from the repository root):
#   Rscript test/oracle/basis_na.R test/fixtures/formula_functions
suppressMessages({ library(lme4); library(splines); library(jsonlite) })
out <- commandArgs(trailingOnly = TRUE)[1]
set.seed(20261208)
n <- 240; G <- 12
gnum <- rep(1:G, each = n / G)
x <- round(runif(n, 0, 10), 2)
f <- sample(c("A", "B"), n, replace = TRUE)
u <- rnorm(G, sd = 0.7)[gnum]
yNA <- round(1 + 0.4 * x - 0.05 * x^2 + 0.6 * (f == "B") + u + rnorm(n, sd = 0.8), 4)
miss_x <- sample(n, 15)
xNA <- x; xNA[miss_x] <- NA
yNA[sample(setdiff(seq_len(n), miss_x), 10)] <- NA
write.csv(data.frame(yNA, x, xNA, f, gnum), file.path(out, "ffna.csv"), row.names = FALSE, na = "")
d <- read.csv(file.path(out, "ffna.csv"), stringsAsFactors = TRUE)
lctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))
cases <- list(
  ns_na = list(formula = "yNA ~ ns(xNA, df = 3) + (1 | gnum)", basis = "ns(xNA, df = 3)"),
  bs_na_f = list(formula = "yNA ~ bs(xNA, df = 5) * f + (1 | gnum)", basis = "bs(xNA, df = 5)"),
  poly_na_other = list(formula = "yNA ~ poly(x, 2) + log(xNA + 1) + (1 | gnum)", basis = "poly(x, 2)")
)
models <- list()
for (nm in names(cases)) {
  cs <- cases[[nm]]
  m <- lme4::lmer(as.formula(cs$formula), data = d, REML = TRUE, control = lctrl)
  b <- model.frame(m)[[cs$basis]]
  a <- attributes(b)
  coefs <- if (!is.null(a$coefs)) list(alpha = I(as.numeric(a$coefs$alpha)), norm2 = I(as.numeric(a$coefs$norm2)))
           else list(knots = I(as.numeric(a$knots)), boundary = I(as.numeric(a$Boundary.knots)))
  models[[nm]] <- c(cs, list(xnames = I(colnames(getME(m, "X"))), n = nobs(m),
    theta = I(as.numeric(getME(m, "theta"))), beta = I(as.numeric(fixef(m))), sigma = sigma(m),
    criterion = as.numeric(m@devcomp$cmp[["REML"]]), coefs = coefs))
}
err <- tryCatch({ lme4::lmer(yNA ~ poly(xNA, 2) + (1 | gnum), data = d); "no error" }, error = function(e) conditionMessage(e))
writeLines(toJSON(list(R = R.version.string, lme4 = as.character(packageVersion("lme4")), models = models, poly_na_error = err),
                  digits = NA, auto_unbox = TRUE), file.path(out, "basis_na.json"))
