/**
 * robumeta's data for robu(): the effect sizes y (the formula's response), the design X (R's
 * model.matrix of the formula's right-hand side, treatment contrasts), each effect size's known
 * sampling variance v_ij, its study j (the clusters of the robust variance) and, where given, user
 * weights. Rows with a missing value in any of these are dropped (robu's model.frame: na.omit) and
 * counted; a variance or user weight that is zero, negative or infinite is an error naming the row.
 * The studies are the distinct values of the study column; a study with one effect size is fine.
 */
import type * as arrow from 'apache-arrow';
import { DataError, ModelError, OptionError } from '../errors/errors.js';
import { parseFormula } from '../formula/parse.js';
import { RANK_DEFICIENT, buildModelFrame } from '../frame/modelFrame.js';
import { numericColumn } from '../io/tableColumns.js';

export interface RobuDataOptions {
  /** `'yi ~ x1 + x2'` (robumeta's formula; `'yi ~ 1'` for the mean effect) */
  formula: string;
  /** the column of study identifiers (robu's studynum) */
  studynum: string;
  /** the column of sampling variances (robu's var.eff.size) */
  var: string;
  /** a column of user weights (robu's userweights), instead of the working model's */
  userweights?: string;
  /** numeric columns to read as factors (moderators) */
  factors?: string[];
}

/** The data of a robu() fit, each study's effect sizes in the input's order. */
export interface RobuData {
  /** effect sizes (M) */
  y: Float64Array;
  /** the design, M × P column-major */
  X: Float64Array;
  M: number;
  /** number of coefficients (robumeta's p + 1) */
  P: number;
  /** coefficient names as R's model.matrix writes them ('(Intercept)', 'Crit.CatMicrobehavior', …) */
  xnames: string[];
  /** sampling variances v_ij (M) */
  v: Float64Array;
  /** user weights (M), or null */
  userweights: Float64Array | null;
  /** the rows of each study (indices into y), studies in the order of their labels */
  clusters: Int32Array[];
  /** each study's label */
  studies: string[];
  /** input row (0-based) of each effect size used */
  rows: Int32Array;
  /** rows of the input dropped for a missing value (na.omit) */
  nDropped: number;
  nInput: number;
  /** the response's name and the right-hand side as written (robumeta's `Model:` line) */
  yname: string;
  rhs: string;
}

function hasColumn(table: arrow.Table, name: string): boolean {
  return table.schema.fields.some((f) => f.name === name);
}

function columnsList(table: arrow.Table): string {
  return table.schema.fields.map((f) => f.name).join(', ');
}

/** Reads and checks a robu() model's data. */
export function robuData(table: arrow.Table, o: RobuDataOptions): RobuData {
  if (typeof o.formula !== 'string' || !o.formula.includes('~')) throw new OptionError('formula', `robu: formula must be a string such as 'yi ~ x1 + x2' (got ${JSON.stringify(o.formula)})`);
  for (const [opt, name] of [['studynum', o.studynum], ['var', o.var], ['userweights', o.userweights]] as const) {
    if (name === undefined && opt === 'userweights') continue;
    if (typeof name !== 'string' || !name) throw new OptionError(opt, `robu: ${opt} must name a column of the data`);
    if (!hasColumn(table, name)) throw new DataError(`robu ${opt}: column '${name}' not found in the data (columns: ${columnsList(table)})`, { column: name });
  }
  const formula = parseFormula(o.formula);
  if (formula.random.length) throw new OptionError('formula', `robu: formula '${o.formula}' has random-effects terms; robu's working model is given by modelweights, its clusters by studynum`);
  if (formula.offsets.length) throw new OptionError('formula', `robu: formula '${o.formula}' has an offset, which robu does not take`);
  const extra = [o.studynum, o.var, ...(o.userweights !== undefined ? [o.userweights] : [])];
  // the rows of R's model.frame(formula, studynum, var.eff.size, userweights): na.omit over all of them
  const frame = buildModelFrame(formula, table, { factors: o.factors, naVariables: extra });
  const dropped = frame.messages.filter((m) => m.startsWith(RANK_DEFICIENT));
  if (dropped.length) throw new ModelError(`robu: ${dropped.join('; ')}; robu needs a design of full rank (R's solve() of XᵀWX fails)`);
  const M = frame.n, P = frame.p;
  const rows = frame.rows ?? Int32Array.from({ length: M }, (_, i) => i);
  const vAll = numericColumn(table, o.var, 'robu var');
  const wAll = o.userweights !== undefined ? numericColumn(table, o.userweights, 'robu userweights') : null;
  const studyCol = table.getChild(o.studynum)!;
  const v = new Float64Array(M);
  const userweights = wAll ? new Float64Array(M) : null;
  const index = new Map<string, number[]>();
  let numeric = true;
  for (let s = 0; s < M; s++) {
    const i = rows[s];
    const x = vAll[i];
    if (!(x > 0) || !Number.isFinite(x)) throw new DataError(`robu: the sampling variance '${o.var}' is ${x} in row ${i + 1}; it must be > 0 and finite`, { column: o.var, row: i + 1 });
    v[s] = x;
    if (wAll && userweights) {
      const w = wAll[i];
      if (!(w > 0) || !Number.isFinite(w)) throw new DataError(`robu: the user weight '${o.userweights}' is ${w} in row ${i + 1}; it must be > 0 and finite`, { column: o.userweights, row: i + 1 });
      userweights[s] = w;
    }
    const label = studyCol.get(i) as unknown;
    if (typeof label !== 'number' && typeof label !== 'bigint') numeric = false;
    const key = String(label);
    const list = index.get(key);
    if (list) list.push(s); else index.set(key, [s]);
  }
  // the studies in the order of R's factor levels for numbers (sorted by value), else by code point
  const studies = [...index.keys()].sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const clusters = studies.map((l) => Int32Array.from(index.get(l)!));
  const N = clusters.length;
  // robumeta's residual df N − (p + 1) must be positive: at least one study more than coefficients
  if (N <= P) throw new ModelError(`robu: ${N} stud${N === 1 ? 'y' : 'ies'} ('${o.studynum}') for ${P} coefficient${P === 1 ? '' : 's'}: robust variance estimation needs more studies than coefficients (its df N − (p + 1) = ${N - P})`);
  const [lhs, rhs] = o.formula.split('~');
  return {
    y: frame.y, X: frame.X, M, P, xnames: frame.xnames, v, userweights, clusters, studies, rows,
    nDropped: frame.nDropped, nInput: frame.nInput, yname: lhs.trim(), rhs: rhs.trim(),
  };
}
