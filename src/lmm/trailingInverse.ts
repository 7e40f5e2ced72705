/**
 * The inverse of the dense trailing part of L_Z: with the blocks from denseFrom on (the crossed
 * factors) stacked as one lower-triangular L_T (M × M),
 *
 *   G = (L_T L_Tᵀ)⁻¹ = L_T⁻ᵀ L_T⁻¹,
 *
 * which is the trailing M × M block of (L_Z L_Zᵀ)⁻¹ (L_Z is block lower triangular). The conditional
 * variances of the dense levels are G's diagonal blocks; those of a sparse level g (block k <
 * denseFrom) are ‖x_S‖² + wᵀ G w, where x_S solves the block-diagonal part of L_Z x = e_g and
 * w = −L_TS x_S has a nonzero only at the dense levels that share an observation with g, so each
 * level costs the square of that count instead of a dense solve (src/lmm/solution.ts).
 *
 * Computed with the dense kernels: S = I L_Tᵀ⁻¹ = L_T⁻ᵀ by the right triangular solve, then
 * G = S Sᵀ by C −= A Bᵀ (lower triangle).
 */
import type { BlockedCholesky } from '../linalg/blockedCholesky.js';
import { DenseArena } from '../linalg/denseArena.js';

/** Largest M for which G is formed (two M × M arrays: 4000² doubles is 128 MB each). */
export const MAX_TRAILING_INVERSE = 4000;

/** Rows per panel of S = L_T⁻ᵀ. */
const PANEL = 128;

export interface TrailingInverse {
  /** first dense block */
  d: number;
  /** M = Σ_{j ≥ d} m_j */
  M: number;
  /** offset of block j (j ≥ d) in the stacked trailing system; offsets[j - d] */
  offsets: number[];
  /** −G, M × M row-major, lower triangle (the upper is not set) */
  negG: Float64Array;
}

/** Size of the dense trailing part of the factor (0 when every block is block diagonal). */
export function trailingSize(chol: BlockedCholesky): number {
  let M = 0;
  for (let j = chol.denseFrom; j < chol.K; j++) M += chol.m[j];
  return M;
}

/** G = (L_T L_Tᵀ)⁻¹ of the factor's dense blocks (stored negated, lower triangle). */
export function trailingInverse(chol: BlockedCholesky): TrailingInverse {
  const d = chol.denseFrom;
  const M = trailingSize(chol);
  const offsets: number[] = [];
  let o = 0;
  for (let j = d; j < chol.K; j++) {
    offsets.push(o);
    o += chol.m[j];
  }
  // row panels of S: panel p holds rows [r_p, r_p + nb_p) from column r_p on (S = L_T⁻ᵀ is upper
  // triangular), so the triangular solve and the product skip S's zero lower part
  const panels: { r0: number; rows: number }[] = [];
  for (let r0 = 0; r0 < M; r0 += PANEL) panels.push({ r0, rows: Math.min(PANEL, M - r0) });
  const arena = new DenseArena([M * M, M * M, ...panels.map((pn) => pn.rows * (M - pn.r0))], chol.arena.kind);
  const [negG, LT] = arena.arrays;
  const Sp = arena.arrays.slice(2);
  // L_T (M × M) from the dense diagonal blocks L_jj and the dense blocks L_ji below them
  for (let j = d; j < chol.K; j++) {
    const mj = chol.m[j], oj = offsets[j - d];
    for (let i = d; i <= j; i++) {
      const mi = chol.m[i], oi = offsets[i - d];
      const V = i === j ? chol.Lkk[j] : chol.Ljk[j][i];
      for (let r = 0; r < mj; r++) {
        const cols = i === j ? r + 1 : mi;
        LT.set(V.subarray(r * mi, r * mi + cols), (oj + r) * M + oi);
      }
    }
  }
  for (let p = 0; p < panels.length; p++) {
    const { r0, rows } = panels[p];
    const n = M - r0;
    // S_p = [I 0] L_sub⁻ᵀ: rows r0..r0+rows of L_T⁻ᵀ from column r0 on, L_sub = L_T[r0:, r0:] in place (row stride M)
    const S = Sp[p];
    for (let r = 0; r < rows; r++) S[r * n + r] = 1;
    arena.rightSolve(S, rows, LT.subarray(r0 * M + r0), n, n, M);
  }
  // −G = −S Sᵀ (lower triangle), panel by panel: G[A, B] = Σ_{t ≥ r_A} S[A, t] S[B, t] (r_A ≥ r_B),
  // S[B, r_A:] read in place (row stride n_B)
  for (let a = 0; a < panels.length; a++) {
    const A = panels[a];
    const n = M - A.r0;
    for (let b = 0; b <= a; b++) {
      const B = panels[b];
      const nB = M - B.r0;
      arena.subtractABt(negG.subarray(A.r0 * M + B.r0), M, Sp[a], A.rows, Sp[b].subarray(A.r0 - B.r0), B.rows, n, a === b, n, nB);
    }
  }
  return { d, M, offsets, negG };
}
