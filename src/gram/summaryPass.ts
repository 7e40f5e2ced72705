/**
 * The engines' pre-pass of R's whole-column summaries inside formula expressions (`I(x - mean(x))`,
 * `I(x / sd(x))`, `log(x2 - min(x2) + 1)`; src/frame/reductions.ts evaluates them in memory): each
 * value from scans over every row of the input, before any pass of the model frame reads a row, then
 * substituted as a constant into the row expressions (stream: memory's evaluator reads it from
 * spec.scales, SummaryValue; SQL: ./sql/generate.ts writes it as a literal).
 *
 * Which rows: R's model.frame evaluates the summaries on every row of the data, before na.omit drops
 * the rows missing another variable; so here every row of the input. Without na.rm a missing value of
 * the argument makes the summary NA in every row: the in-memory error (missingSummaryError).
 *
 * The arithmetic is reductions.ts's, split into scans (m = the count of non-missing x):
 *   scan 1   n (every row), m, min, max, Σ x                      → length, min, max, sum
 *   scan 2   t = Σ (x − s), s = Σ x / m                            → R's mean  x̄ = s + t/m
 *   scan 3   Σ (x − x̄)²                                            → var = Σ (x − x̄)²/(m − 1), sd = √var
 *   median   the order statistics x_(⌈m/2⌉), x_(⌊m/2⌋+1) exactly (./quantiles.ts: a few scans, memory
 *            bounded by the values inside the brackets), then R's median: the middle one, or the mean
 *            of the two (reductions.ts's own function, on those two values)
 * Scans 2 and 3 run only for the calls that need them. The stream sums in input order in float64 as
 * memory does (the same doubles); the SQL engines' sums are compensated (Kahan), equal to rounding.
 */
import type { Expr } from '../formula/types.js';
import { type ReductionName, missingSummaryError, reduceColumn } from '../frame/reductions.js';
import type { ScaleParams } from '../frame/columns.js';
import { type QuantileScan, exactQuantiles } from './quantiles.js';

/** One distinct summary call of a formula (`mean(x, na.rm = TRUE)`). */
export interface SummaryCall {
  /** its key in spec.scales (columns.ts scaleKey of the call) */
  key: string;
  fn: ReductionName;
  /** its numeric argument */
  arg: Expr;
  naRm: boolean;
  /** the label of the variable it is in, `what` the call as memory's message names it (`mean(x)`), and the columns its argument reads */
  label: string;
  what: string;
  columns: string[];
}

/** The first scan's sums of one argument over every row. */
export interface SummaryCounts {
  /** rows */
  n: number;
  /** rows where the argument is missing (NaN, NULL) */
  missing: number;
  /** min and max of the non-missing values (±∞ included; ∞ and −∞ with none) */
  min: number;
  max: number;
  /** Σ x over the non-missing values (±∞ included: ±∞, or NaN with both) */
  sum: number;
}

/** What the pre-pass asks of an engine's scans (each a pass over every row of the input). */
export interface SummaryScan {
  counts(calls: SummaryCall[]): Promise<SummaryCounts[]>;
  /** per call: Σ (x − c_k) over the non-missing x */
  centred(calls: SummaryCall[], c: number[]): Promise<number[]>;
  /** per call: Σ (x − c_k)² over the non-missing x */
  squares(calls: SummaryCall[], c: number[]): Promise<number[]>;
  /** the quantile scans of a call's non-missing x */
  quantiles(call: SummaryCall): QuantileScan;
}

/**
 * Computes every call's value into `scales` (a SummaryValue at its key), with the in-memory errors;
 * returns the scans it made.
 */
export async function summaryValues(calls: SummaryCall[], scan: SummaryScan, scales: ScaleParams): Promise<{ scans: number }> {
  if (calls.length === 0) return { scans: 0 };
  const counts = await scan.counts(calls);
  let scans = 1;
  const value = new Map<SummaryCall, number>();
  calls.forEach((c, k) => {
    const s = counts[k];
    if (c.fn === 'length') { value.set(c, s.n); return; }
    if (s.missing > 0 && !c.naRm) throw missingSummaryError(c.fn, c.what, c.columns, c.label, s.missing);
    const m = s.n - s.missing;
    // reductions.ts: min of no values ∞, max −∞, sum 0 (R's, with a warning)
    if (c.fn === 'min') value.set(c, m === 0 ? Infinity : s.min);
    if (c.fn === 'max') value.set(c, m === 0 ? -Infinity : s.max);
    if (c.fn === 'sum') value.set(c, m === 0 ? 0 : s.sum);
  });
  // R's mean: s = Σx/m, then x̄ = s + Σ(x − s)/m (not where s is not finite); var and sd about it
  const nonMissing = new Map(calls.map((c, k) => [c, counts[k].n - counts[k].missing] as const));
  const sums = new Map(calls.map((c, k) => [c, counts[k].sum] as const));
  const m = (c: SummaryCall) => nonMissing.get(c)!;
  const needMean = calls.filter((c) => (c.fn === 'mean' && m(c) > 0) || ((c.fn === 'var' || c.fn === 'sd') && m(c) >= 2));
  const xbar = new Map<SummaryCall, number>();
  for (const c of needMean) xbar.set(c, sums.get(c)! / m(c));
  const refine = needMean.filter((c) => Number.isFinite(xbar.get(c)!));
  if (refine.length > 0) {
    const t = await scan.centred(refine, refine.map((c) => xbar.get(c)!));
    scans++;
    refine.forEach((c, k) => xbar.set(c, xbar.get(c)! + t[k] / m(c)));
  }
  for (const c of calls) {
    if (c.fn === 'mean') value.set(c, m(c) === 0 ? NaN : xbar.get(c)!);
    if ((c.fn === 'var' || c.fn === 'sd') && m(c) < 2) value.set(c, NaN);
  }
  const spread = calls.filter((c) => (c.fn === 'var' || c.fn === 'sd') && m(c) >= 2);
  if (spread.length > 0) {
    // Σ (x − x̄)² / (m − 1)
    const ss = await scan.squares(spread, spread.map((c) => xbar.get(c)!));
    scans++;
    spread.forEach((c, k) => {
      const v = ss[k] / (m(c) - 1);
      value.set(c, c.fn === 'sd' ? Math.sqrt(v) : v);
    });
  }
  for (const c of calls.filter((c) => c.fn === 'median')) {
    if (m(c) === 0) { value.set(c, NaN); continue; }
    const q = await exactQuantiles(scan.quantiles(c), [0.5]);
    scans += q.scans;
    const [a, b] = q.order[0];
    // the middle value, or R's mean of the middle two (reductions.ts's median of the two values)
    value.set(c, a === b ? a : reduceColumn('median', Float64Array.of(a, b), true, c.what, c.columns, c.label));
  }
  for (const c of calls) scales.set(c.key, { fn: 'summary', value: value.get(c)! });
  return { scans };
}
