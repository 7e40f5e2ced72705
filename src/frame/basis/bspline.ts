/**
 * B-splines as R's splines::splineDesign evaluates them (de Boor, "A practical guide to splines"):
 * the basis of order k (degree k − 1) on the knot sequence t, its derivatives, and R's quantile
 * (type 7) that places ns()/bs()'s inner knots.
 */

/**
 * The row of splineDesign(t, x, ord = k, derivs = d): B_j^{(d)}(x) for the nt − k basis functions.
 * x must lie in [t[k−1], t[nt−k]] (R's outer.ok = FALSE); at the right end the last interval of
 * positive length is used, as R's set_cursor does. The values of order k − d on the interval
 * t[i] ≤ x < t[i+1] come from the Cox–de Boor recurrence
 *   N_{j,1} = 1 on the interval, N_{j,m}(x) = (x − t_j)/(t_{j+m−1} − t_j) N_{j,m−1} + (t_{j+m} − x)/(t_{j+m} − t_{j+1}) N_{j+1,m−1},
 * then d derivative steps raise the order back to k:
 *   D B_{j,m} = (m − 1) [ B_{j,m−1}/(t_{j+m−1} − t_j) − B_{j+1,m−1}/(t_{j+m} − t_{j+1}) ]  (a term with a zero denominator is 0).
 */
export function splineRow(t: readonly number[], k: number, x: number, d = 0): Float64Array {
  const nt = t.length;
  const nb = nt - k;
  const out = new Float64Array(nb);
  if (d >= k) return out;
  // the interval: the largest i in [k−1, nt−k−1] with t[i] ≤ x and t[i] < t[i+1]
  let i = k - 1;
  for (let j = k - 1; j <= nt - k - 1; j++) if (t[j] <= x && t[j] < t[j + 1]) i = j;
  // values of order m = k − d: nonzero for j = i − m + 1 .. i (full arrays indexed by j)
  const m0 = k - d;
  let B = new Float64Array(nt);
  B[i] = 1;
  for (let m = 2; m <= m0; m++) {
    const next = new Float64Array(nt);
    for (let j = i - m + 1; j <= i; j++) {
      if (j < 0) continue;
      const a = t[j + m - 1] - t[j], b = t[j + m] - t[j + 1];
      next[j] = (a > 0 ? ((x - t[j]) / a) * B[j] : 0) + (b > 0 ? ((t[j + m] - x) / b) * B[j + 1] : 0);
    }
    B = next;
  }
  for (let m = m0 + 1; m <= k; m++) {
    const next = new Float64Array(nt);
    for (let j = Math.max(0, i - m + 1); j <= i; j++) {
      const a = t[j + m - 1] - t[j], b = t[j + m] - t[j + 1];
      next[j] = (m - 1) * ((a > 0 ? B[j] / a : 0) - (b > 0 ? B[j + 1] / b : 0));
    }
    B = next;
  }
  for (let j = 0; j < nb; j++) out[j] = B[j];
  return out;
}

/**
 * R's quantile(x, probs, type = 7, na.rm = TRUE): with the n non-missing values sorted and h = 1 + (n − 1) p,
 * lo = ⌊h⌋, hi = ⌈h⌉ (1-based order statistics), q = (1 − (h − lo)) x_(lo) + (h − lo) x_(hi)
 * where h > lo and x_(hi) ≠ x_(lo), else x_(lo); NaN for every p when no value is left.
 */
export function quantile7(x: ArrayLike<number>, probs: readonly number[]): number[] {
  // a typed array's sort is numeric (and much faster on millions of values than a comparator's)
  const s = Float64Array.from(x).filter((v) => !Number.isNaN(v)).sort();
  const n = s.length;
  if (n === 0) return probs.map(() => NaN);
  return probs.map((p) => {
    const index = 1 + (n - 1) * p;
    const lo = Math.floor(index), hi = Math.ceil(index);
    const q = s[lo - 1];
    if (index > lo && s[hi - 1] !== q) {
      const h = index - lo;
      return (1 - h) * q + h * s[hi - 1];
    }
    return q;
  });
}
