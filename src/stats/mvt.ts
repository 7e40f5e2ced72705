/**
 * Multivariate normal and t probabilities of a rectangle, and the two-sided equicoordinate quantile:
 * what R's mvtnorm (pmvt, qmvt) gives emmeans for its "mvt" adjustment.
 *
 *   P(a ≤ T ≤ b),  T = X / √(W/ν),  X ~ N(0, R),  W ~ χ²_ν independent of X  (ν = 0: T = X),
 *
 * by Genz's separation of variables (Genz 1992; Genz & Bretz 2002, 2009 §4.1.1): with R = L Lᵀ
 * (Cholesky, the variables reordered as Gibson, Glasbey and Elston's prioritization does: at each
 * step the variable whose conditional interval is least probable, at the truncated means of the
 * variables before it), and s = √(W/ν) for the t,
 *   P = E_{s, w} Π_i (e_i − d_i),
 *   d_i = Φ((s a_i − Σ_{j<i} L_ij y_j) / L_ii),  e_i = Φ((s b_i − Σ_{j<i} L_ij y_j) / L_ii),
 *   y_i = Φ⁻¹(d_i + w_i (e_i − d_i)),
 * an integral over the unit cube (w, and W's probability for s). A singular R (pairwise contrasts
 * of means) has rank r < k: the variables after the r-th are linear in y_1…y_r, and each one's limits
 * narrow the interval of the last y_i it depends on (Genz & Bretz 2009, §2.3.2), so the integrand
 * stays continuous.
 * The cube is integrated by randomized quasi-Monte Carlo: a Richtmyer lattice (generators √prime)
 * with the baker's transformation, M random shifts from a fixed seed (the result a pure function of
 * the arguments), N grown by half (the lattice extends: the points already summed are kept) until 3 standard errors over the shifts are below `abseps`. mvtnorm's own
 * rule is the same kind (its randomized lattice, abseps 0.001 by default, with R's random seed), so
 * mvtnorm's and emmeans's results carry an error of up to ~1e-3; this one is run to 1e-4 by default (10 times mvtnorm's default).
 */
import { dt as tDensity, incompleteGamma, pt as tCdf, qnorm, qt as tQuantile } from './distributions.js';
import { dnorm, lgamma, pnorm, pnormInto } from '../glmm/rmath.js';
import { mulberry32 } from './mulberry32.js';

export interface MvtOptions {
  /** the absolute error aimed at: 3 standard errors over the random shifts (default 1e-4) */
  abseps?: number;
  /** the most integrand evaluations (default 4e6) */
  maxpts?: number;
  /** exactly this many lattice points per shift (no adaptation): the quantile's common random numbers */
  points?: number;
}

export interface MvtResult {
  value: number;
  /** 3 standard errors of the estimate over the shifts */
  error: number;
  /** the lattice points per shift it took */
  points: number;
}

const SHIFTS = 12;
const PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113,
  127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181, 191, 193, 197, 199, 211, 223, 227, 229, 233, 239, 241, 251, 257, 263, 269, 271, 277, 281];

/** The prime p_j's square root's fractional part for j = 0, 1, …: the lattice's generators (more primes made on demand). */
function generators(n: number): Float64Array {
  const primes = PRIMES.slice();
  for (let c = primes[primes.length - 1] + 2; primes.length < n; c += 2) {
    if (primes.every((p) => p * p > c || c % p !== 0)) primes.push(c);
  }
  return Float64Array.from(primes.slice(0, n), (p) => Math.sqrt(p) % 1);
}

/** Φ(b) − Φ(a) without cancellation in the upper tail */
function intervalProb(a: number, b: number): number {
  return a > 0 ? pnorm(-a) - pnorm(-b) : pnorm(b) - pnorm(a);
}

/**
 * The prioritized Cholesky factor: the order of the variables, L (k × k, row-major, in that order),
 * and the rank r (L_ii > 0 for i < r; the variables from r on are linear in the first r).
 */
function orderedCholesky(R: Float64Array, k: number, a: number[], b: number[]): { order: number[]; L: Float64Array; rank: number } {
  const S = Float64Array.from(R);
  const order = Array.from({ length: k }, (_, i) => i);
  const lo = a.slice(), hi = b.slice();
  const L = new Float64Array(k * k);
  const y = new Float64Array(k);
  const tol = 1e-10;
  let rank = 0;
  const swap = (i: number, j: number) => {
    if (i === j) return;
    [order[i], order[j]] = [order[j], order[i]];
    [lo[i], lo[j]] = [lo[j], lo[i]];
    [hi[i], hi[j]] = [hi[j], hi[i]];
    for (let c = 0; c < k; c++) { const t = S[i * k + c]; S[i * k + c] = S[j * k + c]; S[j * k + c] = t; }
    for (let c = 0; c < k; c++) { const t = S[c * k + i]; S[c * k + i] = S[c * k + j]; S[c * k + j] = t; }
    for (let c = 0; c < k; c++) { const t = L[i * k + c]; L[i * k + c] = L[j * k + c]; L[j * k + c] = t; }
  };
  for (let i = 0; i < k; i++) {
    // the candidate with the least probable conditional interval, at the truncated means y_j, j < i
    let best = -1, bestP = Infinity;
    for (let j = i; j < k; j++) {
      let v = S[j * k + j], m = 0;
      for (let l = 0; l < i; l++) { v -= L[j * k + l] * L[j * k + l]; m += L[j * k + l] * y[l]; }
      if (v <= tol) continue;
      const sd = Math.sqrt(v);
      const p = intervalProb((lo[j] - m) / sd, (hi[j] - m) / sd);
      if (p < bestP) { bestP = p; best = j; }
    }
    if (best < 0) break; // the rest are linear in the variables so far
    swap(i, best);
    let v = S[i * k + i], m = 0;
    for (let l = 0; l < i; l++) { v -= L[i * k + l] * L[i * k + l]; m += L[i * k + l] * y[l]; }
    const Lii = Math.sqrt(v);
    L[i * k + i] = Lii;
    for (let j = i + 1; j < k; j++) {
      let s = S[j * k + i];
      for (let l = 0; l < i; l++) s -= L[j * k + l] * L[i * k + l];
      L[j * k + i] = s / Lii;
    }
    // the truncated normal's mean on ((lo − m)/L_ii, (hi − m)/L_ii): (φ(α) − φ(β)) / (Φ(β) − Φ(α))
    const al = (lo[i] - m) / Lii, be = (hi[i] - m) / Lii;
    const den = intervalProb(al, be);
    const phi = (z: number) => (Number.isFinite(z) ? Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI) : 0);
    y[i] = den > 1e-300 ? (phi(al) - phi(be)) / den : (Number.isFinite(al) ? al : be);
    rank = i + 1;
  }
  return { order, L, rank };
}

/**
 * s = √(W/ν) with P(W ≤ w) = u, W ~ χ²_ν: Newton's method on P(ν/2, w/2) = u kept inside a bracket
 * (bisection where a step leaves it), from Wilson–Hilferty's start, or for small u from the lower
 * tail's leading term P(ν/2, w/2) ≈ (w/2)^{ν/2} / Γ(ν/2 + 1).
 */
export function chiRadius(u: number, nu: number, logNorm: number): number {
  if (u <= 0) return 0;
  if (u >= 1) return Infinity;
  const z = qnorm(u);
  const h = 2 / (9 * nu);
  const wh = 1 - h + z * Math.sqrt(h);
  const small = 2 * Math.exp((2 / nu) * (Math.log(u) + lgamma(nu / 2 + 1)));
  let w = wh > 0.2 ? nu * wh * wh * wh : small;
  let lo = 0, hi = Infinity;
  for (let it = 0; it < 100; it++) {
    const { lower, upper } = incompleteGamma(nu / 2, w / 2);
    // F(w) − u, from the tail that keeps its digits
    const g = u < 0.5 ? lower - u : (1 - u) - upper;
    if (g === 0) break;
    if (g < 0) lo = w; else hi = w;
    // the χ²_ν density at w
    const f = Math.exp(logNorm + (nu / 2 - 1) * Math.log(w) - w / 2);
    let next = f > 0 ? w - g / f : NaN;
    if (!(next > lo && next < hi)) next = hi === Infinity ? 2 * w : (lo + hi) / 2;
    const done = Math.abs(next - w) <= 1e-13 * w;
    w = next;
    if (done) break;
  }
  return Math.sqrt(w / nu);
}

/** the radius table's cells: s(u) at u = i/RADIUS_CELLS, interpolated linearly (module comment) */
const RADIUS_CELLS = 1 << 16;
const radiusTables = new Map<number, Float64Array>();

/**
 * s(u) = √(W/ν) for W's probability u: from a table of 2^16 cells, linear within a cell (the error
 * ~ h² s''/8 < 1e-9 where s is smooth), and exactly (chiRadius) in the first and last cells, where
 * s behaves as u^{1/ν} and √(−log(1 − u)).
 */
function radiusOf(nu: number, logNorm: number): (u: number) => number {
  let table = radiusTables.get(nu);
  if (!table) {
    table = new Float64Array(RADIUS_CELLS + 1);
    for (let i = 1; i < RADIUS_CELLS; i++) table[i] = chiRadius(i / RADIUS_CELLS, nu, logNorm);
    if (radiusTables.size > 64) radiusTables.clear();
    radiusTables.set(nu, table);
  }
  const t = table;
  return (u) => {
    const x = u * RADIUS_CELLS;
    const i = Math.floor(x);
    if (i < 1 || i >= RADIUS_CELLS - 1) return chiRadius(u, nu, logNorm);
    return t[i] + (x - i) * (t[i + 1] - t[i]);
  };
}

/**
 * P(lower ≤ T ≤ upper) for T ~ t_ν(0, R), R a correlation matrix (k × k, row-major); ν = 0 (or ∞):
 * multivariate normal. Limits may be infinite.
 */
export function pmvt(lower: number[], upper: number[], R: Float64Array, df: number, options: MvtOptions = {}): MvtResult {
  const k = lower.length;
  if (upper.length !== k || R.length !== k * k) throw new Error(`pmvt: ${k} lower limits, ${upper.length} upper limits and a ${Math.sqrt(R.length)}-square correlation matrix`);
  if (lower.some((v, i) => Number.isNaN(v) || Number.isNaN(upper[i]))) return { value: NaN, error: NaN, points: 0 };
  if (lower.some((v, i) => v >= upper[i])) return { value: 0, error: 0, points: 0 };
  const nu = Number.isFinite(df) && df > 0 ? df : 0;
  const abseps = options.abseps ?? 1e-4;
  const maxpts = options.maxpts ?? 4e6;
  const { L, rank, order } = orderedCholesky(R, k, lower, upper);
  const a = order.map((j) => lower[j]), b = order.map((j) => upper[j]);
  // a variable after the r-th is linear in y_1 … y_r: X_j = Σ_l L_jl y_l. Its limits bound the last y_i it
  // depends on (Genz & Bretz's treatment of a singular R): at step i, y_i's interval is intersected with
  // ((s a_j − m_j) / L_ji, (s b_j − m_j) / L_ji), m_j = Σ_{l<i} L_jl y_l, so the integrand stays continuous
  const dependents: number[][] = Array.from({ length: rank }, () => []);
  for (let j = rank; j < k; j++) {
    let last = -1;
    for (let l = 0; l < rank; l++) if (Math.abs(L[j * k + l]) > 1e-10) last = l;
    // X_j ≡ 0: its limits hold for every draw or for none
    if (last < 0) { if (!(a[j] <= 0 && b[j] >= 0)) return { value: 0, error: 0, points: 0 }; continue; }
    dependents[last].push(j);
  }
  // the cube's dimensions: s (t only), then y_1 … y_{r−1}
  const ny = rank - 1;
  const dims = (nu > 0 ? 1 : 0) + ny;
  const logNorm = nu > 0 ? -(nu / 2) * Math.LN2 - lgamma(nu / 2) : 0;
  const radius = nu > 0 ? radiusOf(nu, logNorm) : () => 1;
  const y = new Float64Array(k);
  const pa = new Float64Array(2), pb = new Float64Array(2);
  const integrand = (w: Float64Array): number => {
    const s = radius(w[0]);
    const off = nu > 0 ? 1 : 0;
    let f = 1;
    for (let i = 0; i < rank; i++) {
      let m = 0;
      for (let l = 0; l < i; l++) m += L[i * k + l] * y[l];
      const Lii = L[i * k + i];
      let al = (s * a[i] - m) / Lii, be = (s * b[i] - m) / Lii;
      for (const j of dependents[i]) {
        let mj = 0;
        for (let l = 0; l < i; l++) mj += L[j * k + l] * y[l];
        const Lji = L[j * k + i];
        const lo = (s * a[j] - mj) / Lji, hi = (s * b[j] - mj) / Lji;
        if (Lji > 0) { if (lo > al) al = lo; if (hi < be) be = hi; } else { if (hi > al) al = hi; if (lo < be) be = lo; }
      }
      if (!(al < be)) return 0;
      // d = Φ(al), e = Φ(be) and their difference from the tail that keeps its digits
      pnormInto(al, pa);
      pnormInto(be, pb);
      const width = al > 0 ? pa[1] - pb[1] : pb[0] - pa[0];
      f *= width;
      if (!(f > 0)) return 0;
      if (i < ny) {
        // y_i = Φ⁻¹(d + w (e − d)), from the upper tail where d is near 1
        const u = w[off + i];
        y[i] = al > 0 ? -qnorm(pa[1] - u * width) : qnorm(pa[0] + u * width);
      }
    }
    return f;
  };
  if (dims === 0) {
    const v = integrand(new Float64Array(0));
    return { value: v, error: 0, points: 1 };
  }
  const z = generators(dims);
  const rng = mulberry32(0x9e3779b9 ^ (k * 2654435761) ^ nu);
  const shifts = Array.from({ length: SHIFTS }, () => Float64Array.from({ length: dims }, rng));
  const sums = new Float64Array(SHIFTS);
  const w = new Float64Array(dims);
  let n = 0;
  let N = options.points ?? 512;
  let value = 0, error = Infinity;
  while (true) {
    // points n … N − 1 of the lattice, for each shift (the lattice rule over N points uses all of them)
    for (let q = 0; q < SHIFTS; q++) {
      const sh = shifts[q];
      let acc = 0;
      for (let j = n + 1; j <= N; j++) {
        for (let d = 0; d < dims; d++) {
          const v = j * z[d] + sh[d];
          const x = v - Math.floor(v);
          // the baker's transformation, a periodization
          w[d] = Math.abs(2 * x - 1);
        }
        acc += integrand(w);
      }
      sums[q] += acc;
    }
    n = N;
    let mean = 0;
    for (let q = 0; q < SHIFTS; q++) mean += sums[q] / N;
    mean /= SHIFTS;
    let v = 0;
    for (let q = 0; q < SHIFTS; q++) v += (sums[q] / N - mean) ** 2;
    value = mean;
    error = 3 * Math.sqrt(v / (SHIFTS * (SHIFTS - 1)));
    if (options.points !== undefined || error <= abseps || 2 * N * SHIFTS > maxpts) break;
    N = Math.round(N * 1.5);
  }
  return { value: Math.min(1, Math.max(0, value)), error, points: N };
}

/**
 * The two-sided equicoordinate quantile: c with P(−c ≤ T_i ≤ c for all i) = p (mvtnorm's qmvt with
 * tail "both.tails"), as the root of F(c) = P(c) − p computed on one lattice for every c (so F is
 * smooth and increasing in c) to 3e-4 (options.abseps): from Šidák's bound c_S (F(c_S) ≥ 0), a Newton
 * step with the derivative of Šidák's product, then secant steps kept inside the bracket
 * [one variable's quantile, c_S] (bisection where a step leaves it), until |F| ≤ 1e-10: c to ~1e-9,
 * far below its integration error (~1e-3 in c: dP/dc > 0.3 near a 95% quantile), in about four
 * evaluations of F.
 */
export function qmvtBoth(p: number, R: Float64Array, df: number, options: MvtOptions = {}): number {
  const k = Math.round(Math.sqrt(R.length));
  if (!(p > 0 && p < 1)) return NaN;
  const nu = Number.isFinite(df) && df > 0 ? df : Infinity;
  const tq = (pp: number) => (nu === Infinity ? qnorm(pp) : tQuantile(pp, nu));
  // the bracket: one variable's quantile below (P(∩) ≤ P(one)), Šidák's above (Šidák's inequality
  // P(∩ |T_i| ≤ c) ≥ Π P(|T_i| ≤ c) holds for the normal, and for the t as a scale mixture of normals
  // whose factors all increase with the scale); the lattice's size set at Šidák's value and then kept,
  // so that F is one smooth function of c (common random numbers)
  const sidak = tq((1 + Math.pow(p, 1 / k)) / 2);
  let lo = tq((1 + p) / 2), hi = sidak + 1e-9;
  const opts = { abseps: 3e-4, ...options };
  const box = (c: number) => [new Array(k).fill(-c), new Array(k).fill(c)] as const;
  const atSidak = pmvt(...box(hi), R, df, opts);
  const points = atSidak.points;
  const F = (c: number) => pmvt(...box(c), R, df, { ...opts, points }).value - p;
  let fhi = atSidak.value - p;
  while (fhi < 0) { lo = hi; hi *= 1.5; fhi = F(hi); }
  // Newton's step from c_S with d/dc (2 G(c) − 1)^k = 2k (2 G(c) − 1)^{k−1} g(c), G and g one variable's
  // distribution and density
  const one = (c: number) => (nu === Infinity ? { G: pnorm(c), g: dnorm(c) } : { G: tCdf(c, nu), g: tDensity(c, nu) });
  const { G, g } = one(hi);
  const slope = 2 * k * Math.pow(2 * G - 1, k - 1) * g;
  let a = hi, fa = fhi;
  let b = slope > 0 ? hi - fhi / slope : (lo + hi) / 2;
  if (!(b > lo && b < hi)) b = (lo + hi) / 2;
  let fb = F(b);
  for (let it = 0; it < 100 && Math.abs(fb) > 1e-10; it++) {
    if (fb < 0) lo = b; else hi = b;
    // the secant through the last two points, or bisection where it leaves the bracket
    let c = fb !== fa ? b - (fb * (b - a)) / (fb - fa) : (lo + hi) / 2;
    if (!(c > lo && c < hi)) c = (lo + hi) / 2;
    a = b; fa = fb;
    b = c; fb = F(b);
    if (hi - lo < 1e-12 * b) break;
  }
  return b;
}

/**
 * The one-sided equicoordinate quantile: c with P(T_i ≤ c for all i) = p (mvtnorm's qmvt with tail
 * "lower.tail"; "upper.tail" is −c by symmetry), as the root of F(c) = P(c) − p on one lattice for every c
 * (common random numbers, as qmvtBoth), bracketed by one variable's quantile (P(∩) ≤ P(one)) and
 * Bonferroni's (P(∩) ≥ 1 − k (1 − G(c))), then secant steps kept inside the bracket (bisection where a step
 * leaves it) until |F| ≤ 1e-10.
 */
export function qmvtLower(p: number, R: Float64Array, df: number, options: MvtOptions = {}): number {
  const k = Math.round(Math.sqrt(R.length));
  if (!(p > 0 && p < 1)) return NaN;
  const nu = Number.isFinite(df) && df > 0 ? df : Infinity;
  const tq = (pp: number) => (nu === Infinity ? qnorm(pp) : tQuantile(pp, nu));
  let lo = tq(p), hi = tq(1 - (1 - p) / k) + 1e-9;
  if (k === 1) return lo;
  const opts = { abseps: 3e-4, ...options };
  const box = (c: number) => [new Array(k).fill(-Infinity), new Array(k).fill(c)] as const;
  const atHi = pmvt(...box(hi), R, df, opts);
  const points = atHi.points;
  const F = (c: number) => pmvt(...box(c), R, df, { ...opts, points }).value - p;
  let fhi = atHi.value - p;
  while (fhi < 0) { lo = hi; hi += 1; fhi = F(hi); }
  const flo = F(lo);
  if (flo >= 0) return lo;
  let a = lo, fa = flo, b = hi, fb = fhi;
  for (let it = 0; it < 100; it++) {
    let c = fb !== fa ? b - (fb * (b - a)) / (fb - fa) : (lo + hi) / 2;
    if (!(c > lo && c < hi)) c = (lo + hi) / 2;
    const fc = F(c);
    if (Math.abs(fc) <= 1e-10 || hi - lo < 1e-12 * Math.abs(c)) return c;
    if (fc < 0) lo = c; else hi = c;
    a = b; fa = fb; b = c; fb = fc;
  }
  return b;
}
