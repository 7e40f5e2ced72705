/**
 * robumeta's method-of-moments estimators of the between-study variance components (robu, robumeta 2.0;
 * Hedges, Tipton & Johnson 2010, sections 4.1 and 4.2), from the first-step weighted least-squares fit
 * with the weights at τ² = ω² = 0 (robuWeights.ts). Notation: X_j, W_j, e_j the rows, weights and
 * first-step residuals of study j; J_j the k_j × k_j matrix of ones; V = (Σ_j X_jᵀW_jX_j)⁻¹.
 *
 * Correlated effects (HTJ eq. 4.5, robumeta's form with rho, the assumed correlation of a study's effects):
 *   Q_E   = Σ_ij w_ij e_ij²
 *   D     = Σ_ij w_ij − tr(V Σ_j X_jᵀW_jJ_jW_jX_j)
 *   A     = tr(V Σ_j X_jᵀ(W_j/k_j)X_j),   B = tr(V Σ_j (w_j/k_j)(X_jᵀJ_jX_j − X_jᵀX_j))
 *   τ̂²    = max(0, term1 + ρ term2),  term1 = (Q_E − N + A)/D,  term2 = B/D
 *   I²    = max(0, 100 (Q_E − df)/Q_E),  df = N − A − ρB
 *
 * Hierarchical effects (HTJ eqs. 4.9–4.10 with W = diag(1/v)): Q_E as above, Q_A = Σ_j (1ᵀe_j)², and
 *   A1 = Σ k_j² − tr(V Σ X_jᵀJJWX_j) − tr(V Σ X_jᵀWJJX_j) + tr(V ΣXᵀJX V ΣXᵀWJWX)
 *   B1 = M − tr(V ΣXᵀWJX) − tr(V ΣXᵀJWX) + tr(V ΣXᵀJX V ΣXᵀWWX)
 *   C1 = Σ v_ij − tr(V ΣXᵀJX)
 *   A2 = Σ w_ij − tr(V ΣXᵀWJWX),  B2 = Σ w_ij − tr(V ΣXᵀWWX),  C2 = M − P
 *   ω̂² = max(0, ((Q_A − C1)A2 − (Q_E − C2)A1) / (B1A2 − B2A1))
 *   τ̂² = max(0, (Q_E − C2)/A2 − ω̂² B2/A2)
 * (robumeta names ω² the variance between effect sizes of a study and τ² the one between studies;
 * both enter the weights as a sum.) Each sum over studies is formed from the study's column sums
 * t_j = X_jᵀ1 and s_j = X_jᵀW_j1 (X_jᵀJ_jW_jX_j = t_j s_jᵀ, J_jJ_j = k_j J_j), no k_j × k_j matrix.
 */
import { matmul, spdInverse } from '../linalg/dense.js';

/** The first-step weighted least-squares fit: β = (XᵀWX)⁻¹XᵀWy, e = y − Xβ, and V = (XᵀWX)⁻¹. */
export interface WlsFit {
  beta: Float64Array;
  /** (XᵀWX)⁻¹, P × P row-major */
  V: Float64Array;
  e: Float64Array;
}

/** Weighted least squares with diagonal weights w; X is M × P column-major. */
export function robuWls(X: Float64Array, y: Float64Array, w: Float64Array, M: number, P: number): WlsFit {
  const XtWX = new Float64Array(P * P);
  const XtWy = new Float64Array(P);
  for (let a = 0; a < P; a++) {
    for (let i = 0; i < M; i++) XtWy[a] += X[a * M + i] * w[i] * y[i];
    for (let b = 0; b <= a; b++) {
      let s = 0;
      for (let i = 0; i < M; i++) s += X[a * M + i] * w[i] * X[b * M + i];
      XtWX[a * P + b] = s;
      XtWX[b * P + a] = s;
    }
  }
  const { inv: V } = spdInverse(XtWX, P, "robu's XᵀWX (a design of full rank)");
  const beta = new Float64Array(P);
  for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) beta[a] += V[a * P + b] * XtWy[b];
  const e = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    let f = 0;
    for (let a = 0; a < P; a++) f += X[a * M + i] * beta[a];
    e[i] = y[i] - f;
  }
  return { beta, V, e };
}

/** tr(A B) of P × P row-major matrices */
function trProd(A: Float64Array, B: Float64Array, P: number): number {
  let s = 0;
  for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) s += A[a * P + b] * B[b * P + a];
  return s;
}

/** Σ_j coef_j u_j v_jᵀ accumulated into S (P × P row-major) */
function addOuter(S: Float64Array, u: Float64Array, v: Float64Array, P: number, coef = 1): void {
  for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) S[a * P + b] += coef * u[a] * v[b];
}

/** Per study: t_j = X_jᵀ1 and s_j = X_jᵀw_j (column sums, plain and weighted). */
function studySums(X: Float64Array, w: Float64Array, rows: Int32Array, M: number, P: number): { t: Float64Array; s: Float64Array } {
  const t = new Float64Array(P), s = new Float64Array(P);
  for (let a = 0; a < P; a++) for (const i of rows) {
    t[a] += X[a * M + i];
    s[a] += w[i] * X[a * M + i];
  }
  return { t, s };
}

export interface CorrMoments {
  /** τ̂² at the given ρ */
  tau2: number;
  /** τ² = term1 + ρ term2 (before the truncation at 0), robumeta's mod_info */
  term1: number;
  term2: number;
  /** I² in %, at the given ρ */
  I2: number;
  Qe: number;
}

/** Correlated effects' τ̂² and I² (weights w: the first step's 1/(k_j v̄_j)). */
export function corrMoments(X: Float64Array, y: Float64Array, w: Float64Array, clusters: readonly Int32Array[], M: number, P: number, rho: number): CorrMoments {
  const { V, e } = robuWls(X, y, w, M, P);
  const N = clusters.length;
  const sumXWJWX = new Float64Array(P * P);
  const WKXX = new Float64Array(P * P);
  const wkXJX_XX = new Float64Array(P * P);
  let Qe = 0, sumW = 0;
  for (let i = 0; i < M; i++) {
    Qe += w[i] * e[i] * e[i];
    sumW += w[i];
  }
  const xi = new Float64Array(P);
  for (const rows of clusters) {
    const k = rows.length;
    const { t, s } = studySums(X, w, rows, M, P);
    addOuter(sumXWJWX, s, s, P);            // X_jᵀW_jJ_jW_jX_j = s_j s_jᵀ
    // (W_j/k_j)[1,1] (X_jᵀJ_jX_j − X_jᵀX_j): robumeta takes the study's first weight
    const wk = w[rows[0]] / k;
    addOuter(wkXJX_XX, t, t, P, wk);
    for (const i of rows) {
      for (let a = 0; a < P; a++) xi[a] = X[a * M + i];
      addOuter(WKXX, xi, xi, P, w[i] / k);  // X_jᵀ(W_j/k_j)X_j
      addOuter(wkXJX_XX, xi, xi, P, -wk);
    }
  }
  const denom = sumW - trProd(V, sumXWJWX, P);
  const termA = trProd(V, WKXX, P);
  const termB = trProd(V, wkXJX_XX, P);
  const term1 = (Qe - N + termA) / denom;
  const term2 = termB / denom;
  const tau1 = term1 + rho * term2;
  const df = N - termA - rho * termB;
  const I21 = ((Qe - df) / Qe) * 100;
  return { tau2: tau1 < 0 ? 0 : tau1, term1, term2, I2: I21 < 0 ? 0 : I21, Qe };
}

export interface HierMoments {
  tau2: number;
  omega2: number;
}

/** Hierarchical effects' τ̂² and ω̂² (first-step weights 1/v_ij). */
export function hierMoments(X: Float64Array, y: Float64Array, v: Float64Array, clusters: readonly Int32Array[], M: number, P: number): HierMoments {
  const w = Float64Array.from(v, (x) => 1 / x);
  const { V, e } = robuWls(X, y, w, M, P);
  const sumXJX = new Float64Array(P * P), sumXWJWX = new Float64Array(P * P), sumXWWX = new Float64Array(P * P);
  const sumXJJWX = new Float64Array(P * P), sumXWJJX = new Float64Array(P * P);
  const sumXJWX = new Float64Array(P * P), sumXWJX = new Float64Array(P * P);
  let trJJ = 0, Qa = 0, Qe = 0, sumV = 0, sumW = 0;
  const xi = new Float64Array(P);
  for (const rows of clusters) {
    const k = rows.length;
    const { t, s } = studySums(X, w, rows, M, P);
    trJJ += k * k;                              // tr(J_jJ_j) = k_j²
    addOuter(sumXJX, t, t, P);                  // X_jᵀJ_jX_j = t_j t_jᵀ
    addOuter(sumXWJWX, s, s, P);                // X_jᵀW_jJ_jW_jX_j = s_j s_jᵀ
    addOuter(sumXJJWX, t, s, P, k);             // X_jᵀJ_jJ_jW_jX_j = k_j t_j s_jᵀ
    addOuter(sumXWJJX, s, t, P, k);
    addOuter(sumXJWX, t, s, P);
    addOuter(sumXWJX, s, t, P);
    let se = 0;
    for (const i of rows) {
      se += e[i];
      for (let a = 0; a < P; a++) xi[a] = X[a * M + i];
      addOuter(sumXWWX, xi, xi, P, w[i] * w[i]);
    }
    Qa += se * se;                              // e_jᵀJ_je_j
  }
  for (let i = 0; i < M; i++) {
    Qe += w[i] * e[i] * e[i];
    sumV += v[i];
    sumW += w[i];
  }
  const A1 = trJJ - trProd(V, sumXJJWX, P) - trProd(V, sumXWJJX, P) + trProd(matmul(V, sumXJX, P, P, P), matmul(V, sumXWJWX, P, P, P), P);
  const B1 = M - trProd(V, sumXWJX, P) - trProd(V, sumXJWX, P) + trProd(matmul(V, sumXJX, P, P, P), matmul(V, sumXWWX, P, P, P), P);
  const C1 = sumV - trProd(V, sumXJX, P);
  const A2 = sumW - trProd(V, sumXWJWX, P);
  const B2 = sumW - trProd(V, sumXWWX, P);
  const C2 = M - P;
  const omega1 = ((Qa - C1) * A2 - (Qe - C2) * A1) / (B1 * A2 - B2 * A1);
  const omega2 = omega1 < 0 ? 0 : omega1;
  const tau1 = (Qe - C2) / A2 - omega2 * (B2 / A2);
  return { tau2: tau1 < 0 ? 0 : tau1, omega2 };
}
