#!/usr/bin/env Rscript
# lme4's influence(fit, groups = "g") on bench/influence.ts's data: the fit, then the refits of the first
# K groups exactly as influence.merMod (lme4 1.1-31) runs them — update(model, data, subset = (.groups != del),
# start = list(theta = θ̂), control = lmerControl(optCtrl = list(maxfun = 1000))), one at a time (ncores = 1) —
# timed with system.time; the whole influence() is G of them (its other work is negligible), so its
# time is K's scaled by G / K. Prints one JSON line.
#   Rscript bench/influence.R data.csv [K]
suppressMessages({ library(lme4); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
K <- if (length(args) > 1) as.integer(args[2]) else 20L
data <- read.csv(args[1], stringsAsFactors = TRUE)
tfit <- system.time(fit <- lmer(y ~ x + (x | g), data))[["elapsed"]]
data$.groups <- data$g
del <- unique(data$g)
par <- list(theta = getME(fit, "theta"))
control <- lmerControl(optCtrl = list(maxfun = 1000))
first <- list()
st <- system.time(for (d in del[seq_len(K)]) {
  m <- suppressWarnings(update(fit, data = data, subset = (.groups != d), start = par, control = control))
  if (length(first) < 3) first[[as.character(d)]] <- unname(fixef(m))
})
trefit <- st[["elapsed"]]; cpu <- st[["user.self"]] + st[["sys.self"]]
cat(toJSON(list(lme4 = as.character(packageVersion("lme4")), n = nrow(data), G = length(del), K = K, fitS = tfit,
  refitsS = trefit, refitsCpuS = cpu, perRefitS = trefit / K, perRefitCpuS = cpu / K, influenceEstimateS = trefit / K * length(del), firstBeta = first), auto_unbox = TRUE, digits = NA), "\n")
