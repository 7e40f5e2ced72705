#!/usr/bin/env Rscript
# lme4's post-fit quantities of the random models, at lme4's own optimum (see test/randomPostfit.test.ts):
#  - lmm:      every case of test/fixtures/random-lmm (test/oracle/randomModels.ts) at the best θ of
#              random_models.R's three fits ("objective_at" in its lme4.json);
#  - weighted: the prior-weighted gaussian cases w… of test/fixtures/random-weighted at the best θ of
#              random_weighted.R's three fits ("at_best");
#  - glmm:     50 cases of test/fixtures/random-glmm (every shape, response, link and nAGQ > 1 among
#              them, then the smallest) at the exact optimum of random_glmms.R (θ, β minimizing the
#              deviance with PIRLS converged), or, where that failed in R, at the glmer fit whose
#              exact deviance is lowest;
#  - negbin:   one case of test/fixtures/random-negbin for each shape, offset and size given or
#              estimated (18) at the exact optimum of random_negbin.R with its size;
#  - frames:   every case of test/oracle/randomFrames.ts that lme4 fits (factor codings, interactions,
#              I(), log(), scale(), offsets, missing values, C and ICU collation, factors in
#              random-effects terms) at the θ of random_frames.R's fit, read as random_frames.R reads
#              them (its CSVs written by test/oracle/exportRandomFrames.ts into DIR);
#  - probes:   hand-picked models on those data with several terms of one grouping factor apart in
#              lme4's order of terms (below), at lme4's own fit.
# Each model is put together at that point with lme4's modular functions, as lmer and glmer do after
# their optimizer: lFormula -> mkLmerDevfun -> devfun(θ) -> mkMerMod, and glFormula -> mkGlmerDevfun
# -> updateGlmerDevfun (nAGQ = 1: the conditional modes do not depend on the quadrature) -> the
# deviance function at (θ, β) with tolPwrss 1e-12, then further glmerLaplace passes until the value
# settles (exact_laplace.R) and, with the weights updated before each, until η settles (below), so
# that the modes are PIRLS's converged ones and not glmer's early stop -> mkMerMod.
# Recorded (13 significant digits):
#   ranef(fit, condVar = TRUE): the modes and attr "postVar" (per term, q × q × levels);
#   condvar_full: per grouping factor with several terms, the full conditional covariance of its
#     levels' effects (all its terms together, q × q per level), σ² Λ (Λᵀ Zᵀ W Z Λ + I)⁻¹ Λᵀ formed
#     densely here from getME's Λ and Z and the (working) weights W: lme4 gives each term's block only;
#   fitted(), residuals(type = "response", "pearson") (lmer; "pearson" only with prior weights:
#     without them it is the response residuals, checked here), and for glmer fitted() (μ),
#     predict(type = "link") (η) and residuals of the types deviance, pearson, working, response;
#   as.data.frame(VarCorr(fit));
#   predict(fit, newdata) (lmer; glmer with type = "link" and "response") on up to 20 rows of the
#     data with the numeric covariates (and the offset's variable) moved, the grouping levels kept,
#     written into the fixture as columns (12 significant digits, read back the same on both sides);
#     also at population level (re.form = NA) and, with a level of g not in the fit on every other
#     row (the first, third, …), with allow.new.levels = TRUE (glmer: type = "response").
# Usage (from the repository root):
#   npx vite-node test/oracle/exportRandomFrames.ts DIR && Rscript test/oracle/random_postfit.R DIR   (about 20 s)
# Writes test/fixtures/random-postfit/lme4.json. A rerun does not give it byte for byte: lme4's numbers
# vary between runs in their last digits (1e-13 to 1e-11 relative at a fixed θ here, with R's
# single-threaded reference BLAS; not traced: presumably Eigen's vectorized sums, whose order can
# depend on the data's memory alignment), up to 1e-9 in the models
# whose x is a calendar year and 5e-5 in the glmer probes' point (glmer's default optimizer takes
# another path); two runs' fixtures passed test/randomPostfit.test.ts.
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
source(file.path(here, "exact_laplace.R"))
fixtures <- normalizePath(file.path(here, "..", "fixtures"))
out_dir <- file.path(fixtures, "random-postfit")
dir.create(out_dir, showWarnings = FALSE)

num <- function(x) I(signif(as.numeric(x), 13))

# the conditional modes and lme4's postVar per grouping factor, with each term's columns
ranef_of <- function(m) {
  r <- ranef(m, condVar = TRUE)
  cnms <- getME(m, "cnms")
  lapply(names(r), function(g) {
    pv <- attr(r[[g]], "postVar")
    terms <- cnms[names(cnms) == g]
    if (!is.list(pv)) pv <- list(pv)
    list(group = g, levels = I(rownames(r[[g]])), cnames = I(colnames(r[[g]])),
         values = lapply(as.list(r[[g]]), num),
         postvar = lapply(seq_along(terms), function(t) list(cnames = I(terms[[t]]), values = num(pv[[t]]))))
  })
}

# per grouping factor with several terms (for one, postVar is all of it): the conditional covariance of each level's effects over all its terms, from
# Var(b | y) = σ² Λ (Λᵀ Zᵀ W Z Λ + I)⁻¹ Λᵀ (W: the prior weights of an LMM, PIRLS's working weights of a GLMM)
condvar_full <- function(m, W, s2) {
  Lambda <- as.matrix(getME(m, "Lambda"))
  Z <- as.matrix(getME(m, "Z"))
  ZL <- Z %*% Lambda
  V <- s2 * Lambda %*% solve(crossprod(ZL * sqrt(W)) + diag(ncol(Z))) %*% t(Lambda)
  cnms <- getME(m, "cnms")
  Gp <- getME(m, "Gp")
  flist <- getME(m, "flist")
  groups <- names(flist)[vapply(names(flist), function(g) sum(names(cnms) == g) > 1, TRUE)]
  lapply(groups, function(g) {
    ts <- which(names(cnms) == g)
    nl <- nlevels(flist[[g]])
    q <- sum(lengths(cnms[ts]))
    vals <- unlist(lapply(seq_len(nl), function(l) {
      idx <- unlist(lapply(ts, function(t) Gp[t] + (l - 1) * length(cnms[[t]]) + seq_along(cnms[[t]])))
      as.numeric(V[idx, idx])
    }))
    list(group = g, q = q, values = num(vals))
  })
}

varcorr_of <- function(m) {
  v <- as.data.frame(VarCorr(m))
  list(grp = I(v$grp), var1 = I(v$var1), var2 = I(v$var2), vcov = num(v$vcov), sdcor = num(v$sdcor))
}

# up to 20 rows of the data, the numeric covariates (and the offset's variable) moved, the levels kept
newdata_of <- function(d, seed) {
  set.seed(seed)
  nd <- d[sort(sample(nrow(d), min(20, nrow(d)))), , drop = FALSE]
  for (v in intersect(c("x", "z", "o"), names(nd))) nd[[v]] <- signif(nd[[v]] + rnorm(nrow(nd), sd = 0.5 * sd(d[[v]])), 12)
  if ("t" %in% names(nd)) nd$t <- signif(nd$t * exp(rnorm(nrow(nd), sd = 0.3)), 12)
  rownames(nd) <- NULL
  nd
}
# the new data with a level of g not in the fit on every other row (the first, third, …)
with_new_level <- function(nd) {
  nd$g <- as.character(nd$g)
  nd$g[seq(1, nrow(nd), by = 2)] <- "Gnew"
  nd
}
newdata_json <- function(nd, fo) lapply(nd[intersect(names(nd), all.vars(fo[[3]]))], function(col) if (is.factor(col)) I(as.character(col)) else I(as.numeric(col)))

# an lmer fit at θ (lme4's parametrization)
lmm_at <- function(fo, d, reml, theta, weighted) {
  lmod <- if (weighted) lFormula(fo, d, REML = reml, weights = .w) else lFormula(fo, d, REML = reml)
  devfun <- do.call(mkLmerDevfun, lmod)
  val <- devfun(theta)
  mkMerMod(environment(devfun), list(par = theta, fval = val, conv = 0, feval = 0, message = ""),
           lmod$reTrms, fr = lmod$fr, mc = call("lmer", formula = fo, REML = reml))
}

# the post-fit quantities of an lmer fit at θ; `newdata`: whether to predict on moved rows of the data
lmm_case <- function(name, formula, reml, theta, d, weighted, newdata = TRUE) {
  if (weighted) d$.w <- d$w
  fo <- as.formula(formula)
  m <- lmm_at(fo, d, reml, theta, weighted)
  W <- if (weighted) model.frame(m)[["(weights)"]] else rep(1, nobs(m))
  # without weights the Pearson residuals are the response residuals (not recorded twice)
  if (!weighted) stopifnot(identical(residuals(m, type = "pearson"), residuals(m, type = "response")))
  nd <- if (newdata) newdata_of(d, 20261205L + as.integer(sub("^[a-z]+", "", name))) else NULL
  list(name = name, formula = formula, reml = reml, weighted = weighted, theta = I(theta),
       criterion = if (reml) REMLcrit(m) else deviance(m), sigma = sigma(m), beta = num(fixef(m)),
       ranef = ranef_of(m), condvar_full = condvar_full(m, W, sigma(m)^2), varcorr = varcorr_of(m),
       fitted = num(fitted(m)), residuals = num(residuals(m, type = "response")),
       pearson = if (weighted) num(residuals(m, type = "pearson")) else NULL,
       newdata = if (newdata) newdata_json(nd, fo), predict = if (newdata) num(predict(m, newdata = nd)),
       predict_population = if (newdata) num(predict(m, newdata = nd, re.form = NA)),
       predict_new_level = if (newdata) num(predict(m, newdata = with_new_level(nd), allow.new.levels = TRUE)))
}

family_of <- function(cs) switch(cs$family, poisson = poisson(), binomial = binomial(link = cs$link),
                                  negative.binomial = MASS::negative.binomial(cs$size))

glmm_case <- function(cs, ref, dir = "random-glmm") {
  d <- read.csv(file.path(fixtures, dir, cs$data), stringsAsFactors = TRUE)
  d$.w <- if (is.null(cs$weights)) rep(1, nrow(d)) else d[[cs$weights]]
  fo <- as.formula(cs$formula)
  exact_ok <- !is.null(ref$exact$theta) && is.null(ref$exact$error)
  pt <- if (exact_ok) list(label = "exact", theta = unlist(ref$exact$theta), beta = unlist(ref$exact$beta)) else {
    runs <- Filter(function(p) p$label != "away", ref$objective_at)
    best <- runs[[which.min(vapply(runs, function(p) p$value, 0))]]
    list(label = best$label, theta = unlist(best$theta), beta = unlist(best$beta))
  }
  glmod <- glFormula(fo, d, family = family_of(cs), weights = .w)
  devfun <- do.call(mkGlmerDevfun, c(glmod, list(control = glmerControl(tolPwrss = 1e-12))))
  devfun(pt$theta)
  devfun <- updateGlmerDevfun(devfun, glmod$reTrms, nAGQ = 1L)
  x <- c(pt$theta, pt$beta)
  val <- exact_devfun(devfun)(x)
  # further passes until η itself settles, each from weights updated at the last μ (glmResp's
  # updateWts, which glmer's deviance function calls after its PIRLS and exact_devfun's glmerLaplace
  # passes do not: their state is the fixed point of the last weights, μ up to 1.5e-10 relative from
  # the mode at nb09, and the weights behind μ by up to 6.6e-6 relative, g071); the deviance settles
  # long before η, since it is stationary at the mode
  rho <- environment(devfun)
  for (k in 1:500) {
    eta0 <- rho$resp$eta + 0  # a copy: the field is a view of the C++ vector
    rho$resp$updateWts()
    val <- .Call(lme4:::glmerLaplace, rho$pp$ptr(), rho$resp$ptr(), 1L, 1e-12, 100L, 0L)
    step <- max(abs(rho$resp$eta - eta0) / pmax(1, abs(eta0)))
    if (step < 1e-14) break
  }
  rho$resp$updateWts()
  passes <- k
  m <- mkMerMod(environment(devfun), list(par = x, fval = val, conv = 0, feval = 0, message = ""),
                glmod$reTrms, fr = glmod$fr, mc = call("glmer", formula = fo, family = family_of(cs)))
  nd <- newdata_of(d, 20260611L + as.integer(sub("^[a-z]+", "", cs$name)))
  # the weights are those of μ̂, as in a glmer fit: residuals(type = "pearson") = (y − μ̂) √(w / V(μ̂))
  r <- m@resp
  stopifnot(max(abs(r$sqrtrwt - sqrt(r$weights / family_of(cs)$variance(r$mu)))) < 1e-12 * max(r$sqrtrwt))
  list(name = cs$name, formula = cs$formula, family = cs$family, link = cs$link, nAGQ = as.integer(cs$nAGQ), size = cs$size,
       weights = cs$weights, point = pt$label, theta = I(pt$theta), beta = I(pt$beta), laplace = val, passes = passes, eta_step = step,
       ranef = ranef_of(m), condvar_full = condvar_full(m, m@resp$sqrtWrkWt()^2, 1), varcorr = varcorr_of(m),
       fitted = num(fitted(m)), eta = num(predict(m, type = "link")),
       residuals = lapply(c(deviance = "deviance", pearson = "pearson", working = "working", response = "response"),
                          function(type) num(residuals(m, type = type))),
       newdata = newdata_json(nd, fo),
       predict_link = num(predict(m, newdata = nd, type = "link")),
       predict_response = num(predict(m, newdata = nd, type = "response")),
       predict_population = num(predict(m, newdata = nd, re.form = NA, type = "response")),
       predict_new_level = num(predict(m, newdata = with_new_level(nd), allow.new.levels = TRUE, type = "response")))
}

# ---- LMMs -------------------------------------------------------------------------------------
lmm_index <- fromJSON(file.path(fixtures, "random-lmm", "cases.json"), simplifyVector = FALSE)
lmm_ref <- fromJSON(file.path(fixtures, "random-lmm", "lme4.json"), simplifyVector = FALSE)
read_data <- function(file) read.csv(file, stringsAsFactors = TRUE)
lmm <- lapply(lmm_ref$cases, function(r) lmm_case(r$name, r$formula, isTRUE(r$reml), unlist(r$objective_at$theta),
                                                  read_data(file.path(fixtures, "random-lmm", paste0(r$name, ".csv"))), FALSE))
cat(length(lmm), "random-lmm cases\n")

w_index <- fromJSON(file.path(fixtures, "random-weighted", "cases.json"), simplifyVector = FALSE)
w_ref <- fromJSON(file.path(fixtures, "random-weighted", "lme4.json"), simplifyVector = FALSE)
w_cases <- Filter(function(cs) startsWith(cs$name, "w"), w_index$cases)
weighted <- lapply(w_cases, function(cs) {
  r <- Find(function(x) x$name == cs$name, w_ref$cases)
  lmm_case(cs$name, cs$formula, isTRUE(cs$reml), unlist(r$at_best$theta), read_data(file.path(fixtures, "random-weighted", cs$data)), TRUE)
})
cat(length(weighted), "random-weighted cases\n")

# the random frames, read as random_frames.R reads them (predict on their new data is in its audit)
frames_dir <- commandArgs(trailingOnly = TRUE)[1]
if (is.na(frames_dir)) stop("usage: Rscript test/oracle/random_postfit.R DIR (DIR: the CSVs of test/oracle/exportRandomFrames.ts)")
f_index <- fromJSON(file.path(frames_dir, "cases.json"), simplifyVector = FALSE)
f_ref <- fromJSON(file.path(fixtures, "random-frame", "lme4.json"), simplifyVector = FALSE)
frames <- lapply(Filter(function(r) is.null(r$error), f_ref$cases), function(r) {
  cs <- Find(function(x) x$name == r$name, f_index$cases)
  invisible(Sys.setlocale("LC_COLLATE", if (identical(cs$levelOrder, "C")) "C" else "C.UTF-8"))
  d <- read.csv(file.path(frames_dir, paste0(cs$name, ".csv")), stringsAsFactors = TRUE, encoding = "UTF-8")
  for (f in unlist(cs$factors)) d[[f]] <- factor(d[[f]])
  lmm_case(r$name, r$formula, isTRUE(r$reml), unlist(r$theta), d, FALSE, newdata = FALSE)
})
invisible(Sys.setlocale("LC_COLLATE", "C.UTF-8"))
cat(length(frames), "random-frame cases\n")

# ---- GLMMs: 50 cases, every (shape, response, link, nAGQ > 1) among them, then the smallest ------
g_index <- fromJSON(file.path(fixtures, "random-glmm", "cases.json"), simplifyVector = FALSE)
g_ref <- fromJSON(file.path(fixtures, "random-glmm", "glmer.json"), simplifyVector = FALSE)
key <- vapply(g_index$cases, function(cs) paste(cs$shape, cs$response, cs$link, cs$nAGQ > 1), "")
pick <- which(!duplicated(key))
rest <- setdiff(order(vapply(g_index$cases, function(cs) cs$nobs, 0)), pick)
pick <- sort(c(pick, head(rest, 50 - length(pick))))
glmm <- lapply(g_index$cases[pick], function(cs) glmm_case(cs, Find(function(x) x$name == cs$name, g_ref$cases)))
cat(length(glmm), "random-glmm cases\n")

# ---- negative binomial GLMMs: one case of each (shape, size given or estimated, offset), at the exact
# optimum of random_negbin.R with its size (the estimated size's profile minimum where estimated) ----
nb_index <- fromJSON(file.path(fixtures, "random-negbin", "cases.json"), simplifyVector = FALSE)
nb_ref <- fromJSON(file.path(fixtures, "random-negbin", "glmer.json"), simplifyVector = FALSE)
nb_key <- vapply(nb_index$cases, function(cs) paste(cs$shape, is.null(cs$theta), cs$offset), "")
negbin <- lapply(nb_index$cases[!duplicated(nb_key)], function(cs) {
  r <- Find(function(x) x$name == cs$name, nb_ref$cases)
  stopifnot(!is.null(r$exact$theta))
  glmm_case(list(name = cs$name, formula = cs$formula, family = "negative.binomial", link = "log", nAGQ = 1L,
                 weights = NULL, data = cs$data, size = r$exact$size), r, "random-negbin")
})
cat(length(negbin), "random-negbin cases\n")

# ---- probes: several terms of one grouping factor apart in lme4's order of terms (sorted by the
# number of levels: r010's h has more levels than g, r112's g more than h; g035's g more than h), at
# lme4's fit (lmer to TIGHT_LMER; glmer's default fit, then PIRLS converged at its (θ, β)) ----------
probe_lmm <- list(
  list(name = "p01", data = "r010", formula = "y ~ x + (1 | g) + (1 | h) + (0 + x | g)", reml = TRUE),
  list(name = "p02", data = "r010", formula = "y ~ x + (0 + x | g) + (1 | h) + (1 | g)", reml = FALSE),
  list(name = "p03", data = "r010", formula = "y ~ x + z + (z | g) + (0 + x | g) + (x || h)", reml = TRUE),
  list(name = "p04", data = "r112", formula = "y ~ x + (0 + x | h) + (1 | g) + (1 | h)", reml = TRUE),
  list(name = "p05", data = "r112", formula = "y ~ x + z + (1 | g) + (0 + z | h) + (0 + x + z || g)", reml = FALSE))
probes <- lapply(probe_lmm, function(p) {
  d <- read_data(file.path(fixtures, "random-lmm", paste0(p$data, ".csv")))
  fit <- suppressMessages(suppressWarnings(lmer(as.formula(p$formula), d, REML = p$reml, control = lmerControl(optCtrl = TIGHT_LMER))))
  c(lmm_case(p$name, p$formula, p$reml, as.numeric(getME(fit, "theta")), d, FALSE), list(data = p$data))
})
probe_glmm <- list(
  list(name = "p06", data = "g035", formula = "y ~ x + (1 | g) + (1 | h) + (0 + x | g)"),
  list(name = "p07", data = "g035", formula = "y ~ x + (0 + x | h) + (x || g)"))
probes_glmm <- lapply(probe_glmm, function(p) {
  cs <- list(name = p$name, formula = p$formula, family = "poisson", link = "log", nAGQ = 1L, weights = NULL, data = paste0(p$data, ".csv"))
  d <- read_data(file.path(fixtures, "random-glmm", cs$data))
  fit <- suppressMessages(suppressWarnings(glmer(as.formula(p$formula), d, family = poisson)))
  pt <- list(exact = list(theta = as.list(getME(fit, "theta")), beta = as.list(fixef(fit))))
  c(modifyList(glmm_case(cs, pt), list(point = "glmer's default fit")), list(data = p$data))
})
cat(length(probes), "+", length(probes_glmm), "probes\n")

ref <- list(R = R.version.string, lme4 = as.character(packageVersion("lme4")), lmm = lmm, weighted = weighted, frames = frames, glmm = glmm, negbin = negbin,
            probes = probes, probes_glmm = probes_glmm)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = FALSE), file.path(out_dir, "lme4.json"))
cat("written to", file.path(out_dir, "lme4.json"), "\n")
