/**
 * mgcv's cubic regression spline (`s(x, bs = "cr")`, smooth.construct.cr.smooth.spec and its C routine
 * crspl; Wood 2017, "Generalized Additive Models", §5.3.1): a natural cubic spline parametrized by its
 * values β_j at k knots x_0 < … < x_{k−1}, the knots at quantiles of the unique covariate values
 * (R's quantile, type 7, at 0, 1/(k−1), …, 1).
 *
 * With h_j = x_{j+1} − x_j, the spline's second derivatives at the knots are δ = F β, F = [0; B⁻¹D; 0]
 * (zero at the ends: natural), where D ((k−2) × k) and B ((k−2) × (k−2), tridiagonal) are
 *   D_{i,i} = 1/h_i,  D_{i,i+1} = −1/h_i − 1/h_{i+1},  D_{i,i+2} = 1/h_{i+1},
 *   B_{i,i} = (h_i + h_{i+1})/3,  B_{i,i+1} = B_{i+1,i} = h_{i+1}/6,
 * and the penalty ∫ f″(x)² dx = βᵀ S β with S = Dᵀ B⁻¹ D. On [x_j, x_{j+1}]
 *   f(x) = a⁻ β_j + a⁺ β_{j+1} + c⁻ δ_j + c⁺ δ_{j+1},
 *   a⁻ = (x_{j+1} − x)/h_j, a⁺ = (x − x_j)/h_j,
 *   c⁻ = [(x_{j+1} − x)³/h_j − h_j (x_{j+1} − x)]/6, c⁺ = [(x − x_j)³/h_j − h_j (x − x_j)]/6;
 * outside the knots f continues linearly with the end's slope (f″ = 0 there):
 *   x < x_0:      f = β_0 + (x − x_0) [(β_1 − β_0)/h_0 − h_0 δ_0/3 − h_0 δ_1/6]
 *   x > x_{k−1}:  f = β_{k−1} + (x − x_{k−1}) [(β_{k−1} − β_{k−2})/h + h δ_{k−2}/6 + h δ_{k−1}/3].
 */
import { ModelError } from '../errors/errors.js';

/** R's quantile(x, p, type = 7) of sorted values: (1 − h) x_lo + h x_hi at index 1 + (n − 1) p. */
export function quantileType7(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  const index = (n - 1) * p;
  const lo = Math.floor(index), hi = Math.ceil(index);
  const qs = sorted[lo];
  const h = index - lo;
  return index > lo && sorted[hi] !== qs ? (1 - h) * qs + h * sorted[hi] : qs;
}

/** The sorted distinct values of x. */
export function sortedUnique(x: ArrayLike<number>): Float64Array {
  const s = Float64Array.from(x).sort();
  let m = 0;
  for (let i = 0; i < s.length; i++) if (i === 0 || s[i] !== s[m - 1]) s[m++] = s[i];
  return s.slice(0, m);
}

/**
 * The k knots of a cr smooth (mgcv: quantile(unique(x), seq(0, 1, length = k))); refused when x has
 * fewer than k distinct values (mgcv's message).
 */
export function crKnots(x: ArrayLike<number>, k: number, term: string): Float64Array {
  const xu = sortedUnique(x);
  if (xu.length < k) throw new ModelError(`s(${term}, bs = "cr"): ${term} has insufficient unique values to support ${k} knots (${xu.length} distinct values): reduce k`);
  const knots = new Float64Array(k);
  // R's seq(0, 1, length.out = k): j/(k − 1), its last value exactly 1
  for (let j = 0; j < k; j++) knots[j] = j === k - 1 ? xu[xu.length - 1] : quantileType7(xu, j * (1 / (k - 1)));
  return knots;
}

/** The cr spline's F (k × k, δ = F β) and penalty S (k × k, symmetrized), row-major. */
export function crMatrices(knots: ArrayLike<number>): { F: Float64Array; S: Float64Array } {
  const k = knots.length;
  const h = new Float64Array(k - 1);
  for (let j = 0; j < k - 1; j++) h[j] = knots[j + 1] - knots[j];
  const m = k - 2;
  // D ((k−2) × k)
  const D = new Float64Array(m * k);
  for (let i = 0; i < m; i++) {
    D[i * k + i] = 1 / h[i];
    D[i * k + i + 1] = -1 / h[i] - 1 / h[i + 1];
    D[i * k + i + 2] = 1 / h[i + 1];
  }
  // B⁻¹D by the tridiagonal (Thomas) elimination, column by column
  const diag = new Float64Array(m), off = new Float64Array(Math.max(0, m - 1));
  for (let i = 0; i < m; i++) diag[i] = (h[i] + h[i + 1]) / 3;
  for (let i = 0; i < m - 1; i++) off[i] = h[i + 1] / 6;
  const Binv = new Float64Array(m * k);
  const c = new Float64Array(m), d = new Float64Array(m);
  for (let col = 0; col < k; col++) {
    // forward sweep
    for (let i = 0; i < m; i++) {
      const sub = i > 0 ? off[i - 1] : 0;
      const den = diag[i] - (i > 0 ? sub * c[i - 1] : 0);
      c[i] = i < m - 1 ? off[i] / den : 0;
      d[i] = (D[i * k + col] - (i > 0 ? sub * d[i - 1] : 0)) / den;
    }
    for (let i = m - 1; i >= 0; i--) Binv[i * k + col] = d[i] - (i < m - 1 ? c[i] * Binv[(i + 1) * k + col] : 0);
  }
  const F = new Float64Array(k * k);
  F.set(Binv, k);
  // S = Dᵀ (B⁻¹ D)
  const S = new Float64Array(k * k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) { let v = 0; for (let i = 0; i < m; i++) v += D[i * k + a] * Binv[i * k + b]; S[a * k + b] = v; }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) S[a * k + b] = S[b * k + a] = (S[a * k + b] + S[b * k + a]) / 2;
  return { F, S };
}

/** The cr basis at x (n × k, row-major) from the knots and F (mgcv's Predict.matrix.cr.smooth). */
export function crBasis(x: ArrayLike<number>, knots: ArrayLike<number>, F: Float64Array): Float64Array {
  const k = knots.length, n = x.length;
  const X = new Float64Array(n * k);
  for (let r = 0; r < n; r++) {
    const v = x[r], row = r * k;
    if (v < knots[0]) {
      const h = knots[1] - knots[0], t = v - knots[0];
      // β_0 + t [(β_1 − β_0)/h − h δ_0/3 − h δ_1/6]
      for (let c = 0; c < k; c++) X[row + c] = -t * h / 3 * F[c] - t * h / 6 * F[k + c];
      X[row] += 1 - t / h;
      X[row + 1] += t / h;
    } else if (v > knots[k - 1]) {
      const h = knots[k - 1] - knots[k - 2], t = v - knots[k - 1];
      // β_{k−1} + t [(β_{k−1} − β_{k−2})/h + h δ_{k−2}/6 + h δ_{k−1}/3]
      for (let c = 0; c < k; c++) X[row + c] = t * h / 6 * F[(k - 2) * k + c] + t * h / 3 * F[(k - 1) * k + c];
      X[row + k - 1] += 1 + t / h;
      X[row + k - 2] += -t / h;
    } else {
      // the interval [x_j, x_{j+1}] holding v (binary search)
      let lo = 0, hi = k - 1;
      while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (knots[mid] <= v) lo = mid; else hi = mid; }
      const j = lo, h = knots[j + 1] - knots[j];
      const dm = knots[j + 1] - v, dp = v - knots[j];
      const am = dm / h, ap = dp / h;
      const cm = (dm * dm * dm / h - h * dm) / 6, cp = (dp * dp * dp / h - h * dp) / 6;
      for (let c = 0; c < k; c++) X[row + c] = cm * F[j * k + c] + cp * F[(j + 1) * k + c];
      X[row + j] += am;
      X[row + j + 1] += ap;
    }
  }
  return X;
}
