/**
 * The interpolating splines of lme4's profile confidence intervals, as R's splines package:
 * interpSpline (the natural cubic interpolating spline, f'' = 0 at both ends) in its piecewise
 * polynomial form (polySpline: at knot k_i the Taylor coefficients f, f', f''/2, f'''/6 of the piece
 * on [k_i, k_{i+1}]), backSpline (its inverse: per interval the cubic in the other variable that
 * matches the end values and the reciprocal slopes, quadratic on the two outer intervals, and linear
 * where the quadratic would turn back), and predict.polySpline (NA outside the knots).
 */

export interface PolySpline {
  /** increasing knots */
  knots: Float64Array;
  /** per knot: [c0, c1, c2, c3], the piece y = c0 + c1 d + c2 d² + c3 d³, d = x − knot */
  coef: Float64Array[];
}

/** The natural cubic spline through (x_i, y_i) (R: polySpline(interpSpline(y ~ x))). */
export function interpSpline(xIn: ArrayLike<number>, yIn: ArrayLike<number>): PolySpline {
  const order = Array.from({ length: xIn.length }, (_, i) => i).filter((i) => Number.isFinite(xIn[i]) && Number.isFinite(yIn[i])).sort((a, b) => xIn[a] - xIn[b]);
  const n = order.length;
  if (n < 4) throw new Error(`a profile needs at least 4 points for its spline, got ${n}`);
  const x = Float64Array.from(order, (i) => xIn[i]);
  const y = Float64Array.from(order, (i) => yIn[i]);
  for (let i = 1; i < n; i++) if (!(x[i] > x[i - 1])) throw new Error('values of x must be distinct');
  const h = Float64Array.from({ length: n - 1 }, (_, i) => x[i + 1] - x[i]);
  // second derivatives M with M_0 = M_{n−1} = 0: tridiagonal system for M_1 … M_{n−2}
  const M = new Float64Array(n);
  const m = n - 2;
  const diag = new Float64Array(m), sup = new Float64Array(m), rhs = new Float64Array(m);
  for (let i = 1; i <= m; i++) {
    diag[i - 1] = (h[i - 1] + h[i]) / 3;
    sup[i - 1] = h[i] / 6;
    rhs[i - 1] = (y[i + 1] - y[i]) / h[i] - (y[i] - y[i - 1]) / h[i - 1];
  }
  // Thomas algorithm (symmetric: sub-diagonal equals super-diagonal shifted)
  for (let i = 1; i < m; i++) {
    const w = sup[i - 1] / diag[i - 1];
    diag[i] -= w * sup[i - 1];
    rhs[i] -= w * rhs[i - 1];
  }
  for (let i = m - 1; i >= 0; i--) M[i + 1] = (rhs[i] - (i + 1 < m ? sup[i] * M[i + 2] : 0)) / diag[i];
  const coef: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    if (i < n - 1) {
      const c1 = (y[i + 1] - y[i]) / h[i] - (h[i] * (2 * M[i] + M[i + 1])) / 6;
      coef.push(Float64Array.of(y[i], c1, M[i] / 2, (M[i + 1] - M[i]) / (6 * h[i])));
    } else {
      const hl = h[n - 2];
      const c1 = (y[n - 1] - y[n - 2]) / hl + (hl * (M[n - 2] + 2 * M[n - 1])) / 6;
      coef.push(Float64Array.of(y[i], c1, 0, (M[n - 1] - M[n - 2]) / (6 * hl)));
    }
  }
  return { knots: x, coef };
}

/** The inverse spline x(y) of a monotone spline y(x) (R: splines::backSpline). Throws when not monotone. */
export function backSpline(s: PolySpline): PolySpline {
  const knots = s.knots;
  const nk = knots.length;
  const nkm1 = nk - 1;
  const kdiff = Float64Array.from({ length: nkm1 }, (_, i) => knots[i + 1] - knots[i]);
  const bknots = Float64Array.from(s.coef, (c) => c[0]);
  const adiff = Float64Array.from({ length: nkm1 }, (_, i) => bknots[i + 1] - bknots[i]);
  let rev: boolean;
  if (adiff.every((d) => d < 0)) rev = true;
  else if (adiff.every((d) => d > 0)) rev = false;
  else throw new Error('spline must be monotone');
  const b = s.coef.map((c, i) => Float64Array.of(knots[i], 1 / c[1], 0, 0));
  for (let i = 0; i < nkm1; i++) {
    // [a² a³; 2a 3a²] [c2 c3]ᵀ = [kdiff − a b2_i, b2_{i+1} − b2_i]
    const a = adiff[i];
    const r0 = kdiff[i] - a * b[i][1];
    const r1 = b[i + 1][1] - b[i][1];
    const det = a * a * 3 * a * a - a * a * a * 2 * a;
    b[i][2] = (r0 * 3 * a * a - a * a * a * r1) / det;
    b[i][3] = (a * a * r1 - 2 * a * r0) / det;
  }
  b[nkm1][1] = b[nkm1][2] = b[nkm1][3] = NaN;
  if (nk > 2) {
    b[0][3] = 0;
    b[nkm1 - 1][3] = 0;
    // [a 1; a² 2a]ᵀ: a c1 + a² c2 = kdiff_0, c1 + 2a c2 = 1 / y'(k_1)
    const a = adiff[0];
    const r0 = kdiff[0], r1 = 1 / s.coef[1][1];
    const det = a * 2 * a - a * a * 1;
    b[0][1] = (r0 * 2 * a - a * a * r1) / det;
    b[0][2] = (a * r1 - 1 * r0) / det;
    const al = adiff[nkm1 - 1];
    b[nkm1 - 1][2] = (kdiff[nkm1 - 1] - al * b[nkm1 - 1][1]) / (al * al);
  }
  if (b[0][2] > 0) {
    b[0][2] = 0;
    b[0][1] = kdiff[0] / adiff[0];
  }
  if (b[nkm1 - 1][2] < 0) {
    b[nkm1 - 1][2] = 0;
    b[nkm1 - 1][1] = kdiff[nkm1 - 1] / adiff[nkm1 - 1];
  }
  if (!rev) return { knots: bknots, coef: b };
  return { knots: bknots.slice().reverse(), coef: b.slice().reverse() };
}

/** The spline's value at x (R: predict.polySpline): NaN outside [k_0, k_last]. */
export function evalPolySpline(s: PolySpline, x: number): number {
  const k = s.knots;
  const n = k.length;
  if (!(x >= k[0] && x <= k[n - 1])) return NaN;
  // cut(): the interval (k_i, k_{i+1}] holding x; x = k_0 belongs to the first
  let i = 0;
  while (i < n - 2 && x > k[i + 1]) i++;
  const c = s.coef[i];
  const d = x - k[i];
  return ((c[3] * d + c[2]) * d + c[1]) * d + c[0];
}
