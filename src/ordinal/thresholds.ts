/**
 * The thresholds' parametrization (ordinal's makeThresholds): the J − 1 thresholds Θ of a response
 * with J categories are Θ = J_Θ α for a parameter vector α and a fixed Jacobian J_Θ
 * ((J − 1) × n_α):
 *
 *   flexible     α = Θ (J_Θ = I), names "1|2", "2|3", …
 *   equidistant  Θ_j = α₁ + (j − 1) α₂,  names "threshold.1", "spacing"
 *   symmetric    thresholds symmetric about a central value (one, J − 1 odd) or about the mean of two
 *                central ones (J − 1 even), with spacings: names "central" or "central.1",
 *                "central.2", then "spacing.1", …
 *
 * (ordinal's `symmetric2`, symmetric about 0, is not offered.)
 */
import { ModelError } from '../errors/errors.js';

export const CLMM_THRESHOLDS = ['flexible', 'equidistant', 'symmetric'] as const;
export type ClmmThreshold = (typeof CLMM_THRESHOLDS)[number];

export interface Thresholds {
  kind: ClmmThreshold;
  /** number of thresholds, J − 1 */
  nTheta: number;
  /** number of parameters α */
  nAlpha: number;
  /** J_Θ, nTheta × nAlpha row-major */
  jacobian: Float64Array;
  /** the parameters' names */
  alphaNames: string[];
  /** the thresholds' names, "a|b" for the categories a and b either side */
  thetaNames: string[];
}

/** J_Θ and names for the response's categories (in order) and the parametrization. */
export function makeThresholds(levels: readonly string[], kind: ClmmThreshold): Thresholds {
  const nTheta = levels.length - 1;
  const thetaNames = levels.slice(0, -1).map((l, j) => `${l}|${levels[j + 1]}`);
  if (kind !== 'flexible' && nTheta < 2) {
    throw new ModelError(`threshold '${kind}' needs a response with 3 or more categories (this one has ${levels.length})`);
  }
  let nAlpha: number;
  let jacobian: Float64Array;
  let alphaNames: string[];
  if (kind === 'flexible') {
    nAlpha = nTheta;
    jacobian = new Float64Array(nTheta * nTheta);
    for (let j = 0; j < nTheta; j++) jacobian[j * nTheta + j] = 1;
    alphaNames = thetaNames;
  } else if (kind === 'equidistant') {
    // Θ_j = α₁ + (j − 1) α₂
    nAlpha = 2;
    jacobian = new Float64Array(nTheta * 2);
    for (let j = 0; j < nTheta; j++) { jacobian[j * 2] = 1; jacobian[j * 2 + 1] = j; }
    alphaNames = ['threshold.1', 'spacing'];
  } else if (nTheta % 2 === 1) {
    // odd J − 1 = 2m + 1: Θ_{m+1} = c, Θ_{m+1±k} = c ± s_k (k = 1..m)
    const m = (nTheta - 1) / 2;
    nAlpha = m + 1;
    jacobian = new Float64Array(nTheta * nAlpha);
    for (let j = 0; j < nTheta; j++) jacobian[j * nAlpha] = 1;
    for (let k = 1; k <= m; k++) {
      jacobian[(m - k) * nAlpha + k] = -1;
      jacobian[(m + k) * nAlpha + k] = 1;
    }
    alphaNames = ['central', ...Array.from({ length: m }, (_, k) => `spacing.${k + 1}`)];
  } else {
    // even J − 1 = 2m: the lower half Θ_{m+1−k} = c₁ − s_{k−1}, the upper Θ_{m+k} = c₂ + s_{k−1}
    // (s₀ = 0; k = 1..m), ordinal's column layout: c₁, c₂, then the spacings
    const m = nTheta / 2;
    nAlpha = m + 1;
    jacobian = new Float64Array(nTheta * nAlpha);
    for (let k = 1; k <= m; k++) {
      const lo = m - k, hi = m + k - 1;
      jacobian[lo * nAlpha] = 1;
      jacobian[hi * nAlpha + 1] = 1;
      if (k > 1) {
        jacobian[lo * nAlpha + k] = -1;
        jacobian[hi * nAlpha + k] = 1;
      }
    }
    alphaNames = ['central.1', 'central.2', ...Array.from({ length: m - 1 }, (_, k) => `spacing.${k + 1}`)];
  }
  return { kind, nTheta, nAlpha, jacobian, alphaNames, thetaNames };
}

/** Θ = J_Θ α */
export function thresholdsOf(t: Thresholds, alpha: ArrayLike<number>): Float64Array {
  const out = new Float64Array(t.nTheta);
  for (let j = 0; j < t.nTheta; j++) {
    let v = 0;
    for (let a = 0; a < t.nAlpha; a++) v += t.jacobian[j * t.nAlpha + a] * alpha[a];
    out[j] = v;
  }
  return out;
}

/** α whose thresholds are nearest to Θ in least squares (starting values): (J_Θᵀ J_Θ) α = J_Θᵀ Θ. */
export function alphaFromThresholds(t: Thresholds, theta: ArrayLike<number>): Float64Array {
  const m = t.nAlpha;
  const A = new Float64Array(m * m);
  const b = new Float64Array(m);
  for (let j = 0; j < t.nTheta; j++) {
    for (let r = 0; r < m; r++) {
      const jr = t.jacobian[j * m + r];
      b[r] += jr * theta[j];
      for (let s = 0; s < m; s++) A[r * m + s] += jr * t.jacobian[j * m + s];
    }
  }
  // Gaussian elimination with partial pivoting (m is small)
  for (let c = 0; c < m; c++) {
    let piv = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(A[r * m + c]) > Math.abs(A[piv * m + c])) piv = r;
    if (piv !== c) {
      for (let s = 0; s < m; s++) [A[c * m + s], A[piv * m + s]] = [A[piv * m + s], A[c * m + s]];
      [b[c], b[piv]] = [b[piv], b[c]];
    }
    for (let r = c + 1; r < m; r++) {
      const f = A[r * m + c] / A[c * m + c];
      for (let s = c; s < m; s++) A[r * m + s] -= f * A[c * m + s];
      b[r] -= f * b[c];
    }
  }
  for (let c = m - 1; c >= 0; c--) {
    let v = b[c];
    for (let s = c + 1; s < m; s++) v -= A[c * m + s] * b[s];
    b[c] = v / A[c * m + c];
  }
  return b;
}
