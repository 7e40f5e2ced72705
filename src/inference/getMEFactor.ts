/**
 * getME's A and L (lme4 1.1-31): the random effects' part of the penalized system in lme4's column order.
 *
 *  - A = Λᵀ Zᵀ (q × n; lme4's PR$Lambdat %*% PR$Zt, without the weights).
 *  - L: the sparse Cholesky factor of Λᵀ Zᵀ W Z Λ + I (Bates et al. 2015, eq. 18), W the prior weights
 *    (lmer) or the GLMM's working weights at μ̂ (as getME's R_X and R_ZX: src/inference/getME.ts).
 *    lme4's L is CHOLMOD's factor of P(ΛᵀZᵀWZΛ + I)Pᵀ with a fill-reducing permutation P (L@perm, from
 *    CHOLMOD's AMD ordering) that is not reproduced here: this L is the factor in lme4's own column
 *    order, P = I, given with its `perm` (0 … q − 1, 0-based as L@perm). It is lme4's L entry for entry
 *    where lme4's perm is the identity (one term, Penicillin's crossed terms); otherwise L Lᵀ is the same
 *    matrix up to lme4's permutation and log|L|² (devcomp's ldL2) is the same.
 */
import { sparseCholesky } from '../linalg/sparseCholesky.js';
import type { MixedModel } from '../model/mixedModel.js';
import { type SparseMatrix, lme4Lambdat, lme4Z, transposeSparse } from './getME.js';

/** A = Λᵀ Zᵀ at lme4's θ: column r is Λᵀ z_r, z_r row r of Z (compressed sparse columns) */
export function lambdatZt(model: MixedModel, theta: ArrayLike<number>): SparseMatrix {
  const { Lambdat } = lme4Lambdat(model, theta);
  const Zt = transposeSparse(lme4Z(model));
  const q = Lambdat.nrow;
  const acc = new Float64Array(q);
  const seen = new Int32Array(q).fill(-1);
  const p = new Int32Array(Zt.ncol + 1);
  const i: number[] = [];
  const x: number[] = [];
  for (let r = 0; r < Zt.ncol; r++) {
    const rows: number[] = [];
    // Λᵀ z_r = Σ_c z_rc Λᵀ[:, c]
    for (let e = Zt.p[r]; e < Zt.p[r + 1]; e++) {
      const c = Zt.i[e], z = Zt.x[e];
      for (let f = Lambdat.p[c]; f < Lambdat.p[c + 1]; f++) {
        const row = Lambdat.i[f];
        if (seen[row] !== r) { seen[row] = r; acc[row] = 0; rows.push(row); }
        acc[row] += z * Lambdat.x[f];
      }
    }
    rows.sort((a, b) => a - b);
    for (const row of rows) { i.push(row); x.push(acc[row]); }
    p[r + 1] = i.length;
  }
  return { format: 'csc', nrow: q, ncol: Zt.ncol, p, i: Int32Array.from(i), x: Float64Array.from(x) };
}

/**
 * Λᵀ Zᵀ W Z Λ + I (its upper triangle, compressed sparse columns) from A = ΛᵀZᵀ: Σ_r w_r a_r a_rᵀ + I
 * over the columns a_r of A
 */
function penalizedCrossProduct(A: SparseMatrix, W: Float64Array | null): { n: number; p: Int32Array; i: Int32Array; x: Float64Array } {
  const q = A.nrow;
  // the entries (i ≤ j) of each column j, accumulated in a map per column
  const cols: Map<number, number>[] = Array.from({ length: q }, (_, j) => new Map([[j, 1]]));
  for (let r = 0; r < A.ncol; r++) {
    const w = W ? W[r] : 1;
    for (let e = A.p[r]; e < A.p[r + 1]; e++) {
      const j = A.i[e], aj = A.x[e] * w;
      const col = cols[j];
      for (let f = A.p[r]; f <= e; f++) {
        const i = A.i[f];
        col.set(i, (col.get(i) ?? 0) + A.x[f] * aj);
      }
    }
  }
  const p = new Int32Array(q + 1);
  const i: number[] = [];
  const x: number[] = [];
  cols.forEach((col, j) => {
    for (const r of [...col.keys()].sort((a, b) => a - b)) { i.push(r); x.push(col.get(r)!); }
    p[j + 1] = i.length;
  });
  return { n: q, p, i: Int32Array.from(i), x: Float64Array.from(x) };
}

/** L and perm (module comment): the lower factor of Λᵀ Zᵀ W Z Λ + I in lme4's column order, perm = identity */
export function lme4L(model: MixedModel, theta: ArrayLike<number>, W: Float64Array | null): { L: SparseMatrix; perm: Int32Array } {
  const M = penalizedCrossProduct(lambdatZt(model, theta), W);
  const L = sparseCholesky(M, 'ΛᵀZᵀWZΛ + I');
  return { L: { format: 'csc', nrow: L.n, ncol: L.n, p: L.p, i: L.i, x: L.x }, perm: Int32Array.from({ length: L.n }, (_, k) => k) };
}
