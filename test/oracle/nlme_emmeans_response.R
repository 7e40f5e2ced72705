#!/usr/bin/env Rscript
# emmeans 1.8.4's means on the response scale of nlme fits with a transformed response and of MASS's
# glmmPQL fits, for test/nlmeEmmeansResponse.test.ts (src/nlme/emmeans.ts, src/pql/emmeans.ts):
#  - lme(log(distance) ~ age + Sex), lme(log(distance) ~ age * Sex) with `by`, lme(sqrt(distance) ~ …),
#    lme(log1p(distance) ~ …): emmeans's response transformations (type = "response": the means
#    back-transformed, SEs by the delta method, "Intervals are back-transformed from the log scale";
#    pairs() of a log scale as ratios, "Tests are performed on the log scale"; of sqrt and log1p still
#    on that scale); lme's default df mode, containment, and "asymptotic";
#  - gls(log(distance) ~ age * Sex, corCompSymm): the default mode "auto" (Satterthwaite, as
#    emmeans's gls_grad refits the model with its log response) and "df.error";
#  - glmmPQL: bacteria (binomial, logit: prob, odds ratios, "Tests are performed on the log odds ratio
#    scale"), grouseticks (poisson: rate, ratios; ~ 1 | BROOD and ~ 1 | LOCATION/BROOD), bacteria with
#    the probit link (contrasts "still on the probit scale"), cbpp as cbind(successes, failures) (with
#    `proportional` weights), a Gamma(log) fit (response), and a Poisson fit with an offset (which
#    emmeans leaves out: MASS fits lme to zz without it). emmeans takes a glmmPQL fit by emm_basis.lme
#    with the family's link (.std.link.labels): containment df (printed "Degrees-of-freedom method:
#    containment"), sigmaAdjust (V × N/(N − p), PQL's lme being an ML fit); its Satterthwaite modes fail
#    on a glmmPQL fit ("Unable to estimate Satterthwaite parameters", recorded below);
#  - regrid(): the means on the response scale as the grid's coordinates (symmetric intervals, df
#    "inherited from containment when re-gridding") and their pairs() as differences of those means.
# Every fit is made with tight controls (nlme_common.R; glmmPQL passes them to each lme), so that its
# optimum is the one ours reaches to the precision the tests state.
# Per case (one JSON each, test/fixtures/nlme_emmeans_response): the fit's β and SEs (summary's: an ML
# fit's with σ̂² N/(N − p), nlme's adjustSigma, as emmeans's sigmaAdjust makes V) and the emmeans
# tables (summary(): emmean or response/prob/rate, SE, df, lower.CL, upper.CL; pairs: estimate or
# ratio/odds.ratio, SE, df, t.ratio, p.value) with their printouts; `calls` names each table's call.
# Usage (from the repository root):
#   Rscript test/oracle/nlme_emmeans_response.R test/fixtures/data test/fixtures/nlme_emmeans_response
# Needs: nlme 3.1-162, MASS 7.3-58.2, emmeans 1.8.4, jsonlite.
suppressMessages({ library(nlme); library(MASS); library(emmeans); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
stopifnot(packageVersion("nlme") == "3.1.162", packageVersion("MASS") == "7.3.58.2",
          packageVersion("emmeans") >= "1.8.4", packageVersion("emmeans") < "1.8.5")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "nlme_common.R"))
emm_options(msg.interaction = FALSE)

orth <- read.csv(file.path(dataDir, "Orthodont.csv"), stringsAsFactors = FALSE)
orth$Subject <- factor(orth$Subject); orth$Sex <- factor(orth$Sex)
bacteria <- read.csv(file.path(dataDir, "bacteria.csv"), stringsAsFactors = FALSE)
bacteria$ID <- factor(bacteria$ID); bacteria$trt <- factor(bacteria$trt)
ticks <- read.csv(file.path(dataDir, "grouseticks.csv"), stringsAsFactors = FALSE)
for (v in c("YEAR", "BROOD", "LOCATION")) ticks[[v]] <- factor(ticks[[v]])
sim <- read.csv(file.path(dataDir, "pql_sim.csv"), stringsAsFactors = FALSE); sim$id <- factor(sim$id)
cbpp <- read.csv(file.path(dataDir, "cbpp.csv"), stringsAsFactors = FALSE); cbpp$herd <- factor(cbpp$herd); cbpp$period <- factor(cbpp$period)
gam <- read.csv(file.path(dataDir, "pql_gamma.csv"), stringsAsFactors = FALSE); gam$g <- factor(gam$g)

emmList <- function(e) {
  s <- as.data.frame(summary(e))
  list(table = s, print = capture.output(print(e)))
}
save <- function(name, rec) write_json(rec, file.path(out, paste0(name, ".json")), digits = NA, auto_unbox = TRUE, null = "null", pretty = TRUE)
# ours: the fit as our library makes it; emms: named emmeans results; calls: each one's specs and options as ours takes them
# (regrid = TRUE: the record is regrid() of the means, ours grid.regrid())
record <- function(name, fit, ours, emms, calls, extra = list()) {
  rec <- c(list(name = name, ours = ours, beta = unname(if (inherits(fit, "gls")) coef(fit) else fixef(fit)), se = unname(summary(fit)$tTable[, "Std.Error"])), extra)
  rec$emmeans <- lapply(emms, emmList)
  rec$calls <- calls
  stopifnot(identical(sort(names(emms)), sort(names(calls))))
  save(name, rec)
}
call <- function(specs, pairs = FALSE, ...) list(specs = specs, pairs = pairs, options = list(...))

# lme(log(y) ~ …): the task's example on the CSV's Orthodont (Sex's levels alphabetical)
m1 <- lme(log(distance) ~ age + Sex, data = orth, random = ~ 1 | Subject, control = tight)
e1 <- emmeans(m1, ~ Sex)
record("lme_log", m1, list(fixed = "log(distance) ~ age + Sex", random = "~ 1 | Subject", method = "REML", data = "Orthodont"),
  list(Sex = e1, Sex_response = emmeans(m1, ~ Sex, type = "response"), Sex_pairs = pairs(e1),
       Sex_pairs_response = pairs(e1, type = "response"), Sex_response_pairs = pairs(emmeans(m1, ~ Sex, type = "response")),
       Sex_asym_response = emmeans(m1, ~ Sex, type = "response", mode = "asymptotic"),
       Sex_asym_pairs_response = pairs(emmeans(m1, ~ Sex, mode = "asymptotic"), type = "response"),
       Sex_regrid = regrid(e1), Sex_regrid_pairs = pairs(regrid(e1)), Sex_asym_regrid = regrid(emmeans(m1, ~ Sex, mode = "asymptotic"))),
  list(Sex = call("~ Sex"), Sex_response = call("~ Sex", type = "response"), Sex_pairs = call("~ Sex", TRUE),
       Sex_pairs_response = call("~ Sex", TRUE, type = "response"), Sex_response_pairs = call("~ Sex", TRUE, type = "response"),
       Sex_asym_response = call("~ Sex", type = "response", mode = "asymptotic"),
       Sex_asym_pairs_response = call("~ Sex", TRUE, type = "response", mode = "asymptotic"),
       Sex_regrid = call("~ Sex", regrid = TRUE), Sex_regrid_pairs = call("~ Sex", TRUE, regrid = TRUE),
       Sex_asym_regrid = call("~ Sex", mode = "asymptotic", regrid = TRUE)))

# with an interaction and `by` blocks (the ratio contrasts' by labels)
m2 <- lme(log(distance) ~ age * Sex, data = orth, random = ~ 1 | Subject, control = tight)
record("lme_log_by", m2, list(fixed = "log(distance) ~ age * Sex", random = "~ 1 | Subject", method = "REML", data = "Orthodont"),
  list(by_response = emmeans(m2, ~ Sex | age, at = list(age = c(8, 14)), type = "response"),
       by_pairs_response = pairs(emmeans(m2, ~ Sex | age, at = list(age = c(8, 14))), type = "response"),
       by_regrid = regrid(emmeans(m2, ~ Sex | age, at = list(age = c(8, 14)))),
       by_regrid_pairs = pairs(regrid(emmeans(m2, ~ Sex | age, at = list(age = c(8, 14)))))),
  list(by_response = call("~ Sex | age", at = list(age = c(8, 14)), type = "response"),
       by_pairs_response = call("~ Sex | age", TRUE, at = list(age = c(8, 14)), type = "response"),
       by_regrid = call("~ Sex | age", at = list(age = c(8, 14)), regrid = TRUE),
       by_regrid_pairs = call("~ Sex | age", TRUE, at = list(age = c(8, 14)), regrid = TRUE)))

# sqrt and log1p: back-transformed means, contrasts still on the transformed scale
m3 <- lme(sqrt(distance) ~ age + Sex, data = orth, random = ~ 1 | Subject, control = tight)
record("lme_sqrt", m3, list(fixed = "sqrt(distance) ~ age + Sex", random = "~ 1 | Subject", method = "REML", data = "Orthodont"),
  list(Sex = emmeans(m3, ~ Sex), Sex_response = emmeans(m3, ~ Sex, type = "response"), Sex_pairs_response = pairs(emmeans(m3, ~ Sex), type = "response")),
  list(Sex = call("~ Sex"), Sex_response = call("~ Sex", type = "response"), Sex_pairs_response = call("~ Sex", TRUE, type = "response")))
m4 <- lme(log1p(distance) ~ age + Sex, data = orth, random = ~ 1 | Subject, method = "ML", control = tight)
record("lme_log1p_ml", m4, list(fixed = "log1p(distance) ~ age + Sex", random = "~ 1 | Subject", method = "ML", data = "Orthodont"),
  list(Sex_response = emmeans(m4, ~ Sex, type = "response"), Sex_pairs_response = pairs(emmeans(m4, ~ Sex), type = "response")),
  list(Sex_response = call("~ Sex", type = "response"), Sex_pairs_response = call("~ Sex", TRUE, type = "response")))

# gls(log(y) ~ …): Satterthwaite (auto) and df.error
g1 <- gls(log(distance) ~ age * Sex, data = orth, correlation = corCompSymm(form = ~ 1 | Subject), control = tightGls)
eg1 <- emmeans(g1, ~ Sex, data = orth)
record("gls_log", g1, list(model = "log(distance) ~ age * Sex", correlation = "corCompSymm(form = ~ 1 | Subject)", method = "REML", data = "Orthodont"),
  list(Sex = eg1, Sex_response = emmeans(g1, ~ Sex, type = "response", data = orth), Sex_pairs_response = pairs(eg1, type = "response"),
       Sex_dferror_response = emmeans(g1, ~ Sex, mode = "df.error", type = "response", data = orth),
       Sex_regrid = regrid(eg1), Sex_regrid_pairs = pairs(regrid(eg1))),
  list(Sex = call("~ Sex"), Sex_response = call("~ Sex", type = "response"), Sex_pairs_response = call("~ Sex", TRUE, type = "response"),
       Sex_dferror_response = call("~ Sex", mode = "df.error", type = "response"),
       Sex_regrid = call("~ Sex", regrid = TRUE), Sex_regrid_pairs = call("~ Sex", TRUE, regrid = TRUE)))

# glmmPQL (tight lme controls, passed on to every lme of the loop)
satt <- function(p) tryCatch({ emmeans(p, ~ 1, mode = "satterthwaite"); "ok" }, error = function(e) conditionMessage(e))
p1 <- suppressMessages(glmmPQL(yy ~ trt + I(week > 2), random = ~ 1 | ID, family = binomial, data = bacteria, control = tight))
ep1 <- emmeans(p1, ~ trt)
record("pql_binomial", p1, list(fixed = "yy ~ trt + I(week > 2)", random = "~ 1 | ID", family = "binomial", data = "bacteria"),
  list(trt = ep1, trt_response = emmeans(p1, ~ trt, type = "response"), trt_pairs = pairs(ep1), trt_pairs_response = pairs(ep1, type = "response"),
       trt_asym_response = emmeans(p1, ~ trt, type = "response", mode = "asymptotic"),
       trt_noAdjust_response = emmeans(p1, ~ trt, type = "response", sigmaAdjust = FALSE),
       trt_revpairs_response = pairs(emmeans(p1, ~ trt, type = "response"), reverse = TRUE)),
  list(trt = call("~ trt"), trt_response = call("~ trt", type = "response"), trt_pairs = call("~ trt", TRUE), trt_pairs_response = call("~ trt", TRUE, type = "response"),
       trt_asym_response = call("~ trt", type = "response", mode = "asymptotic"),
       trt_noAdjust_response = call("~ trt", type = "response", sigmaAdjust = FALSE),
       trt_revpairs_response = list(specs = "~ trt", pairs = "reverse", options = list(type = "response"))),
  list(satterthwaite = satt(p1)))
p2 <- suppressMessages(glmmPQL(TICKS ~ YEAR + cHEIGHT, random = ~ 1 | BROOD, family = poisson, data = ticks, control = tight))
ep2 <- emmeans(p2, ~ YEAR)
record("pql_poisson", p2, list(fixed = "TICKS ~ YEAR + cHEIGHT", random = "~ 1 | BROOD", family = "poisson", factors = list("YEAR", "BROOD", "LOCATION"), data = "grouseticks"),
  list(YEAR = ep2, YEAR_response = emmeans(p2, ~ YEAR, type = "response"), YEAR_pairs_response = pairs(ep2, type = "response"),
       overall_response = emmeans(p2, ~ 1, type = "response")),
  list(YEAR = call("~ YEAR"), YEAR_response = call("~ YEAR", type = "response"), YEAR_pairs_response = call("~ YEAR", TRUE, type = "response"),
       overall_response = call("~ 1", type = "response")))
p3 <- suppressMessages(glmmPQL(TICKS ~ YEAR + cHEIGHT, random = ~ 1 | LOCATION/BROOD, family = poisson, data = ticks, control = tight))
record("pql_poisson_nested", p3, list(fixed = "TICKS ~ YEAR + cHEIGHT", random = "~ 1 | LOCATION/BROOD", family = "poisson", factors = list("YEAR", "BROOD", "LOCATION"), data = "grouseticks"),
  list(YEAR_response = emmeans(p3, ~ YEAR, type = "response"), YEAR_pairs_response = pairs(emmeans(p3, ~ YEAR), type = "response")),
  list(YEAR_response = call("~ YEAR", type = "response"), YEAR_pairs_response = call("~ YEAR", TRUE, type = "response")))
p4 <- suppressMessages(glmmPQL(yy ~ trt + I(week > 2), random = ~ 1 | ID, family = binomial(link = "probit"), data = bacteria, control = tight))
record("pql_probit", p4, list(fixed = "yy ~ trt + I(week > 2)", random = "~ 1 | ID", family = "binomial", link = "probit", data = "bacteria"),
  list(trt_response = emmeans(p4, ~ trt, type = "response"), trt_pairs_response = pairs(emmeans(p4, ~ trt), type = "response")),
  list(trt_response = call("~ trt", type = "response"), trt_pairs_response = call("~ trt", TRUE, type = "response")))
p5 <- suppressMessages(glmmPQL(yexp ~ time + x + offset(log(expo)), random = ~ 1 | id, family = poisson, data = sim, control = tight))
record("pql_offset", p5, list(fixed = "yexp ~ time + x + offset(log(expo))", random = "~ 1 | id", family = "poisson", data = "pql_sim"),
  list(overall = emmeans(p5, ~ 1), overall_response = emmeans(p5, ~ 1, type = "response")),
  list(overall = call("~ 1"), overall_response = call("~ 1", type = "response")))
p6 <- suppressMessages(glmmPQL(cbind(incidence, size - incidence) ~ period, random = ~ 1 | herd, family = binomial, data = cbpp, control = tight))
record("pql_cbind", p6, list(fixed = "cbind(incidence, size - incidence) ~ period", random = "~ 1 | herd", family = "binomial", factors = list("herd", "period"), data = "cbpp"),
  list(period_response = emmeans(p6, ~ period, type = "response"), overall_response = emmeans(p6, ~ 1, type = "response", weights = "proportional"),
       period_trt_response = contrast(emmeans(p6, ~ period), "trt.vs.ctrl", type = "response"),
       period_regrid = regrid(emmeans(p6, ~ period)), period_regrid_pairs = pairs(regrid(emmeans(p6, ~ period))),
       overall_regrid = regrid(emmeans(p6, ~ 1))),
  list(period_response = call("~ period", type = "response"), overall_response = call("~ 1", type = "response", weights = "proportional"),
       period_trt_response = list(specs = "~ period", pairs = "trt.vs.ctrl", options = list(type = "response")),
       period_regrid = call("~ period", regrid = TRUE), period_regrid_pairs = call("~ period", TRUE, regrid = TRUE),
       overall_regrid = call("~ 1", regrid = TRUE)))
p7 <- suppressMessages(glmmPQL(y ~ x, random = ~ 1 | g, family = Gamma(link = "log"), data = gam, control = tight))
record("pql_gamma", p7, list(fixed = "y ~ x", random = "~ 1 | g", family = "Gamma", link = "log", data = "pql_gamma"),
  list(x_response = emmeans(p7, ~ x, at = list(x = c(0.5, 1.5)), type = "response"),
       x_pairs_response = pairs(emmeans(p7, ~ x, at = list(x = c(0.5, 1.5))), type = "response")),
  list(x_response = call("~ x", at = list(x = c(0.5, 1.5)), type = "response"),
       x_pairs_response = call("~ x", TRUE, at = list(x = c(0.5, 1.5)), type = "response")))
