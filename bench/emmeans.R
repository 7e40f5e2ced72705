# emmeans in R on the data of bench/emmeans.ts (lme4's fit, then the means and pairs, then joint_tests; emmeans uses
# asymptotic df above 3,000 observations unless its limits are raised, which pbkrtest cannot meet here)
# Usage: Rscript bench/emmeans.R CSV
suppressMessages({ library(lme4); library(emmeans) })
d <- read.csv(commandArgs(trailingOnly = TRUE)[1], stringsAsFactors = TRUE)
t0 <- proc.time()[["elapsed"]]
m <- lmer(y ~ A * B + x + log(z) + d + (1 | g), d)
cat(sprintf("lme4 fit %.0f ms\n", 1000 * (proc.time()[["elapsed"]] - t0)))
t0 <- proc.time()[["elapsed"]]
e <- emmeans(m, ~ A | B)
s <- summary(e)
t1 <- proc.time()[["elapsed"]]
p <- summary(pairs(e))
cat(sprintf("emmeans (%s): means %.0f ms, pairs %.0f ms; a1-a2 at b1: estimate %.6f, SE %.6f, p %.3e\n", attr(s, "mesg")[grep("Degrees", attr(s, "mesg"))],
  1000 * (t1 - t0), 1000 * (proc.time()[["elapsed"]] - t1), p$estimate[1], p$SE[1], p$p.value[1]))
t0 <- proc.time()[["elapsed"]]
j <- joint_tests(m)
ab <- j[j[["model term"]] == "A:B", ]
cat(sprintf("joint_tests: %.0f ms; %d terms, A:B: F %.3f, df %d, %s, p %.3e\n", 1000 * (proc.time()[["elapsed"]] - t0), nrow(j), ab$F.ratio, ab$df1, format(ab$df2), ab$p.value))
