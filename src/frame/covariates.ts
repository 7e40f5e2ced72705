/**
 * The fixed part's numeric variables as emmeans's reference grid reads them (emmeans::ref_grid): each
 * variable of the data that the fixed-effects terms or offsets use — `z` of `log(z)`, not the term —
 * summarized over the rows the fit used: its mean (R's mean: the sum over m, then the mean of the
 * residuals added) and, where it takes at most two distinct values, those values in increasing order
 * with each row's index among them (emmeans's cov.keep = 2 keeps such a covariate, e.g. a 0/1
 * indicator, at both values and weighs them by their frequencies).
 */
import type { Expr, Formula, Term } from '../formula/types.js';
import type { Column } from './columns.js';

export interface CovariateSummary {
  /** the mean over the rows used */
  mean: number;
  /** the smallest and largest values over the rows used (emtrends's step is 0.001 of their range) */
  min: number;
  max: number;
  /** the distinct values in increasing order where there are at most two, else null */
  values: number[] | null;
  /** with `values`: each used row's index into them */
  codes: Uint8Array | null;
}

/**
 * The rows used, counted per cell, for a fit whose rows are in an engine (src/gram/gridCells.ts): what
 * the reference grid's weights and nesting check read in place of the rows. A cell is a combination
 * of the levels of the factors the model matrices use (the engine's first pass groups by them).
 */
export interface CellCounts {
  /** the cell factors (labels = data columns) */
  factors: string[];
  /** each cell's level index per factor: levels[f][cell] */
  levels: Int32Array[];
  /** rows used per cell */
  n: Float64Array;
  /**
   * per covariate with exactly two values a < b: the cell's rows at b, (Σv − n·a)/(b − a) rounded —
   * exact for a two-valued variable (rows at a: n minus it)
   */
  upper: Map<string, Float64Array>;
}

/**
 * The full fixed-effects design's XᵀX (every column before the rank check drops aliased ones),
 * for a rank-deficient fit whose rows are in an engine: emmeans's estimability reads its null space.
 */
export interface FullCrossProduct {
  names: string[];
  /** pf × pf, row-major */
  XtX: Float64Array;
}

/** The names of the data columns an expression reads. */
export function exprVariables(e: Expr, out: Set<string> = new Set()): Set<string> {
  switch (e.type) {
    case 'var': out.add(e.name); break;
    case 'num': break;
    case 'neg': exprVariables(e.arg, out); break;
    case 'binop': case 'compare': case 'and': exprVariables(e.left, out); exprVariables(e.right, out); break;
    case 'not': exprVariables(e.arg, out); break;
    case 'str': break;
    case 'call': for (const a of e.args) exprVariables(a, out); break;
  }
  return out;
}

/** The data columns a model term reads (`z` of `log(z)`; `a` and `b` of `a:b`). */
export function termVariables(term: Term, out: Set<string> = new Set()): Set<string> {
  for (const v of term.vars) exprVariables(v.expr, out);
  return out;
}

/**
 * The data columns of the fixed-effects terms and the offsets, in order of first appearance in the
 * formula's fixed part as written (R's all.vars of lme4's nobars(formula): `y ~ A:B + x` gives A, B,
 * x, where the terms' order, by degree, would give x first).
 */
export function fixedVariables(formula: Formula): string[] {
  const out = new Set<string>();
  for (const t of formula.fixed.terms) termVariables(t, out);
  for (const e of formula.offsets) exprVariables(e, out);
  const text = fixedText(formula.text);
  const position = (name: string) => {
    const m = new RegExp(`(^|[^A-Za-z0-9._])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9._])`).exec(text);
    return m ? m.index + m[1].length : Infinity;
  };
  const list = [...out];
  const at = new Map(list.map((v) => [v, position(v)]));
  // a stable sort: a name not found in the text (a backquoted one) keeps its place after the others
  return list.map((v, i) => ({ v, i })).sort((a, b) => (at.get(a.v)! - at.get(b.v)!) || a.i - b.i).map((x) => x.v);
}

/** The right-hand side of a formula's text with its random-effects terms (parentheses holding a bar `|`) blanked. */
function fixedText(text: string): string {
  const rhs = text.slice(text.indexOf('~') + 1);
  const chars = [...rhs];
  const open: { at: number; bar: boolean }[] = [];
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] === '(') open.push({ at: i, bar: false });
    else if (chars[i] === '|' && open.length > 0) open[open.length - 1].bar = true;
    else if (chars[i] === ')') {
      const o = open.pop();
      if (o?.bar) for (let k = o.at; k <= i; k++) chars[k] = ' ';
    }
  }
  return chars.join('');
}

/**
 * Summaries of the fixed part's numeric data columns over the used rows (`rows`: their input
 * indices, or null for all `n`); `source` reads a column as the frame reads it (factors excluded).
 */
export function covariateSummaries(formula: Formula, source: (name: string) => Column, rows: Int32Array | null, n: number): Map<string, CovariateSummary> {
  const out = new Map<string, CovariateSummary>();
  for (const name of fixedVariables(formula)) {
    const c = source(name);
    if (c.kind !== 'numeric') continue;
    // the used rows' values (a copy only where rows were dropped)
    let x = c.values;
    if (rows) {
      x = new Float64Array(n);
      for (let i = 0; i < n; i++) x[i] = c.values[rows[i]];
    }
    let s = 0, min = Infinity, max = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = x[i];
      s += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    let mean = s / n;
    // R's mean.default: a second pass adds the mean residual
    let r = 0;
    for (let i = 0; i < n; i++) r += x[i] - mean;
    mean += r / n;
    // at most two distinct values?
    const a = x[0];
    let b = NaN, two = true;
    for (let i = 1; i < n; i++) {
      const v = x[i];
      if (v === a || v === b) continue;
      if (Number.isNaN(b)) b = v;
      else { two = false; break; }
    }
    let values: number[] | null = null, codes: Uint8Array | null = null;
    if (two) {
      values = Number.isNaN(b) ? [a] : [Math.min(a, b), Math.max(a, b)];
      codes = new Uint8Array(n);
      if (values.length === 2) for (let i = 0; i < n; i++) codes[i] = x[i] === values[0] ? 0 : 1;
    }
    out.set(name, { mean, min, max, values, codes });
  }
  return out;
}

/** One scan's sums of a covariate over the rows a fit used (src/gram/usedRows.ts). */
export interface UsedRowSums {
  /** the rows used */
  n: number;
  /** Σ x (compensated in the SQL engines) */
  sum: number;
  /** Σ |x − round(x)| and Σ |x|: R's all.equal(x, round(x)) (whether x holds whole numbers) */
  fracAbs: number;
  abs: number;
  /** with prior weights: Σ w x and Σ w (else NaN) */
  wx: number;
  w: number;
}

/**
 * Scans over the rows a fit used, for a fit whose rows are in an engine (src/gram/usedRows.ts; the
 * fit's model keeps it on its source, not enumerable): what ggeffects's representative and typical
 * values read of a fixed-part covariate (`z` of `log(z)`, the raw column).
 */
export interface UsedRowsScan {
  /** one scan: per covariate, its UsedRowSums */
  sums(names: string[]): Promise<UsedRowSums[]>;
  /** one scan: per covariate, Σ (x − c)² */
  squares(names: string[], centres: number[]): Promise<number[]>;
  /** per covariate, its distinct values in increasing order, or null where there are more than `cap` (one scan; SQL: one query each) */
  distinct(names: string[], cap: number): Promise<(number[] | null)[]>;
  /** R's type-7 quantiles at probs, exact (a few scans, ../gram/quantiles.ts) */
  quantiles(name: string, probs: number[]): Promise<number[]>;
  /** R's fivenum (Tukey's five numbers), exact */
  fivenum(name: string): Promise<number[]>;
}
