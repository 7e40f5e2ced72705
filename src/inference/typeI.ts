/**
 * lmerTest's type I (sequential) hypotheses (lmerTest::get_contrasts_type1): with the Doolittle
 * factorization XᵀX = L U (unit lower L, no pivoting; lmerTest::doolittle with eps = 1e-6), the
 * hypothesis of a term is the rows of Lᵀ at the term's columns of X. Row j of Lᵀ tests β_j adjusted
 * for the columns after j and not for those before it, so each term is tested after the terms that
 * precede it in the formula and ignoring those that follow.
 */
import type { ModelFrame } from '../frame/modelFrame.js';
import { type FixedDesign, rowDesign } from './fixedDesign.js';
import { termColumns } from './termColumns.js';

export interface TermHypothesis {
  /** the term's label (`Days`, `grp`, `Days:grp`) */
  term: string;
  /** the contrast matrix, rows of p entries (none: the term has no estimable columns) */
  L: number[][];
  /** the rows' names as lmerTest's show_tests shows them (X's column names of the term) */
  rowNames?: string[];
}

/** lmerTest's type I hypotheses, one per fixed-effects term, in the formula's term order (XᵀX from `design`: the frame's rows by default). */
export function typeIContrasts(frame: ModelFrame, assign: number[][] = termColumns(frame), design: FixedDesign = rowDesign(frame)): TermHypothesis[] {
  const { p } = frame;
  const terms = frame.formula.fixed.terms;
  // no columns, or the intercept alone: nothing to test
  if (p === 0 || (p === 1 && frame.formula.fixed.intercept)) return terms.map((t) => ({ term: t.label, L: [], rowNames: [] }));
  // one column without an intercept: L = [1]; otherwise Lᵀ of the Doolittle factorization of XᵀX
  const Lt = p === 1 ? [1] : doolittleLt(design.XtX(), p);
  return terms.map((t, k) => ({ term: t.label, L: assign[k].map((r) => Lt.slice(r * p, r * p + p)), rowNames: assign[k].map((r) => frame.xnames[r]) }));
}

export { crossprod } from './fixedDesign.js';

/**
 * Lᵀ (n × n row-major) of lmerTest's doolittle(x, eps = 1e-6): the unit lower factor of x = L U
 * without pivoting, a column of L zero below the diagonal where |U_ii| < eps, entries below eps zeroed.
 */
export function doolittleLt(x: Float64Array, n: number, eps = 1e-6): number[] {
  const L = new Float64Array(n * n), U = new Float64Array(n * n);
  for (let i = 0; i < n; i++) L[i * n + i] = 1;
  for (let i = 0; i < n; i++) {
    // row i of U: U_ij = x_ij − Σ_{k<i} L_ik U_kj
    for (let j = 0; j < n; j++) {
      let u = x[i * n + j];
      for (let k = 0; k < i; k++) u -= L[i * n + k] * U[k * n + j];
      U[i * n + j] = u;
    }
    // column i of L below the diagonal: L_ji = (x_ji − Σ_{k<i} L_jk U_ki) / U_ii
    for (let j = i + 1; j < n; j++) {
      let l = x[j * n + i];
      for (let k = 0; k < i; k++) l -= L[j * n + k] * U[k * n + i];
      L[j * n + i] = Math.abs(U[i * n + i]) < eps ? 0 : l / U[i * n + i];
    }
  }
  const out: number[] = [];
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) {
    const v = L[c * n + r];
    out.push(Math.abs(v) < eps ? 0 : v);
  }
  return out;
}
