#!/usr/bin/env Rscript
# lme4's model frame, fixed-effects model matrix, fit and predictions for each random case of
# test/oracle/randomFrames.ts (see test/randomFrames.test.ts): the CSVs written by
#   npx vite-node test/oracle/exportRandomFrames.ts DIR
# are read with read.csv(stringsAsFactors = TRUE) (the `factors` columns then through factor()),
# in the C collation for the cases with levelOrder "C" and in R's ICU collation otherwise, and fitted
# by lmer to tight nloptwrap tolerances. For each case: the fixed-effects column names before and
# after lme4's rank check (the dropped ones from attr(X, "col.dropped")), lme4's messages, β and
# its standard errors, θ, σ, the criterion (REMLcrit or deviance), nobs, the number of rows
# na.omit dropped, the levels of each factor of the model frame, and predict() on the case's new
# data with re.form = NA and with allow.new.levels = TRUE. A case lme4 refuses records its error.
# Usage (from the repository root): Rscript test/oracle/random_frames.R DIR
# Writes test/fixtures/random-frame/lme4.json.
suppressMessages({ library(lme4); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
dir <- commandArgs(trailingOnly = TRUE)[1]
out_dir <- normalizePath(file.path(here, "..", "fixtures", "random-frame"))
index <- fromJSON(file.path(dir, "cases.json"), simplifyVector = FALSE)
tight <- lmerControl(optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))

fit_case <- function(cs) {
  invisible(Sys.setlocale("LC_COLLATE", if (identical(cs$levelOrder, "C")) "C" else "C.UTF-8"))
  d <- read.csv(file.path(dir, paste0(cs$name, ".csv")), stringsAsFactors = TRUE, encoding = "UTF-8")
  nd <- read.csv(file.path(dir, paste0(cs$name, "-new.csv")), stringsAsFactors = TRUE, encoding = "UTF-8")
  for (f in unlist(cs$factors)) { d[[f]] <- factor(d[[f]]); nd[[f]] <- factor(nd[[f]]) }
  res <- list(name = cs$name, formula = cs$formula, reml = isTRUE(cs$reml))
  msgs <- character(0)
  m <- tryCatch(withCallingHandlers(
    lmer(as.formula(cs$formula), d, REML = isTRUE(cs$reml), control = tight),
    warning = function(w) { msgs <<- c(msgs, conditionMessage(w)); invokeRestart("muffleWarning") },
    message = function(e) { msgs <<- c(msgs, conditionMessage(e)); invokeRestart("muffleMessage") }),
    error = function(e) e)
  if (inherits(m, "error")) { res$error <- conditionMessage(m); return(res) }
  X <- getME(m, "X")
  dropped <- attr(X, "col.dropped")
  full <- character(ncol(X) + length(dropped))
  if (length(dropped) > 0) { full[dropped] <- names(dropped); full[-dropped] <- colnames(X) } else full <- colnames(X)
  mf <- model.frame(m)
  levs <- list()
  for (v in names(mf)) if (is.factor(mf[[v]])) levs[[v]] <- I(levels(mf[[v]]))
  pred <- function(...) {
    p <- tryCatch(as.numeric(predict(m, newdata = nd, ...)), error = function(e) conditionMessage(e))
    if (is.character(p)) list(error = p) else I(p)
  }
  c(res, list(
    colnames_full = I(full), colnames = I(colnames(X)), dropped = I(as.character(names(dropped))),
    messages = I(unique(c(msgs, m@optinfo$conv$lme4$messages))),
    fixef = I(as.numeric(fixef(m))), se = I(as.numeric(sqrt(diag(as.matrix(vcov(m)))))),
    theta_names = I(names(getME(m, "theta"))), theta = I(as.numeric(getME(m, "theta"))),
    sigma = sigma(m), criterion = if (isTRUE(cs$reml)) REMLcrit(m) else deviance(m),
    nobs = nobs(m), na_dropped = length(attr(mf, "na.action")), levels = levs,
    predict_population = pred(re.form = NA), predict_new_levels = pred(allow.new.levels = TRUE)))
}
out <- lapply(index$cases, fit_case)
ref <- list(R = R.version.string, lme4 = as.character(packageVersion("lme4")), collation = "ICU root (C.UTF-8) or C",
            seed = index$seed, count = index$count, cases = out)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = FALSE, na = "null"), file.path(out_dir, "lme4.json"))
cat(length(out), "cases written to", file.path(out_dir, "lme4.json"), "\n")
