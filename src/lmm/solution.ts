/**
 * The solution of the penalized least-squares problem at θ from the blocked factor L
 * (Bates et al. 2015, section 3.5):
 *   R_XX β̂ = r_yX,    L_Zᵀ û = c_y − L_XZᵀ β̂,    b̂ = Λ û,
 *   σ̂² = r² / n (ML) or r² / (n − p) (REML),   Var(β̂) = σ̂² R_XX⁻¹ R_XX⁻ᵀ,
 * and the conditional variances of the random effects, σ̂² Λ (L_Z L_Zᵀ)⁻¹ Λᵀ, diagonal blocks only
 * (lme4's condVar).
 */
import type { BlockedCholesky } from '../linalg/blockedCholesky.js';
import { invertLower, solveLower, solveLowerT } from '../linalg/dense.js';
import { applyTemplate } from '../linalg/template.js';
import { MAX_TRAILING_INVERSE, type TrailingInverse, trailingInverse, trailingSize } from './trailingInverse.js';

export interface LmmSolution {
  beta: Float64Array;
  /** spherical random effects û per block (nl · q, level-major) */
  u: Float64Array[];
  /** conditional modes b̂ = Λ û per block (nl · q, level-major) */
  b: Float64Array[];
  sigma: number;
  /** Var(β̂), p × p row-major */
  vcov: Float64Array;
}

export function solveLmm(chol: BlockedCholesky, n: number, reml: boolean): LmmSolution {
  const { gram, K, p1, LXX } = chol;
  const p = p1 - 1;
  const blocks = gram.blocks;
  // R_XX β = r_yX, with R_XX = (leading p×p of L_XX)ᵀ
  const beta = new Float64Array(p);
  for (let s = 0; s < p; s++) beta[s] = LXX[p * p1 + s];
  solveLowerT(LXX, p, beta, 0, 0, p1);
  // rhs_k = c_y − L_XZᵀ β
  const u = blocks.map((_, k) => {
    const m = chol.m[k];
    const L = chol.LXk[k];
    const w = new Float64Array(m);
    for (let c = 0; c < m; c++) {
      let v = L[p * m + c];
      for (let r = 0; r < p; r++) v -= L[r * m + c] * beta[r];
      w[c] = v;
    }
    return w;
  });
  // back substitution L_Zᵀ û = rhs, last block first
  solveLZt(chol, u);
  const b = blocks.map((blk, k) => applyTemplate(chol.T[k], blk.q, blk.nl, u[k]));
  const sigma = Math.sqrt(chol.pwrss / (reml ? n - p : n));
  // Var(β) = σ² R⁻¹R⁻ᵀ = σ² L⁻ᵀ L⁻¹ with L the leading p×p of L_XX
  const Lp = new Float64Array(p * p);
  for (let r = 0; r < p; r++) for (let s = 0; s <= r; s++) Lp[r * p + s] = LXX[r * p1 + s];
  const Li = invertLower(Lp, p);
  const vcov = new Float64Array(p * p);
  for (let r = 0; r < p; r++) {
    for (let s = 0; s < p; s++) {
      let acc = 0;
      for (let t = Math.max(r, s); t < p; t++) acc += Li[t * p + r] * Li[t * p + s];
      vcov[r * p + s] = sigma * sigma * acc;
    }
  }
  return { beta, u, b, sigma, vcov };
}

/**
 * Back substitution L_Zᵀ x = w in place, w per block (m_k, level-major), last block first: the
 * blocked factor's transpose, block-diagonal blocks level by level, dense (crossed) blocks whole.
 */
export function solveLZt(chol: BlockedCholesky, u: Float64Array[]): void {
  const { gram, K } = chol;
  const blocks = gram.blocks;
  for (let k = K - 1; k >= 0; k--) {
    const w = u[k];
    const qk = blocks[k].q;
    const mk = chol.m[k];
    for (let j = k + 1; j < K; j++) {
      const qj = blocks[j].q;
      const V = chol.Ljk[j][k];
      const uj = u[j];
      if (chol.isBlockDiagonal(k)) {
        const P = chol.patterns[j][k];
        for (let c = 0; c < P.ncol; c++) {
          for (let e = P.colPtr[c]; e < P.colPtr[c + 1]; e++) {
            const a = P.rowIdx[e];
            for (let t = 0; t < qk; t++) {
              let acc = 0;
              for (let s = 0; s < qj; s++) acc += V[e * qj * qk + s * qk + t] * uj[a * qj + s];
              w[c * qk + t] -= acc;
            }
          }
        }
      } else {
        const mj = chol.m[j];
        for (let r = 0; r < mj; r++) {
          const ur = uj[r];
          if (ur === 0) continue;
          for (let c = 0; c < mk; c++) w[c] -= V[r * mk + c] * ur;
        }
      }
    }
    if (chol.isBlockDiagonal(k)) {
      for (let c = 0; c < blocks[k].nl; c++) solveLowerT(chol.Lkk[k], qk, w, c * qk, c * qk * qk, qk);
    } else {
      solveLowerT(chol.Lkk[k], mk, w);
    }
  }
}

/**
 * Conditional covariance of b̂ for each level of each block: σ² T (L_Z L_Zᵀ)⁻¹_gg Tᵀ, q × q per level
 * (nl · q · q, level-major). With dense (crossed) blocks of up to MAX_TRAILING_INVERSE rows in all,
 * through the inverse G of their trailing factor (src/lmm/trailingInverse.ts); otherwise, and as the
 * reference for that path, by conditionalVariancesBySolves.
 */
export function conditionalVariances(chol: BlockedCholesky, sigma: number, skip?: (k: number) => boolean): Float64Array[] {
  const M = trailingSize(chol);
  const all = Array.from({ length: chol.K }, (_, k) => k);
  if (M === 0 || M > MAX_TRAILING_INVERSE || all.every((k) => skip?.(k))) return conditionalVariancesBySolves(chol, sigma, skip);
  return conditionalVariancesByTrailingInverse(chol, sigma, trailingInverse(chol), skip);
}

/**
 * The conditional covariances through G = (L_T L_Tᵀ)⁻¹, the trailing block of (L_Z L_Zᵀ)⁻¹:
 * a dense level's block is G's diagonal block; a sparse level g of block k solves
 * L_SS x_S = e_g over the block-diagonal blocks S (k ≤ i < d; x_k is level g's block alone), then
 * with w = −L_TS x_S (nonzero only where the dense levels meet g)
 *   (L_Z L_Zᵀ)⁻¹_gg = x_Sᵀ x_S + wᵀ G w.
 */
function conditionalVariancesByTrailingInverse(chol: BlockedCholesky, sigma: number, ti: TrailingInverse, skip?: (k: number) => boolean): Float64Array[] {
  const { gram, K } = chol;
  const blocks = gram.blocks;
  const { d, M, offsets, negG } = ti;
  const out: Float64Array[] = [];
  for (let k = 0; k < K; k++) {
    const q = blocks[k].q;
    const res = new Float64Array(blocks[k].nl * q * q);
    // a block whose variances the caller computes otherwise (a known covariance: src/relmat/conditional.ts)
    if (skip?.(k)) { out.push(res); continue; }
    const Mg = new Float64Array(q * q);
    const TM = new Float64Array(q * q);
    if (k >= d) {
      const o = offsets[k - d];
      for (let g = 0; g < blocks[k].nl; g++) {
        for (let c1 = 0; c1 < q; c1++) {
          for (let c2 = 0; c2 <= c1; c2++) {
            const v = -negG[(o + g * q + c1) * M + o + g * q + c2];
            Mg[c1 * q + c2] = v;
            Mg[c2 * q + c1] = v;
          }
        }
        scaleByTemplate(chol.T[k], q, Mg, sigma, res, g, TM);
      }
      out.push(res);
      continue;
    }
    // x[col][i], i < d: block i of the solution of L x = e_(g, col); w[col]: its right-hand side for L_T
    const x: Float64Array[][] = Array.from({ length: q }, () => blocks.map((_, i) => new Float64Array(i >= k && i < d ? chol.m[i] : 0)));
    const w: Float64Array[] = Array.from({ length: q }, () => new Float64Array(M));
    const touched = new Int32Array(M);
    const mark = new Uint8Array(M);
    for (let g = 0; g < blocks[k].nl; g++) {
      let nt = 0;
      for (let col = 0; col < q; col++) {
        const xc = x[col];
        for (let i = k + 1; i < d; i++) xc[i].fill(0);
        xc[k].fill(0, g * q, g * q + q);
        xc[k][g * q + col] = 1;
        solveLower(chol.Lkk[k], q, xc[k], g * q, g * q * q, q);
        for (let i = k + 1; i < d; i++) solveBelow(chol, xc, k, g, i, null);
        // w = −Σ_{k ≤ i < d} L_ji x_i for the dense blocks j, through the sparse patterns
        const wc = w[col];
        for (let j = d; j < K; j++) {
          const qj = blocks[j].q, oj = offsets[j - d];
          for (let i = k; i < d; i++) {
            const P = chol.patterns[j][i];
            const V = chol.Ljk[j][i];
            const qi = blocks[i].q;
            const xi = xc[i];
            const c0 = i === k ? g : 0;
            const c1 = i === k ? g + 1 : P.ncol;
            for (let c = c0; c < c1; c++) {
              for (let e = P.colPtr[c]; e < P.colPtr[c + 1]; e++) {
                const a = oj + P.rowIdx[e] * qj;
                for (let s = 0; s < qj; s++) {
                  let acc = 0;
                  for (let t = 0; t < qi; t++) acc += V[e * qj * qi + s * qi + t] * xi[c * qi + t];
                  if (acc === 0) continue;
                  wc[a + s] -= acc;
                  if (!mark[a + s]) {
                    mark[a + s] = 1;
                    touched[nt++] = a + s;
                  }
                }
              }
            }
          }
        }
      }
      for (let c1 = 0; c1 < q; c1++) {
        for (let c2 = 0; c2 <= c1; c2++) {
          // x_Sᵀ x_S (only level g's block of x_k is nonzero)
          let acc = 0;
          for (let i = k; i < d; i++) {
            const a = x[c1][i], bb = x[c2][i];
            const r0 = i === k ? g * q : 0;
            const r1 = i === k ? g * q + q : a.length;
            for (let r = r0; r < r1; r++) acc += a[r] * bb[r];
          }
          // + wᵀ G w over the touched dense levels (G symmetric, lower triangle of −G stored)
          const wa = w[c1], wb = w[c2];
          let quad = 0;
          for (let u = 0; u < nt; u++) {
            const a = touched[u];
            const row = a * M;
            let s = 0;
            for (let v = 0; v < nt; v++) {
              const b = touched[v];
              s += (b <= a ? negG[row + b] : negG[b * M + a]) * wb[b];
            }
            quad += wa[a] * s;
          }
          acc -= quad;
          Mg[c1 * q + c2] = acc;
          Mg[c2 * q + c1] = acc;
        }
      }
      for (let u = 0; u < nt; u++) {
        const a = touched[u];
        mark[a] = 0;
        for (let col = 0; col < q; col++) w[col][a] = 0;
      }
      scaleByTemplate(chol.T[k], q, Mg, sigma, res, g, TM);
    }
    out.push(res);
  }
  return out;
}

/** res[g] = σ² T M Tᵀ for one level (T lower q × q, M symmetric q × q; TM: q × q scratch). */
function scaleByTemplate(T: Float64Array, q: number, M: Float64Array, sigma: number, res: Float64Array, g: number, TM = new Float64Array(q * q)): void {
  for (let s = 0; s < q; s++) for (let t = 0; t < q; t++) {
    let acc = 0;
    for (let u = 0; u <= s; u++) acc += T[s * q + u] * M[u * q + t];
    TM[s * q + t] = acc;
  }
  for (let s = 0; s < q; s++) for (let t = 0; t < q; t++) {
    let acc = 0;
    for (let u = 0; u <= t; u++) acc += TM[s * q + u] * T[t * q + u];
    res[g * q * q + s * q + t] = sigma * sigma * acc;
  }
}

/**
 * The conditional covariances by forward solves: the diagonal block of (L Lᵀ)⁻¹ for the columns E
 * of level g is XᵀX where L X = E, solved block by block downwards from block k.
 */
export function conditionalVariancesBySolves(chol: BlockedCholesky, sigma: number, skip?: (k: number) => boolean): Float64Array[] {
  const { gram, K } = chol;
  const blocks = gram.blocks;
  const first = Array.from({ length: K }, (_, k) => k).find((k) => !skip?.(k)) ?? K;
  // inverses of the dense diagonal blocks (after the first block computed here), used with sparse right-hand sides
  const denseInv: (Float64Array | null)[] = blocks.map((_, k) => (chol.isBlockDiagonal(k) || k < first ? null : invertLower(chol.Lkk[k], chol.m[k])));
  const out: Float64Array[] = [];
  for (let k = 0; k < K; k++) {
    const bk = blocks[k];
    // a block whose variances the caller computes otherwise (a known covariance: src/relmat/conditional.ts)
    if (skip?.(k)) { out.push(new Float64Array(bk.nl * bk.q * bk.q)); continue; }
    const q = bk.q;
    const res = new Float64Array(bk.nl * q * q);
    // xs[col][j]: block j of the solution of L x = e_(g, col)
    const xs: Float64Array[][] = Array.from({ length: q }, () => blocks.map((_, j) => new Float64Array(j >= k ? chol.m[j] : 0)));
    const M = new Float64Array(q * q);
    const TM = new Float64Array(q * q);
    for (let g = 0; g < bk.nl; g++) {
      for (let col = 0; col < q; col++) {
        const x = xs[col];
        // x_k = L_kk⁻¹ e (only level g's block of x_k is used when L_kk is block diagonal)
        for (let j = k + 1; j < K; j++) x[j].fill(0);
        if (chol.isBlockDiagonal(k)) {
          x[k].fill(0, g * q, g * q + q);
          x[k][g * q + col] = 1;
          solveLower(chol.Lkk[k], q, x[k], g * q, g * q * q, q);
        } else {
          const inv = denseInv[k]!;
          const mk = chol.m[k];
          x[k].fill(0, 0, g * q);
          for (let r = g * q; r < mk; r++) x[k][r] = inv[r * mk + g * q + col];
        }
        for (let j = k + 1; j < K; j++) solveBelow(chol, x, k, g, j, denseInv[j]);
      }
      // M = XᵀX over the blocks (only block g of x_k is nonzero when L_kk is block diagonal)
      for (let c1 = 0; c1 < q; c1++) {
        for (let c2 = 0; c2 <= c1; c2++) {
          let acc = 0;
          for (let j = k; j < K; j++) {
            const a = xs[c1][j], bb = xs[c2][j];
            const r0 = j === k && chol.isBlockDiagonal(k) ? g * q : 0;
            const r1 = j === k && chol.isBlockDiagonal(k) ? g * q + q : a.length;
            for (let r = r0; r < r1; r++) acc += a[r] * bb[r];
          }
          M[c1 * q + c2] = acc;
          M[c2 * q + c1] = acc;
        }
      }
      // σ² T M Tᵀ
      scaleByTemplate(chol.T[k], q, M, sigma, res, g, TM);
    }
    out.push(res);
  }
  return out;
}

/**
 * Block j of the forward substitution L x = e below block k:
 *   x_j = L_jj⁻¹ (−Σ_{k≤i<j} L_ji x_i)
 * where x_k is nonzero only in level g's block when L_kk is block diagonal.
 */
function solveBelow(chol: BlockedCholesky, x: Float64Array[], k: number, g: number, j: number, inv: Float64Array | null): void {
  const blocks = chol.gram.blocks;
  const rhs = x[j];
  const qj = blocks[j].q;
  for (let i = k; i < j; i++) {
    const V = chol.Ljk[j][i];
    const xi = x[i];
    const qi = blocks[i].q;
    if (chol.isBlockDiagonal(i)) {
      const P = chol.patterns[j][i];
      const c0 = i === k ? g : 0;
      const c1 = i === k ? g + 1 : P.ncol;
      for (let c = c0; c < c1; c++) {
        for (let e = P.colPtr[c]; e < P.colPtr[c + 1]; e++) {
          const a = P.rowIdx[e];
          for (let s = 0; s < qj; s++) {
            let acc = 0;
            for (let t = 0; t < qi; t++) acc += V[e * qj * qi + s * qi + t] * xi[c * qi + t];
            rhs[a * qj + s] -= acc;
          }
        }
      }
    } else {
      const mi = chol.m[i], mj = chol.m[j];
      for (let r = 0; r < mj; r++) {
        let acc = 0;
        for (let t = 0; t < mi; t++) acc += V[r * mi + t] * xi[t];
        rhs[r] -= acc;
      }
    }
  }
  if (inv === null) {
    for (let c = 0; c < blocks[j].nl; c++) solveLower(chol.Lkk[j], qj, rhs, c * qj, c * qj * qj, qj);
    return;
  }
  // x_j = L_jj⁻¹ rhs through the inverse, touching only the nonzeros of rhs
  const mj = chol.m[j];
  const sol = new Float64Array(mj);
  for (let c = 0; c < mj; c++) {
    const v = rhs[c];
    if (v === 0) continue;
    for (let r = c; r < mj; r++) sol[r] += inv[r * mj + c] * v;
  }
  rhs.set(sol);
}
