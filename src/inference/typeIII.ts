/**
 * The contrast matrices of lmerTest's type III anova (lmerTest::get_contrasts_type3 with treatment
 * contrasts, extract_contrasts_type3), and its type I fallback for models with at most one term
 * (get_contrasts_type1, the Doolittle factorization of XᵀX):
 *
 *   rdX = [1, model.matrix(~ 0 + term) for each term]  (every level of every factor coded)
 *   L = zapsmall(t(X⁺ rdX))                            (rows: rdX's columns, columns: X's)
 *   for each term, highest order first, that is contained in others (same numeric variables and a
 *   proper subset of the factors): its columns of L ← zapsmall(residuals of their regression on the
 *   columns of the terms that contain it)
 *   keep L's rows named as X's columns; a term's hypothesis is t(L[, its columns]) without zero rows.
 *
 * A fit with other contrasts (lme4's `contrasts`: ModelFrame.contrasts) gets lmerTest's mapped
 * hypotheses: X_T the design remade with treatment contrasts (its aliased columns dropped), L_T its
 * type III hypotheses as above, and L = L_T · zapsmall(X_T⁺ X) (get_contrasts_type3's `map`), which
 * tests the same linear functions of the fitted values in X's coefficients.
 */
import type { Column } from '../frame/columns.js';
import { type ModelFrame, fixedEffectsDesign } from '../frame/modelFrame.js';
import { modelMatrix } from '../frame/modelMatrix.js';
import { constantColumn } from '../frame/rowPasses.js';
import { ModelError } from '../errors/errors.js';
import { zapsmall } from '../results/rFormat.js';
import { termContainment } from './containment.js';
import { type FixedDesign, rowDesign } from './fixedDesign.js';
import { termColumns } from './termColumns.js';
import { type TermHypothesis, typeIContrasts } from './typeI.js';

export type { TermHypothesis } from './typeI.js';

/** lmerTest's type III hypotheses, one per fixed-effects term, in the formula's term order. */
export function typeIIIContrasts(frame: ModelFrame, design: FixedDesign = rowDesign(frame)): TermHypothesis[] {
  return frame.contrasts ? mappedTypeIII(frame) : treatmentTypeIII(frame, design);
}

/**
 * get_contrasts_type3 for a design coded by other contrasts: L = L_T · zapsmall(X_T⁺ X), with X_T the
 * treatment-coded design on the frame's rows (lme4's rank check for ensure_full_rank) and L_T its
 * hypotheses (treatmentTypeIII).
 */
function mappedTypeIII(frame: ModelFrame): TermHypothesis[] {
  const { n, p } = frame;
  if (frame.X.length < n * p) throw new ModelError("anova of type III with contrasts: this fit's rows are not in memory (lmerTest maps the treatment-coded hypotheses through the rows' X_T⁺ X)");
  let intercept: Float64Array | null = null;
  const ones = () => (intercept ??= constantColumn(n, 1));
  const t = fixedEffectsDesign(frame.formula.fixed, (label) => frame.columns.get(label)!, n, ones, null);
  const frameT: ModelFrame = { ...frame, X: t.X, p: t.p, xnames: t.xnames, contrasts: undefined };
  const designT = rowDesign(frameT);
  const LT = treatmentTypeIII(frameT, designT);
  // map = zapsmall(X_T⁺ X): p_T × p (X's columns as the responses, on the same rows)
  const map = zapsmall(Array.from(designT.project(() => Array.from({ length: p }, (_, j) => frame.X.subarray(j * n, (j + 1) * n)))), 7);
  const pT = t.p;
  return LT.map((h) => ({
    term: h.term,
    ...(h.rowNames ? { rowNames: h.rowNames } : {}),
    L: h.L.map((row) => Array.from({ length: p }, (_, j) => {
      let s = 0;
      for (let a = 0; a < pT; a++) s += row[a] * map[a * p + j];
      return s;
    })),
  }));
}

/** lmerTest's type III hypotheses of a treatment-coded design (extract_contrasts_type3). */
function treatmentTypeIII(frame: ModelFrame, design: FixedDesign): TermHypothesis[] {
  const part = frame.formula.fixed;
  const terms = part.terms;
  const p = frame.p;
  if (p === 0) return [];
  const columnOf = (label: string) => frame.columns.get(label)!;
  const assign = termColumns(frame);
  if (p <= 1 || terms.length <= 1) return typeIContrasts(frame, assign, design);
  // rdX: the intercept and each term with all levels coded (names from zero rows: they depend on the levels only)
  const rdOf = (columnOf: (label: string) => Column, n: number): { name: string; col: Float64Array }[] => {
    const rd: { name: string; col: Float64Array }[] = [];
    if (part.intercept) rd.push({ name: '(Intercept)', col: new Float64Array(n).fill(1) });
    for (const t of terms) {
      const m = modelMatrix({ intercept: false, terms: [t] }, columnOf, n);
      m.names.forEach((name, k) => rd.push({ name, col: m.columns[k] }));
    }
    return rd;
  };
  const rd = rdOf(columnOf, 0);
  // X⁺ rdX (on the frame's rows: a QR factorization of X, modified Gram–Schmidt twice, R⁻¹ Qᵀ rdX), p × r
  const coef = design.project((columnOf, n) => rdOf(columnOf, n).map((c) => c.col));
  const r = rd.length;
  // L: r × p (rows rdX params, columns X params), zapsmall over the whole matrix
  const Lflat: number[] = [];
  for (let i = 0; i < r; i++) for (let j = 0; j < p; j++) Lflat.push(coef[j * r + i]);
  let L = zapsmall(Lflat, 7);
  const contained = termContainment(part, frame.columns);
  const order = terms.map((t, k) => k).sort((a, b) => terms[b].vars.length - terms[a].vars.length || a - b);
  for (const k of order) {
    const holders = contained[k];
    if (holders.length === 0) continue;
    const xcols = holders.flatMap((h) => assign[h]);
    const ycols = assign[k];
    if (ycols.length === 0) continue;
    const res = residuals(L, r, p, xcols, ycols);
    const z = zapsmall(res.flat(), 7);
    ycols.forEach((c, a) => { for (let i = 0; i < r; i++) L[i * p + c] = z[a * r + i]; });
  }
  // keep the rows of L named as X's columns, in X's column order
  const rowOf = frame.xnames.map((x) => rd.findIndex((c) => c.name === x));
  L = L.slice();
  return terms.map((t, k) => {
    const rows = assign[k]
      .map((c) => ({ name: frame.xnames[c], row: rowOf.map((i) => (i >= 0 ? L[i * p + c] : 0)) }))
      .filter(({ row }) => row.reduce((s, v) => s + Math.abs(v), 0) > 1e-8);
    return { term: t.label, L: rows.map((r) => r.row), rowNames: rows.map((r) => r.name) };
  });
}

/** residuals of the columns ycols of L (r × p) regressed on its columns xcols (lm.fit; collinear columns skipped) */
function residuals(L: number[], r: number, p: number, xcols: number[], ycols: number[]): number[][] {
  const basis: Float64Array[] = [];
  for (const c of xcols) {
    const v = Float64Array.from({ length: r }, (_, i) => L[i * p + c]);
    const n0 = Math.sqrt(dot(v, v));
    for (let pass = 0; pass < 2; pass++) for (const q of basis) { const s = dot(q, v); for (let i = 0; i < r; i++) v[i] -= s * q[i]; }
    const nv = Math.sqrt(dot(v, v));
    if (n0 === 0 || nv <= 1e-7 * n0) continue;
    for (let i = 0; i < r; i++) v[i] /= nv;
    basis.push(v);
  }
  return ycols.map((c) => {
    const y = Float64Array.from({ length: r }, (_, i) => L[i * p + c]);
    for (let pass = 0; pass < 2; pass++) for (const q of basis) { const s = dot(q, y); for (let i = 0; i < r; i++) y[i] -= s * q[i]; }
    return Array.from(y);
  });
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
