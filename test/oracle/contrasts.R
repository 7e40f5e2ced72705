#!/usr/bin/env Rscript
# lme4's `contrasts` argument (lme4 1.1-31, R 4.2.2; lmerTest 3.1-3, car, emmeans 1.8.4), for
# test/contrasts.test.ts: fits whose factors are coded by R's contr.sum, contr.helmert, contr.SAS and
# contr.poly, with X's column names, β, SEs, vcov, θ and the criterion; for glmer the Laplace deviance
# at fixed (θ, β) points (lme4's stage-2 deviance function, PIRLS run to 1e-12); lmerTest's type III
# anova, car::Anova(type = 3), emmeans's means and pairwise contrasts for the interaction model.
# One data set is generated here (fixed seed) and written beside the fixture:
#   contr.csv  240 rows, 20 groups g; factors a (3 levels), b (4 levels), a covariate x, a Gaussian
#              response y and a binary one yb.
# Usage (from the repository root): Rscript test/oracle/contrasts.R test/fixtures/data test/fixtures/contrasts
suppressMessages({ library(lme4); library(lmerTest); library(car); library(emmeans); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)

set.seed(20261206)
n <- 240; G <- 20
g <- factor(sprintf("g%02d", rep(1:G, each = n / G)))
a <- factor(sample(c("lo", "mid", "hi"), n, replace = TRUE), levels = c("hi", "lo", "mid"))
b <- factor(sample(c("A", "B", "C", "D"), n, replace = TRUE))
x <- round(rnorm(n), 3)
u <- rnorm(G, sd = 0.8)[g]
y <- round(1 + c(hi = 0.5, lo = -0.3, mid = 0)[as.character(a)] + c(A = 0, B = 0.4, C = 0.9, D = 1.1)[as.character(b)] +
           0.3 * x + 0.2 * x * (a == "lo") + u + rnorm(n), 4)
eta <- -0.2 + 0.5 * (a == "hi") + 0.3 * (b == "C") - 0.4 * (b == "D") + 0.5 * u
yb <- rbinom(n, 1, plogis(eta))
write.csv(data.frame(y, yb, a, b, x, g), file.path(out, "contr.csv"), row.names = FALSE)
d <- read.csv(file.path(out, "contr.csv"), stringsAsFactors = TRUE)
cbpp <- read.csv(file.path(dataDir, "cbpp.csv"), stringsAsFactors = TRUE)
cbpp$herd <- factor(cbpp$herd); cbpp$period <- factor(cbpp$period)

named <- function(v) as.list(v)
mat <- function(m) unname(as.matrix(m))

lmm <- list(
  one_sum_reml = list(formula = "y ~ a + (1 | g)", contrasts = list(a = "contr.sum"), REML = TRUE),
  one_sum_ml = list(formula = "y ~ a + (1 | g)", contrasts = list(a = "contr.sum"), REML = FALSE),
  crossed_sum_helmert = list(formula = "y ~ a * b + (1 | g)", contrasts = list(a = "contr.sum", b = "contr.helmert"), REML = TRUE),
  crossed_sum_sum = list(formula = "y ~ a * b + (1 | g)", contrasts = list(a = "contr.sum", b = "contr.sum"), REML = TRUE),
  covariate_sas = list(formula = "y ~ a * x + (1 | g)", contrasts = list(a = "contr.SAS"), REML = TRUE),
  covariate_helmert_ml = list(formula = "y ~ x + a:x + a + (x | g)", contrasts = list(a = "contr.helmert"), REML = FALSE),
  poly_b = list(formula = "y ~ b + x + (1 | g)", contrasts = list(b = "contr.poly"), REML = TRUE),
  poly_b_nointercept = list(formula = "y ~ 0 + a + b + (1 | g)", contrasts = list(a = "contr.sum", b = "contr.poly"), REML = FALSE)
)
# tight optimizer settings, so that lme4's θ̂ is known to ~1e-7 (the tests' second level)
lctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))
res <- list(R = R.version.string, lme4 = as.character(packageVersion("lme4")), lmerTest = as.character(packageVersion("lmerTest")),
            emmeans = as.character(packageVersion("emmeans")), lmm = list(), glmm = list())
for (nm in names(lmm)) {
  cs <- lmm[[nm]]
  m <- lme4::lmer(as.formula(cs$formula), data = d, REML = cs$REML, contrasts = cs$contrasts, control = lctrl)
  r <- list(formula = cs$formula, contrasts = cs$contrasts, REML = cs$REML,
            xnames = I(colnames(getME(m, "X"))), theta = I(as.numeric(getME(m, "theta"))),
            beta = I(as.numeric(fixef(m))), se = I(as.numeric(sqrt(diag(as.matrix(vcov(m)))))),
            vcov = mat(vcov(m)), sigma = sigma(m),
            criterion = as.numeric(if (cs$REML) m@devcomp$cmp[["REML"]] else m@devcomp$cmp[["dev"]]),
            X_head = mat(getME(m, "X")[1:6, , drop = FALSE]))
  # the criterion at a second θ (the profiled deviance function, no optimizer)
  dev <- update(m, devFunOnly = TRUE)
  th2 <- r$theta * 0.7 + 0.05
  r$objective_at <- list(theta = I(th2), value = dev(th2))
  res$lmm[[nm]] <- r
}

# lmerTest's type III (and I) anova, car's type III Wald χ², emmeans on the interaction model
m <- lmerTest::lmer(y ~ a * b + (1 | g), data = d, contrasts = list(a = "contr.sum", b = "contr.sum"), control = lctrl)
an3 <- anova(m, type = 3)
an1 <- anova(m, type = 1)
an3kr <- anova(m, type = 3, ddf = "Kenward-Roger")
car3 <- car::Anova(m, type = 3)
mh <- lmerTest::lmer(y ~ a * b + (1 | g), data = d, contrasts = list(a = "contr.helmert", b = "contr.poly"), control = lctrl)
an3h <- anova(mh, type = 3)
mt <- lmerTest::lmer(y ~ a * b + (1 | g), data = d, control = lctrl)
an3t <- anova(mt, type = 3)
tab <- function(a) list(terms = I(rownames(a)), F = I(as.numeric(a[["F value"]])), NumDF = I(as.numeric(a$NumDF)),
                        DenDF = I(as.numeric(a$DenDF)), p = I(as.numeric(a[["Pr(>F)"]])))
emm <- emmeans(m, ~ a)
emmt <- emmeans(mt, ~ a)
pw <- as.data.frame(pairs(emm))
res$anova <- list(
  formula = "y ~ a * b + (1 | g)",
  type3_sum = tab(an3), type1_sum = tab(an1), type3_sum_kr = tab(an3kr),
  type3_helmert_poly = tab(an3h), type3_treatment = tab(an3t),
  car_type3_sum = list(terms = I(rownames(car3)), chisq = I(as.numeric(car3$Chisq)), df = I(as.numeric(car3$Df)), p = I(as.numeric(car3[["Pr(>Chisq)"]]))),
  emmeans_a = list(levels = I(as.character(as.data.frame(emm)$a)), emmean = I(as.data.frame(emm)$emmean), SE = I(as.data.frame(emm)$SE),
                   df = I(as.data.frame(emm)$df), emmean_treatment = I(as.data.frame(emmt)$emmean)),
  pairs_a = list(contrast = I(as.character(pw$contrast)), estimate = I(pw$estimate), SE = I(pw$SE), df = I(pw$df), p = I(pw$p.value))
)

# glmer (binomial): cbpp with period by contr.sum and contr.poly; the generated binary response
glmm <- list(
  cbpp_sum = list(data = "cbpp", formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", contrasts = list(period = "contr.sum")),
  cbpp_poly = list(data = "cbpp", formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", contrasts = list(period = "contr.poly")),
  binary_crossed = list(data = "contr", formula = "yb ~ a * b + (1 | g)", contrasts = list(a = "contr.sum", b = "contr.helmert")),
  binary_covariate = list(data = "contr", formula = "yb ~ a * x + (1 | g)", contrasts = list(a = "contr.SAS"))
)
gctrl <- glmerControl(tolPwrss = 1e-12, optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))
for (nm in names(glmm)) {
  cs <- glmm[[nm]]
  dd <- if (cs$data == "cbpp") cbpp else d
  m <- glmer(as.formula(cs$formula), data = dd, family = binomial, contrasts = cs$contrasts, control = gctrl)
  dev <- update(m, devFunOnly = TRUE)
  rho <- environment(dev)
  settle <- function(x) {
    v <- dev(x)
    for (k in 1:10) { v1 <- .Call(lme4:::glmerLaplace, rho$pp$ptr(), rho$resp$ptr(), 1L, 1e-12, 100L, 0L); if (abs(v1 - v) < 1e-12 * abs(v1)) return(v1); v <- v1 }
    v
  }
  th <- as.numeric(getME(m, "theta")); be <- as.numeric(fixef(m))
  pts <- list(c(th, be), c(th * 0.8, be + 0.1))
  res$glmm[[nm]] <- list(data = cs$data, formula = cs$formula, contrasts = cs$contrasts,
                         xnames = I(colnames(getME(m, "X"))), theta = I(th), beta = I(be),
                         se = I(as.numeric(sqrt(diag(as.matrix(vcov(m)))))), deviance = as.numeric(-2 * logLik(m)),
                         objective_at = lapply(pts, function(x) list(theta = I(x[seq_along(th)]), beta = I(x[-seq_along(th)]), value = settle(x))))
}
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(out, "contrasts.json"))
