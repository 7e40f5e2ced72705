/**
 * PQL's working model at a linear predictor η (MASS's glmmPQL, Breslow & Clayton 1993): the linearized
 * response and its weights,
 *   zz_i = η_i + (y_i − μ_i)/μ′(η_i),          μ_i = g⁻¹(η_i), μ′ = dμ/dη,
 *   w_i  = a_i μ′(η_i)² / V(μ_i),               a_i the prior weight,
 * and lme's variance covariate invwt_i = 1/w_i (varFixed(~ invwt): Var(zz_i) = σ²/w_i). η includes any
 * offset; the working response does too (the lme's formula keeps the offset, whose rows it subtracts:
 * MASS's zz is this zz less the offset, the same fit).
 */
import { FitError } from '../errors/errors.js';
import type { GlmFamily } from '../glmm/family.js';

export interface WorkingModel {
  /** zz = η + (y − μ)/μ′(η) */
  zz: Float64Array;
  /** w = a μ′(η)²/V(μ) */
  w: Float64Array;
}

/**
 * Stage: (family, y, prior weights a, η) → the working response and weights. A weight that is 0 or not
 * finite (a zero prior weight, μ′(η) = 0 or V(μ) = 0: a fitted probability of exactly 0 or 1, a rate 0)
 * makes lme's variance 1/w infinite or undefined: PQL cannot proceed, and the error names the row.
 * `rowOf` maps a frame row to its 1-based input row for the message.
 */
export function workingResponse(family: GlmFamily, y: Float64Array, a: Float64Array, eta: Float64Array, rowOf: (i: number) => number, iteration: number): WorkingModel {
  const n = y.length;
  const zz = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const mu = family.linkinv(eta[i]);
    const me = family.muEta(eta[i]);
    zz[i] = eta[i] + (y[i] - mu) / me;
    w[i] = (a[i] * me * me) / family.variance(mu);
    if (!(w[i] > 0 && Number.isFinite(w[i]) && Number.isFinite(zz[i]))) {
      const why = !(a[i] > 0)
        ? `its prior weight is ${a[i]} (glmmPQL's lme gives the row the variance σ²/w, infinite at w = 0: drop the row)`
        : `μ = ${mu}, dμ/dη = ${me}, V(μ) = ${family.variance(mu)} at η = ${eta[i]}`;
      throw new FitError(`glmmPQL: the working weight w = a μ'(η)²/V(μ) of row ${rowOf(i)} is ${w[i]} (${iteration === 0 ? 'at the glm start' : `after iteration ${iteration}`}): ${why}; PQL cannot proceed (its working response's variance 1/w is not finite)`);
    }
  }
  return { zz, w };
}

/** MASS's stopping rule: Σ (η − η_old)² < 1e-6 Σ η². */
export function etaConverged(eta: Float64Array, etaOld: Float64Array): boolean {
  let d = 0, s = 0;
  for (let i = 0; i < eta.length; i++) { d += (eta[i] - etaOld[i]) ** 2; s += eta[i] ** 2; }
  return d < 1e-6 * s;
}
