/**
 * R's model.matrix for a linear part of a formula: intercept, numeric columns, factors coded by
 * contrasts (treatment, the first level as reference, unless `contrasts` names another of R's
 * contrast functions for the factor: src/frame/contrasts.ts) or by indicators, and interactions.
 */
import type { LinearPart } from '../formula/types.js';
import type { Column } from './columns.js';
import { chunkRows, rowFloat64, rowJobs } from '../linalg/rowChunks.js';
import { type RowArrays, registerRowKernel, sharedFloat64 } from '../linalg/rowThreads.js';
import { constantColumn } from './rowPasses.js';
import { ModelError } from '../errors/errors.js';
import { type Contrasts, contrastMatrix } from './contrasts.js';

export interface DesignMatrix {
  /** column names as R prints them: `(Intercept)`, `x`, `serviceB`, `recipeB:temperature185` */
  names: string[];
  /** columns, each of length n */
  columns: Float64Array[];
}

/**
 * R's coding of the factors of each term (model.c's TermCode, then model.matrix's rule for a model
 * without an intercept): `coding[j][k]` is true when variable k of term j, a factor, is coded by
 * contrasts (treatment: its first level left out) and false when by one indicator per level.
 *  - A factor F of a term T is coded by contrasts when T without F is empty (a main effect) or is
 *    contained in (a subset of the variables of) some term before T in the model's order, and by
 *    indicators otherwise: `a:b + a:c` codes c by contrasts in a:c, as {a} lies within a:b.
 *  - Without an intercept, the first factor (with more than one level) of the first term that has
 *    one is coded by indicators instead: `0 + a + b` gives every level of a, and b by contrasts.
 * `nlevels(label)`: a factor's number of levels; 0 for a numeric variable (its entry is unused).
 */
export function termCoding(part: LinearPart, nlevels: (label: string) => number): boolean[][] {
  const sets = part.terms.map((t) => new Set(t.vars.map((v) => v.label)));
  const coding = part.terms.map((term, j) => term.vars.map((_, k) => {
    if (term.vars.length === 1) return true;
    for (let t = 0; t < j; t++) {
      if (term.vars.every((w, m) => m === k || sets[t].has(w.label))) return true;
    }
    return false;
  }));
  if (!part.intercept) {
    for (let j = 0; j < part.terms.length; j++) {
      const k = part.terms[j].vars.findIndex((v) => nlevels(v.label) > 1);
      if (k >= 0) {
        coding[j][k] = false;
        break;
      }
    }
  }
  return coding;
}

/**
 * A factor term variable needs two levels or more in the rows used, as in R, whose model.matrix
 * stops with "contrasts can be applied only to factors with 2 or more levels" (lme4 with it): coded
 * by contrasts a one-level factor would give no column, so the term asked for would silently
 * vanish. A FALSE/TRUE factor is exempt: R reads it as a logical, which model.matrix codes as the
 * column xTRUE whatever values are present (constant here, so lme4 drops it as rank deficient).
 */
export function checkFactorLevels(label: string, levels: readonly string[]): void {
  if (factorCodable(levels)) return;
  throw new ModelError(
    `factor '${label}' has ${levels.length === 1 ? `one level ('${levels[0]}')` : 'no levels'} in the rows used (after dropping rows with missing values): ` +
      'a factor in the model needs 2 or more levels (R: contrasts can be applied only to factors with 2 or more levels); remove it from the formula',
  );
}

/** Whether a factor with these levels can be coded in a model (checkFactorLevels's rule): 2 or more levels, or a FALSE/TRUE factor. */
export function factorCodable(levels: readonly string[]): boolean {
  return levels.length >= 2 || levels.every((l) => l === 'TRUE' || l === 'FALSE');
}

/**
 * termCoding with each factor's levels from `levelsOf` (null for a numeric variable), every factor
 * checked by checkFactorLevels first: the in-memory frame's columns and the engines' levels alike.
 */
export function codingOf(part: LinearPart, levelsOf: (label: string) => readonly string[] | null): boolean[][] {
  for (const t of part.terms) {
    for (const v of t.vars) {
      const levels = levelsOf(v.label);
      if (levels) checkFactorLevels(v.label, levels);
    }
  }
  return termCoding(part, (label) => levelsOf(label)?.length ?? 0);
}

/** A column's levels, null for a numeric one (codingOf's `levelsOf`). */
function columnLevels(columnOf: (label: string) => Column): (label: string) => readonly string[] | null {
  return (label) => {
    const c = columnOf(label);
    return c.kind === 'factor' ? c.levels : null;
  };
}

/**
 * The number of columns `modelMatrix` would build, per term, without building any: a numeric
 * variable is one column, a factor its levels (less one when contrast-coded), an interaction the
 * product.
 */
export function countColumns(part: LinearPart, columnOf: (label: string) => Column): { total: number; perTerm: { label: string; columns: number }[] } {
  const coding = codingOf(part, columnLevels(columnOf));
  const perTerm = part.terms.map((term, j) => {
    let columns = 1;
    term.vars.forEach((v, k) => {
      const c = columnOf(v.label);
      if (c.kind === 'factor') columns *= c.levels.length - (coding[j][k] ? 1 : 0);
      else if (c.kind === 'matrix') columns *= c.columns.length;
    });
    return { label: term.label, columns };
  });
  return { total: (part.intercept ? 1 : 0) + perTerm.reduce((a, t) => a + t.columns, 0), perTerm };
}

/**
 * Builds the design matrix; `columnOf(label)` gives the evaluated column of a term variable, `ones`
 * the intercept's column (one array for the fixed effects and the random-effects terms of a frame;
 * the columns are never written to); `contrasts`: the contrast function of a factor where it is not
 * treatment (lme4's `contrasts` argument; the fit's ModelFrame.contrasts).
 */
export function modelMatrix(
  part: LinearPart, columnOf: (label: string) => Column, n: number, ones: () => Float64Array = () => constantColumn(n, 1), contrasts?: Contrasts,
): DesignMatrix {
  const names: string[] = [];
  const columns: Float64Array[] = [];
  if (part.intercept) {
    names.push('(Intercept)');
    columns.push(ones());
  }
  const coding = codingOf(part, columnLevels(columnOf));
  for (const [j, term] of part.terms.entries()) {
    // each variable contributes a list of (name suffix, column) pieces; the term is their product,
    // first variable varying fastest (R's column order)
    let pieces: { name: string; col: Float64Array }[] = [{ name: '', col: new Float64Array(0) }];
    let first = true;
    term.vars.forEach((v, k) => {
      const c = columnOf(v.label);
      let own: { name: string; col: Float64Array }[];
      if (c.kind === 'numeric') {
        own = [{ name: v.label, col: c.values }];
      } else if (c.kind === 'matrix') {
        // a matrix variable (poly, ns, bs): its columns, named label + colname (`poly(x, 2)1`)
        own = c.columns.map((col, m) => ({ name: v.label + c.colnames[m], col }));
      } else if (coding[j][k] && contrasts && Object.hasOwn(contrasts, v.label)) {
        // coded by the contrast matrix C (levels × m): column j of the factor is C[code_i, j]
        const { matrix: C, m, suffixes } = contrastMatrix(contrasts[v.label], c.levels);
        own = suffixes.map((suffix, jc) => {
          const col = rowFloat64(n);
          for (let i = 0; i < n; i++) col[i] = c.codes[i] < 0 ? 0 : C[c.codes[i] * m + jc];
          return { name: v.label + suffix, col };
        });
      } else {
        // treatment contrasts (the first level left out) or one indicator per level
        const start = coding[j][k] ? 1 : 0;
        own = [];
        for (let l = start; l < c.levels.length; l++) {
          const col = rowFloat64(n);
          for (let i = 0; i < n; i++) col[i] = c.codes[i] === l ? 1 : 0;
          own.push({ name: v.label + c.levels[l], col });
        }
      }
      const next: { name: string; col: Float64Array }[] = [];
      for (const o of own) {
        for (const p of pieces) {
          if (first) { next.push(o); continue; }
          const col = rowFloat64(n);
          for (let i = 0; i < n; i++) col[i] = p.col[i] * o.col[i];
          next.push({ name: `${p.name}:${o.name}`, col });
        }
      }
      pieces = next;
      first = false;
    });
    for (const p of pieces) {
      names.push(p.name);
      columns.push(p.col);
    }
  }
  return { names, columns };
}

/**
 * Drops columns of X that are linear combinations of earlier ones (lme4 drops them with a message,
 * "fixed-effect model matrix is rank deficient so dropping N columns / coefficients").
 * Modified Gram–Schmidt in column order with relative tolerance `tol` on the residual norm, run on
 * the triangular factor R of X = QR rather than on X itself: Q is orthonormal, so every inner
 * product, norm and projection residual of X's columns is R's. R comes from one pass over the rows
 * (Householder QR of row blocks stacked under the R so far, TSQR), backward stable, so the residual
 * norms are as accurate as Gram–Schmidt on X, at O(n p²) flops in one read of X.
 */
export function dropRankDeficient(X: DesignMatrix, tol = 1e-7, R = triangularFactor(X.columns)): { kept: DesignMatrix; dropped: string[] } {
  const p = X.columns.length;
  const basis: Float64Array[] = [];
  const keptNames: string[] = [];
  const keptCols: Float64Array[] = [];
  const dropped: string[] = [];
  X.columns.forEach((col, j) => {
    // column j of R (rows 0..j; the rest are zero)
    const r = new Float64Array(p);
    for (let i = 0; i <= j; i++) r[i] = R[i * p + j];
    const norm0 = Math.sqrt(dot(r, r));
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        const c = dot(q, r);
        for (let i = 0; i < p; i++) r[i] -= c * q[i];
      }
    }
    const norm = Math.sqrt(dot(r, r));
    if (norm0 === 0 || norm <= tol * norm0) {
      dropped.push(X.names[j]);
      return;
    }
    for (let i = 0; i < p; i++) r[i] /= norm;
    basis.push(r);
    keptNames.push(X.names[j]);
    keptCols.push(col);
  });
  return { kept: { names: keptNames, columns: keptCols }, dropped };
}

/**
 * ‖y − P y‖ / ‖y‖ for the projection P on the span of `columns` (full column rank, as
 * dropRankDeficient keeps them); 0 when y = 0 (nothing to fit). With [X y] = QR, the residual of y
 * on X is Q's last column times R's last diagonal entry, so its norm is |R[p, p]| (one TSQR pass).
 */
export function relativeResidual(y: Float64Array, columns: Float64Array[]): number {
  const norm0 = Math.sqrt(dot(y, y));
  if (norm0 === 0) return 0;
  const p = columns.length;
  const R = triangularFactor([...columns, y]);
  return Math.abs(R[p * (p + 1) + p]) / norm0;
}

/**
 * dropRankDeficient and relativeResidual from one TSQR pass over [X y]: a column's reflections
 * involve only the columns before it, so the leading p × p block of [X y]'s R is X's R, bit for
 * bit; where no column is dropped, y's residual on X is |R[p, p]|. (Where one is, the residual on
 * the kept columns takes a second pass.)
 */
export function dropRankDeficientWithResidual(X: DesignMatrix, y: Float64Array, tol = 1e-7): { kept: DesignMatrix; dropped: string[]; residual: number } {
  const p = X.columns.length;
  const yy = new Float64Array(1);
  const R1 = triangularFactor([...X.columns, y], yy);
  const R = new Float64Array(p * p);
  for (let i = 0; i < p; i++) R.set(R1.subarray(i * (p + 1), i * (p + 1) + p), i * p);
  const { kept, dropped } = dropRankDeficient(X, tol, R);
  if (dropped.length > 0) return { kept, dropped, residual: relativeResidual(y, kept.columns) };
  const norm0 = Math.sqrt(yy[0]);
  return { kept, dropped, residual: norm0 === 0 ? 0 : Math.abs(R1[p * (p + 1) + p]) / norm0 };
}

/**
 * R (p × p upper triangular, row-major) with X = QR for the columns of X (each of length n), by
 * TSQR over chunks of rows (src/linalg/rowChunks.ts, on the row threads where they run): each
 * chunk's own R from its rows (qrRows), then the chunks' R factors stacked in chunk order under the
 * R so far, R ← R of [R; R_c] (qrRows on R_c's rows). One chunk: R of the rows in one sweep.
 * `lastSquares`: where given, [0] receives Σ c² of the last column (per chunk, the chunks in order).
 */
export function triangularFactor(columns: Float64Array[], lastSquares?: Float64Array): Float64Array {
  const p = columns.length;
  const R = new Float64Array(p * p);
  if (p === 0) return R;
  const n = columns[0].length;
  const rows = chunkRows(n, p * p);
  const chunks = Math.ceil(n / rows);
  const arrays: RowArrays = { qrParams: sharedFloat64(4), qrParts: sharedFloat64(chunks * p * p), qrSquares: sharedFloat64(chunks) };
  (arrays.qrParams as Float64Array).set([n, p, rows, lastSquares ? 1 : 0]);
  columns.forEach((col, j) => { arrays[`c${j}`] = col; });
  rowJobs(arrays, R).run(TSQR_CHUNK, chunks);
  if (lastSquares) {
    const sq = arrays.qrSquares as Float64Array;
    let s = sq[0];
    for (let c = 1; c < chunks; c++) s += sq[c];
    lastSquares[0] = s;
  }
  const parts = arrays.qrParts as Float64Array;
  R.set(parts.subarray(0, p * p));
  // R_c's columns (its rows 0..p−1) as the rows stacked under R
  const cols = Array.from({ length: p }, () => new Float64Array(p));
  for (let c = 1; c < chunks; c++) {
    const o = c * p * p;
    for (let j = 0; j < p; j++) for (let i = 0; i < p; i++) cols[j][i] = parts[o + i * p + j];
    qrRows(cols, R, 0, p);
  }
  return R;
}

/**
 * Chunk c of the TSQR: R of the chunk's rows (from 0) into qrParts at c p², and with qrParams[3] = 1
 * Σ c² of the last column over the chunk into qrSquares[c]. qrParams = [n, p, rows per chunk, squares].
 */
export function tsqrChunk(A: RowArrays, c: number): void {
  const P = A.qrParams as Float64Array;
  const n = P[0], p = P[1], i0 = c * P[2], i1 = Math.min(n, i0 + P[2]);
  const cols: Float64Array[] = [];
  for (let j = 0; j < p; j++) cols.push(A[`c${j}`] as Float64Array);
  const R = (A.qrParts as Float64Array).subarray(c * p * p, (c + 1) * p * p);
  if (P[3] === 1) {
    const last = cols[p - 1];
    let s = 0;
    for (let i = i0; i < i1; i++) s += last[i] * last[i];
    (A.qrSquares as Float64Array)[c] = s;
  }
  R.fill(0);
  qrRows(cols, R, i0, i1);
}

/**
 * R ← the R factor of [R; rows i0..i1 of the columns] (p = columns.length; R p × p upper
 * triangular, row-major), by Householder reflections over blocks of 128 rows stacked under R (R's
 * zeros below the diagonal make each reflection touch row k of R and the block's rows only).
 * Self-contained (the row threads evaluate its text).
 */
export function qrRows(columns: Float64Array[], R: Float64Array, i0: number, i1: number): void {
  // rows per block
  const QR_BLOCK = 128;
  const p = columns.length;
  const B = new Float64Array(QR_BLOCK * p); // the block, column-major (b rows per column)
  for (let r0 = i0; r0 < i1; r0 += QR_BLOCK) {
    const b = Math.min(QR_BLOCK, i1 - r0);
    for (let j = 0; j < p; j++) B.set(columns[j].subarray(r0, r0 + b), j * b);
    for (let k = 0; k < p; k++) {
      const ko = k * b;
      let sigma = 0;
      for (let i = 0; i < b; i++) sigma += B[ko + i] * B[ko + i];
      if (sigma === 0) continue;
      // H = I − τ v vᵀ with v = [1 (row k of R); x / (α − β) (the block)], mapping (α, x) to (β, 0)
      const alpha = R[k * p + k];
      const norm = Math.sqrt(alpha * alpha + sigma);
      const beta = alpha >= 0 ? -norm : norm;
      const scale = 1 / (alpha - beta);
      const tau = (beta - alpha) / beta;
      for (let i = 0; i < b; i++) B[ko + i] *= scale;
      R[k * p + k] = beta;
      let j = k + 1;
      // four (then two) columns at a time: their sums w are independent chains of additions (each in the
      // order of the one-column loop below, so R is the same bit for bit), which the processor overlaps
      for (; j + 4 <= p; j += 4) {
        const j0 = j * b, j1 = j0 + b, j2 = j1 + b, j3 = j2 + b;
        let w0 = R[k * p + j], w1 = R[k * p + j + 1], w2 = R[k * p + j + 2], w3 = R[k * p + j + 3];
        for (let i = 0; i < b; i++) {
          const v = B[ko + i];
          w0 += v * B[j0 + i];
          w1 += v * B[j1 + i];
          w2 += v * B[j2 + i];
          w3 += v * B[j3 + i];
        }
        w0 *= tau; w1 *= tau; w2 *= tau; w3 *= tau;
        R[k * p + j] -= w0; R[k * p + j + 1] -= w1; R[k * p + j + 2] -= w2; R[k * p + j + 3] -= w3;
        for (let i = 0; i < b; i++) {
          const v = B[ko + i];
          B[j0 + i] -= w0 * v;
          B[j1 + i] -= w1 * v;
          B[j2 + i] -= w2 * v;
          B[j3 + i] -= w3 * v;
        }
      }
      for (; j + 2 <= p; j += 2) {
        const j0 = j * b, j1 = j0 + b;
        let w0 = R[k * p + j], w1 = R[k * p + j + 1];
        for (let i = 0; i < b; i++) {
          const v = B[ko + i];
          w0 += v * B[j0 + i];
          w1 += v * B[j1 + i];
        }
        w0 *= tau; w1 *= tau;
        R[k * p + j] -= w0; R[k * p + j + 1] -= w1;
        for (let i = 0; i < b; i++) {
          const v = B[ko + i];
          B[j0 + i] -= w0 * v;
          B[j1 + i] -= w1 * v;
        }
      }
      for (; j < p; j++) {
        const jo = j * b;
        let w = R[k * p + j];
        for (let i = 0; i < b; i++) w += B[ko + i] * B[jo + i];
        w *= tau;
        R[k * p + j] -= w;
        for (let i = 0; i < b; i++) B[jo + i] -= w * B[ko + i];
      }
    }
  }
}

const TSQR_CHUNK = registerRowKernel('tsqrChunk', tsqrChunk, qrRows.toString());

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
