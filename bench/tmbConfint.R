# glmmTMB 1.1.5's confint(method = "uniroot") on the cases of test/oracle/tmb_confint.R, beside bench/tmbConfint.ts.
#   Rscript bench/tmbConfint.R
suppressMessages(library(glmmTMB))
rd <- function(f) read.csv(file.path("test/fixtures/data", f), stringsAsFactors = TRUE)
sal <- rd("salamanders.csv"); sleep <- rd("sleepstudy.csv"); sleep$Subject <- factor(sleep$Subject); tf <- rd("tmbfamilies.csv")
tight <- glmmTMBControl(optCtrl = list(iter.max = 1e4, eval.max = 1e4, rel.tol = 1e-14))
fits <- list(
  sleep_gauss = suppressWarnings(glmmTMB(Reaction ~ Days + (Days | Subject), data = sleep, control = tight)),
  zinb2_mined = suppressWarnings(glmmTMB(count ~ mined + (1 | site), ziformula = ~mined, family = nbinom2, data = sal, control = tight)),
  zip_zi_site = suppressWarnings(glmmTMB(count ~ mined + (1 | site), ziformula = ~mined + (1 | site), family = poisson, data = sal, control = tight)),
  gauss_disp_f = suppressWarnings(glmmTMB(yg ~ x + (1 | g), dispformula = ~f, family = gaussian, data = tf, control = tight)))
for (n in names(fits)) {
  m <- fits[[n]]
  tw <- system.time(w <- confint(m))[["elapsed"]]
  tu <- system.time(u <- suppressWarnings(if (n == "gauss_disp_f") confint(m, method = "uniroot", parm = "disp_") else confint(m, method = "uniroot")))[["elapsed"]]
  cat(sprintf("glmmTMB %s: wald %.3f s (%d rows); uniroot %.2f s, %d parameters\n", n, tw, nrow(w), tu, nrow(u)))
}
