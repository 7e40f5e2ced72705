#!/usr/bin/env Rscript
# nlme 3.1-162's single-model anova(fit) (Wald F tests of the fixed-effects terms: type "sequential" and
# "marginal", the Terms = and L = forms, adjustSigma) and emmeans 1.8.4's means of lme and gls fits
# (emmeans(fit, specs), pairs(), `by`; lme's default df mode "containment", gls's "auto": Satterthwaite
# where nlme computed apVar, else "df.error"; and "asymptotic"), for test/nlmeAnova.test.ts.
#
# Every fit is made with nlme's tight controls (nlme_common.R), so that its optimum is the one our
# optimizer reaches to the precision the tests state. Per case (one JSON each, test/fixtures/nlme_anova):
# the fit's logLik, the anova tables (numDF, denDF, F-value, p-value, their printouts) and the emmeans
# tables (emmean, SE, df, lower.CL, upper.CL; pairs: estimate, SE, df, t.ratio, p.value; printouts).
# Usage (from the repository root):
#   Rscript test/oracle/nlme_anova.R test/fixtures/data test/fixtures/nlme_anova
# Needs: nlme 3.1-162, emmeans 1.8.4, jsonlite.
suppressMessages({ library(nlme); library(emmeans); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
stopifnot(packageVersion("nlme") == "3.1.162", packageVersion("emmeans") >= "1.8.4", packageVersion("emmeans") < "1.8.5")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "nlme_common.R"))
emm_options(msg.interaction = FALSE)

orth <- read.csv(file.path(dataDir, "Orthodont.csv"), stringsAsFactors = FALSE)
orth$Subject <- factor(orth$Subject); orth$Sex <- factor(orth$Sex)
oats <- read.csv(file.path(dataDir, "Oats.csv"), stringsAsFactors = FALSE)
oats$Block <- factor(oats$Block); oats$Variety <- factor(oats$Variety); oats$nitro <- factor(oats$nitro)
ovary <- read.csv(file.path(dataDir, "Ovary.csv"), stringsAsFactors = FALSE)
ovary$Mare <- factor(ovary$Mare)

aovList <- function(a) {
  x <- as.data.frame(a)
  list(terms = rownames(x), numDF = unname(x[["numDF"]]), denDF = if (is.null(x[["denDF"]])) NULL else unname(x[["denDF"]]),
       F = unname(x[["F-value"]]), p = unname(x[["p-value"]]), label = attr(a, "label"),
       print = capture.output(print(a)))
}
emmList <- function(e) {
  s <- as.data.frame(summary(e))
  list(table = s, print = capture.output(print(e)))
}
save <- function(name, rec) write_json(rec, file.path(out, paste0(name, ".json")), digits = NA, auto_unbox = TRUE, null = "null", pretty = TRUE)

lmeCase <- function(name, fit, ours, anovas, emms) {
  rec <- list(name = name, ours = ours, logLik = as.numeric(logLik(fit)), method = fit$method, beta = unname(fixef(fit)),
              se = unname(sqrt(diag(vcov(fit)))), fixDF = list(X = unname(fit$fixDF$X), terms = as.list(fit$fixDF$terms)))
  rec$anova <- lapply(anovas, function(a) aovList(a))
  rec$emmeans <- lapply(emms, function(e) emmList(e))
  save(name, rec)
}

# Orthodont, random intercept
m1 <- lme(distance ~ age * Sex, data = orth, random = ~ 1 | Subject, control = tight)
e1 <- emmeans(m1, ~ Sex)
lmeCase("orth_ri", m1, list(fixed = "distance ~ age * Sex", random = "~ 1 | Subject", method = "REML"),
  list(sequential = anova(m1), marginal = anova(m1, type = "marginal"),
       terms = anova(m1, Terms = c("age", "age:Sex")), termsNum = anova(m1, Terms = 3),
       L = anova(m1, L = c(age = 1, "age:SexMale" = 1)),
       Lmat = anova(m1, L = rbind(a = c(0, 1, 0, 0), b = c(0, 0, 0, 1))),
       Lplain = anova(m1, L = c(0, 0, 1))),
  list(Sex = e1, Sex_pairs = pairs(e1), Sex_asym = emmeans(m1, ~ Sex, mode = "asymptotic"),
       age_by = emmeans(m1, ~ Sex | age, at = list(age = c(8, 14))),
       age_by_pairs = pairs(emmeans(m1, ~ Sex | age, at = list(age = c(8, 14))))))

# the same by ML (adjustSigma: nlme's default TRUE, and FALSE; emmeans's sigmaAdjust)
m1ml <- lme(distance ~ age * Sex, data = orth, random = ~ 1 | Subject, method = "ML", control = tight)
lmeCase("orth_ri_ml", m1ml, list(fixed = "distance ~ age * Sex", random = "~ 1 | Subject", method = "ML"),
  list(sequential = anova(m1ml), marginal = anova(m1ml, type = "marginal"), noAdjust = anova(m1ml, adjustSigma = FALSE),
       noAdjustMarginal = anova(m1ml, type = "marginal", adjustSigma = FALSE)),
  list(Sex = emmeans(m1ml, ~ Sex), Sex_noAdjust = emmeans(m1ml, ~ Sex, sigmaAdjust = FALSE)))

# Orthodont, random intercept and slope
m2 <- lme(distance ~ age * Sex, data = orth, random = ~ age | Subject, control = tight)
lmeCase("orth_slope", m2, list(fixed = "distance ~ age * Sex", random = "~ age | Subject", method = "REML"),
  list(sequential = anova(m2), marginal = anova(m2, type = "marginal")),
  list(Sex = emmeans(m2, ~ Sex), Sex_pairs = pairs(emmeans(m2, ~ Sex))))

# Oats: Block/Variety with nitro a factor
m3 <- lme(yield ~ nitro * Variety, data = oats, random = ~ 1 | Block/Variety, control = tight)
e3 <- emmeans(m3, ~ nitro)
lmeCase("oats_nested", m3, list(fixed = "yield ~ nitro * Variety", random = "~ 1 | Block/Variety", method = "REML"),
  list(sequential = anova(m3), marginal = anova(m3, type = "marginal"), terms = anova(m3, Terms = c("nitro", "nitro:Variety"))),
  list(nitro = e3, nitro_pairs = pairs(e3), Variety = emmeans(m3, ~ Variety), Variety_pairs = pairs(emmeans(m3, ~ Variety)),
       Variety_by = emmeans(m3, ~ Variety | nitro)))

# lme with a variance function
m4 <- lme(distance ~ age * Sex, data = orth, random = ~ 1 | Subject, weights = varIdent(form = ~ 1 | Sex), control = tight)
lmeCase("orth_varident", m4, list(fixed = "distance ~ age * Sex", random = "~ 1 | Subject", weights = "varIdent(form = ~ 1 | Sex)", method = "REML"),
  list(sequential = anova(m4), marginal = anova(m4, type = "marginal")),
  list(Sex = emmeans(m4, ~ Sex), Sex_pairs = pairs(emmeans(m4, ~ Sex))))

# lme with a correlation structure
m5 <- lme(follicles ~ sin2pi + cos2pi, data = ovary, random = ~ 1 | Mare, correlation = corAR1(form = ~ 1 | Mare), control = tight)
lmeCase("ovary_ar1", m5, list(fixed = "follicles ~ sin2pi + cos2pi", random = "~ 1 | Mare", correlation = "corAR1(form = ~ 1 | Mare)", method = "REML"),
  list(sequential = anova(m5), marginal = anova(m5, type = "marginal"), L = anova(m5, L = c(0, 1, -1))),
  list(overall = emmeans(m5, ~ 1)))

glsCase <- function(name, fit, ours, anovas, emms) {
  rec <- list(name = name, ours = ours, logLik = as.numeric(logLik(fit)), method = fit$method, beta = unname(coef(fit)),
              se = unname(sqrt(diag(vcov(fit)))), apVar = is.matrix(fit$apVar))
  rec$anova <- lapply(anovas, function(a) aovList(a))
  rec$emmeans <- lapply(emms, function(e) emmList(e))
  save(name, rec)
}

# gls with corCompSymm and varIdent
g1 <- gls(distance ~ age * Sex, data = orth, correlation = corCompSymm(form = ~ 1 | Subject), weights = varIdent(form = ~ 1 | Sex), control = tightGls)
eg1 <- emmeans(g1, ~ Sex, data = orth)
glsCase("gls_cs_varident", g1, list(model = "distance ~ age * Sex", correlation = "corCompSymm(form = ~ 1 | Subject)", weights = "varIdent(form = ~ 1 | Sex)", method = "REML"),
  list(sequential = anova(g1), marginal = anova(g1, type = "marginal"), terms = anova(g1, Terms = c("Sex", "age:Sex")),
       L = anova(g1, L = c(age = 1, "age:SexMale" = 1))),
  list(Sex = eg1, Sex_pairs = pairs(eg1), Sex_dferror = emmeans(g1, ~ Sex, mode = "df.error", data = orth),
       Sex_asym = emmeans(g1, ~ Sex, mode = "asymptotic", data = orth),
       age_by = emmeans(g1, ~ Sex | age, at = list(age = c(8, 14)), data = orth)))

# gls by ML with corAR1 (adjustSigma)
g2 <- gls(distance ~ age * Sex, data = orth, correlation = corAR1(form = ~ 1 | Subject), method = "ML", control = tightGls)
glsCase("gls_ar1_ml", g2, list(model = "distance ~ age * Sex", correlation = "corAR1(form = ~ 1 | Subject)", method = "ML"),
  list(sequential = anova(g2), marginal = anova(g2, type = "marginal"), adjust = anova(g2, adjustSigma = TRUE),
       adjustMarginal = anova(g2, type = "marginal", adjustSigma = TRUE)),
  list(Sex = emmeans(g2, ~ Sex, data = orth), Sex_pairs = pairs(emmeans(g2, ~ Sex, data = orth))))

# gls without structures: emmeans's df.error (no apVar)
g3 <- gls(distance ~ age + Sex, data = orth)
glsCase("gls_plain", g3, list(model = "distance ~ age + Sex", method = "REML"),
  list(sequential = anova(g3), marginal = anova(g3, type = "marginal")),
  list(Sex = emmeans(g3, ~ Sex, data = orth), Sex_pairs = pairs(emmeans(g3, ~ Sex, data = orth))))

# three nested levels (nlme's DF: x within pupils, w between pupils) and a model without an intercept
sch <- read.csv(file.path(dataDir, "schools3.csv"), stringsAsFactors = FALSE)
sch$School <- factor(sch$School); sch$Class <- factor(sch$Class); sch$Pupil <- factor(sch$Pupil)
m6 <- lme(y ~ x * w, data = sch, random = ~ 1 | School/Class/Pupil, control = tight)
lmeCase("schools3", m6, list(fixed = "y ~ x * w", random = "~ 1 | School/Class/Pupil", method = "REML"),
  list(sequential = anova(m6), marginal = anova(m6, type = "marginal"), terms = anova(m6, Terms = c("x", "x:w"))),
  list(overall = emmeans(m6, ~ 1)))
m7 <- lme(distance ~ Sex + age - 1, data = orth, random = ~ 1 | Subject, control = tight)
lmeCase("orth_noint", m7, list(fixed = "distance ~ Sex + age - 1", random = "~ 1 | Subject", method = "REML"),
  list(sequential = anova(m7), marginal = anova(m7, type = "marginal")),
  list(Sex = emmeans(m7, ~ Sex), Sex_pairs = pairs(emmeans(m7, ~ Sex))))
