/**
 * ns()/bs() bases (./splines.ts) as piecewise polynomials, for an engine that evaluates a basis in
 * a language without de Boor's recurrence (SQL, src/gram/sql/basisColumns.ts). On each piece every
 * column is a polynomial of degree ≤ the spline's degree in u = x − centre, written by Taylor's
 * formula at the centre:
 *   inside, on a knot interval [t_i, t_{i+1}):  f(x) = Σ_r f^{(r)}(t_i) (x − t_i)^r / r!  (exact: f is a polynomial there);
 *   bs beyond a boundary knot: R's own expansion about the pivot k (splines.ts bsBasis), the same form;
 *   ns beyond a boundary knot b: f(b) + (x − b) f'(b) (R's linear continuation).
 * The derivatives come from splineRow (the B-splines' derivatives), mapped to the columns as the
 * basis maps its rows (bs: the first column dropped; ns: nsProjection, linear).
 * Evaluated by Horner's rule, a piece agrees with splines.ts's values to float64 rounding.
 */
import { splineRow } from './bspline.js';
import { type SplineCoefs, allKnots, bsPivot, nsProjection } from './splines.js';

/** One piece: where it applies, its centre, and per column the Taylor coefficients c_0..c_deg. */
export interface SplinePiece {
  /** the piece holds for lo ≤ x < hi (null: unbounded); the last inner piece holds at x = hi too (the upper boundary knot) */
  lo: number | null;
  hi: number | null;
  centre: number;
  /** coefs[column][r]: the coefficient of (x − centre)^r */
  coefs: number[][];
}

/** The pieces of ns/bs with knots `c`, in increasing x: below the lower boundary knot, each knot interval, above the upper. */
export function splinePieces(c: SplineCoefs): SplinePiece[] {
  const ord = c.fn === 'ns' ? 4 : c.degree + 1;
  const degree = ord - 1;
  const t = allKnots(c, ord);
  const nb = t.length - ord;
  const width = c.fn === 'ns' ? nb - 3 : nb - 1;
  const project = c.fn === 'ns' ? nsProjection(c) : null;
  const out = new Float64Array(width);
  /** the columns of a B-spline row (or of a row of derivatives) */
  const columns = (row: Float64Array): number[] => {
    if (project) { project(row, out); return Array.from(out); }
    return Array.from(row.subarray(1));
  };
  /** Taylor coefficients at x0 of the B-splines' polynomials on the interval splineRow picks for x0 */
  const taylor = (x0: number, upTo: number): number[][] => {
    const perR: number[][] = [];
    let factorial = 1;
    for (let r = 0; r <= upTo; r++) {
      if (r > 0) factorial *= r;
      perR.push(columns(splineRow(t, ord, x0, r)).map((v) => v / factorial));
    }
    return Array.from({ length: width }, (_, j) => perR.map((col) => col[j]));
  };
  const [a, b] = c.boundary;
  const pieces: SplinePiece[] = [];
  // below a: bs about its pivot (degree terms), ns linear about a
  const below = c.fn === 'bs' ? bsPivot(c, -1) : a;
  pieces.push({ lo: null, hi: a, centre: below, coefs: taylor(below, c.fn === 'bs' ? degree : 1) });
  // the distinct breakpoints inside [a, b]
  const breaks = [...new Set([a, ...c.knots.filter((k) => k > a && k < b), b])].sort((p, q) => p - q);
  for (let i = 0; i + 1 < breaks.length; i++) {
    pieces.push({ lo: breaks[i], hi: breaks[i + 1], centre: breaks[i], coefs: taylor(breaks[i], degree) });
  }
  const above = c.fn === 'bs' ? bsPivot(c, 1) : b;
  pieces.push({ lo: b, hi: null, centre: above, coefs: taylor(above, c.fn === 'bs' ? degree : 1) });
  return pieces;
}
