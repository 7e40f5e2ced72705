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
 * Cost: O(n s (s + p)) for the cross-products (s: nonzeros of a row of Z), O((q + p)³) for M⁻¹ and N
 * (≤ O(n (q + p)²) since q ≤ n·terms), O(m n) for the m vectors, O(Σ_jk |D_j||D_k|) for the traces;
 * memory O((q + p)²) — dense in q (each factor's levels), never in n.
 */
import { ModelError } from '../errors/errors.js';
import { invertGaussJordan, spdInverse } from '../linalg/dense.js';
import type { SparseMatrix } from './getME.js';

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

/** rows of a CSC matrix as (column, value) lists: row-wise access for the passes over the rows */
function rowsOf(A: SparseMatrix): { p: Int32Array; j: Int32Array; x: Float64Array } {
  const count = new Int32Array(A.nrow + 1);
  for (let e = 0; e < A.i.length; e++) count[A.i[e] + 1]++;
  const p = new Int32Array(A.nrow + 1);
  for (let r = 0; r < A.nrow; r++) p[r + 1] = p[r] + count[r + 1];
  const next = p.slice(0, A.nrow);
  const j = new Int32Array(A.i.length), x = new Float64Array(A.i.length);
  for (let c = 0; c < A.ncol; c++) for (let e = A.p[c]; e < A.p[c + 1]; e++) { const d = next[A.i[e]]++; j[d] = c; x[d] = A.x[e]; }
  return { p, j, x };
}

/** the largest q + p for which the dense (q + p)² work is done */
export const CAIC_MAX_DIM = 4000;

export function gaussianBiasCorrection(pc: GaussianPieces): GaussianBc {
  const { Z, Lambdat, Lind, m, X, p, y, REML } = pc;
  const n = Z.nrow, q = Z.ncol, d = q + p;
  if (d > CAIC_MAX_DIM) {
    throw new ModelError(`cAIC: the model has q + p = ${d} random and fixed effects; the bias correction works with dense (q + p)² matrices, refused above ${CAIC_MAX_DIM}`);
  }
  const Zr = rowsOf(Z);
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
  const K = spdInverse(M, d, 'the mixed-model equations matrix [ΛᵀZᵀZΛ + I, ΛᵀZᵀX; XᵀZΛ, XᵀX]').inv;

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
      Kn = spdInverse(S, q, 'ΛᵀZᵀZΛ + I').inv;
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
    N = Float64Array.from(G);
    for (let a = 0; a < q; a++) {
      for (let b = a; b < q; b++) {
        let s = 0;
        for (let u = 0; u < k; u++) s += FK[a * k + u] * F[b * d + u];
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
