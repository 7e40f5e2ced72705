/**
 * The two distribution functions the app's diagnostics and model comparison need:
 * the standard normal quantile (QQ plots) and the upper tail of the χ² distribution (the
 * likelihood-ratio test). lgamma and pnormBoth are the library's (src/glmm/rmath.ts).
 */
import { lgamma, pnormBoth } from '../../src/glmm/rmath.js';

/**
 * Φ⁻¹(p): Acklam's rational approximation (relative error < 1.2e-9), then one Halley step on
 * Φ(x) − p = 0 (with pnorm to full double precision), which brings it to ~1e-15.
 */
export function qnorm(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const plow = 0.02425;
  let x: number;
  if (p < plow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - plow) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  // Halley: e = Φ(x) − p, u = e·√(2π)·exp(x²/2), x ← x − u / (1 + x·u/2); above the median
  // e = (1 − p) − (1 − Φ(x)), from the upper tail, which keeps its digits there
  const tails = pnormBoth(x);
  const e = p > 0.5 ? (1 - p) - tails.upper : tails.lower - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/**
 * P(χ²_df > x) = Q(df/2, x/2), the regularized upper incomplete gamma function: the series for
 * P(a, x) when x < a + 1, else the continued fraction for Q(a, x) (modified Lentz).
 */
export function pchisqUpper(x: number, df: number): number {
  if (!(df > 0) || Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  if (!Number.isFinite(x)) return 0;
  const a = df / 2;
  const z = x / 2;
  const lead = a * Math.log(z) - z - lgamma(a);
  if (z < a + 1) {
    // P(a, z) = e^{−z} z^a / Γ(a) · Σ z^n / (a (a+1) … (a+n))
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 10_000; n++) {
      term *= z / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-17) break;
    }
    return Math.max(0, 1 - Math.exp(lead) * sum);
  }
  // Q(a, z) = e^{−z} z^a / Γ(a) · 1 / (z + 1 − a − 1·(1 − a) / (z + 3 − a − …))
  const tiny = 1e-300;
  let bb = z + 1 - a;
  let cc = 1 / tiny;
  let dd = 1 / bb;
  let h = dd;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    bb += 2;
    dd = an * dd + bb;
    if (Math.abs(dd) < tiny) dd = tiny;
    cc = bb + an / cc;
    if (Math.abs(cc) < tiny) cc = tiny;
    dd = 1 / dd;
    const del = dd * cc;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.exp(lead) * h;
}
