/**
 * mgcv's cyclic cubic regression spline (`s(x, bs = "cc")`, smooth.construct.cc.smooth.spec and
 * Predict.matrix.cyclic.smooth, mgcv 1.8-41; Wood 2017, §5.3.2): a cubic spline through k knots
 * x_1 < … < x_k whose value, slope and curvature at x_k equal those at x_1, parametrized by its values
 * β_1 … β_{k−1} at the first k − 1 knots (β_k ≡ β_1): k − 1 columns.
 *
 * Knots (mgcv's place.knots): over the sorted distinct values u_1 … u_m, δ = (m − 1)/(k − 1), and for
 * i = 1 … k − 2 with l_i = ⌊δ i⌋ + 1, f_i = δ i + 1 − l_i: x_{i+1} = (1 − f_i) u_{l_i} + f_i u_{l_i+1};
 * x_1 = u_1, x_k = u_m (evenly spaced through the ranks of the distinct values).
 *
 * With h_j = x_{j+1} − x_j (j = 1 … k − 1, n = k − 1 of them, index j taken cyclically), the second
 * derivatives at the knots are δ = B⁻¹ D β, B and D cyclic tridiagonal (n × n):
 *   B_{i,i} = (h_{i−1} + h_i)/3,  B_{i,i±1} = h_{i−1}/6, h_i/6,
 *   D_{i,i} = −(1/h_{i−1} + 1/h_i),  D_{i,i−1} = 1/h_{i−1},  D_{i,i+1} = 1/h_i   (row 1's i − 1 is n),
 * and the penalty ∫ f″² = βᵀ S β, S = Dᵀ B⁻¹ D (symmetrized). On [x_j, x_{j+1}] with the
 * coefficient index j′ = j + 1 wrapped to 1 at j = n:
 *   f(x) = (BD)_j β (x_{j+1} − x)³/(6h_j) + (BD)_{j′} β (x − x_j)³/(6h_j)
 *          − (BD)_j β h_j (x_{j+1} − x)/6 − (BD)_{j′} β h_j (x − x_j)/6
 *          + β_j (x_{j+1} − x)/h_j + β_{j′} (x − x_j)/h_j;
 * a value outside [x_1, x_k] is wrapped into it first (mgcv's cwrap: the period x_k − x_1).
 * The penalty's null space is the constant (rank k − 2): after the sum-to-zero constraint the smooth has
 * k − 2 columns, all penalized — no fixed effects in gamm4's mixed form.
 */
import { ModelError } from '../errors/errors.js';
import { spdInverse } from '../linalg/dense.js';
import { sortedUnique } from './crSpline.js';

/** mgcv's place.knots(x, k): k knots evenly spaced through the ranks of x's distinct values. */
export function ccKnots(x: ArrayLike<number>, k: number, term: string): Float64Array {
  const u = sortedUnique(x);
  const m = u.length;
  if (k > m) throw new ModelError(`s(${term}, bs = "cc"): ${term} has ${m} distinct values, fewer than the k = ${k} knots (more knots than unique data values is not allowed): reduce k`);
  const knots = new Float64Array(k);
  knots[0] = u[0];
  knots[k - 1] = u[m - 1];
  const delta = (m - 1) / (k - 1);
  for (let i = 1; i <= k - 2; i++) {
    // lbi = ⌊δ i⌋ + 1 (1-based), frac = δ i + 1 − lbi: (1 − frac) u[lbi] + frac u[lbi + 1]
    const lbi = Math.floor(delta * i) + 1;
    const frac = delta * i + 1 - lbi;
    knots[i] = u[lbi - 1] * (1 - frac) + (lbi < m ? u[lbi] : u[lbi - 1]) * frac;
  }
  return knots;
}

/** The cyclic spline's BD = B⁻¹D ((k − 1) × (k − 1)) and penalty S = Dᵀ B⁻¹ D, row-major. */
export function ccMatrices(knots: ArrayLike<number>): { BD: Float64Array; S: Float64Array } {
  const n = knots.length - 1;
  const h = new Float64Array(n);
  for (let j = 0; j < n; j++) h[j] = knots[j + 1] - knots[j];
  const B = new Float64Array(n * n), D = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const prev = (i + n - 1) % n, next = (i + 1) % n;
    // h_{i−1} is the previous interval's (row 1: the last's)
    const hp = h[prev], hi = h[i];
    B[i * n + i] += (hp + hi) / 3;
    B[i * n + prev] += hp / 6;
    B[i * n + next] += hi / 6;
    D[i * n + i] += -(1 / hp + 1 / hi);
    D[i * n + prev] += 1 / hp;
    D[i * n + next] += 1 / hi;
  }
  const Binv = spdInverse(B, n, 'the cyclic spline\'s B matrix').inv;
  const BD = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) { let s = 0; for (let t = 0; t < n; t++) s += Binv[r * n + t] * D[t * n + c]; BD[r * n + c] = s; }
  const S = new Float64Array(n * n);
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) { let s = 0; for (let t = 0; t < n; t++) s += D[t * n + a] * BD[t * n + b]; S[a * n + b] = s; }
  for (let a = 0; a < n; a++) for (let b = 0; b < a; b++) S[a * n + b] = S[b * n + a] = (S[a * n + b] + S[b * n + a]) / 2;
  return { BD, S };
}

/** mgcv's cwrap: x outside [x0, x1] mapped into it with period x1 − x0. */
function cwrap(x0: number, x1: number, v: number): number {
  const h = x1 - x0;
  // R's %% (the result has the divisor's sign)
  const mod = (a: number) => ((a % h) + h) % h;
  if (v > x1) return x0 + mod(v - x1);
  if (v < x0) return x1 - mod(x0 - v);
  return v;
}

/** The cyclic basis at x (rows × (k − 1), row-major): mgcv's Predict.matrix.cyclic.smooth. */
export function ccBasis(x: ArrayLike<number>, knots: ArrayLike<number>, BD: Float64Array): Float64Array {
  const k = knots.length, n = k - 1, rows = x.length;
  const X = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const v = cwrap(knots[0], knots[k - 1], x[r]);
    // j: the smallest knot index (0-based, ≥ 1) with v ≤ knots[j]; the interval [j − 1, j]
    let lo = 1, hi = k - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (v <= knots[mid]) hi = mid; else lo = mid + 1; }
    const j1 = lo - 1, j = lo === k - 1 ? 0 : lo;
    const h = knots[j1 + 1] - knots[j1];
    const a = knots[j1 + 1] - v, b = v - knots[j1];
    const ca = (a * a * a) / (6 * h) - (h * a) / 6, cb = (b * b * b) / (6 * h) - (h * b) / 6;
    const row = r * n;
    for (let c = 0; c < n; c++) X[row + c] = BD[j1 * n + c] * ca + BD[j * n + c] * cb;
    X[row + j1] += a / h;
    X[row + j] += b / h;
  }
  return X;
}
