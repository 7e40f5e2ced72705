/**
 * A penalized smooth as a mixed model (mgcv's smooth2random, type 2, as gamm4.setup calls it): with the
 * constrained basis X (n × p) and its penalty S = U diag(λ) Uᵀ (λ decreasing, r = rank S positive),
 *
 *   D = diag(λ_1 … λ_r, 1 … 1)^{−1/2},   X U D = [Z_r | X_f]
 *
 * the first r columns are the random effects' model matrix (b_r ~ N(0, σ²_s I_r): with β = U D b the
 * penalty βᵀ S β is b_rᵀ b_r), the last p − r the penalty's null space as fixed effects
 * (gamm4's `s(x)Fx1`, …). The coefficients in the constrained basis are β = U D [b_r; β_f]
 * (gamm4's trans.U, trans.D). U's signs are arbitrary (src/linalg/tridiagonalEigen.ts, and R's
 * LAPACK its own): Z_r, X_f and b differ from gamm4's by signs, β and every fitted quantity do not.
 * A t2 smooth (smooth2random.t2.smooth) has one diagonal penalty per block, S_b = c I on its columns: each
 * block's columns scaled by D = c^{−1/2} are one random-effects term of its own (its own variance), the
 * unpenalized columns fixed effects; U = I.
 */
import { tridiagonalEigen } from '../linalg/tridiagonalEigen.js';
import type { ConstructedSmooth } from './smoothCon.js';
import type { T2Smooth } from './t2Smooth.js';

export interface SmoothMixedForm {
  /** the random effects' columns (n × r, row-major) */
  Zr: Float64Array;
  r: number;
  /** the random effects' terms: the sizes of consecutive column blocks of Z_r, one variance each ([r] but for t2) */
  blocks: number[];
  /** the fixed effects' columns (n × (p − r), row-major) */
  Xf: Float64Array;
  nf: number;
  /** U (p × p, row-major) and D (p): β = U diag(D) [b_r; β_f] */
  U: Float64Array;
  D: Float64Array;
}

/** smooth2random's reparametrization of a constructed smooth. */
export function smoothToRandom(sm: ConstructedSmooth): SmoothMixedForm {
  const { p, rank: r, X } = sm;
  const n = X.length / p;
  const eig = tridiagonalEigen(sm.S, p);
  const U = eig.vectors;
  const D = new Float64Array(p);
  for (let j = 0; j < p; j++) D[j] = 1 / Math.sqrt(j < r ? eig.values[j] : 1);
  const XUD = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) { let s = 0; for (let c = 0; c < p; c++) s += X[i * p + c] * U[c * p + j]; XUD[i * p + j] = s * D[j]; }
  const nf = p - r;
  const Zr = new Float64Array(n * r), Xf = new Float64Array(n * nf);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < r; j++) Zr[i * r + j] = XUD[i * p + j];
    for (let j = 0; j < nf; j++) Xf[i * nf + j] = XUD[i * p + r + j];
  }
  return { Zr, r, blocks: [r], Xf, nf, U, D };
}

/** smooth2random.t2.smooth: each penalized block × c^{−1/2} a term of its own, the null columns fixed (U = I). */
export function t2ToRandom(sm: T2Smooth): SmoothMixedForm {
  const { p, X } = sm;
  const n = X.length / p;
  const r = sm.blocks.reduce((a, b) => a + b, 0);
  const nf = p - r;
  const U = new Float64Array(p * p);
  for (let j = 0; j < p; j++) U[j * p + j] = 1;
  // D_j = 1/√(S_jj): the scaled penalties' diagonal, ‖X‖∞² on the penalized columns
  const D = new Float64Array(p).fill(1);
  for (let j = 0; j < r; j++) D[j] = 1 / Math.sqrt(sm.penaltyScale);
  const Zr = new Float64Array(n * r), Xf = new Float64Array(n * nf);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < r; j++) Zr[i * r + j] = X[i * p + j] * D[j];
    for (let j = 0; j < nf; j++) Xf[i * nf + j] = X[i * p + r + j];
  }
  return { Zr, r, blocks: [...sm.blocks], Xf, nf, U, D };
}

/** β in the constrained basis from the mixed form's [b_r; β_f]: β = U diag(D) b. */
export function smoothCoefficients(form: SmoothMixedForm, b: ArrayLike<number>): Float64Array {
  const p = form.D.length;
  const beta = new Float64Array(p);
  for (let i = 0; i < p; i++) { let s = 0; for (let j = 0; j < p; j++) s += form.U[i * p + j] * form.D[j] * b[j]; beta[i] = s; }
  return beta;
}
