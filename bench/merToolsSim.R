#!/usr/bin/env Rscript
# merTools 0.5.2's predictInterval, REsim and FEsim on sleepstudy with 20,000 draws, beside bench/merToolsSim.ts.
suppressMessages({ library(lme4); library(merTools) })
m <- lmer(Reaction ~ Days + (Days | Subject), sleepstudy)
nd <- data.frame(Subject = factor(c("308", "308", "335", "372", "999")), Days = c(0, 9, 5, 2, 4))
cat("predictInterval 20000:", system.time(suppressWarnings(predictInterval(m, nd, n.sims = 20000, seed = 1)))[["elapsed"]], "s\n")
cat("REsim 20000:", system.time(REsim(m, n.sims = 20000, seed = 1))[["elapsed"]], "s\n")
cat("FEsim 20000:", system.time(FEsim(m, n.sims = 20000, seed = 1))[["elapsed"]], "s\n")
