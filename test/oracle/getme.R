#!/usr/bin/env Rscript
# lme4 1.1-31's getME(fit, name) for test/getme.test.ts: lmer fits (sleepstudy (Days | Subject) and
# (Days || Subject), Penicillin crossed, Pastes nested, prior weights, ML) at lme4's theta of its default fit
# (the test assembles ours there) and at the optimum of lme4 run to a tight tolerance (the comparison at
# our optimum); glmer fits (cbpp binomial, a Poisson with an offset) at the exact Laplace optimum
# (exact_laplace.R: glmer's own bobyqa stops ~1e-4 away in beta), whose RX, RZX, u and mu are those of
# the PIRLS state there. Sparse matrices are written dense (rows of numbers); L's fill-reducing
# permutation is written too (RZX is L^-1 P Lambda' Z' W X: it is in lme4's own order only when P = I).
# CHOLMOD's fill-reducing permutation of Penicillin's L varies between runs of this script on the same
# machine (the identity or the reverse order; the fill is the same either way), and lme4's fit with it in
# the last digits: the committed fixture is a run with the identity (as the fixture before the names
# below were added, whose values it reproduces exactly).
# Also the names added later (Ztlist, mmList, A, L, ST, Tlist, Tp, n_rtrms, n_rfacs, p_i) and the deviance
# function's values at three points (devfun).
# Usage (from the repository root): Rscript test/oracle/getme.R test/fixtures/data test/fixtures/getme
suppressMessages({ library(lme4); library(jsonlite) })
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "exact_laplace.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)
rd <- function(f) read.csv(file.path(dataDir, f), stringsAsFactors = TRUE)
sleep <- rd("sleepstudy.csv"); sleep$Subject <- factor(sleep$Subject)
sw <- rd("sleepstudy_weighted.csv"); sw$Subject <- factor(sw$Subject)
pen <- rd("penicillin.csv"); pas <- rd("pastes.csv")
cbpp <- rd("cbpp.csv"); cbpp$period <- factor(cbpp$period); cbpp$herd <- factor(cbpp$herd)
po <- rd("poisson_offset.csv")
# a family with a scale (sigma, devcomp's sigmaML): test/oracle/gamma.R's Gamma(log) data
ga <- rd("../gamma/gamma_log.csv"); ga$g <- factor(ga$g)

cases <- list(
  sleepstudy = list(data = "sleepstudy.csv", d = sleep, formula = "Reaction ~ Days + (Days | Subject)"),
  sleepstudy_uncorrelated = list(data = "sleepstudy.csv", d = sleep, formula = "Reaction ~ Days + (Days || Subject)"),
  penicillin = list(data = "penicillin.csv", d = pen, formula = "diameter ~ 1 + (1 | plate) + (1 | sample)"),
  pastes = list(data = "pastes.csv", d = pas, formula = "strength ~ 1 + (1 | batch/cask)"),
  weighted = list(data = "sleepstudy_weighted.csv", d = sw, formula = "Reaction ~ Days + (Days | Subject)", weights = "w"),
  sleepstudy_ml = list(data = "sleepstudy.csv", d = sleep, formula = "Reaction ~ Days + (Days | Subject)", reml = FALSE),
  cbpp = list(data = "cbpp.csv", d = cbpp, formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", family = "binomial"),
  poisson_offset = list(data = "poisson_offset.csv", d = po, formula = "count ~ x + trt + offset(log(exposure)) + (1 | site)", family = "poisson"),
  gamma_log = list(data = "../gamma/gamma_log.csv", d = ga, formula = "y ~ x + (1 | g)", family = "Gamma", link = "log")
)
dense <- function(M) unname(as.matrix(M))
vec <- function(v) as.numeric(v)
# every name the test compares, from a fit (and for glmer, the PIRLS state at the exact optimum)
pieces <- function(m, state = NULL) {
  dc <- getME(m, "devcomp")
  r <- list(
    X = dense(getME(m, "X")), Xnames = colnames(getME(m, "X")), Z = dense(getME(m, "Z")), Zt = dense(getME(m, "Zt")),
    Lambda = dense(getME(m, "Lambda")), Lambdat = dense(getME(m, "Lambdat")), Lind = as.integer(getME(m, "Lind")),
    theta = vec(getME(m, "theta")), thetaNames = names(getME(m, "theta")), beta = vec(getME(m, "beta")),
    fixef = vec(getME(m, "fixef")), fixefNames = names(getME(m, "fixef")),
    u = vec(getME(m, "u")), b = vec(getME(m, "b")), y = vec(getME(m, "y")), mu = vec(getME(m, "mu")),
    offset = vec(getME(m, "offset")), weights = vec(weights(m)),  # not a getME name in 1.1-31: weights(fit), the prior weights
    flist = unname(lapply(getME(m, "flist"), function(f) list(codes = as.integer(f), levels = levels(f)))),
    flistNames = names(getME(m, "flist")),
    cnms = unname(getME(m, "cnms")), cnmsNames = names(getME(m, "cnms")), Gp = as.integer(getME(m, "Gp")),
    n = getME(m, "n"), N = getME(m, "N"), p = getME(m, "p"), q = getME(m, "q"), k = getME(m, "k"),
    l_i = as.integer(getME(m, "l_i")), q_i = as.integer(getME(m, "q_i")), m_i = as.integer(getME(m, "m_i")), m = getME(m, "m"),
    lower = vec(getME(m, "lower")), sigma = getME(m, "sigma"), REML = getME(m, "REML"), is_REML = getME(m, "is_REML"),
    cmp = as.list(dc$cmp), dims = as.list(dc$dims),
    RX = dense(getME(m, "RX")), RZX = dense(getME(m, "RZX")), perm = as.integer(getME(m, "L")@perm),
    # the names added later: the per-term lists (dense matrices, their names), A, L (CHOLMOD's lower
    # factor of P (Lambda' Z' W Z Lambda + I) P', as a sparse matrix, with L@perm above), the counts
    Ztlist = unname(lapply(getME(m, "Ztlist"), dense)), ZtlistNames = names(getME(m, "Ztlist")),
    mmList = unname(lapply(getME(m, "mmList"), function(M) list(names = I(colnames(M)), rows = unname(M)))),
    mmListNames = names(getME(m, "mmList")), A = dense(getME(m, "A")), L = dense(as(getME(m, "L"), "sparseMatrix")),
    ST = unname(lapply(getME(m, "ST"), dense)), STNames = I(names(getME(m, "ST"))),
    Tlist = unname(lapply(getME(m, "Tlist"), dense)), TlistNames = I(names(getME(m, "Tlist"))),
    Tp = I(as.numeric(getME(m, "Tp"))), TpNames = I(names(getME(m, "Tp"))), n_rtrms = getME(m, "n_rtrms"),
    n_rfacs = getME(m, "n_rfacs"), p_i = I(as.integer(getME(m, "p_i"))), p_iNames = I(names(getME(m, "p_i"))))
  if (!is.null(state)) for (nm in names(state)) r[[nm]] <- state[[nm]]
  freeze(r)
}
# lme4's C++ updates the predictor's and response's vectors in place, and getME returns some of them
# without a copy (mu, RZX, ...): a deep copy before any further evaluation of the same model's devfun
freeze <- function(x) unserialize(serialize(x, NULL))
# lmer: getME(m, "devfun") at theta-hat and two points about it (its criterion: REML or ML). Last: lme4's
# lmer devfun shares the fit's predictor module (PR), whose state it changes
devfun_lmer <- function(m) {
  f <- getME(m, "devfun"); th <- as.numeric(getME(m, "theta"))
  lapply(list(th, th * 0.9, th + 0.05), function(t) list(theta = I(t), value = f(t)))
}
res <- lapply(cases, function(cs) {
  if (is.null(cs$family)) {
    reml <- !identical(cs$reml, FALSE)
    m <- if (is.null(cs$weights)) lmer(as.formula(cs$formula), cs$d, REML = reml)
         else lmer(as.formula(cs$formula), cs$d, REML = reml, weights = cs$d[[cs$weights]])
    tight <- update(m, control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10, maxfun = 1e5)))
    atTheta <- pieces(m); atTheta$devfun <- devfun_lmer(m)
    tightP <- pieces(tight); tightP$devfun <- devfun_lmer(tight)
    list(data = cs$data, formula = cs$formula, reml = reml, weights = cs$weights, family = NULL,
         atTheta = atTheta, tight = tightP)
  } else {
    fam <- if (is.null(cs$link)) get(cs$family)() else get(cs$family)(link = cs$link)
    m <- glmer(as.formula(cs$formula), cs$d, family = fam, control = glmerControl(tolPwrss = 1e-12))
    dev <- update(m, devFunOnly = TRUE)
    ex_f <- exact_devfun(dev)
    ex <- exact_optimum(ex_f, getME(m, "theta"), fixef(m), getME(m, "lower"))
    ex_f(c(ex$theta, ex$beta))
    rho <- environment(dev)
    pp <- rho$pp; resp <- rho$resp
    u <- vec(pp$u(1)); Lam <- t(pp$Lambdat)
    state <- list(theta = vec(ex$theta), beta = vec(ex$beta), fixef = vec(ex$beta), u = u, b = vec(Lam %*% u),
                  mu = vec(resp$mu), RX = dense(pp$RX()), RZX = dense(pp$RZX), Lambda = dense(Lam), Lambdat = dense(pp$Lambdat),
                  ldL2 = pp$ldL2(), sqrL = pp$sqrL(1), devResid = sum(resp$devResid()), wrss = resp$wrss(), dev = ex$value,
                  sigma = if (isTRUE(getME(m, "devcomp")$dims[["useSc"]] == 1)) sqrt((resp$wrss() + pp$sqrL(1)) / nrow(cs$d)) else 1, perm = as.integer(pp$L()@perm),
                  L = dense(as(pp$L(), "sparseMatrix")), A = dense(pp$Lambdat %*% pp$Zt))
    state <- freeze(state)
    m_exact <- m; m_exact@theta <- vec(ex$theta)
    state$ST <- unname(lapply(getME(m_exact, "ST"), dense)); state$Tlist <- unname(lapply(getME(m_exact, "Tlist"), dense))
    # the deviance function at the exact optimum and two points about it: lme4's with PIRLS settled
    # (exact_devfun), and getME(m, "devfun") itself (tolPwrss = 1e-7: PIRLS stops early), for the record
    gdev <- getME(m, "devfun")
    x0 <- c(ex$theta, ex$beta)
    pts <- list(x0, c(ex$theta * 0.9, ex$beta * 1.01), c(ex$theta + 0.05, ex$beta - 0.002 * seq_along(ex$beta)))
    state$devfun <- lapply(pts, function(x) list(theta = I(x[seq_along(ex$theta)]), beta = I(x[-seq_along(ex$theta)]),
                                                 value = ex_f(x), getME_devfun = gdev(x)))
    list(data = cs$data, formula = cs$formula, family = cs$family, link = cs$link, exact = pieces(m, state))
  }
})
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, null = "null", pretty = FALSE, matrix = "rowmajor"), file.path(out, "getme.json"))
