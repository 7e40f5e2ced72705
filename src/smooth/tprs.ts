/**
 * mgcv's thin plate regression spline for one covariate (`s(x)`, `s(x, bs = "tp")`: mgcv's default;
 * smooth.construct.tp.smooth.spec and its C routine construct_tprs; Wood 2003, "Thin plate regression
 * splines", JRSS B 65:95–114), penalty order m = 2 (mgcv's default for d = 1):
 *
 *   the covariate shifted by its mean over the data (mgcv's `shift`), at its n distinct values x_j;
 *   E_ij = η(|x_i − x_j|), η(r) = Γ(d/2 − m) / (2^{2m} π^{d/2} (m − 1)!) r^{2m−d} = r³/12 (d = 1, m = 2);
 *   T = [1, x] (n × M, M = 2: the null space of the penalty ∫ f″²);
 *   E = U D Uᵀ; U_k, D_k: the eigenvectors and eigenvalues of the k largest |eigenvalues|;
 *   Z_k (k × (k − M)): an orthonormal basis of the null space of Tᵀ U_k (the last k − M columns of the
 *   Householder QR of U_kᵀ T), so that the wiggly coefficients δ = U_k Z_k δ̃ satisfy Tᵀ δ = 0;
 *   the basis at any x:  [η(|x − x_j|)]_j U_k Z_k  (k − M columns),  then [1, x]  (M columns);
 *   the penalty δᵀ E δ = δ̃ᵀ Z_kᵀ D_k Z_k δ̃:  S = [Z_kᵀ D_k Z_k, 0; 0, 0] (k × k);
 *   then, as mgcv, each column c of the basis scaled to unit root mean square over the distinct values,
 *   w_c = (Σ_j X_jc² / n)^{1/2}: X ← X W⁻¹, S ← W⁻¹ S W⁻¹ (the same functions and penalty; the scaling
 *   reaches the fit through the penalty's rescaling and the null space's fixed-effects column, so
 *   lme4's REML criterion, which depends on the scale of X's columns, is mgcv's only with it).
 *
 * mgcv finds the truncated eigendecomposition by Lanczos iterations; here the Householder reduction of
 * the n × n matrix, then the k eigenpairs alone by bisection and inverse iteration
 * (src/linalg/selectedEigen.ts): O(n³) flops once, no accumulation of all n eigenvectors. Over 2,000 distinct values mgcv places its
 * knots at a random subsample drawn with R's RNG (xt$max.knots, seed 1), which is not reproduced:
 * refused. Eigenvectors have arbitrary signs (and mgcv's Lanczos its own): the basis spans the same
 * space as mgcv's, its columns may differ in sign; fits, fitted values, the smooth's values and edf do not.
 */
import { ModelError } from '../errors/errors.js';
import { selectedEigen } from '../linalg/selectedEigen.js';
import { sortedUnique } from './crSpline.js';

/** mgcv's max.knots: over this many distinct values mgcv subsamples the knots */
export const TPRS_MAX_KNOTS = 2000;

/** A constructed tp basis: what prediction at new x needs. */
export interface TprsBasis {
  /** the covariate's mean over the data rows, subtracted before everything (mgcv's shift) */
  shift: number;
  /** the distinct shifted values (the knots) */
  knots: Float64Array;
  /** U_k Z_k (knots × (k − M)), row-major */
  UZ: Float64Array;
  k: number;
  /** the penalty (k × k, row-major) */
  S: Float64Array;
  /** each column's scale w_c (the basis is divided by it) */
  colScale: Float64Array;
}

/** η(r) of d = 1, m = 2: r³/12 */
const eta = (r: number) => (r * r * r) / 12;

/** The null space dimension M of d = 1, m = 2. */
const M = 2;

/** Constructs the tp basis of covariate values x (all data rows) with k columns. */
export function tprsConstruct(x: ArrayLike<number>, k: number, term: string): TprsBasis {
  const n0 = x.length;
  let shift = 0;
  for (let i = 0; i < n0; i++) shift += x[i];
  shift /= n0;
  const xs = new Float64Array(n0);
  for (let i = 0; i < n0; i++) xs[i] = x[i] - shift;
  const knots = sortedUnique(xs);
  const n = knots.length;
  if (n > TPRS_MAX_KNOTS) {
    throw new ModelError(`s(${term}): ${term} has ${n} distinct values; over ${TPRS_MAX_KNOTS} mgcv places the thin plate spline's knots at a random subsample drawn with R's random number generator, which is not reproduced here: use bs = "cr" (knots at quantiles)`);
  }
  if (n < k) throw new ModelError(`s(${term}): ${term} has ${n} distinct values, fewer than the basis dimension k = ${k} (mgcv: "A term has fewer unique covariate combinations than specified maximum degrees of freedom"): reduce k`);
  // E_ij = η(|x_i − x_j|)
  const E = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) E[i * n + j] = E[j * n + i] = eta(Math.abs(knots[i] - knots[j]));
  // the k eigenvalues of largest magnitude (among the k smallest and the k largest), in decreasing magnitude
  const eig = selectedEigen(E, n, (count, valueAt) => {
    const candidates = new Set<number>();
    for (let i = 0; i < Math.min(k, count); i++) { candidates.add(i); candidates.add(count - 1 - i); }
    return [...candidates].sort((a, b) => Math.abs(valueAt(b)) - Math.abs(valueAt(a)) || a - b).slice(0, k);
  });
  const Uk = new Float64Array(n * k), Dk = new Float64Array(k);
  eig.vectors.forEach((u, c) => { Dk[c] = eig.values[c]; for (let i = 0; i < n; i++) Uk[i * k + c] = u[i]; });
  // A = U_kᵀ T (k × M), T = [1, x]
  const A = new Float64Array(k * M);
  for (let c = 0; c < k; c++) { let s0 = 0, s1 = 0; for (let i = 0; i < n; i++) { s0 += Uk[i * k + c]; s1 += Uk[i * k + c] * knots[i]; } A[c * M] = s0; A[c * M + 1] = s1; }
  // Householder QR of A: Q = H_1 H_2; Z_k = Q's last k − M columns (Q e_j, j ≥ M)
  const vs: Float64Array[] = [];
  for (let l = 0; l < M; l++) {
    let nrm = 0;
    for (let i = l; i < k; i++) nrm += A[i * M + l] ** 2;
    nrm = Math.sqrt(nrm);
    const v = new Float64Array(k);
    if (nrm === 0) { vs.push(v); continue; }
    if (A[l * M + l] < 0) nrm = -nrm;
    for (let i = l; i < k; i++) v[i] = A[i * M + l] / nrm;
    v[l] += 1;
    // H = I − v vᵀ / v_l, applied to A's remaining columns
    for (let c = l + 1; c < M; c++) {
      let t = 0;
      for (let i = l; i < k; i++) t += v[i] * A[i * M + c];
      t /= v[l];
      for (let i = l; i < k; i++) A[i * M + c] -= t * v[i];
    }
    vs.push(v);
  }
  const w = k - M;
  const Zk = new Float64Array(k * w);
  for (let j = 0; j < w; j++) {
    const col = new Float64Array(k);
    col[M + j] = 1;
    for (let l = M - 1; l >= 0; l--) {
      const v = vs[l];
      if (v[l] === 0) continue;
      let t = 0;
      for (let i = l; i < k; i++) t += v[i] * col[i];
      t /= v[l];
      for (let i = l; i < k; i++) col[i] -= t * v[i];
    }
    for (let i = 0; i < k; i++) Zk[i * w + j] = col[i];
  }
  // U_k Z_k (n × w)
  const UZ = new Float64Array(n * w);
  for (let i = 0; i < n; i++) for (let j = 0; j < w; j++) { let v = 0; for (let c = 0; c < k; c++) v += Uk[i * k + c] * Zk[c * w + j]; UZ[i * w + j] = v; }
  // S = Z_kᵀ D_k Z_k in the first w rows and columns
  const S = new Float64Array(k * k);
  for (let a = 0; a < w; a++) for (let b = 0; b <= a; b++) { let v = 0; for (let c = 0; c < k; c++) v += Zk[c * w + a] * Dk[c] * Zk[c * w + b]; S[a * k + b] = S[b * k + a] = v; }
  // each column's root mean square over the knots (the unscaled basis there)
  const colScale = new Float64Array(k).fill(1);
  const X = tprsBasis({ shift: 0, knots, UZ, k, S, colScale }, knots);
  for (let c = 0; c < k; c++) { let ss = 0; for (let i = 0; i < n; i++) ss += X[i * k + c] ** 2; colScale[c] = Math.sqrt(ss / n); }
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) S[a * k + b] /= colScale[a] * colScale[b];
  return { shift, knots, UZ, k, S, colScale };
}

/** The tp basis at x (n × k, row-major): [η(|x − x_j|)]_j U_k Z_k, then 1 and x (shifted), each column over its scale. */
export function tprsBasis(basis: TprsBasis, x: ArrayLike<number>): Float64Array {
  const { knots, UZ, k, shift } = basis;
  const nk = knots.length, w = k - M, n = x.length;
  const X = new Float64Array(n * k);
  const e = new Float64Array(nk);
  for (let r = 0; r < n; r++) {
    const v = x[r] - shift;
    for (let j = 0; j < nk; j++) e[j] = eta(Math.abs(v - knots[j]));
    for (let c = 0; c < w; c++) { let s = 0; for (let j = 0; j < nk; j++) s += e[j] * UZ[j * w + c]; X[r * k + c] = s / basis.colScale[c]; }
    X[r * k + w] = 1 / basis.colScale[w];
    X[r * k + w + 1] = v / basis.colScale[w + 1];
  }
  return X;
}
