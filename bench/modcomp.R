#!/usr/bin/env Rscript
# pbkrtest's KRmodcomp, SATmodcomp and PBmodcomp timed on the models of bench/modcomp.ts.
#   Rscript bench/modcomp.R [nsim]
suppressMessages({ library(lme4); library(pbkrtest) })
args <- commandArgs(trailingOnly = TRUE)
nsim <- if (length(args)) as.integer(args[1]) else 1000L
d <- read.csv("test/fixtures/data/modcomp_2x3.csv", stringsAsFactors = TRUE)
tm <- function(expr) { t <- proc.time(); force(expr); (proc.time() - t)[["elapsed"]] }
t_fit <- tm({ large <- lmer(y ~ A * B + (1 | g) + (1 | g:A), d); small <- lmer(y ~ A + B + (1 | g) + (1 | g:A), d) })
t_kr <- tm(kr <- KRmodcomp(large, small))
t_sat <- tm(sat <- SATmodcomp(large, small))
set.seed(1)
t_pb <- tm(pb <- PBmodcomp(large, small, nsim = nsim))
cat(sprintf("fits %.3f s; KRmodcomp %.3f s (F %.4f, ddf %.2f); SATmodcomp %.3f s; PBmodcomp (nsim %d) %.3f s (p_PB %.4f)\n",
            t_fit, t_kr, getKR(kr, "Fstat"), getKR(kr, "ddf"), t_sat, nsim, t_pb, pb$test["PBtest", "p.value"]))
