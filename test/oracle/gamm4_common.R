# Shared by test/oracle/gamm4_by.R and test/oracle/gamm4_bases.R (each sources it): the matrices as JSON-ready
# arrays, the patch of mgcv's nat.param (t2's margins) whose eigenvectors' signs and two-dimensional null basis
# are fixed as src/smooth/t2Smooth.ts fixes them, the tight lmer/glmer controls, and a case's JSON record.
mat <- function(m) unname(as.matrix(m))
stockNatParam <- mgcv:::nat.param
canonicalEigen <- function(x, symmetric = TRUE, ...) {
  er <- base::eigen(x, symmetric = symmetric, ...)
  k <- ncol(x)
  # each eigenvector's largest entry (the first within 1e-8 of it: a ps margin's antisymmetric eigenvectors have two
  # of equal size) positive
  for (j in seq_len(k)) { v <- er$vectors[, j]; if (v[which(abs(v) >= max(abs(v)) * (1 - 1e-8))[1]] < 0) er$vectors[, j] <- -v }
  small <- abs(er$values) < max(abs(er$values)) * 1e-10
  if (k > 2 && sum(small) == 2 && all(small[(k - 1):k])) {
    N <- er$vectors[, (k - 1):k]
    PN <- N %*% t(N)
    v1 <- as.numeric(PN %*% rep(1, k)); v1 <- v1 / sqrt(sum(v1^2))
    w <- as.numeric(PN %*% ((0:(k - 1)) - (k - 1) / 2))
    v2 <- w - sum(v1 * w) * v1; v2 <- v2 / sqrt(sum(v2^2))
    er$vectors[, k - 1] <- v1; er$vectors[, k] <- v2
  }
  er
}
patchedNatParam <- stockNatParam
environment(patchedNatParam) <- list2env(list(eigen = canonicalEigen), parent = asNamespace("mgcv"))
usePatch <- function(on) assignInNamespace("nat.param", if (on) patchedNatParam else stockNatParam, "mgcv")
ctrl <- lmerControl(optCtrl = list(xtol_rel = 1e-12, ftol_abs = 1e-14, ftol_rel = 1e-14, maxeval = 1e5))
gctrl <- glmerControl(tolPwrss = 1e-13, optCtrl = list(rhoend = 1e-12, FtolAbs = 1e-15, FtolRel = 1e-15, XtolRel = 1e-12, maxfun = 1e5))

# A case's record: the mer (θ, σ, the criterion at the optimum and lme4's devfun at θ, β, VarCorr), the gam
# (coefficients, Vp, edf, the summary's tables), the smooths' records `sms`, and predictions at `newdata` with SEs.
gammRecord <- function(name, formula, patched, random, family, data, mer, theta, crit, at, gam, sms, newdata) {
  st <- summary(gam)
  pr <- predict(gam, newdata = newdata, se.fit = TRUE)
  vc <- as.data.frame(VarCorr(mer))
  list(
    name = name, formula = formula, patched = patched, random = random, family = if (is.null(family)) "gaussian" else family, n = nrow(data),
    mer = list(theta = as.numeric(theta), sigma = sigma(mer), criterion = crit, criterion_at_theta = at,
               beta = as.numeric(fixef(mer)), fixef_names = names(fixef(mer)), varcorr = list(grp = vc$grp, sdcor = vc$sdcor)),
    gam = list(coefficients = as.numeric(gam$coefficients), names = names(gam$coefficients),
               Vp = mat(gam$Vp), edf = as.numeric(gam$edf), sig2 = gam$sig2, sp = as.numeric(gam$sp), sp_names = names(gam$sp),
               fitted = as.numeric(gam$fitted.values), linear_predictors = as.numeric(gam$linear.predictors),
               p_table = list(names = rownames(st$p.table), estimate = st$p.table[, 1], se = st$p.table[, 2],
                              stat = st$p.table[, 3], p = st$p.table[, 4]),
               s_table = list(names = rownames(st$s.table), edf = st$s.table[, 1], ref_df = st$s.table[, 2],
                              stat = st$s.table[, 3], p = st$s.table[, 4]),
               r_sq = st$r.sq),
    smooths = sms,
    newdata = as.list(newdata),
    predict = list(fit = as.numeric(pr$fit), se = as.numeric(pr$se.fit))
  )
}
