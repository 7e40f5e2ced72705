/**
 * lme4's check of the fixed-effects columns' scales (checkScaleX, lmerControl's check.scaleX =
 * "warning"), on X after its rank check: among the columns that are not all 0 or 1 (the intercept,
 * dummies), any standard deviation s_j with |log s_j| > log 1000, or any pair with
 * |log(s_j / s_k)| > log 1000, gives "Some predictor variables are on very different scales:
 * consider rescaling". An optimizer on such a scale and lme4's finite-difference checks (δ = 1e-4 in
 * β) misbehave; the fit is the same.
 */

export const SCALE_X_MESSAGE = 'Some predictor variables are on very different scales: consider rescaling';

/** R's sd (n − 1 denominator) of column j of the column-major n × p matrix X, or null if every value is 0 or 1. */
function continuousSd(X: Float64Array, n: number, j: number): number | null {
  const off = j * n;
  let i = 0;
  while (i < n && (X[off + i] === 0 || X[off + i] === 1)) i++;
  if (i === n) return null;
  // one pass of sums shifted by the first value c (against cancellation when |mean| ≫ sd):
  //   Σ (x − x̄)² = Σ (x − c)² − (Σ (x − c))² / n
  const c = X[off];
  let s1 = 0, s2 = 0;
  for (let k = 0; k < n; k++) { const d = X[off + k] - c; s1 += d; s2 += d * d; }
  return Math.sqrt(Math.max(0, s2 - (s1 * s1) / n) / (n - 1));
}

/** lme4's checkScaleX message for the column-major n × p fixed-effects matrix X, or null. */
export function scaleXMessage(X: Float64Array, n: number, p: number, tol = 1000): string | null {
  const sd: number[] = [];
  for (let j = 0; j < p; j++) {
    const s = continuousSd(X, n, j);
    if (s !== null) sd.push(s);
  }
  const limit = Math.log(tol);
  // |log s_j| (NaN, as R's sd of one row, compares false) and |log(s_j / s_k)| = |log s_j − log s_k|
  const logs = sd.map(Math.log);
  const far = logs.some((l, j) => Math.abs(l) > limit || logs.slice(0, j).some((m) => Math.abs(l - m) > limit));
  return far ? SCALE_X_MESSAGE : null;
}
