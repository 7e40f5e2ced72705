/**
 * A dense reference evaluation of an LMM whose random blocks may have a known covariance factor F:
 * the whole Gram matrix [Z X y]ᵀ[Z X y] assembled densely from its blocks, transformed by the dense
 * matrix B = blockdiag(F ⊗ I_q for a relmat block (extended by zero rows for levels without data),
 * I elsewhere) as Bᵀ A B — written independently of src/relmat/covFactor.ts's kernels — then
 * Λ(θ) and one dense Cholesky of the augmented system (Bates et al. 2015, eqs. 18–20). Small models
 * only (test sizes).
 */
import type { CovFactor } from '../../src/relmat/covFactor.js';
import type { GramMatrix } from '../../src/linalg/gram.js';
import { fillTemplate } from '../../src/linalg/template.js';
import { choleskyInPlace } from '../../src/linalg/dense.js';

/** F as a dense n × n row-major matrix. */
export function denseOf(f: CovFactor): Float64Array {
  const n = f.n;
  if (f.kind === 'dense') return Float64Array.from(f.F);
  const D = new Float64Array(n * n);
  if (f.kind === 'stored') {
    for (let i = 0; i < n; i++) {
      D[i * n + i] = f.diag[i];
      for (let j = 0; j < i; j++) D[i * n + j] = f.U[j * f.ld + i];
    }
    return D;
  }
  for (let i = 0; i < n; i++) for (let e = f.rowPtr[i]; e < f.rowPtr[i + 1]; e++) D[i * n + f.colIdx[e]] = f.values[e];
  return D;
}

export interface DenseEvaluation {
  ldL2: number;
  ldRX2: number;
  pwrss: number;
  beta: Float64Array;
  /** conditional modes on the original scale per block (level-major q-vectors, over the extended levels) */
  b: Float64Array[];
  /** diagonal of (B Λ) S⁻¹ (B Λ)ᵀ per block (times σ² gives the conditional variances) */
  vdiag: Float64Array[];
}

/**
 * `factors[k]`: block k's F over `levels[k]` = (the block's data levels, then `extra[k]` levels
 * without data), or null. Returns the objective's parts at lme4's θ (not the internal θ: blocks
 * must be uncentred, Zc = Z).
 */
export function denseRelmatEvaluate(gram: GramMatrix, factors: (CovFactor | null)[], extra: number[], theta: ArrayLike<number>): DenseEvaluation {
  const { blocks, p } = gram;
  const p1 = p + 1;
  const K = blocks.length;
  const mData = blocks.map((b) => b.nl * b.q);
  const mExt = blocks.map((b, k) => (b.nl + extra[k]) * b.q);
  const offData: number[] = [];
  const offExt: number[] = [];
  let md = 0, me = 0;
  for (let k = 0; k < K; k++) { offData.push(md); offExt.push(me); md += mData[k]; me += mExt[k]; }
  // the full Gram matrix over the extended levels (zero rows/columns for levels without data)
  const N = me + p1;
  const A = new Float64Array(N * N);
  const set = (r: number, c: number, v: number) => { A[r * N + c] = v; A[c * N + r] = v; };
  for (let k = 0; k < K; k++) {
    const { q, nl } = blocks[k];
    for (let g = 0; g < nl; g++) for (let s = 0; s < q; s++) for (let t = 0; t < q; t++) {
      set(offExt[k] + g * q + s, offExt[k] + g * q + t, gram.Akk[k][g * q * q + s * q + t]);
    }
    for (let r = 0; r < p1; r++) for (let c = 0; c < nl * q; c++) set(me + r, offExt[k] + c, gram.AXk[k][r * nl * q + c]);
    for (let j = k + 1; j < K; j++) {
      const B = gram.Ajk[j][k];
      const qj = blocks[j].q;
      for (let col = 0; col < B.pattern.ncol; col++) {
        for (let e = B.pattern.colPtr[col]; e < B.pattern.colPtr[col + 1]; e++) {
          const row = B.pattern.rowIdx[e];
          for (let s = 0; s < qj; s++) for (let t = 0; t < q; t++) {
            set(offExt[j] + row * qj + s, offExt[k] + col * q + t, B.values[e * qj * q + s * q + t]);
          }
        }
      }
    }
  }
  for (let r = 0; r < p1; r++) for (let c = 0; c <= r; c++) set(me + r, me + c, gram.AXX[r * p1 + c]);
  // BΛ: the map from u to b on the original scale (dense, N_Z × N_Z)
  const BL = new Float64Array(me * me);
  for (let k = 0; k < K; k++) {
    const { q } = blocks[k];
    const nlx = mExt[k] / q;
    const T = new Float64Array(q * q);
    fillTemplate(blocks[k], theta, T);
    const f = factors[k];
    const F = f ? denseOf(f) : null;
    if (f && f.n !== nlx) throw new Error(`factor of block ${k} has ${f.n} levels, the block ${nlx}`);
    for (let i = 0; i < nlx; i++) for (let j = 0; j < nlx; j++) {
      const fij = F ? F[i * nlx + j] : i === j ? 1 : 0;
      if (fij === 0) continue;
      for (let s = 0; s < q; s++) for (let t = 0; t < q; t++) BL[(offExt[k] + i * q + s) * me + offExt[k] + j * q + t] = fij * T[s * q + t];
    }
  }
  // the augmented matrix [ (BΛ)ᵀ A_ZZ (BΛ) + I, (BΛ)ᵀ A_Zx ; A_xZ (BΛ), A_xx ]
  const M = new Float64Array(N * N);
  const AZ = new Float64Array(N * me); // A[:, Z] (BΛ)
  for (let r = 0; r < N; r++) for (let c = 0; c < me; c++) {
    let acc = 0;
    for (let t = 0; t < me; t++) acc += A[r * N + t] * BL[t * me + c];
    AZ[r * me + c] = acc;
  }
  for (let r = 0; r < me; r++) for (let c = 0; c < me; c++) {
    let acc = 0;
    for (let t = 0; t < me; t++) acc += BL[t * me + r] * AZ[t * me + c];
    M[r * N + c] = acc + (r === c ? 1 : 0);
  }
  for (let r = me; r < N; r++) {
    for (let c = 0; c < me; c++) { M[r * N + c] = AZ[r * me + c]; M[c * N + r] = AZ[r * me + c]; }
    for (let c = me; c < N; c++) M[r * N + c] = A[r * N + c];
  }
  const L = Float64Array.from(M);
  const ldL2 = choleskyInPlace(L, me, 'S', 0, N);
  // the rest: L_XZ and the Schur complement
  for (let r = me; r < N; r++) {
    for (let c = 0; c < me; c++) {
      let v = L[r * N + c];
      for (let t = 0; t < c; t++) v -= L[r * N + t] * L[c * N + t];
      L[r * N + c] = v / L[c * N + c];
    }
  }
  const S = new Float64Array(p1 * p1);
  for (let r = 0; r < p1; r++) for (let c = 0; c <= r; c++) {
    let v = L[(me + r) * N + me + c];
    for (let t = 0; t < me; t++) v -= L[(me + r) * N + t] * L[(me + c) * N + t];
    S[r * p1 + c] = v;
  }
  const ldRX2 = p > 0 ? choleskyInPlace(S, p, 'RX', 0, p1) : 0;
  const ry = new Float64Array(p);
  for (let s = 0; s < p; s++) {
    let v = S[p * p1 + s];
    for (let t = 0; t < s; t++) v -= ry[t] * S[s * p1 + t];
    ry[s] = v / S[s * p1 + s];
  }
  let pwrss = S[p * p1 + p];
  for (let t = 0; t < p; t++) pwrss -= ry[t] * ry[t];
  // β̂: R_X β = r_yX (R_X = Sᵀ upper)
  const beta = new Float64Array(p);
  for (let s = p - 1; s >= 0; s--) {
    let v = ry[s];
    for (let t = s + 1; t < p; t++) v -= S[t * p1 + s] * beta[t];
    beta[s] = v / S[s * p1 + s];
  }
  // u = L_Z⁻ᵀ (c_y − L_XZᵀ β̂), c_y = row y of L's Z part
  const rhs = new Float64Array(me);
  for (let c = 0; c < me; c++) {
    let v = L[(me + p) * N + c];
    for (let s = 0; s < p; s++) v -= L[(me + s) * N + c] * beta[s];
    rhs[c] = v;
  }
  for (let c = me - 1; c >= 0; c--) {
    let v = rhs[c];
    for (let t = c + 1; t < me; t++) v -= L[t * N + c] * rhs[t];
    rhs[c] = v / L[c * N + c];
  }
  const ball = new Float64Array(me);
  for (let r = 0; r < me; r++) { let v = 0; for (let c = 0; c < me; c++) v += BL[r * me + c] * rhs[c]; ball[r] = v; }
  // diag((BΛ) S⁻¹ (BΛ)ᵀ) = Σ_c W[c][r]², W = L_Z⁻¹ (BΛ)ᵀ
  const vall = new Float64Array(me);
  const w = new Float64Array(me);
  for (let r = 0; r < me; r++) {
    for (let c = 0; c < me; c++) w[c] = BL[r * me + c];
    for (let c = 0; c < me; c++) {
      let v = w[c];
      for (let t = 0; t < c; t++) v -= L[c * N + t] * w[t];
      w[c] = v / L[c * N + c];
    }
    let acc = 0;
    for (let c = 0; c < me; c++) acc += w[c] * w[c];
    vall[r] = acc;
  }
  return {
    ldL2, ldRX2, pwrss, beta,
    b: blocks.map((_, k) => ball.slice(offExt[k], offExt[k] + mExt[k])),
    vdiag: blocks.map((_, k) => vall.slice(offExt[k], offExt[k] + mExt[k])),
  };
}
