/**
 * Distribution functions for tests and intervals (R's pnorm/qnorm/pt/qt/pchisq/pf), written from the
 * published algorithms:
 *   - qnorm: Wichura's AS 241 (PPND16), relative accuracy about 1e-16, as R's qnorm;
 *   - the regularized incomplete gamma function P(a, x), Q(a, x): its series for x < a + 1, else
 *     Legendre's continued fraction evaluated by the modified Lentz method (Numerical Recipes §6.2);
 *   - the regularized incomplete beta function I_x(a, b): its continued fraction by modified Lentz,
 *     on the side x < (a + 1)/(a + b + 2) where it converges fast (Numerical Recipes §6.4);
 *   - pt, pf, pchisq from those: t² with ν df is F(1, ν); χ²_ν is Gamma(ν/2, 2);
 *   - log B(a, b) as R's lbeta: Stirling's series for the large arguments, so that the incomplete
 *     beta keeps its relative accuracy when one degree of freedom is large (F(5, 99995));
 *   - qt by Newton's method on the log of the tail probability from the normal quantile
 *     (Cornish–Fisher start), bracketed.
 * Upper tails are computed directly (never as 1 − lower), so small p-values keep their digits.
 */
import { lgamma, pnormBoth, pvalueNormal, stirlerr } from '../glmm/rmath.js';

export { pnormBoth, pvalueNormal };

const EPS = 1e-16;
const TINY = 1e-300;

/** Φ⁻¹(p) (AS 241). */
export function qnorm(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r
      + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r + 133.14166789178437745) * r
      + 3.387132872796366608))
      / (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r
        + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r + 42.313330701600911252) * r + 1);
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let val: number;
  if (r <= 5) {
    r -= 1.6;
    val = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r + 0.24178072517745061177) * r
      + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r + 4.6303378461565452959) * r
      + 1.42343711074968357734)
      / (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r
        + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r + 2.05319162663775882187) * r + 1);
  } else {
    r -= 5;
    val = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r
      + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r + 5.4637849111641143699) * r
      + 6.6579046435011037772)
      / (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r
        + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r + 0.59983220655588793769) * r + 1);
  }
  return q < 0 ? -val : val;
}

/** Regularized incomplete gamma: { lower: P(a, x), upper: Q(a, x) }. */
export function incompleteGamma(a: number, x: number): { lower: number; upper: number } {
  if (!(a > 0) || Number.isNaN(x)) return { lower: NaN, upper: NaN };
  if (x <= 0) return { lower: 0, upper: 1 };
  if (x === Infinity) return { lower: 1, upper: 0 };
  const logPrefix = a * Math.log(x) - x - lgamma(a);
  if (x < a + 1) {
    // P(a, x) = e^{−x} x^a / Γ(a) Σ_n x^n / (a (a+1) … (a+n))
    let ap = a, del = 1 / a, sum = del;
    for (let n = 0; n < 10000; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * EPS) break;
    }
    const lower = Math.exp(logPrefix) * sum;
    return { lower, upper: 1 - lower };
  }
  // Q(a, x) = e^{−x} x^a / Γ(a) · 1/(x+1−a− 1·(1−a)/(x+3−a− 2·(2−a)/(x+5−a− …)))
  let b = x + 1 - a, c = 1 / TINY, d = 1 / b, h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  const upper = Math.exp(logPrefix) * h;
  return { lower: 1 - upper, upper };
}

const LN_SQRT_2PI = 0.918938533204672741780329736406;

/**
 * log B(a, b) = log Γ(a) + log Γ(b) − log Γ(a + b) without the cancellation of large lgammas (R's
 * lbeta): with lgammacor(x) = log Γ(x) − ((x − ½) log x − x + ½ log 2π) (= stirlerr(x)).
 */
export function lbeta(a: number, b: number): number {
  const p = Math.min(a, b), q = Math.max(a, b);
  if (p >= 10) {
    const corr = stirlerr(p) + stirlerr(q) - stirlerr(p + q);
    return -0.5 * Math.log(q) + LN_SQRT_2PI + corr + (p - 0.5) * Math.log(p / (p + q)) + q * Math.log1p(-p / (p + q));
  }
  if (q >= 10) {
    const corr = stirlerr(q) - stirlerr(p + q);
    return lgamma(p) + corr + p - p * Math.log(p + q) + (q - 0.5) * Math.log1p(-p / (p + q));
  }
  return lgamma(p) + lgamma(q) - lgamma(p + q);
}

/** Continued fraction of I_x(a, b) (without its prefactor), modified Lentz. */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const qab = a + b, qap = a + 1, qam = a - 1;
  let c = 1, d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < 10000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

/** Regularized incomplete beta: { lower: I_x(a, b), upper: 1 − I_x(a, b) }, each computed directly. */
export function incompleteBeta(x: number, a: number, b: number): { lower: number; upper: number } {
  if (Number.isNaN(x) || !(a > 0) || !(b > 0)) return { lower: NaN, upper: NaN };
  if (x <= 0) return { lower: 0, upper: 1 };
  if (x >= 1) return { lower: 1, upper: 0 };
  const logPrefix = a * Math.log(x) + b * Math.log1p(-x) - lbeta(a, b);
  if (x < (a + 1) / (a + b + 2)) {
    const lower = (Math.exp(logPrefix) * betaContinuedFraction(a, b, x)) / a;
    return { lower, upper: 1 - lower };
  }
  const upper = (Math.exp(logPrefix) * betaContinuedFraction(b, a, 1 - x)) / b;
  return { lower: 1 - upper, upper };
}

/** Upper tail of χ²_df at q: pchisq(q, df, lower.tail = FALSE). */
export function pchisqUpper(q: number, df: number): number {
  return incompleteGamma(df / 2, q / 2).upper;
}

/** Upper tail of F(df1, df2) at f: pf(f, df1, df2, lower.tail = FALSE). */
export function pfUpper(f: number, df1: number, df2: number): number {
  if (!(f > 0)) return f === 0 ? 1 : NaN;
  if (f === Infinity) return 0;
  // df2 = ∞: df1 F is χ²_df1 (R's pf)
  if (df2 === Infinity) return pchisqUpper(df1 * f, df1);
  // P(F > f) = I_{df2/(df2 + df1 f)}(df2/2, df1/2)
  return incompleteBeta(df2 / (df2 + df1 * f), df2 / 2, df1 / 2).lower;
}

/** Two-sided t p-value 2 P(T_df > |t|). */
export function pvalueT(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (df === Infinity) return 2 * pnormBoth(-Math.abs(t)).lower;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5).lower;
}

/** P(T_df ≤ t). */
export function pt(t: number, df: number): number {
  const tail = pvalueT(t, df) / 2;
  return t < 0 ? tail : 1 - tail;
}

/** The t density. */
export function dt(t: number, df: number): number {
  return Math.exp(-lbeta(0.5, df / 2) - 0.5 * Math.log(df) - ((df + 1) / 2) * Math.log1p((t * t) / df));
}

/** The t quantile qt(p, df). */
export function qt(p: number, df: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1 || !(df > 0)) return NaN;
  if (df === Infinity) return qnorm(p);
  if (p === 0.5) return 0;
  return p < 0.5 ? -qtUpper(p, df) : qtUpper(1 - p, df);
}

/**
 * The t with P(T > t) = u for 0 < u < ½: Newton's method on g(t) = log P(T > t) − log u
 * (g′ = −f(t)/P(T > t)), nearly linear in the tails, kept inside a shrinking bracket.
 */
function qtUpper(u: number, df: number): number {
  if (u === 0) return Infinity;
  const z = -qnorm(u);
  // Cornish–Fisher start (Abramowitz & Stegun 26.7.5)
  const g1 = (z ** 3 + z) / 4;
  const g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96;
  let t = Math.max(z + g1 / df + g2 / (df * df), 1e-8);
  const logU = Math.log(u);
  let lo = 0, hi = Infinity;
  for (let it = 0; it < 500; it++) {
    const tail = pvalueT(t, df) / 2;
    const g = Math.log(tail) - logU; // decreasing in t
    if (g > 0) lo = t; else hi = t;
    if (g === 0) break;
    let next = t + (g * tail) / dt(t, df);
    if (!(next > lo && next < hi)) next = hi === Infinity ? 2 * t + 1 : (lo + hi) / 2;
    if (Math.abs(next - t) <= 4e-16 * Math.abs(t)) { t = next; break; }
    t = next;
  }
  return t;
}
