/**
 * The pieces of parameters's tables that every model class shares (lmer/glmer, glmmTMB, lme, gls):
 *  - the fixed rows of one table of coefficients: β̂, SE, the statistic, its interval and p-value,
 *        CI_low, CI_high = β̂ ∓ q SE,  q = qt((1 + ci)/2, ν)  (qnorm for ν = ∞),
 *        p = 2 P(T_ν > |β̂/SE|)  (2 Φ(−|z|) for ν = ∞);
 *  - exponentiate: Coefficient, CI_low, CI_high → exp(·), SE → SE · exp(β̂) (the delta method);
 *  - the printed names of X's columns (parameters's pretty_names, `f [b]`) from a model frame.
 */
import type { ModelFrame } from '../frame/modelFrame.js';
import { pvalueNormal } from '../glmm/rmath.js';
import { pvalueT, qnorm, qt } from '../stats/distributions.js';
import type { Predictor } from './dof.js';
import type { ParameterRow } from './modelParameters.js';

/** parameters's Component of a row: the conditional model's, the zero-inflation model's, the dispersion model's */
export type ParameterComponent = 'conditional' | 'zero_inflated' | 'dispersion';

export interface FixedColumns {
  names: readonly string[];
  beta: ArrayLike<number>;
  SE: ArrayLike<number>;
  /** the statistic (β̂ / SE but for Kenward–Roger's adjusted SE: given) */
  statistic: ArrayLike<number>;
  /** the df column (Infinity: none) */
  dfShown: ArrayLike<number>;
  /** the df of the p-value (Infinity: normal) */
  dfUsed: ArrayLike<number>;
  /** the df of the interval, where it is not dfUsed (parameters's betwithin takes ml1's) */
  dfCi?: ArrayLike<number>;
  /** the SE of the interval, where it is not SE (nlme's intervals of an ML lme fit) */
  seCi?: ArrayLike<number>;
  component?: ParameterComponent;
}

/** one fixed row per coefficient: its Wald interval at level ci and its p-value */
export function waldFixedRows(c: FixedColumns, ci: number): ParameterRow[] {
  return c.names.map((name, j) => {
    const nu = c.dfUsed[j];
    const nuCi = c.dfCi ? c.dfCi[j] : nu;
    // β̂ ∓ q SE, q = qt((1 + ci)/2, ν) (the normal quantile for ν = ∞)
    const q = nuCi === Infinity ? qnorm((1 + ci) / 2) : qt((1 + ci) / 2, nuCi);
    // p = 2 P(T_ν > |t|) (2 Φ(−|z|) for ν = ∞)
    const p = nu === Infinity ? pvalueNormal(c.statistic[j]) : pvalueT(c.statistic[j], nu);
    const se = c.seCi ? c.seCi[j] : c.SE[j];
    const row: ParameterRow = {
      Parameter: name, Coefficient: c.beta[j], SE: c.SE[j], CI: ci, CI_low: c.beta[j] - q * se, CI_high: c.beta[j] + q * se,
      statistic: c.statistic[j], df_error: c.dfShown[j], p, Effects: 'fixed', Group: '',
    };
    if (c.component) row.Component = c.component;
    return row;
  });
}

/** exp(β̂) and exp of the interval's ends; SE · exp(β̂) (the delta method); the statistic and p kept */
export function exponentiateRows(rows: ParameterRow[]): void {
  for (const r of rows) {
    const e = Math.exp(r.Coefficient);
    r.Coefficient = e;
    if (r.SE !== null) r.SE = r.SE * e;
    if (r.CI_low !== null) r.CI_low = Math.exp(r.CI_low);
    if (r.CI_high !== null) r.CI_high = Math.exp(r.CI_high);
  }
}

/**
 * How each column of X maps onto the fixed part's variables (insight::clean_names matched against
 * each predictor and predictor + level, as parameters's .find_term_assignment): the predictors (a
 * factor as its codes, as.numeric(f)), each column's predictor, and its printed name (`f [b]`).
 * A column that is neither the intercept, a numeric variable nor a factor's level (an interaction, a
 * transformed variable) has no predictor: `columnPredictor` null and `assigned` false.
 */
export interface FixedTerms {
  predictors: Predictor[];
  /** per column of X: the predictor's index, null for the intercept or an unassigned column */
  columnPredictor: (number | null)[];
  /** per column: whether it is the intercept, a numeric variable's or a factor level's column */
  kind: ('intercept' | 'numeric' | 'factor' | 'other')[];
  pretty: string[];
}

/** the fixed terms of a model frame's X (its columns `xnames`, the frame's variables `columns`) */
export function frameTerms(frame: Pick<ModelFrame, 'columns' | 'xnames' | 'n'>): FixedTerms {
  const predictors: Predictor[] = [];
  const index = new Map<string, number>();
  const columnPredictor: (number | null)[] = [];
  const kind: FixedTerms['kind'] = [];
  const pretty: string[] = [];
  const predictorOf = (label: string): number => {
    let k = index.get(label);
    if (k === undefined) {
      const c = frame.columns.get(label)!;
      // as.numeric(x): a factor's level codes (R's are 1-based; a shift leaves the variances unchanged)
      const values = c.kind === 'numeric' ? c.values : c.kind === 'factor' ? Float64Array.from(c.codes, (v) => v + 1) : new Float64Array(frame.n);
      k = predictors.push({ name: label, values }) - 1;
      index.set(label, k);
    }
    return k;
  };
  // a column's term: the variable itself (numeric), or a factor and one of its levels
  const piece = (name: string): { label: string; level: string | null } | null => {
    const c = frame.columns.get(name);
    if (c && c.kind === 'numeric') return { label: name, level: null };
    for (const [label, col] of frame.columns) {
      if (col.kind === 'factor' && name.startsWith(label) && col.levels.includes(name.slice(label.length))) return { label, level: name.slice(label.length) };
    }
    return null;
  };
  for (const name of frame.xnames) {
    if (name === '(Intercept)') { columnPredictor.push(null); kind.push('intercept'); pretty.push(name); continue; }
    const one = piece(name);
    if (one) {
      columnPredictor.push(predictorOf(one.label));
      kind.push(one.level === null ? 'numeric' : 'factor');
      pretty.push(one.level === null ? one.label : `${one.label} [${one.level}]`);
      continue;
    }
    columnPredictor.push(null);
    kind.push('other');
    // parameters's pretty names of an interaction: its pieces joined by ' × '
    const parts = name.split(':').map(piece);
    pretty.push(parts.every((x) => x !== null) ? parts.map((x) => (x!.level === null ? x!.label : `${x!.label} [${x!.level}]`)).join(' × ') : name);
  }
  return { predictors, columnPredictor, kind, pretty };
}
