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
import type { CutArgs, Expr, Formula, LinearPart, RandomTerm, ScaleArgs, TermVar } from '../formula/types.js';
import { engineRowCall } from './rowCalls.js';
import { BASIS_FUNCTIONS, FACTOR_FUNCTIONS, FORMULA_FUNCTIONS, NUM_FACTOR, REDUCTIONS, RELEVEL } from '../formula/functions.js';
import { DataError, FormulaError, ModelError } from '../errors/errors.js';
import { deparseString } from '../formula/parse.js';
import { codingOf } from '../frame/modelMatrix.js';
import { type Column, type ScaleParams, basisWidth, formatNumberLevel, isLogicalExpr, scaleKey } from '../frame/columns.js';
import { type Contrasts, contrastMatrix } from '../frame/contrasts.js';
import { cutBreaks, cutLabels } from '../frame/factorBuilders.js';
import { frameContrasts, withCContrasts } from '../frame/modelFrame.js';
import type { BasisCall } from './basisPass.js';
import type { SummaryCall } from './summaryPass.js';
import type { ReductionName } from '../frame/reductions.js';
import { exprVariables } from '../frame/covariates.js';

/** How an engine's column reads into the model frame. */
export type ColumnKind = 'numeric' | 'text' | 'bool';

/** The columns of a table, in order, with their kinds. */
export type ColumnSchema = ReadonlyMap<string, ColumnKind>;

/**
 * A factor variable: a column read as a factor (bare, named in `factors`, `factor(x)`, `as.factor(x)`,
 * `relevel(f, ref)`), or R's logical value of a comparison (`I(dose > 2)`, `sex == "F"`, `!`, `&`).
 * `kind` 'numeric': a numeric column read as a factor (its levels sorted numerically).
 */
export interface FactorVar {
  /** the column whose values are the factor's keys; for a logical, LOGICAL_KEY + its label (no column of the data) */
  column: string;
  kind: ColumnKind;
  /** a logical variable: its expression, R's TRUE, FALSE or NA per row (kind 'bool': levels FALSE, TRUE) */
  logical?: Expr;
  /** `relevel(f, ref)`: the call (its `ref` the level moved first, R's relevel.factor) */
  relevel?: Extract<Expr, { type: 'call' }>;
  /**
   * `cut(x, breaks, …)` (column CUT_KEY + its label, kind 'numeric'): a row's key is the index k of
   * its interval (src/frame/factorBuilders.ts binCode; none outside or missing), level k labelled
   * labels[k]; breaks and labels filled by resolveCuts after the summaries' pre-pass (a number of
   * intervals needs the range of x over every row)
   */
  cut?: CutVar;
  /**
   * `interaction(f, h, sep =)` (column INTERACTION_KEY + its label, kind 'text'): a row's key is its
   * components' keys joined by INTERACTION_SEP (none where one is missing); its levels the
   * combinations some complete row has, the first component varying fastest, labelled by the
   * components' labels joined by `sep` (src/gram/levels.ts, as memory's interactionColumn)
   */
  interaction?: { parts: FactorVar[]; sep: string };
}

/** A cut() factor's argument and what its breaks and labels are (filled by resolveCuts). */
export interface CutVar {
  arg: Expr;
  args: CutArgs;
  /** the keys of min(x, na.rm = TRUE) and max(x, na.rm = TRUE) among spec.summaries (a number of intervals) */
  range?: [string, string];
  breaks?: number[];
  labels?: string[];
}

/** The prefix of an interaction() variable's key name (FactorVar.column), and the separator of its key's parts. */
export const INTERACTION_KEY = '\u0000interaction:';
export const INTERACTION_SEP = '\u0001';

/** The prefix of a cut() variable's key name (FactorVar.column): not a column of the data. */
export const CUT_KEY = '\u0000cut:';

/** The prefix of a logical variable's key name (FactorVar.column): not a column of the data. */
export const LOGICAL_KEY = '\u0000logical:';

/**
 * A factor compared with a level (`sex == "F"`, `g != 3`): as in memory (src/frame/columns.ts
 * evalCompare), the level must be one of the column's values in the input (else the comparison would
 * be FALSE in every row: an error); the engines count the rows holding `key` in their first pass.
 */
export interface LevelTest {
  label: string;
  column: string;
  kind: ColumnKind;
  /** the level as written (a string, or a number's label) */
  level: string;
  /** the level's key as the engines key the column (text and bool: the label; numeric: the double) */
  key: string | number;
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
  /** the numeric columns read as factors (FrameSpecOptions.factors) */
  asFactors: string[];
  /** the factors compared with a level, each level to be found in the data (checkLevelTests) */
  levelTests: LevelTest[];
  /** R's contrasts of the fixed part's factors other than contr.treatment (lme4's `contrasts`), or undefined */
  contrasts?: Contrasts;
  /** notes of the frame (frameContrasts's), after na.omit's and before the rank check's */
  notes: string[];
  /** how text factors' levels sort (readCsv's levelOrder: R's collation, or 'C', code points) */
  levelOrder: 'locale' | 'C';
  /**
   * each distinct `scale(e)` of the formula (R evaluates it over the whole column, before na.omit):
   * its key (columns.ts scaleKey), the label of the variable it is in, and e
   */
  scaled: { key: string; label: string; arg: Expr; scaleArgs?: ScaleArgs }[];
  /**
   * their centres and scales, filled by the engine's first pass over the rows (stream: streamSource.ts,
   * SQL: sqlSource.ts) before any expression with scale() is evaluated
   */
  scales: ScaleParams;
  /**
   * each distinct poly(), ns(), bs() call of the formula, its coefficients filled by the engine's
   * pre-pass (./basisPass.ts) before the model frame's passes; its columns are numeric variables
   * (in `numeric`, the call their expression) labelled label + column (`poly(x, 2)1`)
   */
  bases: BasisCall[];
  /** the basis columns among the numeric variables: the call and the column's index */
  basisColumns: Map<string, { call: BasisCall; index: number }>;
  /**
   * each distinct whole-column summary of the formula (`mean(x)`, `sd(x, na.rm = TRUE)`), its value
   * filled by the engine's pre-pass (./summaryPass.ts) into `scales` before any other pass
   */
  summaries: SummaryCall[];
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
  /** lme4's `contrasts`: R's contrast function of a fixed-effects factor, by its label */
  contrasts?: Contrasts;
}

function columnList(schema: ColumnSchema): string {
  return [...schema.keys()].join(', ');
}

/**
 * Describes the model frame of `formula` over a table with `schema`; throws the in-memory frame's
 * errors for a missing column, a factor in arithmetic, a factor response or offset, an unknown function.
 */
export function describeFrame(formula: Formula, schema: ColumnSchema, options: FrameSpecOptions = {}): FrameSpec {
  // glmmTMB's covariance structures (src/model/covStructure.ts): A is the unstructured term's, the
  // structure maps its parameters to θ (src/gram/fit.ts)
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
  const summaries: SummaryCall[] = [];
  /** whether an expression has a call of `fns` */
  const hasCall = (e: Expr, fns: (fn: string) => boolean): boolean => {
    switch (e.type) {
      case 'call': return fns(e.fn) || e.args.some((a) => hasCall(a, fns));
      case 'neg': case 'not': return hasCall(e.arg, fns);
      case 'binop': case 'compare': case 'and': return hasCall(e.left, fns) || hasCall(e.right, fns);
      default: return false;
    }
  };
  const scales: ScaleParams = new Map();
  const levelTests: LevelTest[] = [];
  /** a factor compared with a level: the checks of memory's evalCompare (src/frame/columns.ts), before any row is read */
  const checkCompare = (expr: Extract<Expr, { type: 'compare' }>, label: string): void => {
    type Side = { kind: 'str'; value: string } | { kind: 'factor'; name: string } | { kind: 'numeric'; value: number | null };
    const side = (e: Expr): Side => {
      if (e.type === 'str') return { kind: 'str', value: e.value };
      if (e.type === 'var' && isFactorColumn(e.name)) return { kind: 'factor', name: e.name };
      if (e.type === 'call' && (FACTOR_FUNCTIONS.has(e.fn) || e.fn === RELEVEL)) {
        throw new FormulaError(`'${label}': compare the column itself with a level (${e.args[0]?.type === 'var' ? e.args[0].name : 'f'} == "level"), not ${e.fn}()`, label, 0);
      }
      checkNumeric(e, label);
      const value = e.type === 'num' ? e.value : e.type === 'neg' && e.arg.type === 'num' ? -e.arg.value : null;
      return { kind: 'numeric', value };
    };
    const a = side(expr.left);
    const b = side(expr.right);
    if (a.kind === 'numeric' && b.kind === 'numeric') return;
    const f = a.kind === 'factor' ? a : b.kind === 'factor' ? b : null;
    const other = f === a ? b : a;
    if (f === null) {
      throw new FormulaError(`'${label}': a string is compared with a factor column (sex == "F"), not with ${a.kind === 'str' && b.kind === 'str' ? 'another string' : 'numbers'}`, label, 0);
    }
    if (other.kind === 'factor') throw new FormulaError(`'${label}': two factors ('${a.kind === 'factor' ? a.name : ''}', '${b.kind === 'factor' ? b.name : ''}') compared: compare a factor with a level in quotes (f == "a")`, label, 0);
    if (expr.op !== '==' && expr.op !== '!=') {
      throw new FormulaError(`'${label}': '${expr.op}' on the factor '${f.name}': a factor is compared with a level by == or != only (R: '${expr.op}' not meaningful for factors)`, label, 0);
    }
    if (other.kind === 'numeric' && other.value === null) throw new FormulaError(`'${label}': the factor '${f.name}' is compared with a level in quotes or a number (${f.name} == "a"), not with a column`, label, 0);
    const level = other.kind === 'str' ? other.value : formatNumberLevel(other.value as number);
    const kind = schema.get(f.name)!;
    // a numeric column's level is a number's label (R's as.character): its key is that number
    const key = kind === 'numeric' ? Number(level) : level;
    if (typeof key === 'number' && !(Number.isFinite(key) && formatNumberLevel(key) === level)) {
      throw new DataError(`'${label}': ${deparseString(level)} is not a level of '${f.name}' (its levels are numbers); the comparison would be FALSE in every row`, { column: f.name });
    }
    levelTests.push({ label, column: f.name, kind, level, key });
    // new data (predict) are compared without the check, as memory keeps it (LevelParams 'compare')
    scales.set(scaleKey(expr), { fn: 'compare' });
  };
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
        throw new FormulaError(`'${label}': the string ${deparseString(expr.value)} is not a number: a string is compared with a factor (sex == "F")`, label, 0);
      // R's logical values as numbers: 1 (TRUE), 0 (FALSE), NaN (NA), evaluated row by row as in memory
      case 'compare':
        checkCompare(expr, label);
        return;
      case 'and':
        checkNumeric(expr.left, label);
        checkNumeric(expr.right, label);
        return;
      case 'not':
        checkNumeric(expr.arg, label);
        return;
      case 'call':
        if (BASIS_FUNCTIONS.has(expr.fn)) {
          // poly/ns/bs are whole variables of a term (basisVariable); the parser allows them nowhere else
          throw new FormulaError(`'${label}': ${expr.fn}() gives a matrix of columns: it may only be a variable of a term`, label, 0);
        }
        if (FACTOR_FUNCTIONS.has(expr.fn) || expr.fn === NUM_FACTOR || expr.fn === RELEVEL) {
          // factor() and relevel() are whole variables of a term (factorVariable)
          throw new ModelError(`'${label}': ${expr.fn}() is evaluated with the rows in memory only, not by the engines (stream, DuckDB, ClickHouse): fit with --engine memory`);
        }
        if (expr.fn === 'scale' && expr.args.length === 1) {
          // R evaluates scale() over the whole column before na.omit: its centre and scale come from a pass of their own
          if (scaleKey(expr.args[0]).includes('"fn":"scale"')) throw new Error(`'${label}': scale() inside scale() is not evaluated by the engines (stream, DuckDB, ClickHouse): fit with the rows in memory (--engine memory)`);
          checkNumeric(expr.args[0], label);
          const key = scaleKey(expr);
          if (!scaled.some((s) => s.key === key)) scaled.push({ key, label, arg: expr.args[0], ...(expr.scaleArgs ? { scaleArgs: expr.scaleArgs } : {}) });
          return;
        }
        if (REDUCTIONS.has(expr.fn)) {
          // mean(x), sd(x), …: one number over every row, from a pre-pass of its own (./summaryPass.ts)
          const arg = expr.args[0];
          checkNumeric(arg, label);
          const columns = [...exprVariables(arg)];
          if (columns.length === 0) throw new FormulaError(`'${label}': ${expr.fn}() of a constant: it summarizes a column`, label, 0);
          if (hasCall(arg, (fn) => REDUCTIONS.has(fn) || fn === 'scale')) {
            throw new ModelError(`'${label}': ${expr.fn}() of an expression with ${hasCall(arg, (fn) => fn === 'scale') ? 'scale()' : 'another summary'} in it is not evaluated by the engines (stream, DuckDB, ClickHouse): fit with the rows in memory (--engine memory)`);
          }
          const key = scaleKey(expr);
          if (!summaries.some((c) => c.key === key)) {
            summaries.push({ key, fn: expr.fn as ReductionName, arg, naRm: expr.naRm === true, label, what: `${expr.fn}(${columns.join(', ')})`, columns });
          }
          return;
        }
        // round(x, 1), pmin, ifelse, …: row by row (src/gram/rowCalls.ts)
        if (engineRowCall(expr, label, isFactorColumn)) {
          for (const a of expr.args) checkNumeric(a, label);
          return;
        }
        if (!FORMULA_FUNCTIONS.has(expr.fn) || expr.args.length !== 1) {
          throw new Error(`unsupported function '${expr.fn}' in '${label}' (supported: ${[...FORMULA_FUNCTIONS.keys()].join(', ')} with one argument)`);
        }
        checkNumeric(expr.args[0], label);
    }
  };
  /** `factor(x)` / `as.factor(x)` of a column: the column read as a factor (a numeric one by its values) */
  const asFactor = (e: Extract<Expr, { type: 'call' }>, label: string): FactorVar => {
    const arg = e.args[0];
    if (e.args.length !== 1 || arg.type !== 'var') {
      throw new ModelError(`'${label}': the engines (stream, DuckDB, ClickHouse) read ${e.fn}() of a column only, not of an expression: fit with --engine memory, or write the expression as a column first`);
    }
    return { column: arg.name, kind: need(arg.name) };
  };
  /** the factor a whole variable of a term is, or null for a numeric variable */
  const factorVariable = (v: TermVar): FactorVar | null => {
    const e = v.expr;
    if (e.type === 'var') return isFactorColumn(e.name) ? { column: e.name, kind: schema.get(e.name)! } : null;
    if (isLogicalExpr(e)) {
      checkNumeric(e, v.label);
      return { column: LOGICAL_KEY + v.label, kind: 'bool', logical: e };
    }
    if (e.type === 'call' && FACTOR_FUNCTIONS.has(e.fn)) return asFactor(e, v.label);
    if (e.type === 'call' && e.fn === 'cut' && e.cut) {
      // R evaluates cut() over every row (before na.omit): a number of intervals spans the range of x there
      const arg = e.args[0];
      if (arg.type === 'var' && isFactorColumn(arg.name)) throw new DataError(`'${v.label}': '${arg.name}' is a factor; cut() needs a numeric variable`, { column: arg.name });
      checkNumeric(arg, v.label);
      const cut: CutVar = { arg, args: e.cut };
      if (typeof e.cut.breaks === 'number') {
        const columns = [...exprVariables(arg)];
        if (columns.length === 0) throw new FormulaError(`'${v.label}': cut() of a constant: it cuts a variable`, v.label, 0);
        cut.range = (['min', 'max'] as const).map((fn) => {
          const call: Expr = { type: 'call', fn, args: [arg], naRm: true };
          const key = scaleKey(call);
          if (!summaries.some((c) => c.key === key)) summaries.push({ key, fn, arg, naRm: true, label: v.label, what: `${fn}(${columns.join(', ')})`, columns });
          return key;
        }) as [string, string];
      }
      return { column: CUT_KEY + v.label, kind: 'numeric', cut };
    }
    if (e.type === 'call' && e.fn === 'interaction') {
      // each argument read as a factor (R's as.factor): a factor column, factor(x), or a numeric column's values
      const parts = e.args.map((a): FactorVar => {
        const f = a.type === 'var' && !isFactorColumn(a.name) ? { column: a.name, kind: 'numeric' as const } : factorVariable({ ...v, expr: a });
        if (!f || f.logical || f.relevel || f.cut || f.interaction) {
          throw new ModelError(`'${v.label}': the engines (stream, DuckDB, ClickHouse) take interaction() of columns and factor(column) only, not of an expression or a logical, relevel() or cut() (argument ${e.args.indexOf(a) + 1}): fit with --engine memory, or write it as a column first`);
        }
        return f;
      });
      return { column: INTERACTION_KEY + v.label, kind: 'text', interaction: { parts, sep: e.sep ?? '.' } };
    }
    if (e.type === 'call' && e.fn === 'C') {
      // C(f, contr): the factor f itself (its contrasts join the frame's: withCContrasts below)
      const arg = e.args[0];
      const f = factorVariable({ ...v, expr: arg });
      if (!f) {
        const name = arg.type === 'var' ? arg.name : v.label;
        throw new DataError(`'${v.label}': '${name}' is numeric; C() takes a factor: write C(factor(${name}), …), or list '${name}' in factors`, { column: name });
      }
      return f;
    }
    if (e.type === 'call' && e.fn === RELEVEL) {
      const arg = e.args[0];
      let f: FactorVar;
      if (arg?.type === 'var') {
        if (!isFactorColumn(arg.name)) {
          throw new DataError(`'${v.label}': '${arg.name}' is numeric; relevel takes a factor (R: 'relevel' only for (unordered) factors): write relevel(factor(${arg.name}), …), or list '${arg.name}' in factors`, { column: arg.name });
        }
        f = { column: arg.name, kind: schema.get(arg.name)! };
      } else if (arg?.type === 'call' && FACTOR_FUNCTIONS.has(arg.fn)) {
        f = asFactor(arg, v.label);
      } else {
        throw new ModelError(`'${v.label}': the engines (stream, DuckDB, ClickHouse) relevel a column or factor(column), not a relevel() of a relevel(): fit with --engine memory`);
      }
      if (!e.ref) throw new FormulaError(`'${v.label}': relevel needs its reference level`, v.label, 0);
      return { ...f, relevel: e };
    }
    return null;
  };

  const bases: BasisCall[] = [];
  const basisColumns: FrameSpec['basisColumns'] = new Map();
  /**
   * poly(x, …), ns(x, …), bs(x, …) as a whole variable of a term: its columns as numeric variables
   * (the call their expression, in `into`), its coefficients left to the engine's pre-pass; false for
   * another variable
   */
  const basisVariable = (v: TermVar, into: Map<string, Expr>): boolean => {
    const e = v.expr;
    if (e.type !== 'call' || !e.basis || !BASIS_FUNCTIONS.has(e.fn)) return false;
    const arg = e.args[0];
    if (arg.type === 'var' && isFactorColumn(arg.name)) {
      throw new DataError(`'${v.label}': '${arg.name}' is a factor; ${e.fn}() needs a numeric variable`, { column: arg.name });
    }
    checkNumeric(arg, v.label);
    const key = scaleKey(e);
    let call = bases.find((b) => b.key === key);
    if (!call) {
      const width = basisWidth(e.fn, e.basis);
      call = { key, label: v.label, fn: e.fn as BasisCall['fn'], call: e, arg, args: e.basis, labels: Array.from({ length: width }, (_, k) => `${v.label}${k + 1}`) };
      bases.push(call);
    }
    call.labels.forEach((label, index) => {
      basisColumns.set(label, { call: call!, index });
      into.set(label, e);
    });
    return true;
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
        if (basisVariable(v, numeric)) continue;
        const f = factorVariable(v);
        if (f) {
          factors.set(v.label, f);
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
    // a removed basis: in na.omit's marks through its first column (all its columns are missing together)
    if (bases.some((b) => b.label === v.label) || basisVariable(v, new Map())) {
      const b = bases.find((c) => c.label === v.label)!;
      removed.numeric.set(b.labels[0], b.call);
      continue;
    }
    const f = factorVariable(v);
    if (f) {
      removed.factors.set(v.label, f);
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
  // lme4's contrasts, checked as the in-memory frame checks them (its notes, its errors): the kinds
  // of the variables are known without rows
  const notes: string[] = [];
  const kinds = new Map<string, Column>();
  for (const label of numeric.keys()) kinds.set(label, { kind: 'numeric', values: new Float64Array(0) });
  for (const label of factors.keys()) kinds.set(label, { kind: 'factor', codes: new Int32Array(0), levels: [] });
  // C(f, contr.sum): its contrasts join lme4's, as in memory (withCContrasts)
  const contrasts = frameContrasts(formula, kinds, withCContrasts(formula, options.contrasts), (name) => schema.has(name), notes);
  return {
    formula, yname: response.label, response: response.expr, numeric, factors, offsets, removed, weights, groups, random,
    columns: [...schema.keys()].filter((c) => used.has(c)),
    asFactors: [...factorSet], levelTests, ...(contrasts ? { contrasts } : {}), notes,
    levelOrder: options.levelOrder === 'C' ? 'C' : 'locale',
    scaled, scales, bases, basisColumns, summaries,
  };
}

/**
 * The factor and level of a comparison `f == "a"` (its levelTests entry: the column, its kind and the
 * level's key), or null for a comparison of numbers.
 */
export function comparedLevel(spec: FrameSpec, e: Extract<Expr, { type: 'compare' }>): LevelTest | null {
  const columns = new Set(spec.levelTests.map((t) => t.column));
  const [f, other] = e.left.type === 'var' && columns.has(e.left.name) ? [e.left.name, e.right] : e.right.type === 'var' && columns.has(e.right.name) ? [e.right.name, e.left] : [null, null];
  if (f === null || other === null) return null;
  const level = other.type === 'str' ? other.value : formatNumberLevel(other.type === 'num' ? other.value : other.type === 'neg' && other.arg.type === 'num' ? -other.arg.value : NaN);
  return spec.levelTests.find((t) => t.column === f && t.level === level) ?? null;
}

/**
 * A comparison's level not among its factor's values in the input (`seen[k]`: whether the engine found
 * a row with levelTests[k]'s key): the in-memory frame's error.
 */
export function checkLevelTests(spec: FrameSpec, seen: ArrayLike<boolean | number>): void {
  spec.levelTests.forEach((t, k) => {
    if (!seen[k]) throw new DataError(`'${t.label}': ${deparseString(t.level)} is not a level of '${t.column}'; the comparison would be FALSE in every row`, { column: t.column });
  });
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
  /**
   * factors coded by a contrast matrix C (lme4's `contrasts`): the column is also multiplied by
   * `weights[l]` = C[l, j] at the factor's level l (columnValue)
   */
  coded?: { factor: string; weights: Float64Array }[];
}

/**
 * The constant factor of a column in a row (or cell) whose factors are at levels `levelOf(factor)`
 * (−1: missing): 1 or 0 for its indicators, times its contrast weights (R's model.matrix value
 * C[l, j] of a contrast-coded factor, src/frame/modelMatrix.ts).
 */
export function columnFactor(col: DesignColumn, levelOf: (factor: string) => number): number {
  for (const d of col.ind) if (levelOf(d.factor) !== d.level) return 0;
  let w = 1;
  for (const c of col.coded ?? []) {
    const l = levelOf(c.factor);
    if (l < 0) return 0;
    w *= c.weights[l];
  }
  return w;
}

/** Key of a monomial (its variables in order). */
export function monoKey(mono: readonly string[]): string {
  return mono.join('\u0000');
}

/**
 * R's model.matrix columns of a linear part (the same names and order as src/frame/modelMatrix.ts),
 * given each factor's levels; `contrasts`: the contrast functions of factors coded otherwise than by
 * treatment (the fixed part's, FrameSpec.contrasts).
 *
 * A contrast-coded factor's columns are the rows' coded values C[level, j] themselves (`coded`), not
 * A formed on indicator columns and transformed afterwards (A' = Tᵀ A T): each engine evaluates the
 * column as memory's model.matrix does (the same doubles: C[l, j] times the term's other variables),
 * the first pass's cells carry C[l, j] as a constant of the cell (./moments.ts), and the rank check,
 * centring and β₀ see X as R builds it; a transform would need the indicator design of every term
 * (its own rank check, and T built per term from Kronecker products), which is more code and no more exact.
 */
export function expandDesign(part: LinearPart, spec: FrameSpec, levelsOf: (factor: string) => readonly string[], contrasts?: Contrasts): DesignColumn[] {
  const out: DesignColumn[] = [];
  if (part.intercept) out.push({ name: '(Intercept)', mono: [], ind: [] });
  const basisOf = (label: string) => spec.bases.find((b) => b.label === label);
  const coding = codingOf(part, (label) => (spec.numeric.has(label) || basisOf(label) ? null : levelsOf(label)));
  for (const [j, term] of part.terms.entries()) {
    let pieces: DesignColumn[] = [{ name: '', mono: [], ind: [] }];
    let first = true;
    term.vars.forEach((v, k) => {
      let own: DesignColumn[];
      const basis = basisOf(v.label);
      if (basis) {
        // a matrix variable (poly, ns, bs): its columns, named label + colname (`poly(x, 2)1`), as modelMatrix.ts
        own = basis.labels.map((l) => ({ name: l, mono: [l], ind: [] }));
      } else if (spec.numeric.has(v.label)) {
        own = [{ name: v.label, mono: [v.label], ind: [] }];
      } else if (coding[j][k] && contrasts && Object.hasOwn(contrasts, v.label)) {
        // coded by the contrast matrix C (levels × m): column jc of the factor is C[level, jc]
        const { matrix: C, m, suffixes } = contrastMatrix(contrasts[v.label], levelsOf(v.label));
        const L = levelsOf(v.label).length;
        own = suffixes.map((suffix, jc) => ({
          name: v.label + suffix, mono: [], ind: [], coded: [{ factor: v.label, weights: Float64Array.from({ length: L }, (_, l) => C[l * m + jc]) }],
        }));
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
          const coded = [...(p.coded ?? []), ...(o.coded ?? [])];
          next.push({ name: `${p.name}:${o.name}`, mono: [...p.mono, ...o.mono], ind: [...p.ind, ...o.ind], ...(coded.length ? { coded } : {}) });
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
      // a basis variable contributes each of its columns (the term's monomials are their products with the others)
      let monos: string[][] = [[]];
      for (const v of term.vars) {
        const basis = spec.bases.find((b) => b.label === v.label);
        const own = basis ? basis.labels : spec.numeric.has(v.label) ? [v.label] : null;
        if (own) monos = own.flatMap((l) => monos.map((m) => [...m, l]));
      }
      for (const mono of monos) if (mono.length > 0 && !seen.has(monoKey(mono))) seen.set(monoKey(mono), mono);
    }
  }
  return [...seen.values()];
}

/**
 * Each cut() factor's breaks and labels (src/frame/factorBuilders.ts cutBreaks, cutLabels), from the
 * range the summaries' pre-pass found where it cuts into a number of intervals; memory's errors.
 */
export function resolveCuts(spec: FrameSpec): void {
  const all = [...spec.factors, ...spec.removed.factors];
  for (const [label, f] of all) {
    const cut = f.cut;
    if (!cut || cut.breaks) continue;
    const value = (key: string) => {
      const p = spec.scales.get(key);
      if (!p || !('fn' in p) || p.fn !== 'summary') throw new Error(`internal: the range of '${label}' is not known yet`);
      return p.value;
    };
    try {
      cut.breaks = cutBreaks(cut.args, cut.range ? value(cut.range[0]) : NaN, cut.range ? value(cut.range[1]) : NaN, `'${label}'`);
    } catch (e) {
      throw e instanceof DataError ? e : new DataError((e as Error).message);
    }
    cut.labels = cutLabels(cut.breaks, cut.args);
  }
}
