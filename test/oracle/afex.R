#!/usr/bin/env Rscript
# afex 1.2-1's mixed(): ANOVA tables of mixed models (KR, S, LRT, PB; type 3 and 2; test_intercept;
# expand_re; glmer with LRT and PB) for test/afex.test.ts.
# Usage (from the repository root): Rscript test/oracle/afex.R
# Writes test/fixtures/afex/mixed.json and the data sets test/fixtures/data/sk2011_1.csv,
# obk_long.csv and md_16_1.csv (afex's sk2011.1, obk.long and md_16.1; factors as text, so that a CSV
# reader's alphabetical levels are R's levels of the re-read data).
# Every fit runs lme4's optimizer to tight tolerances (mixed() passes `control` on to (g)lmer), so
# that the optima, and not lme4's stopping rule, are the bar; the printouts are afex's print(mixed).
# PB: pbkrtest's draws are R's; the test compares the observed statistic and the structure, and the
# p-values only within Monte-Carlo error.
# Needs: R with afex (1.2-1), lme4, lmerTest, pbkrtest, car and jsonlite.
suppressMessages({ library(afex); library(jsonlite) })
root <- "test/fixtures"
tight <- lmerControl(optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))
gtight <- glmerControl(tolPwrss = 1e-12, optimizer = c("bobyqa", "nloptwrap"),
  optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12, maxeval = 1e5))

as_text <- function(d) { for (v in names(d)) if (is.factor(d[[v]])) d[[v]] <- as.character(d[[v]]); d }
data(sk2011.1); data(obk.long); data(md_16.1)
write.csv(as_text(sk2011.1[, c("id", "instruction", "type", "content", "response")]), file.path(root, "data", "sk2011_1.csv"), row.names = FALSE)
write.csv(as_text(obk.long[, c("id", "treatment", "gender", "age", "phase", "hour", "value")]), file.path(root, "data", "obk_long.csv"), row.names = FALSE)
write.csv(as_text(md_16.1), file.path(root, "data", "md_16_1.csv"), row.names = FALSE)

read_case <- function(file, factors) {
  d <- read.csv(file.path(root, "data", file), stringsAsFactors = TRUE)
  for (f in factors) d[[f]] <- factor(d[[f]])
  d
}
num <- function(v) if (is.null(v)) NULL else ifelse(is.na(v), NA, v)

cases <- list(
  list(name = "sk2011 KR type 3", data = "sk2011_1.csv", factors = "id", formula = "response ~ instruction * type + (type | id) + (1 | content)", method = "KR", type = 3),
  list(name = "sk2011 S type 2", data = "sk2011_1.csv", factors = "id", formula = "response ~ instruction * type + (type | id) + (1 | content)", method = "S", type = 2),
  list(name = "obk S type 3", data = "obk_long.csv", factors = "id", formula = "value ~ treatment * phase + (1 | id)", method = "S", type = 3),
  list(name = "obk KR type 3 test_intercept", data = "obk_long.csv", factors = "id", formula = "value ~ treatment * phase + (1 | id)", method = "KR", type = 3, test_intercept = TRUE),
  list(name = "obk KR type 2", data = "obk_long.csv", factors = "id", formula = "value ~ treatment * phase + (1 | id)", method = "KR", type = 2),
  list(name = "obk LRT type 3", data = "obk_long.csv", factors = "id", formula = "value ~ treatment * phase + (1 | id)", method = "LRT", type = 3),
  list(name = "obk LRT type 3 test_intercept", data = "obk_long.csv", factors = "id", formula = "value ~ treatment * phase + (1 | id)", method = "LRT", type = 3, test_intercept = TRUE),
  list(name = "obk LRT type 2", data = "obk_long.csv", factors = "id", formula = "value ~ treatment * phase + (1 | id)", method = "LRT", type = 2),
  list(name = "obk LRT expand_re", data = "obk_long.csv", factors = "id", formula = "value ~ treatment * phase + (phase || id)", method = "LRT", type = 3, expand_re = TRUE),
  list(name = "obk S expand_re", data = "obk_long.csv", factors = "id", formula = "value ~ treatment * phase + (phase || id)", method = "S", type = 3, expand_re = TRUE),
  list(name = "obk LRT covariate", data = "obk_long.csv", factors = "id", formula = "value ~ treatment * age + (1 | id)", method = "LRT", type = 3),
  list(name = "sleepstudy KR", data = "sleepstudy.csv", factors = "Subject", formula = "Reaction ~ Days + (Days | Subject)", method = "KR", type = 3),
  list(name = "sleepstudy S type 2", data = "sleepstudy.csv", factors = "Subject", formula = "Reaction ~ Days + (Days | Subject)", method = "S", type = 2),
  list(name = "sleepstudy LRT", data = "sleepstudy.csv", factors = "Subject", formula = "Reaction ~ Days + (Days | Subject)", method = "LRT", type = 3),
  list(name = "cbpp LRT", data = "cbpp.csv", factors = c("herd", "period"), formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", method = "LRT", type = 3, family = "binomial"),
  list(name = "cbpp LRT type 2", data = "cbpp.csv", factors = c("herd", "period"), formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", method = "LRT", type = 2, family = "binomial"),
  list(name = "md_16.1 PB", data = "md_16_1.csv", factors = "id", formula = "severity ~ sex + (1 | id)", method = "PB", type = 3, nsim = 1000),
  list(name = "cbpp PB", data = "cbpp.csv", factors = c("herd", "period"), formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", method = "PB", type = 3, family = "binomial", nsim = 300)
)

out <- list()
for (cs in cases) {
  dd <- read_case(cs$data, cs$factors)
  ti <- isTRUE(cs$test_intercept); er <- isTRUE(cs$expand_re)
  msgs <- character(0); warns <- character(0)
  args <- list(formula = as.formula(cs$formula), data = quote(dd), method = cs$method, type = cs$type,
               test_intercept = ti, expand_re = er, progress = FALSE)
  if (!is.null(cs$family)) { args$family <- cs$family; args$control <- gtight } else args$control <- tight
  if (!is.null(cs$nsim)) args$args_test <- list(nsim = cs$nsim, seed = 1)
  set.seed(1)
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
              type = cs$type, test_intercept = ti, expand_re = er, family = if (is.null(cs$family)) NA else cs$family,
              nsim = if (is.null(cs$nsim)) NA else cs$nsim,
              afex = as.character(packageVersion("afex")), lme4 = as.character(packageVersion("lme4")),
              columns = I(colnames(a)), rows = rows, heading = I(attr(a, "heading")), printed = I(printed),
              messages = I(msgs), warnings = I(warns),
              full = lapply(full, function(f) list(logLik = as.numeric(logLik(f)), df = attr(logLik(f), "df"),
                  REML = isREML(f), beta = I(unname(fixef(f))), xnames = I(names(fixef(f))),
                  theta = I(unname(getME(f, "theta"))), formula = paste(deparse(formula(f), width.cutoff = 500L), collapse = ""))),
              restricted = if (is.null(m$restricted_models)) list() else lapply(seq_along(m$restricted_models), function(i) {
                f <- m$restricted_models[[i]]
                list(effect = names(m$restricted_models)[i], logLik = as.numeric(logLik(f)), df = attr(logLik(f), "df"),
                     xnames = I(names(fixef(f))), formula = paste(deparse(formula(f), width.cutoff = 500L), collapse = ""))
              }))
  if (cs$method == "PB") res$pb <- lapply(m$tests, function(t) list(tobs = t$test["LRT", "stat"], df = t$test["LRT", "df"],
      p_LRT = t$test["LRT", "p.value"], p_PB = t$test["PBtest", "p.value"], ctime = t$ctime, samples = I(unname(t$samples))))
  out[[length(out) + 1]] <- res
  cat(cs$name, "done\n")
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), file.path(root, "afex", "mixed.json"))
