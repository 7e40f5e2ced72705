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
 */
import type { Column } from '../frame/columns.js';
import type { ModelFrame } from '../frame/modelFrame.js';
import { modelMatrix } from '../frame/modelMatrix.js';
import type { Term } from '../formula/types.js';
import { zapsmall } from '../results/rFormat.js';

export interface TermHypothesis {
  /** the term's label (`Days`, `grp`, `Days:grp`) */
  term: string;
  /** the contrast matrix, rows of p entries (none: the term has no estimable columns) */
  L: number[][];
}

/** lmerTest's type III hypotheses, one per fixed-effects term, in the formula's term order. */
export function typeIIIContrasts(frame: ModelFrame): TermHypothesis[] {
  const part = frame.formula.fixed;
  const terms = part.terms;
  const p = frame.p;
  if (p === 0) return [];
  const columnOf = (label: string) => frame.columns.get(label)!;
  const assign = termColumns(frame);
  if (p <= 1 || terms.length <= 1) return typeIContrasts(frame, assign);
  const n = frame.n;
  // rdX: the intercept and each term with all levels coded
  const rd: { name: string; col: Float64Array }[] = [];
  if (part.intercept) rd.push({ name: '(Intercept)', col: new Float64Array(n).fill(1) });
  for (const t of terms) {
    const m = modelMatrix({ intercept: false, terms: [t] }, columnOf, n);
    m.names.forEach((name, k) => rd.push({ name, col: m.columns[k] }));
  }
  // X⁺ rdX by a QR factorization of X (modified Gram–Schmidt, twice): R⁻¹ Qᵀ rdX, p × r
  const coef = leastSquares(frame.X, n, p, rd.map((c) => c.col));
  const r = rd.length;
  // L: r × p (rows rdX params, columns X params), zapsmall over the whole matrix
  const Lflat: number[] = [];
  for (let i = 0; i < r; i++) for (let j = 0; j < p; j++) Lflat.push(coef[j * r + i]);
  let L = zapsmall(Lflat, 7);
  const contained = containment(terms, frame.columns);
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
  return terms.map((t, k) => ({
    term: t.label,
    L: assign[k]
      .map((c) => rowOf.map((i) => (i >= 0 ? L[i * p + c] : 0)))
      .filter((row) => row.reduce((s, v) => s + Math.abs(v), 0) > 1e-8),
  }));
}

/** For each term, the indices of X's columns (after rank-deficient columns were dropped) it produced. */
export function termColumns(frame: ModelFrame): number[][] {
  const part = frame.formula.fixed;
  const columnOf = (label: string) => frame.columns.get(label)!;
  const index = new Map(frame.xnames.map((x, j) => [x, j]));
  return part.terms.map((t) => {
    return termNames(t, part, columnOf).map((nm) => index.get(nm)).filter((j): j is number => j !== undefined);
  });
}

/** The column names a term produces within the model (R's coding rules), without evaluating rows. */
function termNames(t: Term, part: ModelFrame['formula']['fixed'], columnOf: (label: string) => Column): string[] {
  // the names depend only on levels and the coding rule: evaluate the term on zero rows
  const full = modelMatrix(part, columnOf, 0);
  const before = modelMatrix({ intercept: part.intercept, terms: part.terms.slice(0, part.terms.indexOf(t)) }, columnOf, 0).names.length;
  const upto = modelMatrix({ intercept: part.intercept, terms: part.terms.slice(0, part.terms.indexOf(t) + 1) }, columnOf, 0).names.length;
  return full.names.slice(before, upto);
}

/**
 * lmerTest's containment(): term B contains term A when A's variables are a proper subset of B's
 * and both involve the same numeric variables.
 */
function containment(terms: Term[], columns: Map<string, Column>): number[][] {
  const vars = terms.map((t) => t.vars.map((v) => v.label));
  const numerics = vars.map((vs) => vs.filter((v) => columns.get(v)?.kind === 'numeric').sort().join('\u0000'));
  return terms.map((_, a) => terms.map((__, b) => b).filter((b) =>
    b !== a && vars[a].every((v) => vars[b].includes(v)) && vars[b].some((v) => !vars[a].includes(v)) && numerics[a] === numerics[b]));
}

/** type I hypotheses: rows of t(L) of the Doolittle factorization XᵀX = L U (lmerTest::get_contrasts_type1) */
function typeIContrasts(frame: ModelFrame, assign: number[][]): TermHypothesis[] {
  const { n, p, X } = frame;
  const terms = frame.formula.fixed.terms;
  if (p === 1 && frame.formula.fixed.intercept) return terms.map((t) => ({ term: t.label, L: [] }));
  const XtX = new Float64Array(p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b <= a; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += X[a * n + i] * X[b * n + i];
    XtX[a * p + b] = XtX[b * p + a] = s;
  }
  const Lt = p === 1 ? [1] : doolittleLt(XtX, p);
  return terms.map((t, k) => ({ term: t.label, L: assign[k].map((r) => Lt.slice(r * p, r * p + p)) }));
}

/** t(L) of lmerTest's doolittle(x, eps = 1e-6): the unit lower factor of x = L U without pivoting, small entries zeroed. */
function doolittleLt(x: Float64Array, n: number, eps = 1e-6): number[] {
  const L = new Float64Array(n * n), U = new Float64Array(n * n);
  for (let i = 0; i < n; i++) L[i * n + i] = 1;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let u = x[i * n + j];
      for (let k = 0; k < i; k++) u -= L[i * n + k] * U[k * n + j];
      U[i * n + j] = u;
    }
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

/**
 * Least-squares coefficients of each column y of `ys` on X (n × p column-major, full column rank):
 * R⁻¹ Qᵀ y from modified Gram–Schmidt with reorthogonalization. Returns p × r row-major.
 */
function leastSquares(X: Float64Array, n: number, p: number, ys: Float64Array[]): Float64Array {
  const Q: Float64Array[] = [];
  const R = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    const v = Float64Array.from(X.subarray(j * n, j * n + n));
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        const c = dot(Q[k], v);
        R[k * p + j] += c;
        for (let i = 0; i < n; i++) v[i] -= c * Q[k][i];
      }
    }
    const norm = Math.sqrt(dot(v, v));
    R[j * p + j] = norm;
    for (let i = 0; i < n; i++) v[i] /= norm;
    Q.push(v);
  }
  const r = ys.length;
  const out = new Float64Array(p * r);
  ys.forEach((y, c) => {
    const b = Q.map((q) => dot(q, y));
    for (let j = p - 1; j >= 0; j--) {
      let s = b[j];
      for (let k = j + 1; k < p; k++) s -= R[j * p + k] * out[k * r + c];
      out[j * r + c] = s / R[j * p + j];
    }
  });
  return out;
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
