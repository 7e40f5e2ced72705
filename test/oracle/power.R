#!/usr/bin/env Rscript
# simr's powerSim tests redone in R on our simulated responses (R's draws are not ours; simr itself
# is not installed here): for each case of test/fixtures/power/cases.json (written with the
# responses by test/oracle/exportPowerResponses.ts), each replicate's response is put in the data
# and the model refitted as simr's doFit does (the lmer call again, REML as the case), then tested
# as simr's fixed(test, method) does:
#   t   lmerTest's summary (Satterthwaite) Pr(>|t|)                      (simr's ttest)
#   kr  pbkrtest's KRmodcomp(fit, update(fit, ~ . - test))$stats$p.value  (simr's krtest via drop1)
#   lr  lme4's drop1(fit, ~test, test = "Chisq"): ML refits of both       (simr's lrtest)
#   z   2 pnorm(|t value|, lower = FALSE) of lme4's summary               (simr's ztest)
#   anova lmerTest's anova(fit, type = 2, ddf = "Satterthwaite") Pr(>F)   (simr's fixed(x, "anova"))
#   chisq car's Anova(fit, type = 2, test.statistic = "Chisq") Pr(>Chisq) (simr's fixed(x, "chisq"))
#   f   car's Anova(fit, type = 2, test.statistic = "F") Pr(>F): Kenward-Roger (simr's fixed(x, "f"))
# simr's model comparisons on the same responses (a case's compares, keyed compare_i):
#   compare / fcompare / rcompare: the smaller model as simr builds it (update(fit, model); the fixed part
#   given + the fit's bars; the fit's fixed part + the bars given), then lr (anova(fit, small): ML
#   refits, here at the tight control) or kr (KRmodcomp(fit, small));
# and fixed(x, "pb") (a case's pb): PBmodcomp(ML fit, ML fit without x, ref = the reference distribution of
# our bootstrap responses of that replicate, <name>_pb_<r>.csv, refitted here), its PBtest p-value.
# The refits use nloptwrap at tight tolerances (the optimum itself: lme4's default tolerances leave
# θ̂ about 1e-5 off, which would be the reference's error, not ours); the lr test's ML fits are
# made with the same control (drop1's refitML uses lme4's default ML refit; its p-values are kept
# too, as drop1_lr, to show the difference is the optimizer's tolerance).
# glmer cases (cbpp): refitted by glmer (Laplace) and tested by simr's ztest or lrtest, at the exact
# Laplace optimum (see below).
# Also: binom.test's Clopper–Pearson intervals, and simr's extend on sleepstudy.
# Usage (from the repository root): Rscript test/oracle/power.R   Writes test/fixtures/power/power.json.
suppressMessages({ library(lme4); library(lmerTest); library(pbkrtest); library(car); library(jsonlite) })
# exact_devfun, exact_optimum (the exact Laplace deviance's optimum)
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "exact_laplace.R"))
dir <- "test/fixtures/power"
index <- fromJSON(file.path(dir, "cases.json"), simplifyVector = FALSE)
tight <- lmerControl(optimizer = "nloptwrap", calc.derivs = FALSE,
                     optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12, maxeval = 1e5))
quiet <- function(expr) suppressMessages(suppressWarnings(expr))

out <- list()
for (c in index$cases) {
  data <- read.csv(file.path("test/fixtures/data", c$data))
  for (f in unlist(c$factors)) data[[f]] <- factor(data[[f]])
  sims <- read.csv(file.path(dir, paste0(c$name, "_responses.csv")), colClasses = "numeric")
  form <- as.formula(c$formula)
  resp <- all.vars(form)[1]
  if (!is.null(c$family)) {
    # glmer (cbpp): the responses are proportions of the trials; glmer refits cbind(incidence, size - incidence),
    # tested by simr's ztest (summary's Pr(>|z|), Var(beta) from the Hessian as glmer's default) or lrtest
    # (drop1's -2 logLik difference; refitML is the fit itself for a GLMM)
    # glmer's own deviance is evaluated with L one PIRLS step behind the mode (~1e-5, see
    # exact_laplace.R), so the references are the exact Laplace optima (exact_optimum from glmer's
    # fit; Var(beta) from the exact deviance's Hessian, as glmer's summary takes it from its Hessian);
    # glmer's own summary / drop1 p-values are kept as lme4_p
    reduced <- update(form, as.formula(paste("~ . -", c$test)))
    exactOf <- function(fit) {
      dev <- eval(update(fit, devFunOnly = TRUE, evaluate = FALSE))
      exact <- exact_devfun(dev)
      exact_optimum(function(x) tryCatch(exact(x), error = function(e) 1e10), as.numeric(getME(fit, "theta")), as.numeric(fixef(fit)), getME(fit, "lower"))
    }
    p <- list(); lme4_p <- list(); theta <- list()
    for (m in unlist(c$methods)) { p[[m]] <- numeric(0); lme4_p[[m]] <- numeric(0) }
    for (r in seq_len(c$nsim)) {
      d <- data
      d$incidence <- round(sims[[paste0("sim_", r)]] * d$size)
      fit <- quiet(glmer(form, data = d, family = binomial))
      o1 <- exactOf(fit)
      theta[[r]] <- o1$theta
      for (m in unlist(c$methods)) {
        if (m == "z") {
          j <- match(c$test, names(fixef(fit)))
          v <- 2 * pnorm(abs(o1$beta[j] / sqrt(o1$vcov[j, j])), lower.tail = FALSE)
          v0 <- summary(fit)$coefficients[c$test, "Pr(>|z|)"]
        } else {
          f0 <- quiet(glmer(reduced, data = d, family = binomial))
          o0 <- exactOf(f0)
          df <- attr(logLik(fit), "df") - attr(logLik(f0), "df")
          v <- pchisq(o0$value - o1$value, df, lower.tail = FALSE)
          v0 <- drop1(fit, as.formula(paste("~", c$test)), test = "Chisq")[c$test, "Pr(Chi)"]
        }
        p[[m]] <- c(p[[m]], v); lme4_p[[m]] <- c(lme4_p[[m]], v0)
      }
    }
    out[[c$name]] <- list(p = p, lme4_p = lme4_p, successes = lapply(p, function(v) sum(v < 0.05)), theta = theta)
    next
  }
  reduced <- update(form, as.formula(paste("~ . -", c$test)))
  methods <- unlist(c$methods)
  p <- setNames(lapply(methods, function(m) numeric(0)), methods)
  drop1_lr <- numeric(0)
  theta <- list()
  for (r in seq_len(c$nsim)) {
    d <- data
    d[[resp]] <- sims[[paste0("sim_", r)]]
    fit <- quiet(lmerTest::lmer(form, data = d, REML = c$reml, control = tight))
    theta[[r]] <- unname(getME(fit, "theta"))
    for (m in methods) {
      v <- switch(m,
        t = summary(fit, ddf = "Satterthwaite")$coefficients[c$test, "Pr(>|t|)"],
        z = 2 * pnorm(abs(summary(as(fit, "lmerMod"))$coefficients[c$test, "t value"]), lower.tail = FALSE),
        anova = anova(fit, type = 2, ddf = "Satterthwaite")[c$test, "Pr(>F)"],
        chisq = quiet(Anova(as(fit, "lmerMod"), type = 2, test.statistic = "Chisq"))[c$test, "Pr(>Chisq)"],
        f = quiet(Anova(as(fit, "lmerMod"), type = 2, test.statistic = "F"))[c$test, "Pr(>F)"],
        kr = {
          fit0 <- quiet(lme4::lmer(reduced, data = d, REML = c$reml, control = tight))
          quiet(KRmodcomp(as(fit, "lmerMod"), fit0))$stats$p.value
        },
        lr = {
          m1 <- quiet(lme4::lmer(form, data = d, REML = FALSE, control = tight))
          m0 <- quiet(lme4::lmer(reduced, data = d, REML = FALSE, control = tight))
          df <- attr(logLik(m1), "df") - attr(logLik(m0), "df")
          pchisq(deviance(m0) - deviance(m1), df, lower.tail = FALSE)
        })
      p[[m]] <- c(p[[m]], v)
    }
    if ("lr" %in% methods) {
      fd <- quiet(lme4::lmer(form, data = d, REML = c$reml))
      a <- quiet(drop1(fd, as.formula(paste("~", c$test)), test = "Chisq"))
      drop1_lr <- c(drop1_lr, a[c$test, "Pr(Chi)"])
    }
  }
  # simr's compare, fcompare, rcompare (testLibrary.R): the smaller model's formula
  bars <- function(f) sapply(lme4::findbars(f), function(b) paste0("(", deparse1(b), ")"))
  smallOf <- function(cmp) {
    model <- as.formula(cmp$formula)
    switch(cmp$kind,
      compare = update(form, model),
      fcompare = as.formula(paste(resp, "~", deparse1(lme4::nobars(model)[[length(lme4::nobars(model))]]), "+", paste(bars(form), collapse = " + "))),
      rcompare = as.formula(paste(deparse1(lme4::nobars(form)), "+", paste(bars(model), collapse = " + "))))
  }
  for (i in seq_along(c$compares)) {
    cmp <- c$compares[[i]]
    small <- smallOf(cmp)
    key <- paste0("compare_", i)
    p[[key]] <- numeric(0)
    for (r in seq_len(c$nsim)) {
      d <- data
      d[[resp]] <- sims[[paste0("sim_", r)]]
      v <- if (cmp$method == "lr") {
        m1 <- quiet(lme4::lmer(form, data = d, REML = FALSE, control = tight))
        m0 <- quiet(lme4::lmer(small, data = d, REML = FALSE, control = tight))
        quiet(anova(m1, m0))[2, "Pr(>Chisq)"]
      } else {
        m1 <- quiet(lme4::lmer(form, data = d, REML = c$reml, control = tight))
        m0 <- quiet(lme4::lmer(small, data = d, REML = c$reml, control = tight))
        quiet(KRmodcomp(m1, m0))$stats$p.value
      }
      p[[key]] <- c(p[[key]], v)
    }
    attr(p[[key]], "small") <- NULL
    p[[paste0(key, "_small")]] <- NULL
  }
  if (!is.null(c$pb)) {
    p$pb <- numeric(0)
    # fixed(test, "pb"): the model without the term; a comparison's pb: its smaller model
    if (!is.null(c$pb$compare)) reduced <- smallOf(c$pb$compare)
    for (r in seq_len(c$pb$nsim)) {
      d <- data
      d[[resp]] <- sims[[paste0("sim_", r)]]
      m1 <- quiet(lme4::lmer(form, data = d, REML = FALSE, control = tight))
      m0 <- quiet(lme4::lmer(reduced, data = d, REML = FALSE, control = tight))
      boot <- read.csv(file.path(dir, sprintf("%s_pb_%d.csv", c$name, r)), colClasses = "numeric")
      ref <- sapply(seq_len(ncol(boot)), function(k) {
        d2 <- d; d2[[resp]] <- boot[[k]]
        2 * (as.numeric(logLik(quiet(lme4::lmer(form, data = d2, REML = FALSE, control = tight)))) -
             as.numeric(logLik(quiet(lme4::lmer(reduced, data = d2, REML = FALSE, control = tight)))))
      })
      p$pb <- c(p$pb, quiet(PBmodcomp(m1, m0, ref = ref))$test["PBtest", "p.value"])
    }
  }
  successes <- lapply(p, function(v) sum(v < 0.05))
  out[[c$name]] <- list(p = p, successes = successes, drop1_lr = drop1_lr, theta = theta)
}

# powerCurve's subsets: the sleepstudy_days responses refitted on the rows of the first k Subjects
# (levels in sorted order, simr's head(sort(unique(x)), k)), each tested by lmerTest's t (simr's ttest)
curve <- local({
  c <- Filter(function(c) c$name == "sleepstudy_days", index$cases)[[1]]
  data <- read.csv(file.path("test/fixtures/data", c$data)); data$Subject <- factor(data$Subject)
  sims <- read.csv(file.path(dir, paste0(c$name, "_responses.csv")), colClasses = "numeric")
  targets <- sort(unique(data$Subject))
  lapply(c(3L, 10L), function(k) {
    ss <- data$Subject %in% head(targets, k)
    fits <- lapply(seq_len(c$nsim), function(r) {
      d <- data; d$Reaction <- sims[[paste0("sim_", r)]]
      quiet(lmerTest::lmer(as.formula(c$formula), data = d[ss, ], REML = TRUE, control = tight))
    })
    p <- sapply(fits, function(fit) summary(fit, ddf = "Satterthwaite")$coefficients["Days", "Pr(>|t|)"])
    list(k = k, nrow = sum(ss), p = p, singular = sapply(fits, isSingular),
         theta = lapply(fits, function(fit) unname(getME(fit, "theta"))))
  })
})
tidy <- round(seq(3, 18, length = 10))

# binom.test's exact interval (simr's binom = "exact": binom::binom.confint, the same interval)
binom <- lapply(list(c(0, 20), c(3, 20), c(20, 20), c(45, 100), c(1, 1000), c(500, 1000), c(999, 1000), c(50, 1000)), function(xn) {
  ci <- binom.test(xn[1], xn[2])$conf.int
  list(x = xn[1], n = xn[2], lower = ci[1], upper = ci[2])
})

# simr's extend(fit, along = "Subject", n = 30) on sleepstudy (extend.data.frame's logic, simr 1.0.7:
# the new levels' names are letters made unique, each new level a copy of the rows of an old level,
# the old levels taken in order of appearance and recycled)
extend_df <- function(object, along, n) {
  values <- character(n); suppressWarnings(values[] <- letters); values <- make.unique(values)
  oldValues <- values; suppressWarnings(oldValues[] <- as.character(unique(object[[along]])))
  X <- do.call(rbind, mapply(function(value, oldValue) {
    one <- object[object[[along]] == oldValue, , drop = FALSE]
    levels(one[[along]]) <- values
    one[[along]][] <- value
    one
  }, values, oldValues, SIMPLIFY = FALSE))
  X
}
ss <- read.csv("test/fixtures/data/sleepstudy.csv"); ss$Subject <- factor(ss$Subject)
ext <- extend_df(ss, "Subject", 30)
# within = "Subject", n = 12: simr's addReplicateIndex (rows numbered within each Subject), then
# extend.data.frame along that index (numeric: values 1 … n, old values recycled), the index dropped
ssr <- ss; ssr$.simr_repl <- ave(seq_len(nrow(ss)), ss$Subject, FUN = seq_along)
extw <- local({
  object <- ssr; along <- ".simr_repl"; n <- 12
  values <- seq_len(n)
  oldValues <- values; suppressWarnings(oldValues[] <- as.character(unique(object[[along]])))
  X <- do.call(rbind, mapply(function(value, oldValue) {
    one <- object[object[[along]] == oldValue, , drop = FALSE]; one[[along]][] <- value; one
  }, values, oldValues, SIMPLIFY = FALSE))
  X$.simr_repl <- NULL
  X
})
within <- list(n = 12, nrow = nrow(extw), Subject = as.character(extw$Subject), Days = extw$Days)
extend <- list(along = "Subject", n = 30, nrow = nrow(ext), Subject = as.character(ext$Subject),
               levels = levels(ext$Subject), Days = ext$Days, Reaction = ext$Reaction)

write(toJSON(list(r = R.version.string, lme4 = as.character(packageVersion("lme4")),
                  lmerTest = as.character(packageVersion("lmerTest")), pbkrtest = as.character(packageVersion("pbkrtest")),
                  cases = out, binom = binom, extend = extend, within = within, curve = curve, tidy = tidy), digits = NA, auto_unbox = TRUE, pretty = FALSE),
      file.path(dir, "power.json"))
