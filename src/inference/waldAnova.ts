/**
 * car's Anova for a mixed model (car::Anova.merMod with test.statistic = "Chisq"): one Wald χ² test
 * per fixed-effects term, the usual anova table of a glmer fit (lmerTest's anova is lmer's only).
 * For a hypothesis H (rows in β's coordinates) the statistic is
 *   χ² = (Hβ̂)ᵀ (H V Hᵀ)⁻¹ (Hβ̂),  df = rank(H),  V = Var(β̂) (the fit's vcov),
 * with H, as car builds it:
 *   type III: the term's own coefficients (the rows of I for its columns; the intercept is a term),
 *   type II:  the term's coefficients made V-orthogonal to those of its relatives (the terms that
 *             contain all its variables, car's relatives()): with X = I[relatives' columns]ᵀ and
 *             Z = I[relatives' and the term's columns]ᵀ, H = (Z N)ᵀ for N a basis of the complement
 *             of the column space of Zᵀ V X in Z's coordinates (car's ConjComp); with no relatives
 *             H = Zᵀ. The statistic does not depend on the basis chosen.
 * Terms left without columns (aliased) are left out.
 */
import type { ModelFrame } from '../frame/modelFrame.js';
import { termVariables } from '../frame/covariates.js';
import { pchisqUpper } from '../stats/distributions.js';
import { OptionError } from '../errors/errors.js';
import { inverse, symmetricEigen } from './eigen.js';
import { termColumns } from './termColumns.js';

export interface WaldRow {
  term: string;
  chisq: number;
  df: number;
  p: number;
}

export type WaldType = 'II' | 'III';

export function checkWaldType(type: unknown): WaldType {
  if (type === undefined) return 'II';
  const s = String(type).toUpperCase();
  if (s === 'II' || s === '2') return 'II';
  if (s === 'III' || s === '3') return 'III';
  throw new OptionError('type', `type must be 'II' (car's default) or 'III', not ${JSON.stringify(type)}`);
}

/** The Wald χ² table of car::Anova (type II or III) for β̂ with covariance V (p × p row-major). */
export function waldAnova(frame: ModelFrame, beta: ArrayLike<number>, V: Float64Array, type: WaldType): WaldRow[] {
  return waldHypotheses(frame, V, type).map(({ term, H }) => {
    const chisq = waldStatistic(H, beta, V, frame.p);
    return { term, chisq, df: H.length, p: pchisqUpper(chisq, H.length) };
  });
}

/**
 * car's hypothesis matrix H of each term (see the header): type III the term's own coefficients,
 * type II made V-orthogonal to its relatives' (car's ConjComp with V; car's F test passes the
 * Kenward–Roger adjusted covariance here). Terms without columns are left out.
 */
export function waldHypotheses(frame: ModelFrame, V: Float64Array, type: WaldType): { term: string; H: number[][] }[] {
  const p = frame.p;
  const cols = termColumns(frame);
  const terms = frame.formula.fixed.terms;
  const rows: { term: string; H: number[][] }[] = [];
  const test = (term: string, H: number[][]) => {
    if (H.length === 0) return;
    rows.push({ term, H });
  };
  const unit = (j: number) => Array.from({ length: p }, (_, c) => (c === j ? 1 : 0));
  if (type === 'III') {
    const icpt = frame.xnames.indexOf('(Intercept)');
    if (icpt >= 0) test('(Intercept)', [unit(icpt)]);
    terms.forEach((t, k) => test(t.label, cols[k].map(unit)));
    return rows;
  }
  // type II: each term against the V-orthogonal complement of its relatives
  const vars = terms.map((t) => termVariables(t));
  terms.forEach((t, k) => {
    if (cols[k].length === 0) return;
    const relatives = terms.map((_, j) => j).filter((j) => j !== k && [...vars[k]].every((v) => vars[j].has(v)));
    const relCols = relatives.flatMap((j) => cols[j]);
    if (relCols.length === 0) { test(t.label, cols[k].map(unit)); return; }
    const zCols = [...relCols, ...cols[k]];
    const k1 = relCols.length, k2 = zCols.length;
    // M = Zᵀ V X (k2 × k1): entries of V at (zCols, relCols)
    const M = zCols.map((a) => relCols.map((b) => V[a * p + b]));
    // N: the eigenvectors of M Mᵀ (k2 × k2) with eigenvalues ≈ 0 span the complement of M's columns
    const MMt = new Float64Array(k2 * k2);
    for (let a = 0; a < k2; a++) for (let b = 0; b < k2; b++) { let s = 0; for (let c = 0; c < k1; c++) s += M[a][c] * M[b][c]; MMt[a * k2 + b] = s; }
    const eig = symmetricEigen(MMt, k2);
    const top = Math.max(...Array.from(eig.values).map(Math.abs), 0);
    const H: number[][] = [];
    for (let m = 0; m < k2; m++) {
      if (Math.abs(eig.values[m]) > 1e-12 * top) continue;
      const row = new Array<number>(p).fill(0);
      zCols.forEach((col, a) => { row[col] = eig.vectors[a * k2 + m]; });
      H.push(row);
    }
    test(t.label, H);
  });
  return rows;
}

/** (Hβ)ᵀ (H V Hᵀ)⁻¹ (Hβ) */
function waldStatistic(H: number[][], beta: ArrayLike<number>, V: Float64Array, p: number): number {
  const q = H.length;
  const Hb = H.map((h) => h.reduce((s, x, j) => s + x * beta[j], 0));
  const HV = H.map((h) => Array.from({ length: p }, (_, b) => h.reduce((s, x, a) => s + x * V[a * p + b], 0)));
  const HVH = new Float64Array(q * q);
  for (let a = 0; a < q; a++) for (let b = 0; b < q; b++) HVH[a * q + b] = HV[a].reduce((s, x, c) => s + x * H[b][c], 0);
  const inv = inverse(HVH, q, 'H V Hᵀ');
  let chisq = 0;
  for (let a = 0; a < q; a++) for (let b = 0; b < q; b++) chisq += Hb[a] * inv[a * q + b] * Hb[b];
  return chisq;
}
