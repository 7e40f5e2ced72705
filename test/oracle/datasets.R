#!/usr/bin/env Rscript
# lme4's fits of standard data sets beyond the reference cases (test/fixtures/reference): the data of
# lme4, nlme and MASS that lme4 and nlme users fit first (cake, ergoStool, Rail, MathAchieve, Assay,
# Milk, Wafer, BodyWeight, Arabidopsis, bacteria, epil), written to test/fixtures/data/*.csv and fitted
# by the same two scripts as the reference cases: lme4_reference.R (lmer to tight tolerances, with
# the objective at fixed theta) and glmer_tight.R (glmer's exact Laplace / AGQ optimum).
# Usage (from test/oracle): Rscript datasets.R
#   writes the CSVs and ../fixtures/datasets/cases.json, then runs
#   Rscript lme4_reference.R ../fixtures/datasets/cases.json ../fixtures/datasets
#   Rscript glmer_tight.R ../fixtures/datasets/cases.json ../fixtures/datasets ../fixtures/datasets --cases-only
# R 4.2.2, lme4 1.1-31, nlme 3.1-162, MASS 7.3-58.
suppressMessages({ library(lme4); library(nlme, warn.conflicts = FALSE); library(MASS); library(jsonlite) })
data_dir <- "../fixtures/data"; out <- "../fixtures/datasets"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
write_data <- function(d, file) write.csv(d, file.path(data_dir, file), row.names = FALSE)

# Grouped-data objects of nlme become plain data frames; ordered factors are written as their labels
# and read back as unordered factors (treatment contrasts on both sides).
plain <- function(d) { d <- as.data.frame(d); for (v in names(d)) if (is.factor(d[[v]])) d[[v]] <- factor(as.character(d[[v]]), levels = levels(d[[v]])); d }
write_data(transform(cake, temperature = as.character(temperature))[, c("replicate", "recipe", "temperature", "angle", "temp")], "cake.csv")
write_data(plain(ergoStool), "ergoStool.csv")
write_data(plain(Rail), "Rail.csv")
write_data(plain(MathAchieve)[, c("School", "Minority", "Sex", "SES", "MathAch", "MEANSES")], "MathAchieve.csv")
write_data(plain(Assay), "Assay.csv")
write_data(plain(Milk), "Milk.csv")
write_data(plain(Wafer), "Wafer.csv")
write_data(plain(BodyWeight), "BodyWeight_lmer.csv")
write_data(Arabidopsis, "Arabidopsis.csv")
write_data(transform(bacteria, yy = as.integer(y == "y"))[, c("ID", "trt", "week", "yy")], "bacteria.csv")
write_data(epil[, c("subject", "period", "y", "trt", "lbase", "lage", "V4")], "epil.csv")

cases <- list(
  list(name = "cake_reml", data = "../data/cake.csv", formula = "angle ~ recipe * temperature + (1 | recipe:replicate)", reml = TRUE, tight = TRUE, factors = I(c("replicate", "temperature"))),
  list(name = "cake_temp_ml", data = "../data/cake.csv", formula = "angle ~ recipe + temp + (1 | recipe:replicate)", reml = FALSE, tight = TRUE, factors = I("replicate")),
  list(name = "ergostool_reml", data = "../data/ergoStool.csv", formula = "effort ~ Type + (1 | Subject)", reml = TRUE, tight = TRUE, factors = I("Subject")),
  list(name = "rail_reml", data = "../data/Rail.csv", formula = "travel ~ 1 + (1 | Rail)", reml = TRUE, tight = TRUE, factors = I("Rail")),
  list(name = "mathach_slopes_reml", data = "../data/MathAchieve.csv", formula = "MathAch ~ SES * Sex + MEANSES + (SES | School)", reml = TRUE, tight = TRUE, factors = I("School")),
  list(name = "assay_nested_reml", data = "../data/Assay.csv", formula = "logDens ~ sample * dilut + (1 | Block) + (1 | Block:sample)", reml = TRUE, tight = TRUE, factors = I(c("Block", "dilut"))),
  list(name = "milk_slopes_ml", data = "../data/Milk.csv", formula = "protein ~ Diet * Time + (Time | Cow)", reml = FALSE, tight = TRUE, factors = I("Cow")),
  list(name = "wafer_nested_slopes_reml", data = "../data/Wafer.csv", formula = "current ~ voltage + I(voltage^2) + (voltage | Wafer/Site)", reml = TRUE, tight = TRUE, factors = I(c("Wafer", "Site"))),
  list(name = "bodyweight_slopes_reml", data = "../data/BodyWeight_lmer.csv", formula = "weight ~ Time * Diet + (Time | Rat)", reml = TRUE, tight = TRUE, factors = I(c("Rat", "Diet"))),
  list(name = "arabidopsis_poisson_crossed", data = "../data/Arabidopsis.csv", formula = "total.fruits ~ nutrient * amd + rack + status + (1 | popu) + (1 | gen)", family = "poisson", factors = I(c("nutrient", "rack", "popu", "gen"))),
  list(name = "bacteria_binomial", data = "../data/bacteria.csv", formula = "yy ~ trt + I(week > 2) + (1 | ID)", family = "binomial", factors = I("ID")),
  list(name = "epil_poisson", data = "../data/epil.csv", formula = "y ~ lbase * trt + lage + V4 + (1 | subject)", family = "poisson", factors = I("subject")),
  list(name = "epil_poisson_agq", data = "../data/epil.csv", formula = "y ~ lbase * trt + lage + V4 + (1 | subject)", family = "poisson", nAGQ = 9, factors = I("subject"))
)
writeLines(toJSON(cases, auto_unbox = TRUE, pretty = TRUE), file.path(out, "cases.json"))
system2("Rscript", c("lme4_reference.R", file.path(out, "cases.json"), out))
system2("Rscript", c("glmer_tight.R", file.path(out, "cases.json"), out, out, "--cases-only"))
