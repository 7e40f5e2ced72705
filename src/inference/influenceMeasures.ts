/**
 * lme4's case-deletion measures of an influence object (lme4 ≥ 1.1-27, R/methods.R
 * dfbeta.influence.merMod, dfbetas.influence.merMod, cooks.distance.influence.merMod), from the full
 * fit's β̂ and Var(β̂) and, per deleted unit i = 1…G, the refit's β̂₋ᵢ and Var(β̂₋ᵢ):
 *
 *   dfbeta_i  = β̂₋ᵢ − β̂                                   (the deleted fit minus the full one)
 *   dfbetas_i = dfbeta_i / √diag Var(β̂₋ᵢ)                  (scaled by the deleted fit's SEs)
 *   D_i       = dfbeta_iᵀ ((G − p)/(G p)) Var(β̂)⁻¹ dfbeta_i (Cook's distance)
 *
 * with p fixed effects. The factor (G − p)/(G p) is lme4's (from car's influence.mixed.models), not
 * the 1/p of a linear model's Cook's distance: G is the number of deleted units, not observations.
 */
import { ModelError } from '../errors/errors.js';

/** dfbeta_i = β̂₋ᵢ − β̂, one row per deleted unit. */
export function dfbeta(beta: Float64Array, betaDeleted: readonly Float64Array[]): Float64Array[] {
  return betaDeleted.map((b) => b.map((v, j) => v - beta[j]));
}

/** dfbetas_i = dfbeta_i / √diag Var(β̂₋ᵢ) (Var(β̂₋ᵢ) p × p, either storage order: only its diagonal is read). */
export function dfbetas(beta: Float64Array, betaDeleted: readonly Float64Array[], vcovDeleted: readonly Float64Array[]): Float64Array[] {
  const p = beta.length;
  return dfbeta(beta, betaDeleted).map((d, i) => d.map((v, j) => v / Math.sqrt(vcovDeleted[i][j * p + j])));
}

/**
 * Cook's distances D_i = ((G − p)/(G p)) ‖L⁻¹ dfbeta_i‖², with Var(β̂) = L Lᵀ (its Cholesky factor):
 * dᵀ V⁻¹ d = ‖L⁻¹ d‖².
 */
export function cooksDistance(beta: Float64Array, vcov: Float64Array, betaDeleted: readonly Float64Array[]): Float64Array {
  const p = beta.length;
  const G = betaDeleted.length;
  const L = choleskyLower(vcov, p);
  const scale = (G - p) / (G * p);
  return Float64Array.from(dfbeta(beta, betaDeleted), (d) => {
    // forward substitution L z = d, then D = scale ‖z‖²
    const z = new Float64Array(p);
    let ss = 0;
    for (let r = 0; r < p; r++) {
      let acc = d[r];
      for (let c = 0; c < r; c++) acc -= L[r * p + c] * z[c];
      z[r] = acc / L[r * p + r];
      ss += z[r] * z[r];
    }
    return scale * ss;
  });
}

/** The lower Cholesky factor (row-major) of a symmetric positive definite p × p matrix. */
function choleskyLower(V: Float64Array, p: number): Float64Array {
  const L = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    let d = V[j * p + j];
    for (let k = 0; k < j; k++) d -= L[j * p + k] * L[j * p + k];
    if (!(d > 0)) throw new ModelError("Cook's distance needs Var(β̂) positive definite, and it is not");
    L[j * p + j] = Math.sqrt(d);
    for (let i = j + 1; i < p; i++) {
      let s = V[i * p + j];
      for (let k = 0; k < j; k++) s -= L[i * p + k] * L[j * p + k];
      L[i * p + j] = s / L[j * p + j];
    }
  }
  return L;
}
