# Oracle for src/reliability: psych's ICC (Shrout & Fleiss, with lmer's variance decomposition) and
# multilevel's ICC1/ICC2, mult.icc, rwg, rwg.j, rwg.j.lindell, awg, ad.m.
# Run from the repository root: Rscript test/oracle/reliability.R
# Writes test/fixtures/reliability/{reliability.json, ratings_missing.csv, bh1996_sub.csv, lq2002_sub.csv}.
suppressMessages({ library(psych); library(multilevel); library(lme4); library(jsonlite) })
out <- "test/fixtures/reliability"

# The references are psych's and multilevel's own code at the exact REML optimum: with their default
# controls, lme4's bobyqa (psych's ICC) and nlme's optim (mult.icc) stop early — psych's ICC1 of the
# balanced Shrout–Fleiss matrix is 3e-6 (relative) from the ANOVA value that REML reaches exactly
# there, mult.icc's ICC1 of COHES 1e-3 from the REML optimum. So, while the references are computed,
# lme4's lmer and nlme's lme run with tight tolerances (wrappers put into their namespaces); the
# default-control values are kept beside them (*_default) to show the size of that gap. Two runs of
# this script here gave tight-fit values that differ by up to 1e-7 (relative) between runs (ICC1 of sf:
# 0.1657417500 and 0.1657417488; the ANOVA value, which ours matches, 0.1657417684), which the tests' 1e-6 covers.
lmerOrig <- lme4::lmer
lmeOrig <- nlme::lme
tightLmer <- function(formula, data = NULL, ...) {
  lmerOrig(formula, data = data, ..., control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
}
# lme's data defaults to its caller's frame (sys.frame(sys.parent())): mult.icc's, here parent.frame()
tightLme <- function(fixed, data = parent.frame(), ..., control) {
  lmeOrig(fixed, data = data, ...,
          control = lmeControl(opt = "nlminb", msTol = 1e-14, tolerance = 1e-14, msMaxIter = 1000, maxIter = 1000, niterEM = 100))
}
# where mult.icc finds lme (multilevel attaches nlme: the search path's package:nlme)
lmeHome <- local({ e <- environment(multilevel::mult.icc); while (!exists("lme", envir = e, inherits = FALSE)) e <- parent.env(e); e })
setLme <- function(f) { unlockBinding("lme", lmeHome); assign("lme", f, envir = lmeHome); lockBinding("lme", lmeHome) }
tight <- function(expr) {
  assignInNamespace("lmer", tightLmer, "lme4"); setLme(tightLme)
  on.exit({ assignInNamespace("lmer", lmerOrig, "lme4"); setLme(lmeOrig) })
  expr
}
dir.create(out, showWarnings = FALSE, recursive = TRUE)

iccCase <- function(x, name, alpha = 0.05) {
  # the call as a user writes it (psych prints it): ICC(x = sf), ICC(x = sf, alpha = 0.1)
  cl <- if (alpha == 0.05) call("ICC", as.name(name)) else call("ICC", as.name(name), alpha = alpha)
  env <- new.env(); assign(name, x, envir = env)
  r <- tight(eval(cl, env))
  rd <- eval(cl, env)
  res <- r$results
  list(
    alpha = alpha, n_obs = r$n.obs, n_judge = r$n.judge,
    results = list(type = res$type, ICC = res$ICC, F = res$F, df1 = res$df1, df2 = res$df2, p = res$p,
                   lower = res[["lower bound"]], upper = res[["upper bound"]]),
    lme = list(component = rownames(r$lme), variance = r$lme$variance, percent = r$lme$Percent),
    stats = list(df = unname(r$stats["df", ]), SumSq = unname(r$stats["SumSq", ]), MS = unname(r$stats["MS", ]),
                 F = unname(r$stats["F", 1:2]), p = unname(r$stats["p", 1:2])),
    MSW = r$MSW,
    ICC_default = rd$results$ICC,
    print = capture.output(print(r))
  )
}

# Shrout & Fleiss (1979): 6 targets rated by 4 judges (psych's ?ICC example)
sf <- matrix(c(9,2,5,8, 6,1,3,2, 8,4,6,8, 7,1,2,6, 10,5,6,9, 6,2,4,7), ncol = 4, byrow = TRUE,
             dimnames = list(NULL, paste0("J", 1:4)))
# a rater design with missing cells: 15 subjects x 5 raters, 7 cells missing
set.seed(20261207)
subj <- rnorm(15, 0, 1.2); rat <- rnorm(5, 0, 0.7)
ratings <- outer(subj, rat, "+") + matrix(rnorm(75, 0, 0.8), 15) + 5
ratings <- round(ratings, 2)
colnames(ratings) <- paste0("R", 1:5)
ratings[cbind(c(1, 3, 3, 7, 10, 12, 15), c(2, 1, 5, 3, 4, 2, 5))] <- NA
long <- data.frame(subject = rep(sprintf("s%02d", 1:15), 5), rater = rep(colnames(ratings), each = 15),
                   value = as.vector(ratings))
write.csv(long, file.path(out, "ratings_missing.csv"), row.names = FALSE, na = "NA", quote = FALSE)

# multilevel's bh1996: groups 1..6
data(bh1996)
bh <- bh1996[bh1996$GRP %in% 1:6, c("GRP", "COHES", "LEAD", "HRS", "WBEING")]
write.csv(bh, file.path(out, "bh1996_sub.csv"), row.names = FALSE, quote = FALSE)
aovW <- aov(WBEING ~ as.factor(GRP), data = bh)
aovH <- aov(HRS ~ as.factor(GRP), data = bh)
mi <- tight(mult.icc(bh[, c("COHES", "LEAD", "HRS", "WBEING")], bh$GRP))
miDefault <- mult.icc(bh[, c("COHES", "LEAD", "HRS", "WBEING")], bh$GRP)
# the check that the tight nlme fit is lme4's too (REML of y ~ 1 + (1 | GRP), rhoend 1e-12)
miLmer <- sapply(c("COHES", "LEAD", "HRS", "WBEING"), function(v) {
  m <- tightLmer(as.formula(paste(v, "~ 1 + (1 | GRP)")), bh)
  vc <- as.data.frame(VarCorr(m)); vc$vcov[1] / sum(vc$vcov)
})

# multilevel's lq2002: the first 6 companies, the leadership and task-significance items, 3 cells missing
data(lq2002)
lq <- lq2002[lq2002$COMPID %in% c(2, 3, 4, 5, 6, 7), c("COMPID", paste0("LEAD", sprintf("%02d", 1:11)), paste0("TSIG0", 1:3))]
lq$LEAD03[5] <- NA; lq$LEAD07[40] <- NA; lq$TSIG02[100] <- NA
write.csv(lq, file.path(out, "lq2002_sub.csv"), row.names = FALSE, na = "NA", quote = FALSE)
items <- paste0("LEAD", sprintf("%02d", 1:11))
tsig <- paste0("TSIG0", 1:3)
tab <- function(d) lapply(d, function(c) if (is.factor(c)) as.character(c) else c)

# a toy with a group of one rater (R gives NA there)
toy <- data.frame(g = c("a", "a", "a", "b", "c", "c", "c", "c"), x = c(1, 2, 2, 4, 5, 5, 4, 5),
                  y = c(2, 2, 3, 5, 5, 4, 4, 5))

res <- list(
  sf = c(list(data = unname(split(sf, row(sf))), raters = colnames(sf)), iccCase(sf, "sf")),
  sf_alpha10 = iccCase(sf, "sf", alpha = 0.10),
  # balanced and complete: REML's components are the ANOVA's, so psych's aov path (lmer = FALSE) gives the exact values
  sf_anova = local({ a <- ICC(sf, lmer = FALSE); list(ICC = a$results$ICC, lower = a$results[["lower bound"]], upper = a$results[["upper bound"]], MS = unname(a$stats["MS", ])) }),
  missing = iccCase(ratings, "ratings"),
  bh = list(
    ICC1_WBEING = ICC1(aovW), ICC2_WBEING = ICC2(aovW), ICC1_HRS = ICC1(aovH), ICC2_HRS = ICC2(aovH),
    mult_icc = list(Variable = as.character(mi$Variable), ICC1 = mi$ICC1, ICC2 = mi$ICC2),
    mult_icc_default = list(ICC1 = miDefault$ICC1, ICC2 = miDefault$ICC2),
    ICC1_lmer = unname(miLmer)
  ),
  lq = list(
    rwg_LEAD01 = tab(rwg(lq$LEAD01, lq$COMPID, ranvar = 2)),
    rwg_LEAD03_A7 = tab(rwg(lq$LEAD03, lq$COMPID, ranvar = (7^2 - 1) / 12)),
    rwg_j = tab(rwg.j(lq[, items], lq$COMPID, ranvar = 2)),
    rwg_j_tsig_ranvar1 = tab(rwg.j(lq[, tsig], lq$COMPID, ranvar = 1)),
    rwg_lindell = tab(rwg.j.lindell(lq[, items], lq$COMPID, ranvar = 2)),
    awg_LEAD01 = tab(awg(lq$LEAD01, lq$COMPID, range = c(1, 5))),
    awg_items = tab(awg(lq[, items], lq$COMPID, range = c(1, 5))),
    adm_LEAD01 = tab(ad.m(lq$LEAD01, lq$COMPID)),
    adm_items = tab(ad.m(lq[, items], lq$COMPID)),
    adm_items_median = tab(ad.m(lq[, items], lq$COMPID, type = "median"))
  ),
  toy = list(
    data = tab(toy),
    rwg_x = tab(rwg(toy$x, toy$g, ranvar = 2)),
    rwg_j = tab(rwg.j(toy[, c("x", "y")], toy$g, ranvar = 2)),
    rwg_lindell = tab(rwg.j.lindell(toy[, c("x", "y")], toy$g, ranvar = 2)),
    awg_x = tab(awg(toy$x, toy$g, range = c(1, 5))),
    awg_xy = tab(awg(toy[, c("x", "y")], toy$g, range = c(1, 5))),
    adm_x = tab(ad.m(toy$x, toy$g)),
    adm_xy = tab(ad.m(toy[, c("x", "y")], toy$g))
  ),
  versions = list(R = R.version.string, psych = as.character(packageVersion("psych")),
                  multilevel = as.character(packageVersion("multilevel")), lme4 = as.character(packageVersion("lme4")),
                  nlme = as.character(packageVersion("nlme")))
)
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = FALSE),
           file.path(out, "reliability.json"))
