#!/usr/bin/env Rscript
# Reference fits from R's lme4 (and lmerTest, metafor, blme) for parity tests.
# Usage: Rscript lme4_reference.R CASES.json OUTDIR
# Each case: {"name", "data" (csv path, relative to CASES.json), "formula", "reml" (bool),
#             "family" ("gaussian"|"binomial"|"poisson"), "weights" (column, optional),
#             "kind" ("lmer"|"glmer"|"rma"|"blmer", default by family),
#             "tight" (bool, optional: run the optimizer to tight tolerances, see below)}
# Copied from shared/oracle; the one change is the "tight" option: lme4's default nloptwrap stopping
# rule (ftol_abs 1e-6, xtol_abs 1e-6 on the BOBYQA step) stops short of the optimum on flat ridges
# (Penicillin's sample SD, InstEval's dept:service SD), so tight cases rerun it with ftol_abs 1e-12,
# ftol_rel 1e-15, xtol_abs 1e-10, xtol_rel 1e-12.
# Needs: apt-get install r-cran-lme4 r-cran-lmertest r-cran-jsonlite r-cran-metafor r-cran-blme
suppressMessages({
  library(lme4); library(jsonlite); library(lmerTest, warn.conflicts = FALSE)
})
args <- commandArgs(trailingOnly = TRUE)
cases <- fromJSON(args[1], simplifyVector = FALSE)
base <- dirname(args[1]); out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)

named <- function(v) as.list(setNames(as.numeric(v), names(v)))

varcorr_rows <- function(m) {
  vc <- as.data.frame(VarCorr(m))
  lapply(seq_len(nrow(vc)), function(i) list(
    group = vc$grp[i], var1 = if (is.na(vc$var1[i])) NULL else vc$var1[i],
    var2 = if (is.na(vc$var2[i])) NULL else vc$var2[i],
    vcov = vc$vcov[i], sdcor = vc$sdcor[i]))
}

ranef_list <- function(m) {
  re <- ranef(m, condVar = TRUE)
  lapply(names(re), function(g) {
    d <- re[[g]]; pv <- attr(d, "postVar")
    sds <- tryCatch(if (!is.null(pv) && length(dim(pv)) == 3)
      lapply(seq_len(ncol(d)), function(j) sqrt(pv[j, j, ])) else NULL, error = function(e) NULL)
    if (!is.null(sds)) names(sds) <- colnames(d)
    list(group = g, levels = rownames(d),
         values = lapply(as.list(d), as.numeric), condsd = sds)
  })
}

fit_case <- function(cs) {
  d <- read.csv(file.path(base, cs$data), stringsAsFactors = TRUE)
  for (f in unlist(cs$factors)) d[[f]] <- factor(d[[f]])
  fam <- if (is.null(cs$family)) "gaussian" else cs$family
  kind <- if (!is.null(cs$kind)) cs$kind else if (fam == "gaussian") "lmer" else "glmer"
  reml <- if (is.null(cs$reml)) TRUE else isTRUE(cs$reml)
  fo <- as.formula(cs$formula)
  res <- list(name = cs$name, data = cs$data, formula = cs$formula, family = fam,
              kind = kind, reml = reml, R = R.version.string,
              lme4 = as.character(packageVersion("lme4")))
  if (kind == "rma") {
    suppressMessages(library(metafor))
    t0 <- proc.time()[["elapsed"]]
    r <- rma(yi = d[[cs$yi]], vi = d[[cs$vi]], method = "REML")
    res$time_s <- proc.time()[["elapsed"]] - t0
    res$metafor <- as.character(packageVersion("metafor"))
    res$mu <- as.numeric(r$beta); res$se <- r$se; res$tau2 <- r$tau2; res$se_tau2 <- r$se.tau2
    res$I2 <- r$I2; res$H2 <- r$H2; res$QE <- r$QE; res$QEp <- r$QEp
    res$ci <- c(r$ci.lb, r$ci.ub); res$loglik_reml <- as.numeric(logLik(r))
    p <- predict(r); res$pi <- c(p$pi.lb, p$pi.ub)
    res$blup <- as.numeric(blup(r)$pred)
    return(res)
  }
  w <- if (!is.null(cs$weights)) d[[cs$weights]] else NULL
  d$.w <- if (is.null(w)) rep(1, nrow(d)) else w
  t0 <- proc.time()[["elapsed"]]
  tight <- isTRUE(cs$tight)
  ctrl <- if (tight) lmerControl(optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12)) else lmerControl()
  res$tight <- tight
  m <- switch(kind,
    lmer = lme4::lmer(fo, data = d, REML = reml, weights = .w, control = ctrl),
    blmer = { suppressMessages(library(blme)); blme::blmer(fo, data = d, REML = reml, weights = .w) },
    glmer = lme4::glmer(fo, data = d, family = fam, weights = .w,
                        nAGQ = if (is.null(cs$nAGQ)) 1 else cs$nAGQ))
  res$time_s <- proc.time()[["elapsed"]] - t0
  res$nobs <- nobs(m)
  res$ngroups <- as.list(ngrps(m))
  res$theta <- I(as.numeric(getME(m, "theta"))); res$theta_names <- I(names(getME(m, "theta")))
  res$sigma <- sigma(m)
  res$fixef <- named(fixef(m))
  res$vcov <- unname(as.matrix(vcov(m)))
  res$se <- named(sqrt(diag(as.matrix(vcov(m)))))
  res$varcorr <- varcorr_rows(m)
  res$loglik <- as.numeric(logLik(m)); res$df <- attr(logLik(m), "df")
  res$aic <- AIC(m); res$bic <- BIC(m)
  if (kind != "glmer" && reml) res$remlcrit <- REMLcrit(m) else res$deviance <- deviance(m)
  if (kind == "glmer") res$deviance_laplace <- as.numeric(-2 * logLik(m))
  res$singular <- isSingular(m)
  res$ranef <- ranef_list(m)
  n <- min(nrow(d), 20)
  res$fitted_head <- as.numeric(fitted(m))[1:n]
  res$resid_head <- as.numeric(residuals(m))[1:n]
  res$optimizer <- m@optinfo$optimizer; res$feval <- m@optinfo$feval
  res$messages <- unlist(m@optinfo$conv$lme4$messages)
  if (kind == "lmer") {
    # the profiled objective at fixed theta: optimizer-independent golden values
    dev <- lme4::lmer(fo, data = d, REML = reml, weights = .w, devFunOnly = TRUE)
    th <- res$theta; lw <- getME(m, "lower")
    pts <- list(th, pmax(lw, th * 0.5), pmax(lw, th + 0.25))
    res$objective_at <- lapply(pts, function(t) list(theta = I(t), value = dev(t)))
    s <- tryCatch(summary(lmerTest::as_lmerModLmerTest(m))$coefficients, error = function(e) NULL)
    if (!is.null(s)) res$satterthwaite <- list(df = named(s[, "df"]), p = named(s[, "Pr(>|t|)"]))
  }
  res
}

for (cs in cases) {
  r <- tryCatch(fit_case(cs), error = function(e) list(name = cs$name, error = conditionMessage(e)))
  writeLines(toJSON(r, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
             file.path(out, paste0(cs$name, ".json")))
  cat(cs$name, if (!is.null(r$error)) paste("ERROR", r$error) else sprintf("%.2fs", r$time_s), "\n")
}
