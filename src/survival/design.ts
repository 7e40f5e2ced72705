/**
 * The design of the penalized partial likelihood in the spherical random effects u (b = Λ(θ)u):
 *   η = o + ZΛ(θ) u + X β,   the coefficients c = (u, β) in that order (u first, as coxme puts the
 * random effects first, so that the leading block of the Hessian's Cholesky factor is H_uu's).
 * Row i has, for each term k, the q_k entries (z_i T_k)_j = Σ_{l ≥ j} z_il T_k[l, j] in the columns of
 * its level, then its p entries of X: w = Σ_k q_k + p entries per row (sparse rows, partialLikelihood.ts).
 * T_k is the term's lower-triangular template, θ's entries of the term in lme4's order (by columns).
 */
import type { CoxmeModel } from './model.js';
import type { SparseRows } from './partialLikelihood.js';

/** T_k[l, j] (l ≥ j) from θ: lme4's column-major lower triangle. */
export function templateEntry(theta: ArrayLike<number>, off: number, q: number, l: number, j: number): number {
  return theta[off + j * q - (j * (j - 1)) / 2 + (l - j)];
}

/** The rows of [ZΛ(θ) X]. */
export function penalizedDesign(model: CoxmeModel, theta: ArrayLike<number>): SparseRows {
  const { n, p, q, terms, X } = model;
  const w = terms.reduce((s, t) => s + t.q, 0) + p;
  const P = q + p;
  const cols = new Int32Array(n * w);
  const vals = new Float64Array(n * w);
  for (let i = 0; i < n; i++) {
    let e = i * w;
    terms.forEach((t, k) => {
      const base = model.termOffsets[k] + t.codes[i] * t.q;
      const off = model.thetaOffsets[k];
      for (let j = 0; j < t.q; j++) {
        let v = 0;
        for (let l = j; l < t.q; l++) v += t.Z[i * t.q + l] * templateEntry(theta, off, t.q, l, j);
        cols[e] = base + j;
        vals[e++] = v;
      }
    });
    for (let j = 0; j < p; j++) {
      cols[e] = q + j;
      vals[e++] = X[j * n + i];
    }
  }
  return { n, P, w, cols, vals };
}

/** η = o + M c. */
export function linearPredictor(M: SparseRows, c: ArrayLike<number>, offset: Float64Array | null): Float64Array {
  const eta = offset ? Float64Array.from(offset) : new Float64Array(M.n);
  for (let i = 0; i < M.n; i++) {
    let s = 0;
    for (let e = i * M.w; e < (i + 1) * M.w; e++) s += M.vals[e] * c[M.cols[e]];
    eta[i] += s;
  }
  return eta;
}

/** b = Λ(θ) u, term by term and level by level. */
export function randomEffects(model: CoxmeModel, theta: ArrayLike<number>, u: ArrayLike<number>): Float64Array {
  const b = new Float64Array(model.q);
  model.terms.forEach((t, k) => {
    const off = model.thetaOffsets[k];
    for (let lev = 0; lev < t.levels.length; lev++) {
      const base = model.termOffsets[k] + lev * t.q;
      for (let l = 0; l < t.q; l++) {
        let s = 0;
        for (let j = 0; j <= l; j++) s += templateEntry(theta, off, t.q, l, j) * u[base + j];
        b[base + l] = s;
      }
    }
  });
  return b;
}
