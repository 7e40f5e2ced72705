#!/usr/bin/env Rscript
# glmmTMB 1.1.5's predict(fit, newdata, type, re.form, allow.new.levels) for zero-inflated and hurdle
# fits (test/zeroinflPredict.test.ts, src/zeroinfl/predict.ts).
#
# Data: test/fixtures/data/salamanders.csv (written by test/oracle/zeroinfl.R). New data: every 16th
# row with `mined` flipped and `cover` shifted by 0.5, plus two rows of a site not in the fit ("NEW"),
# written to test/fixtures/data/salamanders_newdata.csv (read back with read.csv, so that R predicts
# the same table as the tests). For each case: glmmTMB's parameters fit$fit$par (the predictions are
# at those parameters: the tests build our fit at the same point), and predict(newdata) of each type
# (response, conditional, zprob, link, zlink) with the random effects (allow.new.levels = TRUE: the new
# site at b = 0) and without (re.form = NA; glmmTMB 1.1.5 stops with "subscript out of bounds" on new data
# with an unseen level even then, unless allow.new.levels = TRUE).
# Usage (from the repository root): Rscript test/oracle/zeroinfl_predict.R
suppressPackageStartupMessages({ library(glmmTMB); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", ".."))
d <- read.csv(file.path(root, "test/fixtures/data/salamanders.csv"), stringsAsFactors = TRUE)
nd <- d[seq(1, nrow(d), by = 16), c("site", "mined", "cover", "count")]
nd$mined <- ifelse(nd$mined == "yes", "no", "yes")
nd$cover <- nd$cover + 0.5
nd$site <- as.character(nd$site)
nd <- rbind(nd, data.frame(site = c("NEW", "NEW"), mined = c("yes", "no"), cover = c(0.1, -0.7), count = c(0, 0)))
ndcsv <- file.path(root, "test/fixtures/data/salamanders_newdata.csv")
write.csv(nd, ndcsv, row.names = FALSE, quote = FALSE)
nd <- read.csv(ndcsv, stringsAsFactors = TRUE)

cases <- list(
  list(name = "zip_mined", formula = "count ~ mined + (1 | site)", zi = "~ mined", family = "poisson"),
  list(name = "zinb_mined", formula = "count ~ mined + (1 | site)", zi = "~ mined", family = "nbinom2"),
  list(name = "hurdle_nb_mined", formula = "count ~ mined + (1 | site)", zi = "~ mined", family = "truncated_nbinom2"),
  list(name = "hurdle_pois_cover", formula = "count ~ mined + cover + (1 | site)", zi = "~ mined", family = "truncated_poisson")
)
fam_of <- function(name) switch(name, poisson = poisson(), nbinom2 = nbinom2(), truncated_nbinom2 = truncated_nbinom2(), truncated_poisson = truncated_poisson())
out <- list()
for (cs in cases) {
  fit <- glmmTMB(as.formula(cs$formula), ziformula = as.formula(cs$zi), family = fam_of(cs$family), data = d)
  r <- list(name = cs$name, formula = cs$formula, ziformula = cs$zi, family = cs$family, par = unname(fit$fit$par))
  for (type in c("response", "conditional", "zprob", "link", "zlink")) {
    r[[type]] <- unname(predict(fit, newdata = nd, type = type, allow.new.levels = TRUE))
    r[[paste0(type, "_population")]] <- unname(predict(fit, newdata = nd, type = type, re.form = NA, allow.new.levels = TRUE))
  }
  out[[cs$name]] <- r
}
out$source <- list(package = paste("glmmTMB", packageVersion("glmmTMB")), R = R.version.string, newdata = "test/fixtures/data/salamanders_newdata.csv")
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(root, "test/fixtures/zeroinfl/predict_newdata.json"))
