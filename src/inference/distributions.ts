/**
 * The reference distributions of the tests and intervals, as R's pt, pf, pchisq, qnorm and qchisq,
 * from the regularized incomplete beta and gamma functions of the stdlib library (ports of Boost's
 * implementations, accurate far into the tails): upper tails are computed directly, never as
 * 1 − lower, so a p-value of 1e-30 keeps its digits.
 */
import betainc from '@stdlib/math-base-special-betainc';
import gammainc from '@stdlib/math-base-special-gammainc';
import gammaincinv from '@stdlib/math-base-special-gammaincinv';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';

/** P(|T| > |t|) for Student's t with `df` degrees of freedom (R: 2 * pt(abs(t), df, lower = FALSE)). */
export function ptTwoSided(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (!Number.isFinite(t)) return 0;
  if (df === Infinity) return 2 * normalUpper(Math.abs(t));
  // P(|T| > t) = I_{df/(df+t²)}(df/2, 1/2)
  return betainc(df / (df + t * t), df / 2, 0.5, true, false);
}

/** P(F > f) for F(df1, df2) (R: pf(f, df1, df2, lower.tail = FALSE)). */
export function pfUpper(f: number, df1: number, df2: number): number {
  if (Number.isNaN(f) || !(df1 > 0) || !(df2 > 0)) return NaN;
  if (f <= 0) return 1;
  if (!Number.isFinite(f)) return 0;
  if (df2 === Infinity) return pchisqUpper(f * df1, df1);
  // P(F > f) = I_{df2/(df2+df1 f)}(df2/2, df1/2)
  return betainc(df2 / (df2 + df1 * f), df2 / 2, df1 / 2, true, false);
}

/** P(X > x) for χ²(df) (R: pchisq(x, df, lower.tail = FALSE)). */
export function pchisqUpper(x: number, df: number): number {
  if (Number.isNaN(x) || !(df > 0)) return NaN;
  if (x <= 0) return 1;
  if (!Number.isFinite(x)) return 0;
  return gammainc(x / 2, df / 2, true, true);
}

/** The p quantile of χ²(df) (R: qchisq(p, df)). */
export function qchisq(p: number, df: number): number {
  return 2 * gammaincinv(p, df / 2);
}

/** The p quantile of the standard normal (R: qnorm(p)). */
export function qnorm(p: number): number {
  return normalQuantile(p, 0, 1);
}

/** P(Z > z) for the standard normal: Q(1/2, z²/2) / 2 for z ≥ 0. */
function normalUpper(z: number): number {
  const half = gammainc((z * z) / 2, 0.5, true, true) / 2;
  return z >= 0 ? half : 1 - half;
}
