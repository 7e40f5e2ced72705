/**
 * Conditional modes and variances of the random effects of blocks with a known covariance factor, on
 * the original scale: b = (F ⊗ I) Λ u, and
 *
 *   Var(b | y) = σ² (F ⊗ T) [(L Lᵀ)⁻¹]_kk (F ⊗ T)ᵀ,   diagonal q × q blocks per level (lme4's condVar)
 *
 * where L is the blocked Cholesky factor at θ̂ and block k is dense (src/relmat/gram.ts makes it so).
 * With W_j = (L⁻¹)_jk (F ⊗ T)ᵀ for the blocks j ≥ k: W_k = L_kk⁻¹ (F ⊗ T)ᵀ,
 * W_j = −L_jj⁻¹ Σ_{k≤i<j} L_ji W_i, and Var(b | y) = σ² Σ_j W_jᵀ W_j. The transposes W_jᵀ are
 * computed by right solves in the factor's WebAssembly arena (SIMD kernels where available), a few
 * levels' rows at a time: m_k³/2 multiply–adds for the last block, once per fit, and no m_k × m_k
 * array beyond the factor's own.
 */
import { type BlockedCholesky, SCRATCH_ROWS } from '../linalg/blockedCholesky.js';
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
  const { K, arena } = chol;
  const blocks = chol.gram.blocks;
  const s2 = sigma * sigma;
  for (let k = 0; k < K; k++) {
    const f = known[k];
    if (!f) continue;
    if (chol.isBlockDiagonal(k)) throw new Error(`internal: the block of '${blocks[k].group}' with a known covariance is not factored densely`);
    const q = blocks[k].q, nl = blocks[k].nl, m = chol.m[k];
    const T = chol.T[k];
    const out = new Float64Array(nl * q * q);
    // rows of W_jᵀ are independent: a chunk of whole levels at a time, in the factor's own arena
    // (chol.scratch), so L_kk, L_jj and L_ji are used where they are (no copies of m × m arrays)
    const levelsPerChunk = Math.max(1, Math.floor(SCRATCH_ROWS / q));
    for (let g0 = 0; g0 < nl; g0 += levelsPerChunk) {
      const g1 = Math.min(nl, g0 + levelsPerChunk);
      const rows = (g1 - g0) * q;
      // W_kᵀ rows = (F ⊗ T) rows · L_kk⁻ᵀ
      const Wk = chol.scratch[k]!.subarray(0, rows * m);
      fillKronRows(f, T, q, g0, g1, Wk);
      arena.rightSolve(Wk, rows, chol.Lkk[k], m);
      accumulateDiagonal(out, Wk, rows, m, g0, q, s2);
      // the blocks after k (dense): W_jᵀ = −(Σ_{k≤i<j} W_iᵀ L_jiᵀ) L_jj⁻ᵀ
      for (let j = k + 1; j < K; j++) {
        const mj = chol.m[j];
        const Wj = chol.scratch[j]!.subarray(0, rows * mj);
        Wj.fill(0);
        for (let i = k; i < j; i++) arena.subtractABt(Wj, mj, chol.scratch[i]!.subarray(0, rows * chol.m[i]), rows, chol.Ljk[j][i], mj, chol.m[i], false);
        arena.rightSolve(Wj, rows, chol.Lkk[j], mj);
        accumulateDiagonal(out, Wj, rows, mj, g0, q, s2);
      }
    }
    condVar[k] = out;
  }
}

/** out[g] += s2 · (W Wᵀ)'s diagonal q × q block of level g, for the rows (levels g0 …) of W (rows × mj). */
function accumulateDiagonal(out: Float64Array, W: Float64Array, rows: number, mj: number, g0: number, q: number, s2: number): void {
  const qq = q * q;
  for (let a = 0; a < rows / q; a++) {
    const g = g0 + a;
    for (let s = 0; s < q; s++) {
      const rs = (a * q + s) * mj;
      for (let t = 0; t <= s; t++) {
        const rt = (a * q + t) * mj;
        let acc = 0;
        for (let c = 0; c < mj; c++) acc += W[rs + c] * W[rt + c];
        out[g * qq + s * q + t] += s2 * acc;
        if (t !== s) out[g * qq + t * q + s] += s2 * acc;
      }
    }
  }
}

/**
 * Rows of F ⊗ T for levels g0 … g1 − 1 ((g1 − g0) q × m, row-major, m = n q):
 * out[(i − g0, s)][(j, t)] = F_ij T[s][t].
 */
function fillKronRows(f: CovFactor, T: Float64Array, q: number, g0: number, g1: number, out: Float64Array): void {
  const m = f.n * q;
  out.fill(0);
  const put = (i: number, j: number, v: number) => {
    for (let s = 0; s < q; s++) for (let t = 0; t <= s; t++) out[((i - g0) * q + s) * m + j * q + t] = v * T[s * q + t];
  };
  if (f.kind === 'stored') {
    // F's rows g0 … g1 − 1 are a contiguous stretch of each row j of U (F_ij = U[j][i], j < i)
    const { U, ld, diag } = f;
    for (let j = 0; j < g1; j++) {
      const uo = j * ld;
      for (let i = Math.max(g0, j + 1); i < g1; i++) if (U[uo + i] !== 0) put(i, j, U[uo + i]);
    }
    for (let i = g0; i < g1; i++) put(i, i, diag[i]);
    return;
  }
  if (f.kind === 'dense') {
    const n = f.n;
    for (let i = g0; i < g1; i++) {
      const end = f.lower ? i + 1 : n;
      for (let j = 0; j < end; j++) if (f.F[i * n + j] !== 0) put(i, j, f.F[i * n + j]);
    }
    return;
  }
  for (let i = g0; i < g1; i++) for (let e = f.rowPtr[i]; e < f.rowPtr[i + 1]; e++) put(i, f.colIdx[e], f.values[e]);
}
