/**
 * getME's per-term pieces (lme4 1.1-31, getME.merMod): Ztlist, mmList, p_i, Tlist, ST and Tp.
 *
 *  - Ztlist: for each term t and each of its columns s, the rows of Zᵀ that hold column s of the term,
 *    Zt[Gp[t] + s + q_t g, ] for g = 0 … l_t − 1 (an l_t × n sparse matrix), named `group.column`
 *    (lme4's tnames(fit, diag.only = TRUE): `Subject.(Intercept)`, `Subject.Days`), in lme4's term order.
 *  - mmList: each term's model matrix (n × q_t, its column names), named by the term (`Days | Subject`),
 *    in lme4's mmList order: the formula's terms ordered by their number of levels, largest first
 *    (a stable order: R's order(nl, decreasing = TRUE)) where the levels are not already in that order.
 *  - p_i: the columns of each term (mmList's ncol), named as mmList.
 *  - Tlist: each term's template T_t (q_t × q_t lower triangular, θ column by column), as lme4's.
 *  - ST: lme4's old "scale and unit triangular" form of T_t, ST = T diag(1/diag(T)) with diag(ST) = diag(T)
 *    (lme4's vec2STlist; R's arithmetic: a zero diagonal gives NaN or ±Inf off the diagonal in its column).
 *  - Tp: the offsets of the terms' θ entries, c(beg__ = 0, cumsum(m_i)), named by the terms' groups.
 * Terms are named by their grouping factor (names(cnms)), which repeats for a `||` term: lists of
 * { group, … } keep the repeats (a record could not).
 */
import type { MixedModel } from '../model/mixedModel.js';
import type { ReTerm } from '../frame/modelFrame.js';
import { type SparseMatrix, lme4Z, termLayout, transposeSparse } from './getME.js';

/** a term's name in mmList (R's deparse of the bar expression): its text without the parentheses */
function termName(t: ReTerm): string {
  const s = t.text.trim();
  return s.startsWith('(') && s.endsWith(')') ? s.slice(1, -1).trim() : s;
}

/** the rows of a compressed-sparse-column matrix `rows` (in that order), as a matrix of its own */
function sparseRows(A: SparseMatrix, rows: number[]): SparseMatrix {
  const where = new Int32Array(A.nrow).fill(-1);
  rows.forEach((r, k) => { where[r] = k; });
  const p = new Int32Array(A.ncol + 1);
  const i: number[] = [];
  const x: number[] = [];
  for (let j = 0; j < A.ncol; j++) {
    const entries: [number, number][] = [];
    for (let e = A.p[j]; e < A.p[j + 1]; e++) if (where[A.i[e]] >= 0) entries.push([where[A.i[e]], A.x[e]]);
    entries.sort((a, b) => a[0] - b[0]);
    for (const [r, v] of entries) { i.push(r); x.push(v); }
    p[j + 1] = i.length;
  }
  return { format: 'csc', nrow: rows.length, ncol: A.ncol, p, i: Int32Array.from(i), x: Float64Array.from(x) };
}

/** Ztlist: per term and column, the l_t × n block of Zᵀ (module comment) */
export function ztList(model: MixedModel): Record<string, SparseMatrix> {
  const Zt = transposeSparse(lme4Z(model));
  const { Gp } = termLayout(model);
  const out: Record<string, SparseMatrix> = {};
  model.frame.reTerms.forEach((t, k) => {
    for (let s = 0; s < t.q; s++) {
      const rows = Array.from({ length: t.levels.length }, (_, g) => Gp[k] + s + g * t.q);
      out[`${t.group}.${t.cnames[s]}`] = sparseRows(Zt, rows);
    }
  });
  return out;
}

/** the terms in mmList's order (module comment) */
function mmListOrder(model: MixedModel): ReTerm[] {
  const byFormula = [...model.frame.reTerms].sort((a, b) => a.position - b.position);
  const nl = byFormula.map((t) => t.levels.length);
  const sorted = nl.some((v, k) => k > 0 && v > nl[k - 1]);
  // Array.prototype.sort is stable: ties keep the formula's order, as R's order()
  return sorted ? byFormula.sort((a, b) => b.levels.length - a.levels.length) : byFormula;
}

/** mmList: each term's model matrix, as { names, rows } (X's form), named by the term */
export function mmList(model: MixedModel): Record<string, { names: string[]; rows: number[][] }> {
  const n = model.frame.n;
  const out: Record<string, { names: string[]; rows: number[][] }> = {};
  for (const t of mmListOrder(model)) {
    out[termName(t)] = { names: t.cnames.slice(), rows: Array.from({ length: n }, (_, r) => Array.from(t.Z.subarray(r * t.q, (r + 1) * t.q))) };
  }
  return out;
}

/** p_i: the columns of each term, named as mmList */
export function pI(model: MixedModel): Record<string, number> {
  return Object.fromEntries(mmListOrder(model).map((t) => [termName(t), t.q]));
}

/** T_t of each term at lme4's θ (q_t × q_t, rows) */
function templates(model: MixedModel, theta: ArrayLike<number>): number[][][] {
  let off = 0;
  return model.frame.reTerms.map((t) => {
    const T = Array.from({ length: t.q }, () => new Array<number>(t.q).fill(0));
    // θ fills the lower triangle column by column
    for (let j = 0; j < t.q; j++) for (let i = j; i < t.q; i++) T[i][j] = theta[off++];
    return T;
  });
}

/** Tlist: each term's template at lme4's θ */
export function tList(model: MixedModel, theta: ArrayLike<number>): { group: string; matrix: number[][] }[] {
  return templates(model, theta).map((T, k) => ({ group: model.frame.reTerms[k].group, matrix: T }));
}

/** ST: T diag(1/diag(T)), its diagonal set to diag(T) (lme4's vec2STlist, R's arithmetic) */
export function stList(model: MixedModel, theta: ArrayLike<number>): { group: string; matrix: number[][] }[] {
  return templates(model, theta).map((T, k) => {
    const q = T.length;
    // ST[i][j] = Σ_m T[i][m] D[m][j] with D = diag(1/T_jj): T[i][j] · (1/T_jj), 0 · ∞ = NaN as in R
    const ST = T.map((row, i) => row.map((v, j) => (i === j ? T[j][j] : v * (1 / T[j][j]))));
    return { group: model.frame.reTerms[k].group, matrix: q > 0 ? ST : [] };
  });
}

/** Tp: c(beg__ = 0, cumsum(m_i)) named by the terms' groups */
export function tP(model: MixedModel): { names: string[]; values: number[] } {
  const names = ['beg__'];
  const values = [0];
  for (const t of model.frame.reTerms) {
    names.push(t.group);
    values.push(values[values.length - 1] + (t.q * (t.q + 1)) / 2);
  }
  return { names, values };
}
