/**
 * A meta-analysis's data from a table: the effect sizes y (column yi), their known sampling variances
 * v (column vi, or sei²), the moderators' design X (R's model.matrix of `~ mods`, treatment contrasts,
 * intercept first, named as metafor: 'intrcpt'), study labels, and the nested random-effects
 * structure of a multilevel model (`~ 1 | district/school`). Rows with a missing effect size or
 * moderator are dropped (metafor's na.omit, noted); everything else that would make a wrong answer
 * is an error that names the row, column or moderator.
 */
import type * as arrow from 'apache-arrow';
import { parseFormula } from '../formula/parse.js';
import { buildModelFrame, type ModelFrame } from '../frame/modelFrame.js';
import { labelColumnOf } from './escalcTable.js';
import { numericColumn } from '../io/tableColumns.js';
import type { MetaDesign } from './tau2.js';

export interface MetaDataOptions {
  /** column of effect sizes */
  yi: string;
  /** column of sampling variances */
  vi?: string;
  /** column of standard errors (vi = sei²), instead of vi */
  sei?: string;
  /** moderators: R's right-hand side (`'~ ablat + alloc'`, `'ablat * year'`) or column names */
  mods?: string | string[];
  /** nested random intercepts of a multilevel model: `'~ 1 | district/school'` */
  random?: string;
  /** column of study labels */
  slab?: string;
  /** numeric columns to read as factors (moderators or random-effects levels) */
  factors?: string[];
}

export interface MetaData {
  design: MetaDesign;
  /** coefficient names as metafor: 'intrcpt', then R's model.matrix names */
  names: string[];
  intercept: boolean;
  /** the moderators' right-hand side (metafor's formula.mods), '1' without moderators */
  modsText: string;
  /** study labels (slab, or the input row numbers) */
  labels: string[];
  /** input row (0-based) of each study used */
  rows: Int32Array;
  /** the grouping variables of a multilevel model, outermost first (null: univariate) */
  levels: string[] | null;
  /** the model frame (the moderators' columns, for predictions) */
  frame: ModelFrame;
  messages: string[];
}

/** The moderators' right-hand side from the option (a formula's RHS or a list of columns). */
export function modsRhs(mods: string | string[] | undefined): string {
  if (mods === undefined) return '1';
  const text = Array.isArray(mods) ? mods.map((m) => m.trim()).filter(Boolean).join(' + ') : mods.trim().replace(/^~\s*/, '');
  return text.length ? text : '1';
}

/** `~ 1 | a/b/c` → ['a', 'b', 'c'] (outermost first). */
export function parseRandom(random: string): string[] {
  const m = /^\s*~?\s*1\s*\|\s*(.+?)\s*$/.exec(random);
  if (!m) throw new Error(`random '${random}': write nested random intercepts as '~ 1 | study' or '~ 1 | district/school' (random slopes and other structures are not supported)`);
  const vars = m[1].split('/').map((s) => s.trim());
  for (const v of vars) {
    if (!/^[A-Za-z.][A-Za-z0-9._]*$/.test(v)) throw new Error(`random '${random}': '${v}' is not a column name (nest levels with '/', e.g. '~ 1 | district/school')`);
  }
  if (new Set(vars).size !== vars.length) throw new Error(`random '${random}': a grouping variable appears twice`);
  return vars;
}

/** Reads and checks a meta-analysis's data. */
export function metaData(table: arrow.Table, o: MetaDataOptions): MetaData {
  if (!o.yi) throw new Error('meta: name the column of effect sizes (yi)');
  if (o.vi === undefined && o.sei === undefined) throw new Error('meta: name the column of sampling variances (vi) or of standard errors (sei)');
  if (o.vi !== undefined && o.sei !== undefined) throw new Error('meta: give vi or sei, not both');
  const rhs = modsRhs(o.mods);
  const levels = o.random ? parseRandom(o.random) : null;
  // the moderators' design through lme4's formula machinery (R's contrasts and column names)
  const formula = parseFormula(`${o.yi} ~ ${rhs}`);
  if (formula.random.length) throw new Error(`mods '${rhs}': random-effects terms go in random ('~ 1 | study'), not in the moderators`);
  if (formula.offsets.length) throw new Error(`mods '${rhs}': offsets are not meaningful in a meta-analysis`);
  for (const lv of levels ?? []) {
    if (!table.getChild(lv)) throw new Error(`random: column '${lv}' not found in the data (columns: ${table.schema.fields.map((f) => f.name).join(', ')})`);
  }
  // with nested levels, the frame also drops rows whose levels are missing (as the mixed model's does)
  const frameFormula = levels ? parseFormula(`${o.yi} ~ ${rhs} + (1 | ${levels.join('/')})`) : formula;
  const frame = buildModelFrame(frameFormula, table, { factors: [...(o.factors ?? []), ...(levels ?? [])], observationLevel: true });
  const nInput = table.numRows;
  const rows = frame.rows ?? Int32Array.from({ length: nInput }, (_, i) => i);
  const k = frame.n;
  const vcol = o.vi ?? o.sei!;
  const raw = numericColumn(table, vcol, `meta ${o.vi !== undefined ? 'vi' : 'sei'}`);
  const allLabels = o.slab ? labelColumnOf(table, o.slab) : Array.from({ length: nInput }, (_, i) => String(i + 1));
  const v = new Float64Array(k);
  for (let s = 0; s < k; s++) {
    const i = rows[s];
    const x = raw[i];
    const what = `row ${i + 1}${o.slab ? ` (${allLabels[i]})` : ''}`;
    if (Number.isNaN(x)) throw new Error(`meta: the sampling ${o.vi !== undefined ? 'variance' : 'standard error'} '${vcol}' is missing in ${what}; every study with an effect size needs one`);
    if (!(x > 0) || !Number.isFinite(x)) throw new Error(`meta: the sampling ${o.vi !== undefined ? 'variance' : 'standard error'} '${vcol}' is ${x} in ${what}; it must be > 0 and finite (a known sampling variance of the effect size)`);
    v[s] = o.vi !== undefined ? x : x * x;
  }
  if (k < 2) throw new Error(`meta: ${k} stud${k === 1 ? 'y' : 'ies'} with complete data; a meta-analysis needs at least 2`);
  const intercept = frame.xnames[0] === '(Intercept)';
  if (!intercept) throw new Error(`mods '${rhs}': the model needs an intercept (metafor's default); remove '- 1' / '0 +'`);
  const messages = [...frame.messages];
  // a moderator without variation (a constant, or a factor with one level) cannot be estimated
  // beside the intercept: the frame drops its columns as rank deficient; say so instead
  for (const term of formula.fixed.terms) {
    if (!frame.xnames.some((nm) => termOf(nm, term.label))) {
      throw new Error(`moderator '${term.label}' does not vary in the ${k} studies used (a constant, or a factor with one level): it cannot be estimated beside the intercept`);
    }
  }
  const p = frame.p;
  if (p + 1 > k) throw new Error(`meta: ${p} coefficients and a heterogeneity variance for ${k} studies: the number of parameters to be estimated is larger than the number of studies`);
  const names = frame.xnames.map((n) => (n === '(Intercept)' ? 'intrcpt' : n));
  return {
    design: { X: frame.X, k, p, y: frame.y, v },
    names, intercept, modsText: rhs, labels: Array.from(rows, (i) => allLabels[i]), rows, levels, frame, messages,
  };
}

/** Whether model-matrix column `col` belongs to the term `label` (R's names: label, label + level, a:b). */
function termOf(col: string, label: string): boolean {
  if (col === label) return true;
  const parts = label.split(':');
  const cparts = col.split(':');
  return parts.length === cparts.length && parts.every((p, i) => cparts[i].startsWith(p));
}
