/**
 * What insight's variance components (varianceComponents.ts) read of the fixed-effects design X
 * (n × p): its cross-products, from the rows of an in-memory fit or from the Gram matrix A an engine
 * formed (a fit whose rows are in DuckDB, ClickHouse or a stream: src/gram/), so that both take one
 * set of formulas:
 *
 *   XᵀX, Σ_i x_ij    the uncentred second moments and column sums: var.random's
 *                    (1/n) Σ_i z_i Σ z_iᵀ = tr(Σ · (1/n) Z̃ᵀZ̃), Z̃ the term's columns taken from X
 *   W = (X − 1 mᵀ)ᵀ(X − 1 mᵀ), t = (X − 1 mᵀ)ᵀ 1   the cross-products of X's columns shifted by
 *                    constants m (0 for the intercept column): var.fixed =
 *                    (β'ᵀ W β' − (tᵀβ')²/n)/(n − 1), β' = β without the intercept's entry; var(Xβ̂)
 *                    does not change when a constant is added to every row, and the shift keeps the
 *                    two terms from cancelling
 *
 * - rows: m the column means (R's mean: the sum over n, corrected by the mean of the deviations), so
 *   t ≈ 0;
 * - A: its leading block of [X_c y]ᵀ[X_c y], X_c = X C the fixed-effects transform
 *   (src/model/fixedTransform.ts: each non-intercept column minus its mean), so W = X_cᵀX_c and
 *   t_j = (X_cᵀX_c)_int,j; XᵀX = C⁻ᵀ(X_cᵀX_c)C⁻¹ (fixedDesign.ts uncentredCrossProducts). Without an
 *   intercept in X (X_c = X) the column sums are not in A_XX: they are read from A_Xk = [X y]ᵀZ_k of a
 *   random-effects block whose first column is an intercept (Σ_l (A_Xk)_j,(l, 1) = Σ_i x_ij; the
 *   engines centre only a block's slope columns), and are absent (null) where there is none.
 */
import type { GramMatrix } from '../linalg/gram.js';
import type { FixedTransform } from '../model/fixedTransform.js';
import { crossprod, uncentredCrossProducts } from './fixedDesign.js';

export interface DesignMoments {
  n: number;
  p: number;
  xnames: readonly string[];
  /** XᵀX, p × p row-major */
  XtX: Float64Array;
  /** Σ_i x_ij, or null where the source does not give them (an engine fit without an intercept) */
  colSums: Float64Array | null;
  /** W and t of the shifted columns (the header), p × p row-major and p */
  W: Float64Array;
  t: Float64Array | null;
  /** the intercept column, left out of var.fixed's quadratic form; −1 for none */
  intercept: number;
}

/** The moments of the rows X (n × p column-major) of an in-memory fit. */
export function rowMoments(X: Float64Array, n: number, p: number, xnames: readonly string[], intercept = xnames.indexOf('(Intercept)')): DesignMoments {
  const colSums = new Float64Array(p);
  const shifted = new Float64Array(n * p);
  for (let j = 0; j < p; j++) {
    const x = X.subarray(j * n, j * n + n);
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i];
    colSums[j] = s;
    // m_j = Σ x / n, then corrected by the mean deviation (R's two-pass mean); the intercept unshifted
    let m = 0;
    if (j !== intercept) {
      m = s / n;
      let dev = 0;
      for (let i = 0; i < n; i++) dev += x[i] - m;
      m += dev / n;
    }
    for (let i = 0; i < n; i++) shifted[j * n + i] = x[i] - m;
  }
  const t = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += shifted[j * n + i];
    t[j] = s;
  }
  return { n, p, xnames, XtX: crossprod(X, n, p), colSums, W: crossprod(shifted, n, p), t, intercept };
}

/**
 * The moments of an engine fit from its A and fixed-effects transform (no rows); `terms` the
 * random-effects terms (group and column names) that say which block has an intercept first.
 */
export function gramMoments(gram: Pick<GramMatrix, 'n' | 'p' | 'AXX' | 'AXk' | 'blocks'>, fixed: Pick<FixedTransform, 'means' | 'intercept'>, xnames: readonly string[], terms: readonly { group: string; cnames: readonly string[] }[]): DesignMoments {
  const { n, p, AXX } = gram;
  const p1 = p + 1;
  const W = new Float64Array(p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) W[a * p + b] = AXX[a * p1 + b];
  const XtX = uncentredCrossProducts(AXX, p, fixed);
  const intercept = fixed.intercept;
  let colSums: Float64Array | null = null;
  let t: Float64Array | null = null;
  if (intercept >= 0) {
    // Σ_i x_ij = (XᵀX)_int,j; t_j = Σ_i x_c,ij = (X_cᵀX_c)_int,j
    colSums = XtX.slice(intercept * p, intercept * p + p);
    t = W.slice(intercept * p, intercept * p + p);
  } else {
    const k = gram.blocks.findIndex((b) => terms.some((r) => r.group === b.group && r.cnames.length === b.q && r.cnames[0] === '(Intercept)'));
    if (k >= 0) {
      // Σ_l (A_Xk)_j,(l, 1): the intercept column of Z_k has one 1 per row
      const { q, nl } = gram.blocks[k];
      const AXk = gram.AXk[k], m = nl * q;
      colSums = new Float64Array(p);
      for (let j = 0; j < p; j++) {
        let s = 0;
        for (let l = 0; l < nl; l++) s += AXk[j * m + l * q];
        colSums[j] = s;
      }
      t = colSums;
    }
  }
  return { n, p, xnames, XtX, colSums, W, t, intercept };
}
