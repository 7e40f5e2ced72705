/**
 * afex's preparation of the data (afex 1.2-1 `mixed`, `check_contrasts`, `expand_re_fun`):
 *  - check_contrasts: every factor (or text) variable of the formula is set to contr.sum, with afex's
 *    message naming them in all.vars order; numeric variables are left as they are, and those of the
 *    fixed part whose mean is not 0 (|mean| ≥ √ε) are named ("Numerical variables NOT centered on 0");
 *  - the random-effects terms: afex sets contr.sum on the data's factors, so lme4 codes a factor of a
 *    term's left-hand side by contr.sum too. This library's `contrasts` option codes the fixed part only,
 *    so such a term is written here with numeric columns, model.matrix(~ lhs) of the data coded as afex
 *    codes it, named `re<i>.<column>` (afex's expand_re names): `(type | id)` becomes
 *    `(1 + re1.type1 | id)`, the same Z as lme4's under afex (the variance parameters' names differ);
 *    a `||` term is first split as lme4 splits it, `(phase || id)` into `(1 | id)` and
 *    `(0 + re1.phasefup + re1.phasepost + re1.phasepre | id)`;
 *  - expand_re = TRUE: every random-effects term's left-hand side as numeric columns (intercept kept as
 *    `1`/`0`) with its bar: `(phase || id)` becomes `(1 + re1.phase1 + re1.phase2 || id)`, uncorrelated
 *    by column, as afex's expand_re_fun;
 *  - the fixed-effects columns of the nested fits (LRT, PB) as numeric columns (afex's
 *    `m.matrix[, -cols]`), named after X's columns.
 * New columns are defined on the rows the model uses and missing (null) elsewhere, so every fit
 * drops the same rows (afex reduces the data to complete cases of the formula's variables).
 */
import type * as arrow from 'apache-arrow';
import { FormulaError, ModelError } from '../errors/errors.js';
import type { Column } from '../frame/columns.js';
import type { Contrasts } from '../frame/contrasts.js';
import type { ModelFrame } from '../frame/modelFrame.js';
import { modelMatrix } from '../frame/modelMatrix.js';
import { parseFormula } from '../formula/parse.js';
import type { LinearPart, RandomTerm } from '../formula/types.js';
import { makeFloat64Vector, tableFromColumns } from '../io/arrow.js';
import { type AfexFormulaParts, makeName } from './formulaParts.js';

/** afex's check_contrasts and the numeric-variables note, from the model frame of the formula */
export interface AfexContrasts {
  /** contr.sum for each factor of the fixed part (lme4's contrasts argument) */
  contrasts: Contrasts;
  /** every factor (or text) variable of the formula, in all.vars order (afex's message) */
  factors: string[];
  /** the numeric variables of the fixed part whose mean is not 0 */
  notCentered: string[];
  messages: string[];
}

/** whether a column of the data is a factor for R (text, dictionary, boolean) or is named in `factors` */
function isFactorColumn(table: arrow.Table, name: string, factors: readonly string[]): boolean {
  if (factors.includes(name)) return true;
  const t = table.getChild(name)?.type as { typeId?: number } | undefined;
  // Arrow's type ids: Utf8 5, LargeUtf8 20, Bool 6, Dictionary -1
  return t !== undefined && (t.typeId === 5 || t.typeId === 20 || t.typeId === 6 || t.typeId === -1);
}

/** the variables of a linear part that are plain data columns (not expressions such as log(x)) */
function plainVariables(part: LinearPart): string[] {
  return [...new Set(part.terms.flatMap((t) => t.vars.filter((v) => v.expr.type === 'var').map((v) => v.label)))];
}

export function afexContrasts(parts: AfexFormulaParts, frame: ModelFrame, table: arrow.Table, factors: readonly string[], check: boolean): AfexContrasts {
  const messages: string[] = [];
  const factorVars = parts.variables.filter((v) => (frame.columns.get(v)?.kind === 'factor') || (!frame.columns.has(v) && isFactorColumn(table, v, factors)));
  const fixedVars = plainVariables(parts.formula.fixed);
  const contrasts: Record<string, 'contr.sum'> = {};
  if (check) {
    for (const v of fixedVars) if (frame.columns.get(v)?.kind === 'factor') contrasts[v] = 'contr.sum';
    if (factorVars.length > 0) messages.push(`Contrasts set to contr.sum for the following variables: ${factorVars.join(', ')}`);
  }
  // afex: fixed.vars numeric, abs(mean) not below sqrt(.Machine$double.eps)
  const notCentered = parts.variables.filter((v) => fixedVars.includes(v)).filter((v) => {
    const c = frame.columns.get(v);
    if (c?.kind !== 'numeric') return false;
    let s = 0;
    for (let i = 0; i < frame.n; i++) s += c.values[i];
    return !(Math.abs(s / frame.n) < Math.sqrt(Number.EPSILON));
  });
  if (notCentered.length > 0) messages.push(`Numerical variables NOT centered on 0: ${notCentered.join(', ')}\nIf in interactions, interpretation of lower order (e.g., main) effects difficult.`);
  return { contrasts, factors: factorVars, notCentered, messages };
}

/** a numeric column to add to the data: its values on the frame's rows */
export interface NewColumn {
  name: string;
  values: Float64Array;
}

export interface RandomPart {
  /** the random-effects terms for the fits' formulas, joined by ' + ' */
  text: string;
  /** the numeric columns the terms use */
  columns: NewColumn[];
}

/** a term's bar: the lhs, `|` or `||`, and the grouping factor, as written */
function splitBar(label: string): { lhs: string; bar: '|' | '||'; group: string } {
  let depth = 0;
  for (let i = 0; i < label.length; i++) {
    const c = label[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      const bar = label[i + 1] === '|' ? '||' : '|';
      return { lhs: label.slice(0, i).trim(), bar, group: label.slice(i + bar.length).trim() };
    }
  }
  throw new FormulaError(`'${label}' is not a random-effects term (lhs | group)`, label, 0);
}

/**
 * A random-effects term's left-hand side as numeric columns: model.matrix(~ lhs) on the frame's rows
 * with `contrasts` (afex's contr.sum on the data), its intercept column taken out (kept as `1`), the
 * other columns named `re<i>.` + make.names(name with ':' as '_by_').
 */
function lhsColumns(lhs: LinearPart, i: number, frame: ModelFrame, contrasts: Contrasts, where: string): { intercept: boolean; columns: NewColumn[] } {
  const columnOf = (label: string): Column => {
    const c = frame.columns.get(label);
    if (!c) throw new ModelError(`mixed: the variable '${label}' of the random-effects term ${where} is not in the model frame`);
    return c;
  };
  const design = modelMatrix(lhs, columnOf, frame.n, undefined, Object.keys(contrasts).length > 0 ? contrasts : undefined);
  if (design.names.length === 0) throw new FormulaError(`Invalid random effects term, e.g., (0|id): ${where} has no columns`, where, 0);
  let intercept = false;
  const columns: NewColumn[] = [];
  design.names.forEach((name, j) => {
    if (j === 0 && name === '(Intercept)') { intercept = true; return; }
    columns.push({ name: `re${i}.${makeName(name.replace(/:/g, '_by_'))}`, values: design.columns[j] });
  });
  return { intercept, columns };
}

/**
 * The random part of the fits' formulas (see the header). `codeFactors`: the contrasts afex sets on
 * the factors (contr.sum on each factor; none where check_contrasts is off, where lme4's default coding
 * of the terms as written applies).
 */
export function randomPart(parts: AfexFormulaParts, frame: ModelFrame, factorContrasts: Contrasts, codeFactors: boolean, expandRe: boolean): RandomPart {
  const terms: string[] = [];
  const columns: NewColumn[] = [];
  const isFactor = (label: string) => frame.columns.get(label)?.kind === 'factor';
  parts.random.forEach((label, k) => {
    const i = k + 1;
    const { lhs, bar, group } = splitBar(label);
    if (expandRe) {
      // afex's expand_re_fun: model.matrix(~ lhs), the intercept as 0/1, the bar kept
      const part = parseFormula(`.afex ~ ${lhs}`).fixed;
      const { intercept, columns: cols } = lhsColumns(part, i, frame, factorContrasts, `(${label})`);
      columns.push(...cols);
      terms.push(`(${intercept ? 1 : 0}${cols.map((c) => ` + ${c.name}`).join('')} ${bar} ${group})`);
      return;
    }
    const split: RandomTerm[] = parseFormula(`.afex ~ (${label})`).random;
    const hasFactor = (r: RandomTerm) => r.lhs.terms.some((t) => t.vars.some((v) => isFactor(v.label)));
    if (!codeFactors || !split.some(hasFactor)) {
      terms.push(`(${label})`);
      return;
    }
    for (const r of split) {
      if (!hasFactor(r)) { terms.push(r.text); continue; }
      const { intercept, columns: cols } = lhsColumns(r.lhs, i, frame, factorContrasts, r.text);
      columns.push(...cols);
      terms.push(`(${intercept ? 1 : 0}${cols.map((c) => ` + ${c.name}`).join('')} | ${r.groupLabel})`);
    }
  });
  return { text: terms.join(' + '), columns };
}

/** a name for X's column j in the data: R-valid, ':' as '_by_', unique among `taken` */
export function designColumnName(xname: string, taken: Set<string>): string {
  let name = makeName(xname === '(Intercept)' ? 'Intercept' : xname.replace(/:/g, '_by_'));
  while (taken.has(name)) name = `X.${name}`;
  taken.add(name);
  return name;
}

/**
 * The data with numeric columns added: each column's values on the frame's rows, missing (null) on
 * the rows the frame dropped. A name already in the data is an error (the caller picks free names).
 */
export function withColumns(table: arrow.Table, frame: ModelFrame, add: NewColumn[]): arrow.Table {
  if (add.length === 0) return table;
  const names = table.schema.fields.map((f) => f.name);
  for (const c of add) {
    if (names.includes(c.name)) throw new ModelError(`mixed: the data already have a column '${c.name}', the name afex gives a column of the random-effects terms (expand_re); rename that column`);
  }
  const nInput = frame.nInput;
  const entries: [string, arrow.Vector][] = names.map((n) => [n, table.getChild(n)! as arrow.Vector]);
  for (const c of add) {
    const values = new Float64Array(nInput);
    const validity = new Uint8Array(Math.ceil(nInput / 8));
    for (let i = 0; i < frame.n; i++) {
      const r = frame.rows ? frame.rows[i] : i;
      values[r] = c.values[i];
      validity[r >> 3] |= 1 << (r & 7);
    }
    entries.push([c.name, makeFloat64Vector(values, validity)]);
  }
  return tableFromColumns(entries);
}
