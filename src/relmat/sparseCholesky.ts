/**
 * Sparse Cholesky factor K = L Lᵀ of a symmetric positive definite sparse matrix, up-looking, in
 * the natural order (Davis, "Direct Methods for Sparse Linear Systems", 2006, §4.1–4.2; the
 * algorithm of CSparse's cs_chol): row k of L solves L[0:k, 0:k] xᵀ = K[0:k, k] over the nonzero
 * pattern of that row — the reach of K[0:k, k]'s pattern in the elimination tree — and
 * L[k][k] = √(K[k][k] − x xᵀ). No fill-reducing ordering: any F with F Fᵀ = K serves the model,
 * and a known covariance matrix given sparse is usually sparse because its levels are (nearly)
 * unrelated in blocks.
 */
import type { SparseFactor } from './covFactor.js';

/** A symmetric matrix by its upper triangle in compressed columns: column k holds rows i ≤ k. */
export interface SymmetricCsc {
  n: number;
  colPtr: Int32Array;
  rowIdx: Int32Array;
  values: Float64Array;
}

/** Thrown when a pivot is not positive: `index` is the row (level) at which it failed. */
export class SparsePivotError extends Error {
  constructor(readonly index: number, readonly pivot: number) {
    super(`pivot ${index + 1} is ${pivot}`);
    this.name = 'SparsePivotError';
  }
}

/** The elimination tree of K (parent of each column, −1 at roots), Liu's algorithm with path compression. */
export function eliminationTree(K: SymmetricCsc): Int32Array {
  const { n, colPtr, rowIdx } = K;
  const parent = new Int32Array(n).fill(-1);
  const ancestor = new Int32Array(n).fill(-1);
  for (let k = 0; k < n; k++) {
    for (let e = colPtr[k]; e < colPtr[k + 1]; e++) {
      let i = rowIdx[e];
      while (i !== -1 && i < k) {
        const next = ancestor[i];
        ancestor[i] = k;
        if (next === -1) parent[i] = k;
        i = next;
      }
    }
  }
  return parent;
}

/** L (compressed rows, columns increasing) with L Lᵀ = K; throws SparsePivotError at a non-positive pivot. */
export function sparseCholesky(K: SymmetricCsc): SparseFactor {
  const { n, colPtr, rowIdx, values } = K;
  const parent = eliminationTree(K);
  // L by columns, growing (row k is appended to the columns of its pattern at step k)
  const colRows: number[][] = Array.from({ length: n }, () => []);
  const colVals: number[][] = Array.from({ length: n }, () => []);
  const diag = new Float64Array(n);
  const rowPtr = new Int32Array(n + 1);
  const rowCols: number[] = [];
  const rowVals: number[] = [];
  const x = new Float64Array(n);
  const flag = new Int32Array(n).fill(-1);
  const stack = new Int32Array(n);
  const path = new Int32Array(n);
  const entry: [number, number][] = [];
  for (let k = 0; k < n; k++) {
    // pattern of row k: the reach of K[0:k, k] in the elimination tree, in topological order
    let top = n;
    flag[k] = k;
    let d = 0;
    for (let e = colPtr[k]; e < colPtr[k + 1]; e++) {
      let i = rowIdx[e];
      if (i === k) { d += values[e]; continue; }
      if (i > k) continue;
      x[i] += values[e];
      let len = 0;
      for (; flag[i] !== k; i = parent[i]) {
        path[len++] = i;
        flag[i] = k;
      }
      while (len > 0) stack[--top] = path[--len];
    }
    entry.length = 0;
    for (let t = top; t < n; t++) {
      const j = stack[t];
      // L[k][j] = (x_j − Σ_{r<j} L[k][r] L[j][r]) / L[j][j]; the sum has been scattered into x
      const lkj = x[j] / diag[j];
      x[j] = 0;
      const rows = colRows[j], vals = colVals[j];
      for (let p = 0; p < rows.length; p++) x[rows[p]] -= vals[p] * lkj;
      d -= lkj * lkj;
      rows.push(k);
      vals.push(lkj);
      entry.push([j, lkj]);
    }
    if (!(d > 0)) throw new SparsePivotError(k, d);
    diag[k] = Math.sqrt(d);
    entry.sort((a, b) => a[0] - b[0]);
    for (const [j, v] of entry) { rowCols.push(j); rowVals.push(v); }
    rowCols.push(k);
    rowVals.push(diag[k]);
    rowPtr[k + 1] = rowCols.length;
  }
  return { kind: 'sparse', n, rowPtr, colIdx: Int32Array.from(rowCols), values: Float64Array.from(rowVals) };
}
