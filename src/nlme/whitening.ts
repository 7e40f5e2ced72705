/**
 * The whitening of the rows by the residual covariance σ² R, R = blockdiag_g(R_g),
 * R_g = V_g^{1/2} C_g V_g^{1/2} (V the variance function's g_i², C the correlation structure's):
 * with R_g = L_g L_gᵀ, L_g = V_g^{1/2} L_{C,g}, each group's rows of [Z X y] become L_g⁻¹ [Z X y]_g —
 * divided by g_i, then by C_g's Cholesky factor — and
 *   log|R| = Σ_g log|R_g| = 2 Σ_i log g_i + Σ_g log|C_g|.
 * Generalized least squares on the whitened rows is ordinary least squares (Pinheiro & Bates 2000, §5.1).
 */
import type { CorStructure } from './correlation.js';
import type { VarFunction } from './varFunction.js';

/** A residual covariance: a variance function, a correlation structure, either or both absent. */
export interface ResidualCovariance {
  n: number;
  vf: VarFunction | null;
  cor: CorStructure | null;
  /** number of parameters: the variance function's, then the correlation's */
  nPar: number;
}

export function residualCovariance(n: number, vf: VarFunction | null, cor: CorStructure | null): ResidualCovariance {
  return { n, vf, cor, nPar: (vf?.nPar ?? 0) + (cor?.nPar ?? 0) };
}

/** The columns to whiten: X (n × p, column-major), y, and row-major blocks (n × q each). */
export interface RowsToWhiten {
  X: Float64Array;
  p: number;
  y: Float64Array;
  Z: { Z: Float64Array; q: number }[];
}

export interface WhitenedRows {
  X: Float64Array;
  y: Float64Array;
  Z: Float64Array[];
  /** log|R| */
  logDetR: number;
}

/** The relative SDs g_i at the variance function's parameters (1 without one). */
export function rowSds(rc: ResidualCovariance, psi: Float64Array): Float64Array {
  const g = new Float64Array(rc.n).fill(1);
  if (rc.vf) rc.vf.sd(psi.subarray(0, rc.vf.nPar), g);
  return g;
}

/**
 * The variance function's part of one evaluation at ψ: the relative SDs g_i and Σ_i log g_i, which
 * both log|V| = 2 Σ_i log g_i (whitenRows) and the rows' typical SD c(ψ) = exp(Σ_i log g_i / n)
 * (objective.ts residualScale) take: computed once per evaluation and passed to both.
 */
export interface RowScales {
  g: Float64Array;
  /** Σ_i log g_i (0 without a variance function) */
  logSum: number;
}

/** Stage: g_i(ψ) and Σ log g_i (without a variance function: g = 1, no logarithms taken). */
export function rowScales(rc: ResidualCovariance, psi: Float64Array): RowScales {
  const g = rowSds(rc, psi);
  if (!rc.vf) return { g, logSum: 0 };
  let logSum = 0;
  for (let i = 0; i < g.length; i++) logSum += Math.log(g[i]);
  return { g, logSum };
}

/**
 * Stage: the rows whitened at ψ = (variance parameters, correlation parameters); new arrays. `scales`:
 * the variance function's g_i at ψ where the caller has them (rowScales), else computed here.
 */
export function whitenRows(rc: ResidualCovariance, psi: Float64Array, rows: RowsToWhiten, scales: RowScales = rowScales(rc, psi)): WhitenedRows {
  const { n } = rc;
  const { p } = rows;
  const { g } = scales;
  // log|V| = 2 Σ log g_i (doubling is exact: the same bits as summing 2 log g_i)
  let logDetR = 2 * scales.logSum;
  const X = new Float64Array(rows.X.length);
  const y = new Float64Array(n);
  const Z = rows.Z.map((b) => new Float64Array(b.Z.length));
  const qs = rows.Z.map((b) => b.q);
  const k = p + 1 + qs.reduce((a, b) => a + b, 0);
  if (!rc.cor) {
    // R diagonal: each row divided by g_i
    for (let i = 0; i < n; i++) y[i] = rows.y[i] / g[i];
    for (let j = 0; j < p; j++) for (let i = 0; i < n; i++) X[j * n + i] = rows.X[j * n + i] / g[i];
    rows.Z.forEach((b, t) => { for (let i = 0; i < n; i++) for (let s = 0; s < b.q; s++) Z[t][i * b.q + s] = b.Z[i * b.q + s] / g[i]; });
    return { X, y, Z, logDetR };
  }
  const cor = rc.cor;
  const factor = cor.factor(psi.subarray(rc.vf?.nPar ?? 0));
  logDetR += factor.logDet;
  const groups = cor.groups;
  let buf = new Float64Array(0);
  for (let gi = 0; gi < groups.length; gi++) {
    const rowsOf = groups[gi];
    const m = rowsOf.length;
    if (buf.length < m * k) buf = new Float64Array(m * k);
    // gather [X y Z] / g_i in the group's order
    for (let a = 0; a < m; a++) {
      const i = rowsOf[a];
      const o = a * k;
      for (let j = 0; j < p; j++) buf[o + j] = rows.X[j * n + i] / g[i];
      buf[o + p] = rows.y[i] / g[i];
      let c = p + 1;
      rows.Z.forEach((b) => { for (let s = 0; s < b.q; s++) buf[o + c++] = b.Z[i * b.q + s] / g[i]; });
    }
    factor.whiten(gi, buf, k);
    for (let a = 0; a < m; a++) {
      const i = rowsOf[a];
      const o = a * k;
      for (let j = 0; j < p; j++) X[j * n + i] = buf[o + j];
      y[i] = buf[o + p];
      let c = p + 1;
      rows.Z.forEach((b, t) => { for (let s = 0; s < b.q; s++) Z[t][i * b.q + s] = buf[o + c++]; });
    }
  }
  return { X, y, Z, logDetR };
}

/** One vector whitened (nlme's normalized residuals: L⁻¹ r / σ), without log|R|. */
export function whitenVector(rc: ResidualCovariance, psi: Float64Array, r: Float64Array): Float64Array {
  return whitenRows(rc, psi, { X: new Float64Array(0), p: 0, y: r, Z: [] }).y;
}
