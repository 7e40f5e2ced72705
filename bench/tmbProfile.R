# glmmTMB 1.1.5's confint(method = "profile") on test/oracle/tmb_profile.R's cases, beside bench/tmbProfile.ts
# (zinb2_mined left out: glmmTMB's spline fails there, "spline must be monotone").
#   Rscript bench/tmbProfile.R
suppressMessages(library(glmmTMB))
rd <- function(f) read.csv(file.path("test/fixtures/data", f), stringsAsFactors = TRUE)
sal <- rd("salamanders.csv"); sleep <- rd("sleepstudy.csv"); sleep$Subject <- factor(sleep$Subject); tf <- rd("tmbfamilies.csv")
tight <- glmmTMBControl(optCtrl = list(iter.max = 1e4, eval.max = 1e4, rel.tol = 1e-14))
fits <- list(
  sleep_gauss = list(suppressWarnings(glmmTMB(Reaction ~ Days + (Days | Subject), data = sleep, control = tight)), NULL),
  gauss_disp_f = list(suppressWarnings(glmmTMB(yg ~ x + (1 | g), dispformula = ~f, family = gaussian, data = tf, control = tight)), "disp_"),
  zip_zi_site = list(suppressWarnings(glmmTMB(count ~ mined + (1 | site), ziformula = ~mined + (1 | site), family = poisson, data = sal, control = tight)), c(2, 5)))
for (n in names(fits)) {
  m <- fits[[n]][[1]]; parm <- fits[[n]][[2]]
  tp <- system.time(ci <- suppressWarnings(confint(m, method = "profile", parm = parm)))[["elapsed"]]
  cat(sprintf("glmmTMB %s: profile %.2f s, %d parameters\n", n, tp, nrow(ci)))
}
