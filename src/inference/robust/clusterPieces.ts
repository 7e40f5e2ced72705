/**
 * The working model's pieces of each cluster j (n_j rows), in clubSandwich's units for an lmerMod (its
 * targetVariance and weightMatrix: the marginal covariance over σ²):
 *
 *   V_j = Z̃_j Z̃_jᵀ + D_j,   Z̃_j = Z_j Λ (the cluster's rows and random effects),   D_j = W_j⁻¹ = diag(1/w_i)
 *
 * (prior weights w; 1 without them), and W_j = V_j⁻¹ by Woodbury's identity through the q_j × q_j
 * matrix K_j = I + Z̃_jᵀ D_j⁻¹ Z̃_j = L_K L_Kᵀ:
 *
 *   V_j⁻¹ = D_j⁻¹ − D_j⁻¹ Z̃_j K_j⁻¹ Z̃_jᵀ D_j⁻¹,
 *   F_j = X_jᵀ V_j⁻¹ X_j = X_jᵀD⁻¹X_j − S_Xᵀ S_X,   g_j = X_jᵀ V_j⁻¹ e_j = X_jᵀD⁻¹e_j − S_Xᵀ s_e,
 *   S_X = L_K⁻¹ Z̃_jᵀ D⁻¹ X_j,   s_e = L_K⁻¹ Z̃_jᵀ D⁻¹ e_j,
 *
 * with e = y − offset − Xβ̂ the marginal residuals (clubSandwich's residuals_CS.lmerMod, y − Xβ̂, with the
 * offset taken out). No n × n matrix is formed: a cluster's work is O(n_j q_j (p + q_j)); V_j itself
 * (n_j × n_j) and X_jᵀV_j⁻¹ (p × n_j) only where CR2's adjustment needs them (`dense`) and D_j is not
 * a multiple of I (prior weights that vary within the cluster: src/inference/robust/cr2.ts).
 */
import { choleskyInPlace } from '../../linalg/dense.js';
import type { LmmFit } from '../../lmm/lmmFit.js';
import type { Clusters } from './clusters.js';

export interface ClusterPiece {
  /** the cluster's rows (rows used) */
  rows: Int32Array;
  n: number;
  /** X_j, n_j × p row-major */
  X: Float64Array;
  /** the marginal residuals e_j = y − offset − X β̂ */
  e: Float64Array;
  /** F_j = X_jᵀ V_j⁻¹ X_j (p × p) */
  F: Float64Array;
  /** g_j = X_jᵀ V_j⁻¹ e_j (p) */
  g: Float64Array;
  /** V_j (n_j × n_j row-major), with `dense` */
  V?: Float64Array;
  /** X_jᵀ V_j⁻¹ (p × n_j row-major), with `dense` */
  XW?: Float64Array;
  /** Z̃_j = Z_j Λ (n_j × q_j row-major) */
  Zt: Float64Array;
  qj: number;
  /** c where D_j = c I (equal prior weights within the cluster, or none), else null */
  dconst: number | null;
}

/** Each term's relative covariance factor T_t (q_t × q_t lower, row-major) from lme4's θ (Λ's template). */
function templates(fit: LmmFit): Float64Array[] {
  const terms = fit.model.frame.reTerms;
  let off = 0;
  return terms.map((t) => {
    const q = t.q;
    const T = new Float64Array(q * q);
    // lme4's θ: each term's lower triangle by columns
    for (let c = 0; c < q; c++) for (let r = c; r < q; r++) T[r * q + c] = fit.theta[off++];
    return T;
  });
}

/** The pieces of every cluster (in the order of `clusters.rows`). */
export function clusterPieces(fit: LmmFit, clusters: Clusters, dense: 'never' | 'varying-weights' | 'always'): ClusterPiece[] {
  const frame = fit.model.frame;
  const { n: N, p, X: Xall, y } = frame;
  const terms = frame.reTerms;
  const T = templates(fit);
  const w = frame.weights ?? null;
  const offset = frame.offset;
  // e = y − offset − Xβ̂ for all rows
  const eAll = new Float64Array(N);
  for (let i = 0; i < N; i++) eAll[i] = y[i] - (offset ? offset[i] : 0);
  for (let k = 0; k < p; k++) {
    const b = fit.beta[k];
    for (let i = 0; i < N; i++) eAll[i] -= Xall[k * N + i] * b;
  }
  // a level's local column within the current cluster (−1: not seen yet), per term
  const local = terms.map((t) => new Int32Array(t.levels.length).fill(-1));
  return clusters.rows.map((rows) => {
    const n = rows.length;
    // the cluster's random effects: each (term, level) met, q_t columns each
    const offs: number[][] = terms.map(() => []);
    let qj = 0;
    const colOf = new Int32Array(n * terms.length);
    for (let a = 0; a < n; a++) {
      const i = rows[a];
      terms.forEach((t, k) => {
        const l = t.codes[i];
        if (local[k][l] === -1) { local[k][l] = qj; offs[k].push(l); qj += t.q; }
        colOf[a * terms.length + k] = local[k][l];
      });
    }
    // Z̃ = Z Λ: a row's entries for term t at level l are zᵀ T_t (Λ's block of l is T_t)
    const Zt = new Float64Array(n * qj);
    for (let a = 0; a < n; a++) {
      const i = rows[a];
      terms.forEach((t, k) => {
        const q = t.q, Tk = T[k], c0 = colOf[a * terms.length + k];
        for (let c = 0; c < q; c++) {
          let s = 0;
          for (let r = c; r < q; r++) s += t.Z[i * q + r] * Tk[r * q + c];
          Zt[a * qj + c0 + c] = s;
        }
      });
    }
    // reset the level map for the next cluster
    terms.forEach((_, k) => { for (const l of offs[k]) local[k][l] = -1; });
    const Xj = new Float64Array(n * p);
    const e = new Float64Array(n);
    const dinv = new Float64Array(n);
    for (let a = 0; a < n; a++) {
      const i = rows[a];
      for (let k = 0; k < p; k++) Xj[a * p + k] = Xall[k * N + i];
      e[a] = eAll[i];
      dinv[a] = w ? w[i] : 1;
    }
    // K = I + Z̃ᵀ D⁻¹ Z̃ = L_K L_Kᵀ
    const K = new Float64Array(qj * qj);
    for (let a = 0; a < n; a++) {
      const ra = a * qj, d = dinv[a];
      for (let r = 0; r < qj; r++) {
        const zr = Zt[ra + r] * d;
        if (zr === 0) continue;
        for (let c = 0; c <= r; c++) K[r * qj + c] += zr * Zt[ra + c];
      }
    }
    for (let r = 0; r < qj; r++) K[r * qj + r] += 1;
    choleskyInPlace(K, qj, 'I + ΛᵀZᵀW Z Λ of a cluster');
    // S = L_K⁻¹ Z̃ᵀ D⁻¹ [X e]  (q_j × (p + 1))
    const m = p + 1;
    const S = new Float64Array(qj * m);
    for (let a = 0; a < n; a++) {
      const d = dinv[a];
      for (let r = 0; r < qj; r++) {
        const zr = Zt[a * qj + r] * d;
        if (zr === 0) continue;
        for (let k = 0; k < p; k++) S[r * m + k] += zr * Xj[a * p + k];
        S[r * m + p] += zr * e[a];
      }
    }
    forwardSolve(K, qj, S, m);
    // F = XᵀD⁻¹X − S_XᵀS_X,  g = XᵀD⁻¹e − S_Xᵀ s_e
    const F = new Float64Array(p * p);
    const g = new Float64Array(p);
    for (let a = 0; a < n; a++) {
      const d = dinv[a];
      for (let k = 0; k < p; k++) {
        const xk = Xj[a * p + k] * d;
        for (let l = 0; l <= k; l++) F[k * p + l] += xk * Xj[a * p + l];
        g[k] += xk * e[a];
      }
    }
    for (let r = 0; r < qj; r++) {
      for (let k = 0; k < p; k++) {
        const sk = S[r * m + k];
        for (let l = 0; l <= k; l++) F[k * p + l] -= sk * S[r * m + l];
        g[k] -= sk * S[r * m + p];
      }
    }
    for (let k = 0; k < p; k++) for (let l = 0; l < k; l++) F[l * p + k] = F[k * p + l];
    let dconst: number | null = 1 / dinv[0];
    for (let a = 1; a < n; a++) if (dinv[a] !== dinv[0]) { dconst = null; break; }
    const piece: ClusterPiece = { rows, n, X: Xj, e, F, g, Zt, qj, dconst };
    if (dense === 'always' || (dense === 'varying-weights' && dconst === null)) {
      // V = Z̃ Z̃ᵀ + D
      const V = new Float64Array(n * n);
      for (let a = 0; a < n; a++) {
        for (let b = 0; b <= a; b++) {
          let s = 0;
          for (let r = 0; r < qj; r++) s += Zt[a * qj + r] * Zt[b * qj + r];
          V[a * n + b] = s;
          V[b * n + a] = s;
        }
        V[a * n + a] += 1 / dinv[a];
      }
      // XW = XᵀV⁻¹: column a is D⁻¹_a (x_a − S_Xᵀ L_K⁻¹ z̃_a)
      const XW = new Float64Array(p * n);
      const v = new Float64Array(qj);
      for (let a = 0; a < n; a++) {
        for (let r = 0; r < qj; r++) v[r] = Zt[a * qj + r];
        forwardSolve(K, qj, v, 1);
        for (let k = 0; k < p; k++) {
          let s = Xj[a * p + k];
          for (let r = 0; r < qj; r++) s -= S[r * m + k] * v[r];
          XW[k * n + a] = s * dinv[a];
        }
      }
      piece.V = V;
      piece.XW = XW;
    }
    return piece;
  });
}

/** B ← L⁻¹ B for lower-triangular L (n × n row-major) and B (n × m row-major). */
function forwardSolve(L: Float64Array, n: number, B: Float64Array, m: number): void {
  for (let i = 0; i < n; i++) {
    const d = L[i * n + i];
    for (let k = 0; k < i; k++) {
      const l = L[i * n + k];
      if (l === 0) continue;
      for (let c = 0; c < m; c++) B[i * m + c] -= l * B[k * m + c];
    }
    for (let c = 0; c < m; c++) B[i * m + c] /= d;
  }
}
