/**
 * The distribution of a weighted sum of chi-squares, as mgcv's psum.chisq computes it (mgcv 1.8-41):
 *
 *   Q = Σ_j λ_j X_j + σ X_0,   X_j ~ χ²_{n_j}(δ_j),  X_0 ~ N(0, 1),
 *
 * by Davies' algorithm (Davies 1973, "Numerical inversion of a characteristic function", Biometrika
 * 60, 415–417; Davies 1980, "The distribution of a linear combination of χ² random variables",
 * Applied Statistics 29, 323–333, algorithm AS 155): Gil-Pelaez's inversion
 *
 *   P(Q < c) = ½ − (1/π) ∫₀^∞ Im[φ(u) e^{−iuc}] / u du,
 *   φ(u) = Π_j (1 − 2iuλ_j)^{−n_j/2} exp(iuλ_jδ_j / (1 − 2iuλ_j)) · exp(−σ²u²/2),
 *
 * evaluated by the trapezoidal rule at u = (k + ½)Δ, k = 0…K, with the truncation point and step Δ
 * chosen from Davies' bounds on the truncation and discretization errors, and, where it helps, a
 * convergence factor exp(−τ²u²/2) (an added normal term whose effect is removed by an auxiliary
 * integration). The result is exact to `acc` (mgcv's default 2e-5), so a reimplementation agrees
 * with mgcv to rounding only when it takes the same steps: this one does, step for step.
 *
 * psum.chisq's fallbacks: Davies' fault 2 (round-off could matter) keeps its value; any other fault
 * uses Liu, Tang & Zhang's (2009) four-moment approximation `liu2` (central terms only), and NaN with
 * non-central ones.
 */
import { DataError } from '../errors/errors.js';
import { incompleteGamma } from './distributions.js';
import { dpoisLog } from '../glmm/rmath.js';

/** log(1 + x) − x, accurate for small x (its Taylor series −x²/2 + x³/3 − …). */
export function log1pmx(x: number): number {
  if (Math.abs(x) > 1e-2) return Math.log1p(x) - x;
  // Σ_{k≥2} (−1)^{k+1} x^k / k
  let term = x, sum = 0;
  for (let k = 2; k < 40; k++) {
    term *= -x;
    const s = sum + term / k;
    if (s === sum) break;
    sum = s;
  }
  return sum;
}

/** The weighted sum's parameters, with Davies' ordering th of |λ| decreasing. */
interface Mixture {
  lb: number[];
  nc: number[];
  n: number[];
  r: number;
  th: number[];
}

/**
 * Davies' bound on P(Q > c) (u > 0) or P(Q < c) (u < 0), exp(−u c + log E e^{uQ}) at the saddle
 * parameter u; returns the bound and c = d log E e^{uQ} / du (the cut-off it applies to).
 */
function errorBound(u: number, sigsq: number, m: Mixture): { bound: number; cx: number } {
  let cx = u * sigsq;
  let sum = u * cx;
  const u2 = 2 * u;
  for (let j = m.r - 1; j >= 0; j--) {
    const nj = m.n[j], lj = m.lb[j], ncj = m.nc[j];
    const x = u2 * lj, y = 1 - x;
    cx += (lj * (ncj / y + nj)) / y;
    const xy = x / y;
    sum += ncj * xy * xy + nj * (x * xy + log1pmx(-x));
  }
  return { bound: Math.exp(-0.5 * sum), cx };
}

/**
 * A cut-off c with P(Q > c) < acc (up.u > 0) or P(Q < c) < acc (up.u < 0), by doubling then bisecting
 * the saddle parameter; up.u is updated to the parameter found.
 */
function cutoff(acc: number, up: { u: number }, mean: number, lmin: number, lmax: number, sigsq: number, m: Mixture): number {
  let u2 = up.u, u1 = 0, c1 = mean, c2: number;
  const rb = u2 > 0 ? 2 * lmax : 2 * lmin;
  for (;;) {
    const e = errorBound(u2 / (1 + u2 * rb), sigsq, m);
    c2 = e.cx;
    if (e.bound <= acc) break;
    u1 = u2; c1 = c2; u2 *= 2;
  }
  while (!((c1 - mean) / (c2 - mean) >= 0.9)) {
    const u = (u1 + u2) / 2;
    const e = errorBound(u / (1 + u * rb), sigsq, m);
    if (e.bound > acc) { u1 = u; c1 = e.cx; } else { u2 = u; c2 = e.cx; }
  }
  up.u = u2;
  return c2;
}

/** Davies' bound on the integration error from truncating the integral at u (with convergence factor τ²). */
function truncationError(u: number, tausq: number, sigsq: number, m: Mixture): number {
  let sum1 = 0, prod2 = 0, prod3 = 0, s = 0;
  const sum2 = (sigsq + tausq) * u * u;
  let prod1 = 2 * sum2;
  const u2 = 2 * u;
  for (let j = 0; j < m.r; j++) {
    const nj = m.n[j];
    let x = u2 * m.lb[j];
    x *= x;
    sum1 += (m.nc[j] * x) / (1 + x);
    if (x > 1) {
      prod2 += nj * Math.log(x);
      prod3 += nj * Math.log1p(x);
      s += nj;
    } else prod1 += nj * Math.log1p(x);
  }
  sum1 *= 0.5;
  prod2 += prod1;
  prod3 += prod1;
  const x = Math.exp(-sum1 - 0.25 * prod2) / Math.PI;
  const y = Math.exp(-sum1 - 0.25 * prod3) / Math.PI;
  let err1 = s === 0 ? 1 : (2 * x) / s;
  const err2 = prod3 > 1 ? 2.5 * y : 1;
  if (err2 < err1) err1 = err2;
  const half = 0.5 * sum2;
  const err3 = half <= y ? 1 : y / half;
  return err1 < err3 ? err1 : err3;
}

/** A truncation point u with truncationError(u) ≤ acc and truncationError(u / 1.2) > acc, from the start ut. */
function truncationPoint(ut: number, acc: number, sigsq: number, m: Mixture): number {
  let u = ut / 4;
  if (truncationError(u, 0, sigsq, m) > acc) {
    while (truncationError(ut, 0, sigsq, m) > acc) ut *= 4;
  } else {
    ut = u;
    u /= 4;
    while (truncationError(u, 0, sigsq, m) <= acc) { ut = u; u /= 4; }
  }
  for (const a of [2, 1.4, 1.2, 1.1]) {
    u = ut / a;
    if (truncationError(u, 0, sigsq, m) <= acc) ut = u;
  }
  return ut;
}

/**
 * The trapezoidal sum of the inversion integrand, nterm + 1 terms at step interv: adds to intl the
 * terms (Δ/π) sin(½ θ(u)) ρ(u) / u, θ the argument of φ(u)e^{−iuc} doubled, ρ its modulus, and to ersm
 * the bound on their round-off. With main false the integrand is multiplied by 1 − exp(−τ²u²/2)
 * (the auxiliary integration that removes a convergence factor).
 */
function integrate(nterm: number, interv: number, tausq: number, main: boolean, c: number, sigsq: number, m: Mixture, acc: { intl: number; ersm: number }): void {
  const inpi = interv / Math.PI;
  for (let k = nterm; k >= 0; k--) {
    const u = (k + 0.5) * interv;
    let sum1 = -2 * u * c;
    let sum2 = Math.abs(sum1);
    let sum3 = -0.5 * sigsq * u * u;
    for (let j = m.r - 1; j >= 0; j--) {
      const nj = m.n[j];
      const x = 2 * m.lb[j] * u;
      let y = x * x;
      sum3 -= 0.25 * nj * Math.log1p(y);
      y = (m.nc[j] * x) / (1 + y);
      const z = nj * Math.atan(x) + y;
      sum1 += z;
      sum2 += Math.abs(z);
      sum3 -= 0.5 * x * y;
    }
    let x = (inpi * Math.exp(sum3)) / u;
    if (!main) x *= 1 - Math.exp(-0.5 * tausq * u * u);
    acc.intl += Math.sin(0.5 * sum1) * x;
    acc.ersm += 0.5 * sum2 * x;
  }
}

/**
 * The coefficient of τ² in the error of the convergence factor exp(−τ²u²/2) when P(Q < x) is
 * evaluated; fail when it is too large to use.
 */
function convergenceCoefficient(x: number, ln28: number, m: Mixture): { value: number; fail: boolean } {
  let axl = Math.abs(x);
  const sxl = x < 0 ? -1 : 1;
  let sum1 = 0;
  for (let j = m.r - 1; j >= 0; j--) {
    const t = m.th[j];
    if (m.lb[t] * sxl > 0) {
      const lj = Math.abs(m.lb[t]);
      const axl1 = axl - lj * (m.n[t] + m.nc[t]);
      const axl2 = lj / ln28;
      if (axl1 > axl2) axl = axl1;
      else {
        if (axl > axl2) axl = axl2;
        sum1 = (axl - axl1) / lj;
        for (let k = j - 1; k >= 0; k--) sum1 += m.n[m.th[k]] + m.nc[m.th[k]];
        break;
      }
    }
  }
  if (sum1 > 100) return { value: 1, fail: true };
  return { value: 2 ** (sum1 * 0.25) / (Math.PI * axl * axl), fail: false };
}

/** Davies' result: P(Q < c) in `value`, and the fault indicator (0 fine; 1 accuracy not obtained; 2 round-off possibly significant; 3 invalid parameters). */
export interface DaviesResult {
  value: number;
  ifault: number;
}

/**
 * Davies' algorithm: P(Q < c) for Q = Σ λ_j χ²_{n_j}(δ_j) + σ N(0, 1), to accuracy acc with at most
 * lim integration terms. As mgcv's version, running out of terms in an auxiliary integration returns
 * −1 with fault 0 (psum.chisq's upper tail is then 2, and testStat falls back on its F/χ² form).
 */
export function daviesCdf(c: number, lb: ArrayLike<number>, options: { df?: ArrayLike<number>; nc?: ArrayLike<number>; sigma?: number; lim?: number; acc?: number } = {}): DaviesResult {
  const r = lb.length;
  const m: Mixture = {
    lb: Array.from(lb),
    n: options.df ? Array.from(options.df) : new Array<number>(r).fill(1),
    nc: options.nc ? Array.from(options.nc) : new Array<number>(r).fill(0),
    r,
    th: [],
  };
  const sigma = options.sigma ?? 0;
  let lim = options.lim ?? 1e5;
  const accIn = options.acc ?? 2e-5;
  const ln28 = Math.log(2) / 8;
  // th: the indices in decreasing order of |λ|
  m.th = Array.from({ length: r }, (_, j) => j).sort((a, b) => Math.abs(m.lb[b]) - Math.abs(m.lb[a]));
  let sigsq = sigma * sigma;
  let sd = sigsq;
  let lmax = 0, lmin = 0, mean = 0;
  for (let j = 0; j < r; j++) {
    const nj = m.n[j], lj = m.lb[j], ncj = m.nc[j];
    if (nj < 0 || ncj < 0) return { value: c, ifault: 3 };
    // Var Q = σ² + Σ λ_j² (2 n_j + 4 δ_j),  E Q = Σ λ_j (n_j + δ_j)
    sd += lj * lj * (2 * nj + 4 * ncj);
    mean += lj * (nj + ncj);
    if (lmax < lj) lmax = lj;
    else if (lmin > lj) lmin = lj;
  }
  if (sd === 0) return { value: c > 0 ? 1 : 0, ifault: 0 };
  if (lmin === 0 && lmax === 0 && sigma === 0) return { value: c, ifault: 3 };
  sd = Math.sqrt(sd);
  const almx = lmax < -lmin ? -lmin : lmax;
  let acc1 = accIn;
  // starting values for the truncation point and the cut-offs
  let utx = 16 / sd;
  const up = { u: 4.5 / sd }, un = { u: -4.5 / sd };
  // the truncation point with no convergence factor
  utx = truncationPoint(utx, 0.5 * acc1, sigsq, m);
  // does a convergence factor help?
  if (c !== 0 && almx > 0.07 * sd) {
    const cf = convergenceCoefficient(c, ln28, m);
    const tausq = (0.25 * acc1) / cf.value;
    if (!cf.fail && truncationError(utx, tausq, sigsq, m) < 0.2 * acc1) {
      sigsq += tausq;
      utx = truncationPoint(utx, 0.25 * acc1, sigsq, m);
    }
  }
  acc1 *= 0.5;
  const sums = { intl: 0, ersm: 0 };
  let intv: number, nt: number;
  // the distribution's range: outside it, 0 or 1
  for (;;) {
    const d1 = cutoff(acc1, up, mean, lmin, lmax, sigsq, m) - c;
    if (d1 < 0) return { value: 1, ifault: 0 };
    const d2 = c - cutoff(acc1, un, mean, lmin, lmax, sigsq, m);
    if (d2 < 0) return { value: 0, ifault: 0 };
    // the integration step: 2π over the larger distance to a cut-off
    intv = (2 * Math.PI) / (d1 > d2 ? d1 : d2);
    // the numbers of terms of the main and auxiliary integrations (C's rounding, halves down)
    nt = roundHalfDown(utx / intv);
    const ntm = roundHalfDown(3 / Math.sqrt(acc1));
    if (!(nt > ntm * 1.5)) break;
    // an auxiliary integration with a convergence factor
    const intv1 = utx / ntm;
    const x = (2 * Math.PI) / intv1;
    if (x <= Math.abs(c)) break;
    const lo = convergenceCoefficient(c - x, ln28, m), hi = convergenceCoefficient(c + x, ln28, m);
    const tausq = (0.33 * acc1) / (1.1 * (lo.value + hi.value));
    // (mgcv's C reads the fault of whichever call ran last; either one's fault makes τ² meaningless)
    if (lo.fail || hi.fail) break;
    acc1 *= 0.67;
    if (ntm > lim) return { value: -1, ifault: 0 };
    integrate(ntm, intv1, tausq, false, c, sigsq, m, sums);
    lim -= ntm;
    sigsq += tausq;
    utx = truncationPoint(utx, 0.25 * acc1, sigsq, m);
    acc1 *= 0.75;
  }
  if (nt > lim) return { value: -1, ifault: 1 };
  integrate(nt, intv, 0, true, c, sigsq, m, sums);
  const value = 0.5 - sums.intl;
  // round-off could be significant when acc/10 is lost beside the round-off bound
  const ifault = sums.ersm + accIn / 10 === sums.ersm ? 2 : 0;
  return { value, ifault };
}

/** C's (int)floor(x), plus one if the fraction exceeds ½. */
function roundHalfDown(x: number): number {
  const f = Math.floor(x);
  return x - f > 0.5 ? f + 1 : f;
}

/** P(χ²_l(δ) > x) (or ≤ x), a Poisson mixture of central chi-squares: Σ_i e^{−δ/2}(δ/2)^i/i! P(χ²_{l+2i} > x). */
export function pchisqNoncentral(x: number, df: number, ncp: number, lowerTail = false): number {
  if (ncp === 0) { const g = incompleteGamma(df / 2, x / 2); return lowerTail ? g.lower : g.upper; }
  const lam = ncp / 2;
  // sum outward from the Poisson mode, until the weights are negligible
  const mode = Math.floor(lam);
  let sum = 0;
  for (const dir of [1, -1]) {
    for (let i = dir === 1 ? mode : mode - 1; i >= 0; i += dir) {
      const w = Math.exp(dpoisLog(i, lam));
      const g = incompleteGamma(df / 2 + i, x / 2);
      sum += w * (lowerTail ? g.lower : g.upper);
      if (w < 1e-17 && Math.abs(i - lam) > Math.sqrt(lam) + 1) break;
    }
  }
  return sum;
}

/**
 * Liu, Tang & Zhang's (2009) approximation of P(Q > x) for Q = Σ λ_j χ²_{h_j} (mgcv's liu2): Q is
 * matched by its first four cumulants to a shifted, scaled non-central χ²_l(δ),
 *   c_k = Σ λ_j^k h_j, s1 = c3 / c2^{3/2}, s2 = c4 / c2²,
 *   s1² > s2: a = 1/(s1 − √(s1² − s2)), δ = s1 a³ − a², l = a² − 2δ;  else a = 1/s1, δ = 0, l = c2³/c3²,
 *   P(Q > x) ≈ P(χ²_l(δ) > (x − c1)/√(2 c2) · √2 a + l + δ).
 */
export function liu2(x: number, lambda: ArrayLike<number>, h?: ArrayLike<number>, lowerTail = false): number {
  const r = lambda.length;
  if (h && h.length !== r) throw new DataError(`liu2: the weights (${r}) and degrees of freedom (${h.length}) differ in length`);
  let c1 = 0, c2 = 0, c3 = 0, c4 = 0;
  for (let j = 0; j < r; j++) {
    const l = lambda[j], hj = h ? h[j] : 1;
    c1 += l * hj; c2 += l * l * hj; c3 += l * l * l * hj; c4 += l * l * l * l * hj;
  }
  if (!(x > 0) || c2 <= 0) return 1;
  const s1 = c3 / c2 ** 1.5, s2 = c4 / (c2 * c2);
  const sigQ = Math.sqrt(2 * c2);
  const t = (x - c1) / sigQ;
  let a: number, delta: number, l: number;
  if (s1 * s1 > s2) {
    a = 1 / (s1 - Math.sqrt(s1 * s1 - s2));
    delta = s1 * a ** 3 - a * a;
    l = a * a - 2 * delta;
  } else {
    a = 1 / s1;
    delta = 0;
    if (c3 === 0) return 1;
    l = c2 ** 3 / (c3 * c3);
  }
  const muX = l + delta, sigX = Math.SQRT2 * a;
  return pchisqNoncentral(t * sigX + muX, l, delta, lowerTail);
}

/** What psum.chisq did: Davies' value, its value despite round-off (fault 2), or Liu's approximation. */
export type PsumMethod = 'davies' | 'davies-roundoff' | 'liu';

/**
 * mgcv's psum.chisq: P(Q > q) (or P(Q ≤ q) with lowerTail) for Q = Σ λ_j χ²_{df_j}(nc_j) + σ N(0, 1)
 * by Davies' algorithm (acc 2e-5, at most 1e5 terms), with psum.chisq's fallbacks. The degrees of
 * freedom are rounded to integers and must be ≥ 1; at least one weight must be non-zero.
 */
export function psumChisq(
  q: number,
  lb: ArrayLike<number>,
  options: { df?: ArrayLike<number>; nc?: ArrayLike<number>; sigma?: number; lowerTail?: boolean; acc?: number; lim?: number } = {},
): { p: number; method: PsumMethod; ifault: number } {
  const r = lb.length;
  const df = options.df ? Array.from(options.df, (d) => Math.round(d)) : new Array<number>(r).fill(1);
  const nc = options.nc ? Array.from(options.nc) : new Array<number>(r).fill(0);
  if (df.length !== r || nc.length !== r) throw new DataError(`psumChisq: the weights (${r}), df (${df.length}) and non-centralities (${nc.length}) must have the same length`);
  if (df.some((d) => !(d >= 1))) throw new DataError(`psumChisq: degrees of freedom must be positive integers (got ${Array.from(options.df ?? []).join(', ')})`);
  if (Array.from(lb).every((l) => l === 0)) throw new DataError('psumChisq: at least one weight must be non-zero');
  if (Array.from(lb).some((l) => !Number.isFinite(l)) || !Number.isFinite(q)) throw new DataError(`psumChisq: weights and the quantile must be finite (q = ${q})`);
  const lowerTail = options.lowerTail ?? false;
  const sigma = Math.max(0, options.sigma ?? 0);
  const d = daviesCdf(q, lb, { df, nc, sigma, acc: options.acc ?? 2e-5, lim: options.lim ?? 1e5 });
  if (d.ifault === 0) return { p: lowerTail ? d.value : 1 - d.value, method: 'davies', ifault: 0 };
  if (d.ifault === 2) return { p: lowerTail ? d.value : 1 - d.value, method: 'davies-roundoff', ifault: 2 };
  const p = nc.every((v) => v === 0) ? liu2(q, lb, df, lowerTail) : NaN;
  return { p, method: 'liu', ifault: d.ifault };
}
