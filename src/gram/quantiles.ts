/**
 * Exact quantiles (R's type 7, as src/results/format.ts quantile7) of a column an engine can scan
 * but not hold — the scaled residuals of an out-of-core fit — in a few scans and bounded memory:
 *   1. n, min, max and approximate quantiles (a t-digest or a sample);
 *   2. for each wanted order statistic, a bracket [a, b] around the approximation, checked by
 *      counting the values below a and at most b (widened until it holds the ranks);
 *   3. the values inside the brackets, sorted here: x_(k) = sorted[k − #{x < a}].
 * Type 7 at p: h = 1 + (n − 1) p, x_(⌊h⌋) + (h − ⌊h⌋)(x_(⌈h⌉) − x_(⌊h⌋)) in R's form.
 */

/** What the algorithm asks of a scan. */
export interface QuantileScan {
  /** count, min, max and approximate quantiles at `probs` */
  stats(probs: number[]): Promise<{ n: number; min: number; max: number; approx: number[] }>;
  /** for each bracket [a, b]: #{x < a} and #{x ≤ b} */
  count(brackets: [number, number][]): Promise<[number, number][]>;
  /** the values x with a ≤ x ≤ b for some bracket (any order) */
  values(brackets: [number, number][]): Promise<Float64Array>;
}

/** The 0-based order statistics that type 7 needs at p for n values: ⌊h⌋ − 1 and ⌈h⌉ − 1. */
function ranks(n: number, p: number): { index: number; lo: number; hi: number } {
  return indexRanks(1 + (n - 1) * p);
}

/** The 0-based order statistics around a 1-based index h: ⌊h⌋ − 1 and ⌈h⌉ − 1. */
function indexRanks(index: number): { index: number; lo: number; hi: number } {
  return { index, lo: Math.floor(index) - 1, hi: Math.ceil(index) - 1 };
}

/**
 * R's fivenum (Tukey's hinges) of n values: the 1-based indices d = 1, n₄, (n + 1)/2, n + 1 − n₄, n
 * with n₄ = ⌊(n + 3)/2⌋/2, each value ½ (x_(⌊d⌋) + x_(⌈d⌉)). The inner three as exactQuantiles's
 * `index` at p = ¼, ½, ¾ (the approximations' probabilities).
 */
export const FIVENUM_INNER = [0.25, 0.5, 0.75];
export function fivenumIndex(n: number, p: number): number {
  const n4 = Math.floor((n + 3) / 2) / 2;
  return p === 0.25 ? n4 : p === 0.5 ? (n + 1) / 2 : n + 1 - n4;
}

/** R's interpolation between the order statistics (quantile7's arithmetic). */
function interpolate(index: number, qs: number, xh: number): number {
  const lo = Math.floor(index);
  if (index > lo && xh !== qs) {
    const h = index - lo;
    return (1 - h) * qs + h * xh;
  }
  return qs;
}

export interface QuantileResult {
  quantiles: number[];
  /**
   * per p, the order statistics type 7 interpolates between, x_(⌊h⌋) and x_(⌈h⌉) (equal when h is
   * whole; NaN of no values): R's median of an even count is their mean, not the interpolation
   */
  order: [number, number][];
  /** scans used, and the values fetched in step 3 */
  scans: number;
  fetched: number;
}

/**
 * Type-7 quantiles at `probs` (each in [0, 1]); NaN values are the scan's to exclude. `index`: the
 * 1-based index h of an inner p for n values in place of type 7's 1 + (n − 1) p (fivenumIndex), whose
 * order statistics `order` then gives.
 */
export async function exactQuantiles(scan: QuantileScan, probs: number[], maxRounds = 12, index?: (n: number, p: number) => number): Promise<QuantileResult> {
  const inner = probs.filter((p) => p > 0 && p < 1);
  const st = await scan.stats(inner);
  let scans = 1;
  const { n, min, max } = st;
  if (n === 0) return { quantiles: probs.map(() => NaN), order: probs.map(() => [NaN, NaN]), scans, fetched: 0 };
  const wanted = inner.map((p) => (index ? indexRanks(index(n, p)) : ranks(n, p)));
  const span = max - min;
  if (!(span > 0) || inner.length === 0) {
    const q = probs.map((p) => (p >= 1 ? max : min));
    return { quantiles: q, order: q.map((v) => [v, v]), scans, fetched: 0 };
  }
  // brackets around the approximations, widened on the side that misses its ranks
  const width = inner.map(() => [span * 1e-3, span * 1e-3]);
  const brackets: [number, number][] = inner.map((_, k) => [st.approx[k], st.approx[k]]);
  const place = () => inner.forEach((_, k) => {
    const c = Math.min(max, Math.max(min, st.approx[k]));
    brackets[k] = [Math.max(min, c - width[k][0]), Math.min(max, c + width[k][1])];
  });
  place();
  let below: number[] = [];
  for (let round = 0; ; round++) {
    const counts = await scan.count(brackets);
    scans++;
    let ok = true;
    counts.forEach(([lt, le], k) => {
      if (lt > wanted[k].lo) { width[k][0] *= 4; ok = false; }
      if (le < wanted[k].hi + 1) { width[k][1] *= 4; ok = false; }
    });
    if (ok) { below = counts.map((c) => c[0]); break; }
    if (round === maxRounds) throw new Error(`quantiles: no bracket held the wanted ranks after ${maxRounds} rounds`);
    place();
  }
  const vals = await scan.values(brackets);
  scans++;
  const order = probs.map((p): [number, number] => {
    if (p <= 0) return [min, min];
    if (p >= 1) return [max, max];
    const k = inner.indexOf(p);
    const [a, b] = brackets[k];
    const inside = vals.filter((v) => v >= a && v <= b).sort();
    const at = (r: number) => inside[r - below[k]];
    return [at(wanted[k].lo), at(wanted[k].hi)];
  });
  const quantiles = probs.map((p, j) => (p <= 0 || p >= 1 ? order[j][0] : interpolate(wanted[inner.indexOf(p)].index, order[j][0], order[j][1])));
  return { quantiles, order, scans, fetched: vals.length };
}
