/**
 * Seeded synthetic data for mixed-model benchmarks, built from typed arrays only (10M rows ≈ 0.3 GB).
 *
 * Model (row i, group g = g[i], crossed level h = h[i]):
 *
 *   eta_i = beta[0] + beta[1]·x_i + beta[2]·w_g + b0_g + b1_g·x_i (+ c_h)
 *   gaussian: y_i = eta_i + sigma·eps_i            binomial: y_i ~ Bernoulli(1 / (1 + exp(-eta_i)))
 *
 * with (b0_g, b1_g) ~ N(0, [[sdIntercept², corr·sdIntercept·sdSlope], [·, sdSlope²]]) per group,
 * c_h ~ N(0, sdCrossed²) per level of the optional crossed factor h, x_i ~ N(0, 1) per row, and the
 * group-level covariate w_g ~ N(0, sdW²) (constant within a group). lme4 equivalent:
 *   y ~ x + w + (x | g) [+ (1 | h)]          (binomial: glmer(..., family = binomial))
 *
 * Rows are assigned to groups in a balanced way (each group gets ⌊n/groups⌋ or ⌈n/groups⌉ rows);
 * `layout: 'shuffled'` (default) then permutes them randomly, 'sorted' keeps groups contiguous.
 * h is assigned likewise (balanced, independently shuffled; with 'sorted' it cycles 0,1,2,…).
 *
 * PRNG: xoshiro128** (Blackman & Vigna), 32-bit state words seeded from the seed by splitmix32; uniforms
 * use 53 bits from two outputs, normals use the Box–Muller transform (both values of each pair are
 * used). The same seed and options give bit-identical output on every platform.
 */
import type * as arrow from 'apache-arrow';
import { makeFactorVector, makeFloat64Vector, tableFromColumns } from '../src/io/arrow.js';

// ---------------------------------------------------------------------------------------------
// PRNG

/** xoshiro128** seeded via splitmix32; `next()` is a uint32, `uniform()` in [0,1), `normal()` N(0,1). */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number) {
    let x = seed >>> 0;
    const sm = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    // mix in the high part of non-32-bit seeds too
    if (!Number.isInteger(seed) || Math.abs(seed) > 0xffffffff) x = (x ^ Math.floor(seed / 4294967296)) >>> 0;
    this.s0 = sm();
    this.s1 = sm();
    this.s2 = sm();
    this.s3 = sm();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** next uint32 (xoshiro128**) */
  next(): number {
    const s1 = this.s1;
    const t = s1 << 9;
    let r = Math.imul(s1, 5);
    r = Math.imul((r << 7) | (r >>> 25), 9);
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return r >>> 0;
  }

  /** uniform double in [0, 1) with 53 random bits */
  uniform(): number {
    const a = this.next() >>> 5; // 27 bits
    const b = this.next() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** integer uniform in [0, k) (k ≤ 2^32; multiply-shift, bias < k / 2^32) */
  int(k: number): number {
    return Math.floor((this.next() / 4294967296) * k);
  }

  /** standard normal via Box–Muller */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const th = 2 * Math.PI * v;
    this.spare = r * Math.sin(th);
    this.hasSpare = true;
    return r * Math.cos(th);
  }
}

// ---------------------------------------------------------------------------------------------

export interface SynthOptions {
  /** number of rows */
  n: number;
  /** number of levels of the grouping factor g (random intercept and slope on x) */
  groups: number;
  /** PRNG seed (any number; the same seed gives the same data) */
  seed: number;
  /** number of levels of an optional crossed factor h with its own random intercept */
  crossed?: number;
  /** fixed effects [(Intercept), x, w]; default [2, 0.5, -0.3] */
  beta?: readonly number[];
  /** SD of the random intercept of g; default 1 */
  sdIntercept?: number;
  /** SD of the random slope of x within g; default 0.5 */
  sdSlope?: number;
  /** correlation of intercept and slope within g; default 0.3 */
  corr?: number;
  /** residual SD (gaussian only); default 1 */
  sigma?: number;
  /** SD of the random intercept of h; default 0.7 */
  sdCrossed?: number;
  /** between-group SD of the group-level covariate w; default 1 */
  sdW?: number;
  family?: 'gaussian' | 'binomial';
  /** 'shuffled' (default): rows in random order; 'sorted': rows of a group contiguous */
  layout?: 'shuffled' | 'sorted';
}

export interface SynthColumns {
  y: Float64Array;
  x: Float64Array;
  w: Float64Array;
  /** 0-based group index; level k is named `g${k + 1}` */
  g: Int32Array;
  /** 0-based crossed-factor index; level k is named `h${k + 1}` */
  h?: Int32Array;
}

export interface SynthTruth {
  beta: number[];
  sdIntercept: number;
  sdSlope: number;
  corr: number;
  sigma: number;
  sdCrossed: number;
  /** realized random intercepts / slopes per group, and intercepts per crossed level */
  b0: Float64Array;
  b1: Float64Array;
  c?: Float64Array;
  /** realized group-level covariate per group */
  wGroup: Float64Array;
}

export interface SynthData {
  columns: SynthColumns;
  /** columns y, x, w (Float64), g (and h) (Dictionary<Utf8, Int32>; indices share the Int32Arrays above) */
  table: arrow.Table;
  truth: SynthTruth;
}

/** Balanced assignment of n rows to k levels, shuffled (Fisher–Yates) or in a regular pattern. */
function assign(n: number, k: number, rng: Rng, layout: 'shuffled' | 'sorted', contiguous: boolean): Int32Array {
  const a = new Int32Array(n);
  if (layout === 'sorted' && contiguous) {
    // level j gets rows [⌊j·n/k⌋, ⌊(j+1)·n/k⌋)
    for (let j = 0; j < k; j++) {
      const lo = Math.floor((j * n) / k);
      const hi = Math.floor(((j + 1) * n) / k);
      a.fill(j, lo, hi);
    }
    return a;
  }
  for (let i = 0, j = 0; i < n; i++) {
    a[i] = j;
    if (++j === k) j = 0;
  }
  if (layout === 'shuffled') {
    for (let i = n - 1; i > 0; i--) {
      const r = rng.int(i + 1);
      const t = a[i]!;
      a[i] = a[r]!;
      a[r] = t;
    }
  }
  return a;
}

function levelNames(prefix: string, k: number): string[] {
  const out = new Array<string>(k);
  for (let j = 0; j < k; j++) out[j] = prefix + (j + 1);
  return out;
}

/** Generate a synthetic LMM/GLMM dataset; see the module comment for the model. */
export function generateLmmData(opts: SynthOptions): SynthData {
  const { n, groups, seed } = opts;
  if (!Number.isInteger(n) || n < 1) throw new Error(`n must be a positive integer, got ${n}`);
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`groups must be a positive integer, got ${groups}`);
  if (n > 2 ** 31 - 1) throw new Error('n must be < 2^31');
  const crossed = opts.crossed ?? 0;
  if (!Number.isInteger(crossed) || crossed < 0) throw new Error(`crossed must be a non-negative integer, got ${crossed}`);
  const beta = [...(opts.beta ?? [2, 0.5, -0.3])];
  if (beta.length !== 3) throw new Error('beta must have 3 entries: (Intercept), x, w');
  const sdIntercept = opts.sdIntercept ?? 1;
  const sdSlope = opts.sdSlope ?? 0.5;
  const corr = opts.corr ?? 0.3;
  if (!(corr >= -1 && corr <= 1)) throw new Error(`corr must be in [-1, 1], got ${corr}`);
  const sigma = opts.sigma ?? 1;
  const sdCrossed = opts.sdCrossed ?? 0.7;
  const sdW = opts.sdW ?? 1;
  const family = opts.family ?? 'gaussian';
  const layout = opts.layout ?? 'shuffled';
  const rng = new Rng(seed);

  // group-level quantities: w_g, (b0_g, b1_g) via the Cholesky factor of the 2×2 covariance
  const wGroup = new Float64Array(groups);
  const b0 = new Float64Array(groups);
  const b1 = new Float64Array(groups);
  const l21 = corr * sdSlope;
  const l22 = Math.sqrt(Math.max(0, 1 - corr * corr)) * sdSlope;
  for (let j = 0; j < groups; j++) {
    wGroup[j] = sdW * rng.normal();
    const z1 = rng.normal();
    const z2 = rng.normal();
    b0[j] = sdIntercept * z1;
    b1[j] = l21 * z1 + l22 * z2;
  }
  let c: Float64Array | undefined;
  if (crossed > 0) {
    c = new Float64Array(crossed);
    for (let j = 0; j < crossed; j++) c[j] = sdCrossed * rng.normal();
  }

  const g = assign(n, groups, rng, layout, true);
  const h = crossed > 0 ? assign(n, crossed, rng, layout, false) : undefined;

  const x = new Float64Array(n);
  const w = new Float64Array(n);
  const y = new Float64Array(n);
  const [bInt, bX, bW] = beta as [number, number, number];
  for (let i = 0; i < n; i++) {
    const gi = g[i]!;
    const xi = rng.normal();
    const wi = wGroup[gi]!;
    let eta = bInt + bX * xi + bW * wi + b0[gi]! + b1[gi]! * xi;
    if (h) eta += c![h[i]!]!;
    x[i] = xi;
    w[i] = wi;
    if (family === 'gaussian') y[i] = eta + sigma * rng.normal();
    else y[i] = rng.uniform() < 1 / (1 + Math.exp(-eta)) ? 1 : 0;
  }

  const cols: Array<readonly [string, arrow.Vector]> = [
    ['y', makeFloat64Vector(y)],
    ['x', makeFloat64Vector(x)],
    ['w', makeFloat64Vector(w)],
    ['g', makeFactorVector(g, levelNames('g', groups))],
  ];
  if (h) cols.push(['h', makeFactorVector(h, levelNames('h', crossed))]);
  const columns: SynthColumns = h ? { y, x, w, g, h } : { y, x, w, g };
  const truth: SynthTruth = { beta, sdIntercept, sdSlope, corr, sigma, sdCrossed, b0, b1, wGroup, ...(c ? { c } : {}) };
  return { columns, table: tableFromColumns(cols), truth };
}

/**
 * Students in schools: n rows, a covariate x and G groups (g = s0001…) with a random intercept (SD 2)
 * and slope (SD 0.5), y = 10 + 1.5 x + b0_g + b1_g x + 3 ε, seeded; `y ~ x + (x | g)` (bench/influence.ts,
 * bench/power.ts).
 */
export function slopeData(n: number, G: number, seed = 20261205): { y: Float64Array; x: Float64Array; g: string[] } {
  const rng = new Rng(seed);
  const g: string[] = [];
  const x = new Float64Array(n), y = new Float64Array(n);
  const b0 = Float64Array.from({ length: G }, () => 2 * rng.normal());
  const b1 = Float64Array.from({ length: G }, () => 0.5 * rng.normal());
  for (let i = 0; i < n; i++) {
    const k = i % G;
    g.push(`s${String(k + 1).padStart(4, '0')}`);
    x[i] = rng.normal();
    y[i] = 10 + 1.5 * x[i] + b0[k] + b1[k] * x[i] + 3 * rng.normal();
  }
  return { y, x, g };
}
