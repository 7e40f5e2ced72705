/**
 * clubSandwich's P array (get_P_array of get_GH, inverse-variance weights) in closed form. For linear
 * combinations c_s of β (rows of a constraint matrix; unit vectors for coef_test), the J × J matrix
 *
 *   P_st = D_st − h_sᵀ h_t,   D_st = diag_j(c_sᵀ G_jG_jᵀ c_t),   h_s = [H_1ᵀc_s … H_Jᵀc_s]  (p × J)
 *
 * (G_j = M E_j Uᵀ_j, H_j = M E_j X_j L_M: src/inference/robust/vcovCR.ts) is never formed: the
 * Satterthwaite and Hotelling tests need only traces and Frobenius products of these diagonal-minus-
 * low-rank matrices,
 *
 *   tr P_st = Σ_j D_st[j] − Σ_j h_s[·,j]·h_t[·,j],
 *   ⟨P_st, P_uv⟩ = Σ_j D_st D_uv − Σ_j D_st[j] h_u[·,j]·h_v[·,j] − Σ_j D_uv[j] h_s[·,j]·h_t[·,j] + Σ (h_s h_uᵀ) ∘ (h_t h_vᵀ),
 *
 * O(J p²) each instead of O(J²).
 */
import type { VcovCR } from './vcovCR.js';

export interface PArray {
  /** the number of combinations q */
  q: number;
  J: number;
  p: number;
  /** D[s][t][j] */
  D: Float64Array[][];
  /** h[s]: p × J row-major */
  h: Float64Array[];
}

/** The P array's pieces for the rows of C (q × p row-major). */
export function pArray(v: VcovCR, C: ArrayLike<number>, q: number): PArray {
  const { p, J } = v;
  const D: Float64Array[][] = Array.from({ length: q }, () => Array.from({ length: q }, () => new Float64Array(J)));
  const h = Array.from({ length: q }, () => new Float64Array(p * J));
  const cg = new Float64Array(p);
  for (let j = 0; j < J; j++) {
    const gg = v.gg[j], H = v.h[j];
    for (let s = 0; s < q; s++) {
      // c_sᵀ GG_j
      for (let b = 0; b < p; b++) {
        let acc = 0;
        for (let a = 0; a < p; a++) acc += C[s * p + a] * gg[a * p + b];
        cg[b] = acc;
      }
      for (let t = 0; t <= s; t++) {
        let acc = 0;
        for (let b = 0; b < p; b++) acc += cg[b] * C[t * p + b];
        D[s][t][j] = acc;
        D[t][s][j] = acc;
      }
      // h_s[·, j] = H_jᵀ c_s
      for (let u = 0; u < p; u++) {
        let acc = 0;
        for (let a = 0; a < p; a++) acc += C[s * p + a] * H[a * p + u];
        h[s][u * J + j] = acc;
      }
    }
  }
  return { q, J, p, D, h };
}

/** The same pieces for combinations K (r × q) of the array's rows: D ← K D Kᵀ, h ← K h. */
export function rotate(P: PArray, K: ArrayLike<number>, r: number): PArray {
  const { q, J, p } = P;
  const D = Array.from({ length: r }, () => Array.from({ length: r }, () => new Float64Array(J)));
  for (let s = 0; s < r; s++) for (let t = 0; t <= s; t++) {
    const out = D[s][t];
    for (let a = 0; a < q; a++) for (let b = 0; b < q; b++) {
      const k = K[s * q + a] * K[t * q + b];
      if (k === 0) continue;
      const src = P.D[a][b];
      for (let j = 0; j < J; j++) out[j] += k * src[j];
    }
    D[t][s] = out;
  }
  const h = Array.from({ length: r }, (_, s) => {
    const out = new Float64Array(p * J);
    for (let a = 0; a < q; a++) {
      const k = K[s * q + a];
      if (k === 0) continue;
      const src = P.h[a];
      for (let i = 0; i < p * J; i++) out[i] += k * src[i];
    }
    return out;
  });
  return { q: r, J, p, D, h };
}

/** Σ_j h_s[·,j]·h_t[·,j] per j */
function columnDots(P: PArray, s: number, t: number): Float64Array {
  const { J, p } = P;
  const out = new Float64Array(J);
  const a = P.h[s], b = P.h[t];
  for (let u = 0; u < p; u++) for (let j = 0; j < J; j++) out[j] += a[u * J + j] * b[u * J + j];
  return out;
}

/** h_s h_tᵀ (p × p) */
function gram(P: PArray, s: number, t: number): Float64Array {
  const { J, p } = P;
  const out = new Float64Array(p * p);
  const a = P.h[s], b = P.h[t];
  for (let u = 0; u < p; u++) for (let v = 0; v < p; v++) {
    let acc = 0;
    for (let j = 0; j < J; j++) acc += a[u * J + j] * b[v * J + j];
    out[u * p + v] = acc;
  }
  return out;
}

/** Cached traces and Frobenius products of the array's matrices. */
export class PProducts {
  private dots = new Map<string, Float64Array>();
  private grams = new Map<string, Float64Array>();
  constructor(readonly P: PArray) {}

  private dot(s: number, t: number): Float64Array {
    const k = s <= t ? `${s},${t}` : `${t},${s}`;
    let d = this.dots.get(k);
    if (!d) { d = columnDots(this.P, s, t); this.dots.set(k, d); }
    return d;
  }

  private gram(s: number, t: number): Float64Array {
    const k = `${s},${t}`;
    let g = this.grams.get(k);
    if (!g) { g = gram(this.P, s, t); this.grams.set(k, g); }
    return g;
  }

  /** tr P_st */
  trace(s: number, t: number): number {
    const D = this.P.D[s][t], d = this.dot(s, t);
    let acc = 0;
    for (let j = 0; j < D.length; j++) acc += D[j] - d[j];
    return acc;
  }

  /** ⟨P_st, P_uv⟩ = Σ_jk P_st[j,k] P_uv[j,k] */
  inner(s: number, t: number, u: number, v: number): number {
    const D1 = this.P.D[s][t], D2 = this.P.D[u][v];
    const d1 = this.dot(s, t), d2 = this.dot(u, v);
    let acc = 0;
    for (let j = 0; j < D1.length; j++) acc += D1[j] * D2[j] - D1[j] * d2[j] - D2[j] * d1[j];
    // ⟨h_sᵀh_t, h_uᵀh_v⟩ = Σ (h_s h_uᵀ) ∘ (h_t h_vᵀ)
    const A = this.gram(s, u), B = this.gram(t, v);
    for (let k = 0; k < A.length; k++) acc += A[k] * B[k];
    return acc;
  }

  /** P_st as a dense J × J matrix (row-major), for its eigenvalues (the saddlepoint test) */
  dense(s: number, t: number): Float64Array {
    const { J, p, h, D } = this.P;
    const out = new Float64Array(J * J);
    const a = h[s], b = h[t];
    for (let j = 0; j < J; j++) for (let k = 0; k < J; k++) {
      let acc = 0;
      for (let u = 0; u < p; u++) acc += a[u * J + j] * b[u * J + k];
      out[j * J + k] = -acc;
    }
    for (let j = 0; j < J; j++) out[j * J + j] += D[s][t][j];
    return out;
  }
}
