#!/usr/bin/env Rscript
# R's side of bench/inference.ts: one case, one JSON line after the mark @@inference@@.
# Usage: Rscript bench/inference.R CASE DATA.csv FORMULA FACTORS
#   satt1m, sattinsteval: lme4::lmer (fit_s) and lmerTest::lmer (its fit plus the numerical Hessian and
#     Jacobian, lmer_test_s), then summary() (summary_s); work_s = lmer_test_s − fit_s + summary_s
#   profinsteval: lmer (REML) then confint(fit, method = "profile") (work_s, which includes the ML refit)
#   bootsleep: lmer then bootMer(fit, FUN = confint's default statistics, nsim = 1000, seed 1) (work_s)
#   boot1m: lmer (fit_s) then bootMer(nsim = 100) (work_s)
#   bootcbpp: glmer(family = binomial) then bootMer(fit, FUN = (θ, β), nsim = 1000, seed 1) (work_s)
# All with lme4's default lmerControl(); peak_rss_mb is the process's VmHWM.
suppressMessages({ library(lme4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
case <- args[1]; path <- args[2]; fo <- as.formula(args[3])
factors <- if (length(args) >= 4 && nzchar(args[4])) strsplit(args[4], ",", fixed = TRUE)[[1]] else character(0)
d <- read.csv(path, stringsAsFactors = TRUE)
for (f in factors) d[[f]] <- factor(d[[f]])
el <- function(expr) { t0 <- proc.time()[["elapsed"]]; v <- force(expr); list(v = v, s = proc.time()[["elapsed"]] - t0) }
peak <- function() {
  s <- tryCatch(readLines("/proc/self/status"), error = function(e) character(0))
  h <- grep("^VmHWM:", s, value = TRUE)
  if (length(h)) as.numeric(gsub("[^0-9]", "", h)) / 1024 else NA
}
res <- list(case = case, R = R.version.string, lme4 = as.character(packageVersion("lme4")))
fit <- if (case == "bootcbpp") el(glmer(fo, data = d, family = binomial)) else el(lmer(fo, data = d))
res$fit_s <- fit$s
if (case %in% c("satt1m", "sattinsteval")) {
  suppressMessages(library(lmerTest, warn.conflicts = FALSE))
  res$lmerTest <- as.character(packageVersion("lmerTest"))
  lt <- el(lmerTest::lmer(fo, data = d))
  s <- el(summary(lt$v))
  res$lmer_test_s <- lt$s; res$summary_s <- s$s
  res$work_s <- lt$s - fit$s + s$s
  ct <- s$v$coefficients
  res$table <- lapply(rownames(ct), function(r) list(name = r, df = ct[r, "df"], p = ct[r, "Pr(>|t|)"]))
} else if (case == "profinsteval") {
  ci <- el(suppressWarnings(confint(fit$v, method = "profile", oldNames = FALSE)))
  res$work_s <- ci$s
  res$intervals <- lapply(rownames(ci$v), function(r) list(name = r, lower = ci$v[r, 1], upper = ci$v[r, 2]))
} else if (case %in% c("bootsleep", "boot1m")) {
  nsim <- if (case == "bootsleep") 1000 else 100
  FUN <- function(x) {
    th <- x@theta; ss <- lme4:::Cv_to_Sv(th, n = lengths(x@cnms), s = sigma(x))
    c(ss, fixef(x))
  }
  b <- el(bootMer(fit$v, FUN, nsim = nsim, seed = 1))
  res$work_s <- b$s; res$nsim <- nsim
  res$failed <- sum(!is.finite(b$v$t[, 1]))
} else if (case == "bootcbpp") {
  b <- el(suppressWarnings(suppressMessages(bootMer(fit$v, function(x) c(getME(x, "theta"), fixef(x)), nsim = 1000, seed = 1))))
  res$work_s <- b$s; res$nsim <- 1000
  res$failed <- sum(!is.finite(b$v$t[, 1]))
} else stop("unknown case ", case)
res$peak_rss_mb <- peak()
cat("@@inference@@", toJSON(res, auto_unbox = TRUE, digits = NA, null = "null", na = "null"), "\n", sep = "")
