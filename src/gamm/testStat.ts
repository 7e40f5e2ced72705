/**
 * Wood's (2013, "On p-values for smooth components of an extended generalized additive model",
 * Biometrika 100, 221–228) test that a smooth is zero, as mgcv 1.8-41's testStat computes it for
 * summary.gam (p.type = 0). For the smooth's coefficients β̂ (p of them), their covariance V_β
 * (the block of Vp) and R with RᵀR = X_sᵀ V⁻¹ X_s (the block of XVX: the Cholesky factor of the
 * Gram block stands for the triangle of QR(X_s), equal up to row signs, which the statistic ignores):
 *
 *   M = R V_β Rᵀ = E Λ Eᵀ  (eigenvalues decreasing, each eigenvector's first entry made ≥ 0),
 *   rank r (the smooth's edf), k = ⌊r⌋, ν = r − k; with k₁ = k + 1 when ν > 0 (else k), capped at the
 *   numerical rank of M (eigenvalues above λ_max ε^0.9),
 *   T_r = ‖Ṽᵀ R β̂‖²,  Ṽ = E's first k₁ columns scaled so that Ṽ Ṽᵀ is M's rank-r pseudo-inverse:
 *     columns 1 … k−1 by λ_j^{−1/2}, and the last two (k, k₁) by the symmetric square root of
 *     Λ_{k:k₁}^{−1/2} [[1, b₁₂], [b₁₂, ν]] Λ_{k:k₁}^{−1/2},  b₁₂ = √(ν(1 − ν)/2);
 *   T′_r the same with the k-th direction's sign flipped (the two orientations of the rank-r
 *   pseudo-inverse), and the p-value the average of the two tails.
 * Under the null T_r ~ Σ_j w_j χ²₁ with w = 1 … 1, (1 + ν + √((1 + ν)(1 − ν)))/2, (1 + ν) − that
 * (k₁ − 2 ones): P(T_r > t) by psum.chisq; with the scale estimated on d residual df (k₀ = round(d)),
 * P(T_r/… ) is P(Σ_j w_j χ²₁ − (t/k₀) χ²_{k₀} > 0), the F-like form. When ν = 0 (or psum.chisq's
 * answer exceeds 1), χ²_r or F(r, d) tails of T_r and T′_r. summary.gam prints r as Ref.df, T_r as
 * Chi.sq and T_r / r as F.
 */
import { rint } from '../frame/rowFunctions.js';
import { semidefiniteCholesky } from '../linalg/dense.js';
import { symmetricEigen } from '../linalg/symmetricEigen.js';
import { psumChisq } from '../stats/chisqMixture.js';
import { pchisqUpper, pfUpper } from '../stats/distributions.js';
import { DataError } from '../errors/errors.js';

export interface TestStat {
  /** T_r (summary.gam's Chi.sq; its F is stat / rank) */
  stat: number;
  /** the p-value, at most 1 */
  pval: number;
  /** the rank used (summary.gam's Ref.df) */
  rank: number;
}

/**
 * testStat(p, X, V, rank, type = 0, res.df): `beta` the smooth's p coefficients, `XtX` the p × p Gram
 * block X_sᵀV⁻¹X_s and `V` their p × p covariance (row-major), `rank` the reference rank (edf),
 * `resDf` the residual df when the scale is estimated (≤ 0: known scale, χ² form).
 */
export function testStat(beta: ArrayLike<number>, XtX: ArrayLike<number>, V: ArrayLike<number>, rank: number, resDf = -1): TestStat {
  const p = beta.length;
  if (p === 0) throw new DataError('testStat: the smooth has no coefficients');
  if (XtX.length !== p * p || V.length !== p * p) throw new DataError(`testStat: the Gram block and covariance must be ${p} × ${p}`);
  if (!Number.isFinite(rank) || rank < 0) throw new DataError(`testStat: the rank must be a non-negative number, got ${rank}`);
  for (let i = 0; i < p * p; i++) if (!Number.isFinite(XtX[i]) || !Number.isFinite(V[i])) throw new DataError('testStat: the Gram block and covariance must be finite');
  // R (upper triangle) = Lᵀ, L L ᵀ = XtX
  const L = semidefiniteCholesky(Float64Array.from(XtX), p);
  const R = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) R[i * p + j] = L[j * p + i];
  // M = R V Rᵀ, symmetrized
  const RV = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) { let s = 0; for (let l = i; l < p; l++) s += R[i * p + l] * V[l * p + j]; RV[i * p + j] = s; }
  const M = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) { let s = 0; for (let l = j; l < p; l++) s += RV[i * p + l] * R[j * p + l]; M[i * p + j] = s; }
  for (let i = 0; i < p; i++) for (let j = 0; j < i; j++) { const s = (M[i * p + j] + M[j * p + i]) / 2; M[i * p + j] = M[j * p + i] = s; }
  const ed = symmetricEigen(M, p);
  const lam = ed.values;
  // eigenvectors as columns E[:, j], each with a non-negative first entry
  const E: Float64Array[] = Array.from({ length: p }, (_, j) => {
    const v = Float64Array.from({ length: p }, (_, i) => ed.vectors[i * p + j]);
    if (v[0] < 0) for (let i = 0; i < p; i++) v[i] = -v[i];
    return v;
  });
  let k = Math.max(0, Math.floor(rank));
  let nu = Math.abs(rank - k);
  let k1 = nu > 0 ? k + 1 : k;
  // the numerical rank of M
  const tol = lam[0] * Math.pow(Number.EPSILON, 0.9);
  let rEst = 0;
  for (const l of lam) if (l > tol) rEst++;
  if (rEst < k1) { k1 = k = rEst; nu = 0; rank = rEst; }
  // (mgcv's vec[, 1:k1] keeps one column when k1 = 0)
  const ncol = Math.min(p, Math.max(k1, 1));
  let vec = E.slice(0, ncol).map((v) => Float64Array.from(v));
  let vec1: Float64Array[];
  if (nu > 0 && k > 0) {
    for (let j = 0; j < k - 1; j++) { const s = Math.sqrt(lam[j]); for (let i = 0; i < p; i++) vec[j][i] /= s; }
    const b12 = Math.sqrt(Math.max(0, 0.5 * nu * (1 - nu)));
    // B = Λ^{-1/2} [[1, b12], [b12, ν]] Λ^{-1/2} on the k-th and k₁-th directions; rB its symmetric square root
    const e0 = 1 / Math.sqrt(lam[k - 1]), e1 = 1 / Math.sqrt(lam[k]);
    const B = [e0 * e0, b12 * e0 * e1, b12 * e0 * e1, nu * e1 * e1];
    const eb = symmetricEigen(B, 2);
    const rB = new Float64Array(4);
    for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) {
      let s = 0;
      for (let l = 0; l < 2; l++) s += eb.vectors[a * 2 + l] * Math.sqrt(eb.values[l]) * eb.vectors[b * 2 + l];
      rB[a * 2 + b] = s;
    }
    const x0 = vec[k - 1], x1 = vec[k];
    const n0 = new Float64Array(p), n1 = new Float64Array(p), m0 = new Float64Array(p), m1 = new Float64Array(p);
    for (let i = 0; i < p; i++) {
      // each row (x0, x1) → rB (x0, x1), and → rB (−x0, x1) for the flipped orientation
      n0[i] = rB[0] * x0[i] + rB[1] * x1[i];
      n1[i] = rB[2] * x0[i] + rB[3] * x1[i];
      m0[i] = -rB[0] * x0[i] + rB[1] * x1[i];
      m1[i] = -rB[2] * x0[i] + rB[3] * x1[i];
    }
    vec1 = vec.map((v) => Float64Array.from(v));
    vec[k - 1] = n0; vec[k] = n1;
    vec1[k - 1] = m0; vec1[k] = m1;
  } else {
    if (k === 0) {
      const s = Math.sqrt(1 / lam[0]);
      vec = vec.map((v) => v.map((x) => x * s));
    } else {
      for (let j = 0; j < k; j++) { const s = Math.sqrt(lam[j]); for (let i = 0; i < p; i++) vec[j][i] /= s; }
    }
    if (k === 1) rank = 1;
    vec1 = vec;
  }
  // R β̂
  const Rb = new Float64Array(p);
  for (let i = 0; i < p; i++) { let s = 0; for (let l = i; l < p; l++) s += R[i * p + l] * beta[l]; Rb[i] = s; }
  const quad = (cols: Float64Array[]) => { let s = 0; for (const v of cols) { let d = 0; for (let i = 0; i < p; i++) d += v[i] * Rb[i]; s += d * d; } return s; };
  const d = quad(vec), d1 = quad(vec1);
  let rank1 = rank;
  let pval = 2;
  if (nu > 0) {
    let val: number[];
    if (k1 === 1) { rank1 = 1; val = [1]; }
    else {
      val = new Array<number>(k1).fill(1);
      const rp = nu + 1;
      val[k - 1] = (rp + Math.sqrt(rp * (2 - rp))) / 2;
      val[k1 - 1] = rp - val[k - 1];
    }
    if (resDf <= 0) {
      pval = (psumChisq(d, val).p + psumChisq(d1, val).p) / 2;
    } else {
      // P(Σ w_j χ²₁ − (T/k₀) χ²_{k₀} > 0)
      const k0 = Math.max(1, rint(resDf));
      const df = [...val.map(() => 1), k0];
      pval = (psumChisq(0, [...val, -d / k0], { df }).p + psumChisq(0, [...val, -d1 / k0], { df }).p) / 2;
    }
  }
  if (pval > 1) {
    pval = resDf <= 0
      ? (pchisqUpper(d, rank1) + pchisqUpper(d1, rank1)) / 2
      : (pfUpper(d / rank1, rank1, resDf) + pfUpper(d1 / rank1, rank1, resDf)) / 2;
  }
  return { stat: d, pval: Math.min(1, pval), rank };
}
