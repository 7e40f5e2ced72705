#!/usr/bin/env Rscript
# Fit one CSV with lme4::lmer (or lme4::glmer) and print one JSON line with timings and the optimum.
#
# Usage: Rscript bench/lme4.R DATA.csv FORMULA REML [FACTORS] [CONTROL] [FAMILY]
#   DATA.csv  read with read.csv(stringsAsFactors = TRUE)
#   FORMULA   lme4 formula, e.g. "y ~ x + w + (x | g)"
#   REML      TRUE / FALSE (ignored by glmer: always maximum likelihood)
#   FACTORS   comma-separated columns converted with factor() after reading ("" for none)
#   CONTROL   "default" (lmerControl() / glmerControl(), what a user gets) or "tight" (lmer only:
#             nloptwrap BOBYQA run to ftol_abs 1e-12, ftol_rel 1e-15, xtol_abs 1e-10,
#             xtol_rel 1e-12, as test/oracle does)
#   FAMILY    "gaussian" (default: lmer) or "binomial" / "poisson": glmer(FORMULA, family = FAMILY,
#             nAGQ = 1) with the default glmerControl() (bobyqa then Nelder_Mead, and the
#             finite-difference Hessian for the standard errors, calc.derivs = TRUE)
#
# Output (stdout, one line): {"read_s", "fit_s", "fit_cpu_s", "objective", "objective_kind" ("REMLcrit"|"deviance";
#   glmer: "-2logLik", the Laplace deviance criterion), "family",
#   "theta", "theta_names", "feval", "fixef", "sigma", "nobs", "ngroups", "messages",
#   "fit_gc_max_mb" (R heap high-water mark during lmer(): Ncells + Vcells "max used" after
#   gc(reset = TRUE), in Mb), "peak_rss_mb" (VmHWM of the R process from /proc/self/status; NA
#   elsewhere), "R", "lme4", "blas"}; glmer adds "fixef_se" (feval is the last optimizer's count:
#   glmer does not keep the nAGQ = 0 stage's).
# Elapsed times are proc.time() "elapsed" seconds (fit_cpu_s: the fit's user + system CPU seconds); fit_s covers the lmer() / glmer() call only (model
# frame, Z, optimization, for glmer the Hessian, and the final fit object), read_s covers read.csv +
# factor conversion.
suppressMessages({ library(lme4); library(jsonlite) })

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 3) {
  cat("usage: Rscript bench/lme4.R DATA.csv FORMULA REML [FACTORS] [default|tight] [gaussian|binomial|poisson]\n", file = stderr())
  quit(status = 2)
}
path <- args[1]
fo <- as.formula(args[2])
reml <- as.logical(args[3])
if (is.na(reml)) stop("REML must be TRUE or FALSE")
factors <- if (length(args) >= 4 && nzchar(args[4])) strsplit(args[4], ",", fixed = TRUE)[[1]] else character(0)
control <- if (length(args) >= 5 && nzchar(args[5])) args[5] else "default"
family <- if (length(args) >= 6 && nzchar(args[6])) args[6] else "gaussian"
if (!family %in% c("gaussian", "binomial", "poisson")) stop(sprintf("unknown family '%s' (gaussian|binomial|poisson)", family))
glmm <- family != "gaussian"

peak_rss_mb <- function() {
  st <- tryCatch(readLines("/proc/self/status"), error = function(e) character(0))
  hwm <- grep("^VmHWM:", st, value = TRUE)
  if (length(hwm) == 0) return(NA_real_)
  as.numeric(gsub("[^0-9]", "", hwm)) / 1024  # kB -> MiB
}

t0 <- proc.time()[["elapsed"]]
d <- read.csv(path, stringsAsFactors = TRUE)
for (f in factors) {
  if (!f %in% names(d)) stop(sprintf("factor column '%s' not in %s", f, path))
  d[[f]] <- factor(d[[f]])
}
read_s <- proc.time()[["elapsed"]] - t0

ctrl <- if (glmm) {
  if (control != "default") stop("glmer runs with the default glmerControl() only")
  glmerControl()
} else switch(control,
  default = lmerControl(),
  tight = lmerControl(optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12)),
  stop(sprintf("unknown control '%s' (default|tight)", control)))

invisible(gc(reset = TRUE))
pt1 <- proc.time()
t1 <- pt1[["elapsed"]]
m <- if (glmm) {
  lme4::glmer(fo, data = d, family = get(family, mode = "function"), nAGQ = 1L, control = ctrl)
} else {
  lme4::lmer(fo, data = d, REML = reml, control = ctrl)
}
pt2 <- proc.time()
fit_s <- pt2[["elapsed"]] - t1
# CPU seconds of the fit (user + system): on a shared machine the comparable figure
fit_cpu_s <- (pt2[["user.self"]] + pt2[["sys.self"]]) - (pt1[["user.self"]] + pt1[["sys.self"]])
g <- gc()
fit_gc_max_mb <- sum(g[, ncol(g)])  # the last column is "max used" in Mb

obj <- if (glmm) -2 * as.numeric(logLik(m)) else if (reml) unname(REMLcrit(m)) else unname(deviance(m))
th <- getME(m, "theta")
msgs <- c(m@optinfo$conv$lme4$messages, m@optinfo$message, unlist(m@optinfo$warnings))
blas <- tryCatch(sessionInfo()$BLAS, error = function(e) NA_character_)

res <- list(
  read_s = read_s,
  fit_s = fit_s,
  fit_cpu_s = fit_cpu_s,
  objective = obj,
  objective_kind = if (glmm) "-2logLik" else if (reml) "REMLcrit" else "deviance",
  family = family,
  theta = I(as.numeric(th)),
  theta_names = I(names(th)),
  feval = m@optinfo$feval,
  fixef = as.list(fixef(m)),
  sigma = sigma(m),
  nobs = nobs(m),
  ngroups = as.list(ngrps(m)),
  control = control,
  messages = I(as.character(msgs)),
  fit_gc_max_mb = fit_gc_max_mb,
  peak_rss_mb = peak_rss_mb(),
  R = R.version.string,
  lme4 = as.character(packageVersion("lme4")),
  blas = if (is.null(blas)) NA_character_ else blas
)
if (glmm) {
  res$fixef_se <- as.list(setNames(sqrt(diag(as.matrix(vcov(m)))), names(fixef(m))))
}
cat(toJSON(res, auto_unbox = TRUE, digits = NA, na = "null"), "\n", sep = "")
