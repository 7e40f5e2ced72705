#!/usr/bin/env Rscript
# car's Anova (Wald chi-square tests, types II and III) of glmer fits, for test/waldAnova.test.ts.
# glmer's own optimum and Hessian belong to its early-stopping PIRLS (test/oracle/glmer_tight.R), so
# each case runs car::Anova on the fit with beta and Var(beta) of the exact Laplace deviance's optimum
# (test/oracle/exact_laplace.R), the fit our glmer reaches.
# Usage (from the repository root): Rscript test/oracle/car_anova.R test/fixtures/data test/fixtures/car-anova
# Needs: apt-get install r-cran-lme4 r-cran-jsonlite r-cran-car
suppressMessages({ library(lme4); library(jsonlite); library(car) })
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "exact_laplace.R"))
args <- commandArgs(trailingOnly = TRUE)
dataDir <- args[1]; out <- args[2]

set.seed(20261205)
n <- 400
d <- data.frame(A = sample(c("a1", "a2", "a3"), n, replace = TRUE), B = sample(c("lo", "hi"), n, replace = TRUE),
                x = round(rnorm(n), 3), g = sprintf("g%02d", sample(1:30, n, replace = TRUE)), t = round(runif(n, 0.5, 2), 3))
b <- rnorm(30, 0, 0.7)
eta <- -0.3 + c(a1 = 0, a2 = 0.6, a3 = -0.4)[d$A] + ifelse(d$B == "hi", 0.3, 0) + ifelse(d$A == "a2" & d$B == "hi", -0.5, 0) + 0.5 * d$x + b[as.integer(factor(d$g))]
d$yb <- rbinom(n, 1, plogis(eta))
d$count <- rpois(n, d$t * exp(0.2 + 0.4 * eta))
write.csv(d, file.path(out, "glmm.csv"), row.names = FALSE)
cbpp <- read.csv(file.path(dataDir, "cbpp.csv")); cbpp$period <- factor(cbpp$period); cbpp$herd <- factor(cbpp$herd)

ctrl <- glmerControl(tolPwrss = 1e-12)
cases <- list(
  list(name = "cbpp", data = "cbpp", formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", family = "binomial", d = cbpp),
  list(name = "binary_interaction", data = "glmm.csv", formula = "yb ~ A * B + x + (1 | g)", family = "binomial", d = d),
  list(name = "poisson_covariate_interaction", data = "glmm.csv", formula = "count ~ A + B * x + offset(log(t)) + (1 | g)", family = "poisson", d = d)
)
res <- lapply(cases, function(cs) {
  m <- glmer(as.formula(cs$formula), cs$d, family = get(cs$family)(), control = ctrl)
  ex <- exact_optimum(exact_devfun(update(m, devFunOnly = TRUE)), getME(m, "theta"), fixef(m), getME(m, "lower"))
  m@beta <- ex$beta
  tab <- function(type) {
    a <- suppressMessages(Anova(m, type = type, vcov. = ex$vcov))
    list(terms = rownames(a), chisq = a$Chisq, df = a$Df, p = a[["Pr(>Chisq)"]])
  }
  list(name = cs$name, data = cs$data, formula = cs$formula, family = cs$family, beta = as.list(setNames(ex$beta, names(fixef(m)))), vcov = ex$vcov,
       type2 = tab("II"), type3 = tab("III"))
})
writeLines(toJSON(list(car = as.character(packageVersion("car")), lme4 = as.character(packageVersion("lme4")), cases = res), auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(out, "car.json"))
