/**
 * Predictions of a fitted model for new data (lme4's predict.merMod): the fixed part with the
 * fitted factor levels and contrasts, plus the conditional modes of each group seen in the fit;
 * a group not seen in the fit contributes zero (population level) when `allowNewLevels` is set.
 * `reForm` (lme4's re.form as a formula) conditions on some of the random effects only: the named
 * columns of the named grouping factors' modes (lme4's mkNewReTrms takes ranef(object)[[group]][, column]
 * for each column of each re.form term), the others contribute zero and need not be in the new data.
 * Without new data the prediction is of the fit's own rows (lme4's predict(fit): the fitted linear
 * predictor, or with `groups: false` or `reForm` the population level or some terms on those rows).
 */
import type * as arrow from 'apache-arrow';
import type { MixedModel } from '../model/mixedModel.js';
import {
  type Column, type DataColumn, columnFromArrow, evalExpr, formatNumberLevel, numericToFactor,
} from '../frame/columns.js';
import { modelMatrix } from '../frame/modelMatrix.js';
import { DataError, OptionError, showValue } from '../errors/errors.js';
import { toArrowTable } from '../io/dataInput.js';
import { type Schema, bool, checkObject, oneOf, string } from '../options/rules.js';
import { parseRandomForm } from '../formula/parse.js';
import type { RandomTerm } from '../formula/types.js';

export interface PredictOptions {
  /** include the random effects (default true); false gives population-level predictions (re.form = NA) */
  groups?: boolean;
  /**
   * lme4's re.form as a one-sided formula: condition on these random-effects terms only, e.g.
   * `'~ (1 | Subject)'` for a fit with `(Days | Subject)` (the intercepts' modes alone); `'~ 0'` is
   * the population level. Not with `groups: false`.
   */
  reForm?: string;
  /** predict for group levels not seen in the fit at population level (default false: an error, as lme4) */
  allowNewLevels?: boolean;
}

/** Columns of new data, read as the fit read its data (the same `factors`). */
function newDataSource(table: arrow.Table, factors: Set<string>): (name: string) => DataColumn {
  const cache = new Map<string, DataColumn>();
  return (name) => {
    let c = cache.get(name);
    if (!c) {
      c = columnFromArrow(table, name, factors.has(name));
      if (c.kind === 'numeric' && factors.has(name)) c = numericToFactor(c);
      cache.set(name, c);
    }
    return c;
  };
}

/** Recodes a new-data factor to the fitted levels; an unknown level is an error naming it. */
function recode(col: Column, fitted: Column, label: string): Column {
  if (fitted.kind === 'matrix' || col.kind === 'matrix') {
    // poly/ns/bs on new data: evaluated with the fitted coefficients or knots (frame.scales)
    if (fitted.kind !== 'matrix' || col.kind !== 'matrix' || col.columns.length !== fitted.columns.length) throw new Error(`internal: '${label}' is not the fitted matrix variable`);
    return col;
  }
  if (fitted.kind === 'numeric') {
    if (col.kind !== 'numeric') throw new DataError(`'${label}' was numeric in the fitted data but is a factor in the new data`);
    return col;
  }
  const newLevels = col.kind === 'factor' ? col.levels : null;
  const index = new Map(fitted.levels.map((l, k) => [l, k] as const));
  const n = col.kind === 'factor' ? col.codes.length : col.values.length;
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let key: string | null;
    if (col.kind === 'factor') key = col.codes[i] < 0 ? null : newLevels![col.codes[i]];
    else key = Number.isNaN(col.values[i]) ? null : formatNumberLevel(col.values[i]);
    if (key === null) { codes[i] = -1; continue; }
    const k = index.get(key);
    if (k === undefined) throw new DataError(`new data: level '${key}' of '${label}' was not in the fitted data (levels: ${fitted.levels.slice(0, 10).join(', ')}${fitted.levels.length > 10 ? ', …' : ''})`);
    codes[i] = k;
  }
  return { kind: 'factor', codes, levels: fitted.levels };
}

/** predict's options for an lmer fit, and for a glmer fit (which adds `type`). */
export const PREDICT_OPTIONS: Schema = { groups: bool, allowNewLevels: bool, reForm: string };
export const GLMM_PREDICT_OPTIONS: Schema = { ...PREDICT_OPTIONS, type: oneOf('link', 'response') };
/** An lmer fit's predict also gives intervals (src/inference/fitInference.ts: predictWithIntervals). */
export const LMM_PREDICT_OPTIONS: Schema = {
  ...PREDICT_OPTIONS,
  interval: oneOf('confidence', 'prediction'),
  level: (v, at) => {
    if (typeof v !== 'number' || !(v > 0 && v < 1)) throw new OptionError('level', `${at} must be a number between 0 and 1 (such as 0.95), not ${showValue(v)}`);
  },
};

/**
 * predict(newdata, options): the new data as an Arrow table, or null for the fit's own rows (no
 * newdata); `glmm` for a glmer fit's options.
 */
export function checkPredictCall(newdata: unknown, options: unknown, glmm: boolean): arrow.Table | null {
  checkObject(options, 'predict', glmm ? GLMM_PREDICT_OPTIONS : LMM_PREDICT_OPTIONS);
  const o = options as PredictOptions & { interval?: string };
  if (o.reForm !== undefined && o.groups === false) throw new OptionError('reForm', "predict: give either reForm or groups: false (re.form = NA), not both");
  if (o.reForm !== undefined && o.interval !== undefined) {
    throw new OptionError('reForm', "predict: intervals condition on every grouping factor of the fit or on none (groups: false); reForm is for point predictions");
  }
  if (newdata === undefined) {
    if (o.interval !== undefined) throw new OptionError('newdata', 'prediction and confidence intervals need new data: an Arrow table, an array of row objects or an object of columns');
    return null;
  }
  return toArrowTable(newdata, 'newdata');
}

function levelStrings(col: DataColumn): (string | null)[] {
  if (col.kind === 'factor') return Array.from(col.codes, (c) => (c < 0 ? null : col.levels[c]));
  return Array.from(col.values, (v) => (Number.isNaN(v) ? null : formatNumberLevel(v)));
}

/** What a prediction reads of a fit: the model, β̂ and the conditional modes. */
export interface PredictSource {
  model: Pick<MixedModel, 'formula' | 'frame' | 'blocks' | 'frameOptions'>;
  beta: Float64Array;
  conditionalModes(k: number): Float64Array;
}

/** New data read as the fit read its data: X (the fit's columns), the offset, and per block the rows' levels and Z. */
export interface NewDataDesign {
  n: number;
  /** n × p, column-major, the fitted X's columns */
  X: Float64Array;
  /** the offset, or null */
  offset: Float64Array | null;
  /** rows with a missing value in the fixed part */
  missing: Uint8Array;
  /**
   * per block: each row's level (−1 new, −2 missing), and Z's columns (q of length n); absent without
   * `groups`. With `reForm`, a block it does not name has every row −1 and no columns, and the columns
   * of a named block that it does not name are zero.
   */
  blocks: { codes: Int32Array; Z: Float64Array[] }[] | null;
  /** new data only: the fixed part's whole model matrix, aliased columns included (emmeans's estimability) */
  fixedFull?: { names: string[]; columns: Float64Array[] };
}

/** A block `reForm` does not name: every row a new level (contributing zero), no columns. */
function unnamedBlock(n: number): { codes: Int32Array; Z: Float64Array[] } {
  return { codes: new Int32Array(n).fill(-1), Z: [] };
}

/** A named block's q columns of Z under `reForm`: the columns it names, zero for the others. */
function chosenColumns(n: number, q: number, picked: { s: number; column: Float64Array }[]): Float64Array[] {
  const Z: Float64Array[] = Array.from({ length: q }, () => new Float64Array(n));
  for (const { s, column } of picked) Z[s] = column;
  return Z;
}

/**
 * The columns of each fitted block that `reForm` conditions on (null: the block is not named), by the
 * column names of its terms evaluated on the rows predicted (`columnsOf`); errors name a grouping
 * factor, a variable or a column that is not in the fit.
 */
function reFormSelection(model: Pick<MixedModel, 'blocks' | 'frame'>, reForm: string, columnsOf: (lhs: RandomTerm['lhs']) => { names: string[]; columns: Float64Array[] }):
  ({ s: number; column: Float64Array }[] | null)[] {
  const { blocks } = model;
  const terms = parseRandomForm(reForm);
  for (const t of terms) for (const u of t.lhs.terms) for (const v of u.vars) {
    if (!model.frame.columns.has(v.label)) throw new OptionError('reForm', `reForm: '${v.label}' is not a variable of the fitted model's random-effects terms`);
  }
  const chosen: ({ s: number; column: Float64Array }[] | null)[] = blocks.map(() => null);
  for (const t of terms) {
    const k = blocks.findIndex((b) => b.group === t.groupLabel);
    if (k < 0) {
      throw new OptionError('reForm', `reForm term ${t.text}: the grouping factor '${t.groupLabel}' is not one of the fit's (${blocks.map((b) => `'${b.group}'`).join(', ')})`);
    }
    const { names, columns } = columnsOf(t.lhs);
    names.forEach((name, c) => {
      const s = blocks[k].cnames.indexOf(name);
      if (s < 0) {
        throw new OptionError('reForm', `reForm term ${t.text}: '${name}' is not a random effect of '${t.groupLabel}' in the fit (its columns: ${blocks[k].cnames.join(', ')})`);
      }
      (chosen[k] ??= []).push({ s, column: columns[c] });
    });
  }
  return chosen;
}

/** Stage: new data → its design (the fixed part; with `groups`, the grouping levels and Z). */
export function newDataDesign(fit: Pick<PredictSource, 'model'>, newdata: arrow.Table, options: PredictOptions = {}): NewDataDesign {
  const { frame, blocks } = fit.model;
  const n = newdata.numRows;
  const source = newDataSource(newdata, new Set(fit.model.frameOptions.factors ?? []));
  const columns = new Map<string, Column>();
  const columnOf = (label: string): Column => {
    let c = columns.get(label);
    if (!c) {
      const fittedCol = frame.columns.get(label);
      if (!fittedCol) throw new Error(`internal: no fitted column '${label}'`);
      const expr = findExpr(fit, label);
      c = recode(evalExpr(expr, source, label, n, frame.scales), fittedCol, label);
      columns.set(label, c);
    }
    return c;
  };
  // fixed part: the same columns as the fit (after dropping rank-deficient ones), its factors coded by
  // the fit's contrasts
  const design = modelMatrix(frame.formula.fixed, columnOf, n, undefined, frame.contrasts);
  const p = frame.p;
  const X = new Float64Array(n * p);
  frame.xnames.forEach((name, j) => X.set(design.columns[design.names.indexOf(name)], j * n));
  let offset: Float64Array | null = null;
  for (const e of frame.formula.offsets) {
    const c = evalExpr(e, source, 'offset', n, frame.scales);
    if (c.kind !== 'numeric') throw new DataError('an offset must be numeric');
    offset ??= new Float64Array(n);
    for (let i = 0; i < n; i++) offset[i] += c.values[i];
  }
  // missing values in the fixed part give NaN (na.pass)
  const missing = new Uint8Array(n);
  for (const c of columns.values()) {
    if (c.kind === 'factor') { for (let i = 0; i < n; i++) if (c.codes[i] < 0) missing[i] = 1; }
    else if (c.kind === 'matrix') { for (const v of c.columns) for (let i = 0; i < n; i++) if (Number.isNaN(v[i])) missing[i] = 1; }
    else { for (let i = 0; i < n; i++) if (Number.isNaN(c.values[i])) missing[i] = 1; }
  }
  if (options.groups === false) return { n, X, offset, missing, blocks: null, fixedFull: design };
  const chosen = options.reForm === undefined ? null : reFormSelection(fit.model, options.reForm, (lhs) => modelMatrix(lhs, columnOf, n));
  if (chosen && chosen.every((c) => c === null)) return { n, X, offset, missing, blocks: null, fixedFull: design };
  const re = blocks.map((blk, k) => {
    if (chosen && !chosen[k]) return unnamedBlock(n);
    // the group of each new row, by the fitted level names
    const term0 = frame.reTerms[blk.terms[0].term].term;
    const parts = term0.group.map((g) => levelStrings(source(g)));
    const index = new Map(blk.levels.map((l, g) => [l, g] as const));
    const codes = new Int32Array(n);
    const unseen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const ps = parts.map((pp) => pp[i]);
      if (ps.some((x) => x === null)) { codes[i] = -2; continue; }
      const key = ps.join(':');
      const g = index.get(key);
      if (g === undefined) { unseen.add(key); codes[i] = -1; } else codes[i] = g;
    }
    if (unseen.size > 0 && !options.allowNewLevels) {
      throw new DataError(`new data has level${unseen.size > 1 ? 's' : ''} ${[...unseen].slice(0, 5).map((x) => `'${x}'`).join(', ')} of '${blk.group}' not seen in the fit: pass allowNewLevels: true to predict them at population level`);
    }
    // Z of the new rows for each term of the block (with reForm: its columns, zero for the others)
    const Z = chosen ? chosenColumns(n, blk.q, chosen[k]!) : blk.terms.flatMap((t) => modelMatrix(frame.reTerms[t.term].term.lhs, columnOf, n).columns);
    return { codes, Z };
  });
  return { n, X, offset, missing, blocks: re, fixedFull: design };
}

/**
 * Stage: the fit's own rows as a design (predict without new data): its X, offset, and per block its
 * rows' levels and Z's columns (with `reForm`, as newDataDesign selects them). A fit whose rows are in
 * an engine or a stream has none here: an error asks for the data.
 */
export function fittedDesign(fit: Pick<PredictSource, 'model'>, options: PredictOptions = {}): NewDataDesign {
  const { frame, blocks } = fit.model;
  const { n, p, X } = frame;
  if (X.length < n * p || blocks.some((b) => b.codes.length < n)) {
    throw new OptionError('newdata', "predict without newdata predicts the fit's own rows, but this fit's rows are in an SQL engine or a stream: pass the data as newdata");
  }
  const base = { n, X, offset: frame.offset, missing: new Uint8Array(n) };
  if (options.groups === false) return { ...base, blocks: null };
  const chosen = options.reForm === undefined ? null : reFormSelection(fit.model, options.reForm, (lhs) => modelMatrix(lhs, (label) => frame.columns.get(label)!, n));
  if (chosen && chosen.every((c) => c === null)) return { ...base, blocks: null };
  const re = blocks.map((blk, k) => {
    if (chosen && !chosen[k]) return unnamedBlock(n);
    const q = blk.q;
    if (chosen) return { codes: blk.codes, Z: chosenColumns(n, q, chosen[k]!) };
    const Z: Float64Array[] = Array.from({ length: q }, () => new Float64Array(n));
    for (let i = 0; i < n; i++) for (let s = 0; s < q; s++) Z[s][i] = blk.Z[i * q + s];
    return { codes: blk.codes, Z };
  });
  return { ...base, blocks: re };
}

/** The linear predictor Xβ̂ (+ offset) (+ Zb̂ with `groups`) of new data, or of the fit's rows (newdata null). */
export function predictLinear(fit: PredictSource, newdata: arrow.Table | null, options: PredictOptions = {}): Float64Array {
  const d = newdata ? newDataDesign(fit, newdata, options) : fittedDesign(fit, options);
  const { n, X } = d;
  const out = d.offset ? Float64Array.from(d.offset) : new Float64Array(n);
  const beta = fit.beta;
  beta.forEach((bj, j) => { for (let i = 0; i < n; i++) out[i] += X[j * n + i] * bj; });
  for (let i = 0; i < n; i++) if (d.missing[i]) out[i] = NaN;
  d.blocks?.forEach(({ codes, Z }, k) => {
    const b = fit.conditionalModes(k);
    const q = Z.length;
    for (let i = 0; i < n; i++) {
      const g = codes[i];
      if (g === -2) { out[i] = NaN; continue; }
      if (g < 0) {
        // a new level contributes zero, unless a variable of the term is missing: lme4 then gives
        // NA (its model frame of the new data has the row's NA, and Z's NA times b = 0 is NA), as
        // it does for a level seen in the fit
        for (let s = 0; s < q; s++) if (Number.isNaN(Z[s][i])) { out[i] = NaN; break; }
        continue;
      }
      let acc = 0;
      for (let s = 0; s < q; s++) acc += Z[s][i] * b[g * q + s];
      out[i] += acc;
    }
  });
  return out;
}

/** The expression of a term variable, by its label, from the formula. */
function findExpr(fit: Pick<PredictSource, 'model'>, label: string) {
  const f = fit.model.formula;
  for (const part of [f.fixed, ...f.random.map((r) => r.lhs)]) {
    for (const t of part.terms) for (const v of t.vars) if (v.label === label) return v.expr;
  }
  throw new Error(`internal: no formula variable '${label}'`);
}

