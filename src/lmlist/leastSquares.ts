/**
 * One linear model by least squares, as R's lm.fit: the QR factorization of X by Householder
 * reflections with LINPACK's limited column pivoting (dqrdc2, tol = 1e-7), so that a column whose
 * part orthogonal to the columns before it is below 1e-7 of its norm is aliased (lm's NA
 * coefficient) and the others are estimated on the columns kept.
 *
 * Notation: X (n × p), y (n); [X_k y] = Q R with X_k the kept columns (k = rank), R upper
 * triangular ((k+1) × (k+1)): R_kk β = (Qᵀy)_1..k, and the residual sum of squares is R's last
 * diagonal entry squared (here Σ rᵢ² of r = y − X_k β, as lm's residuals).
 */
import { type DesignMatrix, dropRankDeficient, qrRows } from '../frame/modelMatrix.js';

/** dqrdc2's tolerance, lm.fit's default tol */
export const LM_TOL = 1e-7;

export interface LeastSquaresFit {
  /** coefficient names, the columns' (aliased ones included: lm's coef()) */
  names: string[];
  /** β̂ in the columns' order; NaN for an aliased column (lm's NA) */
  beta: Float64Array;
  /** the columns aliased with columns before them (lm's NA coefficients) */
  aliased: boolean[];
  /** rank k: the columns kept */
  rank: number;
  /** the diagonal of (X_kᵀX_k)⁻¹ = R_kk⁻¹ R_kk⁻ᵀ (summary.lm's cov.unscaled) by column; NaN where aliased */
  covUnscaledDiag: Float64Array;
  /** X_k β̂ */
  fitted: Float64Array;
  /** y − X_k β̂ */
  residuals: Float64Array;
  /** Σ rᵢ² */
  rss: number;
  /** n − k (lm's df.residual) */
  dfResidual: number;
}

/** R of [columns] (upper triangular, row-major, m × m) by Householder reflections over the rows. */
function qrFactor(columns: Float64Array[], n: number): Float64Array {
  const m = columns.length;
  const R = new Float64Array(m * m);
  if (m > 0 && n > 0) qrRows(columns, R, 0, n);
  return R;
}

/** lm.fit(X, y): the least-squares fit with R's aliasing rule (dqrdc2, tol 1e-7; glm.fit's Cdqrls takes 1e-11). */
export function leastSquares(X: DesignMatrix, y: Float64Array, tol = LM_TOL): LeastSquaresFit {
  const n = y.length;
  const p = X.columns.length;
  // R of [X y]: its leading p × p block is X's R (a column's reflections involve the columns before it only)
  let R1 = qrFactor([...X.columns, y], n);
  const RX = new Float64Array(p * p);
  for (let i = 0; i < p; i++) RX.set(R1.subarray(i * (p + 1), i * (p + 1) + p), i * p);
  // dqrdc2's rule on R's columns: a column whose residual on the kept columns before it is ≤ tol × its norm is aliased
  const { kept, dropped } = dropRankDeficient(X, tol, RX);
  const droppedSet = new Set(dropped);
  // (a design's column names are distinct)
  const aliased = X.names.map((name) => droppedSet.has(name));
  const k = kept.columns.length;
  // [X_k y] = Q R: the same factor where nothing is aliased, else that of the kept columns
  if (k < p) R1 = qrFactor([...kept.columns, y], n);
  const m = k + 1;
  // R_kk β = z, z = (Qᵀy)_1..k = R's last column above the diagonal: back substitution
  const beta = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let s = R1[i * m + k];
    for (let j = i + 1; j < k; j++) s -= R1[i * m + j] * beta[j];
    beta[i] = s / R1[i * m + i];
  }
  // R_kk⁻¹ (upper triangular) by columns: R_kk w = e_j; diag((R_kkᵀR_kk)⁻¹)_i = Σ_j (R_kk⁻¹)_ij²
  const diagKept = new Float64Array(k);
  const w = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    w.fill(0);
    for (let i = j; i >= 0; i--) {
      let s = i === j ? 1 : 0;
      for (let l = i + 1; l <= j; l++) s -= R1[i * m + l] * w[l];
      w[i] = s / R1[i * m + i];
    }
    for (let i = 0; i <= j; i++) diagKept[i] += w[i] * w[i];
  }
  // fitted X_k β̂ and residuals y − X_k β̂
  const fitted = new Float64Array(n);
  kept.columns.forEach((col, j) => { for (let i = 0; i < n; i++) fitted[i] += col[i] * beta[j]; });
  const residuals = new Float64Array(n);
  let rss = 0;
  for (let i = 0; i < n; i++) {
    residuals[i] = y[i] - fitted[i];
    rss += residuals[i] * residuals[i];
  }
  // back to the columns' order, NaN for the aliased ones
  const betaAll = new Float64Array(p).fill(NaN);
  const diagAll = new Float64Array(p).fill(NaN);
  let a = 0;
  for (let j = 0; j < p; j++) {
    if (aliased[j]) continue;
    betaAll[j] = beta[a];
    diagAll[j] = diagKept[a];
    a++;
  }
  return { names: X.names.slice(), beta: betaAll, aliased, rank: k, covUnscaledDiag: diagAll, fitted, residuals, rss, dfResidual: n - k };
}
