# lme4's influence formulas (lme4 1.1-31 R/methods.R) on a set of deletions, sourced by influence.R,
# glmer_drop1.R and influence_data_terms.R: dfbeta = β̂₋ᵢ − β̂, dfbetas = dfbeta / √diag Var(β̂₋ᵢ),
# Cook's D_i = dfbeta_i' ((G − p)/(G p)) Var(β̂)⁻¹ dfbeta_i
formulas <- function(fixed, vcov, fixed.1, vcov.1) {
  db <- fixed.1 - matrix(fixed, nrow(fixed.1), ncol(fixed.1), byrow = TRUE)
  G <- nrow(db); p <- ncol(db)
  Vi <- (G - p) / (G * p) * solve(vcov)
  list(dfbeta = unname(db), dfbetas = unname(db / do.call(rbind, lapply(vcov.1, function(v) sqrt(diag(v))))),
       cooks = as.numeric(vapply(seq_len(G), function(i) db[i, ] %*% Vi %*% db[i, ], 0)))
}
