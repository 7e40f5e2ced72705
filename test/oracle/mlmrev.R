#!/usr/bin/env Rscript
# lme4's fits of the data of the "Multilevel Modelling Software Review" (R package mlmRev): the data
# sets users of HLM, MLwiN and lme4 compare tools on. Writes the CSVs to test/fixtures/mlmrev/ and
# fits them with the same two scripts as the reference cases: lme4_reference.R (lmer to tight
# tolerances, with the profiled objective at fixed theta) and glmer_tight.R (glmer's default fit,
# then the exact Laplace / AGQ optimum).
# Usage (from test/oracle): Rscript mlmrev.R
#   writes the CSVs, ../fixtures/mlmrev/cases.json and ../fixtures/mlmrev/meta.json, then runs
#   Rscript lme4_reference.R ../fixtures/mlmrev/cases.json ../fixtures/mlmrev
#   Rscript glmer_tight.R ../fixtures/mlmrev/cases.json ../fixtures/mlmrev ../fixtures/mlmrev --cases-only
# R 4.2.2, lme4 1.1-31, mlmRev 1.0-8.
#
# Encoding: binomial responses (factors N/Y in mlmRev) are written as 0/1 integers; factors are
# written as their labels and read back by read.csv (stringsAsFactors = TRUE), so R's fit and ours see
# the same (alphabetical) level order and treatment contrasts; grouping codes that look numeric are
# listed in each case's `factors`. 0/1 indicator columns (egsingle's black, hispanic) stay numeric:
# the same model as mlmRev's two-level factors, with coefficients named `black`, `hispanic`.
# Factors whose labels are mostly numbers (Contraception's livch: 0, 1, 2, 3+; guImmun's ord: 01, 23, 46, 7p) are
# listed in `factors` too: R reads them as factors anyway; our CSV reader asks for the list.
# Chem97 keeps only the columns its model uses (1.0 MB); so does star (Tennessee's STAR class-size
# experiment, 26,796 rows of which 2,218 lack math and are dropped by na.omit; 10,732 students moving
# between 80 schools: crossed, q = 2 each). star's grade gr is an ordered factor in mlmRev (contr.poly);
# written as labels it is read back as a factor with treatment contrasts (θ, σ and the deviance do not
# depend on the coding of the fixed effects; the coefficients do).
# Contraception's `(urban | district)` is a vector-valued term, for which lme4 allows only nAGQ = 1;
# the AGQ case is therefore the scalar `(1 | district)` model with nAGQ = 9.
suppressMessages({ library(lme4); library(mlmRev); library(jsonlite) })
out <- "../fixtures/mlmrev"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
write_data <- function(d, file) write.csv(d, file.path(out, file), row.names = FALSE)
yn01 <- function(f) as.integer(f == "Y")

write_data(Exam[, c("school", "student", "normexam", "standLRT", "sex", "schgend")], "Exam.csv")
write_data(Chem97[, c("lea", "school", "score", "gcsecnt")], "Chem97.csv")
write_data(transform(egsingle, black = as.integer(black == "1"), hispanic = as.integer(hispanic == "1"))[,
  c("schoolid", "childid", "year", "math", "female", "black", "hispanic", "size")], "egsingle.csv")
write_data(ScotsSec[, c("primary", "second", "attain", "verbal", "sex", "social")], "ScotsSec.csv")
write_data(Oxboys[, c("Subject", "age", "height")], "Oxboys.csv")
write_data(transform(Contraception, use = yn01(use))[, c("district", "use", "age", "urban", "livch")], "Contraception.csv")
write_data(transform(guImmun, immun = yn01(immun))[, c("mom", "comm", "immun", "kid2p", "mom25p", "ord", "ethn", "momEd", "husEd", "momWork", "rural", "pcInd81")], "guImmun.csv")
write_data(Mmmec[, c("nation", "region", "county", "deaths", "expected", "uvb")], "Mmmec.csv")
write_data(star[, c("id", "sch", "math", "gr", "sx", "eth", "cltype", "yrs")], "star.csv")

cases <- list(
  list(name = "exam_slopes_reml", data = "../mlmrev/Exam.csv", formula = "normexam ~ standLRT + sex + schgend + (standLRT | school)", reml = TRUE, tight = TRUE, factors = I("school")),
  list(name = "exam_slopes_ml", data = "../mlmrev/Exam.csv", formula = "normexam ~ standLRT + sex + schgend + (standLRT | school)", reml = FALSE, tight = TRUE, factors = I("school")),
  list(name = "chem97_nested_reml", data = "../mlmrev/Chem97.csv", formula = "score ~ gcsecnt + (1 | lea/school)", reml = TRUE, tight = TRUE, factors = I(c("lea", "school"))),
  list(name = "egsingle_growth_reml", data = "../mlmrev/egsingle.csv", formula = "math ~ year * size + female + black + hispanic + (year | schoolid) + (year | childid)", reml = TRUE, tight = TRUE, factors = I(c("schoolid", "childid"))),
  list(name = "scotssec_crossed_reml", data = "../mlmrev/ScotsSec.csv", formula = "attain ~ verbal * sex + social + (1 | primary) + (1 | second)", reml = TRUE, tight = TRUE, factors = I(c("primary", "second"))),
  list(name = "oxboys_quadratic_reml", data = "../mlmrev/Oxboys.csv", formula = "height ~ age + I(age^2) + (age + I(age^2) | Subject)", reml = TRUE, tight = TRUE, factors = I("Subject")),
  list(name = "contraception_binomial", data = "../mlmrev/Contraception.csv", formula = "use ~ age + I(age^2) + urban + livch + (urban | district)", family = "binomial", factors = I(c("district", "livch"))),
  list(name = "contraception_binomial_agq", data = "../mlmrev/Contraception.csv", formula = "use ~ age + I(age^2) + urban + livch + (1 | district)", family = "binomial", nAGQ = 9, factors = I(c("district", "livch"))),
  list(name = "guimmun_binomial_crossed", data = "../mlmrev/guImmun.csv", formula = "immun ~ kid2p + mom25p + ord + ethn + momEd + husEd + momWork + rural + pcInd81 + (1 | mom) + (1 | comm)", family = "binomial", factors = I(c("mom", "comm", "ord"))),
  list(name = "mmmec_poisson_offset", data = "../mlmrev/Mmmec.csv", formula = "deaths ~ uvb + (1 | region) + offset(log(expected))", family = "poisson", factors = I(c("region", "county"))),
  list(name = "star_growth_reml", data = "../mlmrev/star.csv", formula = "math ~ gr + sx + eth + cltype + (yrs | id) + (yrs | sch)", reml = TRUE, tight = TRUE, factors = I(c("id", "sch", "gr")))
)
writeLines(toJSON(cases, auto_unbox = TRUE, pretty = TRUE), file.path(out, "cases.json"))
meta <- list(R = R.version.string, lme4 = as.character(packageVersion("lme4")), mlmRev = as.character(packageVersion("mlmRev")),
  lmer_control = "lmerControl(optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12)): nloptwrap (NLopt BOBYQA), tight (lme4_reference.R)",
  glmer_default_control = "glmerControl() defaults: bobyqa then Nelder_Mead, tolPwrss = 1e-7 (<case>.json)",
  glmer_tight_control = "glmerControl(tolPwrss = 1e-12, optimizer = c('bobyqa', 'nloptwrap'), optCtrl = list(ftol_abs = 1e-12, ftol_rel = 1e-15, xtol_abs = 1e-10, xtol_rel = 1e-12, maxeval = 1e5)), then nloptwrap on the exact Laplace / AGQ deviance to ftol_abs 1e-13, xtol_abs 1e-10 (<case>_tight.json, glmer_tight.R)")
writeLines(toJSON(meta, auto_unbox = TRUE, pretty = TRUE), file.path(out, "meta.json"))
system2("Rscript", c("lme4_reference.R", file.path(out, "cases.json"), out))
system2("Rscript", c("glmer_tight.R", file.path(out, "cases.json"), out, out, "--cases-only"))
