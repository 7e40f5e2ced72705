#!/usr/bin/env Rscript
# clubSandwich 0.5.8's robust variance estimation for metafor fits (vcovCR.rma.uni and vcovCR.rma.mv with
# coef_test, conf_int and Wald_test), for test/meta/robust.test.ts (src/meta/robustMeta.ts):
# dat.konstantopoulos2011 (test/fixtures/meta/data/konstantopoulos2011.csv, written by metafor.R) as
# rma.mv(~ 1 | district/school) by REML, without and with the moderator I(year - 1990) (clusters: the
# default, district), and as rma.uni by REML and DL with that moderator, clustered by district.
# Usage (from the repository root):
#   Rscript test/oracle/club_sandwich_meta.R test/fixtures/meta/data test/fixtures/club-sandwich
# Needs: metafor, clubSandwich 0.5.8, jsonlite.
suppressMessages({ library(metafor); library(clubSandwich); library(jsonlite) })
stopifnot(packageVersion("clubSandwich") == "0.5.8")
args <- commandArgs(trailingOnly = TRUE)
ko <- read.csv(file.path(args[1], "konstantopoulos2011.csv"))
out <- args[2]
tight <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000)
tight_mv <- list(rel.tol = 1e-12, eval.max = 10000, iter.max = 10000)
cases <- list(
  mv = list(fit = rma.mv(yi, vi, random = ~ 1 | district/school, data = ko, control = tight_mv), cluster = NULL,
            mods = NULL, random = "~ 1 | district/school", method = "REML"),
  mv_year = list(fit = rma.mv(yi, vi, mods = ~ I(year - 1990), random = ~ 1 | district/school, data = ko, control = tight_mv),
            cluster = NULL, mods = "I(year - 1990)", random = "~ 1 | district/school", method = "REML"),
  uni_year = list(fit = rma(yi, vi, mods = ~ I(year - 1990), data = ko, method = "REML", control = tight), cluster = "district",
            mods = "I(year - 1990)", random = NULL, method = "REML"),
  uni_dl = list(fit = rma(yi, vi, mods = ~ I(year - 1990), data = ko, method = "DL"), cluster = "district",
            mods = "I(year - 1990)", random = NULL, method = "DL")
)
types <- c("CR0", "CR1", "CR1p", "CR1S", "CR2", "CR3")
res <- lapply(cases, function(cs) {
  r <- cs$fit
  byType <- lapply(types, function(type) {
    V <- if (is.null(cs$cluster)) vcovCR(r, type = type) else vcovCR(r, cluster = ko[[cs$cluster]], type = type)
    ct <- coef_test(r, vcov = V, test = c("z", "naive-t", "naive-tp", "Satterthwaite", "saddlepoint"))
    ci <- conf_int(r, vcov = V, level = 0.95)
    w <- Wald_test(r, constraints = constrain_zero(seq_along(coef(r))), vcov = V, test = c("chi-sq", "Naive-F", "Naive-Fp", "HTA", "HTB", "HTZ", "EDF"))
    list(type = type, J = nlevels(attr(V, "cluster")), vcov = I(as.vector(t(as.matrix(V)))),
         coef_test = lapply(list(beta = ct$beta, SE = ct$SE, tstat = ct$tstat, p_z = ct$p_z, df_t = ct$df_t, p_t = ct$p_t,
           df_tp = ct$df_tp, p_tp = ct$p_tp, df_Satt = ct$df_Satt, p_Satt = ct$p_Satt, saddlepoint = ct$saddlepoint, p_saddle = ct$p_saddle), I),
         conf_int = lapply(list(df = ci$df, lower = ci$CI_L, upper = ci$CI_U), I),
         wald = list(test = w$test, Fstat = w$Fstat, delta = w$delta, df_denom = w$df_denom, p_val = w$p_val),
         printed = if (type == "CR2") capture.output(print(coef_test(r, vcov = V))) else NULL)
  })
  names(byType) <- types
  list(kind = if (inherits(r, "rma.mv")) "rma.mv" else "rma.uni", method = cs$method, mods = cs$mods, random = cs$random,
       cluster = cs$cluster, beta = I(as.numeric(r$beta)), names = I(rownames(r$beta)),
       tau2 = if (inherits(r, "rma.mv")) NULL else r$tau2, sigma2 = if (inherits(r, "rma.mv")) I(as.numeric(r$sigma2)) else NULL,
       types = byType)
})
refusal <- tryCatch({ vcovCR(cases$uni_year$fit, type = "CR2"); "" }, error = function(e) conditionMessage(e))
write(toJSON(list(cases = res, refusal_no_cluster = refusal), auto_unbox = TRUE, digits = NA, null = "null", na = "null"),
  file.path(out, "meta.json"))
