#!/usr/bin/env Rscript
# nlme 3.1-162's lme on fits where the weights span orders of magnitude, for test/nlmeHard.test.ts
# (src/nlme/): a varPower of a covariate in the tens (Soybean's Time, Dialyzer's pressure) or of fitted
# values near 0 (Soybean's varPower()), varConstPower of Phenobarb's time. Writes the data
# (test/fixtures/data/{Soybean,Dialyzer,Phenobarb}.csv) and one JSON per case as test/oracle/nlme.R's
# (the shared record in test/oracle/nlme_common.R).
# Usage (from the repository root):
#   Rscript test/oracle/nlme_hard.R test/fixtures/data test/fixtures/nlme
# Needs: nlme 3.1-162, jsonlite.
suppressMessages({ library(nlme); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]
stopifnot(packageVersion("nlme") == "3.1.162")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "nlme_common.R"))

soy <- as.data.frame(Soybean)[, c("Plot", "Variety", "Year", "Time", "weight")]
soy$Plot <- as.character(soy$Plot); soy$Variety <- as.character(soy$Variety); soy$Year <- as.character(soy$Year)
dial <- as.data.frame(Dialyzer)[, c("Subject", "QB", "pressure", "rate")]
dial$Subject <- as.character(dial$Subject); dial$QB <- as.character(dial$QB)
pheno <- as.data.frame(Phenobarb)
pheno <- pheno[!is.na(pheno$conc), c("Subject", "time", "conc")]
pheno$Subject <- as.character(pheno$Subject)
rownames(soy) <- rownames(dial) <- rownames(pheno) <- NULL
write.csv(soy, file.path(dataDir, "Soybean.csv"), row.names = FALSE)
write.csv(dial, file.path(dataDir, "Dialyzer.csv"), row.names = FALSE)
write.csv(pheno, file.path(dataDir, "Phenobarb.csv"), row.names = FALSE)
soy$Plot <- factor(soy$Plot); dial$Subject <- factor(dial$Subject); dial$QB <- factor(dial$QB); pheno$Subject <- factor(pheno$Subject)
datasets <- list(Soybean = soy, Dialyzer = dial, Phenobarb = pheno)

# nlme's default fit (its default control: what a user gets) and its record
hardCase <- function(name, dataName, fixed, random, weights, method = "REML", ours = list()) {
  d <- datasets[[dataName]]
  call <- bquote(lme(.(fixed), data = d, random = .(random), weights = .(weights), method = .(method)))
  f <- eval(call)
  s <- summary(f)
  writeRecord(lmeRecord(name, dataName, fixed, random, method, ours, d, f, NULL, s), f)
}

hardCase("soy_varpower_time", "Soybean", weight ~ Time, ~ 1 | Plot, quote(varPower(form = ~ Time)),
         ours = list(fixed = "weight ~ Time", random = "~ 1 | Plot", weights = "varPower(form = ~ Time)"))
hardCase("soy_varpower_fitted", "Soybean", weight ~ Time, ~ 1 | Plot, quote(varPower()),
         ours = list(fixed = "weight ~ Time", random = "~ 1 | Plot", weights = "varPower()"))
hardCase("dial_varpower", "Dialyzer", rate ~ pressure * QB, ~ pressure | Subject, quote(varPower(form = ~ pressure)),
         ours = list(fixed = "rate ~ pressure * QB", random = "~ pressure | Subject", weights = "varPower(form = ~ pressure)"))
hardCase("pheno_varconstpower", "Phenobarb", conc ~ time, ~ 1 | Subject, quote(varConstPower(form = ~ time)),
         ours = list(fixed = "conc ~ time", random = "~ 1 | Subject", weights = "varConstPower(form = ~ time)"))
cat("done\n")
