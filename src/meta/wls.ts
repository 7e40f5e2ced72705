/**
 * Weighted least squares with a diagonal weight matrix W = diag(w), and the traces of its residual
 * projector, in O(k p²) without forming any k × k matrix (k studies, p coefficients):
 *
 *   A = XᵀWX,   β̂ = A⁻¹XᵀWy,   e = y − Xβ̂,   RSS = Σ w_i e_i² (= yᵀPy),
 *   P = W − WXA⁻¹XᵀW   (metafor's P: Py = We, the generalized Q is yᵀPy),
 *   h_i = x_iᵀA⁻¹x_i,
 *   tr(P D) = Σ_i d_i (w_i − w_i² h_i)                                  for a diagonal D,
 *   tr(P D₁ P D₂) = Σ_i d₁ᵢd₂ᵢ(w_i² − 2w_i³h_i) + tr(A⁻¹C₁A⁻¹C₂),  C_m = Xᵀ diag(w² d_m) X,
 * the last from P_ij = w_iδ_ij − w_iw_j x_iᵀA⁻¹x_j. X is column-major (k × p).
 */
import { spdInverse } from '../linalg/dense.js';

export interface Wls {
  /** β̂ (p) */
  beta: Float64Array;
  /** A⁻¹ = (XᵀWX)⁻¹, p × p row-major */
  Ainv: Float64Array;
  /** log |XᵀWX| */
  logDetA: number;
  /** e = y − Xβ̂ (k) */
  resid: Float64Array;
  /** Σ w_i e_i² */
  rss: number;
  /** h_i = x_iᵀ A⁻¹ x_i (k) */
  h: Float64Array;
}

/** Xᵀ diag(d) X, p × p row-major. */
export function crossprodDiag(X: Float64Array, k: number, p: number, d: ArrayLike<number>): Float64Array {
  const out = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    const xa = X.subarray(a * k, a * k + k);
    for (let b = 0; b <= a; b++) {
      const xb = X.subarray(b * k, b * k + k);
      let s = 0;
      for (let i = 0; i < k; i++) s += xa[i] * d[i] * xb[i];
      out[a * p + b] = s;
      out[b * p + a] = s;
    }
  }
  return out;
}


/** x_iᵀ M x_i for each row i of X (M symmetric p × p row-major). */
export function rowQuadratic(X: Float64Array, k: number, p: number, M: Float64Array): Float64Array {
  const out = new Float64Array(k);
  for (let a = 0; a < p; a++) {
    const xa = X.subarray(a * k, a * k + k);
    for (let b = 0; b < p; b++) {
      const m = M[a * p + b];
      if (m === 0) continue;
      const xb = X.subarray(b * k, b * k + k);
      for (let i = 0; i < k; i++) out[i] += xa[i] * m * xb[i];
    }
  }
  return out;
}

/** Xβ (k). */
export function mulXb(X: Float64Array, k: number, p: number, beta: ArrayLike<number>): Float64Array {
  const out = new Float64Array(k);
  for (let j = 0; j < p; j++) {
    const b = beta[j];
    const xj = X.subarray(j * k, j * k + k);
    for (let i = 0; i < k; i++) out[i] += xj[i] * b;
  }
  return out;
}

/** Weighted least squares of y on X with weights w. */
export function wls(X: Float64Array, k: number, p: number, y: ArrayLike<number>, w: ArrayLike<number>): Wls {
  const { inv: Ainv, logDet: logDetA } = spdInverse(crossprodDiag(X, k, p, w), p, "the moderators' weighted cross-product matrix X'WX");
  const Xwy = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    const xj = X.subarray(j * k, j * k + k);
    let s = 0;
    for (let i = 0; i < k; i++) s += xj[i] * w[i] * y[i];
    Xwy[j] = s;
  }
  const beta = new Float64Array(p);
  for (let r = 0; r < p; r++) {
    let s = 0;
    for (let c = 0; c < p; c++) s += Ainv[r * p + c] * Xwy[c];
    beta[r] = s;
  }
  const fit = mulXb(X, k, p, beta);
  const resid = new Float64Array(k);
  let rss = 0;
  for (let i = 0; i < k; i++) {
    resid[i] = y[i] - fit[i];
    rss += w[i] * resid[i] * resid[i];
  }
  return { beta, Ainv, logDetA, resid, rss, h: rowQuadratic(X, k, p, Ainv) };
}

/** The traces of P = W − WXA⁻¹XᵀW for one weighted least-squares fit. */
export class ProjectionTraces {
  constructor(private readonly X: Float64Array, private readonly k: number, private readonly p: number,
    private readonly w: ArrayLike<number>, private readonly fit: Wls) {}

  /** tr(P D) for diagonal D (d = null: D = I) */
  trPD(d: ArrayLike<number> | null = null): number {
    const { w, fit, k } = this;
    let s = 0;
    for (let i = 0; i < k; i++) s += (d ? d[i] : 1) * (w[i] - w[i] * w[i] * fit.h[i]);
    return s;
  }

  /** tr(P D₁ P D₂) for diagonal D₁, D₂ (null: I) */
  trPDPD(d1: ArrayLike<number> | null = null, d2: ArrayLike<number> | null = null): number {
    const { X, k, p, w, fit } = this;
    let s = 0;
    for (let i = 0; i < k; i++) {
      const dd = (d1 ? d1[i] : 1) * (d2 ? d2[i] : 1);
      s += dd * (w[i] * w[i] - 2 * w[i] * w[i] * w[i] * fit.h[i]);
    }
    const c = (d: ArrayLike<number> | null) => crossprodDiag(X, k, p, Float64Array.from({ length: k }, (_, i) => w[i] * w[i] * (d ? d[i] : 1)));
    const C1 = c(d1);
    const C2 = d1 === d2 ? C1 : c(d2);
    // tr(A⁻¹C₁A⁻¹C₂) = Σ (A⁻¹C₁)_{ab} (A⁻¹C₂)_{ba}
    const M1 = matmul(fit.Ainv, C1, p);
    const M2 = C1 === C2 ? M1 : matmul(fit.Ainv, C2, p);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) s += M1[a * p + b] * M2[b * p + a];
    return s;
  }

  /** yᵀPPy = Σ w_i² e_i² (Py = We) */
  yPPy(): number {
    let s = 0;
    for (let i = 0; i < this.k; i++) s += this.w[i] * this.w[i] * this.fit.resid[i] * this.fit.resid[i];
    return s;
  }
}

function matmul(A: Float64Array, B: Float64Array, p: number): Float64Array {
  const out = new Float64Array(p * p);
  for (let r = 0; r < p; r++) for (let t = 0; t < p; t++) {
    const a = A[r * p + t];
    if (a === 0) continue;
    for (let c = 0; c < p; c++) out[r * p + c] += a * B[t * p + c];
  }
  return out;
}
