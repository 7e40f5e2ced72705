/**
 * poly(), ns() and bs() in SQL: each basis column as one SQL expression of its argument x, so that
 * the model frame's passes stay one query each (the coefficients from ../basisPass.ts, by the
 * queries of ./basisScan.ts).
 *   poly (orthogonal): predict.poly's recurrence written out, P_1 = (x − α_1),
 *     P_{i+1} = ((x − α_{i+1}) P_i − (norm2_{i+1} / norm2_i) P_{i−1}), column j = P_j / √norm2_{j+1}:
 *     the operations of src/frame/basis/poly.ts polyPredict, in its order (the text of P_{i−1} is
 *     repeated inside P_{i+1}: Fibonacci-many copies, small for the degrees used in practice);
 *   poly (raw): x, x·x, x^j (R_pow, as polyRaw);
 *   ns/bs: CASE over the pieces of src/frame/basis/splinePieces.ts (x missing → NaN; below the
 *     lower boundary knot; each knot interval; above the upper one), each piece's polynomial by
 *     Horner's rule in u = x − centre: c_0 + u (c_1 + u (c_2 + u c_3)), equal to the B-spline
 *     recurrence's value to float64 rounding.
 */
import type { BasisCoefs } from '../../frame/columns.js';
import { splinePieces } from '../../frame/basis/splinePieces.js';
import type { Dialect } from './dialect.js';

/** x is missing (NaN; the frame's NULLs read as NaN) */
export function missing(d: Dialect, x: string): string {
  return d.not(d.or([d.isFinite(x), d.isInfinite(x)]));
}

/** Horner's rule: Σ_r c_r u^r as c_0 + u (c_1 + u (…)) */
function horner(d: Dialect, coefs: readonly number[], u: string): string {
  let e = d.double(coefs[coefs.length - 1]);
  for (let r = coefs.length - 2; r >= 0; r--) e = `(${d.double(coefs[r])} + (${u} * ${e}))`;
  return e;
}

/** The unnormalised P_j of poly's recurrence as SQL (src/frame/basis/poly.ts polyRecurrence's arithmetic). */
export function polyRecurrenceSql(d: Dialect, x: string, alpha: readonly number[], norm2: readonly number[], j: number): string {
  const P = [d.double(1), `(${x} - ${d.double(alpha[0])})`];
  for (let i = 2; i <= j; i++) P.push(`(((${x} - ${d.double(alpha[i - 1])}) * ${P[i - 1]}) - (${d.double(norm2[i] / norm2[i - 1])} * ${P[i - 2]}))`);
  return P[j];
}

/** Column `index` (0-based) of a basis with its coefficients, as SQL of its argument `x`. */
export function basisColumnSql(d: Dialect, coefs: BasisCoefs, x: string, index: number): string {
  if (coefs.fn === 'poly') {
    const j = index + 1;
    if (!coefs.coefs) return j === 1 ? x : j === 2 ? `(${x} * ${x})` : d.pow(x, d.double(j));
    const { alpha, norm2 } = coefs.coefs;
    return `(${polyRecurrenceSql(d, x, alpha, norm2, j)} / ${d.double(Math.sqrt(norm2[j + 1]))})`;
  }
  const pieces = splinePieces(coefs.coefs);
  const value = (k: number) => horner(d, pieces[k].coefs[index], `(${x} - ${d.double(pieces[k].centre)})`);
  // from the top: above the upper boundary knot, then the inner pieces down (the last holds at its upper end), then below
  const last = pieces.length - 1;
  let e = value(0);
  for (let k = 1; k < last; k++) {
    const hi = pieces[k].hi!;
    e = d.ifThen(`${x} < ${d.double(pieces[k].lo!)}`, e, value(k));
    if (k === last - 1) e = d.ifThen(`${x} <= ${d.double(hi)}`, e, value(last));
  }
  return d.ifThen(missing(d, x), d.double(NaN), e);
}

