#!/usr/bin/env Rscript
# Mixed-effects Cox models (coxme's model): references built from R's survival 3.5.3 (coxme itself is
# not installable here), for test/survival/*.test.ts and src/survival.
#
# The model: hazard λ_i(t) = λ0(t) exp(x_iβ + z_ib), b = Λ(θ)u, u ~ N(0, I) (Σ = ΛΛᵀ).
# coxme maximizes over θ the Laplace approximation of the integrated partial likelihood
#   log IPL(θ) = max_{β,b} [PL(β,b) − ½ bᵀΣ⁻¹b] − ½ log det Σ − ½ log det(H_bb + Σ⁻¹)
#              = max_{β,u} [PL(β,Λu) − ½ uᵀu]   − ½ log det(ΛᵀH_bbΛ + I)
# (the two are equal: det Σ · det(H_bb + Σ⁻¹) = det(ΛᵀH_bbΛ + I); the second holds at θ on the boundary).
#
# Pieces, each checked here before it is used:
#   1. cox_pieces(): the log partial likelihood PL(η) (Efron or Breslow ties, right-censored or
#      counting-process (start, stop] data), its gradient and negative Hessian in the coefficients of
#      a design M (η = offset + Mc), written from the formulas. PL is checked against survival's
#      coxph(Surv ~ offset(η))$loglik (which is PL at η exactly) at random η, to 1e-10 (stopifnot);
#      the gradient and Hessian against numDeriv's derivatives of that coxph value.
#   2. the inner Newton iteration over (β, u) at fixed θ (to |step| < 1e-13), the Laplace IPL, the PPL,
#      PL at the mode, Var(β̂) = the β block of the inverse of the full penalized Hessian (coxme's
#      se(coef)), the penalized df p + q − tr((H⁻¹)_uu) (coxme's df[2]).
#      At fixed θ the mode (β̂, b̂) is checked against coxph's gaussian frailty with the variance
#      fixed, coxph(Surv ~ x + frailty(g, distribution = 'gaussian', theta = θ², method = 'fixed')),
#      which maximizes the same penalized PL (one random intercept; stopifnot to 1e-6).
#   3. θ̂ maximizing the IPL: optimize() for one θ (tol 1e-11), else optim(L-BFGS-B) from a grid
#      then Nelder-Mead polishing; fitted θ̂, β̂, SEs, IPL, PPL, PL, NULL loglik recorded.
#   Also recorded (not compared in tests, for the README): coxph's own gaussian frailty fit, whose
#   variance is chosen by a different criterion (coxph's approximate REML, method = 'reml'), so its θ differs.
# Datasets: survival's rats (females: 150 rats in 50 litters), kidney (38 patients, 2 rows each), lung
# (inst; one row has inst missing and is dropped; status coded 1/2), a simulated data set with
# nested (centre/ward) and crossed (region) groups and tied (integer) times, and its counting-process
# split at t = 5 (survSplit), which has the same PL.
# Usage (from the repository root): Rscript test/oracle/coxme.R
suppressPackageStartupMessages({ library(survival); library(numDeriv); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
out <- file.path(root, "test/fixtures/coxme")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
datadir <- file.path(root, "test/fixtures/data")

# ---------------------------------------------------------------------------------------------
# 1. The partial likelihood, its gradient and negative Hessian
# ---------------------------------------------------------------------------------------------
# For each distinct event time t with deaths D (d of them) and risk set R(t) = {i: start_i < t ≤ stop_i}:
#   Efron: for k = 0 … d−1, f_k = k/d (Breslow: f_k = 0),
#     den_k = Σ_R r_i − f_k Σ_D r_i,  r_i = exp(η_i)
#     PL += Σ_D η_i − Σ_k log den_k
#     m_k = (Σ_R r_i x_i − f_k Σ_D r_i x_i) / den_k,   gradient = Σ_D x_i − Σ_k m_k
#     H   = Σ_k [(Σ_R r x xᵀ − f_k Σ_D r x xᵀ)/den_k − m_k m_kᵀ]
#   H's first part is Σ_i r_i a_i x_i x_iᵀ with a_i = Σ_{t ∈ (start_i, stop_i]} Σ_k 1/den_{t,k}
#   − [i dies] Σ_k f_k/den_{stop_i,k}.
cox_pieces <- function(eta, start, stop, status, M = NULL, ties = "efron") {
  r <- exp(eta)
  dt <- sort(unique(stop[status == 1]))
  ll <- 0
  A <- numeric(length(dt)); B <- numeric(length(dt))
  P <- if (is.null(M)) 0 else ncol(M)
  grad <- if (P > 0) colSums(M[status == 1, , drop = FALSE]) else NULL
  mrows <- list()
  for (j in seq_along(dt)) {
    t <- dt[j]
    R <- start < t & stop >= t
    D <- stop == t & status == 1
    d <- sum(D)
    f <- if (ties == "efron") (0:(d - 1)) / d else rep(0, d)
    S0 <- sum(r[R]); D0 <- sum(r[D])
    den <- S0 - f * D0
    ll <- ll + sum(eta[D]) - sum(log(den))
    A[j] <- sum(1 / den); B[j] <- sum(f / den)
    if (P > 0) {
      S1 <- colSums(M[R, , drop = FALSE] * r[R]); D1 <- colSums(M[D, , drop = FALSE] * r[D])
      mk <- t(sapply(seq_len(d), function(k) (S1 - f[k] * D1) / den[k]))
      if (P == 1) mk <- t(mk)
      mrows[[j]] <- matrix(mk, nrow = d)
      grad <- grad - colSums(mrows[[j]])
    }
  }
  if (P == 0) return(list(loglik = ll))
  a <- numeric(length(eta))
  for (i in seq_along(eta)) {
    a[i] <- sum(A[dt > start[i] & dt <= stop[i]])
    if (status[i] == 1) a[i] <- a[i] - B[match(stop[i], dt)]
  }
  Mm <- do.call(rbind, mrows)
  H <- crossprod(M, M * (r * a)) - crossprod(Mm)
  list(loglik = ll, grad = grad, H = H)
}

coxph_loglik <- function(eta, start, stop, status, ties, counting) {
  d <- data.frame(start = start, stop = stop, status = status, eta = eta)
  fit <- if (counting) coxph(Surv(start, stop, status) ~ offset(eta), data = d, ties = ties)
         else coxph(Surv(stop, status) ~ offset(eta), data = d, ties = ties)
  fit$loglik[1]
}

# ---------------------------------------------------------------------------------------------
# 2. The model's design: X (no intercept), Z by terms in lme4's order, Λ(θ)
# ---------------------------------------------------------------------------------------------
# term: list(name = group label, g = factor, cols = n × q matrix (intercept: 1, slope: x), cnames)
# Z's columns: per term, per level (R's sorted levels), the term's q columns; Λ per level the q × q
# lower-triangular template T from the term's θ (column-major lower triangle, lme4's order).
make_terms <- function(specs) {
  nl <- sapply(specs, function(s) nlevels(s$g))
  specs[order(-nl)]  # lme4 sorts terms by number of levels, largest first (stable)
}
term_theta_len <- function(s) { q <- ncol(s$cols); q * (q + 1) / 2 }
make_Z <- function(terms) {
  do.call(cbind, lapply(terms, function(s) {
    q <- ncol(s$cols); L <- nlevels(s$g)
    Z <- matrix(0, length(s$g), L * q)
    for (l in seq_len(L)) for (j in seq_len(q)) Z[, (l - 1) * q + j] <- s$cols[, j] * (as.integer(s$g) == l)
    Z
  }))
}
make_Lambda <- function(terms, theta) {
  blocks <- list(); off <- 0
  for (s in terms) {
    q <- ncol(s$cols); k <- term_theta_len(s)
    Tm <- matrix(0, q, q); Tm[lower.tri(Tm, diag = TRUE)] <- theta[off + seq_len(k)]
    off <- off + k
    blocks <- c(blocks, rep(list(Tm), nlevels(s$g)))
  }
  q <- sum(sapply(blocks, nrow)); Lam <- matrix(0, q, q); o <- 0
  for (b in blocks) { k <- nrow(b); Lam[o + 1:k, o + 1:k] <- b; o <- o + k }
  Lam
}

# ---------------------------------------------------------------------------------------------
# 3. The penalized mode at fixed θ and the Laplace IPL
# ---------------------------------------------------------------------------------------------
# PL pieces summed over strata (m$strata: NULL or a factor; risk sets within each stratum)
m_pieces <- function(m, eta, M) {
  if (is.null(m$strata)) return(cox_pieces(eta, m$start, m$stop, m$status, M, m$ties))
  out <- NULL
  for (s in levels(m$strata)) {
    k <- which(m$strata == s)
    pc <- cox_pieces(eta[k], m$start[k], m$stop[k], m$status[k], if (is.null(M)) NULL else M[k, , drop = FALSE], m$ties)
    if (is.null(out)) out <- pc
    else { out$loglik <- out$loglik + pc$loglik; if (!is.null(M)) { out$grad <- out$grad + pc$grad; out$H <- out$H + pc$H } }
  }
  out
}

penalized_mode <- function(theta, m, init = NULL) {
  Lam <- make_Lambda(m$terms, theta)
  ZL <- m$Z %*% Lam
  M <- cbind(m$X, ZL); p <- ncol(m$X); q <- ncol(ZL); P <- p + q
  pen <- c(rep(0, p), rep(1, q))
  cc <- if (is.null(init)) rep(0, P) else init
  ppl_of <- function(cc) {
    eta <- drop(M %*% cc)
    m_pieces(m, eta, NULL)$loglik - 0.5 * sum((pen * cc)^2)
  }
  cur <- ppl_of(cc)
  for (it in 1:200) {
    pc <- m_pieces(m, drop(M %*% cc), M)
    g <- pc$grad - pen * cc
    Hn <- pc$H + diag(pen, P)
    step <- solve(Hn, g)
    s <- 1
    repeat {
      new <- ppl_of(cc + s * step)
      if (new >= cur - 1e-12 || s < 1e-10) break
      s <- s / 2
    }
    cc <- cc + s * step; cur <- new
    if (max(abs(s * step)) < 1e-13) break
  }
  eta <- drop(M %*% cc)
  pc <- m_pieces(m, eta, M)
  Hn <- pc$H + diag(pen, P)
  Hinv <- solve(Hn)
  u <- cc[p + seq_len(q)]
  beta <- cc[seq_len(p)]
  logdet <- if (q > 0) determinant(Hn[p + 1:q, p + 1:q, drop = FALSE], logarithm = TRUE)$modulus[1] else 0
  pl <- pc$loglik
  ppl <- pl - 0.5 * sum(u^2)
  list(beta = beta, u = u, b = drop(Lam %*% u), pl = pl, ppl = ppl, ipl = ppl - 0.5 * logdet,
       logdet = logdet, se = sqrt(diag(Hinv)[seq_len(p)]), vcov = Hinv[seq_len(p), seq_len(p), drop = FALSE],
       df = p + q - sum(diag(Hinv)[p + seq_len(q)]), coef = cc, maxgrad = max(abs(pc$grad - pen * cc)))
}

fit_theta <- function(m) {
  nt <- sum(sapply(m$terms, term_theta_len))
  lower <- unlist(lapply(m$terms, function(s) { q <- ncol(s$cols); Tm <- matrix(-Inf, q, q); diag(Tm) <- 0; Tm[lower.tri(Tm, diag = TRUE)] }))
  negipl <- function(th) -penalized_mode(th, m)$ipl
  if (nt == 1) {
    o <- optimize(negipl, c(0, 3), tol = 1e-11)
    th <- o$minimum
  } else {
    best <- NULL
    for (s0 in c(0.1, 0.4, 0.8)) {
      start <- unlist(lapply(m$terms, function(s) { q <- ncol(s$cols); Tm <- diag(s0, q); Tm[lower.tri(Tm, diag = TRUE)] }))
      o <- optim(start, negipl, method = "L-BFGS-B", lower = lower, control = list(factr = 1, pgtol = 0, maxit = 500))
      if (is.null(best) || o$value < best$value) best <- o
    }
    th <- best$par
    # polish: Nelder-Mead on the interior coordinates, then back inside the bounds
    o2 <- optim(th, function(x) if (any(x < lower)) Inf else negipl(x), method = "Nelder-Mead",
                control = list(reltol = 1e-15, maxit = 4000))
    if (o2$value < best$value) th <- o2$par
  }
  th
}

null_loglik <- function(m) m_pieces(m, rep(0, length(m$stop)) + m$offset, NULL)$loglik

if (!exists("COXME_FUNCTIONS_ONLY")) {
# ---------------------------------------------------------------------------------------------
# Data sets and cases
# ---------------------------------------------------------------------------------------------
set.seed(20261207)
ratsf <- subset(rats, sex == "f", select = c(litter, rx, time, status))
kid <- kidney[, c("id", "time", "status", "age", "sex", "disease")]
lng <- lung[, c("inst", "time", "status", "age", "sex", "ph.ecog")]
# simulated: 12 centres × 4 wards (nested), 6 regions crossed, integer (tied) times
nc <- 12; nw <- 4; nper <- 10
centre <- rep(seq_len(nc), each = nw * nper)
ward <- rep(rep(seq_len(nw), each = nper), nc)
region <- sample(seq_len(6), length(centre), replace = TRUE)
x1 <- round(rnorm(length(centre)), 3)
x2 <- sample(c("a", "b", "c"), length(centre), replace = TRUE)
bc <- rnorm(nc, 0, 0.5); bw <- rnorm(nc * nw, 0, 0.3); br <- rnorm(6, 0, 0.4)
slope <- rnorm(nc, 0, 0.3)
eta <- 0.5 * x1 + ifelse(x2 == "b", 0.4, ifelse(x2 == "c", -0.3, 0)) + bc[centre] + bw[(centre - 1) * nw + ward] + br[region] + slope[centre] * x1
tt <- ceiling(rexp(length(eta), 0.1 * exp(eta)))
cens <- ceiling(runif(length(eta), 5, 30))
sim <- data.frame(centre = paste0("C", centre), ward = paste0("W", ward), region = paste0("R", region),
                  x1 = x1, x2 = x2, time = pmin(tt, cens), status = as.integer(tt <= cens))
sim_cp <- survSplit(Surv(time, status) ~ ., data = sim, cut = 5, start = "tstart", end = "time", event = "status")
sim_cp$row <- NULL

write.csv(ratsf, file.path(datadir, "rats_f.csv"), row.names = FALSE, quote = FALSE)
write.csv(kid, file.path(datadir, "kidney.csv"), row.names = FALSE, quote = FALSE)
write.csv(lng, file.path(datadir, "lung_inst.csv"), row.names = FALSE, quote = FALSE, na = "NA")
write.csv(sim, file.path(datadir, "coxsim.csv"), row.names = FALSE, quote = FALSE)
write.csv(sim_cp, file.path(datadir, "coxsim_cp.csv"), row.names = FALSE, quote = FALSE)

icpt <- function(d) matrix(1, nrow(d), 1)
fac <- function(v) factor(v)
cases <- list(
  list(name = "rats", formula = "Surv(time, status) ~ rx + (1 | litter)", data = "rats_f.csv",
       d = ratsf, X = function(d) cbind(rx = d$rx),
       terms = function(d) list(list(name = "litter", g = fac(d$litter), cols = icpt(d), cnames = "(Intercept)")),
       frailty = "litter", theta_fixed = list(c(0.5), c(1.2))),
  list(name = "kidney", formula = "Surv(time, status) ~ age + sex + (1 | id)", data = "kidney.csv",
       d = kid, X = function(d) cbind(age = d$age, sex = d$sex),
       terms = function(d) list(list(name = "id", g = fac(d$id), cols = icpt(d), cnames = "(Intercept)")),
       frailty = "id", theta_fixed = list(c(0.3), c(0.8))),
  list(name = "lung", formula = "Surv(time, status) ~ age + sex + ph.ecog + (1 | inst)", data = "lung_inst.csv",
       d = lng, X = function(d) cbind(age = d$age, sex = d$sex, ph.ecog = d$ph.ecog),
       terms = function(d) list(list(name = "inst", g = fac(d$inst), cols = icpt(d), cnames = "(Intercept)")),
       frailty = "inst", theta_fixed = list(c(0.2), c(0.5))),
  list(name = "sim_nested", formula = "Surv(time, status) ~ x1 + x2 + (1 | centre/ward)", data = "coxsim.csv",
       d = sim, X = function(d) cbind(x1 = d$x1, x2b = as.numeric(d$x2 == "b"), x2c = as.numeric(d$x2 == "c")),
       terms = function(d) list(list(name = "centre", g = fac(d$centre), cols = icpt(d), cnames = "(Intercept)"),
                                list(name = "ward:centre", g = fac(paste(d$ward, d$centre, sep = ":")), cols = icpt(d), cnames = "(Intercept)")),
       theta_fixed = list(c(0.3, 0.5), c(0.1, 0.2))),
  list(name = "sim_crossed", formula = "Surv(time, status) ~ x1 + (1 | centre) + (1 | region)", data = "coxsim.csv",
       d = sim, X = function(d) cbind(x1 = d$x1),
       terms = function(d) list(list(name = "centre", g = fac(d$centre), cols = icpt(d), cnames = "(Intercept)"),
                                list(name = "region", g = fac(d$region), cols = icpt(d), cnames = "(Intercept)")),
       theta_fixed = list(c(0.4, 0.3))),
  list(name = "sim_slope", formula = "Surv(time, status) ~ x1 + (1 + x1 | centre)", data = "coxsim.csv",
       d = sim, X = function(d) cbind(x1 = d$x1),
       terms = function(d) list(list(name = "centre", g = fac(d$centre), cols = cbind(1, d$x1), cnames = c("(Intercept)", "x1"))),
       theta_fixed = list(c(0.4, 0.1, 0.3))),
  list(name = "sim_breslow", formula = "Surv(time, status) ~ x1 + x2 + (1 | centre)", data = "coxsim.csv", ties = "breslow",
       d = sim, X = function(d) cbind(x1 = d$x1, x2b = as.numeric(d$x2 == "b"), x2c = as.numeric(d$x2 == "c")),
       terms = function(d) list(list(name = "centre", g = fac(d$centre), cols = icpt(d), cnames = "(Intercept)")),
       frailty = "centre", theta_fixed = list(c(0.4))),
  list(name = "sim_counting", formula = "Surv(tstart, time, status) ~ x1 + (1 | centre)", data = "coxsim_cp.csv", counting = TRUE,
       d = sim_cp, X = function(d) cbind(x1 = d$x1),
       terms = function(d) list(list(name = "centre", g = fac(d$centre), cols = icpt(d), cnames = "(Intercept)")),
       theta_fixed = list(c(0.4)))
)

num <- function(x) unname(x)
for (cs in cases) {
  ties <- if (is.null(cs$ties)) "efron" else cs$ties
  counting <- isTRUE(cs$counting)
  d0 <- cs$d
  X0 <- cs$X(d0)
  keep <- complete.cases(X0) & !is.na(d0$time) & !is.na(d0$status)
  for (s in cs$terms(d0)) keep <- keep & !is.na(s$g) & complete.cases(s$cols)
  d <- d0[keep, , drop = FALSE]
  status <- d$status
  if (all(status %in% c(1, 2))) status <- status - 1  # Surv's 1/2 coding: 2 = event
  start <- if (counting) d$tstart else rep(-Inf, nrow(d))
  m <- list(X = cs$X(d), terms = make_terms(cs$terms(d)), start = start, stop = d$time, status = status,
            ties = ties, offset = rep(0, nrow(d)))
  m$Z <- make_Z(m$terms)
  n <- nrow(d)
  cat(cs$name, ": n =", n, " events =", sum(status), " q =", ncol(m$Z), "\n")

  # 1. PL at random η vs coxph(offset) — both ties, checked here
  pl_checks <- list()
  for (k in 1:2) {
    etak <- round(rnorm(n, 0, 0.7), 6)
    for (tt in c("efron", "breslow")) {
      mine <- cox_pieces(etak, start, d$time, status, NULL, tt)$loglik
      ref <- coxph_loglik(etak, start, d$time, status, tt, counting)
      stopifnot(abs(mine - ref) < 1e-10 * max(1, abs(ref)))
      pl_checks[[length(pl_checks) + 1]] <- list(ties = tt, eta = etak, loglik = ref)
    }
  }
  # gradient and Hessian vs numDeriv on the coxph value (small design: X and the first 3 Z columns)
  Msmall <- cbind(m$X, m$Z[, 1:min(3, ncol(m$Z)), drop = FALSE])
  c0 <- rnorm(ncol(Msmall), 0, 0.1)
  pcs <- cox_pieces(drop(Msmall %*% c0), start, d$time, status, Msmall, ties)
  fpl <- function(cc) coxph_loglik(drop(Msmall %*% cc), start, d$time, status, ties, counting)
  gnum <- grad(fpl, c0); Hnum <- hessian(fpl, c0)
  stopifnot(max(abs(gnum - pcs$grad)) < 1e-6 * max(1, abs(gnum)), max(abs(-Hnum - pcs$H)) < 1e-4 * max(1, abs(Hnum)))

  # 2. fixed θ
  at <- list()
  for (th in cs$theta_fixed) {
    pm <- penalized_mode(th, m)
    fr <- NULL
    if (!is.null(cs$frailty) && length(th) == 1) {
      dd <- d; dd$status <- status; dd$grp <- factor(dd[[cs$frailty]])
      rhs <- paste(colnames(m$X), collapse = " + ")
      if (cs$name == "sim_breslow") { dd$x2b <- as.numeric(dd$x2 == "b"); dd$x2c <- as.numeric(dd$x2 == "c") }
      fml <- as.formula(paste("Surv(time, status) ~", rhs, "+ frailty(grp, distribution = 'gaussian', theta =", th^2, ", method = 'fixed')"))
      cf <- coxph(fml, data = dd, ties = ties)
      cat("  frailty(fixed) check: max|dbeta| =", max(abs(coef(cf) - pm$beta)), " max|db| =", max(abs(cf$frail - pm$b)), " iter =", cf$iter, "\n")
      stopifnot(max(abs(coef(cf) - pm$beta)) < 1e-4, max(abs(cf$frail - pm$b)) < 1e-4)
      fr <- list(beta = num(coef(cf)), frail = num(cf$frail), loglik = num(cf$loglik), penalty = cf$penalty)
    }
    at[[length(at) + 1]] <- list(theta = th, beta = num(pm$beta), b = num(pm$b), pl = pm$pl, ppl = pm$ppl,
                                 ipl = pm$ipl, logdet = pm$logdet, se = num(pm$se), df = pm$df,
                                 maxgrad = pm$maxgrad, coxph_frailty_fixed = fr)
  }

  # 3. fitted θ
  th <- fit_theta(m)
  pm <- penalized_mode(th, m)
  ll0 <- null_loglik(m)
  # θ on its bound: recorded as found
  rn <- list(); o <- 0
  for (s in m$terms) {
    q <- ncol(s$cols); L <- nlevels(s$g)
    B <- matrix(pm$b[o + seq_len(L * q)], ncol = q, byrow = TRUE, dimnames = list(levels(s$g), s$cnames))
    rn[[s$name]] <- cbind(level = levels(s$g), as.data.frame(B, row.names = NULL)); o <- o + L * q
  }
  frail_default <- NULL
  if (!is.null(cs$frailty) && ncol(m$Z) > 0 && length(m$terms) == 1 && ncol(m$terms[[1]]$cols) == 1) {
    dd <- d; dd$status <- status; dd$grp <- factor(dd[[cs$frailty]])
    if (cs$name == "sim_breslow") { dd$x2b <- as.numeric(dd$x2 == "b"); dd$x2c <- as.numeric(dd$x2 == "c") }
    fml <- as.formula(paste("Surv(time, status) ~", paste(colnames(m$X), collapse = " + "), "+ frailty(grp, distribution = 'gaussian')"))
    cf <- coxph(fml, data = dd, ties = ties)
    frail_default <- list(variance = cf$history[[1]]$theta, beta = num(coef(cf)), method = "coxph gaussian frailty, default (approximate REML)")
  }
  res <- list(
    name = cs$name, formula = cs$formula, data = cs$data, ties = ties, counting = counting,
    n = n, nInput = nrow(d0), nevent = sum(status),
    xnames = colnames(m$X), terms = lapply(m$terms, function(s) list(group = s$name, cnames = s$cnames, nlevels = nlevels(s$g))),
    pl_at_eta = pl_checks,
    at_theta = at,
    fit = list(theta = th, beta = num(pm$beta), se = num(pm$se), vcov = pm$vcov, ipl = pm$ipl, ppl = pm$ppl, pl = pm$pl,
               null = ll0, df_penalized = pm$df, logdet = pm$logdet, ranef = rn, maxgrad = pm$maxgrad,
               varcorr = lapply(m$terms, function(s) s$name)),
    coxph_frailty_default = frail_default,
    survival = as.character(packageVersion("survival"))
  )
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE, matrix = "rowmajor", null = "null"),
             file.path(out, paste0(cs$name, ".json")))
  cat("  theta =", th, " beta =", pm$beta, " ipl =", pm$ipl, " ppl =", pm$ppl, "\n")
}
}
