/**
 * The nlmer model (lme4 1.1-31 nlformula + mkReTrms + merPredD, written for the nonlinear case):
 * the data rows (R's model.frame with na.omit and drop.unused.levels), the response y, the model's
 * covariates, the grouping factors, and the random-effects layout.
 *
 * lme4 stacks the n rows once per parameter (nP rows): the parameter vector of row i is
 *   φ_i = X_i β + Z_i Λ(θ) u,   X = the parameters' indicator columns (`~ 0 + pnames`),
 * so φ_{i,k} = β_k + Σ_t b_{t,ℓ_t(i),k} over the terms t with a random effect on parameter k, where
 * b_{t,ℓ} = T_t(θ) u_{t,ℓ} (T_t the term's k_t × k_t lower-triangular template). u is laid out by
 * term, then level, then the term's parameters (lme4's Zt rows); the terms are in lme4's order
 * (mkReTrms: by decreasing number of levels when the written order is not already so).
 * θ holds each template's lower triangle by columns (lme4's), lower bound 0 on the diagonal.
 */
import type * as arrow from 'apache-arrow';
import { DataError, ModelError } from '../errors/errors.js';
import { type FactorColumn, columnFromArrow, interactFactors, numericToFactor } from '../frame/columns.js';
import type { NlFormula } from './formula.js';

/** One random-effects term of the model. */
export interface NlTerm {
  /** the grouping factor's name as lme4 prints it */
  group: string;
  /** the parameters with a random effect, their indices into the model's parameters */
  params: number[];
  /** their names */
  names: string[];
  /** levels of the grouping factor (after dropping unused ones) */
  levels: string[];
  /** level index of each used row */
  codes: Int32Array;
  /** k = params.length */
  k: number;
  /** offset of the term's first u entry */
  uOffset: number;
  /** offset of the term's first θ entry */
  thetaOffset: number;
}

export interface NlmerModel {
  formula: NlFormula;
  /** the input rows used (0-based), after na.omit, of nInput */
  rows: Int32Array;
  nInput: number;
  n: number;
  y: Float64Array;
  /** covariate columns (model's covariate order), each of length n */
  covariates: Float64Array[];
  /** the model's parameters (model order); `start` gives their values */
  params: string[];
  /** the fixed effects' names (X's columns, lme4's order) and for each its parameter index */
  fixed: string[];
  fixedParam: number[];
  terms: NlTerm[];
  /** length of u */
  q: number;
  /** length of θ */
  nTheta: number;
  /** θ's lower bounds (0 on template diagonals) */
  lower: Float64Array;
  /** θ's starting value (1 on template diagonals, 0 elsewhere; lme4's) */
  theta0: Float64Array;
}

/** Reads a numeric column; a factor is an error naming it. */
function numericColumn(table: arrow.Table, name: string, what: string): Float64Array {
  const col = columnFromArrow(table, name);
  if (col.kind !== 'numeric') throw new DataError(`the ${what} '${name}' must be numeric, not text/categorical`, { column: name });
  return col.values;
}

/** A grouping column as R's factor(): text levels sorted, numbers sorted numerically. */
export function groupingFactor(table: arrow.Table, name: string): FactorColumn {
  const col = columnFromArrow(table, name, true);
  return col.kind === 'factor' ? col : numericToFactor(col);
}

/**
 * The model of an nlmer formula on a table: columns read, rows with a missing value in any used
 * column dropped (na.omit), grouping factors with their unused levels dropped, lme4's term order.
 */
export function buildNlmerModel(formula: NlFormula, table: arrow.Table): NlmerModel {
  const N = table.numRows;
  const yAll = numericColumn(table, formula.response, 'response');
  const covAll = formula.covariates.map((c) => numericColumn(table, c, `covariate of ${formula.model.name}`));
  const groupAll: FactorColumn[] = formula.random.map((r) => interactFactors(r.group.map((g) => {
    return groupingFactor(table, g);
  })));
  const keep: number[] = [];
  for (let i = 0; i < N; i++) {
    if (!Number.isFinite(yAll[i])) { if (Number.isNaN(yAll[i])) continue; throw new DataError(`the response '${formula.response}' is not finite (${yAll[i]}) in row ${i + 1}`, { column: formula.response, row: i + 1 }); }
    let ok = true;
    for (let c = 0; c < covAll.length && ok; c++) {
      const v = covAll[c][i];
      if (Number.isNaN(v)) ok = false;
      else if (!Number.isFinite(v)) throw new DataError(`the covariate '${formula.covariates[c]}' is not finite (${v}) in row ${i + 1}`, { column: formula.covariates[c], row: i + 1 });
    }
    for (const g of groupAll) if (g.codes[i] < 0) ok = false;
    if (ok) keep.push(i);
  }
  const rows = Int32Array.from(keep);
  const n = rows.length;
  if (n === 0) throw new DataError('no complete rows: every row has a missing value in a column of the nlmer formula');
  const pick = (v: Float64Array) => Float64Array.from(rows, (i) => v[i]);
  const params = formula.parameters;
  // the terms, with unused levels dropped
  const built = formula.random.map((r, t) => {
    const g = groupAll[t];
    const used = new Int32Array(g.levels.length).fill(-1);
    const seen = new Uint8Array(g.levels.length);
    for (const i of rows) seen[g.codes[i]] = 1;
    const levels: string[] = [];
    for (let l = 0; l < g.levels.length; l++) if (seen[l]) { used[l] = levels.length; levels.push(g.levels[l]); }
    const codes = Int32Array.from(rows, (i) => used[g.codes[i]]);
    if (levels.length < 2) throw new ModelError(`grouping factor '${r.groupLabel}' has ${levels.length} level${levels.length === 1 ? '' : 's'}: a random-effects term needs at least 2`);
    if (levels.length >= n) throw new ModelError(`number of levels of grouping factor '${r.groupLabel}' (${levels.length}) must be < number of observations (${n})`);
    return { group: r.groupLabel, params: r.parameters.map((p) => params.indexOf(p)), names: r.parameters, levels, codes, k: r.parameters.length };
  });
  // lme4's mkReTrms: terms by decreasing number of levels, rev(order(nl)), when not already ordered so
  const nl = built.map((b) => b.levels.length);
  let order = built.map((_, t) => t);
  if (nl.some((v, t) => t > 0 && v > nl[t - 1])) {
    order = [...order].sort((a, b) => nl[a] - nl[b] || a - b).reverse();
  }
  let uOff = 0;
  let thOff = 0;
  const terms: NlTerm[] = order.map((t) => {
    const b = built[t];
    const term: NlTerm = { ...b, uOffset: uOff, thetaOffset: thOff };
    uOff += b.k * b.levels.length;
    thOff += (b.k * (b.k + 1)) / 2;
    return term;
  });
  const lower = new Float64Array(thOff).fill(-Infinity);
  const theta0 = new Float64Array(thOff);
  for (const t of terms) {
    let idx = t.thetaOffset;
    for (let j = 0; j < t.k; j++) {
      for (let i = j; i < t.k; i++, idx++) if (i === j) { lower[idx] = 0; theta0[idx] = 1; }
    }
  }
  return {
    formula, rows, nInput: N, n, y: pick(yAll), covariates: covAll.map(pick), params,
    fixed: formula.fixed, fixedParam: formula.fixed.map((f) => params.indexOf(f)),
    terms, q: uOff, nTheta: thOff, lower, theta0,
  };
}

/** T_t(θ): the term's lower-triangular template, row-major k × k, from θ's column-wise lower triangle. */
export function termTemplate(term: NlTerm, theta: ArrayLike<number>): Float64Array {
  const k = term.k;
  const T = new Float64Array(k * k);
  let idx = term.thetaOffset;
  for (let j = 0; j < k; j++) for (let i = j; i < k; i++) T[i * k + j] = theta[idx++];
  return T;
}
