#!/usr/bin/env Rscript
# simr's extend and powerCurve of glmer fits redone in R on our simulated responses (simr is not
# installed here and R's draws are not ours): for each case of test/fixtures/power/glmm_cases.json
# (written with the responses by test/oracle/exportPowerGlmmResponses.ts) the data are extended as
# simr's extend.data.frame does (along a factor: make.unique(letters) levels, each a copy of an old
# level's rows; within a factor: addReplicateIndex, then along that index), the design's `along`
# column compared with ours, and each replicate's response refitted by glmer on the rows of the
# first k levels of `along` (simr's powerCurve: head(sort(unique(x)), k), an extended factor in its
# new order a, b, …) for each break k, then tested as simr's fixed(term, method):
#   z   summary's Pr(>|z|) (Var(beta) from the Hessian of the deviance, glmer's default)   (ztest)
#   lr  drop1(fit, ~term, test = "Chisq"): deviance difference on chi2(df)              (lrtest)
# glmer's own deviance lags one PIRLS step (~1e-5, exact_laplace.R), so each reference is the exact
# Laplace optimum started from glmer's fit (p) — glmer's own default-control p-values kept as lme4_p.
# Usage (from the repository root): Rscript test/oracle/power_glmm.R   Writes test/fixtures/power/power_glmm.json.
suppressMessages({ library(lme4); library(jsonlite) })
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "exact_laplace.R"))
dir <- "test/fixtures/power"
index <- fromJSON(file.path(dir, "glmm_cases.json"), simplifyVector = FALSE)
quiet <- function(expr) suppressMessages(suppressWarnings(expr))

# simr's extend.data.frame (simr 1.0.7's logic): factor values make.unique(letters), numeric 1 … n
extend_df <- function(object, along, n) {
  isf <- is.factor(object[[along]])
  if (isf) { values <- character(n); suppressWarnings(values[] <- letters); values <- make.unique(values) } else values <- seq_len(n)
  oldValues <- values; suppressWarnings(oldValues[] <- as.character(unique(object[[along]])))
  do.call(rbind, mapply(function(value, oldValue) {
    one <- object[as.character(object[[along]]) == oldValue, , drop = FALSE]
    if (isf) levels(one[[along]]) <- values
    one[[along]][] <- value
    one
  }, values, oldValues, SIMPLIFY = FALSE))
}

exactOf <- function(fit) {
  dev <- eval(update(fit, devFunOnly = TRUE, evaluate = FALSE))
  exact <- exact_devfun(dev)
  exact_optimum(function(x) tryCatch(exact(x), error = function(e) 1e10), as.numeric(getME(fit, "theta")), as.numeric(fixef(fit)), getME(fit, "lower"))
}

out <- list()
for (c in index$cases) {
  data <- read.csv(file.path("test/fixtures/data", c$data))
  for (f in unlist(c$factors)) data[[f]] <- factor(data[[f]])
  if (!is.null(c$extend$along)) data <- extend_df(data, c$extend$along, c$extend$n)
  if (!is.null(c$extend$within)) {
    data$.simr_repl <- ave(seq_len(nrow(data)), data[[c$extend$within]], FUN = seq_along)
    data <- extend_df(data, ".simr_repl", c$extend$n)
    data$.simr_repl <- NULL
  }
  sims <- read.csv(file.path(dir, paste0(c$name, "_responses.csv")), colClasses = c("character", rep("numeric", c$nsim)))
  stopifnot(nrow(sims) == nrow(data), all(sims[[1]] == as.character(data[[c$along]])))
  form <- as.formula(c$formula)
  fam <- get(c$family)
  # simr's powerCurve targets: an extended factor's levels in their new order, else sorted
  targets <- if (!is.null(c$extend$along) && c$extend$along == c$along) unique(as.character(data[[c$along]])) else as.character(sort(unique(data[[c$along]])))
  breaks <- lapply(unlist(c$breaks), function(k) {
    ss <- as.character(data[[c$along]]) %in% head(targets, k)
    res <- list(k = k, nrow = sum(ss))
    for (t in c$tests) { res[[paste0(t$method, "_", t$term)]] <- numeric(0); res[[paste0("lme4_", t$method, "_", t$term)]] <- numeric(0) }
    for (r in seq_len(c$nsim)) {
      d <- data
      y <- sims[[paste0("sim_", r)]]
      if (c$family == "poisson") d$count <- y else d$incidence <- round(y * d$size)
      dd <<- d[ss, ]
      fit <- if (is.null(c$weights)) quiet(glmer(form, data = dd, family = fam)) else quiet(glmer(form, data = dd, family = fam, weights = size))
      o1 <- tryCatch(exactOf(fit), error = function(e) { message(c$name, " k ", k, " r ", r, ": ", conditionMessage(e)); NULL })
      if (is.null(o1)) o1 <- list(beta = NA, vcov = matrix(NA), value = NA)
      for (t in c$tests) {
        if (t$method == "z") {
          j <- match(t$term, names(fixef(fit)))
          v <- if (is.na(o1$vcov[1])) NA else 2 * pnorm(abs(o1$beta[j] / sqrt(o1$vcov[j, j])), lower.tail = FALSE)
          v0 <- summary(fit)$coefficients[t$term, "Pr(>|z|)"]
        } else {
          f0 <- quiet(update(fit, as.formula(paste("~ . -", t$term))))
          o0 <- tryCatch(exactOf(f0), error = function(e) list(value = NA))
          df <- attr(logLik(fit), "df") - attr(logLik(f0), "df")
          v <- pchisq(o0$value - o1$value, df, lower.tail = FALSE)
          v0 <- drop1(fit, as.formula(paste("~", t$term)), test = "Chisq")[t$term, "Pr(Chi)"]
        }
        res[[paste0(t$method, "_", t$term)]] <- c(res[[paste0(t$method, "_", t$term)]], v)
        res[[paste0("lme4_", t$method, "_", t$term)]] <- c(res[[paste0("lme4_", t$method, "_", t$term)]], v0)
      }
    }
    res
  })
  out[[c$name]] <- list(nrow = nrow(data), breaks = breaks)
}
write(toJSON(list(r = R.version.string, lme4 = as.character(packageVersion("lme4")), cases = out), digits = NA, auto_unbox = TRUE, pretty = FALSE),
      file.path(dir, "power_glmm.json"))
