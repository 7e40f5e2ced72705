/**
 * R's row-wise functions of numbers, as R 4.2's C code computes them (the same doubles): round's
 * half-to-even rounding at a decimal (nmath/fround.c), sign, trunc, pmin/pmax's missing values,
 * ifelse's test, log's base (arithmetic.c logbase). src/frame/columns.ts applies them per row; the
 * stream engine evaluates through it, the SQL engines write the same steps (src/gram/sql/rowSql.ts).
 */

/** R's R_pow_di(x, n): x^n by repeated squaring (n < 0: of 1/x), the doubles fround's 10^digits is. */
export function powDi(x: number, n: number): number {
  let pow = 1;
  if (n === 0) return 1;
  if (n < 0) { n = -n; x = 1 / x; }
  for (;;) {
    if (n & 1) pow *= x;
    n >>= 1;
    if (n === 0) break;
    x *= x;
  }
  return pow;
}

/** C's nearbyint in the default rounding mode: to the nearest integer, a tie to the even one. */
export function rint(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  // x − ⌊x⌋ is exact for a double (|x| ≥ 2⁵² is already an integer: 0)
  const r = x - f;
  const out = r > 0.5 ? f + 1 : r < 0.5 ? f : f % 2 === 0 ? f : f + 1;
  // C keeps the sign of a zero result (nearbyint(−0.4) = −0)
  return out === 0 && (x < 0 || Object.is(x, -0)) ? -0 : out;
}

/** log10(2), C's M_LOG10_2 */
const LOG10_2 = 0.301029995663981195213738894724;
/** C's DBL_DIG */
const DBL_DIG = 15;

/**
 * The smallest binary exponent e at which fround leaves x as it is for `dig` digits:
 * dig + (logb(x) + 0.5) log10(2) > DBL_DIG holds exactly when logb(x) ≥ e, i.e. |x| ≥ 2^e.
 */
export function froundKeepExponent(dig: number): number {
  let e = Math.ceil((DBL_DIG - dig) / LOG10_2 - 0.5) - 2;
  while (!(dig + (e + 0.5) * LOG10_2 > DBL_DIG)) e++;
  return e;
}

/**
 * R 4's round(x, digits) (nmath/fround.c), for x finite and not 0, dig = ⌊digits + ½⌋ ≠ 0:
 *   |x| ≥ 2^e (15 significant digits already): x;
 *   else x10 = 10^dig |x|, i10 = ⌊x10⌋, x_d = i10 / 10^dig, x_u = ⌈x10⌉ / 10^dig (dig < 0: x10 = |x| / 10^−dig,
 *   x_d = i10 · 10^−dig, x_u = ⌈x10⌉ · 10^−dig),
 *   the nearer of x_d, x_u to |x| (differences in doubles), a tie to even i10; the sign of x.
 * digits = 0: rint (half to even).
 */
export function fround(x: number, digits: number): number {
  if (Number.isNaN(x) || Number.isNaN(digits)) return x + digits;
  if (!Number.isFinite(x) || digits > 308 + 15 || x === 0) return x;
  if (digits < -308) return 0;
  if (digits === 0) return rint(x);
  const dig = Math.floor(digits + 0.5);
  const sgn = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  if (ax >= Math.pow(2, froundKeepExponent(dig))) return sgn * ax;
  let x10: number, i10: number, xd: number, xu: number;
  if (dig > 0) {
    const pow10 = powDi(10, dig);
    x10 = pow10 * ax; i10 = Math.floor(x10);
    xd = i10 / pow10; xu = Math.ceil(x10) / pow10;
  } else {
    // dig < 0: divide by 10^−dig (an exact integer power), not multiply by its inexact inverse
    const pow10 = powDi(10, -dig);
    x10 = ax / pow10; i10 = Math.floor(x10);
    xd = i10 * pow10; xu = Math.ceil(x10) * pow10;
  }
  const du = xu - ax;
  const dd = ax - xd;
  return sgn * (du < dd || (du === dd && i10 % 2 === 1) ? xu : xd);
}

/** R's sign(x): −1, 0, 1 (NA stays NA). */
export function rSign(x: number): number {
  return Number.isNaN(x) ? NaN : x > 0 ? 1 : x < 0 ? -1 : 0;
}

/** R's trunc(x): toward zero. */
export const rTrunc = Math.trunc;

/** R's pmin/pmax of one row's values (na.rm = FALSE): NA if any is missing, else the least/greatest. */
export function pminmax(fn: 'pmin' | 'pmax', values: number[]): number {
  let out = values[0];
  for (const v of values) {
    if (Number.isNaN(v)) return NaN;
    if (fn === 'pmin' ? v < out : v > out) out = v;
  }
  return out;
}

/** R's ifelse(test, yes, no) in one row: NA where the test is, yes where it is TRUE (a number not 0), else no. */
export function ifelse(test: number, yes: number, no: number): number {
  return Number.isNaN(test) ? NaN : test !== 0 ? yes : no;
}

/** R's log(x, base) (arithmetic.c logbase): log10, log2 for bases 10 and 2, else log(x) / log(base). */
export function logBase(x: number, base: number): number {
  if (base === 10) return Math.log10(x);
  if (base === 2) return Math.log2(x);
  return Math.log(x) / Math.log(base);
}
