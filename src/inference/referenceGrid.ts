/**
 * emmeans's reference grid (emmeans::ref_grid) of a fitted model: every data column of the fixed
 * part (`z` of `log(z)`, in order of first appearance; grouping factors are not in it) at
 *   - a factor's levels in the rows used (R's level order),
 *   - a covariate's mean over the rows used, or both values of a covariate with two (emmeans's
 *     cov.keep = 2: a 0/1 indicator is kept as it is),
 *   - the values given by `at` (a covariate's values, or some of a factor's levels),
 * and the grid's rows are all their combinations, the first column varying fastest. Each row's
 * model-matrix row (and offset) is the fit's own design of new data (predict's), and its weight
 * (emmeans's .wgt.) the number of rows used in which the factors and kept covariates take its values.
 * Where the fit dropped aliased columns, a row outside the row space of the full model matrix is not
 * estimable (estimability::nonest.basis): `nullBasis` is an orthonormal basis of that matrix's null space.
 * A fit whose rows are in an engine (lmerSql, lmerStream) has no rows here: the covariates' summaries,
 * the rows per cell and the full design's XᵀX come from its first pass (src/gram/gridCells.ts,
 * frame.cellCounts and frame.fullCrossProduct), and the grid is the same.
 */
import * as arrow from 'apache-arrow';
import { DataError, ModelError, OptionError, showValue } from '../errors/errors.js';
import { exprVariables, fixedVariables } from '../frame/covariates.js';
import type { Column } from '../frame/columns.js';
import { FACTOR_FUNCTIONS } from '../formula/functions.js';
import type { ModelFrame } from '../frame/modelFrame.js';
import { modelMatrix, termCoding } from '../frame/modelMatrix.js';
import type { MixedModel } from '../model/mixedModel.js';
import { newDataDesign } from '../results/predict.js';
import { symmetricEigen } from './eigen.js';

/** What the grid reads of a fit's model: its frame and formula, and what predict's design of new data reads (a clmm model has them too). */
export type GridModel = Pick<MixedModel, 'formula' | 'frame' | 'blocks' | 'frameOptions'>;

export type GridValue = string | number;

export interface GridVariable {
  name: string;
  /** a factor's levels, or a covariate's values */
  kind: 'factor' | 'covariate';
  values: GridValue[];
  /** whether its values come from the data's distinct values (factors, kept covariates), so that the weights count them */
  counted: boolean;
}

export interface ReferenceGrid {
  variables: GridVariable[];
  /** number of rows: the product of the variables' numbers of values */
  rows: number;
  /** the model-matrix rows, rows × p, row-major, in the fit's β coordinates */
  X: Float64Array;
  /** the offset of each row (0 without offsets) */
  offset: Float64Array;
  /** the number of used data rows with each grid row's counted values */
  counts: Float64Array;
  /** with aliased columns dropped: the null space of the full model matrix (columns of length pFull) and each row's full design */
  estimability: { nullBasis: Float64Array[]; Xfull: Float64Array; pFull: number; kept: number[] } | null;
}

export type AtValues = Record<string, GridValue | GridValue[]>;

/**
 * The i-th digit of a combined index in mixed radix `sizes` (the first digit varying fastest): the value
 * index of variable i in grid row `index` when `sizes` are the variables' numbers of values.
 */
export function digit(index: number, sizes: readonly number[], i: number): number {
  let stride = 1;
  for (let j = 0; j < i; j++) stride *= sizes[j];
  return Math.floor(index / stride) % sizes[i];
}

/** the grid's variables' numbers of values */
export const gridSizes = (grid: Pick<ReferenceGrid, 'variables'>): number[] => grid.variables.map((v) => v.values.length);

function checkAt(at: unknown, names: string[]): AtValues {
  if (at === undefined) return {};
  if (at === null || typeof at !== 'object' || Array.isArray(at)) throw new OptionError('at', `at must be an object of variable values ({ x: [0, 1], A: 'a1' }), not ${showValue(at)}`);
  for (const [k, v] of Object.entries(at)) {
    if (!names.includes(k)) throw new OptionError('at', `at: '${k}' is not a variable of the model's fixed part (its variables: ${names.join(', ') || 'none'})`);
    const vals = Array.isArray(v) ? v : [v];
    if (vals.length === 0) throw new OptionError('at', `at: '${k}' has no values`);
    for (const x of vals) {
      if (!(typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x)))) throw new OptionError('at', `at: '${k}' has the value ${showValue(x)}; give finite numbers or level names`);
    }
  }
  return at as AtValues;
}

/**
 * The reference grid of a fit with its rows in memory (`at` sets some variables' values). With
 * `shift`, a covariate's values are moved by `delta` after they are chosen (emtrends's second grid).
 */
export function referenceGrid(model: GridModel & { source?: { engine: string; name: string } }, at?: unknown, shift?: { name: string; delta: number }): ReferenceGrid {
  const { frame } = model;
  const covariates = frame.covariates;
  if (!covariates) throw new ModelError('emmeans: this fit has no summaries of its covariates (fit the model again with this version)');
  const names = fixedVariables(frame.formula);
  // summaries of a column and cut(): evaluated again on the grid's rows they would not be the data's
  // (R's emmeans too rebuilds them from the grid); factors built by interaction() or C(): no grid of theirs
  const rebuilt = frame.formula.fixed.terms.flatMap((t) => t.vars).find((v) => /"fn":"(mean|sd|var|median|min|max|sum|length|cut|interaction|C)"/.test(JSON.stringify(v.expr)));
  if (rebuilt) {
    throw new ModelError(`emmeans: '${rebuilt.label}' is in the fixed part: a reference grid over a summary of a column (mean(x), …), cut(), interaction() or C() is not supported (each is evaluated again on the grid's rows, not the data's); compute the column before the fit, or give the contrasts option instead of C()`);
  }
  const atValues = checkAt(at, names);
  const variables: GridVariable[] = names.map((name) => {
    const col = gridColumn(frame, name);
    const given = atValues[name];
    const list = given === undefined ? null : Array.isArray(given) ? given : [given];
    if (col?.kind === 'factor') {
      if (!list) return { name, kind: 'factor', values: [...col.levels], counted: true };
      const values = list.map((x) => {
        const s = String(x);
        if (!col.levels.includes(s)) throw new OptionError('at', `at: '${s}' is not a level of '${name}' in the rows used (levels: ${col.levels.slice(0, 10).join(', ')}${col.levels.length > 10 ? ', …' : ''})`);
        return s;
      });
      return { name, kind: 'factor', values, counted: true };
    }
    const c = covariates.get(name);
    if (!c) {
      // a factor read through relevel() or compared with a level (`sex == "F"`): no column of its own
      const use = frame.formula.fixed.terms.flatMap((t) => t.vars).find((v) => exprVariables(v.expr).has(name));
      // (a factor column compared with a number, `g2 != 3` with g2 in factors, is compared with a level too)
      if (use && ['"fn":"as.numeric"'].some((s) => JSON.stringify(use.expr).includes(s))) {
        throw new ModelError(`emmeans: '${name}' is in the fixed part as '${use.label}': a reference grid over a factor's codes (as.numeric of a factor) is not supported; refit with the codes as a column`);
      }
      if (use && ['"fn":"relevel"', '"type":"str"', '"type":"compare"'].some((s) => JSON.stringify(use.expr).includes(s))) {
        throw new ModelError(`emmeans: '${name}' is in the fixed part as '${use.label}': a reference grid over a relevel()'d factor or a factor's comparison with a level is not supported (emmeans 1.8.4 cannot rebuild such a model's data either); refit with the factor itself (its levels in the order wanted)`);
      }
      throw new Error(`internal: no summary of the covariate '${name}'`);
    }
    if (list) {
      const values = list.map((x) => {
        if (typeof x !== 'number') throw new OptionError('at', `at: '${name}' is a numeric variable; give numbers, not ${showValue(x)}`);
        return x;
      });
      return { name, kind: 'covariate', values, counted: false };
    }
    if (c.values && c.values.length === 2) return { name, kind: 'covariate', values: [...c.values], counted: true };
    return { name, kind: 'covariate', values: [c.mean], counted: false };
  });
  if (shift) {
    const k = variables.findIndex((v) => v.name === shift.name);
    if (k < 0 || variables[k].kind !== 'covariate') throw new OptionError('var', `'${shift.name}' is not a numeric variable of the model's fixed part (its covariates: ${variables.filter((v) => v.kind === 'covariate').map((v) => v.name).join(', ') || 'none'})`);
    variables[k] = { ...variables[k], values: variables[k].values.map((x) => (x as number) + shift.delta) };
  }
  const rows = variables.reduce((s, v) => s * v.values.length, 1);
  if (rows > 1_000_000) throw new ModelError(`emmeans: the reference grid would have ${rows} rows (the product of the numbers of levels of ${variables.filter((v) => v.values.length > 1).map((v) => `'${v.name}' (${v.values.length})`).join(', ')}); use 'at' to choose fewer values`);
  const grid = { variables, rows } as ReferenceGrid;
  const sizes = gridSizes(grid);
  // the grid as new data: its design through predict's (factors recoded, expressions and scale() as fitted)
  const columns: Record<string, GridValue[]> = {};
  variables.forEach((v, k) => { columns[v.name] = Array.from({ length: rows }, (_, r) => v.values[digit(r, sizes, k)]); });
  const table = gridTable(variables, columns, rows);
  const design = newDataDesign({ model }, table, { groups: false });
  const p = frame.p;
  const X = new Float64Array(rows * p);
  for (let j = 0; j < p; j++) for (let r = 0; r < rows; r++) X[r * p + j] = design.X[j * rows + r];
  const offset = design.offset ? Float64Array.from(design.offset) : new Float64Array(rows);
  grid.X = X;
  grid.offset = offset;
  grid.counts = gridCounts(model, grid);
  refuseNesting(model, grid);
  grid.estimability = estimability(model, design.fixedFull!, rows);
  return grid;
}

/** The grid as an Arrow table: factors as strings, covariates as float64. */
function gridTable(variables: GridVariable[], columns: Record<string, GridValue[]>, rows: number): arrow.Table {
  const vectors: Record<string, arrow.Vector> = {};
  for (const v of variables) {
    vectors[v.name] = v.kind === 'factor'
      ? arrow.vectorFromArray(columns[v.name] as string[], new arrow.Utf8())
      : arrow.makeVector(Float64Array.from(columns[v.name] as number[]));
  }
  if (variables.length === 0) vectors['(grid)'] = arrow.makeVector(new Float64Array(rows));
  return new arrow.Table(vectors);
}

/** The number of used rows at each grid row's counted values (factors' levels, kept covariates' values). */
function gridCounts(model: GridModel, grid: ReferenceGrid): Float64Array {
  const sizes = gridSizes(grid);
  const strides: number[] = [];
  let stride = 1;
  for (const size of sizes) { strides.push(stride); stride *= size; }
  const counts = model.frame.cellCounts ? cellGridCounts(model, grid, strides) : rowGridCounts(model, grid, strides);
  // a row's count covers every value of the variables not counted (covariates at their mean or `at`)
  const free = grid.variables.map((v, k) => (v.counted ? -1 : k)).filter((k) => k >= 0);
  if (free.length > 0) {
    for (let r = 0; r < grid.rows; r++) {
      let base = r;
      for (const k of free) base -= digit(r, sizes, k) * strides[k];
      counts[r] = counts[base];
    }
  }
  return counts;
}

/** where a fit's rows are, for messages: 'a stream', 'duckdb', … (null: in memory) */
function engineOf(model: GridModel): string | null {
  const s = (model as { source?: { engine: string } }).source;
  return s ? (s.engine === 'stream' ? 'a stream' : s.engine) : null;
}

/**
 * The fitted column a data variable of the fixed part is in the grid as: its own (a factor or a
 * numeric variable), or, for a numeric x used only as `factor(x)` / `as.factor(x)`, that factor —
 * emmeans's reference grid is over x at the factor's levels (emmeans 1.8.4: a variable inside factor()
 * is a factor of the grid). x used both inside factor() and otherwise (x + factor(x), poly(x, 2) +
 * factor(x)) is refused: the grid would need x both at levels and at a mean.
 */
function gridColumn(frame: Pick<ModelFrame, 'columns' | 'formula'>, name: string): Column | undefined {
  const uses = frame.formula.fixed.terms.flatMap((t) => t.vars).filter((v, k, all) => all.findIndex((w) => w.label === v.label) === k);
  const asFactor = uses.filter((v) => v.expr.type === 'call' && FACTOR_FUNCTIONS.has(v.expr.fn) && v.expr.args[0]?.type === 'var' && v.expr.args[0].name === name);
  if (asFactor.length === 0) return frame.columns.get(name);
  const other = uses.find((v) => !asFactor.includes(v) && exprVariables(v.expr).has(name));
  if (other || asFactor.length > 1) {
    throw new ModelError(`emmeans: '${name}' is in the fixed part both as ${asFactor.map((v) => `'${v.label}'`).join(' and ')}${other ? ` and as '${other.label}'` : ''}: its reference grid would need '${name}' both at levels and at values; not supported`);
  }
  return frame.columns.get(asFactor[0].label);
}

/** each factor level's place among a grid variable's values (−1: not in the grid) */
function levelPositions(model: GridModel, v: GridVariable): Int32Array {
  const col = gridColumn(model.frame, v.name)!;
  if (col.kind !== 'factor') throw new Error('internal: factor column expected');
  const pos = new Int32Array(col.levels.length).fill(-1);
  col.levels.forEach((l, c) => { pos[c] = v.values.indexOf(l); });
  return pos;
}

/** The counts from the rows in memory: each used row's grid row at its counted values. */
function rowGridCounts(model: GridModel, grid: ReferenceGrid, strides: number[]): Float64Array {
  const { frame } = model;
  const n = frame.n;
  const counts = new Float64Array(grid.rows);
  // each counted variable's value index per data row (−1: a value not in the grid)
  const index = new Int32Array(n);
  grid.variables.forEach((v, k) => {
    if (!v.counted) return;
    let map: Int32Array | Uint8Array;
    let lookup: (i: number) => number;
    if (v.kind === 'factor') {
      const col = gridColumn(frame, v.name)!;
      if (col.kind !== 'factor') throw new Error('internal: factor column expected');
      const pos = levelPositions(model, v);
      map = col.codes;
      lookup = (i) => pos[map[i]];
    } else {
      const c = frame.covariates!.get(v.name)!;
      map = c.codes!;
      lookup = (i) => map[i];
    }
    for (let i = 0; i < n; i++) {
      if (index[i] < 0) continue;
      const at = lookup(i);
      index[i] = at < 0 ? -1 : index[i] + at * strides[k];
    }
  });
  for (let i = 0; i < n; i++) if (index[i] >= 0) counts[index[i]] += 1;
  return counts;
}

/**
 * The counts of a fit whose rows are in an engine, from its rows per cell (frame.cellCounts): a cell
 * is at one level of each grid factor; a kept two-valued covariate (values a < b) splits its n rows
 * into n − n_b at a and n_b at b. Two kept covariates would need their joint counts per cell, which
 * the first pass does not form: refused.
 */
function cellGridCounts(model: GridModel, grid: ReferenceGrid, strides: number[]): Float64Array {
  const cc = model.frame.cellCounts!;
  const counts = new Float64Array(grid.rows);
  const kept = grid.variables.map((v, k) => ({ v, k })).filter(({ v }) => v.counted && v.kind === 'covariate');
  if (kept.length > 1) {
    throw new ModelError(`emmeans: the covariates ${kept.map(({ v }) => `'${v.name}'`).join(', ')} each take two values, and their reference grid's weights need the rows at each combination of their values, which this fit (its rows in ${engineOf(model)}) does not have: give all but one of them values with 'at', or fit with the rows in memory`);
  }
  const factors = grid.variables.map((v, k) => ({ v, k })).filter(({ v }) => v.counted && v.kind === 'factor').map(({ v, k }) => {
    const f = cc.factors.indexOf(v.name);
    if (f < 0) throw new Error(`internal: '${v.name}' is not a cell factor`);
    return { levels: cc.levels[f], pos: levelPositions(model, v), stride: strides[k] };
  });
  const upper = kept.length === 1 ? cc.upper.get(kept[0].v.name) : undefined;
  if (kept.length === 1 && !upper) throw new Error(`internal: no counts of '${kept[0].v.name}'`);
  cells: for (let c = 0; c < cc.n.length; c++) {
    let index = 0;
    for (const f of factors) {
      const at = f.levels[c] < 0 ? -1 : f.pos[f.levels[c]];
      if (at < 0) continue cells;
      index += at * f.stride;
    }
    if (upper) {
      counts[index] += cc.n[c] - upper[c];
      counts[index + strides[kept[0].k]] += upper[c];
    } else counts[index] += cc.n[c];
  }
  return counts;
}

/**
 * The full model matrix's XᵀX (before the rank check's drops): from the rows in memory, or, for a fit
 * whose rows are in an engine, the one its first pass formed (C + N m mᵀ over the cells, src/gram/moments.ts).
 */
function fullCrossProduct(model: GridModel, what: string): { names: string[]; XtX: Float64Array } {
  const { frame } = model;
  if (frame.fullCrossProduct) return { names: frame.fullCrossProduct.names, XtX: Float64Array.from(frame.fullCrossProduct.XtX) };
  const source = engineOf(model);
  if (source) throw new ModelError(`${what}: this rank-deficient fit's rows are in ${source} and its full design's XᵀX was not kept (fit it again with this version, or with the rows in memory)`);
  const full = modelMatrix(frame.formula.fixed, (label) => frame.columns.get(label)!, frame.n, undefined, frame.contrasts);
  const pf = full.names.length;
  const n = frame.n;
  const XtX = new Float64Array(pf * pf);
  for (let a = 0; a < pf; a++) {
    const ca = full.columns[a];
    for (let b = a; b < pf; b++) {
      const cb = full.columns[b];
      let s = 0;
      for (let i = 0; i < n; i++) s += ca[i] * cb[i];
      XtX[a * pf + b] = XtX[b * pf + a] = s;
    }
  }
  return { names: full.names, XtX };
}

/**
 * With aliased columns dropped by the fit: the null space of the full model matrix on the rows used
 * (eigenvectors of XᵀX with eigenvalues below 1e-7 of the largest, as a rank test) and the grid's
 * full design. A linear function ℓ is estimable when ‖Nᵀℓ‖² ≤ 1e-8 ‖ℓ‖².
 */
function estimability(model: GridModel, gridFull: { names: string[]; columns: Float64Array[] }, rows: number): ReferenceGrid['estimability'] {
  const { frame } = model;
  // the grid's full design has the data's columns (every level is in the grid): none dropped, nothing to check
  if (gridFull.names.length === frame.p) return null;
  const { names, nullBasis } = fullNullBasis(model);
  const pf = names.length;
  const Xfull = new Float64Array(rows * pf);
  names.forEach((name, a) => {
    const c = gridFull.columns[gridFull.names.indexOf(name)];
    if (!c) throw new DataError(`emmeans: the reference grid has no column '${name}'`);
    for (let r = 0; r < rows; r++) Xfull[r * pf + a] = c[r];
  });
  // the fit's β columns among the full design's
  const kept = frame.xnames.map((name) => {
    const a = names.indexOf(name);
    if (a < 0) throw new Error(`internal: the fixed-effects column '${name}' is not in the full design`);
    return a;
  });
  return { nullBasis, Xfull, pFull: pf, kept };
}

/**
 * The null space of the full model matrix on the rows used (before the rank check's drops; its
 * columns named `names`): eigenvectors of XᵀX with eigenvalues below 1e-7 of the largest, as a rank
 * test, made orthonormal. `what` names the caller in the refusal of an engine fit without the full XᵀX.
 */
export function fullNullBasis(model: GridModel, what = 'emmeans'): { names: string[]; nullBasis: Float64Array[] } {
  const full = fullCrossProduct(model, what);
  const pf = full.names.length;
  const XtX = full.XtX;
  // column scales, so that the rank test does not depend on the units
  const scale = Array.from({ length: pf }, (_, a) => Math.sqrt(XtX[a * pf + a]) || 1);
  for (let a = 0; a < pf; a++) for (let b = 0; b < pf; b++) XtX[a * pf + b] /= scale[a] * scale[b];
  const eig = symmetricEigen(XtX, pf);
  const top = Math.max(...eig.values);
  // the null space: D⁻¹ v for the eigenvectors v with eigenvalues below 1e-7 of the largest, made
  // orthonormal (Gram–Schmidt) in the unscaled coordinates
  const nullBasis: Float64Array[] = [];
  for (let m = 0; m < pf; m++) {
    if (eig.values[m] > 1e-7 * top) continue;
    const v = new Float64Array(pf);
    for (let a = 0; a < pf; a++) v[a] = eig.vectors[a * pf + m] / scale[a];
    for (const u of nullBasis) {
      let d = 0;
      for (let a = 0; a < pf; a++) d += u[a] * v[a];
      for (let a = 0; a < pf; a++) v[a] -= d * u[a];
    }
    let ss = 0;
    for (let a = 0; a < pf; a++) ss += v[a] * v[a];
    const nv = Math.sqrt(ss);
    for (let a = 0; a < pf; a++) v[a] /= nv;
    nullBasis.push(v);
  }
  return { names: full.names, nullBasis };
}

/**
 * emmeans's detection of nested factors (its .find_nests, run by ref_grid), so that a nested design is
 * refused rather than given means of cells that do not exist:
 *  - in the data: variable v (of more than one value) is nested in w when each of v's values occurs
 *    with one value of w in the grid rows of positive weight (w not already nested in v);
 *  - in the formula: a variable with no main effect, coded by indicators in an interaction
 *    (R's factor pattern 2: `b` in `a + a:b`), is nested in the variables coded 2 in its terms;
 * then the relation is closed transitively and a variable nested in itself is dropped (`a:b` alone).
 * Returns each nested variable with the variables it is nested in.
 */
export function nestedVariables(model: GridModel, grid: Pick<ReferenceGrid, 'variables' | 'rows' | 'counts'>): Map<string, string[]> {
  const result = new Map<string, string[]>();
  const sizes = gridSizes(grid as ReferenceGrid);
  const many = grid.variables.map((v, k) => ({ name: v.name, k })).filter(({ k }) => sizes[k] > 1);
  if (many.length < 2) return result;
  const used: number[] = [];
  for (let r = 0; r < grid.rows; r++) if (grid.counts[r] > 0) used.push(r);
  for (const { name, k } of many) {
    const excl = [...result.keys()].filter((other) => result.get(other)!.includes(name));
    const in_: string[] = [];
    for (const o of many) {
      if (o.k === k || excl.includes(o.name)) continue;
      // the largest number of w's values that occur with one of v's values
      const seen = Array.from({ length: sizes[k] }, () => new Set<number>());
      for (const r of used) seen[digit(r, sizes, k)].add(digit(r, sizes, o.k));
      if (Math.max(...seen.map((s) => s.size)) === 1) in_.push(o.name);
    }
    if (in_.length > 0) result.set(name, in_);
  }
  // the formula's pattern: fac[v][term] = 0 (absent), 1 (contrasts) or 2 (indicators)
  const part = model.frame.formula.fixed;
  const pattern = termCoding(part, () => 0);
  const names = many.map((m) => m.name);
  const rowsOf = names.filter((v) => part.terms.some((t) => t.vars.some((x) => x.label === v)));
  const code = (v: string, j: number) => {
    const k = part.terms[j].vars.findIndex((x) => x.label === v);
    return k < 0 ? 0 : pattern[j][k] ? 1 : 2;
  };
  for (const v of rowsOf.filter((x) => !part.terms.some((t) => t.label === x))) {
    let cols = part.terms.map((_, j) => j).filter((j) => code(v, j) === 1);
    let self = false;
    if (cols.length === 0) { cols = part.terms.map((_, j) => j).filter((j) => code(v, j) === 2); self = true; }
    // each column's variables coded 2 (v itself counted 1 where it was 2), supersets of another dropped
    const sets = cols.map((j) => rowsOf.filter((w) => !(self && w === v) && code(w, j) === 2));
    const minimal = sets.filter((s, i) => !sets.some((o, m) => m !== i && o.length < s.length && o.every((w) => s.includes(w))));
    const nst = [...new Set(minimal.flat())];
    if (nst.length > 0) result.set(v, [...new Set([...(result.get(v) ?? []), ...nst])]);
  }
  for (const v of [...result.keys()]) result.set(v, [...new Set([...result.get(v)!.flatMap((w) => result.get(w) ?? []), ...result.get(v)!])]);
  for (const v of [...result.keys()]) if (result.get(v)!.includes(v)) result.delete(v);
  return result;
}

function refuseNesting(model: GridModel, grid: ReferenceGrid): void {
  const nests = nestedVariables(model, grid);
  if (nests.size === 0) return;
  const text = [...nests].map(([v, ws]) => `${v} %in% ${ws.length > 1 ? `(${ws.join('*')})` : ws[0]}`).join(', ');
  throw new ModelError(`emmeans: a nesting structure was detected in the fitted model (${text}: each level occurs within one level of the other, or the formula codes it within it); emmeans's nested reference grids are not available here`);
}

/** Whether ℓ (full coordinates) is estimable: ‖Nᵀℓ‖² < 1e-8 ‖ℓ‖² (estimability::is.estble; 1 for ‖ℓ‖² < 1e-8). */
export function isEstimable(nullBasis: Float64Array[], l: ArrayLike<number>): boolean {
  let ll = 0;
  for (let a = 0; a < l.length; a++) ll += l[a] * l[a];
  let proj = 0;
  for (const v of nullBasis) {
    let d = 0;
    for (let a = 0; a < l.length; a++) d += v[a] * l[a];
    proj += d * d;
  }
  return proj < 1e-8 * (ll < 1e-8 ? 1 : ll);
}
