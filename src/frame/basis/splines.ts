/**
 * R's splines::bs() and splines::ns() (splines 4.2.2): B-spline and natural cubic spline bases of a
 * variable, their knots from the data (kept for new data: R's makepredictcall.bs/.ns), and the
 * bases on new data, beyond the boundary knots included (bs: a Taylor expansion of degree `degree`
 * about a pivot; ns: linear, the natural spline's continuation).
 */
import { DataError } from '../../errors/errors.js';
import { quantile7, splineRow } from './bspline.js';
import { linpackQr, linpackQty } from './linpackQr.js';

/** What ns()/bs() keep of the data for new data: R's attributes knots, Boundary.knots, degree. */
export interface SplineCoefs {
  fn: 'ns' | 'bs';
  /** bs's degree (ns: 3) */
  degree: number;
  /** the inner knots */
  knots: number[];
  /** the boundary knots */
  boundary: [number, number];
}

/**
 * The knots of ns(x, df, knots, Boundary.knots) / bs(x, df, knots, degree, Boundary.knots) on the
 * data's non-missing x: Boundary.knots = range(x) unless given; with df and no knots,
 * nIknots = df − 1 (ns) or df − degree (bs) inner knots at the quantiles (type 7) of the x inside
 * the boundary knots, at probabilities i/(nIknots + 1). R's "df was too small" (nIknots < 0) uses
 * none, with its warning; refused here instead so that the columns are the ones asked for.
 */
export function splineKnots(
  fn: 'ns' | 'bs', x: Float64Array, args: { degree: number; df?: number; knots?: number[]; boundary?: [number, number] }, label: string,
): SplineCoefs {
  const xs = Array.from(x).filter((v) => !Number.isNaN(v));
  if (xs.length === 0) throw new DataError(`'${label}': the variable has no values`);
  let lo = Infinity, hi = -Infinity;
  for (const v of xs) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const plan = splineKnotPlan(fn, args, lo, hi, label);
  const inner = plan.probs.length > 0 ? quantile7(xs.filter((v) => v >= plan.boundary[0] && v <= plan.boundary[1]), plan.probs) : [];
  return splineKnotsAt(plan, inner, label);
}

/**
 * What splineKnots needs of x beyond its range [lo, hi] (of the non-missing values): the boundary
 * knots, and the probabilities at which the inner knots are x's type-7 quantiles (of the x inside
 * the boundary knots; none where the knots are given). Shared by the in-memory frame and the
 * engines, which take the quantiles by scans (src/gram/basisPass.ts).
 */
export interface SplineKnotPlan {
  fn: 'ns' | 'bs';
  degree: number;
  boundary: [number, number];
  /** the given knots, or null (then the quantiles at probs) */
  given: number[] | null;
  probs: number[];
}

export function splineKnotPlan(
  fn: 'ns' | 'bs', args: { degree: number; df?: number; knots?: number[]; boundary?: [number, number] }, lo: number, hi: number, label: string,
): SplineKnotPlan {
  const boundary: [number, number] = args.boundary ?? [lo, hi];
  if (!(boundary[0] < boundary[1]) || !Number.isFinite(boundary[0]) || !Number.isFinite(boundary[1])) {
    throw new DataError(`'${label}': the boundary knots (${boundary.join(', ')}) are not two finite increasing numbers${args.boundary ? '' : ' (the variable is constant or infinite)'}`);
  }
  const degree = fn === 'ns' ? 3 : args.degree;
  let probs: number[] = [];
  if (args.df !== undefined && args.knots === undefined) {
    const nIknots = fn === 'ns' ? args.df - 1 : args.df - degree;
    if (nIknots < 0) throw new DataError(`'${label}': df = ${args.df} is too small: ${fn}() needs df ≥ ${fn === 'ns' ? 1 : degree} (R uses ${fn === 'ns' ? 1 : degree} with a warning)`);
    // R's seq.int(0, 1, length.out = nIknots + 2) without its ends
    probs = Array.from({ length: nIknots }, (_, i) => (i + 1) * (1 / (nIknots + 1)));
  }
  return { fn, degree, boundary, given: args.knots ? [...args.knots].sort((a, b) => a - b) : null, probs };
}

/** The knots of a plan, given x's quantiles at plan.probs (inside the boundary knots), checked. */
export function splineKnotsAt(plan: SplineKnotPlan, quantiles: number[], label: string): SplineCoefs {
  const { fn, degree, boundary } = plan;
  const knots = plan.given ?? quantiles;
  for (const k of knots) {
    // a knot at the lower boundary knot (quantiles of x tied at its minimum) gives R's basis (checked
    // against R); one at or beyond the upper boundary knot does not (R's ns stops there, bs's
    // continuation beyond it is degenerate), nor one outside: refused
    if (!(k >= boundary[0] && k < boundary[1])) {
      throw new DataError(`'${label}': the knot ${k} is not inside the boundary knots [${boundary[0]}, ${boundary[1]})${plan.given ? '' : ' (the quantiles of x coincide with its maximum: fewer df, or give knots)'}`);
    }
  }
  return { fn, degree, knots, boundary };
}

/** R's Aknots: the boundary knots repeated `ord` times around the inner knots. */
export function allKnots(c: SplineCoefs, ord: number): number[] {
  return [...Array(ord).fill(c.boundary[0]), ...c.knots, ...Array(ord).fill(c.boundary[1])];
}

/**
 * bs(x) with the knots `c`: rows inside the boundary knots splineDesign(Aknots, x, ord); rows
 * beyond them R's Taylor expansion about the pivot k = (3/4) b + (1/4) a (a the knot next to the
 * boundary knot b): Σ_{r=0..degree} B^{(r)}(k) (x − k)^r / r!; the first column dropped
 * (intercept = FALSE). A missing x gives a missing row.
 */
export function bsBasis(x: Float64Array, c: SplineCoefs): Float64Array[] {
  const ord = c.degree + 1;
  const t = allKnots(c, ord);
  const nb = t.length - ord;
  const rows = splineRows(x, t, ord, (xi, side) => {
    const pivot = bsPivot(c, side);
    const row = new Float64Array(nb);
    let factorial = 1, power = 1;
    for (let r = 0; r <= c.degree; r++) {
      if (r > 0) { factorial *= r; power *= xi - pivot; }
      const d = splineRow(t, ord, pivot, r);
      // R: cbind(1, outer(x − k, 1:degree, "^")) %*% (tt / gamma(1:ord))
      for (let j = 0; j < nb; j++) row[j] += power * (d[j] / factorial);
    }
    return row;
  });
  return columnsOf(rows, x.length, 1, nb);
}

/** bs's pivot beyond the boundary knot on `side`: k = (3/4) b + (1/4) a, a the knot next to b. */
export function bsPivot(c: SplineCoefs, side: -1 | 1): number {
  const ord = c.degree + 1;
  const t = allKnots(c, ord);
  const e = 1 / 4;
  return side < 0 ? (1 - e) * c.boundary[0] + e * t[ord] : (1 - e) * c.boundary[1] + e * t[t.length - ord - 1];
}

/**
 * ns(x) with the knots `c`: the cubic B-spline basis (rows beyond the boundary knots continued
 * linearly: B(b) + (x − b) B'(b)), its first column dropped, then the two constraints (second
 * derivative zero at both boundary knots) removed as R does:
 *   C = splineDesign(Aknots, boundary, 4, derivs = c(2, 2))[, −1],  QR = qr(t(C))  (LINPACK dqrdc2),
 *   basis = t(qr.qty(QR, t(B)))[, −(1:2)],
 * which depends on dqrdc2's Householder vectors: src/frame/basis/linpackQr.ts follows them exactly.
 */
export function nsBasis(x: Float64Array, c: SplineCoefs): Float64Array[] {
  const ord = 4;
  const t = allKnots(c, ord);
  const nb = t.length - ord;
  const rows = splineRows(x, t, ord, (xi, side) => {
    const b = side < 0 ? c.boundary[0] : c.boundary[1];
    const v = splineRow(t, ord, b, 0), d = splineRow(t, ord, b, 1);
    return v.map((vj, j) => vj + (xi - b) * d[j]);
  });
  const project = nsProjection(c);
  const out = Array.from({ length: nb - 3 }, () => new Float64Array(x.length));
  const y = new Float64Array(nb - 3);
  rows.forEach((row, i) => {
    if (row === null) { for (const col of out) col[i] = NaN; return; }
    project(row, y);
    for (let j = 0; j < y.length; j++) out[j][i] = y[j];
  });
  return out;
}

/**
 * ns's map from a cubic B-spline row (nb values) to its nb − 3 columns: the first value dropped,
 * then qr.qty by the LINPACK QR of t(C) (C the second derivatives at the boundary knots), the first
 * two results dropped. Linear in the row: it maps derivatives too (./splinePieces.ts).
 */
export function nsProjection(c: SplineCoefs): (row: Float64Array, out: Float64Array) => void {
  const ord = 4;
  const t = allKnots(c, ord);
  const nb = t.length - ord;
  // t(C): (nb − 1) × 2, column-major
  const m = nb - 1;
  const Ct = new Float64Array(m * 2);
  for (let s = 0; s < 2; s++) {
    const d2 = splineRow(t, ord, c.boundary[s], 2);
    for (let j = 1; j < nb; j++) Ct[s * m + (j - 1)] = d2[j];
  }
  const qr = linpackQr(Ct, m, 2);
  const y = new Float64Array(m);
  return (row, out) => {
    for (let j = 1; j < nb; j++) y[j - 1] = row[j];
    linpackQty(qr, y);
    for (let j = 2; j < m; j++) out[j - 2] = y[j];
  };
}

/** Each x's basis row (null where x is missing): splineDesign inside the boundary knots, `outside(x, −1 | 1)` beyond them. */
function splineRows(x: Float64Array, t: number[], ord: number, outside: (x: number, side: -1 | 1) => Float64Array): (Float64Array | null)[] {
  const a = t[0], b = t[t.length - 1];
  return Array.from(x, (xi) => (Number.isNaN(xi) ? null : xi < a ? outside(xi, -1) : xi > b ? outside(xi, 1) : splineRow(t, ord, xi)));
}

/** Columns from..to−1 of the rows (missing rows NaN). */
function columnsOf(rows: (Float64Array | null)[], n: number, from: number, to: number): Float64Array[] {
  const out = Array.from({ length: to - from }, () => new Float64Array(n));
  rows.forEach((row, i) => { for (let j = from; j < to; j++) out[j - from][i] = row === null ? NaN : row[j]; });
  return out;
}
