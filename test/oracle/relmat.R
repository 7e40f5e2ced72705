#!/usr/bin/env Rscript
# lme4 references for random effects with a known covariance matrix K (test/relmat*.test.ts):
#   b ~ N(0, sigma_b^2 K), K = L L' (L lower triangular): the model is fitted as an ordinary mixed
#   model with Z L in place of Z (lme4's modular functions: lFormula -> reTrms$Zt replaced by
#   t(L) %*% Zt -> mkLmerDevfun -> optimizeLmer -> mkMerMod, as pedigreemm and lme4qtl do), and
#   the conditional modes are reported on the original scale, b = L u'.
# Cases:
#   phylogeny: ape::rcoal(40) written as Newick and read back; K = vcv(tree, corr = TRUE);
#              y ~ x + (1 | species) (REML and ML) and y ~ x + (x | species) (K (x) Sigma);
#              a Poisson GLMM count ~ x + (1 | species) (glFormula -> mkGlmerDevfun -> two stages).
#   pedigree:  a simulated 4-generation pedigree with unknown parents and inbreeding; A by the
#              tabular method (below); records on generations 1-3 only (the founders have none);
#              y ~ x + (1 | animal) and y ~ x + (1 | animal) + (1 | herd).
#   phyloVcv:  ape::vcv (corr = TRUE and FALSE) of the rcoal tree, a non-ultrametric rtree and a
#              hand-written Newick string with internal labels, quoted names and a comment.
# Every LMM is also checked against a dense evaluation of the profiled criterion from V = Z K Z'
# (stopifnot to 1e-8), independent of the Z L construction.
# Usage (from the repository root): Rscript test/oracle/relmat.R
# Writes test/fixtures/relmat/*.{csv,nwk,json}.
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
source(file.path(here, "exact_laplace.R"))
suppressMessages(library(ape))
out <- file.path(root, "test/fixtures/relmat")
dir.create(out, showWarnings = FALSE, recursive = TRUE)

# ---- K -> Z L ------------------------------------------------------------------------------------
# Replaces the rows of Zt of each term whose grouping factor has a known K by (L (x) I_q)' Zt.
relmat_factors <- function(reTrms, relmats) {
  Ls <- list()
  for (i in seq_along(reTrms$cnms)) {
    g <- names(reTrms$cnms)[i]
    if (!g %in% names(relmats)) next
    q <- length(reTrms$cnms[[i]])
    lev <- levels(reTrms$flist[[g]])
    L <- t(chol(relmats[[g]][lev, lev]))
    Ls[[length(Ls) + 1]] <- list(term = i, group = g, q = q, levels = lev, L = L,
                                 rows = (reTrms$Gp[i] + 1):reTrms$Gp[i + 1], Lq = kronecker(L, diag(q)))
  }
  Ls
}
apply_relmat <- function(reTrms, Ls) {
  Zt <- reTrms$Zt
  for (f in Ls) Zt[f$rows, ] <- t(f$Lq) %*% Zt[f$rows, ]
  reTrms$Zt <- Zt
  reTrms
}
# B = blockdiag over terms: L (x) I_q for relmat terms, I otherwise (b = B b')
b_map <- function(reTrms, Ls) {
  B <- diag(nrow(reTrms$Zt))
  for (f in Ls) B[f$rows, f$rows] <- f$Lq
  B
}


# conditional modes and SDs on the original scale, per term: b = B b', Var(b | y) = B Var(b' | y) B'
# with Var(b' | y) = s^2 Lambda (Lambda' Z'' Z' Lambda + I)^-1 Lambda' (lme4's condVar, given beta-hat)
modes_original <- function(m, reTrms, Ls, s2) {
  Lam <- as.matrix(getME(m, "Lambda")); Zp <- as.matrix(getME(m, "Z"))
  Vp <- s2 * Lam %*% solve(t(Lam) %*% crossprod(Zp) %*% Lam + diag(ncol(Lam))) %*% t(Lam)
  B <- b_map(reTrms, Ls)
  b <- as.numeric(B %*% getME(m, "b"))
  V <- B %*% Vp %*% t(B)
  lapply(seq_along(reTrms$cnms), function(i) {
    g <- names(reTrms$cnms)[i]; cn <- reTrms$cnms[[i]]; q <- length(cn)
    rows <- (reTrms$Gp[i] + 1):reTrms$Gp[i + 1]
    vals <- lapply(seq_len(q), function(j) b[rows[seq(j, length(rows), by = q)]]); names(vals) <- cn
    sds <- lapply(seq_len(q), function(j) { r <- rows[seq(j, length(rows), by = q)]; sqrt(diag(V)[r]) }); names(sds) <- cn
    list(group = g, levels = levels(reTrms$flist[[g]]), values = vals, condsd = sds)
  })
}

# the profiled REML/ML criterion at theta from V = s^2 (Z (Lambda Lambda') Z' + I), dense
# (theta scalar per term only; used as an independent check of the Z L construction)
dense_criterion <- function(y, X, Zlist, Klist, theta, REML) {
  n <- length(y); p <- ncol(X)
  V0 <- diag(n)
  for (k in seq_along(Zlist)) V0 <- V0 + theta[k]^2 * Zlist[[k]] %*% Klist[[k]] %*% t(Zlist[[k]])
  R <- chol(V0)
  Xs <- backsolve(R, X, transpose = TRUE); ys <- backsolve(R, y, transpose = TRUE)
  beta <- qr.solve(Xs, ys); r2 <- sum((ys - Xs %*% beta)^2)
  ld <- 2 * sum(log(diag(R)))
  if (REML) ld + 2 * sum(log(abs(diag(qr.R(qr(Xs)))))) + (n - p) * (1 + log(2 * pi * r2 / (n - p)))
  else ld + n * (1 + log(2 * pi * r2 / n))
}

fit_lmm_case <- function(name, formula, data, relmats, REML, extra = list(), dense = NULL) {
  fo <- as.formula(formula)
  lf <- lFormula(fo, data = data, REML = REML)
  Ls <- relmat_factors(lf$reTrms, relmats)
  lf$reTrms <- apply_relmat(lf$reTrms, Ls)
  # lme4's default optimizer, then the same objective to tight tolerances
  dev_default <- do.call(mkLmerDevfun, lf)
  opt_default <- optimizeLmer(dev_default)
  devfun <- do.call(mkLmerDevfun, lf)
  t0 <- proc.time()[["elapsed"]]
  opt <- optimizeLmer(devfun, optimizer = "nloptwrap", control = TIGHT_LMER)
  m <- mkMerMod(environment(devfun), opt, lf$reTrms, fr = lf$fr)
  th <- as.numeric(getME(m, "theta"))
  s2 <- sigma(m)^2
  res <- c(list(name = name, formula = formula, reml = REML, R = R.version.string,
                lme4 = as.character(packageVersion("lme4")), ape = as.character(packageVersion("ape")),
                time_s = proc.time()[["elapsed"]] - t0,
                method = "lFormula; reTrms$Zt <- t(L (x) I_q) %*% Zt; mkLmerDevfun; optimizeLmer(nloptwrap, ftol_abs 1e-12, xtol_abs 1e-10); mkMerMod"),
           extra)
  res$default_fit <- list(criterion = opt_default$fval, theta = I(as.numeric(opt_default$par)))
  res$nobs <- nobs(m)
  res$ngroups <- as.list(sapply(lf$reTrms$flist, nlevels))
  res$theta <- I(th); res$theta_names <- I(names(getME(m, "theta")))
  res$sigma <- sigma(m)
  res$fixef <- named(fixef(m))
  res$vcov <- unname(as.matrix(vcov(m)))
  res$se <- named(sqrt(diag(as.matrix(vcov(m)))))
  res$varcorr <- varcorr_rows(m)
  res$criterion <- opt$fval
  ll <- logLik(m)
  res$loglik <- as.numeric(ll); res$df <- attr(ll, "df")
  res$aic <- AIC(m); res$bic <- BIC(m)
  res$ranef <- modes_original(m, lf$reTrms, Ls, s2)
  res$fitted_head <- as.numeric(fitted(m))[1:20]
  pts <- list(th, th * 0.5, th * 1.5 + 0.1)
  res$objective_at <- lapply(pts, function(t) list(theta = I(t), value = devfun(t)))
  devfun(th) # the fit's state (pp is shared with m) back at the optimum
  if (!is.null(dense)) {
    # an independent dense evaluation at the three points
    y <- model.response(lf$fr); X <- lf$X
    Zl <- lapply(dense$groups, function(g) { f <- lf$fr[[g]]; Matrix::t(as(factor(f), "sparseMatrix")) |> as.matrix() })
    Kl <- lapply(dense$groups, function(g) { lev <- levels(lf$fr[[g]]); if (g %in% names(relmats)) relmats[[g]][lev, lev] else diag(length(lev)) })
    dv <- sapply(pts, function(t) dense_criterion(y, X, Zl, Kl, t, REML))
    stopifnot(max(abs(dv - sapply(res$objective_at, `[[`, "value"))) < 1e-8)
    res$dense_check <- I(dv)
  }
  # heritability for one scalar relmat term: sigma_b^2 / (sigma_b^2 + sigma^2)
  if (length(th) == 1) res$heritability <- th^2 * s2 / (th^2 * s2 + s2)
  list(res = res, m = m, lf = lf, Ls = Ls)
}

fit_glmm_case <- function(name, formula, data, relmats, family, extra = list()) {
  fo <- as.formula(formula)
  gf <- glFormula(fo, data = data, family = family)
  Ls <- relmat_factors(gf$reTrms, relmats)
  gf$reTrms <- apply_relmat(gf$reTrms, Ls)
  t0 <- proc.time()[["elapsed"]]
  dev <- do.call(mkGlmerDevfun, c(gf, list(nAGQ = 0L)))
  opt1 <- optimizeGlmer(dev, stage = 1)
  dev <- updateGlmerDevfun(dev, gf$reTrms, nAGQ = 1L)
  opt2 <- optimizeGlmer(dev, stage = 2)
  m <- mkMerMod(environment(dev), opt2, gf$reTrms, fr = gf$fr)
  nth <- length(getME(m, "theta"))
  # exact Laplace deviance (PIRLS converged) and its tight optimum
  gfx <- gf
  devx <- do.call(mkGlmerDevfun, c(gfx, list(nAGQ = 0L, control = glmerControl(tolPwrss = 1e-12))))
  optimizeGlmer(devx, stage = 1)
  exact0 <- exact_devfun(devx, 0L)
  th1 <- as.numeric(getME(m, "theta"))
  obj0 <- lapply(list(th1, th1 * 0.5, th1 + 0.5), function(t) list(theta = I(t), value = exact0(t)))
  devx <- updateGlmerDevfun(devx, gfx$reTrms, nAGQ = 1L)
  exact <- exact_devfun(devx, 1L)
  xo <- exact_optimum(exact, as.numeric(getME(m, "theta")), as.numeric(fixef(m)), getME(m, "lower"))
  res <- c(list(name = name, formula = formula, family = family$family, link = family$link, R = R.version.string,
                lme4 = as.character(packageVersion("lme4")), time_s = proc.time()[["elapsed"]] - t0,
                method = "glFormula; reTrms$Zt <- t(L) %*% Zt; mkGlmerDevfun(nAGQ = 0); optimizeGlmer stage 1; updateGlmerDevfun; stage 2; mkMerMod; then the exact Laplace deviance (exact_laplace.R) optimized by nloptwrap to ftol_abs 1e-13"),
           extra)
  res$default_fit <- list(deviance_laplace = as.numeric(-2 * logLik(m)), theta = I(as.numeric(getME(m, "theta"))),
                          fixef = named(fixef(m)), se = named(sqrt(diag(as.matrix(vcov(m))))))
  res$nobs <- nobs(m)
  res$theta <- I(xo$theta); res$theta_names <- I(names(getME(m, "theta")))
  res$fixef <- as.list(setNames(xo$beta, names(fixef(m))))
  res$vcov <- xo$vcov
  res$se <- as.list(setNames(sqrt(diag(xo$vcov)), names(fixef(m))))
  res$deviance_laplace <- xo$value
  res$loglik <- -xo$value / 2; res$df <- nth + length(fixef(m))
  res$aic <- xo$value + 2 * res$df
  # conditional modes on the original scale at the exact optimum (the deviance function's state)
  exact(c(xo$theta, xo$beta))
  rho <- environment(devx)
  bprime <- as.numeric(rho$pp$b(1))
  B <- b_map(gf$reTrms, Ls)
  b <- as.numeric(B %*% bprime)
  res$ranef <- lapply(seq_along(gf$reTrms$cnms), function(i) {
    g <- names(gf$reTrms$cnms)[i]; rows <- (gf$reTrms$Gp[i] + 1):gf$reTrms$Gp[i + 1]
    list(group = g, levels = levels(gf$reTrms$flist[[g]]), values = list(`(Intercept)` = b[rows]))
  })
  th <- xo$theta; be <- xo$beta
  pts <- list(c(th, be), c(th * 0.8, be + 0.1), c(th + 0.3, be - 0.05 * seq_along(be)))
  res$objective_at <- lapply(pts, function(x) list(theta = I(x[seq_len(nth)]), beta = I(x[-seq_len(nth)]), value = exact(x)))
  res$objective0_at <- obj0
  res
}

# ---- phylogeny -----------------------------------------------------------------------------------
set.seed(20240613)
ns <- 40
newick <- write.tree(rcoal(ns))
tree <- read.tree(text = newick)        # the tree as the Newick text gives it (10 significant digits)
writeLines(newick, file.path(out, "phylo_tree.nwk"))
K <- vcv(tree, corr = TRUE)
sp <- sort(tree$tip.label)
Kcsv <- data.frame(species = sp, K[sp, sp], check.names = FALSE)
write.csv(Kcsv, file.path(out, "phylo_K.csv"), row.names = FALSE)
nobs_sp <- sample(2:8, ns, replace = TRUE)
species <- rep(tree$tip.label, nobs_sp)
n <- length(species)
Lk <- t(chol(K[tree$tip.label, tree$tip.label]))
b0 <- setNames(sqrt(1.5) * as.numeric(Lk %*% rnorm(ns)), tree$tip.label)
b1 <- setNames(0.5 * as.numeric(Lk %*% rnorm(ns)), tree$tip.label)
x <- round(rnorm(n), 4)
y <- round(2 + 0.7 * x + b0[species] + b1[species] * x + rnorm(n), 4)
count <- rpois(n, exp(0.3 + 0.4 * x + 0.6 * b0[species]))
phylo <- data.frame(species = species, x = x, y = y, count = count)
write.csv(phylo, file.path(out, "phylo_data.csv"), row.names = FALSE)
phylo$species <- factor(phylo$species)
extra_phylo <- list(data = "phylo_data.csv", relmat = list(group = "species", kind = "phylo", newick = "phylo_tree.nwk", K = "phylo_K.csv"))
cases <- list(
  fit_lmm_case("phylo_reml", "y ~ x + (1 | species)", phylo, list(species = K), TRUE, extra_phylo, dense = list(groups = "species")),
  fit_lmm_case("phylo_ml", "y ~ x + (1 | species)", phylo, list(species = K), FALSE, extra_phylo, dense = list(groups = "species")),
  fit_lmm_case("phylo_slopes_reml", "y ~ x + (x | species)", phylo, list(species = K), TRUE, extra_phylo))
for (cs in cases) write_json_file(cs$res, file.path(out, paste0(cs$res$name, ".json")))
gpois <- fit_glmm_case("phylo_poisson", "count ~ x + (1 | species)", phylo, list(species = K), poisson(), extra_phylo)
write_json_file(gpois, file.path(out, "phylo_poisson.json"))

# ---- ape::vcv ------------------------------------------------------------------------------------
vcv_case <- function(text) {
  tr <- read.tree(text = text)
  lab <- tr$tip.label
  list(newick = text, labels = I(lab), corr = unname(vcv(tr, corr = TRUE)[lab, lab]), cov = unname(vcv(tr, corr = FALSE)[lab, lab]))
}
set.seed(11)
vcvs <- list(
  vcv_case(newick),
  vcv_case(write.tree(rtree(12))),
  vcv_case("((('Homo sapiens':0.21,Pan_troglodytes:0.19)Hominini:0.3[&&NHX:S=x],Gorilla:0.55):0.4,(Pongo:0.8,Hylobates:1.1e0)Hylo:0.25)root:0.1;"))
write_json_file(vcvs, file.path(out, "vcv_cases.json"))

# ---- pedigree ------------------------------------------------------------------------------------
# tabular method: A_ii = 1 + A_sd / 2, A_ij = (A_js + A_jd) / 2 for j < i (parents before children)
tabular_A <- function(sire, dam) {
  N <- length(sire); A <- matrix(0, N, N)
  for (i in seq_len(N)) {
    s <- sire[i]; d <- dam[i]
    A[i, i] <- 1 + if (!is.na(s) && !is.na(d)) 0.5 * A[s, d] else 0
    if (i > 1) for (j in 1:(i - 1)) {
      v <- 0
      if (!is.na(s)) v <- v + 0.5 * A[j, s]
      if (!is.na(d)) v <- v + 0.5 * A[j, d]
      A[i, j] <- A[j, i] <- v
    }
  }
  A
}
set.seed(424242)
gen_sizes <- c(14, 30, 34, 36)
ids <- character(0); sire <- integer(0); dam <- integer(0); gen <- integer(0)
for (g in seq_along(gen_sizes)) {
  for (k in seq_len(gen_sizes[g])) {
    i <- length(ids) + 1
    ids <- c(ids, sprintf("a%03d", i)); gen <- c(gen, g - 1)
    if (g == 1) { sire <- c(sire, NA); dam <- c(dam, NA); next }
    # parents from the previous two generations (overlap makes some inbreeding); some unknown
    pool <- which(gen[-i] >= g - 3 & gen[-i] < g - 1)
    s <- sample(pool, 1); d <- sample(setdiff(pool, s), 1)
    if (runif(1) < 0.12) s <- NA
    if (runif(1) < 0.08) d <- NA
    sire <- c(sire, s); dam <- c(dam, d)
  }
}
N <- length(ids)
A <- tabular_A(sire, dam); dimnames(A) <- list(ids, ids)
Fped <- diag(A) - 1
stopifnot(any(Fped > 0))
ped <- data.frame(id = ids, sire = ifelse(is.na(sire), NA, ids[sire]), dam = ifelse(is.na(dam), NA, ids[dam]))
# the file lists the animals in a shuffled order (parents after children in places): the library sorts it
shuffled <- ped[sample(N), ]
write.csv(shuffled, file.path(out, "pedigree.csv"), row.names = FALSE, na = "")
# records on generations 1-3 (the founders have none): 1 or 2 records per animal, 5 herds
rec_animals <- ids[gen > 0]
nrec <- sample(1:2, length(rec_animals), replace = TRUE, prob = c(0.6, 0.4))
animal <- rep(rec_animals, nrec)
nr <- length(animal)
La <- t(chol(A))
a <- setNames(sqrt(2) * as.numeric(La %*% rnorm(N)), ids)
herd_eff <- setNames(rnorm(5, sd = 1.2), paste0("h", 1:5))
herd <- sample(names(herd_eff), nr, replace = TRUE)
xp <- round(rnorm(nr), 4)
yp <- round(10 + 0.5 * xp + a[animal] + herd_eff[herd] + rnorm(nr, sd = 1.3), 4)
pdat <- data.frame(animal = animal, herd = herd, x = xp, y = yp)
write.csv(pdat, file.path(out, "pedigree_data.csv"), row.names = FALSE)
pdat$animal <- factor(pdat$animal); pdat$herd <- factor(pdat$herd)
write_json_file(list(ids = I(ids), sire = I(ped$sire), dam = I(ped$dam), A = unname(A), F = I(unname(Fped)),
                     L = unname(t(chol(A)))), file.path(out, "pedigree_A.json"))
extra_ped <- list(data = "pedigree_data.csv", relmat = list(group = "animal", kind = "pedigree", pedigree = "pedigree.csv"))
# breeding values of every pedigree animal: E[a_all | y] = A[all, d] A[d, d]^-1 E[a_d | y], and
# Var(a_all | y) = C Var(a_d | y) C' + sigma_a^2 (A - A[all, d] A[d, d]^-1 A[d, all]), C = A[all, d] A[d, d]^-1
all_animals <- function(cs) {
  m <- cs$m; lf <- cs$lf; Ls <- cs$Ls
  f <- Ls[[1]]; d <- f$levels
  s2 <- sigma(m)^2; th <- as.numeric(getME(m, "theta"))[f$term]
  Lam <- as.matrix(getME(m, "Lambda")); Zp <- as.matrix(getME(m, "Z"))
  Vp <- s2 * Lam %*% solve(t(Lam) %*% crossprod(Zp) %*% Lam + diag(ncol(Lam))) %*% t(Lam)
  B <- b_map(lf$reTrms, Ls)
  bd <- as.numeric((B %*% getME(m, "b"))[f$rows])
  Vd <- (B %*% Vp %*% t(B))[f$rows, f$rows]
  C <- A[, d] %*% solve(A[d, d])
  Vall <- C %*% Vd %*% t(C) + th^2 * s2 * (A - A[, d] %*% solve(A[d, d]) %*% A[d, ])
  vals <- as.numeric(C %*% bd)
  stopifnot(max(abs(vals[match(d, ids)] - bd)) < 1e-10, max(abs(bd - cs$res$ranef[[1]]$values[[1]])) < 1e-10)
  list(levels = I(ids), values = I(vals), condsd = I(sqrt(pmax(0, diag(Vall)))))
}
pcases <- list(
  fit_lmm_case("pedigree_reml", "y ~ x + (1 | animal)", pdat, list(animal = A), TRUE, extra_ped, dense = list(groups = "animal")),
  fit_lmm_case("pedigree_ml", "y ~ x + (1 | animal)", pdat, list(animal = A), FALSE, extra_ped, dense = list(groups = "animal")),
  fit_lmm_case("pedigree_herd_reml", "y ~ x + (1 | animal) + (1 | herd)", pdat, list(animal = A), TRUE, extra_ped, dense = list(groups = c("animal", "herd"))))
for (cs in pcases) {
  cs$res$pedigree_animals <- all_animals(cs)
  write_json_file(cs$res, file.path(out, paste0(cs$res$name, ".json")))
}
cat("phylo:", sapply(cases, function(cs) sprintf("%s %.6f", cs$res$name, cs$res$criterion)), "\n")
cat("pedigree:", sapply(pcases, function(cs) sprintf("%s %.6f", cs$res$name, cs$res$criterion)), "\n")
cat("phylo_poisson:", gpois$deviance_laplace, "default", gpois$default_fit$deviance_laplace, "\n")
