#!/usr/bin/env Rscript
# afex 1.2-1's mixed() with method = "nested-KR" (pbkrtest's KRmodcomp of the full REML fit against each
# nested REML fit), per_parameter (LRT, nested-KR, a binomial glmer's LRT) and afex's refusals of
# method = "F", of per_parameter with type 2 and of nested-KR for a GLMM, for test/afexNested.test.ts.
# Usage (from the repository root): Rscript test/oracle/afex_nested.R
# Reads the data sets test/oracle/afex.R writes (test/fixtures/data: sk2011_1.csv, obk_long.csv) and
# lme4's sleepstudy.csv and cbpp.csv; writes test/fixtures/afex/nested.json and
# test/fixtures/data/sleepstudy_dq.csv (sleepstudy_unbalanced.csv with Days in three periods, Dq: an
# unbalanced design with a random slope, where Kenward–Roger's F.scaling is not 1).
# Every fit runs lme4's optimizer to tight tolerances (afex passes `control` on to (g)lmer), as afex.R.
# Needs: R with afex (1.2-1), lme4, lmerTest, pbkrtest and jsonlite.
suppressMessages({ library(afex); library(jsonlite) })
root <- "test/fixtures"
tight <- lmerControl(optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
gtight <- glmerControl(tolPwrss = 1e-12, optimizer = c("bobyqa", "nloptwrap"),
  optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12, maxeval = 1e5))

read_case <- function(file, factors) {
  d <- read.csv(file.path(root, "data", file), stringsAsFactors = TRUE)
  for (f in factors) d[[f]] <- factor(d[[f]])
  d
}
su <- read.csv(file.path(root, "data", "sleepstudy_unbalanced.csv"))
su$Dq <- as.character(cut(su$Days, c(-1, 2, 5, 9), labels = c("early", "mid", "late")))
write.csv(su, file.path(root, "data", "sleepstudy_dq.csv"), row.names = FALSE)
num <- function(v) if (is.null(v)) NULL else ifelse(is.na(v), NA, v)
obkF <- "value ~ treatment * phase + (1 | id)"
cases <- list(
  list(name = "obk nested-KR type 3", data = "obk_long.csv", factors = "id", formula = obkF, method = "nested-KR", type = 3),
  list(name = "obk nested-KR type 3 test_intercept", data = "obk_long.csv", factors = "id", formula = obkF, method = "nested-KR", type = 3, test_intercept = TRUE),
  list(name = "obk nested-KR type 2", data = "obk_long.csv", factors = "id", formula = obkF, method = "nested-KR", type = 2),
  list(name = "sk2011 nested-KR type 3", data = "sk2011_1.csv", factors = "id", formula = "response ~ instruction * type + (type | id) + (1 | content)", method = "nested-KR", type = 3),
  list(name = "sleepstudy nested-KR", data = "sleepstudy.csv", factors = "Subject", formula = "Reaction ~ Days + (Days | Subject)", method = "nested-KR", type = 3),
  list(name = "sleepstudy_dq nested-KR (F.scaling < 1)", data = "sleepstudy_dq.csv", factors = "Subject", formula = "Reaction ~ Dq + (Days | Subject)", method = "nested-KR", type = 3),
  list(name = "obk covariate nested-KR type 2", data = "obk_long.csv", factors = "id", formula = "value ~ treatment * age + (1 | id)", method = "nested-KR", type = 2),
  list(name = "obk LRT per_parameter treatment", data = "obk_long.csv", factors = "id", formula = obkF, method = "LRT", type = 3, per_parameter = "treatment"),
  list(name = "obk LRT per_parameter phase$ test_intercept", data = "obk_long.csv", factors = "id", formula = obkF, method = "LRT", type = 3, per_parameter = c("phase$", "Intercept"), test_intercept = TRUE),
  list(name = "obk nested-KR per_parameter phase", data = "obk_long.csv", factors = "id", formula = obkF, method = "nested-KR", type = 3, per_parameter = "phase"),
  list(name = "cbpp LRT per_parameter period", data = "cbpp.csv", factors = c("herd", "period"), formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", method = "LRT", type = 3, family = "binomial", per_parameter = "period")
)

out <- list()
for (cs in cases) {
  dd <- read_case(cs$data, cs$factors)
  ti <- isTRUE(cs$test_intercept)
  msgs <- character(0); warns <- character(0)
  args <- list(formula = as.formula(cs$formula), data = quote(dd), method = cs$method, type = cs$type,
               test_intercept = ti, progress = FALSE)
  if (!is.null(cs$per_parameter)) args$per_parameter <- cs$per_parameter
  if (!is.null(cs$family)) { args$family <- cs$family; args$control <- gtight } else args$control <- tight
  m <- withCallingHandlers(do.call(mixed, args),
    message = function(e) { msgs <<- c(msgs, conditionMessage(e)); invokeRestart("muffleMessage") },
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") })
  a <- m$anova_table
  printed <- capture.output(suppressWarnings(print(m)))
  rows <- lapply(seq_len(nrow(a)), function(i) {
    r <- list(effect = rownames(a)[i])
    for (cn in colnames(a)) r[[cn]] <- num(a[i, cn])
    r
  })
  full <- if (inherits(m$full_model, "merMod")) list(m$full_model) else m$full_model
  res <- list(name = cs$name, data = cs$data, factors = I(cs$factors), formula = cs$formula, method = cs$method,
              type = cs$type, test_intercept = ti, family = if (is.null(cs$family)) NA else cs$family,
              per_parameter = if (is.null(cs$per_parameter)) list() else I(cs$per_parameter),
              afex = as.character(packageVersion("afex")), pbkrtest = as.character(packageVersion("pbkrtest")),
              columns = I(colnames(a)), rows = rows, heading = I(attr(a, "heading")), printed = I(printed),
              messages = I(msgs), warnings = I(warns),
              full = lapply(full, function(f) list(logLik = as.numeric(logLik(f)), df = attr(logLik(f), "df"),
                  REML = isREML(f), beta = I(unname(fixef(f))), xnames = I(names(fixef(f))),
                  theta = I(unname(getME(f, "theta"))), formula = paste(deparse(formula(f), width.cutoff = 500L), collapse = ""))),
              restricted = lapply(seq_along(m$restricted_models), function(i) {
                f <- m$restricted_models[[i]]
                list(effect = names(m$restricted_models)[i], logLik = as.numeric(logLik(f)), df = attr(logLik(f), "df"),
                     REML = isREML(f), xnames = I(names(fixef(f))), formula = paste(deparse(formula(f), width.cutoff = 500L), collapse = ""))
              }))
  if (cs$method == "nested-KR") res$kr <- lapply(unname(m$tests), function(t) list(
      Ftest = as.list(unlist(t$test["Ftest", ])), FtestU = as.list(unlist(t$test["FtestU", ])), L = t$L))
  out[[length(out) + 1]] <- res
  cat(cs$name, "done\n")
}

# afex's refusals: the message of each stop()
refusal <- function(name, args) {
  e <- tryCatch({ suppressMessages(suppressWarnings(do.call(mixed, c(args, progress = FALSE)))); NA }, error = function(e) conditionMessage(e))
  list(name = name, error = e)
}
obk <- read_case("obk_long.csv", "id")
cbpp <- read_case("cbpp.csv", c("herd", "period"))
errors <- list(
  refusal("method F", list(formula = as.formula(obkF), data = obk, method = "F")),
  refusal("per_parameter type 2", list(formula = as.formula(obkF), data = obk, method = "LRT", type = 2, per_parameter = "treatment")),
  refusal("nested-KR glmer", list(formula = cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, method = "nested-KR", family = "binomial"))
)
writeLines(toJSON(list(cases = out, errors = errors), auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE),
  file.path(root, "afex", "nested.json"))
