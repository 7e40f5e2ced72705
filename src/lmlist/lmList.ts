/**
 * lme4's lmList (1.1-31): `lmList(y ~ x | g, data, pool)` fits the linear model `y ~ x` by least
 * squares in each level of g, as lme4 does by calling lm on each group's rows:
 *  - the groups: the levels of g among the rows where g is present (R's factor(g), unused levels
 *    dropped; a numeric g in numeric order), rows with a missing g in no group (R's split);
 *  - in each group, lm's na.omit (its rows with a missing value in a variable of the model left
 *    out), the model matrix with the factors' levels present in the group only (lm's
 *    drop.unused.levels: a group lacking a factor's level has no coefficient for it, a group
 *    lacking the first level has the next one as its baseline), and lm.fit's QR with R's aliasing
 *    rule (leastSquares.ts: an aliased coefficient is NA);
 *  - a group where lm stops is a failed fit (lme4's NULL element, with its warning): no complete
 *    rows ("0 (non-NA) cases"), or a factor with one level in the group ("contrasts can be applied
 *    only to factors with 2 or more levels"); its rows of coef(), summary() and confint() are NA.
 * The methods are lme4's: coef (coef.lmList4), pooledSD / sigma, summary (summary.lmList4: with
 * pool, each group's standard errors scaled to the pooled residual SD and its p-values on the
 * pooled df), confint (confint.lmList4: each group's own intervals unless pool is asked for, as
 * lme4 1.1-31 whatever the fit's pool), fitted and residuals (fitted.lmList4, residuals.lmList4),
 * and the printouts of show, print(summary) and print(confint) (print.ts).
 *
 * With `family` (binomial, poisson; lme4's lmList(…, family)) each group's model is a glm, fitted
 * by glm.fit's IRLS (glmFit.ts); summary's tests are z tests and confint is refused.
 *
 * Not offered (refused with the reason): other families and links, weights and offset(), scale() in
 * the model (lm evaluates it on each group's rows), a grouping interaction or nesting.
 */
import type * as arrow from 'apache-arrow';
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import { parseGroupedFormula } from '../formula/parse.js';
import { COLUMN_FUNCTIONS } from '../formula/functions.js';
import type { Expr, GroupedFormula } from '../formula/types.js';
import { type Column, type FactorColumn, columnFromArrow, numericToFactor, subsetColumn } from '../frame/columns.js';
import { buildModelFrame } from '../frame/modelFrame.js';
import { factorCodable, modelMatrix } from '../frame/modelMatrix.js';
import { constantColumn } from '../frame/rowPasses.js';
import type { DataInput } from '../io/dataInput.js';
import { toArrowTable } from '../io/dataInput.js';
import { bool, checkObject, columnNames, string } from '../options/rules.js';
import { formatR } from '../results/rFormat.js';
import { pvalueT, qt } from '../stats/distributions.js';
import { type LeastSquaresFit, leastSquares } from './leastSquares.js';
import { glmFit } from './glmFit.js';
import { type GlmFamily, makeFamily } from '../glmm/family.js';
import { printLmList } from './print.js';

export interface LmListOptions {
  /** lme4's `pool`: summary() with the pooled residual SD and df (default true, as lme4 for lm); confint() is pooled only when asked (as lme4's) */
  pool?: boolean;
  /** numeric columns to read as factors (as R's factor()) */
  factors?: string[];
  /** the data's name in the printouts' Call (default 'data') */
  dataName?: string;
  /**
   * lme4's `family`: a glm in each group (binomial or poisson, canonical links), by glm.fit's IRLS
   * (glmFit.ts); the summary's tests are then z tests, pool is false (lme4's default for a family
   * without a dispersion) and confint is refused (R's confint of a glm is MASS's profile likelihood)
   */
  family?: LmListFamily;
}

/** the glm families lmList fits (their canonical links) */
export type LmListFamily = 'binomial' | 'poisson';

/** lmList's options and the reasons for those refused. */
const LMLIST_OPTIONS = {
  pool: bool,
  factors: columnNames,
  dataName: string,
  family: (v: unknown) => {
    if (v === 'binomial' || v === 'poisson') return;
    throw new OptionError('family', `lmList: family ${showValue(v)} is not supported: 'binomial' or 'poisson' (a glm in each group, canonical link), or none (lm in each group)`);
  },
};

/** One group's fit, or the reason lm stopped there. */
export interface LmListGroup {
  /** the level of the grouping factor */
  name: string;
  /** the group's rows where the grouping variable is present (R's table(groups)), 0-based input rows */
  rows: Int32Array;
  /** the rows of the fit: the group's complete rows (lm's na.omit), 0-based input rows */
  fitRows: Int32Array;
  /** lm's fit (a glm's with a family: GlmFit); null where lm stopped (lme4's NULL element) */
  fit: LeastSquaresFit | null;
  /** lm's error where it stopped */
  error?: string;
}

/** R's NA is null in the tables below; NaN is R's NaN (a value computed as 0/0, as R computes it). */
export type RValue = number | null;

/** A table by group: rows the groups, columns the coefficients (null for R's NA). */
export interface LmListCoef {
  groups: string[];
  names: string[];
  /** values[g][j] */
  values: RValue[][];
}

/** summary.lmList4: per coefficient and group, the estimate, SE, t and p (null for R's NA). */
export interface LmListSummary {
  pool: boolean;
  groups: string[];
  /** the coefficients estimated in some group (summary.lm's rows: aliased ones left out) */
  names: string[];
  /** [coefficient][group] */
  estimate: RValue[][];
  se: RValue[][];
  t: RValue[][];
  p: RValue[][];
  /** each group's residual SD √(RSS/(n − rank)) (summary.lm's sigma; NaN or Infinity with no residual df, null for a failed group and for a glm) */
  sigma: RValue[];
  /** 't' (lm) or 'z' (a glm without a dispersion: summary.glm's z tests) */
  statistic: 't' | 'z';
  /** each group's [rank, n − rank, columns] (summary.lm's df); null for a failed group */
  df: ([number, number, number] | null)[];
  /** with pool: the pooled residual SD and its df */
  RSE?: number;
  dfResidual?: number;
}

/** confint.lmList4: per coefficient and group, the interval (null for R's NA). */
export interface LmListConfint {
  level: number;
  pool: boolean;
  groups: string[];
  /** the coefficients: those of the first group's fit (lme4 takes confint's rows from it) */
  names: string[];
  /** R's column names, "2.5 %" and "97.5 %" */
  columns: [string, string];
  /** [coefficient][group] */
  lower: RValue[][];
  upper: RValue[][];
}

/** fitted / residuals as lme4 concatenates them: by group in the order the groups first appear in the data. */
export interface LmListValues {
  /** each value's group */
  groups: string[];
  values: Float64Array;
  /** each value's input row (0-based); −1 for a failed group's padding (its complete rows have no fit) */
  rows: Int32Array;
}

export type LmListResidualType = 'response' | 'pearson' | 'pooled.pearson';

export class LmList {
  constructor(
    /** the formula as parsed */
    readonly formula: GroupedFormula,
    /** the groups in level order (names(lmList)) */
    readonly groups: LmListGroup[],
    /** the order the groups first appear in the data (lme4's origOrder), indices into groups */
    readonly origOrder: number[],
    /** lme4's pool */
    readonly pool: boolean,
    readonly dataName: string,
    /** notes: rows without a group, lme4's warning for the failed fits */
    readonly messages: string[],
    /** the glm family of each group's fit, or null for lm */
    readonly family: GlmFamily | null = null,
  ) {}

  /** lme4's show(): the printout's lines (print.ts). */
  print(): string[] {
    return printLmList(this);
  }

  /** The groups whose fit failed (lme4's NULL elements). */
  get failed(): string[] {
    return this.groups.filter((g) => !g.fit).map((g) => g.name);
  }

  /** coef.lmList4: groups × the union of the coefficients' names (in the groups' order), NA where a group has none. */
  coef(): LmListCoef {
    const names: string[] = [];
    for (const g of this.groups) for (const n of g.fit?.names ?? []) if (!names.includes(n)) names.push(n);
    const values = this.groups.map((g) => names.map((n) => {
      const j = g.fit ? g.fit.names.indexOf(n) : -1;
      return j < 0 || g.fit!.aliased[j] ? null : g.fit!.beta[j];
    }));
    return { groups: this.groups.map((g) => g.name), names, values };
  }

  /**
   * lme4's pooledSD: √(Σ RSS_g / Σ (n_g − p_g)) over the fitted groups, with p_g the number of the
   * group's coefficients, aliased ones included (lme4 counts length(coef)); a group with fewer rows
   * than coefficients lowers the df (a one-row group of y ~ x counts −1), as in lme4.
   */
  pooledSD(): { sd: number; df: number } {
    // a family without a dispersion: lme4's pooledSD is 1 with df NA
    if (this.family) return { sd: 1, df: NaN };
    let rss = 0, df = 0;
    for (const g of this.groups) {
      if (!g.fit) continue;
      rss += g.fit.rss;
      df += g.fit.residuals.length - g.fit.names.length;
    }
    if (df === 0) throw new ModelError('lmList: no degrees of freedom for estimating the pooled residual SD (every group has as many coefficients as rows)');
    return { sd: Math.sqrt(rss / df), df };
  }

  /** sigma.lmList4: the pooled residual SD. */
  sigma(): number {
    return this.pooledSD().sd;
  }

  /**
   * summary.lmList4: each group's summary.lm coefficient table (SE = √(cov.unscaled_jj RSS/(n − rank)),
   * t = estimate/SE, p on n − rank df); with pool, SE × s/σ_g, t × σ_g/s and p on the pooled df (s
   * the pooled SD), as lme4 (a group with no residual df has σ_g NaN or ∞: its SE, t and p NaN).
   */
  summary(options: { pool?: boolean } = {}): LmListSummary {
    checkObject(options, 'summary', { pool: bool });
    const pool = options.pool ?? this.pool;
    if (pool && this.family) throw noPool(this.family);
    const fitted = this.groups.filter((g) => g.fit);
    if (fitted.length === 0) throw new ModelError(`lmList: every group's fit failed (${this.groups.map((g) => `${g.name}: ${g.error}`).join('; ')})`);
    const names: string[] = [];
    for (const g of fitted) g.fit!.names.forEach((n, j) => { if (!g.fit!.aliased[j] && !names.includes(n)) names.push(n); });
    const na = (): RValue[][] => names.map(() => this.groups.map(() => null));
    const estimate = na(), se = na(), t = na(), p = na();
    const sigma: RValue[] = this.groups.map(() => null);
    const df: ([number, number, number] | null)[] = this.groups.map(() => null);
    const pooled = pool ? this.pooledSD() : null;
    this.groups.forEach((g, gi) => {
      const f = g.fit;
      if (!f) return;
      // summary.lm: resvar = RSS/(n − rank) (NaN or ∞ at 0 df, as R's division); summary.glm: the dispersion 1
      const resvar = this.family ? 1 : f.rss / f.dfResidual;
      const sigmaG = Math.sqrt(resvar);
      if (!this.family) sigma[gi] = sigmaG;
      df[gi] = [f.rank, f.dfResidual, f.names.length];
      // summary.lmList4's scaling to the pooled SD
      const corRSE = pooled ? pooled.sd / sigmaG : 1;
      names.forEach((n, c) => {
        const j = f.names.indexOf(n);
        if (j < 0 || f.aliased[j]) {
          // not estimated in this group: NA, but R's NA × NaN is NaN, so the pooled scaling of a
          // group whose σ_g is NaN (no residual df) leaves NaN in its SE column, as lme4 prints it
          if (Number.isNaN(corRSE)) se[c][gi] = NaN;
          return;
        }
        const s = Math.sqrt(f.covUnscaledDiag[j] * resvar);
        const tval = f.beta[j] / s;
        const tc = tval / corRSE;
        estimate[c][gi] = f.beta[j];
        se[c][gi] = s * corRSE;
        t[c][gi] = tc;
        // 2 P(T > |t|) on the pooled df (pool) or the group's; a glm's 2 P(Z > |z|)
        p[c][gi] = pvalueT(tc, this.family ? Infinity : pooled ? pooled.df : f.dfResidual);
      });
    });
    return {
      pool, groups: this.groups.map((g) => g.name), names, estimate, se, t, p, sigma, statistic: this.family ? 'z' : 't', df,
      ...(pooled ? { RSE: pooled.sd, dfResidual: pooled.df } : {}),
    };
  }

  /**
   * confint.lmList4 at `level`: with pool, β̂_j ± √(cov.unscaled_jj) s t_{df}((1 ± level)/2) (s, df the
   * pooled SD and df), else each group's confint.lm (its own σ_g and n − rank df). `pool` defaults to
   * false whatever the fit's pool, as lme4 1.1-31's confint(fit) (it reads object$pool, which is NULL:
   * the fit's pool is an attribute), so confint(fit, pool = TRUE) is lme4's pooled one. The coefficients
   * are the first group's (lme4 takes them from its fit): the first group's fit failing is an error,
   * and so is (without pool) a group whose coefficients are not the first group's where lme4 would
   * stop ("subscript out of bounds") or put an interval in another coefficient's row.
   */
  confint(options: { level?: number; pool?: boolean } = {}): LmListConfint {
    checkObject(options, 'confint', { level: levelRule, pool: bool });
    const level = options.level ?? 0.95;
    const pool = options.pool ?? false;
    if (this.family) {
      throw new ModelError(`lmList confint: the groups' fits are glms (${this.family.family}); R's confint of a glm is MASS's profile-likelihood interval, which is not offered here`);
    }
    const first = this.groups[0];
    if (!first?.fit) {
      throw new ModelError(`lmList confint: the first group's fit (${first?.name}) failed (${first?.error}); lme4's confint takes its coefficients from the first group's fit`);
    }
    const names = first.fit.names.slice();
    const a = (1 - level) / 2;
    const lower: RValue[][] = names.map(() => this.groups.map(() => null));
    const upper: RValue[][] = names.map(() => this.groups.map(() => null));
    const pooled = pool ? this.pooledSD() : null;
    this.groups.forEach((g, gi) => {
      const f = g.fit;
      if (!f) return;
      if (!pool && (f.names.length === names.length ? f.names.some((n, j) => n !== names[j]) : f.names.some((n) => !names.includes(n)))) {
        throw new ModelError(
          `lmList confint (pool = FALSE): group ${g.name}'s coefficients (${f.names.join(', ')}) are not the first group's (${names.join(', ')}); lme4 ${f.names.length === names.length ? "would put them in the first group's rows by position" : 'stops there (subscript out of bounds)'}: use pool = TRUE`,
        );
      }
      // the factors: pooled s t_df(a), s t_df(1 − a); or the group's t_{n−rank}(a), t(1 − a) with its own σ_g
      const s = pooled ? pooled.sd : Math.sqrt(f.rss / f.dfResidual);
      const df = pooled ? pooled.df : f.dfResidual;
      const lo = s * qt(a, df), hi = s * qt(1 - a, df);
      names.forEach((n, c) => {
        const j = f.names.indexOf(n);
        if (j < 0 || f.aliased[j]) return;
        const root = Math.sqrt(f.covUnscaledDiag[j]);
        lower[c][gi] = f.beta[j] + root * lo;
        upper[c][gi] = f.beta[j] + root * hi;
      });
    });
    return { level, pool, groups: this.groups.map((g) => g.name), names, columns: percentNames(a), lower, upper };
  }

  /**
   * fitted.lmList4: each group's fitted values, the groups in the order they first appear in the
   * data, a failed group's rows NaN (lme4's NA). (lme4 1.1-31 stops there when the grouping variable
   * has a missing value, or when a group has rows with missing values; here those rows are left out.)
   */
  fitted(): LmListValues {
    return this.concat((f) => f.fitted);
  }

  /**
   * residuals.lmList4: 'response' (y − ŷ), 'pearson' (each group's divided by √(RSS_g/(n_g − p_g)),
   * p_g counting aliased coefficients as lme4), 'pooled.pearson' (divided by the pooled SD).
   */
  residuals(type: LmListResidualType = 'response'): LmListValues {
    if (type !== 'response' && type !== 'pearson' && type !== 'pooled.pearson') {
      throw new OptionError('type', `lmList residuals: type must be 'response', 'pearson' or 'pooled.pearson' (lme4's residuals.lmList4), not ${showValue(type)}`);
    }
    const pooled = type === 'pooled.pearson' ? this.pooledSD().sd : 1;
    return this.concat((f) => {
      const scale = type === 'pearson' ? Math.sqrt(f.rss / (f.residuals.length - f.names.length)) : pooled;
      return type === 'response' ? f.residuals : f.residuals.map((r) => r / scale);
    });
  }

  private concat(values: (f: LeastSquaresFit) => Float64Array): LmListValues {
    const groups: string[] = [];
    const out: number[] = [];
    const rows: number[] = [];
    for (const gi of this.origOrder) {
      const g = this.groups[gi];
      if (g.fit) {
        const v = values(g.fit);
        v.forEach((x, i) => { groups.push(g.name); out.push(x); rows.push(g.fitRows[i]); });
      } else {
        // lme4: rep(NA, the group's rows)
        for (let i = 0; i < g.rows.length; i++) { groups.push(g.name); out.push(NaN); rows.push(-1); }
      }
    }
    return { groups, values: Float64Array.from(out), rows: Int32Array.from(rows) };
  }
}

/** pool with a family without a dispersion: refused. */
function noPool(family: GlmFamily): OptionError {
  return new OptionError('pool', `lmList: pool = TRUE with family ${family.family}: a ${family.family} glm has no dispersion to pool (lme4's pooledSD is then 1 with NA df, and its default pool is FALSE); leave pool unset or false`);
}

/** confint's `level`: strictly between 0 and 1. */
function levelRule(v: unknown, at: string): void {
  if (typeof v !== 'number' || !(v > 0 && v < 1)) throw new OptionError('level', `${at} must be a number strictly between 0 and 1 (such as 0.95), not ${showValue(v)}`);
}

/** R's confint column names: format(100 a, digits = 3) "%" (stats:::format.perc), "2.5 %", "97.5 %". */
function percentNames(a: number): [string, string] {
  const [lo, hi] = formatR([100 * a, 100 * (1 - a)], 3).map((s) => `${s.trim()} %`);
  return [lo, hi];
}

/** Whether an expression uses a function of the whole column (scale(), mean(), cut(), …). */
function usesColumnFunction(e: Expr): boolean {
  switch (e.type) {
    // cut(x, breaks = 3): its breaks from the rows' range, per group in R's lmList
    case 'call': return COLUMN_FUNCTIONS.has(e.fn) || e.fn === 'cut' || e.args.some(usesColumnFunction);
    case 'neg': return usesColumnFunction(e.arg);
    case 'binop': case 'compare': case 'and': return usesColumnFunction(e.left) || usesColumnFunction(e.right);
    case 'not': return usesColumnFunction(e.arg);
    default: return false;
  }
}

/**
 * Fits lme4's lmList: `formula` is `y ~ terms | g`, one linear model per level of g (see the file's
 * comment). `input`: an Arrow table, an array of row objects or an object of columns.
 */
export function lmList(formula: string, input: DataInput, options: LmListOptions = {}): LmList {
  checkObject(options, 'lmList', LMLIST_OPTIONS);
  const grouped = parseGroupedFormula(formula);
  const table: arrow.Table = toArrowTable(input);
  const model = grouped.model;
  if (model.offsets.length > 0) throw new ModelError(`lmList: offset() in '${formula}' is not supported (each group's lm would take it; not offered here)`);
  const vars = model.fixed.terms.flatMap((t) => t.vars);
  const scaled = vars.find((v) => usesColumnFunction(v.expr)) ?? (model.response.kind === 'expr' && usesColumnFunction(model.response.expr) ? { label: model.response.label } : undefined);
  if (scaled) throw new ModelError(`lmList: '${scaled.label}' in '${formula}': lm evaluates the summaries of a column (mean(x), …), cut() and scale() on each group's rows, which this lmList does not; compute the column before the fit`);
  if (vars.some((v) => v.label === grouped.group)) throw new ModelError(`lmList: the grouping variable '${grouped.group}' is also in the model '${model.text}': it is constant within each group`);
  const factorSet = new Set(options.factors ?? []);
  // the grouping factor over all input rows (R's factor(g): the levels present, a numeric g in numeric order)
  let gcol = columnFromArrow(table, grouped.group, true);
  if (gcol.kind === 'numeric') gcol = numericToFactor(gcol);
  const group = subsetColumn(gcol, null) as FactorColumn;
  // the model's rows: those complete in the model's variables (each group's lm drops the others: its na.omit).
  // The model frame evaluates the variables, drops the incomplete rows and codes the factors; its
  // global X is not used (each group's X is built from its own rows). observationLevel: the frame's
  // check that X alone does not reproduce y is a mixed model's, not lm's.
  const family = options.family ? makeFamily(options.family) : null;
  if (family && options.pool === true) throw noPool(family);
  const frame = buildModelFrame(model, table, { factors: [...factorSet].filter((f) => f !== grouped.group), observationLevel: true }, family ? { family: family.family } : undefined);
  const nInput = table.numRows;
  // frame index of each input row (−1: incomplete)
  const frameIndex = new Int32Array(nInput).fill(-1);
  for (let i = 0; i < frame.n; i++) frameIndex[frame.rows ? frame.rows[i] : i] = i;
  const L = group.levels.length;
  if (L === 0) throw new ModelError(`lmList: the grouping variable '${grouped.group}' has no non-missing values`);
  const rowsOf: number[][] = Array.from({ length: L }, () => []);
  const origOrder: number[] = [];
  const seen = new Uint8Array(L);
  let noGroup = 0;
  for (let i = 0; i < nInput; i++) {
    const c = group.codes[i];
    if (c < 0) { noGroup++; continue; }
    rowsOf[c].push(i);
    if (!seen[c]) { seen[c] = 1; origOrder.push(c); }
  }
  const glmWarnings: string[] = [];
  const groups: LmListGroup[] = group.levels.map((name, c) => {
    const rows = Int32Array.from(rowsOf[c]);
    const keep = Int32Array.from(rowsOf[c].map((i) => frameIndex[i]).filter((k) => k >= 0));
    const fitRows = Int32Array.from(keep, (k) => (frame.rows ? frame.rows[k] : k));
    // lm.fit: "0 (non-NA) cases"
    if (keep.length === 0) return { name, rows, fitRows, fit: null, error: '0 (non-NA) cases' };
    // the group's columns, unused levels dropped (lm's model.frame with drop.unused.levels)
    const columns = new Map<string, Column>();
    for (const [label, col] of frame.columns) columns.set(label, subsetColumn(col, keep));
    // lm stops on a factor of one level in the group (model.matrix's contrasts)
    for (const v of vars) {
      const col = columns.get(v.label)!;
      if (col.kind === 'factor' && !factorCodable(col.levels)) {
        return { name, rows, fitRows, fit: null, error: 'contrasts can be applied only to factors with 2 or more levels' };
      }
    }
    const n = keep.length;
    const X = modelMatrix(model.fixed, (label) => columns.get(label)!, n, () => constantColumn(n, 1));
    const y = Float64Array.from(keep, (k) => frame.y[k]);
    if (!family) return { name, rows, fitRows, fit: leastSquares(X, y) };
    // glm: the prior weights (binomial cbind: the numbers of trials)
    const wt = Float64Array.from(keep, (k) => frame.weights?.[k] ?? 1);
    try {
      const fit = glmFit(X, y, wt, family);
      for (const w of fit.warnings) glmWarnings.push(`group ${name}: ${w}`);
      return { name, rows, fitRows, fit };
    } catch (e) {
      // glm.fit's errors (no valid coefficients, the step not corrected): a failed group, as lme4's
      if (!(e instanceof ModelError)) throw e;
      return { name, rows, fitRows, fit: null, error: e.message };
    }
  });
  const messages = frame.messages.filter((m) => /dropped for missing values/.test(m));
  if (noGroup > 0) messages.push(`${noGroup} row${noGroup > 1 ? 's' : ''} with a missing '${grouped.group}' in no group`);
  const failed = groups.filter((g) => !g.fit);
  if (failed.length > 0) {
    // lme4's warning (warnErrList's message; its wording for a factor with one level)
    const byError = new Map<string, string[]>();
    for (const g of failed) byError.set(g.error!, [...(byError.get(g.error!) ?? []), g.name]);
    for (const [error, names] of byError) {
      messages.push(error.startsWith('contrasts')
        ? `Fitting failed for ${names.length} group(s) (${names.join(', ')}), probably because a factor only had one level: ${error}`
        : `${names.length} error${names.length > 1 ? 's' : ''} caught in lm.fit (${names.join(', ')}): ${error}`);
    }
  }
  messages.push(...glmWarnings);
  return new LmList(grouped, groups, origOrder, options.pool ?? !family, options.dataName ?? 'data', messages, family);
}
