/**
 * The eigenvalues that RLRsim's null distributions of the (restricted) likelihood-ratio test of one
 * variance component use (Crainiceanu & Ruppert 2004; RLRsim's RLRTSim and LRTSim). For the model
 *   y = Xβ + Zb + ε,  b ~ N(0, λσ² I_K),  ε ~ N(0, σ² I_n),  H0: λ = 0,
 * with one scalar random-effects term (Z: n × K, one non-zero per row; Σ = I, as RLRsim's chol(cov2cor(Vr))
 * is for a scalar term):
 *   μ_s = the eigenvalues of Zᵀ(I − H_X)Z = ZᵀZ − (ZᵀX)(XᵀX)⁻¹(XᵀZ)   (RLRTSim's squared singular values
 *         of (I − H_X)Z), computed as ZᵀZ − WᵀW with W = R⁻ᵀ XᵀZ, XᵀX = RᵀR (Cholesky);
 *   ξ_s = the eigenvalues of ZᵀZ (LRTSim's; diagonal here: the levels' Σ z_i²);
 * both sorted decreasing and scaled as RLRsim scales them:
 *   REML: μ ← μ / max μ;
 *   ML:   μ ← μ / max(μ, ξ), then ξ ← ξ / max(μ, ξ) with the already scaled μ (LRTSim's two lines, kept).
 * Eigen-solver: src/linalg/tridiagonalEigen.ts; eigenvalues below 0 by rounding are set to 0 (squares).
 */
import { ModelError } from '../errors/errors.js';
import { NotPositiveDefiniteError, choleskyInPlace, solveLower } from '../linalg/dense.js';
import { tridiagonalEigen } from '../linalg/tridiagonalEigen.js';

/** The null design of one scalar term: X (n × p, column-major), the term's level codes and Z values per row. */
export interface RlrtDesign {
  X: Float64Array;
  n: number;
  p: number;
  codes: Int32Array;
  z: Float64Array;
  /** number of levels K */
  K: number;
}

export interface RlrtEigen {
  /** eigenvalues of Zᵀ(I − H_X)Z, decreasing (RLRTSim's μ; K of them, or n if fewer) */
  mu: Float64Array;
  /** eigenvalues of ZᵀZ, decreasing (LRTSim's ξ) */
  xi: Float64Array;
}

/** The cross-products ZᵀZ (diagonal), ZᵀX (K × p, row-major) and XᵀX (p × p). */
function crossProducts(d: RlrtDesign): { ztz: Float64Array; ztx: Float64Array; xtx: Float64Array } {
  const { X, n, p, codes, z, K } = d;
  const ztz = new Float64Array(K), ztx = new Float64Array(K * p), xtx = new Float64Array(p * p);
  for (let i = 0; i < n; i++) {
    const j = codes[i], zi = z[i];
    ztz[j] += zi * zi;
    for (let c = 0; c < p; c++) ztx[j * p + c] += zi * X[c * n + i];
  }
  for (let a = 0; a < p; a++) for (let b = 0; b <= a; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += X[a * n + i] * X[b * n + i];
    xtx[a * p + b] = s;
    xtx[b * p + a] = s;
  }
  return { ztz, ztx, xtx };
}

/** μ and ξ unscaled (see the header). */
export function rlrtEigenvalues(d: RlrtDesign): RlrtEigen {
  const { p, K, n } = d;
  const { ztz, ztx, xtx } = crossProducts(d);
  // XᵀX = L Lᵀ (src/linalg/dense.ts), then W = L⁻¹ XᵀZ (p × K), row l of W the solution of L w_l = (ZᵀX)_l,
  // so that WᵀW = ZᵀX (XᵀX)⁻¹ XᵀZ
  const L = Float64Array.from(xtx);
  try {
    choleskyInPlace(L, p, 'XᵀX');
  } catch (e) {
    if (e instanceof NotPositiveDefiniteError) throw new ModelError('exactRLRT: the fixed-effects design X is rank deficient');
    throw e;
  }
  const W = Float64Array.from(ztx); // row l holds (ZᵀX)_l, then w_l
  for (let l = 0; l < K; l++) solveLower(L, p, W, l * p);
  // M = ZᵀZ − WᵀW (K × K)
  const M = new Float64Array(K * K);
  for (let a = 0; a < K; a++) for (let b = 0; b <= a; b++) {
    let s = a === b ? ztz[a] : 0;
    for (let k = 0; k < p; k++) s -= W[a * p + k] * W[b * p + k];
    M[a * K + b] = s;
    M[b * K + a] = s;
  }
  const values = tridiagonalEigen(M, K, { vectors: false }).values;
  const m = Math.min(K, n);
  const mu = new Float64Array(m);
  for (let s = 0; s < m; s++) mu[s] = Math.max(0, values[s]);
  const xi = Float64Array.from(ztz).sort().reverse().subarray(0, m);
  return { mu, xi: Float64Array.from(xi) };
}

/** RLRTSim's scaling: μ / max μ. */
export function scaleRemlEigen(e: RlrtEigen): Float64Array {
  const top = Math.max(...e.mu);
  if (!(top > 0)) throw new ModelError('exactRLRT: the tested random effect is confounded with the fixed effects (Zᵀ(I − H_X)Z = 0): its variance cannot be tested');
  return e.mu.map((v) => v / top);
}

/** LRTSim's scaling: μ / max(μ, ξ), then ξ / max(μ', ξ) with the scaled μ' (RLRsim's order). */
export function scaleMlEigen(e: RlrtEigen): { mu: Float64Array; xi: Float64Array } {
  const top = Math.max(...e.mu, ...e.xi);
  if (!(top > 0)) throw new ModelError('exactLRT: the random effect\'s design Z is zero');
  const mu = e.mu.map((v) => v / top);
  const top2 = Math.max(...mu, ...e.xi);
  const xi = e.xi.map((v) => v / top2);
  return { mu, xi };
}
