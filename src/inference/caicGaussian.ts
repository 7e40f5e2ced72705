/**
 * The bias correction of the conditional AIC of a linear mixed model (Greven & Kneib 2010, "On the
 * behaviour of marginal and conditional AIC in linear mixed models", Biometrika 97; cAIC4 1.0's
 * calculateGaussianBc with its analytic B): the effective degrees of freedom
 *
 *   ρ = tr(∂ŷ/∂y) = tr(H) + Σ_j (∂τ̂_j/∂y)ᵀ (∂ŷ/∂τ_j),   + the σ penalty (1 by default),
 *
 * with ŷ = Xβ̂ + Zb̂ the conditional fit and τ the parameters of the scaled marginal covariance
 * V₀ = V/σ² = I + Σ_j τ_j W_j, W_j = Z D_j Zᵀ, D_j the 0/1 pattern of the entries of ΛΛᵀ that θ_j
 * carries (cAIC4's Wlist: θ_j's places in Λ and Λᵀ, the diagonal once). In cAIC4's notation:
 *
 *   A  = V₀⁻¹ − V₀⁻¹X(XᵀV₀⁻¹X)⁻¹XᵀV₀⁻¹        (e = A y = y − ŷ, tr(H) = n − tr(A))
 *   e_ᵀy = yᵀe (the penalized residual sum of squares r²),   e_j = eᵀW_j e
 *   C_j· = eᵀW_j A − e_j eᵀ / (2 yᵀe)                                    (∂²ℓ/∂τ_j∂y)
 *   B_jk = −yᵀe tr(W_j Ã W_k Ã) / (2 n′) − e_j e_k / (2 yᵀe) + eᵀW_k A W_j e   (∂²ℓ/∂τ_j∂τ_k)
 *   ρ = n − tr(A) + Σ_j (B⁻¹C)_j· A W_j e   (+ σ penalty)
 *
 * with n′ = n − p and Ã = A for REML, n′ = n and Ã = V₀⁻¹ for ML.
 *
 * cAIC4 forms A, V₀⁻¹ and every W_j as dense n × n matrices. Here nothing n × n is formed: with
 * W = [ZΛ X] and the mixed-model equations' matrix M = WᵀW + diag(I_q, 0) (the penalized system
 * lme4 factors as L, R_ZX, R_X), A = I − W M⁻¹ Wᵀ and V₀⁻¹ = I − ZΛ(ΛᵀZᵀZΛ + I)⁻¹ΛᵀZᵀ, so
 *   - A v and V₀⁻¹ v are two passes over the rows and a (q+p)-vector product;
 *   - tr(A) = n − tr(M⁻¹ WᵀW) = n − q − p + tr((M⁻¹)_uu);
 *   - tr(W_j Ã W_k Ã) = tr(D_j N D_k N), N = ZᵀÃZ = ZᵀZ − F M⁻¹ Fᵀ (F = ZᵀW; for ML F = ZᵀZΛ and
 *     (ΛᵀZᵀZΛ + I)⁻¹), a q × q matrix, and the sum runs over D_j's and D_k's entries only.
 * Cost: O(n s (s + p)) for the cross-products (s: nonzeros of a row of Z), O(k₁ q₁² + k₁ r² + r³ + q² r)
 * for M⁻¹ by the first term's diagonal blocks and their Schur complement (inverseByFirstBlock: k₁ = ℓ₁q₁
 * the first term's columns, r = q + p − k₁ the rest; O((q + p)³) where r is not small), O((q + p) nnz(F)
 * + q nnz(F)) for N (F as sparse as ZᵀZ), O(m n) for the m vectors,
 * O(Σ_jk |D_j||D_k|) for the traces; memory O((q + p)²) — dense in q (each factor's levels), never in n.
 * Since q ≤ n (times the terms' columns), that is within O(n (q + p)²).
 */
import { ModelError } from '../errors/errors.js';
import { invertGaussJordan, spdInverse } from '../linalg/dense.js';
import { type SparseMatrix, transposeSparse } from './getME.js';

/** the pieces of an LMM at θ, in lme4's parametrization (getME's Z, Λᵀ, Lind, X, y) */
export interface GaussianPieces {
  /** Z, n × q, compressed sparse columns */
  Z: SparseMatrix;
  /** Λᵀ at θ, q × q, compressed sparse columns */
  Lambdat: SparseMatrix;
  /** the 1-based θ index of each stored entry of Λᵀ */
  Lind: Int32Array;
  /** number of θ */
  m: number;
  /** X, n × p, column-major */
  X: Float64Array;
  p: number;
  y: Float64Array;
  REML: boolean;
  /**
   * the first term's layout (lme4's order: the most levels first): `count` levels of `size` columns each,
   * Z's first size·count columns. No two of its levels share a row, so M's leading block is block
   * diagonal and M⁻¹ comes from its blocks and a Schur complement (inverseByFirstBlock); absent: dense.
   */
  firstBlock?: { size: number; count: number };
}

export interface GaussianBc {
  /** ρ without the σ penalty */
  rho: number;
  /** e = y − ŷ, the conditional residuals at θ */
  e: Float64Array;
  /** yᵀe = r², the penalized residual sum of squares */
  tye: number;
  /** tr(H) = n − tr(A) */
  traceHat: number;
}

/** the largest q + p for which the dense (q + p)² work is done */
export const CAIC_MAX_DIM = 4000;

export function gaussianBiasCorrection(pc: GaussianPieces): GaussianBc {
  const { Z, Lambdat, Lind, m, X, p, y, REML } = pc;
  const n = Z.nrow, q = Z.ncol, d = q + p;
  if (d > CAIC_MAX_DIM) {
    throw new ModelError(`cAIC: the model has q + p = ${d} random and fixed effects; the bias correction works with dense (q + p)² matrices, refused above ${CAIC_MAX_DIM}`);
  }
  // Z's rows as (column, value) lists: the columns of Zᵀ
  const Zt = transposeSparse(Z);
  const Zr = { p: Zt.p, j: Zt.i, x: Zt.x };
  // rows of ZΛ: (ZΛ)_r· = Σ_k Z_rk Λ_k· , Λ_k· being column k of Λᵀ
  const zlP = new Int32Array(n + 1);
  const zlJ: number[] = [], zlX: number[] = [];
  const acc = new Float64Array(q), mark = new Int32Array(q).fill(-1);
  const touched: number[] = [];
  for (let r = 0; r < n; r++) {
    touched.length = 0;
    for (let e = Zr.p[r]; e < Zr.p[r + 1]; e++) {
      const k = Zr.j[e], z = Zr.x[e];
      for (let t = Lambdat.p[k]; t < Lambdat.p[k + 1]; t++) {
        const c = Lambdat.i[t];
        if (mark[c] !== r) { mark[c] = r; acc[c] = 0; touched.push(c); }
        acc[c] += z * Lambdat.x[t];
      }
    }
    for (const c of touched) { zlJ.push(c); zlX.push(acc[c]); }
    zlP[r + 1] = zlJ.length;
  }
  // M = WᵀW + diag(I_q, 0) with W = [ZΛ X]; F = ZᵀW = [ZᵀZΛ ZᵀX]; G = ZᵀZ (all dense, row-major)
  const M = new Float64Array(d * d), F = new Float64Array(q * d), G = new Float64Array(q * q);
  const xr = new Float64Array(p);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < p; c++) xr[c] = X[c * n + r];
    const a0 = zlP[r], a1 = zlP[r + 1];
    for (let a = a0; a < a1; a++) {
      const ja = zlJ[a], va = zlX[a];
      for (let b = a0; b < a1; b++) M[ja * d + zlJ[b]] += va * zlX[b];
      for (let c = 0; c < p; c++) M[ja * d + q + c] += va * xr[c];
    }
    for (let c = 0; c < p; c++) for (let c2 = 0; c2 < p; c2++) M[(q + c) * d + q + c2] += xr[c] * xr[c2];
    for (let e = Zr.p[r]; e < Zr.p[r + 1]; e++) {
      const k = Zr.j[e], z = Zr.x[e];
      for (let e2 = Zr.p[r]; e2 < Zr.p[r + 1]; e2++) G[k * q + Zr.j[e2]] += z * Zr.x[e2];
      for (let a = a0; a < a1; a++) F[k * d + zlJ[a]] += z * zlX[a];
      for (let c = 0; c < p; c++) F[k * d + q + c] += z * xr[c];
    }
  }
  for (let a = 0; a < q; a++) M[a * d + a] += 1;
  for (let a = q; a < d; a++) for (let b = 0; b < q; b++) M[a * d + b] = M[b * d + a];
  const K = pc.firstBlock && pc.firstBlock.size * pc.firstBlock.count < d
    ? inverseByFirstBlock(M, d, pc.firstBlock.size, pc.firstBlock.count)
    : spdInverse(M, d, 'the mixed-model equations matrix [ΛᵀZᵀZΛ + I, ΛᵀZᵀX; XᵀZΛ, XᵀX]').inv;

  // W v (n) and Wᵀ v (q + p)
  const Wt = (v: Float64Array): Float64Array => {
    const out = new Float64Array(d);
    for (let r = 0; r < n; r++) {
      const vr = v[r];
      if (vr === 0) continue;
      for (let a = zlP[r]; a < zlP[r + 1]; a++) out[zlJ[a]] += zlX[a] * vr;
      for (let c = 0; c < p; c++) out[q + c] += X[c * n + r] * vr;
    }
    return out;
  };
  const Wv = (c: Float64Array, uOnly = false): Float64Array => {
    const out = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let a = zlP[r]; a < zlP[r + 1]; a++) s += zlX[a] * c[zlJ[a]];
      if (!uOnly) for (let k = 0; k < p; k++) s += X[k * n + r] * c[q + k];
      out[r] = s;
    }
    return out;
  };
  const symv = (S: Float64Array, k: number, v: Float64Array): Float64Array => {
    const out = new Float64Array(k);
    for (let a = 0; a < k; a++) { let s = 0; for (let b = 0; b < k; b++) s += S[a * k + b] * v[b]; out[a] = s; }
    return out;
  };
  // A v = v − W M⁻¹ Wᵀ v
  const Av = (v: Float64Array): Float64Array => {
    const w = Wv(symv(K, d, Wt(v)));
    const out = new Float64Array(n);
    for (let r = 0; r < n; r++) out[r] = v[r] - w[r];
    return out;
  };
  const Ztv = (v: Float64Array): Float64Array => {
    const out = new Float64Array(q);
    for (let r = 0; r < n; r++) for (let e = Zr.p[r]; e < Zr.p[r + 1]; e++) out[Zr.j[e]] += Zr.x[e] * v[r];
    return out;
  };
  const Zv = (c: Float64Array): Float64Array => {
    const out = new Float64Array(n);
    for (let r = 0; r < n; r++) { let s = 0; for (let e = Zr.p[r]; e < Zr.p[r + 1]; e++) s += Zr.x[e] * c[Zr.j[e]]; out[r] = s; }
    return out;
  };
  const dot = (a: Float64Array, b: Float64Array) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };

  // e = A y, r² = yᵀe; tr(A) = n − q − p + tr((M⁻¹)_uu)
  const e = Av(y);
  const tye = dot(y, e);
  let trKuu = 0;
  for (let a = 0; a < q; a++) trKuu += K[a * d + a];
  const traceA = n - q - p + trKuu;

  // D_j as its entries (a, b) with D_j[a, b] = 1: θ_j's places in Λ (row a, column b) and Λᵀ
  const D: number[][] = Array.from({ length: m }, () => []);
  for (let c = 0; c < q; c++) {
    for (let t = Lambdat.p[c]; t < Lambdat.p[c + 1]; t++) {
      const rI = Lambdat.i[t], j = Lind[t] - 1; // Λᵀ[rI, c] = Λ[c, rI]
      D[j].push(c, rI);
      if (rI !== c) D[j].push(rI, c);
    }
  }
  const Dv = (j: number, v: Float64Array): Float64Array => {
    const out = new Float64Array(q);
    const Dj = D[j];
    for (let t = 0; t < Dj.length; t += 2) out[Dj[t]] += v[Dj[t + 1]];
    return out;
  };

  // N = ZᵀÃZ: REML ZᵀZ − F M⁻¹ Fᵀ; ML ZᵀZ − F_u (ΛᵀZᵀZΛ + I)⁻¹ F_uᵀ (F_u = ZᵀZΛ)
  let N: Float64Array;
  {
    const k = REML ? d : q;
    let Kn: Float64Array;
    if (REML) Kn = K;
    else {
      const S = new Float64Array(q * q);
      for (let a = 0; a < q; a++) for (let b = 0; b < q; b++) S[a * q + b] = M[a * d + b];
      Kn = pc.firstBlock ? inverseByFirstBlock(S, q, pc.firstBlock.size, pc.firstBlock.count) : spdInverse(S, q, 'ΛᵀZᵀZΛ + I').inv;
    }
    // FK = F_k Kn (q × k), then N = G − FK F_kᵀ
    const FK = new Float64Array(q * k);
    for (let a = 0; a < q; a++) {
      for (let u = 0; u < k; u++) {
        const f = F[a * d + u];
        if (f === 0) continue;
        for (let b = 0; b < k; b++) FK[a * k + b] += f * Kn[u * k + b];
      }
    }
    // N_ab = G_ab − Σ_u FK_au F_bu over the nonzeros of F's row b (F is as sparse as ZᵀZ: O(q nnz(F)))
    const fP = new Int32Array(q + 1), fJ: number[] = [], fX: number[] = [];
    for (let b = 0; b < q; b++) {
      for (let u = 0; u < k; u++) { const f = F[b * d + u]; if (f !== 0) { fJ.push(u); fX.push(f); } }
      fP[b + 1] = fJ.length;
    }
    N = Float64Array.from(G);
    for (let a = 0; a < q; a++) {
      const ra = a * k;
      for (let b = a; b < q; b++) {
        let s = 0;
        for (let t = fP[b]; t < fP[b + 1]; t++) s += FK[ra + fJ[t]] * fX[t];
        N[a * q + b] -= s;
        if (b !== a) N[b * q + a] -= s;
      }
    }
  }

  // per θ_j: W_j e = Z D_j Zᵀe, e_j = eᵀW_j e, a_j = A W_j e
  const Zte = Ztv(e);
  const eW: number[] = [], a: Float64Array[] = [], We: Float64Array[] = [];
  for (let j = 0; j < m; j++) {
    const DZte = Dv(j, Zte);
    eW.push(dot(Zte, DZte));
    const w = Zv(DZte);
    We.push(w);
    a.push(Av(w));
  }
  // B_jk (the Hessian of the profiled criterion in τ) and Γ_kj = C_k· a_j
  const np = REML ? n - p : n;
  const B = new Float64Array(m * m), Gam = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    const Dj = D[j];
    for (let k = j; k < m; k++) {
      const Dk = D[k];
      // tr(D_j N D_k N) = Σ_{(a,b)∈D_j} Σ_{(c,d)∈D_k} N[b, c] N[d, a]
      let tr = 0;
      for (let s = 0; s < Dj.length; s += 2) {
        const ra = Dj[s], cb = Dj[s + 1];
        for (let t = 0; t < Dk.length; t += 2) tr += N[cb * q + Dk[t]] * N[Dk[t + 1] * q + ra];
      }
      const v = -tye * tr / (2 * np) - eW[j] * eW[k] / (2 * tye) + dot(We[k], a[j]);
      B[j * m + k] = v;
      B[k * m + j] = v;
    }
  }
  for (let k = 0; k < m; k++) for (let j = 0; j < m; j++) Gam[k * m + j] = dot(a[k], a[j]) - eW[k] / (2 * tye) * dot(e, a[j]);
  const Binv = invertGaussJordan(B, m);
  if (!Binv) throw new ModelError('cAIC: the matrix B of second derivatives of the criterion in the covariance parameters is singular at θ');
  // ρ = n − tr(A) + Σ_j Σ_k (B⁻¹)_jk Γ_kj
  let rho = n - traceA;
  for (let j = 0; j < m; j++) for (let k = 0; k < m; k++) rho += Binv[j * m + k] * Gam[k * m + j];
  return { rho, e, tye, traceHat: n - traceA };
}

/**
 * M⁻¹ for M = [A₁₁ A₁₂; A₂₁ A₂₂] (d × d, row-major, symmetric positive definite) whose leading k₁ × k₁
 * block A₁₁ is block diagonal, `count` blocks of `size` (the first term's levels):
 *   P = A₁₁⁻¹ block by block,  S = A₂₂ − A₂₁ P A₁₂  (the Schur complement, r × r, r = d − k₁),
 *   M⁻¹ = [P + P A₁₂ S⁻¹ A₂₁ P, −P A₁₂ S⁻¹; −S⁻¹ A₂₁ P, S⁻¹].
 * Cost O(k₁ size² + k₁ r² + r³ + k₁² r) in place of O(d³).
 */
export function inverseByFirstBlock(M: Float64Array, d: number, size: number, count: number): Float64Array {
  const k1 = size * count, r = d - k1, b2 = size * size;
  const P = new Float64Array(count * b2);
  const blk = new Float64Array(b2);
  for (let g = 0; g < count; g++) {
    const o = g * size;
    for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) blk[i * size + j] = M[(o + i) * d + o + j];
    P.set(spdInverse(blk, size, `the block of level ${g + 1} of the first random-effects term in ΛᵀZᵀZΛ + I`).inv, g * b2);
  }
  // PA = P A₁₂ (k₁ × r)
  const PA = new Float64Array(k1 * r);
  for (let g = 0; g < count; g++) {
    const o = g * size;
    for (let i = 0; i < size; i++) {
      for (let l = 0; l < size; l++) {
        const pv = P[g * b2 + i * size + l];
        const row = (o + l) * d + k1;
        for (let j = 0; j < r; j++) PA[(o + i) * r + j] += pv * M[row + j];
      }
    }
  }
  // S = A₂₂ − A₁₂ᵀ P A₁₂
  const S = new Float64Array(r * r);
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) S[i * r + j] = M[(k1 + i) * d + k1 + j];
  for (let a = 0; a < k1; a++) {
    const row = a * d + k1;
    for (let i = 0; i < r; i++) {
      const m = M[row + i];
      if (m === 0) continue;
      for (let j = 0; j < r; j++) S[i * r + j] -= m * PA[a * r + j];
    }
  }
  const Sinv = r > 0 ? spdInverse(S, r, 'the Schur complement of the first random-effects term in the mixed-model equations').inv : S;
  // PAS = P A₁₂ S⁻¹ (k₁ × r)
  const PAS = new Float64Array(k1 * r);
  for (let a = 0; a < k1; a++) for (let u = 0; u < r; u++) {
    const v = PA[a * r + u];
    if (v === 0) continue;
    for (let j = 0; j < r; j++) PAS[a * r + j] += v * Sinv[u * r + j];
  }
  const K = new Float64Array(d * d);
  for (let a = 0; a < k1; a++) {
    for (let c = a; c < k1; c++) {
      let s = 0;
      for (let j = 0; j < r; j++) s += PAS[a * r + j] * PA[c * r + j];
      K[a * d + c] = s;
      K[c * d + a] = s;
    }
  }
  for (let g = 0; g < count; g++) {
    const o = g * size;
    for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) K[(o + i) * d + o + j] += P[g * b2 + i * size + j];
  }
  for (let a = 0; a < k1; a++) for (let j = 0; j < r; j++) { K[a * d + k1 + j] = -PAS[a * r + j]; K[(k1 + j) * d + a] = -PAS[a * r + j]; }
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) K[(k1 + i) * d + k1 + j] = Sinv[i * r + j];
  return K;
}
