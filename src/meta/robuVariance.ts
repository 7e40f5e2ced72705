/**
 * robumeta's robust (sandwich) variance of the weighted least-squares estimate and its t tests
 * (robu, robumeta 2.0; Hedges, Tipton & Johnson 2010 eq. 6; Tipton 2015's small-sample corrections):
 *
 *   β̂ = Q XᵀWy,  Q = (XᵀWX)⁻¹,  e = y − Xβ̂                              (W the final working weights)
 *   small = FALSE:  V^R = Q (Σ_j X_jᵀW_je_je_jᵀW_jX_j) Q · N/(N − P),  df = N − P for every coefficient
 *   small = TRUE:   V^R = Q (Σ_j X_jᵀW_jA_je_je_jᵀA_jW_jX_j) Q                        (CR2-type, Tipton 2015)
 *     A_j from the symmetric eigendecomposition Φ_j = U Λ Uᵀ (Householder + QR, tridiagonalEigen.ts) (eigenvalues below 1e-10 taken as 0 where
 *     `threshold`, as robu; sensitivity() keeps 1/√λ), with H_jj = X_jQX_jᵀ, E_j = W_j⁻¹, v̄_j = study mean variance:
 *       CORR:  Φ_j = I − H_jjW_j,                         A_j = U Λ^{-1/2} Uᵀ
 *       HIER:  Φ_j = E_j^{1/2}(I − H_jjW_j)E_j^{3/2} = E_j² − E_j^{1/2}H_jjE_j^{1/2},  A_j = E_j^{1/2} U Λ^{-1/2} Uᵀ E_j^{1/2}
 *       user:  Φ_j = (I − H)_{j·} diag(v̄) (I − H)_{j·}ᵀ,   A_j = v̄_j^{1/2} U Λ^{-1/2} Uᵀ       (H = XQXᵀW)
 *     Satterthwaite's df of coefficient c (robumeta's dfs, Tipton 2015 eq. 11): with
 *       g_j = D^{1/2}(I − H)ᵀ_{·j} A_jW_jX_jQ e_c  (D = W⁻¹, or I with user weights),  C_jl = g_jᵀg_l,
 *       df_c = (tr C)² / ‖C‖²_F.
 *     (I − H)ᵀ_{·j}α = [α on study j's rows] − WXQX_jᵀα, so with c_j = X_jᵀα_j, f_j = X_jᵀW_jD_jα_j and
 *     d_j = α_jᵀD_jα_j: C = diag(d) + U S Uᵀ, U's rows (f_j, c_j), S = [[0, −Q], [−Q, Q(XᵀWDWX)Q]],
 *     so tr C and ‖C‖²_F = Σd_j² + 2Σd_j(USUᵀ)_jj + tr((SUᵀU)²) cost O(N P²), no M × M matrix.
 *   t = β̂/SE, p = 2(1 − P(T_df ≤ |t|)), 95% CI β̂ ± t_{.975, df} SE.
 */
import { matmul } from '../linalg/dense.js';
import { tridiagonalEigen } from '../linalg/tridiagonalEigen.js';
import { pt, qt } from '../stats/distributions.js';
import { robuWls } from './robuMoments.js';

/** whose A_j: robumeta's correlated or hierarchical working model, or user weights */
export type RobuVarianceKind = 'CORR' | 'HIER' | 'USER';

export interface RobuVarianceInput {
  X: Float64Array;
  y: Float64Array;
  M: number;
  P: number;
  clusters: readonly Int32Array[];
  /** the final weights (robu's r.weights) */
  w: Float64Array;
  kind: RobuVarianceKind;
  small: boolean;
  /** study mean variances v̄ per row (needed for user weights) */
  vbar?: Float64Array;
  /** eigenvalues < 1e-10 of Φ_j taken as 0 (robu: true; sensitivity: false) */
  threshold?: boolean;
}

export interface RobuCoefficients {
  beta: Float64Array;
  /** robust variance V^R, P × P row-major (without the N/(N − P) factor of small = FALSE, as robu's VR.r) */
  VR: Float64Array;
  SE: Float64Array;
  t: Float64Array;
  dfs: Float64Array;
  prob: Float64Array;
  ciL: Float64Array;
  ciU: Float64Array;
}

/** x_i (row i of the column-major M × P X) */
function rowOf(X: Float64Array, M: number, P: number, i: number, out: Float64Array): Float64Array {
  for (let a = 0; a < P; a++) out[a] = X[a * M + i];
  return out;
}

/** Q B Q of P × P row-major matrices */
function sandwich(Q: Float64Array, B: Float64Array, P: number): Float64Array {
  return matmul(Q, matmul(B, Q, P, P, P), P, P, P);
}

/** A_j (k × k row-major) of study j. */
function adjustment(inp: RobuVarianceInput, Q: Float64Array, QPvQ: Float64Array | null, rows: Int32Array): Float64Array {
  const { X, M, P, w, kind } = inp;
  const k = rows.length;
  const xs = Array.from(rows, (i) => rowOf(X, M, P, i, new Float64Array(P)));
  // H_jj = X_jQX_jᵀ
  const Qx = xs.map((x) => {
    const out = new Float64Array(P);
    for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) out[a] += Q[a * P + b] * x[b];
    return out;
  });
  const G = new Float64Array(k * k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) {
    let s = 0;
    for (let c = 0; c < P; c++) s += xs[a][c] * Qx[b][c];
    G[a * k + b] = s;
  }
  const phi = new Float64Array(k * k);
  const left = new Float64Array(k), right = new Float64Array(k);
  if (kind === 'CORR') {
    // Φ = I − H_jjW_j, symmetrized (W_j = w I within a study)
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) {
      const ab = (a === b ? 1 : 0) - G[a * k + b] * w[rows[b]];
      const ba = (a === b ? 1 : 0) - G[b * k + a] * w[rows[a]];
      phi[a * k + b] = (ab + ba) / 2;
    }
    left.fill(1); right.fill(1);
  } else if (kind === 'HIER') {
    // Φ = E² − E^{1/2}H_jjE^{1/2}, E = W⁻¹
    for (let a = 0; a < k; a++) {
      const ea = 1 / w[rows[a]];
      left[a] = Math.sqrt(ea); right[a] = Math.sqrt(ea);
    }
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) {
      phi[a * k + b] = (a === b ? (1 / w[rows[a]]) ** 2 : 0) - left[a] * G[a * k + b] * left[b];
    }
  } else {
    // Φ = V − H_jjW_jV − VW_jH_jj + X_jQ(XᵀWVWX)QX_jᵀ, V = diag(v̄) (the rows of study j of (I − H) diag(v̄) (I − H)ᵀ)
    const vbar = inp.vbar!;
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) {
      const ia = rows[a], ib = rows[b];
      let quad = 0;
      for (let c = 0; c < P; c++) for (let d = 0; d < P; d++) quad += xs[a][c] * QPvQ![c * P + d] * xs[b][d];
      const v = (a === b ? vbar[ia] : 0) - G[a * k + b] * w[ib] * vbar[ib] - vbar[ia] * w[ia] * G[a * k + b] + quad;
      phi[a * k + b] = v;
    }
    for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) {
      const m = (phi[a * k + b] + phi[b * k + a]) / 2;
      phi[a * k + b] = m; phi[b * k + a] = m;
    }
    for (let a = 0; a < k; a++) { left[a] = Math.sqrt(vbar[rows[a]]); right[a] = 1; }
  }
  const { values, vectors } = tridiagonalEigen(phi, k); // O(k³): a study may have hundreds of effect sizes
  const f = Float64Array.from(values, (l) => (inp.threshold !== false && l < 1e-10 ? 0 : 1 / Math.sqrt(l)));
  const A = new Float64Array(k * k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) {
    let s = 0;
    for (let c = 0; c < k; c++) s += vectors[a * k + c] * f[c] * vectors[b * k + c];
    A[a * k + b] = left[a] * s * right[b];
  }
  return A;
}

/** β̂, the robust variance, SEs, dfs, t tests and 95% intervals. */
export function robuCoefficients(inp: RobuVarianceInput): RobuCoefficients {
  const { X, y, M, P, clusters, w, small } = inp;
  const N = clusters.length;
  const { beta, V: Q, e } = robuWls(X, y, w, M, P);
  const meat = new Float64Array(P * P);
  const dfs = new Float64Array(P);
  const x = new Float64Array(P);
  if (!small) {
    // Σ_j u_ju_jᵀ, u_j = X_jᵀW_je_j
    for (const rows of clusters) {
      const u = new Float64Array(P);
      for (const i of rows) {
        rowOf(X, M, P, i, x);
        for (let a = 0; a < P; a++) u[a] += x[a] * w[i] * e[i];
      }
      for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) meat[a * P + b] += u[a] * u[b];
    }
    dfs.fill(N - P);
  } else {
    const user = inp.kind === 'USER';
    // XᵀWDWX: D = W⁻¹ (so XᵀWX) or, with user weights, D = I (XᵀW²X); for user weights also XᵀW diag(v̄) WX
    const PD = new Float64Array(P * P);
    const Pv = user ? new Float64Array(P * P) : null;
    for (let i = 0; i < M; i++) {
      rowOf(X, M, P, i, x);
      const wd = user ? w[i] * w[i] : w[i];
      for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) {
        PD[a * P + b] += wd * x[a] * x[b];
        if (Pv) Pv[a * P + b] += w[i] * w[i] * inp.vbar![i] * x[a] * x[b];
      }
    }
    const QPvQ = Pv ? sandwich(Q, Pv, P) : null; // Q (XᵀW diag(v̄) WX) Q, for user weights' Φ_j
    const As = clusters.map((rows) => adjustment(inp, Q, QPvQ, rows));
    // the meat: Σ_j (X_jᵀW_jA_je_j)(X_jᵀW_jA_jᵀe_j)ᵀ
    clusters.forEach((rows, j) => {
      const A = As[j], k = rows.length;
      const a1 = new Float64Array(P), b1 = new Float64Array(P);
      for (let r = 0; r < k; r++) {
        let Ae = 0, Ate = 0;
        for (let c = 0; c < k; c++) { Ae += A[r * k + c] * e[rows[c]]; Ate += A[c * k + r] * e[rows[c]]; }
        rowOf(X, M, P, rows[r], x);
        for (let a = 0; a < P; a++) { a1[a] += x[a] * w[rows[r]] * Ae; b1[a] += x[a] * w[rows[r]] * Ate; }
      }
      for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) meat[a * P + b] += a1[a] * b1[b];
    });
    // Satterthwaite's df per coefficient
    const R = sandwich(Q, PD, P); // Q (XᵀWDWX) Q
    const P2 = 2 * P;
    // S = [[0, −Q], [−Q, R]]
    const S = new Float64Array(P2 * P2);
    for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) {
      S[a * P2 + (P + b)] = -Q[a * P + b];
      S[(P + a) * P2 + b] = -Q[a * P + b];
      S[(P + a) * P2 + (P + b)] = R[a * P + b];
    }
    for (let coef = 0; coef < P; coef++) {
      const U: Float64Array[] = [];
      const d = new Float64Array(N);
      clusters.forEach((rows, j) => {
        const A = As[j], k = rows.length;
        // α_j = A_jW_jX_jQe_c
        const wxq = new Float64Array(k);
        for (let r = 0; r < k; r++) {
          rowOf(X, M, P, rows[r], x);
          let s = 0;
          for (let a = 0; a < P; a++) s += x[a] * Q[a * P + coef];
          wxq[r] = w[rows[r]] * s;
        }
        const alpha = new Float64Array(k);
        for (let r = 0; r < k; r++) { let s = 0; for (let c = 0; c < k; c++) s += A[r * k + c] * wxq[c]; alpha[r] = s; }
        const u = new Float64Array(P2); // (f_j, c_j)
        let dj = 0;
        for (let r = 0; r < k; r++) {
          const i = rows[r];
          const Di = user ? 1 : 1 / w[i];
          dj += alpha[r] * alpha[r] * Di;
          rowOf(X, M, P, i, x);
          for (let a = 0; a < P; a++) {
            u[a] += x[a] * w[i] * Di * alpha[r];
            u[P + a] += x[a] * alpha[r];
          }
        }
        d[j] = dj;
        U.push(u);
      });
      // tr C = Σ d_j + Σ u_jᵀSu_j; ‖C‖² = Σ d_j² + 2 Σ d_j u_jᵀSu_j + tr((S UᵀU)²)
      const UtU = new Float64Array(P2 * P2);
      let trace = 0, sq = 0;
      const Su = new Float64Array(P2);
      for (let j = 0; j < N; j++) {
        const u = U[j];
        for (let a = 0; a < P2; a++) { let s = 0; for (let b = 0; b < P2; b++) s += S[a * P2 + b] * u[b]; Su[a] = s; }
        let kjj = 0;
        for (let a = 0; a < P2; a++) kjj += u[a] * Su[a];
        trace += d[j] + kjj;
        sq += d[j] * d[j] + 2 * d[j] * kjj;
        for (let a = 0; a < P2; a++) for (let b = 0; b < P2; b++) UtU[a * P2 + b] += u[a] * u[b];
      }
      const SG = new Float64Array(P2 * P2);
      for (let a = 0; a < P2; a++) for (let c = 0; c < P2; c++) { let s = 0; for (let b = 0; b < P2; b++) s += S[a * P2 + b] * UtU[b * P2 + c]; SG[a * P2 + c] = s; }
      let tr2 = 0;
      for (let a = 0; a < P2; a++) for (let b = 0; b < P2; b++) tr2 += SG[a * P2 + b] * SG[b * P2 + a];
      sq += tr2;
      dfs[coef] = (trace * trace) / sq;
    }
  }
  // V^R = Q meat Q
  const VR = sandwich(Q, meat, P);
  const scale = small ? 1 : Math.sqrt(N / (N - P));
  const SE = Float64Array.from({ length: P }, (_, a) => Math.sqrt(VR[a * P + a]) * scale);
  const t = Float64Array.from(beta, (b, a) => b / SE[a]);
  const prob = Float64Array.from(t, (ta, a) => 2 * (1 - pt(Math.abs(ta), dfs[a])));
  const crit = Float64Array.from(dfs, (df) => qt(0.975, df));
  const ciL = Float64Array.from(beta, (b, a) => b - crit[a] * SE[a]);
  const ciU = Float64Array.from(beta, (b, a) => b + crit[a] * SE[a]);
  return { beta, VR, SE, t, dfs, prob, ciL, ciU };
}
