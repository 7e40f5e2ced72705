#!/usr/bin/env Rscript
# multcomp 1.4-22's compact letter display and Shaffer's and Westfall's logical constraints on a larger
# family, for test/glhtCld.test.ts:
#   - maxsets: multcomp:::maxsets of all-pairwise (Tukey) comparisons of 4, 5 and 6 levels (6, 10, 15
#     hypotheses; treatment coding, the reference level's column dropped) in a scrambled order, and of
#     Dunnett's and Sequen's comparisons of 6 levels: the sets each step keeps;
#   - a 6-group Tukey family (Penicillin's sample: 15 hypotheses) by lmer: univariate, Shaffer, Westfall,
#     single-step (mvtnorm integrated to abseps 1e-5, maxpts 5e5) and their printouts;
#   - cld(): of the summary (single-step default; univariate; Shaffer; level 0.01; decreasing), of the confint,
#     of Oats's Variety and cbpp's period (binomial glmer): the letters, monospaced letters, the letter matrix,
#     Days of sleepstudy as a factor (10 levels: overlapping letters), the level order and print.cld's printout (and the p-values or intervals it was read from, at mvtnorm's
#     defaults: only which p's fall below level matters); the refusal of a non-Tukey family.
# Usage (from the repository root): Rscript test/oracle/glht_cld.R test/fixtures/data test/fixtures/glht
suppressMessages({ library(lme4); library(multcomp); library(jsonlite) })
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "exact_laplace.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)
tight <- lmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
gtight <- glmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
PREC <- list(abseps = 1e-5, maxpts = 5e5)
capture <- function(x) capture.output(print(x))

# the logical constraints: the rows of K (over the coefficients) in the order the test would put them
maxsetCases <- list()
scramble <- function(k) order(sin(seq_len(k) * 7.3 - 7.3))   # JS: sort by Math.sin(i * 7.3), i 0-based
for (spec in list(list("Tukey", 4), list("Tukey", 5), list("Tukey", 6), list("Dunnett", 6), list("Sequen", 6))) {
  g <- spec[[2]]
  K <- contrMat(setNames(rep(3, g), paste0("L", seq_len(g) - 1)), type = spec[[1]])[, -1, drop = FALSE]
  o <- scramble(nrow(K))
  t0 <- Sys.time()
  ms <- multcomp:::maxsets(K[o, , drop = FALSE])
  message(spec[[1]], " ", g, " maxsets ", format(Sys.time() - t0))
  maxsetCases[[length(maxsetCases) + 1]] <- list(type = spec[[1]], groups = g, order = o - 1L,
    K = lapply(seq_len(nrow(K)), function(i) unname(K[o[i], ])), sets = lapply(ms, function(st) lapply(st, function(s) as.integer(s) - 1L)))
}

pen <- read.csv(file.path(dataDir, "penicillin.csv")); pen$sample <- factor(pen$sample); pen$plate <- factor(pen$plate)
oats <- read.csv(file.path(dataDir, "Oats.csv")); oats$Block <- factor(oats$Block); oats$Variety <- factor(oats$Variety)
cbpp <- read.csv(file.path(dataDir, "cbpp.csv")); cbpp$period <- factor(cbpp$period); cbpp$herd <- factor(cbpp$herd)
sleep <- read.csv(file.path(dataDir, "sleepstudy_dayf.csv")); sleep$DayF <- factor(sleep$DayF); sleep$Subject <- factor(sleep$Subject)
models <- list(
  sleep = list(fit = lmer(Reaction ~ DayF + (1 | Subject), sleep, control = tight), formula = "Reaction ~ DayF + (1 | Subject)", data = "data/sleepstudy_dayf.csv", factors = list("DayF", "Subject")),
  pen = list(fit = lmer(diameter ~ sample + (1 | plate), pen, control = tight), formula = "diameter ~ sample + (1 | plate)", data = "data/penicillin.csv", factors = list("sample", "plate")),
  oats = list(fit = lmer(yield ~ nitro + Variety + (1 | Block/Variety), oats, control = tight), formula = "yield ~ nitro + Variety + (1 | Block/Variety)", data = "data/Oats.csv", factors = list("Block", "Variety")),
  cbpp = list(fit = exact_fit(glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial, control = gtight)),
              formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", data = "data/cbpp.csv", factors = list("period", "herd"), family = "binomial")
)

gp <- glht(models$pen$fit, mcp(sample = "Tukey"))
tests <- list()
for (t in c("univariate", "Shaffer", "Westfall", "single-step")) {
  t0 <- Sys.time()
  s <- withCallingHandlers(summary(gp, test = if (t == "univariate") univariate() else do.call(adjusted, c(list(type = t), PREC))), warning = function(w) { message("warning: ", conditionMessage(w)); invokeRestart("muffleWarning") })
  message("pen ", t, " ", format(Sys.time() - t0))
  tests[[t]] <- list(p = unname(as.numeric(s$test$pvalues)), error = if (is.null(attr(s$test$pvalues, "error"))) 0 else attr(s$test$pvalues, "error"), print = capture(s))
}
family15 <- list(rownames = rownames(gp$linfct), estimate = unname(coef(gp)), tests = tests)

cldOf <- function(x) list(letters = as.list(x$mcletters$Letters), monospaced = as.list(x$mcletters$monospacedLetters),
  matrix = lapply(seq_len(nrow(as.matrix(x$mcletters$LetterMatrix))), function(i) unname(as.matrix(x$mcletters$LetterMatrix)[i, ])),
  matrixColumns = colnames(as.matrix(x$mcletters$LetterMatrix)), signif = unname(as.logical(x$signif)), print = capture(x))
clds <- list()
addCld <- function(name, model, what, test = "single-step", level = 0.05, decreasing = FALSE, cilevel = 0.95) {
  g <- glht(models[[model]]$fit, do.call(mcp, setNames(list("Tukey"), c(pen = "sample", oats = "Variety", cbpp = "period", sleep = "DayF")[[model]])))
  # (the letters need only which p's are below level and which intervals hold 0: mvtnorm's defaults)
  set.seed(1)
  obj <- if (what == "confint") confint(g, level = cilevel) else if (what == "confint_univariate") confint(g, level = cilevel, calpha = univariate_calpha()) else summary(g, test = if (test == "univariate") univariate() else adjusted(type = test))
  x <- if (what != "summary") cld(obj, decreasing = decreasing) else cld(obj, level = level, decreasing = decreasing)
  clds[[length(clds) + 1]] <<- c(list(name = name, model = model, what = what, test = test, level = level, decreasing = decreasing, cilevel = cilevel,
    p = if (what != "summary") NULL else unname(as.numeric(obj$test$pvalues)),
    lower = if (what != "summary") unname(obj$confint[, "lwr"]) else NULL, upper = if (what != "summary") unname(obj$confint[, "upr"]) else NULL), cldOf(x))
}
addCld("pen_summary", "pen", "summary")
addCld("pen_univariate", "pen", "summary", test = "univariate")
addCld("pen_univariate_decreasing", "pen", "summary", test = "univariate", decreasing = TRUE)
addCld("pen_shaffer_01", "pen", "summary", test = "Shaffer", level = 0.01)
addCld("pen_confint", "pen", "confint")
addCld("pen_confint_decreasing_99", "pen", "confint", decreasing = TRUE, cilevel = 0.99)
addCld("oats_summary", "oats", "summary")
addCld("cbpp_summary", "cbpp", "summary", test = "univariate")
# Days of sleep deprivation as a factor (10 levels, 45 comparisons): overlapping letters
addCld("sleep_univariate", "sleep", "summary", test = "univariate")
addCld("sleep_holm_decreasing", "sleep", "summary", test = "holm", decreasing = TRUE)
addCld("sleep_bonferroni_10", "sleep", "summary", test = "bonferroni", level = 0.1)
addCld("sleep_confint_univariate", "sleep", "confint_univariate", cilevel = 0.9)
refusal <- tryCatch(cld(glht(models$pen$fit, mcp(sample = "Dunnett"))), error = function(e) conditionMessage(e))

spec <- lapply(models, function(m) m[setdiff(names(m), "fit")])
writeLines(toJSON(list(models = spec, maxsets = maxsetCases, family15 = family15, cld = clds, refusal = refusal),
                  auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null"), file.path(out, "glht_cld.json"))
