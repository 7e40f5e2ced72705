/**
 * Bliese's multilevel package: ICC(1) and ICC(2) of a group-level construct.
 *  - icc12 (multilevel's ICC1(aov), ICC2(aov) of aov(value ~ factor(group))): from the one-way
 *    ANOVA's mean squares MSB = SSB/(J − 1), MSW = SSW/(N − J) and the mean group size n̄ = N/J,
 *      ICC(1) = (MSB − MSW) / (MSB + (n̄ − 1) MSW),   ICC(2) = (MSB − MSW) / MSB.
 *  - multIcc (multilevel's mult.icc): per variable, the variance components τ (group) and σ²
 *    (residual) of the REML fit of y ~ 1 + (1 | group) — our lmer fit, where multilevel fits nlme's lme —
 *      ICC(1) = τ / (τ + σ²),   ICC(2) = n̄ ICC(1) / (1 + (n̄ − 1) ICC(1)),
 *    n̄ the mean group size over every row with a group (mult.icc counts rows before each
 *    variable's missing values are left out).
 */
import { DataError, OptionError, showValue } from '../errors/errors.js';
import { type DataInput, toArrowTable } from '../io/dataInput.js';
import { lmer } from '../fit/lmer.js';
import { keyColumn, numericColumn } from './columns.js';

export interface Icc12Options {
  group: string;
  value: string;
}

export interface Icc12Result {
  ICC1: number;
  ICC2: number;
  MSB: number;
  MSW: number;
  dfB: number;
  dfW: number;
  /** the mean group size N/J */
  gsize: number;
}

/** multilevel's ICC1 and ICC2 of aov(value ~ as.factor(group)) (rows with a missing value or group left out). */
export function icc12(input: DataInput, options: Icc12Options): Icc12Result {
  const table = toArrowTable(input);
  const g = keyColumn(table, need(options.group, 'group', 'icc12'), 'icc12 group');
  const y = numericColumn(table, need(options.value, 'value', 'icc12'), 'icc12 value');
  const index = new Map(g.levels.map((l, i) => [l, i]));
  const sum = new Float64Array(g.levels.length), count = new Float64Array(g.levels.length);
  const rows: [number, number][] = [];
  for (let i = 0; i < y.length; i++) {
    const key = g.values[i];
    if (key === null || Number.isNaN(y[i])) continue;
    const j = index.get(key)!;
    sum[j] += y[i]; count[j] += 1;
    rows.push([j, y[i]]);
  }
  const used = [...count].filter((c) => c > 0).length;
  if (used < 2) throw new DataError(`icc12: column '${options.group}' has ${used} group with a value of '${options.value}'; ICC(1) and ICC(2) need at least 2 groups`, { column: options.group });
  const N = rows.length;
  if (N <= used) throw new DataError(`icc12: every group of column '${options.group}' has one value of '${options.value}'; the within-group mean square needs groups of 2 or more`, { column: options.group });
  // the group means ȳ_j and the grand mean ȳ
  let grand = 0;
  for (const [, v] of rows) grand += v;
  grand /= N;
  // SSB = Σ_j n_j (ȳ_j − ȳ)²,  SSW = Σ_ij (y_ij − ȳ_j)²
  let ssb = 0, ssw = 0;
  for (let j = 0; j < sum.length; j++) if (count[j] > 0) ssb += count[j] * (sum[j] / count[j] - grand) ** 2;
  for (const [j, v] of rows) ssw += (v - sum[j] / count[j]) ** 2;
  const dfB = used - 1, dfW = N - used;
  const MSB = ssb / dfB, MSW = ssw / dfW;
  const gsize = N / used;
  return { ICC1: (MSB - MSW) / (MSB + (gsize - 1) * MSW), ICC2: (MSB - MSW) / MSB, MSB, MSW, dfB, dfW, gsize };
}

export interface MultIccRow {
  variable: string;
  ICC1: number;
  ICC2: number;
  /** the variance components of the fit: τ (group) and σ² (residual) */
  tau: number;
  sigma2: number;
}

/** multilevel's mult.icc(x[, vars], group): ICC(1), ICC(2) per variable from the random-intercept fit's variance components. */
export async function multIcc(input: DataInput, options: { group: string; vars: string[] }): Promise<MultIccRow[]> {
  const table = toArrowTable(input);
  const g = keyColumn(table, need(options.group, 'group', 'multIcc'), 'multIcc group');
  if (!Array.isArray(options.vars) || options.vars.length === 0) throw new OptionError('vars', `multIcc: vars must name one or more numeric columns, got ${showValue(options.vars)}`);
  // n̄: the mean size of the groups over every row that has a group
  const present = g.values.filter((v) => v !== null).length;
  if (g.levels.length < 2) throw new DataError(`multIcc: column '${options.group}' has ${g.levels.length} group; ICC(1) needs at least 2 groups`, { column: options.group });
  const gsize = present / g.levels.length;
  const out: MultIccRow[] = [];
  for (const v of options.vars) {
    const y = numericColumn(table, v, 'multIcc vars');
    const ys: number[] = [], gs: string[] = [];
    for (let i = 0; i < y.length; i++) {
      if (g.values[i] === null || Number.isNaN(y[i])) continue;
      ys.push(y[i]); gs.push(g.values[i]!);
    }
    if (new Set(gs).size < 2) throw new DataError(`multIcc: variable '${v}' has values in fewer than 2 groups of column '${options.group}'`, { column: v });
    // y_ij = μ + u_j + e_ij, u_j ~ N(0, τ), e_ij ~ N(0, σ²): REML, as nlme's lme
    const fit = await lmer('y ~ 1 + (1 | g)', { y: ys, g: gs });
    const tau = fit.varCorr.find((r) => r.group === 'g')!.vcov;
    const sigma2 = fit.sigma * fit.sigma;
    const ICC1 = tau / (tau + sigma2);
    out.push({ variable: v, ICC1, ICC2: (gsize * ICC1) / (1 + (gsize - 1) * ICC1), tau, sigma2 });
  }
  return out;
}

function need(v: unknown, option: string, fn: string): string {
  if (typeof v !== 'string' || v === '') throw new OptionError(option, `${fn}: the option ${option} must name a column, got ${showValue(v)}`);
  return v;
}
