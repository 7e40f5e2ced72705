/**
 * Representative values of a numeric focal term, as ggeffects 1.2.0 chooses them:
 *  - R's `pretty(x, n)` (R 4.2's R_pretty, src/appl/pretty.c, with pretty.default's defaults
 *    min.n = n %/% 3, shrink.sml = 0.75, high.u.bias = 1.5, u5.bias = 0.5 + 1.5 · 1.5): the cell
 *    dx / n rounded to a unit u ∈ {1, 2, 5, 10} · 10^⌊log10 cell⌋, then the multiples of u that cover
 *    the range, ns·u … nu·u;
 *  - ggeffects's `pretty_range(x, n)`: pretty() of the sequence seq(min, max, by = √(max − min)/10)
 *    with n = pr^⌊log10(length)⌋, pr = 10 (3 above 100 distinct values, 5 above 50), choosing among
 *    pretty(·, pr), pretty(·, ⌈1.5 pr⌉) and pretty(·, 2 pr) by their lengths;
 *  - ggeffects's `values_at(x, values)`: minmax, meansd (mean ± sd), zeromax, quart (R's quantile,
 *    type 7), quart2, fivenum, terciles, terciles2, all — rounded to 1 decimal for whole-number data
 *    (2 if that makes duplicates), else 2, then 3 and 4 decimals while duplicates remain.
 */
import { quantile7 } from '../frame/basis/bspline.js';
import { roundR } from '../results/rFormat.js';
import { ModelError } from '../errors/errors.js';

const ROUNDING_EPS = 1e-10;
const DBL_EPSILON = 2.220446049250313e-16;
const DBL_MIN = 2.2250738585072014e-308;

/** R's pretty(c(lo, up), n): equally spaced round values covering [lo, up]. */
export function pretty(lo: number, up: number, n = 5): number[] {
  const minN = Math.floor(n / 3);
  const h = 1.5, h5 = 0.5 + 1.5 * h, fMin = Math.pow(2, -20);
  const dx = up - lo;
  let cell: number;
  let iSmall: boolean;
  // cell: the scale; i_small: the range is tiny relative to it (R_pretty)
  if (dx === 0 && up === 0) {
    cell = 1;
    iSmall = true;
  } else {
    cell = Math.max(Math.abs(lo), Math.abs(up));
    let U = 1 + (h5 >= 1.5 * h + 0.5 ? 1 / (1 + h) : 1.5 / (1 + h5));
    U *= Math.max(1, n) * DBL_EPSILON;
    iSmall = dx < cell * U * 3;
  }
  if (iSmall) {
    if (cell > 10) cell = 9 + cell / 10;
    cell *= 0.75;
    if (minN > 1) cell /= minN;
  } else {
    cell = dx;
    if (n > 1) cell /= n;
  }
  const subsmall = fMin * DBL_MIN || DBL_MIN;
  if (cell < subsmall) cell = subsmall;
  // unit ∈ {1, 2, 5, 10} · base, base = 10^⌊log10 cell⌋, favouring the larger (h, h5 > 1)
  const base = Math.pow(10, Math.floor(Math.log10(cell)));
  let unit = base;
  let ns: number, nu: number;
  if ((ns = 2 * base) - cell < h * (cell - unit)) {
    unit = ns;
    if ((ns = 5 * base) - cell < h5 * (cell - unit)) {
      unit = ns;
      if ((ns = 10 * base) - cell < h * (cell - unit)) unit = ns;
    }
  }
  // ns·unit ≤ lo, nu·unit ≥ up
  ns = Math.floor(lo / unit + ROUNDING_EPS);
  nu = Math.ceil(up / unit - ROUNDING_EPS);
  while (ns * unit > lo + ROUNDING_EPS * unit) ns--;
  while (nu * unit < up - ROUNDING_EPS * unit) nu++;
  let k = Math.trunc(0.5 + nu - ns);
  if (k < minN) {
    // at least min.n intervals
    k = minN - k;
    if (ns >= 0) { nu += Math.floor(k / 2); ns -= Math.floor(k / 2) + (k % 2); }
    else { ns -= Math.floor(k / 2); nu += Math.floor(k / 2) + (k % 2); }
    k = minN;
  }
  // pretty.default: seq.int(l, u, length.out = k + 1) with l = ns·unit, u = nu·unit, small values zapped
  const l = ns * unit, u = nu * unit;
  const out: number[] = [];
  if (k === 0) return [l];
  const by = (u - l) / k;
  for (let i = 0; i <= k; i++) out.push(i === k ? u : l + i * by);
  const delta = (u - l) / k;
  return out.map((s) => (Math.abs(s) < 1e-14 * delta ? 0 : s));
}

/** the number of distinct values (R's length(unique(x)), NaN excluded) */
export function nDistinct(x: ArrayLike<number>): number {
  const s = new Set<number>();
  for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i])) s.add(x[i]);
  return s.size;
}

function range(x: ArrayLike<number>): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < x.length; i++) { const v = x[i]; if (Number.isNaN(v)) continue; if (v < lo) lo = v; if (v > hi) hi = v; }
  return [lo, hi];
}

/**
 * What the representative values read of a numeric variable's values: from the values in memory
 * (summarizeValues), or from an engine's scans over the rows a fit used (ggRows.ts), where the
 * distinct values are known up to a cap only.
 */
export interface ValueSummary {
  min: number;
  max: number;
  /** the number of distinct values (R's length(unique(x))); where `distinct` is null, a lower bound (its cap + 1) */
  nDistinct: number;
  /** the distinct values in increasing order, or null (more than a cap) */
  distinct: number[] | null;
  /** R's mean and sd */
  meanSd(): { mean: number; sd: number };
  /** R's isTRUE(all.equal(x, round(x))) */
  whole(): boolean;
  /** R's quantile(x, probs) (type 7) */
  quantiles(probs: number[]): number[];
  /** R's fivenum(x) */
  fivenum(): number[];
}

/** The summary of values in memory (each part computed when first asked). */
export function summarizeValues(x0: ArrayLike<number>): ValueSummary {
  const x = Float64Array.from(x0);
  let lohi: [number, number] | null = null;
  let distinct: number[] | null = null;
  const values = () => (distinct ??= [...new Set(Array.from(x))].filter((a) => !Number.isNaN(a)).sort((a, b) => a - b));
  return {
    get min() { return (lohi ??= range(x))[0]; },
    get max() { return (lohi ??= range(x))[1]; },
    get nDistinct() { return values().length; },
    get distinct() { return values(); },
    meanSd: () => meanSd(x),
    whole: () => isWhole(x),
    quantiles: (probs) => quantile7(x, probs),
    fivenum: () => fivenum(x),
  };
}

/** ggeffects::pretty_range(x, n): round values over x's range (default n: by its number of distinct values). */
export function prettyRange(x: ArrayLike<number>, n?: number): number[] {
  return prettyRangeOf(summarizeValues(x), n);
}

/** pretty_range of a summary: its range and its number of distinct values. */
export function prettyRangeOf(s: Pick<ValueSummary, 'min' | 'max' | 'nDistinct' | 'distinct'>, n?: number): number[] {
  const { min, max } = s;
  // ra <- seq(min, max, by = sqrt(max - min) / 10): its length and last value (R's seq.default with by)
  const by = Math.sqrt(max - min) / 10;
  let len = 1, last = min;
  if (by > 0 && Number.isFinite(by)) {
    const steps = Math.floor((max - min) / by + 1e-10);
    len = steps + 1;
    last = Math.min(min + steps * by, max);
  }
  const nd = s.nDistinct;
  const pr0 = n ?? (nd > 100 ? 3 : nd > 50 ? 5 : 10);
  const pr = Math.pow(pr0, Math.floor(Math.log10(len)));
  const p1 = pretty(min, last, pr);
  const p2 = pretty(min, last, Math.ceil(pr * 1.5));
  const p3 = pretty(min, last, 2 * pr);
  // (with the distinct values counted up to a cap only, length(p1) >= the count is undecided where p1 reaches the cap)
  if (s.distinct === null && p1.length >= nd) throw new ModelError(`pretty_range: ${p1.length} pretty values, and more than ${nd - 1} distinct values counted: whether there are more distinct values than pretty ones is not known; give the values in brackets`);
  if (p1.length >= nd) return p1;
  if (p1.length < 10 && p2.length < 25) return p2;
  if (p2.length < 15 && p3.length < 25) return p3;
  return p1;
}

/** the values_at choices of ggeffects 1.2.0 */
export const VALUES_AT = ['minmax', 'meansd', 'zeromax', 'quart', 'quart2', 'fivenum', 'terciles', 'terciles2', 'all'] as const;
export type ValuesAt = (typeof VALUES_AT)[number];

/** R's mean (two passes) and sd of the values */
export function meanSd(x: ArrayLike<number>): { mean: number; sd: number } {
  const n = x.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i];
  let mean = s / n;
  let r = 0;
  for (let i = 0; i < n; i++) r += x[i] - mean;
  mean += r / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (x[i] - mean) ** 2;
  return { mean, sd: Math.sqrt(ss / (n - 1)) };
}

/** R's fivenum: Tukey's hinges */
function fivenum(x: ArrayLike<number>): number[] {
  const s = Float64Array.from(x).sort();
  const n = s.length;
  const n4 = Math.floor((n + 3) / 2) / 2;
  const d = [1, n4, (n + 1) / 2, n + 1 - n4, n];
  return d.map((v) => 0.5 * (s[Math.floor(v) - 1] + s[Math.ceil(v) - 1]));
}

const isWhole = (x: ArrayLike<number>) => {
  // R's isTRUE(all.equal(x, round(x))): mean relative difference below 1.5e-8
  let num = 0, den = 0;
  for (let i = 0; i < x.length; i++) { num += Math.abs(x[i] - Math.round(x[i])); den += Math.abs(x[i]); }
  return den === 0 ? num === 0 : num / den < 1.5e-8 || num === 0;
};

const hasDuplicates = (v: number[]) => new Set(v).size < v.length;
const unique = (v: number[]) => [...new Set(v)];

/** ggeffects::values_at(x, values) of a numeric vector. */
export function valuesAt(x: ArrayLike<number>, values: ValuesAt): number[] {
  return valuesAtOf(summarizeValues(x), values);
}

/** values_at of a summary. */
export function valuesAtOf(s: ValueSummary, values: ValuesAt): number[] {
  let v = values;
  if (['quart', 'quart2', 'terciles', 'terciles2'].includes(v)) {
    // check_rv: too few distinct quartiles → minmax
    if (new Set(s.quantiles([0, 0.25, 0.5, 0.75, 1])).size < 3) v = 'minmax';
  }
  const { min, max } = s;
  let xl: number[];
  switch (v) {
    case 'minmax': xl = [min, max]; break;
    case 'zeromax': xl = [0, max]; break;
    case 'meansd': { const { mean, sd } = s.meanSd(); xl = [mean - sd, mean, mean + sd]; break; }
    case 'all':
      if (!s.distinct) throw new ModelError(`values_at 'all': more than ${s.nDistinct - 1} distinct values; give fewer values in brackets`);
      xl = [...s.distinct];
      break;
    case 'fivenum': xl = s.fivenum(); break;
    case 'quart': xl = s.quantiles([0, 0.25, 0.5, 0.75, 1]); break;
    case 'quart2': xl = s.quantiles([0.25, 0.5, 0.75]); break;
    case 'terciles': xl = s.quantiles([0, 1 / 3, 2 / 3, 1]); break;
    case 'terciles2': xl = s.quantiles([1 / 3, 2 / 3]); break;
  }
  let rv: number[];
  if (s.whole()) {
    rv = xl.map((a) => roundR(a, 1));
    if (hasDuplicates(rv)) rv = unique(xl.map((a) => roundR(a, 2)));
  } else rv = xl.map((a) => roundR(a, 2));
  if (hasDuplicates(rv)) {
    rv = unique(xl.map((a) => roundR(a, 3)));
    if (hasDuplicates(rv)) rv = unique(xl.map((a) => roundR(a, 4)));
  }
  return rv;
}
