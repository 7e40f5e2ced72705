/**
 * R's summaries of a whole column inside a formula expression (`I(x - mean(x))`, `I(x / sd(x))`,
 * `log(x2 - min(x2) + 1)`): mean, sd, var, median, min, max, sum, length. R's model.frame evaluates
 * them over every row of the data, before na.omit drops the rows missing other variables, so here
 * too: `x` is the argument's value in every row of the data. One number, broadcast to every row.
 * Without na.rm a missing value makes the summary NA in every row, and na.omit would drop them all:
 * that is an error naming the columns and suggesting na.rm = TRUE. R's predict re-evaluates them on
 * new data (no makepredictcall for these, unlike scale()): so does predict here.
 */
import { DataError } from '../errors/errors.js';

export type ReductionName = 'mean' | 'sd' | 'var' | 'median' | 'min' | 'max' | 'sum' | 'length';

/**
 * R's mean (summary.c): m₀ = Σ x_i / n, then one refinement m = m₀ + Σ (x_i − m₀) / n (R sums in
 * long double; here in double, so equal to rounding).
 */
export function mean(v: readonly number[] | Float64Array): number {
  const n = v.length;
  let s = 0;
  for (const x of v) s += x;
  s /= n;
  if (!Number.isFinite(s)) return s;
  let t = 0;
  for (const x of v) t += x - s;
  return s + t / n;
}

/** R's var(x) (cov.c): Σ (x_i − x̄)² / (n − 1) about the refined mean; NA for fewer than 2 values. */
export function variance(v: readonly number[] | Float64Array): number {
  const n = v.length;
  if (n < 2) return NaN;
  const m = mean(v);
  let ss = 0;
  for (const x of v) ss += (x - m) * (x - m);
  return ss / (n - 1);
}

/** R's median.default: the middle value of the sorted values, or the mean of the middle two. */
export function median(v: readonly number[] | Float64Array): number {
  const n = v.length;
  if (n === 0) return NaN;
  const s = Float64Array.from(v).sort();
  const half = (n + 1) >> 1;
  return n % 2 === 1 ? s[half - 1] : mean([s[half - 1], s[half]]);
}

/**
 * A summary without na.rm of a column with `missing` missing values: NA in every row, so na.omit would
 * drop every row (the error names the call, the columns and the count, and suggests na.rm = TRUE).
 */
export function missingSummaryError(fn: ReductionName, what: string, columns: string[], label: string, missing: number): DataError {
  const cols = columns.length === 1 ? `'${columns[0]}' has` : columns.length > 1 ? `${columns.map((c) => `'${c}'`).join(', ')} have` : 'its argument has';
  return new DataError(
    `${what} in '${label}': ${cols} ${missing} missing value${missing === 1 ? '' : 's'}, so ${what} is NA in every row (R evaluates it over the whole column) and every row would be dropped; ` +
      `write ${fn}(…, na.rm = TRUE) to leave the missing values out`,
    columns.length === 1 ? { column: columns[0] } : undefined,
  );
}

/**
 * The summary `fn` of `x` (every row of the data; NaN is missing). `naRm`: skip missing values; else
 * one missing value is an error (R's NA in every row). `what` names the call (`mean(x)`) and
 * `columns` the columns it reads, for the message.
 */
export function reduceColumn(fn: ReductionName, x: Float64Array, naRm: boolean, what: string, columns: string[], label: string): number {
  if (fn === 'length') return x.length;
  const v: number[] = [];
  let missing = 0;
  for (let i = 0; i < x.length; i++) if (Number.isNaN(x[i])) missing++; else v.push(x[i]);
  if (missing > 0 && !naRm) throw missingSummaryError(fn, what, columns, label, missing);
  switch (fn) {
    case 'mean': return v.length === 0 ? NaN : mean(v);
    case 'var': return variance(v);
    case 'sd': return Math.sqrt(variance(v));
    case 'median': return median(v);
    // R: min/max of no values are Inf/−Inf (with a warning), sum of none 0
    case 'min': return v.reduce((a, b) => (b < a ? b : a), Infinity);
    case 'max': return v.reduce((a, b) => (b > a ? b : a), -Infinity);
    case 'sum': { let s = 0; for (const a of v) s += a; return s; }
  }
}
