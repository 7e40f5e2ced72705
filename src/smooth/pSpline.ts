/**
 * mgcv's P-spline (`s(x, bs = "ps")`, smooth.construct.ps.smooth.spec and Predict.matrix.pspline.smooth,
 * mgcv 1.8-41; Eilers & Marx 1996), with mgcv's default m = c(2, 2): a cubic B-spline basis (order 4) of
 * k functions on evenly spaced knots, and a second-order difference penalty on the coefficients.
 *
 * Knots: with [a, b] the data's range widened by 0.1% of its width at each end (x_l = a − 0.001 (b − a),
 * x_u = b + 0.001 (b − a)), nk = k − 2 interior intervals' knots dx = (x_u − x_l)/(nk − 1) apart, and 3 more
 * beyond each end: t_i = x_l − 3 dx + i (x_u − x_l + 6 dx)/(k + 3), i = 0 … k + 3 (R's seq(…, length = k + 4)).
 * Basis (R's splines::splineDesign, order 4): the Cox–de Boor recursion
 *   B_{j,1}(x) = [t_j ≤ x < t_{j+1}],
 *   B_{j,o}(x) = (x − t_j)/(t_{j+o−1} − t_j) B_{j,o−1}(x) + (t_{j+o} − x)/(t_{j+o} − t_{j+1}) B_{j+1,o−1}(x),
 * with the last interval closed at x_u. Outside [x_l, x_u] (prediction) the basis continues linearly:
 *   B(x) = B(x_l) + (x − x_l) B′(x_l)  (and likewise at x_u),
 *   B′_{j,4}(x) = 3 [B_{j,3}(x)/(t_{j+3} − t_j) − B_{j+1,3}(x)/(t_{j+4} − t_{j+1})].
 * Penalty: S = DᵀD, D the (k − 2) × k second-difference matrix (R's diff(diag(k), differences = 2));
 * its null space the linear functions (rank k − 2), as the cr and tp smooths'.
 */
import { ModelError } from '../errors/errors.js';

/** The B-spline order (cubic: 4) and the difference penalty's order of mgcv's default m = c(2, 2). */
const ORDER = 4;
const DIFF = 2;

/** The ps smooth's k + 4 knots over the data's range (mgcv's, no knots supplied). */
export function psKnots(x: ArrayLike<number>, k: number, term: string): Float64Array {
  let a = Infinity, b = -Infinity;
  for (let i = 0; i < x.length; i++) { a = Math.min(a, x[i]); b = Math.max(b, x[i]); }
  if (!(b > a)) throw new ModelError(`s(${term}, bs = "ps"): ${term} is constant over the data`);
  const xr = b - a;
  const xl = a - xr * 0.001, xu = b + xr * 0.001;
  const nk = k - (ORDER - 2);
  const dx = (xu - xl) / (nk - 1);
  const from = xl - dx * (ORDER - 1), to = xu + dx * (ORDER - 1);
  const len = nk + 2 * (ORDER - 2) + 2;
  // R's seq(from, to, length.out = len): from + i by, by = (to − from)/(len − 1), its last value exactly `to`
  const by = (to - from) / (len - 1);
  return Float64Array.from({ length: len }, (_, i) => (i === len - 1 ? to : from + i * by));
}

/** All B-splines of order `ord` at v (length knots − ord), the interval found with the last one closed. */
function bsplineAt(t: ArrayLike<number>, ord: number, v: number, out: Float64Array): void {
  const len = t.length;
  const nb = len - ord;
  // the interval [t_i, t_{i+1}) holding v, i in [ord − 1, nb − 1] (at the right end: the last)
  let i = ord - 1;
  while (i < nb - 1 && v >= t[i + 1]) i++;
  const N = new Float64Array(len - 1);
  N[i] = 1;
  for (let o = 2; o <= ord; o++) {
    for (let j = Math.max(0, i - o + 1); j <= i; j++) {
      const left = t[j + o - 1] - t[j], right = t[j + o] - t[j + 1];
      N[j] = (left > 0 ? ((v - t[j]) / left) * N[j] : 0) + (right > 0 ? ((t[j + o] - v) / right) * N[j + 1] : 0);
    }
  }
  for (let j = 0; j < nb; j++) out[j] = N[j];
}

/** The ps basis at x (rows × k, row-major): mgcv's Predict.matrix.pspline.smooth (linear outside the range). */
export function psBasis(x: ArrayLike<number>, knots: ArrayLike<number>): Float64Array {
  const k = knots.length - ORDER;
  const ll = knots[ORDER - 1], ul = knots[knots.length - ORDER];
  const rows = x.length;
  const X = new Float64Array(rows * k);
  const b = new Float64Array(k);
  // B and B′ at an end (B′ from the order-3 splines)
  const end = (at: number) => {
    const v = new Float64Array(k), d = new Float64Array(k), b3 = new Float64Array(knots.length - ORDER + 1);
    bsplineAt(knots, ORDER, at, v);
    bsplineAt(knots, ORDER - 1, at, b3);
    for (let j = 0; j < k; j++) {
      const l = knots[j + ORDER - 1] - knots[j], r = knots[j + ORDER] - knots[j + 1];
      d[j] = (ORDER - 1) * ((l > 0 ? b3[j] / l : 0) - (r > 0 ? b3[j + 1] / r : 0));
    }
    return { v, d };
  };
  let lower: { v: Float64Array; d: Float64Array } | null = null, upper: { v: Float64Array; d: Float64Array } | null = null;
  for (let r = 0; r < rows; r++) {
    const v = x[r];
    if (v < ll || v > ul) {
      const e = v < ll ? (lower ??= end(ll)) : (upper ??= end(ul));
      const dv = v - (v < ll ? ll : ul);
      for (let j = 0; j < k; j++) X[r * k + j] = e.v[j] + dv * e.d[j];
    } else {
      bsplineAt(knots, ORDER, v, b);
      X.set(b, r * k);
    }
  }
  return X;
}

/** The second-order difference penalty S = DᵀD (k × k, row-major). */
export function psPenalty(k: number): Float64Array {
  // D's rows: (1, −2, 1) at columns i, i + 1, i + 2
  const d = [1, -2, 1];
  const S = new Float64Array(k * k);
  for (let i = 0; i < k - DIFF; i++) for (let a = 0; a <= DIFF; a++) for (let b = 0; b <= DIFF; b++) S[(i + a) * k + i + b] += d[a] * d[b];
  return S;
}
