# afex 1.2-1's mixed() on the cases bench/afex.ts times ours on: the median of 3 runs each after a warm-up run (defaults of afex and lme4).
#   Rscript bench/afex.R && npx vite-node bench/afex.ts   (from the repository root)
suppressMessages(library(afex))
rd <- function(f, fac) { d <- read.csv(file.path("test/fixtures/data", f), stringsAsFactors = TRUE); for (x in fac) d[[x]] <- factor(d[[x]]); d }
sk <- rd("sk2011_1.csv", "id"); obk <- rd("obk_long.csv", "id"); md <- rd("md_16_1.csv", "id"); cb <- rd("cbpp.csv", c("herd", "period"))
tm <- function(label, f) { suppressMessages(suppressWarnings(f())); t <- replicate(3, system.time(suppressMessages(suppressWarnings(f())))["elapsed"]); cat(sprintf("%-28s median %.3f s (runs %s)\n", label, median(t), paste(sprintf("%.3f", t), collapse = ", "))) }
tm("sk2011 KR type 3", function() mixed(response ~ instruction * type + (type | id) + (1 | content), sk, method = "KR", progress = FALSE))
tm("sk2011 S type 2", function() mixed(response ~ instruction * type + (type | id) + (1 | content), sk, method = "S", type = 2, progress = FALSE))
tm("obk LRT type 3", function() mixed(value ~ treatment * phase + (1 | id), obk, method = "LRT", progress = FALSE))
tm("obk LRT expand_re", function() mixed(value ~ treatment * phase + (phase || id), obk, method = "LRT", expand_re = TRUE, progress = FALSE))
tm("cbpp LRT (glmer)", function() mixed(cbind(incidence, size - incidence) ~ period + (1 | herd), cb, family = binomial, method = "LRT", progress = FALSE))
tm("md_16.1 PB nsim 1000", function() mixed(severity ~ sex + (1 | id), md, method = "PB", args_test = list(nsim = 1000, seed = 1), progress = FALSE))
tm("cbpp PB nsim 300 (glmer)", function() mixed(cbind(incidence, size - incidence) ~ period + (1 | herd), cb, family = binomial, method = "PB", args_test = list(nsim = 300, seed = 1), progress = FALSE))
