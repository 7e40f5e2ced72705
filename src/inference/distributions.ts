/**
 * The χ² quantile of lme4's profile cutoff (R's qchisq(p, df)): the root of P(df/2, x/2) = p, with
 * P the regularized incomplete gamma function of src/stats/distributions.ts (which has the other
 * distribution functions of the tests and intervals). Newton's method from the Wilson–Hilferty
 * approximation x₀ = df (1 − 2/(9 df) + z √(2/(9 df)))³, kept inside a bracket that each step
 * narrows (a bisection where Newton would leave it); the χ² density is
 *   f(x) = exp((df/2 − 1) log(x/2) − x/2 − log Γ(df/2)) / 2.
 */
import { lgamma } from '../glmm/rmath.js';
import { incompleteBeta, incompleteGamma, lbeta, qnorm } from '../stats/distributions.js';

export function qchisq(p: number, df: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1 || !(df > 0)) return NaN;
  if (p === 0) return 0;
  if (p === 1) return Infinity;
  const a = df / 2;
  const z = qnorm(p);
  const c = 2 / (9 * df);
  let x = df * Math.max(1 - c + z * Math.sqrt(c), 0.01) ** 3;
  let lo = 0, hi = Infinity;
  for (let it = 0; it < 200; it++) {
    const { lower, upper } = incompleteGamma(a, x / 2);
    // the smaller tail keeps its digits
    const g = p < 0.5 ? lower - p : (1 - p) - upper;
    if (g > 0) hi = x; else lo = x;
    const dens = Math.exp((a - 1) * Math.log(x / 2) - x / 2 - lgamma(a)) / 2;
    let next = x - g / dens;
    if (!(next > lo && next < hi) || !Number.isFinite(next)) next = hi === Infinity ? 2 * x : (lo + hi) / 2;
    if (Math.abs(next - x) <= 1e-15 * x) return next;
    x = next;
  }
  return x;
}

/**
 * The F quantile qf(p, d1, d2) (d2 = ∞: qchisq(p, d1)/d1): from the Beta quantile, F = (d2/d1) x/(1 − x)
 * with x ~ Beta(d1/2, d2/2), x the root of I_x(d1/2, d2/2) = p by Newton's method on the regularized
 * incomplete beta function inside a bracket that each step narrows (a bisection where Newton would
 * leave it); the Beta density is x^(a−1) (1 − x)^(b−1) / B(a, b).
 */
export function qf(p: number, d1: number, d2: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1 || !(d1 > 0) || !(d2 > 0)) return NaN;
  if (d2 === Infinity) return qchisq(p, d1) / d1;
  if (p === 0) return 0;
  if (p === 1) return Infinity;
  const a = d1 / 2, b = d2 / 2;
  const lb = lbeta(a, b);
  let lo = 0, hi = 1;
  let x = 0.5;
  for (let it = 0; it < 300; it++) {
    const { lower, upper } = incompleteBeta(x, a, b);
    const g = p < 0.5 ? lower - p : (1 - p) - upper;
    if (g > 0) hi = x; else lo = x;
    const dens = Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - lb);
    let next = x - g / dens;
    if (!(next > lo && next < hi) || !Number.isFinite(next)) next = (lo + hi) / 2;
    if (Math.abs(next - x) <= 1e-15 * x) { x = next; break; }
    x = next;
  }
  return (d2 / d1) * (x / (1 - x));
}
