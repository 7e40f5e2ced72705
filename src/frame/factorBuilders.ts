/**
 * R's factors built from factors inside a formula: `interaction(f, h, sep = ".")` (base R's
 * interaction with lex.order = FALSE: the levels are the combinations with the first factor varying
 * fastest, "a.hi", "b.hi", …, "a.lo"; a row missing any factor is missing) and `C(f, contr)` (the
 * factor itself; its contrasts join the model frame's, src/frame/modelFrame.ts), and `cut(x, breaks)`.
 */
import type { FactorColumn } from './columns.js';
import type { CutArgs } from '../formula/types.js';
import { rowInt32 } from '../linalg/rowChunks.js';

/**
 * interaction(f₁, …, f_m): row i's key is Σ_k code_k(i) · Π_{j<k} L_j (the first factor fastest, as
 * R's levels run); the levels kept are the combinations some row has, in key order. R's drop = FALSE
 * keeps the others too, and the model frame then drops them (drop.unused.levels): the same factor.
 */
export function interactionColumn(cols: readonly FactorColumn[], sep: string): FactorColumn {
  const n = cols[0].codes.length;
  const radix = cols.map((c) => c.levels.length);
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let key = 0, place = 1, missing = false;
    for (let k = 0; k < cols.length; k++) {
      const c = cols[k].codes[i];
      if (c < 0) { missing = true; break; }
      key += c * place;
      place *= radix[k];
    }
    keys[i] = missing ? -1 : key;
  }
  const used = [...new Set(keys)].filter((k) => k >= 0).sort((a, b) => a - b);
  const pos = new Map(used.map((k, j) => [k, j] as const));
  const codes = rowInt32(n);
  for (let i = 0; i < n; i++) codes[i] = keys[i] < 0 ? -1 : pos.get(keys[i])!;
  const levels = used.map((key) => {
    const parts: string[] = [];
    for (let k = 0; k < cols.length; k++) {
      parts.push(cols[k].levels[key % radix[k]]);
      key = Math.floor(key / radix[k]);
    }
    return parts.join(sep);
  });
  return { kind: 'factor', codes, levels };
}


/**
 * C's sprintf("%.{p}g", x), as R's formatC(x, digits = p, width = 1) writes a finite number: p
 * significant digits, exponent form below 1e−4 or from 10^p, trailing zeros dropped.
 */
export function formatCg(x: number, p: number): string {
  if (x === 0) return '0';
  const e = Number(x.toExponential(p - 1).split('e')[1]);
  const strip = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (e < -4 || e >= p) {
    const [m, ex] = x.toExponential(p - 1).split('e');
    const n = Number(ex);
    return `${strip(m)}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return strip(x.toFixed(Math.max(0, p - 1 - e)));
}

/** R's seq.int(from, to, length.out = n) (seq.c): from + i·by in the first half, to − (n − 1 − i)·by in the second. */
function seqLength(from: number, to: number, n: number): number[] {
  const out = new Array<number>(n);
  out[0] = from;
  if (n > 1) out[n - 1] = to;
  const by = (to - from) / (n - 1);
  for (let i = 1; i < n - 1; i++) out[i] = i < Math.floor(n / 2) ? from + i * by : to - (n - 1 - i) * by;
  return out;
}

/**
 * R's cut.default(x, breaks, include.lowest, right, dig.lab) with labels = NULL: the breaks (a number
 * of intervals: equal widths over range(x) of every row, the outer two moved out by diff/1000), the
 * labels "(a,b]" from formatC(breaks, digits = d) with the fewest d ≥ dig.lab that tells them apart
 * (non-finite breaks formatted together, padded to one width: "(1, Inf]" beside "-Inf"), and each
 * row's interval by .bincode (right-closed unless right = FALSE; include.lowest closes the first or
 * last). Rows outside every interval, or missing, are missing. `what` names the call in errors.
 */
export function cutColumn(x: Float64Array, spec: CutArgs, what: string): FactorColumn {
  let lo = Infinity, hi = -Infinity;
  if (typeof spec.breaks === 'number') for (const v of x) if (!Number.isNaN(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const breaks = cutBreaks(spec, lo, hi, what);
  const labels = cutLabels(breaks, spec);
  const codes = rowInt32(x.length);
  for (let i = 0; i < x.length; i++) codes[i] = binCode(x[i], breaks, spec.right, spec.includeLowest);
  return { kind: 'factor', codes, levels: labels };
}

/**
 * cut's breaks: a number of intervals over [lo, hi] (the range of the non-missing x of every row;
 * equal widths, the outer two moved out by diff/1000; lo > hi: no values, an error), or the breaks
 * given, sorted; not unique: R's error.
 */
export function cutBreaks(spec: CutArgs, lo: number, hi: number, what: string): number[] {
  let breaks: number[];
  if (typeof spec.breaks === 'number') {
    const nb = Math.trunc(spec.breaks + 1);
    if (!(lo <= hi)) throw new Error(`${what}: the variable has no values, so it has no range to cut`);
    let dx = hi - lo;
    if (dx === 0) {
      dx = lo !== 0 ? Math.abs(lo) : 1;
      breaks = seqLength(lo - dx / 1000, hi + dx / 1000, nb);
    } else {
      breaks = seqLength(lo, hi, nb);
      breaks[0] = lo - dx / 1000;
      breaks[nb - 1] = hi + dx / 1000;
    }
  } else {
    breaks = [...spec.breaks].sort((a, b) => a - b);
  }
  if (new Set(breaks).size !== breaks.length) throw new Error(`${what}: the breaks are not unique (R: 'breaks' are not unique)`);
  return breaks;
}

/** cut's labels "(a,b]" of the intervals between `breaks` (cutColumn's rules). */
export function cutLabels(breaks: number[], spec: CutArgs): string[] {
  const nb = breaks.length;
  let labels: string[] | null = null;
  for (let dig = spec.digLab; dig <= Math.max(12, spec.digLab); dig++) {
    const nonFinite = breaks.filter((b) => !Number.isFinite(b)).map((b) => (b > 0 ? 'Inf' : '-Inf'));
    const width = Math.max(0, ...nonFinite.map((s) => s.length));
    // 0 + breaks: −0 written as 0
    const ch = breaks.map((b) => (Number.isFinite(b) ? formatCg(b + 0, dig) : (b > 0 ? 'Inf' : '-Inf').padStart(width)));
    if (ch.slice(1).every((c, k) => c !== ch[k])) {
      labels = ch.slice(0, -1).map((c, k) => `${spec.right ? '(' : '['}${c},${ch[k + 1]}${spec.right ? ']' : ')'}`);
      break;
    }
  }
  if (labels && spec.includeLowest) {
    if (spec.right) labels[0] = '[' + labels[0].slice(1);
    else labels[nb - 2] = labels[nb - 2].slice(0, -1) + ']';
  }
  return labels ?? Array.from({ length: nb - 1 }, (_, k) => `Range_${k + 1}`);
}

/** R's .bincode for one value: the interval k (0-based) holding x, or −1 (outside, or missing). */
export function binCode(x: number, breaks: number[], right: boolean, includeLowest: boolean): number {
  if (Number.isNaN(x)) return -1;
  const nb1 = breaks.length - 1;
  let lo = 0, hi = nb1;
  if (x < breaks[lo] || breaks[hi] < x || (x === breaks[lo] && !(includeLowest || !right)) || (x === breaks[hi] && !(includeLowest || right))) return -1;
  // bisection as in R's C: the interval [breaks[lo], breaks[hi]] narrowed to one
  while (hi - lo >= 2) {
    const mid = (hi + lo) >> 1;
    if (x > breaks[mid] || (!right && x === breaks[mid])) lo = mid; else hi = mid;
  }
  return lo;
}
