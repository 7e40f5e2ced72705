/**
 * The model frame described without its rows (lme4's lFormula as a plan): which columns a formula
 * reads, which of its variables are numeric expressions and which are factors, the response, the
 * offsets, the prior weights and the grouping factors. An engine that never holds the table (an SQL
 * engine, a stream of record batches) evaluates this description row by row; the in-memory model
 * frame (src/frame/modelFrame.ts) is the reference it reproduces.
 *
 * Rules shared with the in-memory frame:
 *  - a variable is a factor when it is a bare column that is text, boolean, or named in `factors`;
 *    every other variable is a numeric expression of numeric columns;
 *  - the model matrix's columns (`expandDesign`) follow R's model.matrix: treatment contrasts where
 *    the term without the factor is in the model, indicators otherwise, the first variable of an
 *    interaction varying fastest; a column's value is the product of its numeric variables (in the
 *    term's order) when its factors are at its levels, else 0.
 */
import type { Expr, Formula, LinearPart, RandomTerm } from '../formula/types.js';
import { BASIS_FUNCTIONS, FACTOR_FUNCTIONS, FORMULA_FUNCTIONS, NUM_FACTOR, RELEVEL } from '../formula/functions.js';
import { ModelError } from '../errors/errors.js';
import { codingOf } from '../frame/modelMatrix.js';
import { type ScaleParams, scaleKey } from '../frame/columns.js';

/** How an engine's column reads into the model frame. */
export type ColumnKind = 'numeric' | 'text' | 'bool';

/** The columns of a table, in order, with their kinds. */
export type ColumnSchema = ReadonlyMap<string, ColumnKind>;

/** A factor variable: a bare column read as a factor. `kind` 'numeric': a numeric column named in `factors`. */
export interface FactorVar {
  column: string;
  kind: ColumnKind;
}

/** One random-effects term of the frame, with its grouping factor's components. */
export interface RandomSpec {
  term: RandomTerm;
  /** the grouping factor's label (`Subject`, `cask:batch`) */
  group: string;
}

export interface FrameSpec {
  formula: Formula;
  /** the response's label */
  yname: string;
  /** the response, a numeric expression */
  response: Expr;
  /** numeric variables of the fixed part and of the random terms' left-hand sides, by label */
  numeric: Map<string, Expr>;
  /** factor variables of the fixed part and of the random terms' left-hand sides, by label (= column) */
  factors: Map<string, FactorVar>;
  /** the formula's offset() expressions (numeric) */
  offsets: Expr[];
  /**
   * variables only in terms removed with `-` (`y ~ a - x`), by label: in R's model frame, so in
   * na.omit's marks (a row missing one is dropped), in no column and in no other check
   */
  removed: { numeric: Map<string, Expr>; factors: Map<string, FactorVar> };
  /** the prior weights' column, or null */
  weights: string | null;
  /** grouping factors by label, in order of first appearance: their component columns */
  groups: Map<string, FactorVar[]>;
  /** the random-effects terms in the order written (after expansion) */
  random: RandomSpec[];
  /** every column the model reads */
  columns: string[];
  /** how text factors' levels sort (readCsv's levelOrder: R's collation, or 'C', code points) */
  levelOrder: 'locale' | 'C';
  /**
   * each distinct `scale(e)` of the formula (R evaluates it over the whole column, before na.omit):
   * its key (columns.ts scaleKey), the label of the variable it is in, and e
   */
  scaled: { key: string; label: string; arg: Expr }[];
  /**
   * their centres and scales, filled by the engine's first pass over the rows (stream: streamSource.ts,
   * SQL: sqlSource.ts) before any expression with scale() is evaluated
   */
  scales: ScaleParams;
}

export interface FrameSpecOptions {
  /** numeric columns read as factors (R's factor()) */
  factors?: string[];
  /** the prior weights' column (lmer's `weights`) */
  weights?: string | ArrayLike<number>;
  /**
   * how text factors' levels sort: 'locale' (default), R's ICU collation; 'C', code points (R in
   * the C locale, readCsv's `levelOrder: 'C'`)
   */
  levelOrder?: 'locale' | 'C';
}

function columnList(schema: ColumnSchema): string {
  return [...schema.keys()].join(', ');
}

/**
 * Describes the model frame of `formula` over a table with `schema`; throws the in-memory frame's
 * errors for a missing column, a factor in arithmetic, a factor response or offset, an unknown function.
 */
export function describeFrame(formula: Formula, schema: ColumnSchema, options: FrameSpecOptions = {}): FrameSpec {
  // glmmTMB's covariance structures (src/model/covStructure.ts) are fitted from the rows in memory only
  const structured = formula.random.find((r) => r.structure !== undefined && r.structure !== 'us');
  if (structured) throw new ModelError(`term ${structured.text}: covariance structures are fitted with the rows in memory only, not by the engines (stream, DuckDB, ClickHouse): fit with --engine memory`);
  const factorSet = new Set(options.factors ?? []);
  for (const f of factorSet) {
    if (!schema.has(f)) throw new Error(`factors: column '${f}' not found in the data (columns: ${columnList(schema)})`);
  }
  const used = new Set<string>();
  const need = (name: string): ColumnKind => {
    const kind = schema.get(name);
    if (kind === undefined) throw new Error(`column '${name}' not found in the data (columns: ${columnList(schema)})`);
    used.add(name);
    return kind;
  };
  const isFactorColumn = (name: string) => {
    const kind = need(name);
    return kind !== 'numeric' || factorSet.has(name);
  };
  const scaled: FrameSpec['scaled'] = [];
  const checkNumeric = (expr: Expr, label: string): void => {
    switch (expr.type) {
      case 'num':
        return;
      case 'var':
        if (isFactorColumn(expr.name)) throw new Error(`'${expr.name}' is a factor and cannot be used in the arithmetic of '${label}'`);
        return;
      case 'neg':
        checkNumeric(expr.arg, label);
        return;
      case 'binop':
        checkNumeric(expr.left, label);
        checkNumeric(expr.right, label);
        return;
      case 'str':
      case 'compare':
      case 'and':
      case 'not':
        // R's logical values (a factor FALSE, TRUE of the model matrix) are evaluated on the rows in memory
        throw new ModelError(`'${label}': comparisons (==, <, &, !, …) are evaluated with the rows in memory only, not by the engines (stream, DuckDB, ClickHouse): fit with --engine memory`);
      case 'call':
        if (FACTOR_FUNCTIONS.has(expr.fn) || BASIS_FUNCTIONS.has(expr.fn) || expr.fn === NUM_FACTOR || expr.fn === RELEVEL) {
          // poly/ns/bs need the whole column (their coefficients, knots) and factor() its distinct values before any row is
          // accumulated: not among the engines' passes
          throw new ModelError(`'${label}': ${expr.fn}() is evaluated with the rows in memory only, not by the engines (stream, DuckDB, ClickHouse): fit with --engine memory${FACTOR_FUNCTIONS.has(expr.fn) ? `, or read the column as a factor (factors: ['${expr.args[0]?.type === 'var' ? expr.args[0].name : 'x'}'])` : ''}`);
        }
        if (expr.fn === 'scale' && expr.args.length === 1) {
          // R evaluates scale() over the whole column before na.omit: its centre and scale come from a pass of their own
          if (scaleKey(expr.args[0]).includes('"fn":"scale"')) throw new Error(`'${label}': scale() inside scale() is not evaluated by the engines (stream, DuckDB, ClickHouse): fit with the rows in memory (--engine memory)`);
          checkNumeric(expr.args[0], label);
          const key = scaleKey(expr);
          if (!scaled.some((s) => s.key === key)) scaled.push({ key, label, arg: expr.args[0] });
          return;
        }
        if (!FORMULA_FUNCTIONS.has(expr.fn) || expr.args.length !== 1) {
          throw new Error(`unsupported function '${expr.fn}' in '${label}' (supported: ${[...FORMULA_FUNCTIONS.keys()].join(', ')} with one argument)`);
        }
        checkNumeric(expr.args[0], label);
    }
  };

  const response = formula.response;
  if (response.kind !== 'expr') throw new Error(`the response '${response.label}' (cbind) is for binomial models; a linear mixed model needs a numeric response`);
  if (response.expr.type === 'var' && isFactorColumn(response.expr.name)) {
    throw new Error(`the response '${response.label}' is a factor; a linear mixed model needs a numeric response`);
  }
  checkNumeric(response.expr, response.label);

  let weights: string | null = null;
  if (options.weights !== undefined) {
    if (typeof options.weights !== 'string') throw new Error('weights: an engine that does not hold the table reads prior weights from a column: give the column\'s name');
    const w = options.weights;
    if (!schema.has(w)) throw new Error(`weights: column '${w}' not found in the data (columns: ${columnList(schema)})`);
    if (schema.get(w) !== 'numeric') throw new Error(`weights: column '${w}' is not numeric`);
    used.add(w);
    weights = w;
  }

  const numeric = new Map<string, Expr>();
  const factors = new Map<string, FactorVar>();
  const addPart = (part: LinearPart) => {
    for (const t of part.terms) {
      for (const v of t.vars) {
        if (numeric.has(v.label) || factors.has(v.label)) continue;
        if (v.expr.type === 'var' && isFactorColumn(v.expr.name)) {
          factors.set(v.label, { column: v.expr.name, kind: schema.get(v.expr.name)! });
        } else {
          checkNumeric(v.expr, v.label);
          numeric.set(v.label, v.expr);
        }
      }
    }
  };
  addPart(formula.fixed);
  for (const r of formula.random) addPart(r.lhs);

  const removed = { numeric: new Map<string, Expr>(), factors: new Map<string, FactorVar>() };
  for (const v of formula.removedVars ?? []) {
    if (numeric.has(v.label) || factors.has(v.label) || removed.numeric.has(v.label) || removed.factors.has(v.label)) continue;
    if (v.expr.type === 'var' && isFactorColumn(v.expr.name)) {
      removed.factors.set(v.label, { column: v.expr.name, kind: schema.get(v.expr.name)! });
    } else {
      checkNumeric(v.expr, v.label);
      removed.numeric.set(v.label, v.expr);
    }
  }

  const offsets = formula.offsets.map((e, k) => {
    if (e.type === 'var' && isFactorColumn(e.name)) throw new Error('an offset must be numeric, not a factor');
    checkNumeric(e, `offset #${k + 1}`);
    return e;
  });

  const groups = new Map<string, FactorVar[]>();
  for (const r of formula.random) {
    if (groups.has(r.groupLabel)) continue;
    groups.set(r.groupLabel, r.group.map((name) => ({ column: name, kind: need(name) })));
  }
  const random = formula.random.map((term) => ({ term, group: term.groupLabel }));
  return {
    formula, yname: response.label, response: response.expr, numeric, factors, offsets, removed, weights, groups, random,
    columns: [...schema.keys()].filter((c) => used.has(c)),
    levelOrder: options.levelOrder === 'C' ? 'C' : 'locale',
    scaled, scales: new Map(),
  };
}

/** The factor variables whose levels the model matrices need (the cells of the first pass). */
export function cellFactors(spec: FrameSpec): string[] {
  return [...spec.factors.keys()];
}

/** One column of a model matrix: its R name, its numeric variables (a product, in term order) and its factor levels. */
export interface DesignColumn {
  name: string;
  /** labels of the numeric variables whose product is the column (empty: the constant 1) */
  mono: string[];
  /** the factor levels at which the column is non-zero (indices into the factor's levels) */
  ind: { factor: string; level: number }[];
}

/** Key of a monomial (its variables in order). */
export function monoKey(mono: readonly string[]): string {
  return mono.join('\u0000');
}

/**
 * R's model.matrix columns of a linear part (the same names and order as src/frame/modelMatrix.ts),
 * given each factor's levels.
 */
export function expandDesign(part: LinearPart, spec: FrameSpec, levelsOf: (factor: string) => readonly string[]): DesignColumn[] {
  const out: DesignColumn[] = [];
  if (part.intercept) out.push({ name: '(Intercept)', mono: [], ind: [] });
  const coding = codingOf(part, (label) => (spec.numeric.has(label) ? null : levelsOf(label)));
  for (const [j, term] of part.terms.entries()) {
    let pieces: DesignColumn[] = [{ name: '', mono: [], ind: [] }];
    let first = true;
    term.vars.forEach((v, k) => {
      let own: DesignColumn[];
      if (spec.numeric.has(v.label)) {
        own = [{ name: v.label, mono: [v.label], ind: [] }];
      } else {
        const levels = levelsOf(v.label);
        const start = coding[j][k] ? 1 : 0;
        own = [];
        for (let l = start; l < levels.length; l++) own.push({ name: v.label + levels[l], mono: [], ind: [{ factor: v.label, level: l }] });
      }
      const next: DesignColumn[] = [];
      for (const o of own) {
        for (const p of pieces) {
          if (first) { next.push(o); continue; }
          next.push({ name: `${p.name}:${o.name}`, mono: [...p.mono, ...o.mono], ind: [...p.ind, ...o.ind] });
        }
      }
      pieces = next;
      first = false;
    });
    out.push(...pieces);
  }
  return out;
}

/** The distinct non-constant monomials of some parts' columns (level-independent: the numeric variables of each term). */
export function partMonomials(parts: LinearPart[], spec: FrameSpec): string[][] {
  const seen = new Map<string, string[]>();
  for (const part of parts) {
    for (const term of part.terms) {
      const mono = term.vars.filter((v) => spec.numeric.has(v.label)).map((v) => v.label);
      if (mono.length > 0 && !seen.has(monoKey(mono))) seen.set(monoKey(mono), mono);
    }
  }
  return [...seen.values()];
}
