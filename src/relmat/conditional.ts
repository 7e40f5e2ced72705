/**
 * Conditional modes and variances of the random effects of blocks with a known covariance factor, on
 * the original scale: b = (F ⊗ I) Λ u, and
 *
 *   Var(b | y) = σ² (F ⊗ T) [(L Lᵀ)⁻¹]_kk (F ⊗ T)ᵀ,   diagonal q × q blocks per level (lme4's condVar)
 *
 * where L is the blocked Cholesky factor at θ̂ and block k is dense (src/relmat/gram.ts makes it so).
 * With W_j = (L⁻¹)_jk (F ⊗ T)ᵀ for the blocks j ≥ k: W_k = L_kk⁻¹ (F ⊗ T)ᵀ,
 * W_j = −L_jj⁻¹ Σ_{k≤i<j} L_ji W_i, and Var(b | y) = σ² Σ_j W_jᵀ W_j. The transposes W_jᵀ are
 * computed by right solves in a WebAssembly arena (SIMD kernels where available): m_k³/2
 * multiply–adds for the last block, once per fit.
 */
import type { BlockedCholesky } from '../linalg/blockedCholesky.js';
import { DenseArena } from '../linalg/denseArena.js';
import { type CovFactor, applyFactor } from './covFactor.js';

/** b_k ← (F_k ⊗ I) b_k for the blocks with a known factor (b = Λu given), in place. */
export function knownModes(b: Float64Array[], known: (CovFactor | null)[], q: number[]): void {
  known.forEach((f, k) => {
    if (f) b[k] = applyFactor(f, b[k], q[k]);
  });
}

/**
 * Replaces `condVar[k]` (nl · q · q, level-major) of each block with a known factor by σ² times the
 * diagonal blocks of (F ⊗ T) [(L Lᵀ)⁻¹]_kk (F ⊗ T)ᵀ, from the factor `chol` at θ̂.
 */
export function knownConditionalVariances(chol: BlockedCholesky, known: (CovFactor | null)[], sigma: number, condVar: Float64Array[]): void {
  const { K } = chol;
  const blocks = chol.gram.blocks;
  for (let k = 0; k < K; k++) {
    const f = known[k];
    if (!f) continue;
    if (chol.isBlockDiagonal(k)) throw new Error(`internal: the block of '${blocks[k].group}' with a known covariance is not factored densely`);
    const q = blocks[k].q, nl = blocks[k].nl, m = chol.m[k];
    const T = chol.T[k];
    // W_kᵀ = (F ⊗ T) L_kk⁻ᵀ
    const arena = new DenseArena([m * m, m * m]);
    const [Wk, Lk] = arena.arrays;
    Lk.set(chol.Lkk[k]);
    fillKron(f, T, q, Wk);
    arena.rightSolve(Wk, m, Lk, m);
    const Wt: Float64Array[] = [];
    Wt[k] = Wk;
    // the blocks after k (dense): W_jᵀ = −(Σ_{k≤i<j} W_iᵀ L_jiᵀ) L_jj⁻ᵀ
    for (let j = k + 1; j < K; j++) {
      const mj = chol.m[j];
      const sizes = [m * mj, mj * mj];
      for (let i = k; i < j; i++) sizes.push(m * chol.m[i], mj * chol.m[i]);
      const a = new DenseArena(sizes);
      const [Wj, Ljj] = a.arrays;
      Ljj.set(chol.Lkk[j]);
      for (let i = k; i < j; i++) {
        const Wi = a.arrays[2 + 2 * (i - k)], Lji = a.arrays[3 + 2 * (i - k)];
        Wi.set(Wt[i]);
        Lji.set(chol.Ljk[j][i]);
        a.subtractABt(Wj, mj, Wi, m, Lji, mj, chol.m[i], false);
      }
      a.rightSolve(Wj, m, Ljj, mj);
      Wt[j] = Wj;
    }
    // σ² Σ_j W_jᵀ W_j, diagonal q × q blocks
    const out = new Float64Array(nl * q * q);
    const s2 = sigma * sigma;
    for (let j = k; j < K; j++) {
      const W = Wt[j], mj = chol.m[j];
      for (let g = 0; g < nl; g++) {
        for (let s = 0; s < q; s++) {
          const rs = (g * q + s) * mj;
          for (let t = 0; t <= s; t++) {
            const rt = (g * q + t) * mj;
            let acc = 0;
            for (let c = 0; c < mj; c++) acc += W[rs + c] * W[rt + c];
            out[g * q * q + s * q + t] += s2 * acc;
            if (t !== s) out[g * q * q + t * q + s] += s2 * acc;
          }
        }
      }
    }
    condVar[k] = out;
  }
}

/** out = F ⊗ T (m × m row-major, m = n q): out[(i,s)][(j,t)] = F_ij T[s][t]. */
function fillKron(f: CovFactor, T: Float64Array, q: number, out: Float64Array): void {
  const n = f.n, m = n * q;
  out.fill(0);
  const put = (i: number, j: number, v: number) => {
    for (let s = 0; s < q; s++) for (let t = 0; t <= s; t++) out[(i * q + s) * m + j * q + t] = v * T[s * q + t];
  };
  if (f.kind === 'dense') {
    for (let i = 0; i < n; i++) {
      const end = f.lower ? i + 1 : n;
      for (let j = 0; j < end; j++) if (f.F[i * n + j] !== 0) put(i, j, f.F[i * n + j]);
    }
    return;
  }
  for (let i = 0; i < n; i++) for (let e = f.rowPtr[i]; e < f.rowPtr[i + 1]; e++) put(i, f.colIdx[e], f.values[e]);
}
