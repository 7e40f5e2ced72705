#!/usr/bin/env Rscript
# robumeta 2.0's robust variance estimation meta-analysis (robu, print.robu, sensitivity) for
# test/robumeta.test.ts (src/meta/robu*.ts). Data: robumeta's own hierdat and corrdat, and oswald2013
# with Fisher's z of its correlations (effect.size = atanh(R), var.eff.size = 1/(N - 3), as robumeta's
# vignette); all three are written to test/fixtures/robumeta/data/ first, and the fits read them back.
# Cases: intercept-only and meta-regressions; CORR and HIER; small = TRUE and FALSE; rho 0.8 and 0.2;
# user weights; rows with missing values (na.omit); homogeneous effect sizes (τ², ω², I² truncated at 0);
# sensitivity() of the CORR fits.
# Usage (from the repository root):
#   Rscript test/oracle/robumeta.R test/fixtures/robumeta
# Needs: robumeta 2.0, jsonlite.
suppressMessages({ library(robumeta); library(jsonlite) })
stopifnot(packageVersion("robumeta") == "2.0")
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args)) args[1] else "test/fixtures/robumeta"
dir.create(file.path(out, "data"), recursive = TRUE, showWarnings = FALSE)

data(hierdat, corrdat, oswald2013, package = "robumeta")
osw <- data.frame(Study = oswald2013$Study, Crit.Cat = as.character(oswald2013$Crit.Cat),
                  IAT.Focus = as.character(oswald2013$IAT.Focus), N = oswald2013$N,
                  effect.size = atanh(oswald2013$R), var.eff.size = 1 / (oswald2013$N - 3))
# corrdat with holes: a missing effect size, a missing moderator and a missing variance (na.omit drops them)
corrna <- corrdat
corrna$effectsize[5] <- NA
corrna$males[17] <- NA
corrna$var[40] <- NA
corrw <- corrdat
corrw$w <- 1 / corrdat$var
# homogeneous versions (effect sizes shrunk towards their mean): the moment estimators fall below 0 and are set to 0
corr0 <- corrdat
corr0$effectsize <- mean(corrdat$effectsize) + 0.1 * (corrdat$effectsize - mean(corrdat$effectsize))
hier0 <- hierdat
hier0$effectsize <- mean(hierdat$effectsize) + 0.1 * (hierdat$effectsize - mean(hierdat$effectsize))
write17 <- function(d, f) write.csv(d, file.path(out, "data", f), row.names = FALSE, na = "")
old <- options(digits = 17)
hier <- as.data.frame(lapply(hierdat, as.vector)); write17(hier, "hierdat.csv")
corr <- as.data.frame(lapply(corrdat, as.vector)); write17(corr, "corrdat.csv")
write17(as.data.frame(lapply(corrna, as.vector)), "corrdat_na.csv")
write17(as.data.frame(lapply(corrw, as.vector)), "corrdat_w.csv")
write17(as.data.frame(lapply(corr0, as.vector)), "corrdat_homog.csv")
write17(as.data.frame(lapply(hier0, as.vector)), "hierdat_homog.csv")
write17(osw, "oswald2013.csv")
options(old)
# read back what the tests read
d <- list(hierdat = read.csv(file.path(out, "data", "hierdat.csv")),
          corrdat = read.csv(file.path(out, "data", "corrdat.csv")),
          corrdat_na = read.csv(file.path(out, "data", "corrdat_na.csv")),
          corrdat_w = read.csv(file.path(out, "data", "corrdat_w.csv")),
          corrdat_homog = read.csv(file.path(out, "data", "corrdat_homog.csv")),
          hierdat_homog = read.csv(file.path(out, "data", "hierdat_homog.csv")),
          oswald2013 = read.csv(file.path(out, "data", "oswald2013.csv")))

cases <- list(
  corr_int = list(data = "corrdat", formula = "effectsize ~ 1", study = "studyid", var = "var", mw = "CORR", rho = 0.8, small = TRUE),
  corr_reg = list(data = "corrdat", formula = "effectsize ~ males + college + binge", study = "studyid", var = "var", mw = "CORR", rho = 0.8, small = TRUE),
  corr_reg_large = list(data = "corrdat", formula = "effectsize ~ males + college + binge", study = "studyid", var = "var", mw = "CORR", rho = 0.8, small = FALSE),
  corr_reg_rho2 = list(data = "corrdat", formula = "effectsize ~ followup + males + binge + college", study = "studyid", var = "var", mw = "CORR", rho = 0.2, small = TRUE),
  corr_reg_rho2_large = list(data = "corrdat", formula = "effectsize ~ followup + males + binge + college", study = "studyid", var = "var", mw = "CORR", rho = 0.2, small = FALSE),
  corr_na = list(data = "corrdat_na", formula = "effectsize ~ males + college", study = "studyid", var = "var", mw = "CORR", rho = 0.8, small = TRUE),
  corr_user = list(data = "corrdat_w", formula = "effectsize ~ males + college + binge", study = "studyid", var = "var", mw = "CORR", rho = 0.8, small = TRUE, userweights = "w"),
  corr_user_large = list(data = "corrdat_w", formula = "effectsize ~ males + college + binge", study = "studyid", var = "var", mw = "CORR", rho = 0.8, small = FALSE, userweights = "w"),
  hier_int = list(data = "hierdat", formula = "effectsize ~ 1", study = "studyid", var = "var", mw = "HIER", rho = 0.8, small = TRUE),
  hier_int_large = list(data = "hierdat", formula = "effectsize ~ 1", study = "studyid", var = "var", mw = "HIER", rho = 0.8, small = FALSE),
  hier_reg = list(data = "hierdat", formula = "effectsize ~ binge + followup + sreport + age", study = "studyid", var = "var", mw = "HIER", rho = 0.8, small = TRUE),
  hier_reg_large = list(data = "hierdat", formula = "effectsize ~ binge + followup + sreport + age", study = "studyid", var = "var", mw = "HIER", rho = 0.8, small = FALSE),
  osw_corr = list(data = "oswald2013", formula = "effect.size ~ Crit.Cat", study = "Study", var = "var.eff.size", mw = "CORR", rho = 0.8, small = TRUE),
  osw_corr_rho2 = list(data = "oswald2013", formula = "effect.size ~ Crit.Cat + IAT.Focus", study = "Study", var = "var.eff.size", mw = "CORR", rho = 0.2, small = TRUE),
  corr_homog = list(data = "corrdat_homog", formula = "effectsize ~ males + binge", study = "studyid", var = "var", mw = "CORR", rho = 0.8, small = TRUE),
  hier_homog = list(data = "hierdat_homog", formula = "effectsize ~ binge", study = "studyid", var = "var", mw = "HIER", rho = 0.8, small = TRUE),
  osw_hier = list(data = "oswald2013", formula = "effect.size ~ IAT.Focus", study = "Study", var = "var.eff.size", mw = "HIER", rho = 0.8, small = TRUE)
)

fitCase <- function(cs, rho = cs$rho) {
  dat <- d[[cs$data]]
  dat$.study <- dat[[cs$study]]; dat$.var <- dat[[cs$var]]
  if (is.null(cs$userweights)) {
    eval(bquote(robu(.(as.formula(cs$formula)), data = dat, studynum = .study, var.eff.size = .var,
                     modelweights = .(cs$mw), rho = .(rho), small = .(cs$small))))
  } else {
    dat$.w <- dat[[cs$userweights]]
    eval(bquote(robu(.(as.formula(cs$formula)), data = dat, studynum = .study, var.eff.size = .var,
                     userweights = .w, modelweights = .(cs$mw), rho = .(rho), small = .(cs$small))))
  }
}
# numbers with 17 significant digits (jsonlite writes at most 15): inserted verbatim
g17 <- function(x) ifelse(is.finite(x), sprintf("%.17g", x), "null")
num <- function(x) structure(paste0("[", paste(g17(as.vector(unlist(x))), collapse = ","), "]"), class = "json")
one <- function(x) structure(g17(as.vector(unlist(x))), class = "json")
text <- function(expr) paste(capture.output(expr), collapse = "\n")

for (name in names(cases)) {
  cs <- cases[[name]]
  f <- fitCase(cs)
  rt <- f$reg_table
  mi <- f$mod_info
  res <- list(
    case = name, data = cs$data, formula = cs$formula, studynum = cs$study, var = cs$var,
    modelweights = cs$mw, rho = cs$rho, small = cs$small, userweights = if (is.null(cs$userweights)) NULL else cs$userweights,
    N = f$N, M = f$M, p = f$p, k = I(as.vector(f$k)), labels = I(as.character(f$labels)),
    b = num(rt$b.r), SE = num(rt$SE), t = num(rt$t), dfs = num(rt$dfs), prob = num(rt$prob),
    CI_L = num(rt$CI.L), CI_U = num(rt$CI.U), sig = I(as.character(rt$sig)),
    VR = num(t(f$VR.r)),
    tau_sq = if (is.null(mi$tau.sq)) NULL else one(mi$tau.sq),
    omega_sq = if (is.null(mi$omega.sq)) NULL else one(mi$omega.sq),
    I2 = if (is.null(mi$I.2)) NULL else one(mi$I.2),
    term1 = if (is.null(mi$term1)) NULL else one(mi$term1),
    term2 = if (is.null(mi$term2)) NULL else one(mi$term2),
    printed = text(print(f))
  )
  if (cs$mw == "CORR" && is.null(cs$userweights)) {
    rhos <- seq(0, 1, 0.2)
    sens <- lapply(rhos, function(r) {
      g <- fitCase(cs, rho = r)
      list(rho = one(r), b = num(g$reg_table$b.r), SE = num(g$reg_table$SE), tau_sq = one(g$mod_info$tau.sq))
    })
    res$sensitivity <- list(rows = sens, printed = text(invisible(sensitivity(f))))
  }
  writeLines(toJSON(res, auto_unbox = TRUE, pretty = FALSE, null = "null", na = "null", json_verbatim = TRUE),
             file.path(out, paste0(name, ".json")))
}
# the errors robu gives for bad input, for the messages' sense
cat("robumeta oracle: ", length(cases), " cases written to ", out, "\n", sep = "")
