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
 *   t ≈ 0, and β'ᵀWβ', tᵀβ' summed over the rows of η̃ = (X − 1mᵀ)β' (O(n p), not XᵀX's O(n p²)); XᵀX
 *   only where a random-effects term takes X's columns, each entry a sum over the rows;
 * - A: its leading block of [X_c y]ᵀ[X_c y], X_c = X C the fixed-effects transform
 *   (src/model/fixedTransform.ts: each non-intercept column minus its mean), so W = X_cᵀX_c and
 *   t_j = (X_cᵀX_c)_int,j; XᵀX = C⁻ᵀ(X_cᵀX_c)C⁻¹ (fixedDesign.ts uncentredCrossProducts). Without an
 *   intercept in X (X_c = X) the column sums are not in A_XX: they are read from A_Xk = [X y]ᵀZ_k of a
 *   random-effects block whose first column is an intercept (Σ_l (A_Xk)_j,(l, 1) = Σ_i x_ij; the
 *   engines centre only a block's slope columns), and are absent (hasColumnSums false) where there is none.
 */
import type { GramMatrix } from '../linalg/gram.js';
import type { FixedTransform } from '../model/fixedTransform.js';
import { ModelError } from '../errors/errors.js';
import { uncentredCrossProducts } from './fixedDesign.js';

export interface DesignMoments {
  n: number;
  xnames: readonly string[];
  /**
   * ss = β'ᵀ W β' and lin2 = (tᵀβ')²/n for β' = β̂ without the intercept's entry (the header):
   * (n − 1) var(Xβ̂) = ss − lin2
   */
  fixedParts(beta: ArrayLike<number>): { ss: number; lin2: number };
  /** whether X's column sums are known (they are not for an engine fit without an intercept in either part) */
  hasColumnSums: boolean;
  /** Σ_i x_ia x_ib (XᵀX's entry); a column index of −1 is a column of 1 (n, X's column sums) */
  product(a: number, b: number): number;
  /** the intercept column, left out of var.fixed's quadratic form; −1 for none */
  intercept: number;
}

/**
 * The moments of the rows X (n × p column-major) of an in-memory fit, each read from the rows when
 * asked: fixedParts from the shifted fixed part η̃_i = Σ_a β'_a (x_ia − m_a) as ss = Σ_i η̃_i² and
 * lin = Σ_i η̃_i (O(n p)); a product Σ_i x_ia x_ib (O(n), once per pair)
 */
export function rowMoments(X: Float64Array, n: number, p: number, xnames: readonly string[], intercept = xnames.indexOf('(Intercept)')): DesignMoments {
  const column = (j: number) => X.subarray(j * n, j * n + n);
  let means: Float64Array | null = null;
  const meansOf = (): Float64Array => {
    if (means) return means;
    means = new Float64Array(p);
    for (let j = 0; j < p; j++) {
      if (j === intercept) continue;
      // m_j = Σ x / n, then corrected by the mean deviation (R's two-pass mean)
      const x = column(j);
      let s = 0;
      for (let i = 0; i < n; i++) s += x[i];
      let m = s / n, dev = 0;
      for (let i = 0; i < n; i++) dev += x[i] - m;
      m += dev / n;
      means[j] = m;
    }
    return means;
  };
  const products = new Map<string, number>();
  return {
    n, xnames, intercept, hasColumnSums: true,
    fixedParts(beta) {
      const m = meansOf();
      const eta = new Float64Array(n);
      for (let a = 0; a < p; a++) {
        if (a === intercept) continue;
        const x = column(a), b = beta[a], ma = m[a];
        for (let i = 0; i < n; i++) eta[i] += (x[i] - ma) * b;
      }
      let ss = 0, lin = 0;
      for (let i = 0; i < n; i++) { ss += eta[i] * eta[i]; lin += eta[i]; }
      return { ss, lin2: (lin * lin) / n };
    },
    product(a, b) {
      if (a < 0 && b < 0) return n;
      const key = a <= b ? `${a},${b}` : `${b},${a}`;
      let v = products.get(key);
      if (v === undefined) {
        v = 0;
        if (a < 0 || b < 0) {
          const x = column(a < 0 ? b : a);
          for (let i = 0; i < n; i++) v += x[i];
        } else {
          const x = column(a), y = column(b);
          for (let i = 0; i < n; i++) v += x[i] * y[i];
        }
        products.set(key, v);
      }
      return v;
    },
  };
}

/**
 * The moments of an engine fit from its A and fixed-effects transform (no rows); `terms` the
 * random-effects terms (group and column names) that say which block has an intercept first.
 */
export function gramMoments(gram: Pick<GramMatrix, 'n' | 'p' | 'AXX' | 'AXk' | 'blocks'>, fixed: Pick<FixedTransform, 'means' | 'intercept'>, xnames: readonly string[], terms: readonly { group: string; cnames: readonly string[] }[]): DesignMoments {
  const { n, p, AXX } = gram;
  const p1 = p + 1;
  // W = X_cᵀX_c, A_XX's leading p × p block
  const W = (a: number, b: number) => AXX[a * p1 + b];
  const XtX = uncentredCrossProducts(AXX, p, fixed);
  const intercept = fixed.intercept;
  let colSums: Float64Array | null = null;
  let t: Float64Array | null = null;
  if (intercept >= 0) {
    // Σ_i x_ij = (XᵀX)_int,j; t_j = Σ_i x_c,ij = (X_cᵀX_c)_int,j
    colSums = XtX.slice(intercept * p, intercept * p + p);
    t = Float64Array.from({ length: p }, (_, j) => W(intercept, j));
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
  const noSums = () => new ModelError('X\'s column sums are not in this Gram matrix (no intercept in X, none in a random-effects term)');
  return {
    n, xnames, intercept, hasColumnSums: colSums !== null,
    fixedParts(beta) {
      if (!t) throw noSums();
      let ss = 0, lin = 0;
      for (let a = 0; a < p; a++) {
        if (a === intercept) continue;
        lin += t[a] * beta[a];
        let row = 0;
        for (let b = 0; b < p; b++) if (b !== intercept) row += W(a, b) * beta[b];
        ss += beta[a] * row;
      }
      return { ss, lin2: (lin * lin) / n };
    },
    product(a, b) {
      if (a >= 0 && b >= 0) return XtX[a * p + b];
      if (a < 0 && b < 0) return n;
      if (!colSums) throw noSums();
      return colSums[a < 0 ? b : a];
    },
  };
}
