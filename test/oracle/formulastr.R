#!/usr/bin/env Rscript
# String literals, relevel() and comparisons in lme4 formulas, for test/formulaStrings.test.ts
# (R 4.2.2, lme4 1.1-31):
#   labels.json  R's term labels (terms() of lme4's nobars(formula)) and lme4's random-effects terms
#                (findbars, deparsed) of formulas with strings, relevel() and comparisons: how R
#                deparses them (double quotes, escapes, spaces around the operators); and
#                update.formula of such formulas, deparsed on one line;
#   models.json  per model: X's column names and values (lme4's getME(m, "X")), the random-effects
#                terms' column names (cnms), n, θ, β, SEs, σ, the REML criterion and the criterion at a
#                second θ (lmer's devfun); for two models the fit to rhoend 1e-12 and predictions on
#                new data (re.form = NA and with the groups' effects); emmeans 1.8.4 over x of
#                `y ~ I(x > 0) + (1 | g)` (x at its mean and at -1, 2: the comparison evaluated there);
#                a binomial glmer with a logical response `I(y > 2) ~ x + (1 | g)`.
# One data set is generated here (fixed seed) and written beside the fixtures:
#   fs.csv  120 rows: g (12 groups g01..g12), treat (A, B, ctl), sex (F, M), x (numeric, negative and
#           positive), dose (0..5 with 6 missing), num (1..4, read as a number), y (Gaussian).
# Usage (from the repository root):
#   Rscript test/oracle/formulastr.R test/fixtures/data test/fixtures/formulastr
suppressMessages({ library(lme4); library(jsonlite); library(emmeans) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)

## labels ------------------------------------------------------------------------------------------
label_formulas <- c(
  'y ~ relevel(treat, ref = "ctl") + (1 | g)',
  "y ~ relevel(treat, 'ctl') + (1 | g)",
  'y ~ relevel(factor(num), ref = "3") + x',
  'y ~ I(dose > 2) + I(sex == "F") + (1 | g)',
  "y ~ I(sex != 'M') + I(x <= 0) + I(x >= 1) + I(x < 2) + I(x == 1)",
  'y ~ (x > 0) + z',
  'y ~ x + z > 2',
  'y ~ I(!(x > 0)) + I(!x > 2 & z <= 1)',
  'y ~ I(-x > 2 & !x < 1) * sex',
  'y ~ (1 | g) + (0 + I(x > 0) | g)',
  'y ~ x + (x > 0 | g)',
  'y ~ I(s == "a\\"b\\n\\t\\\\")',
  "y ~ I(s == 'it\\'s')",
  'y ~ I(s == "\\x41\\101") + I(s == "\\u00e9\\u{263A}")',
  'y ~ I(x>2)+I(sex=="F")'
)
labels <- lapply(label_formulas, function(txt) {
  f <- as.formula(txt)
  fixed <- attr(terms(nobars(f)), "term.labels")
  bars <- vapply(findbars(f), function(b) paste0("(", deparse(b), ")"), "")
  list(formula = txt, fixed = I(fixed), random = I(bars))
})
# update.formula (what lme4's update() refits), deparsed on one line
update_cases <- list(
  c('y ~ relevel(treat, ref = "ctl") + I(x > 2) + (1 | g)', '. ~ . - I(x > 2) + I(sex == "F")'),
  c("y ~ relevel(treat, 'ctl') * x + (1 | g)", '. ~ . - relevel(treat, "ctl"):x'),
  c('y ~ x + (0 + I(x > 0) | g)', '. ~ . + I(s == "a|b")'),
  c('y ~ I(dose > 2) + (1 | g)', 'log(.) ~ . + I(!(x < 0))')
)
updates <- lapply(update_cases, function(u) list(old = u[1], new = u[2],
  expected = paste(deparse(update(as.formula(u[1]), as.formula(u[2])), width.cutoff = 500L), collapse = "")))
writeLines(toJSON(list(R = R.version.string, labels = labels, updates = updates), digits = NA, auto_unbox = TRUE), file.path(out, "labels.json"))

## the data ----------------------------------------------------------------------------------------
set.seed(20261206)
G <- 12; m <- 10; n <- G * m
g <- sprintf("g%02d", rep(1:G, each = m))
treat <- sample(c("A", "B", "ctl"), n, replace = TRUE)
sex <- sample(c("F", "M"), n, replace = TRUE)
x <- round(rnorm(n, 0.3, 1.2), 2)
dose <- sample(0:5, n, replace = TRUE); dose[sample(n, 6)] <- NA
num <- sample(1:4, n, replace = TRUE)
u <- rnorm(G, sd = 0.8)[rep(1:G, each = m)]
us <- rnorm(G, sd = 0.4)[rep(1:G, each = m)]
y <- round(2 + 0.5 * (treat == "A") - 0.7 * (treat == "B") + 0.4 * x + 0.9 * (x > 0) + us * (x > 0) +
  0.3 * (sex == "F") + 0.2 * num + u + rnorm(n, sd = 0.6), 4)
write.csv(data.frame(y, g, treat, sex, x, dose, num), file.path(out, "fs.csv"), row.names = FALSE, na = "")
fs <- read.csv(file.path(out, "fs.csv"), stringsAsFactors = TRUE)
sleep <- read.csv(file.path(dataDir, "sleepstudy.csv"))
sleep$Subject <- factor(sleep$Subject)
datasets <- list(fs = fs, sleepstudy = sleep)

## models ------------------------------------------------------------------------------------------
lctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))
models <- list(
  relevel_name = list(data = "fs", formula = 'y ~ relevel(treat, ref = "ctl") + x + (1 | g)'),
  relevel_pos = list(data = "fs", formula = "y ~ relevel(treat, 'ctl') + (1 | g)"),
  relevel_index = list(data = "fs", formula = "y ~ relevel(treat, ref = 2) + (1 | g)"),
  relevel_factor = list(data = "fs", formula = 'y ~ relevel(factor(num), ref = "3") + (1 | g)'),
  dose_gt = list(data = "fs", formula = "y ~ I(dose > 2) + x + (1 | g)"),
  sex_eq = list(data = "fs", formula = 'y ~ I(sex == "F") + x + (1 | g)'),
  no_intercept = list(data = "fs", formula = "y ~ 0 + I(x > 0) + (1 | g)"),
  interaction = list(data = "fs", formula = "y ~ I(dose > 2) * sex + (1 | g)"),
  whole_terms = list(data = "fs", formula = 'y ~ (x > 0) + I(!(x > 0) & sex != "M") + I(x <= -1) + (1 | g)'),
  random_logical = list(data = "fs", formula = "y ~ x + (1 | g) + (0 + I(x > 0) | g)"),
  random_relevel = list(data = "fs", formula = 'y ~ x + (0 + relevel(treat, "ctl") | g)'),
  random_whole = list(data = "fs", formula = "y ~ x + (x > 0 | g)"),
  fit_relevel = list(data = "fs", formula = 'y ~ relevel(treat, ref = "ctl") + x + (x | g)', fit = TRUE,
    newdata = data.frame(treat = factor(c("A", "B", "A", "B"), levels = levels(fs$treat)), x = c(-1, 0.5, 2, 3), g = "g03")),
  fit_days = list(data = "sleepstudy", formula = "Reaction ~ I(Days > 4) + Days + (Days | Subject)", fit = TRUE,
    newdata = data.frame(Days = c(0, 4, 4.5, 9, 12), Subject = factor("308")))
)
res <- list()
for (nm in names(models)) {
  spec <- models[[nm]]
  d <- datasets[[spec$data]]
  f <- as.formula(spec$formula)
  m0 <- lmer(f, d, REML = TRUE, control = lctrl)
  X <- getME(m0, "X")
  devf <- update(m0, devFunOnly = TRUE)
  th <- getME(m0, "theta")
  th2 <- th * 0.8 + 0.05
  r <- list(data = spec$data, formula = spec$formula, xnames = I(colnames(X)), X = unname(as.matrix(X)), n = nrow(X),
            cnames = lapply(getME(m0, "cnms"), I),
            theta = I(unname(th)), beta = I(unname(fixef(m0))), se = I(unname(sqrt(diag(as.matrix(vcov(m0)))))),
            sigma = sigma(m0), criterion = as.numeric(m0@devcomp$cmp[["REML"]]),
            objective_at = list(theta = I(unname(th2)), value = devf(th2)))
  if (isTRUE(spec$fit)) {
    nd <- spec$newdata
    r$predict_new <- list(newdata = lapply(nd, function(v) if (is.factor(v)) as.character(v) else v),
                          value = I(unname(predict(m0, newdata = nd, re.form = NA))))
    r$predict_groups <- I(unname(predict(m0, newdata = nd)))
  }
  res[[nm]] <- r
}
m_emm <- lmer(y ~ I(x > 0) + (1 | g), fs, control = lctrl)
emm <- function(e) { s <- as.data.frame(summary(e)); list(x = I(s$x), emmean = I(s$emmean), SE = I(s$SE), df = I(s$df)) }
extra <- list(
  emm_mean = emm(emmeans(m_emm, ~ x)),
  emm_at = emm(emmeans(m_emm, ~ x, at = list(x = c(-1, 2)))),
  glmer_logical = local({
    gm <- glmer(I(y > 2) ~ x + (1 | g), fs, family = binomial,
                control = glmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5), tolPwrss = 1e-12))
    list(formula = "I(y > 2) ~ x + (1 | g)", theta = I(unname(getME(gm, "theta"))), beta = I(unname(fixef(gm))),
         deviance = -2 * as.numeric(logLik(gm)), n = nobs(gm))
  }))
writeLines(toJSON(list(R = R.version.string, lme4 = as.character(packageVersion("lme4")), models = res, extra = extra),
                  digits = NA, auto_unbox = TRUE, matrix = "rowmajor"), file.path(out, "models.json"))
