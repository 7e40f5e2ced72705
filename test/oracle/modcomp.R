#!/usr/bin/env Rscript
# pbkrtest's model comparisons of nested lmer fits -- KRmodcomp (Kenward-Roger F), SATmodcomp
# (Satterthwaite F) and PBmodcomp (parametric-bootstrap likelihood-ratio test with its summary's
# Gamma, Bartlett and F approximations) -- for test/inference/modcomp.test.ts.
# Usage (from the repository root): Rscript test/oracle/modcomp.R
# Writes test/fixtures/modcomp/pbkrtest.json and test/fixtures/data/modcomp_2x3.csv (a 2 x 3
# within-group design generated here with a fixed seed).
# Every lmer fit runs lme4's optimizer to tight tolerances, so that the optima, and not lme4's stopping
# rule, are the bar; the tests compare at lme4's theta (written here) and at their own optimum.
# The reference distributions of PBmodcomp are written in full: the tests feed them to the summary
# stage (tight) and compare their mean and variance with their own simulation's (Monte-Carlo error).
# Needs: R with lme4 (1.1-31), pbkrtest (0.5.2) and jsonlite.
suppressMessages({ library(lme4); library(jsonlite); library(pbkrtest) })
root <- "test/fixtures"
dir.create(file.path(root, "modcomp"), showWarnings = FALSE)
tight <- lmerControl(optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12))

# a 2 x 3 design within 24 groups, 2 replicates per cell; random intercepts of g and of g:A
set.seed(20261206)
G <- 24
d <- expand.grid(rep = 1:2, B = c("b1", "b2", "b3"), A = c("a1", "a2"), g = sprintf("g%02d", 1:G))
u <- rnorm(G, sd = 1.2); names(u) <- sprintf("g%02d", 1:G)
ua <- rnorm(2 * G, sd = 0.6); names(ua) <- paste(rep(sprintf("g%02d", 1:G), each = 2), c("a1", "a2"), sep = ":")
d$y <- round(10 + 0.8 * (d$A == "a2") + 0.5 * (d$B == "b2") - 0.3 * (d$B == "b3") +
  0.4 * (d$A == "a2") * (d$B == "b3") + u[d$g] + ua[paste(d$g, d$A, sep = ":")] + rnorm(nrow(d)), 4)
d <- d[, c("y", "A", "B", "g")]
write.csv(d, file.path(root, "data", "modcomp_2x3.csv"), row.names = FALSE)

read_case <- function(file, factors) {
  dd <- read.csv(file.path(root, "data", file), stringsAsFactors = TRUE)
  for (f in factors) dd[[f]] <- factor(dd[[f]])
  dd
}
num_na <- function(v) if (is.na(v)) NA else v
mat_rows <- function(M) lapply(seq_len(nrow(M)), function(i) as.numeric(M[i, ]))
kr_json <- function(kr) {
  s <- getKR(kr)
  list(stat = s$Fstat, ndf = s$ndf, ddf = s$ddf, F_scaling = s$F.scaling, p_value = s$p.value,
       statU = s$FstatU, p_valueU = s$p.valueU, aux = as.list(s$aux), L = mat_rows(kr$L),
       printed = I(capture.output(print(kr))),
       # summary's first line holds the time (differs between runs): left out
       summary = I(capture.output(invisible(summary(kr)))[-1]))
}
sat_json <- function(sat) list(stat = sat$test$statistic, ndf = sat$test$ndf, ddf = sat$test$ddf,
                               p_value = sat$test$p.value, L = mat_rows(sat$L), printed = I(capture.output(print(sat))))

# KR and SAT: large and small models (or a restriction matrix L)
cases <- list(
  list(name = "sleepstudy slope", data = "sleepstudy.csv", factors = "Subject", reml = TRUE,
       large = "Reaction ~ Days + (Days | Subject)", small = "Reaction ~ 1 + (Days | Subject)"),
  list(name = "sleepstudy ML fit", data = "sleepstudy.csv", factors = "Subject", reml = FALSE,
       large = "Reaction ~ Days + (Days | Subject)", small = "Reaction ~ 1 + (Days | Subject)"),
  list(name = "2x3 interaction", data = "modcomp_2x3.csv", factors = character(0), reml = TRUE,
       large = "y ~ A * B + (1 | g) + (1 | g:A)", small = "y ~ A + B + (1 | g) + (1 | g:A)"),
  list(name = "2x3 B and interaction", data = "modcomp_2x3.csv", factors = character(0), reml = TRUE,
       large = "y ~ A * B + (1 | g) + (1 | g:A)", small = "y ~ A + (1 | g) + (1 | g:A)"),
  list(name = "2x3 ML, small given first", data = "modcomp_2x3.csv", factors = character(0), reml = FALSE, swap = TRUE,
       large = "y ~ A + B + (1 | g) + (1 | g:A)", small = "y ~ B + (1 | g) + (1 | g:A)"),
  # L given directly: B's two columns (and a rank-deficient L: a third row, their sum)
  list(name = "2x3 restriction matrix", data = "modcomp_2x3.csv", factors = character(0), reml = TRUE,
       large = "y ~ A * B + (1 | g) + (1 | g:A)",
       L = rbind(c(0, 0, 1, 0, 0, 0), c(0, 0, 0, 1, 0, 0))),
  list(name = "2x3 rank-deficient restriction matrix", data = "modcomp_2x3.csv", factors = character(0), reml = TRUE,
       large = "y ~ A * B + (1 | g) + (1 | g:A)",
       L = rbind(c(0, 0, 1, 0, 0, 0), c(0, 0, 0, 1, 0, 0), c(0, 0, 1, 1, 0, 0))),
  list(name = "2x3 one-row restriction", data = "modcomp_2x3.csv", factors = character(0), reml = TRUE,
       large = "y ~ A * B + (1 | g) + (1 | g:A)", L = rbind(c(0, 1, 0, 0, 0.5, 0.5)))
)
out <- list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
            pbkrtest = as.character(packageVersion("pbkrtest")), cases = list(), pb = list())
for (cs in cases) {
  dd <- read_case(cs$data, cs$factors)
  large <- lmer(as.formula(cs$large), data = dd, REML = cs$reml, control = tight)
  small <- if (is.null(cs$L)) lmer(as.formula(cs$small), data = dd, REML = cs$reml, control = tight) else cs$L
  # the model KR and SAT work on: the large model's REML fit (pbkrtest refits an ML fit with REML)
  reml_large <- if (cs$reml) large else update(large, REML = TRUE)
  a <- if (isTRUE(cs$swap)) small else large
  b <- if (isTRUE(cs$swap)) large else small
  kr <- KRmodcomp(a, b)
  sat <- SATmodcomp(a, b)
  out$cases[[length(out$cases) + 1]] <- list(
    name = cs$name, data = cs$data, factors = I(cs$factors), reml = cs$reml, swap = isTRUE(cs$swap),
    large = cs$large, small = if (is.null(cs$L)) cs$small else NA, L = if (is.null(cs$L)) NA else mat_rows(cs$L),
    theta_reml = I(as.numeric(getME(reml_large, "theta"))), sigma_reml = sigma(reml_large),
    kr = kr_json(kr), sat = sat_json(sat))
}

# PBmodcomp: the LRT of ML refits, the reference distribution of 2 (l_large - l_small) over data
# simulated from the small model's ML fit, both refitted (pbkrtest 0.5.2 ignores its seed argument in
# the sampling: set.seed before)
pb_cases <- list(
  list(name = "sleepstudy slope", data = "sleepstudy.csv", factors = "Subject", nsim = 1000,
       large = "Reaction ~ Days + (Days | Subject)", small = "Reaction ~ 1 + (Days | Subject)"),
  list(name = "2x3 interaction", data = "modcomp_2x3.csv", factors = character(0), nsim = 1000,
       large = "y ~ A * B + (1 | g) + (1 | g:A)", small = "y ~ A + B + (1 | g) + (1 | g:A)"),
  # a test of the random slope (same fixed effects; pbkrtest's PBmodcomp takes any two nested fits)
  list(name = "sleepstudy random slope", data = "sleepstudy.csv", factors = "Subject", nsim = 500,
       large = "Reaction ~ Days + (Days | Subject)", small = "Reaction ~ Days + (1 | Subject)")
)
# (a restriction matrix as the small model: pbkrtest 0.5.2's restriction_matrix2model fails here,
# "bad 'data': object 'new.data' not found", so there is no reference and mixedgpu refuses it)
for (cs in pb_cases) {
  dd <- read_case(cs$data, cs$factors)
  large <- lmer(as.formula(cs$large), data = dd, REML = TRUE, control = tight)
  small <- if (is.null(cs$L)) lmer(as.formula(cs$small), data = dd, REML = TRUE, control = tight) else cs$L
  set.seed(4321)
  t0 <- proc.time()[["elapsed"]]
  pb <- PBmodcomp(large, small, nsim = cs$nsim)
  elapsed <- proc.time()[["elapsed"]] - t0
  s <- summary(pb)
  large_ml <- update(large, REML = FALSE)
  small_ml <- if (is.null(cs$L)) update(small, REML = FALSE) else NULL
  tab <- s$test
  rows <- lapply(rownames(tab), function(r) list(name = r, stat = tab[r, "stat"], df = num_na(tab[r, "df"]),
                                                 ddf = num_na(tab[r, "ddf"]), p_value = num_na(tab[r, "p.value"])))
  out$pb[[length(out$pb) + 1]] <- list(
    name = cs$name, data = cs$data, factors = I(cs$factors), large = cs$large,
    small = if (is.null(cs$L)) cs$small else NA, L = if (is.null(cs$L)) NA else mat_rows(cs$L), nsim = cs$nsim,
    theta_large_ml = I(as.numeric(getME(large_ml, "theta"))),
    theta_small_ml = if (is.null(small_ml)) NA else I(as.numeric(getME(small_ml, "theta"))),
    LRT = list(stat = unname(pb$LRTstat[["tobs"]]), df = unname(pb$LRTstat[["df"]]), p_value = unname(pb$LRTstat[["p.value"]])),
    ref = I(as.numeric(pb$ref)), summary = rows,
    moment = list(mean = unname(s$moment[["mean"]]), var = unname(s$moment[["var"]])),
    samples = list(nsim = unname(s$samples[["nsim"]]), npos = unname(s$samples[["npos"]])), n_extreme = s$n.extreme,
    gamma = list(scale = unname(s$gamma[["scale"]]), shape = unname(s$gamma[["shape"]])),
    # the first line holds the time: left out
    printed = I(capture.output(print(pb))[-1]), printed_summary = I(capture.output(print(s))[-1]),
    seconds = elapsed)
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           file.path(root, "modcomp", "pbkrtest.json"))
