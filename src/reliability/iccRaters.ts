/**
 * psych's ICC(x, lmer = TRUE): the subjects × raters ratings → lmer's fit of
 *   value ~ 1 + (1 | subject) + (1 | rater)   (REML; missing cells left out, as na.omit)
 * → the variance decomposition (subject, rater, residual, total, percent) → the mean squares it
 * implies (shroutFleiss.ts meanSquares) → Shrout & Fleiss's six ICCs with F tests and intervals,
 * and psych's two-way table (df, SumSq, MS, F, p). The ratings are a long table (subject, rater,
 * value columns), a wide table (one row per subject; `raters` names its columns of ratings, as psych's
 * data frame) or a wide matrix (one row per subject, one column per rater; null or NaN missing).
 */
import { DataError, OptionError, showValue } from '../errors/errors.js';
import { type DataInput, toArrowTable } from '../io/dataInput.js';
import { lmer } from '../fit/lmer.js';
import { pfUpper } from '../stats/distributions.js';
import { keyColumn, numericColumn } from './columns.js';
import { type IccRow, type MeanSquares, meanSquares, shroutFleiss } from './shroutFleiss.js';
import { printIccRaters } from './print.js';

export interface IccRatersOptions {
  /** long table: the column of subjects (targets) */
  subject?: string;
  /** long table: the column of raters (judges, items) */
  rater?: string;
  /** long table: the column of ratings */
  value?: string;
  /** 1 − the intervals' level (psych's alpha, default 0.05) */
  alpha?: number;
  /** wide matrix: the raters' names (default J1, J2, …); wide table: its columns of ratings, one per rater */
  raters?: string[];
  /** the data's name in the printed call (psych prints `Call: ICC(x = name)`; default 'x') */
  name?: string;
}

/** The ratings in the subjects × raters layout: one rating per cell, NaN where missing. */
export interface RatingsLayout {
  subjects: string[];
  raters: string[];
  /** n × k, row-major by subject */
  x: Float64Array;
}

/** One row of psych's variance decomposition (`$lme`): ID, Items, Residual, Total. */
export interface VarianceRow {
  component: 'ID' | 'Items' | 'Residual' | 'Total';
  variance: number;
  percent: number;
}

/** One column of psych's two-way table (`$stats`): subjects, Judges, Residual. */
export interface TwoWayColumn {
  source: 'subjects' | 'Judges' | 'Residual';
  df: number;
  SumSq: number;
  MS: number;
  F: number | null;
  p: number | null;
}

export interface IccRatersResult {
  results: IccRow[];
  lme: VarianceRow[];
  stats: TwoWayColumn[];
  meanSquares: MeanSquares;
  MSW: number;
  nObs: number;
  nJudge: number;
  alpha: number;
  /** the number of missing cells (left out of the fit) */
  missing: number;
  /** the call psych prints */
  call: string;
  /** the lmer fit's messages (convergence, singularity) */
  messages: string[];
  /** psych's print(ICC(x)), line for line */
  print(): string[];
}

/** The ratings of a long table (subject, rater, value) or of a wide matrix in the subjects × raters layout. */
export function ratingsLayout(input: DataInput | readonly (readonly (number | null)[])[], options: IccRatersOptions): RatingsLayout {
  if (Array.isArray(input) && input.length > 0 && Array.isArray(input[0])) return wideLayout(input as readonly (readonly (number | null)[])[], options.raters);
  const { subject, rater, value } = options;
  if (options.raters !== undefined && subject === undefined && rater === undefined && value === undefined) return wideTableLayout(input as DataInput, options.raters);
  for (const [k, v] of [['subject', subject], ['rater', rater], ['value', value]] as const) {
    if (typeof v !== 'string' || v === '') throw new OptionError(k, `iccRaters: a long table needs the option ${k} (a column name), got ${showValue(v)}; or give a wide matrix (one row per subject, one column per rater)`);
  }
  const table = toArrowTable(input);
  const s = keyColumn(table, subject!, 'iccRaters subject');
  const r = keyColumn(table, rater!, 'iccRaters rater');
  const y = numericColumn(table, value!, 'iccRaters value');
  const n = s.levels.length, k = r.levels.length;
  const si = new Map(s.levels.map((l, i) => [l, i]));
  const ri = new Map(r.levels.map((l, i) => [l, i]));
  const x = new Float64Array(n * k).fill(NaN);
  const seen = new Uint8Array(n * k);
  for (let i = 0; i < y.length; i++) {
    const a = s.values[i], b = r.values[i];
    if (a === null) throw new DataError(`iccRaters: row ${i + 1} has no subject (column '${subject}' is missing)`, { column: subject, row: i + 1 });
    if (b === null) throw new DataError(`iccRaters: row ${i + 1} has no rater (column '${rater}' is missing)`, { column: rater, row: i + 1 });
    const c = si.get(a)! * k + ri.get(b)!;
    if (seen[c]) throw new DataError(`iccRaters: subject '${a}' has two ratings by rater '${b}' (row ${i + 1}); psych's layout holds one rating per subject and rater`, { column: value, row: i + 1 });
    seen[c] = 1;
    x[c] = y[i];
  }
  checkLayout(n, k, subject!, rater!);
  return { subjects: s.levels, raters: r.levels, x };
}

function wideLayout(rows: readonly (readonly (number | null)[])[], names?: string[]): RatingsLayout {
  const n = rows.length, k = rows[0].length;
  const x = new Float64Array(n * k);
  rows.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== k) throw new DataError(`iccRaters: row ${i + 1} of the matrix has ${Array.isArray(row) ? row.length : 0} ratings, the first row ${k}: every subject needs one entry per rater (null where missing)`, { row: i + 1 });
    row.forEach((v, j) => {
      if (v === null || v === undefined) x[i * k + j] = NaN;
      else if (typeof v === 'number') x[i * k + j] = v;
      else throw new DataError(`iccRaters: the rating of subject ${i + 1} by rater ${j + 1} is ${showValue(v)}, not a number`, { row: i + 1 });
    });
  });
  const raters = names ?? Array.from({ length: k }, (_, j) => `J${j + 1}`);
  if (raters.length !== k) throw new OptionError('raters', `iccRaters: ${raters.length} rater names for a matrix of ${k} columns`);
  checkLayout(n, k, 'subject (matrix row)', 'rater (matrix column)');
  return { subjects: Array.from({ length: n }, (_, i) => `S${i + 1}`), raters, x };
}

/** A wide table: one row per subject, the rater columns named by `raters` (psych's ICC(data[, raters])). */
function wideTableLayout(input: DataInput, raters: string[]): RatingsLayout {
  if (!Array.isArray(raters) || raters.length === 0 || raters.some((r) => typeof r !== 'string')) throw new OptionError('raters', `iccRaters: raters must name the table's columns of ratings, got ${showValue(raters)}`);
  const table = toArrowTable(input);
  const cols = raters.map((r) => numericColumn(table, r, 'iccRaters raters'));
  const n = table.numRows, k = raters.length;
  const x = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) x[i * k + j] = cols[j][i];
  checkLayout(n, k, 'subject (table row)', raters.join(', '));
  return { subjects: Array.from({ length: n }, (_, i) => `S${i + 1}`), raters: [...raters], x };
}

function checkLayout(n: number, k: number, subject: string, rater: string): void {
  if (k < 2) throw new DataError(`iccRaters: column '${rater}' has ${k} rater; the ICCs need at least 2 raters`, { column: rater });
  if (n < 2) throw new DataError(`iccRaters: column '${subject}' has ${n} subject; the ICCs need at least 2 subjects`, { column: subject });
}

/**
 * Refuses ratings without residual variation, where lmer's σ̂ would be 0 (a boundary lme4's
 * parametrization cannot reach: psych's ICC fails there with lme4's "Downdated VtV is not positive
 * definite", ours with a non-positive-definite pivot, or σ̂ ≈ 1e-8 and F ≈ 1e10 when every rater
 * agrees): the two-way additive fit x_ij ≈ μ + a_i + b_j on the observed cells by backfitting (exact in
 * one sweep when no cell is missing), its residual sum of squares against the total about the mean.
 */
export function checkResidualVariation(layout: RatingsLayout): void {
  const n = layout.subjects.length, k = layout.raters.length, x = layout.x;
  let count = 0, mean = 0;
  for (const v of x) if (!Number.isNaN(v)) { count++; mean += v; }
  mean /= count;
  let total = 0;
  for (const v of x) if (!Number.isNaN(v)) total += (v - mean) ** 2;
  if (total === 0) throw new DataError(`iccRaters: every rating is ${mean}: the ratings do not vary, so there is nothing to attribute to subjects or raters`);
  // backfitting: a_i = mean_j(x_ij − b_j), b_j = mean_i(x_ij − a_i), to convergence (Gauss–Seidel on the normal equations)
  const a = new Float64Array(n), b = new Float64Array(k);
  let rss = Infinity;
  for (let sweep = 0; sweep < 1000; sweep++) {
    for (let i = 0; i < n; i++) {
      let s = 0, c = 0;
      for (let j = 0; j < k; j++) { const v = x[i * k + j]; if (!Number.isNaN(v)) { s += v - b[j]; c++; } }
      a[i] = c ? s / c : 0;
    }
    for (let j = 0; j < k; j++) {
      let s = 0, c = 0;
      for (let i = 0; i < n; i++) { const v = x[i * k + j]; if (!Number.isNaN(v)) { s += v - a[i]; c++; } }
      b[j] = c ? s / c : 0;
    }
    let r = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) { const v = x[i * k + j]; if (!Number.isNaN(v)) r += (v - a[i] - b[j]) ** 2; }
    if (!(r < rss * (1 - 1e-12))) { rss = r; break; }
    rss = r;
  }
  // residual SD at most 1e-8 of the total SD: σ̂ = 0 to the digits a fit could show
  if (rss <= 1e-16 * total) {
    throw new DataError('iccRaters: the ratings have no residual variation: each rater\'s ratings are the subjects\' values plus a constant of that rater (the two-way residual mean square is 0), so the residual variance sits on its boundary, the F tests MSB/MSE are infinite and the variance components cannot be estimated by lmer (psych\'s ICC fails on such data too)');
  }
}

/** psych's ICC(x, alpha, lmer = TRUE) of the ratings. */
export async function iccRaters(input: DataInput | readonly (readonly (number | null)[])[], options: IccRatersOptions = {}): Promise<IccRatersResult> {
  const alpha = options.alpha ?? 0.05;
  if (!(typeof alpha === 'number' && alpha > 0 && alpha < 1)) throw new OptionError('alpha', `iccRaters: alpha must be a number in (0, 1), got ${showValue(options.alpha)}`);
  const layout = ratingsLayout(input, options);
  const n = layout.subjects.length, k = layout.raters.length;
  // the observed cells in psych's stacked layout (stack(x): rater by rater), missing cells left out
  const values: number[] = [], items: string[] = [], id: string[] = [];
  let missing = 0;
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < n; i++) {
      const v = layout.x[i * k + j];
      if (Number.isNaN(v)) { missing++; continue; }
      if (!Number.isFinite(v)) throw new DataError(`iccRaters: the rating of subject '${layout.subjects[i]}' by rater '${layout.raters[j]}' is ${v}`, options.value ? { column: options.value } : {});
      values.push(v); items.push(layout.raters[j]); id.push(layout.subjects[i]);
    }
  }
  if (values.length === 0) throw new DataError('iccRaters: every rating is missing');
  checkResidualVariation(layout);
  const fit = await lmer('values ~ 1 + (1 | id) + (1 | items)', { values, items, id });
  const vc = fit.varCorr;
  const comp = (g: string) => vc.find((r) => r.group === g && r.var2 === null)!.vcov;
  const s2id = comp('id'), s2items = comp('items'), s2e = fit.sigma * fit.sigma;
  const total = s2id + s2items + s2e;
  const lme: VarianceRow[] = ([['ID', s2id], ['Items', s2items], ['Residual', s2e], ['Total', total]] as const)
    .map(([component, variance]) => ({ component, variance, percent: variance / total }));
  const ms = meanSquares(s2id, s2items, s2e, n, k);
  // psych's two-way table: df, SumSq = MS·df, MS, F = MS/MSE, p = P(F > f)
  const dfB = n - 1, dfJ = k - 1, dfE = (n - 1) * (k - 1);
  const FB = ms.MSB / ms.MSE, FJ = ms.MSJ / ms.MSE;
  const stats: TwoWayColumn[] = [
    { source: 'subjects', df: dfB, SumSq: ms.MSB * dfB, MS: ms.MSB, F: FB, p: pfUpper(FB, dfB, dfE) },
    { source: 'Judges', df: dfJ, SumSq: ms.MSJ * dfJ, MS: ms.MSJ, F: FJ, p: pfUpper(FJ, dfJ, dfE) },
    { source: 'Residual', df: dfE, SumSq: ms.MSE * dfE, MS: ms.MSE, F: null, p: null },
  ];
  const results = shroutFleiss(ms, n, k, alpha);
  const call = `ICC(x = ${options.name ?? 'x'}${alpha === 0.05 ? '' : `, alpha = ${alpha}`})`;
  const out: IccRatersResult = {
    results, lme, stats, meanSquares: ms, MSW: ms.MSW, nObs: n, nJudge: k, alpha, missing, call, messages: [...fit.messages],
    print: () => printIccRaters(out),
  };
  return out;
}
