/**
 * CR2's adjustment of one cluster (Bell & McCaffrey's bias-reduced linearization as clubSandwich
 * computes it for an lmerMod, inverse_var = TRUE):
 *
 *   A_j = Uᵀ G^{-1/2} U,   G = U B Uᵀ,   B = V_j − X_j M X_jᵀ,   UᵀU = V_j,
 *
 * with G's eigenvalues ≤ 1e-12 set to 0. A_j does not depend on the factor U (any two differ by an
 * orthogonal Q, U₂ = Q U₁, and G₂ = Q G₁ Qᵀ has G₁'s eigenvalues): with the symmetric root,
 * A_j = V^{1/2} (V^{1/2} B V^{1/2})^{-1/2} V^{1/2}.
 *
 * Low-rank form (`cr2LowRank`), where D_j = c I (no prior weights, or equal ones in the cluster):
 * V_j = c (I + Y Yᵀ), Y = Z̃_j/√c, and X_j lie in the span of an orthonormal basis Q (n_j × r,
 * r ≤ q_j + p: [Y X_j] by Gram–Schmidt twice, dependent columns dropped — X's intercept is Z's). Every
 * matrix above is αI + Q K Qᵀ, a function of which is f(α) I + Q (f(αI + K) − f(α) I) Qᵀ; with
 * K_Y = QᵀY YᵀQ and X_r = QᵀX_j:
 *
 *   S = (I + K_Y)^{1/2},   G_r = c² (I + K_Y)² − c (S X_r) M (S X_r)ᵀ   (G on Q; c² on its complement),
 *   A = I + Q (A_r − I) Qᵀ,   A_r = c S G_r^{-1/2} S,
 *   E = X_jᵀ V⁻¹ A = E_r Qᵀ,   E_r = X_rᵀ (I + K_Y)⁻¹ A_r / c,
 *
 * so E e = E_r (Qᵀe), E X = E_r X_r, E V Eᵀ = c E_r (I + K_Y) E_rᵀ: O(n_j r²) per cluster, no n_j × n_j
 * matrix. Where D_j varies (prior weights that differ within a cluster) V_j is no multiple of
 * I + low rank, and `cr2Dense` works with the n_j × n_j matrices.
 */
import { choleskyInPlace } from '../../linalg/dense.js';
import { symmetricEigen } from '../../linalg/symmetricEigen.js';
import { tridiagonalEigen } from '../../linalg/tridiagonalEigen.js';
import type { ClusterPiece } from './clusterPieces.js';
import { matmul, spdInverse } from '../../linalg/dense.js';

/** a cluster's adjusted estimating matrix E_j through what the variance and its tests need */
export interface ClusterEstimating {
  /** E_j e_j (p) */
  u: Float64Array;
  /** E_j X_j (p × p) */
  EX: Float64Array;
  /** E_j V_j E_jᵀ (p × p) */
  EVE: Float64Array;
}

/** CR2 of one cluster, in the low-rank form where it applies. */
export function cr2Cluster(pc: ClusterPiece, M: Float64Array, p: number, forceDense = false): ClusterEstimating {
  if (!forceDense && pc.dconst !== null && pc.dconst * pc.dconst > 1e-12) return cr2LowRank(pc, M, p);
  return cr2Dense(pc, M, p);
}

/** V diag(f(λ)) Vᵀ of a small symmetric matrix (r × r) */
function matrixFunction(A: Float64Array, r: number, f: (x: number) => number): Float64Array {
  const { values, vectors } = symmetricEigen(A, r);
  const out = new Float64Array(r * r);
  for (let k = 0; k < r; k++) {
    const fk = f(values[k]);
    if (fk === 0) continue;
    for (let a = 0; a < r; a++) {
      const va = vectors[a * r + k] * fk;
      for (let b = 0; b < r; b++) out[a * r + b] += va * vectors[b * r + k];
    }
  }
  return out;
}

/** CR2 of one cluster with D_j = c I, in O(n_j r²) (the header's low-rank form). */
export function cr2LowRank(pc: ClusterPiece, M: Float64Array, p: number): ClusterEstimating {
  const { n, qj } = pc;
  const c = pc.dconst!;
  const m = qj + p;
  // the columns [Y X] (n × m, column-major for Gram–Schmidt)
  const cols: Float64Array[] = [];
  const sc = 1 / Math.sqrt(c);
  for (let k = 0; k < qj; k++) cols.push(Float64Array.from({ length: n }, (_, a) => pc.Zt[a * qj + k] * sc));
  for (let k = 0; k < p; k++) cols.push(Float64Array.from({ length: n }, (_, a) => pc.X[a * p + k]));
  // Q: modified Gram–Schmidt, twice (Kahan–Parlett: twice is enough); a column whose remainder is
  // at rounding level (≤ 1e-12 of its norm) lies in the span already and is dropped
  const Q: Float64Array[] = [];
  for (const col of cols) {
    const v = Float64Array.from(col);
    const norm0 = Math.hypot(...v);
    if (norm0 === 0) continue;
    for (let pass = 0; pass < 2; pass++) {
      for (const q of Q) {
        let s = 0;
        for (let a = 0; a < n; a++) s += q[a] * v[a];
        for (let a = 0; a < n; a++) v[a] -= s * q[a];
      }
    }
    let norm = 0;
    for (let a = 0; a < n; a++) norm += v[a] * v[a];
    norm = Math.sqrt(norm);
    if (norm <= 1e-12 * norm0) continue;
    for (let a = 0; a < n; a++) v[a] /= norm;
    Q.push(v);
  }
  const r = Q.length;
  // coordinates: Y_r = QᵀY (r × q_j), X_r = QᵀX (r × p), e_r = Qᵀe
  const coord = (col: ArrayLike<number>) => Float64Array.from(Q, (q) => { let s = 0; for (let a = 0; a < n; a++) s += q[a] * col[a]; return s; });
  const Yr = cols.slice(0, qj).map(coord);
  const Xr = new Float64Array(r * p);
  for (let k = 0; k < p; k++) { const x = coord(cols[qj + k]); for (let i = 0; i < r; i++) Xr[i * p + k] = x[i]; }
  const er = coord(pc.e);
  // I + K_Y (r × r)
  const IK = new Float64Array(r * r);
  for (const y of Yr) for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) IK[i * r + j] += y[i] * y[j];
  for (let i = 0; i < r; i++) IK[i * r + i] += 1;
  const S = matrixFunction(IK, r, Math.sqrt);
  // G_r = c² (I + K_Y)² − c (S X_r) M (S X_r)ᵀ
  const SX = matmul(S, Xr, r, r, p);
  const SXM = matmul(SX, M, r, p, p);
  const IK2 = matmul(IK, IK, r, r, r);
  const G = new Float64Array(r * r);
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) {
    let s = 0;
    for (let k = 0; k < p; k++) s += SXM[i * p + k] * SX[j * p + k];
    G[i * r + j] = c * c * IK2[i * r + j] - c * s;
  }
  for (let i = 0; i < r; i++) for (let j = 0; j < i; j++) { const s = (G[i * r + j] + G[j * r + i]) / 2; G[i * r + j] = s; G[j * r + i] = s; }
  // clubSandwich's matrix_power(G, -1/2): eigenvalues ≤ 1e-12 give 0
  const Gm = matrixFunction(G, r, (x) => (x > 1e-12 ? 1 / Math.sqrt(x) : 0));
  // A_r = c S G_r^{-1/2} S;  E_r = X_rᵀ (I + K_Y)⁻¹ A_r / c
  const Ar = matmul(matmul(S, Gm, r, r, r), S, r, r, r).map((x) => c * x);
  const IKinv = spdInverse(IK, r, 'I + ΛᵀZᵀZΛ/c on a cluster').inv;
  const Xt = new Float64Array(p * r);
  for (let i = 0; i < r; i++) for (let k = 0; k < p; k++) Xt[k * r + i] = Xr[i * p + k];
  const Er = matmul(matmul(Xt, IKinv, p, r, r), Ar, p, r, r).map((x) => x / c);
  const u = matmul(Er, er, p, r, 1);
  const EX = matmul(Er, Xr, p, r, p);
  const ErV = matmul(Er, IK, p, r, r);
  const EVE = new Float64Array(p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    let s = 0;
    for (let k = 0; k < r; k++) s += ErV[a * r + k] * Er[b * r + k];
    EVE[a * p + b] = c * s;
  }
  return { u, EX, EVE };
}

/**
 * CR2 of one cluster from its n_j × n_j matrices: V = L Lᵀ (U = Lᵀ), P = LᵀL, Q = LᵀX, G = P² − Q M Qᵀ,
 * A = L G^{-1/2} Lᵀ, E = XᵀW A (A never formed): E e, E X and E V Eᵀ.
 */
export function cr2Dense(pc: ClusterPiece, M: Float64Array, p: number): ClusterEstimating {
  const n = pc.n;
  const V = pc.V!, XW = pc.XW!;
  const L = Float64Array.from(V);
  choleskyInPlace(L, n, 'a cluster\'s working covariance V_j');
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) L[i * n + j] = 0;
  // P = LᵀL (symmetric): P_ab = Σ_{k ≥ max(a,b)} L_ka L_kb
  const P = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const rk = k * n;
    for (let a = 0; a <= k; a++) {
      const la = L[rk + a];
      if (la === 0) continue;
      for (let b = 0; b <= a; b++) P[a * n + b] += la * L[rk + b];
    }
  }
  for (let a = 0; a < n; a++) for (let b = 0; b < a; b++) P[b * n + a] = P[a * n + b];
  // Q = LᵀX (n × p)
  const Q = new Float64Array(n * p);
  for (let k = 0; k < n; k++) for (let a = 0; a <= k; a++) {
    const l = L[k * n + a];
    if (l === 0) continue;
    for (let c = 0; c < p; c++) Q[a * p + c] += l * pc.X[k * p + c];
  }
  // G = P P − Q M Qᵀ
  const G = matmul(P, P, n, n, n);
  const QM = matmul(Q, M, n, p, p);
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) {
    let s = 0;
    for (let c = 0; c < p; c++) s += QM[a * p + c] * Q[b * p + c];
    G[a * n + b] -= s;
  }
  for (let a = 0; a < n; a++) for (let b = 0; b < a; b++) { const s = (G[a * n + b] + G[b * n + a]) / 2; G[a * n + b] = s; G[b * n + a] = s; }
  // G^{-1/2} = Φ diag(λ^{-1/2}) Φᵀ, eigenvalues ≤ 1e-12 → 0 (clubSandwich's matrix_power), never formed:
  // E = XW A = (((XW L) Φ) diag(λ^{-1/2})) Φᵀ Lᵀ, p × n products only
  const { values, vectors } = tridiagonalEigen(G, n);
  const XWL = matmul(XW, L, p, n, n);
  const T1 = matmul(XWL, vectors, p, n, n);
  for (let k = 0; k < n; k++) {
    const s = values[k] > 1e-12 ? 1 / Math.sqrt(values[k]) : 0;
    for (let a = 0; a < p; a++) T1[a * n + k] *= s;
  }
  // T2 = T1 Φᵀ, E = T2 Lᵀ
  const T2 = new Float64Array(p * n);
  for (let a = 0; a < p; a++) for (let b = 0; b < n; b++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += T1[a * n + k] * vectors[b * n + k];
    T2[a * n + b] = s;
  }
  const E = new Float64Array(p * n);
  for (let a = 0; a < p; a++) for (let b = 0; b < n; b++) {
    let s = 0;
    for (let k = 0; k <= b; k++) s += T2[a * n + k] * L[b * n + k];
    E[a * n + b] = s;
  }
  const u = matmul(E, pc.e, p, n, 1);
  const EX = matmul(E, pc.X, p, n, p);
  const EV = matmul(E, V, p, n, n);
  const EVE = new Float64Array(p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += EV[a * n + k] * E[b * n + k];
    EVE[a * p + b] = s;
  }
  return { u, EX, EVE };
}
