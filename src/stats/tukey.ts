/**
 * The studentized range distribution (R's ptukey and qtukey), written from the algorithm of
 * Copenhaver & Holland (1988), "Multiple comparisons of simple effects in the two-way analysis of
 * variance with fixed effects", J. Statist. Comput. Simul. 30, 1–15, with R's constants, so that
 * Tukey's p-values and critical values are R's.
 *
 * With k means (cc) and ν df, Q = W / S where W is the range of k standard normals and
 * νS² ~ χ²_ν:
 *   P(W < w) = k ∫ φ(x) [Φ(x) − Φ(x − w)]^(k−1) dx   (Hartley's form, `rangeProbability`),
 *   P(Q < q) = ∫₀^∞ P(W < q s) f_S(s) ds,
 * the first by 12-point Gauss–Legendre quadrature on two or three intervals of (w/2, 8) plus the
 * term (2Φ(w/2) − 1)^k, the second by 16-point Gauss–Legendre quadrature on intervals of u = s²
 * (of length 1, ½, ¼ or ⅛ as ν grows) until an interval adds less than 1e-14; above 25,000 df
 * (and for ν = ∞, the asymptotic df of a GLMM) P(W < q).
 * qtukey is R's secant iteration from Odeh & Evans's (AS 70) start, stopped when two iterates differ
 * by less than 1e-4 — the same iterates, so the same quantile.
 */
import { lgamma, pnorm } from '../glmm/rmath.js';

// Gauss–Legendre nodes and weights on [−1, 1], the positive half
const X12 = [0.98156063424671925069, 0.90411725637047485668, 0.7699026741943046870, 0.5873179542866174473, 0.3678314989981801938, 0.1252334085114689155];
const A12 = [0.04717533638651182719, 0.10693932599531843096, 0.1600783285433462263, 0.2031674267230659217, 0.2334925365383548088, 0.2491470458134027850];
const X16 = [0.98940093499164993260, 0.94457502307323257608, 0.86563120238783174388, 0.75540440835500303390, 0.61787624440264374845, 0.45801677765722738634, 0.28160355077925891323, 0.09501250983763744019];
const A16 = [0.02715245941175409485, 0.06225352393864789286, 0.09515851168249278481, 0.12462897125553387205, 0.14959598881657673208, 0.16915651939500253819, 0.18260341504492358887, 0.18945061045506849629];
const INV_SQRT_2PI = 0.398942280401432677939946059934;

/** Neumaier's compensated summation. */
class CompensatedSum {
  private s = 0;
  private c = 0;
  add(x: number): void {
    const t = this.s + x;
    this.c += Math.abs(this.s) >= Math.abs(x) ? this.s - t + x : x - t + this.s;
    this.s = t;
  }
  get value(): number { return this.s + this.c; }
}

/** P(W < w) for the range W of cc standard normals, raised to the power rr (rr ranges). */
export function rangeProbability(w: number, rr: number, cc: number): number {
  const half = w * 0.5;
  // beyond w = 16 the probability is 1 to 14 digits
  if (half >= 8) return 1;
  // (2Φ(w/2) − 1)^cc, zero below 2e-22
  let pr = 2 * pnorm(half) - 1;
  pr = pr >= Math.exp(-50 / cc) ? Math.pow(pr, cc) : 0;
  // ∫_{w/2}^{8} cc φ(x) [Φ(x) − Φ(x − w)]^(cc−1) dx · 2, on 2 (w > 3) or 3 intervals
  const intervals = w > 3 ? 2 : 3;
  const step = (8 - half) / intervals;
  const cc1 = cc - 1;
  // R accumulates the interval ends and the sums in long double: here exact ends and Neumaier's
  // compensated sums
  const total = new CompensatedSum();
  for (let k = 0; k < intervals; k++) {
    const lower = half + k * step, upper = half + (k + 1) * step;
    const mid = 0.5 * (upper + lower), rad = 0.5 * (upper - lower);
    const sum = new CompensatedSum();
    for (let jj = 0; jj < 12; jj++) {
      // R's order: the negative nodes from the outside in, then the positive from the inside out
      const j = jj < 6 ? jj : 11 - jj;
      const x = mid + rad * (jj < 6 ? -X12[j] : X12[j]);
      const x2 = x * x;
      // exp(−x²/2) below 9e-14 adds nothing (and R stops the interval there)
      if (x2 > 60) break;
      const diff = pnorm(x) - pnorm(x - w);
      if (diff >= Math.exp(-30 / cc1)) sum.add(A12[j] * Math.exp(-0.5 * x2) * Math.pow(diff, cc1));
    }
    total.add(sum.value * (2 * rad * cc * INV_SQRT_2PI));
  }
  pr += total.value;
  if (pr <= Math.exp(-30 / rr)) return 0;
  pr = Math.pow(pr, rr);
  return pr >= 1 ? 1 : pr;
}

/** P(Q ≤ q) for the studentized range of nmeans means with df degrees of freedom (R's ptukey). */
export function ptukey(q: number, nmeans: number, df: number, lowerTail = true, nranges = 1): number {
  if (Number.isNaN(q) || Number.isNaN(nmeans) || Number.isNaN(df)) return NaN;
  const tail = (p: number) => (lowerTail ? p : 0.5 - p + 0.5);
  if (q <= 0) return tail(0);
  if (df < 2 || nranges < 1 || nmeans < 2) return NaN;
  if (!Number.isFinite(q)) return tail(1);
  if (df > 25000) return tail(rangeProbability(q, nranges, nmeans));
  // the density of u = s²·… : log of its leading constant, and the interval length by df
  const f2 = df * 0.5;
  let f2lf = f2 * Math.log(df) - df * Math.LN2 - lgamma(f2);
  const f21 = f2 - 1;
  const ff4 = df * 0.25;
  const ulen = df <= 100 ? 1 : df <= 800 ? 0.5 : df <= 5000 ? 0.25 : 0.125;
  f2lf += Math.log(ulen);
  let ans = 0, otsum = 0;
  for (let i = 1; i <= 50; i++) {
    otsum = 0;
    const twa1 = (2 * i - 1) * ulen;
    for (let jj = 0; jj < 16; jj++) {
      const j = jj < 8 ? jj : jj - 8;
      const u = jj < 8 ? twa1 - X16[j] * ulen : twa1 + X16[j] * ulen;
      const t1 = f2lf + f21 * Math.log(u) - u * ff4;
      // exp(t1) below 9e-14 adds nothing
      if (t1 >= -30) otsum += rangeProbability(q * Math.sqrt(u * 0.5), nranges, nmeans) * A16[j] * Math.exp(t1);
    }
    // at least 1/ulen intervals, then stop once one adds less than 1e-14
    if (i * ulen >= 1 && otsum <= 1e-14) break;
    ans += otsum;
  }
  return tail(Math.min(ans, 1));
}

/** Odeh & Evans's (AS 70) approximate quantile, the secant iteration's start (R's qinv). */
function startQuantile(p: number, c: number, v: number): number {
  const ps = 0.5 - 0.5 * p;
  const yi = Math.sqrt(Math.log(1 / (ps * ps)));
  let t = yi + ((((yi * -0.453642210148e-4 + -0.204231210125) * yi + -0.342242088547) * yi + -1) * yi + 0.322232421088)
    / ((((yi * 0.38560700634e-2 + 0.10353775285) * yi + 0.531103462366) * yi + 0.588581570495) * yi + 0.099348462606);
  if (v < 120) t += (t * t * t + t) / v / 4;
  let q = 0.8832 - 0.2368 * t;
  if (v < 120) q += -1.214 / v + (1.208 * t) / v;
  return t * (q * Math.log(c - 1) + 1.4142);
}

/** The q with P(Q ≤ q) = p (R's qtukey, lower tail). */
export function qtukey(p: number, nmeans: number, df: number, nranges = 1): number {
  if (Number.isNaN(p) || Number.isNaN(nmeans) || Number.isNaN(df)) return NaN;
  if (df < 2 || nranges < 1 || nmeans < 2 || p < 0 || p > 1) return NaN;
  if (p === 0) return 0;
  if (p === 1) return Infinity;
  let x0 = startQuantile(p, nmeans, df);
  let v0 = ptukey(x0, nmeans, df, true, nranges) - p;
  let x1 = v0 > 0 ? Math.max(0, x0 - 1) : x0 + 1;
  let v1 = ptukey(x1, nmeans, df, true, nranges) - p;
  let ans = 0;
  for (let iter = 1; iter < 50; iter++) {
    // the secant step
    ans = x1 - (v1 * (x1 - x0)) / (v1 - v0);
    v0 = v1;
    x0 = x1;
    if (ans < 0) ans = 0;
    v1 = ptukey(ans, nmeans, df, true, nranges) - p;
    x1 = ans;
    if (Math.abs(x1 - x0) < 1e-4) return ans;
  }
  return ans;
}
