/**
 * The sparse Cholesky factor L of a symmetric positive definite matrix A in its own column order (no
 * fill-reducing permutation), A = L Lᵀ, by the up-looking algorithm (Davis, "Direct Methods for Sparse
 * Linear Systems", 2006, §4.1–4.3, CSparse's cs_etree, cs_ereach and cs_chol):
 *
 *   row k of L:  L_{k,1:k−1} solves L_{1:k−1,1:k−1} xᵀ = A_{1:k−1,k}   (a sparse triangular solve whose
 *                pattern is the reach of A_{:,k}'s pattern in the elimination tree),
 *   L_kk = √(A_kk − ‖L_{k,1:k−1}‖²).
 *
 * Used for lme4's getME(fit, "L") (src/inference/getME.ts): the factor of Λᵀ Zᵀ W Z Λ + I in lme4's
 * column order. Compressed sparse columns, 0-based row indices; the diagonal entry first in each column
 * and the rows increasing.
 */
import { ModelError } from '../errors/errors.js';

/** A square matrix in compressed sparse columns (R's dgCMatrix slots p, i, x; 0-based). */
export interface CscMatrix {
  n: number;
  /** column pointers (n + 1) */
  p: Int32Array;
  /** row index of each entry */
  i: Int32Array;
  x: Float64Array;
}

/** The elimination tree of A from its upper triangle (CSparse cs_etree): parent[k], −1 at a root. */
export function eliminationTree(A: CscMatrix): Int32Array {
  const { n, p, i: Ai } = A;
  const parent = new Int32Array(n).fill(-1);
  const ancestor = new Int32Array(n).fill(-1);
  for (let k = 0; k < n; k++) {
    for (let e = p[k]; e < p[k + 1]; e++) {
      // walk from row i (< k) up to its root, path-compressing to k
      for (let i = Ai[e]; i !== -1 && i < k;) {
        const next = ancestor[i];
        ancestor[i] = k;
        if (next === -1) parent[i] = k;
        i = next;
      }
    }
  }
  return parent;
}

/**
 * The pattern of row k of L (CSparse cs_ereach): the nodes reached from A_{:,k}'s rows i < k up the
 * elimination tree, in s[top..n) in an order where each node comes before its ancestors (topological).
 */
function ereach(A: CscMatrix, k: number, parent: Int32Array, s: Int32Array, mark: Int32Array, stamp: number): number {
  const n = A.n;
  let top = n;
  mark[k] = stamp;
  for (let e = A.p[k]; e < A.p[k + 1]; e++) {
    let i = A.i[e];
    if (i > k) continue;
    let len = 0;
    for (; mark[i] !== stamp; i = parent[i]) { s[len++] = i; mark[i] = stamp; }
    while (len > 0) s[--top] = s[--len];
  }
  return top;
}

/**
 * A = L Lᵀ (module comment): A's upper triangle is read (entries below the diagonal are ignored).
 * `maxEntries` bounds L's entries (counted before the numeric pass), `what` names A in the errors.
 */
export function sparseCholesky(A: CscMatrix, what: string, maxEntries = 5e7): CscMatrix {
  const n = A.n;
  const parent = eliminationTree(A);
  const s = new Int32Array(n);
  const mark = new Int32Array(n).fill(-1);
  // column counts of L: row k's pattern adds one entry to each column it reaches, and the diagonal
  const count = new Float64Array(n).fill(1);
  for (let k = 0; k < n; k++) {
    const top = ereach(A, k, parent, s, mark, k);
    for (let t = top; t < n; t++) count[s[t]]++;
  }
  const Lp = new Int32Array(n + 1);
  let total = 0;
  for (let j = 0; j < n; j++) { total += count[j]; if (total > maxEntries) throw new ModelError(`the sparse Cholesky factor of ${what} would have more than ${maxEntries} entries in this column order`); Lp[j + 1] = total; }
  const Li = new Int32Array(total);
  const Lx = new Float64Array(total);
  // next free place of each column: its diagonal first (placed when row j is done)
  const next = Lp.slice(0, n);
  for (let j = 0; j < n; j++) next[j] = Lp[j] + 1;
  const x = new Float64Array(n);
  mark.fill(-1);
  for (let k = 0; k < n; k++) {
    const top = ereach(A, k, parent, s, mark, k);
    // x = A_{1:k,k} (upper part)
    x[k] = 0;
    for (let e = A.p[k]; e < A.p[k + 1]; e++) if (A.i[e] <= k) x[A.i[e]] += A.x[e];
    let d = x[k];
    x[k] = 0;
    for (let t = top; t < n; t++) {
      const i = s[t];
      // L_ki = x_i / L_ii, then x ← x − L_{:,i} L_ki over column i's entries above row k
      const lki = x[i] / Lx[Lp[i]];
      x[i] = 0;
      for (let e = Lp[i] + 1; e < next[i]; e++) x[Li[e]] -= Lx[e] * lki;
      d -= lki * lki;
      const e = next[i]++;
      Li[e] = k;
      Lx[e] = lki;
    }
    if (!(d > 0)) throw new ModelError(`${what} is not positive definite (the sparse Cholesky factor's pivot ${k + 1} is ${d})`);
    Li[Lp[k]] = k;
    Lx[Lp[k]] = Math.sqrt(d);
  }
  return { n, p: Lp, i: Li, x: Lx };
}
