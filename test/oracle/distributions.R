#!/usr/bin/env Rscript
# R's distribution functions at points that meta-analysis tests and intervals use
# (test/distributions.test.ts). Usage (from the repository root): Rscript test/oracle/distributions.R
# Writes test/fixtures/distributions.json.
suppressMessages(library(jsonlite))
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
ps <- c(1e-300, 1e-20, 1e-8, 0.001, 0.025, 0.1, 0.3, 0.5, 0.7, 0.975, 0.999, 1 - 1e-10)
dfs <- c(1, 2, 3, 4.5, 11, 12, 30, 55, 1000)
qs <- c(0, 0.01, 0.5, 1, 2.5, 10, 30, 152.233, 578.864, 1000)
res <- list(
  qnorm = lapply(ps, function(p) list(p = p, q = qnorm(p))),
  qt = unlist(lapply(dfs, function(d) lapply(ps[-1], function(p) list(p = p, df = d, q = qt(p, d)))), recursive = FALSE),
  pt2 = unlist(lapply(dfs, function(d) lapply(c(-40, -3.1, -0.5, 0, 0.2, 1.96, 4.04, 12), function(t)
    list(t = t, df = d, p = 2 * pt(abs(t), d, lower.tail = FALSE)))), recursive = FALSE),
  pchisq = unlist(lapply(c(1, 2, 3, 11, 12, 55, 99999), function(d) lapply(qs, function(q)
    list(q = q, df = d, p = pchisq(q, d, lower.tail = FALSE)))), recursive = FALSE),
  pf = unlist(lapply(list(c(1, 11), c(2, 10), c(3, 54), c(1, 1), c(5, 99995)), function(d) lapply(qs[-1], function(f)
    list(f = f, df1 = d[1], df2 = d[2], p = pf(f, d[1], d[2], lower.tail = FALSE)))), recursive = FALSE))
writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, pretty = FALSE), file.path(root, "test/fixtures/distributions.json"))
