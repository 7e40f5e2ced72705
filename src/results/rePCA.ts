/**
 * lme4's rePCA(fit): per grouping factor, the principal components of its random effects' relative
 * covariance Σ_k/σ² = T_k T_kᵀ (T_k the block's template at θ̂: every term of the factor, block-diagonal
 * for `||`), as lme4's svd of the relative Cholesky factor:
 *   T_k = U D Vᵀ,   sdev = diag(D) (descending),   rotation = U,
 * so sdev² are the eigenvalues of T_k T_kᵀ (taken here from its symmetric eigendecomposition) and a
 * component with sdev near 0 is a direction the data do not support (an overparameterized term:
 * Bates et al. 2015, "Parsimonious mixed models"). `proportion` is sdev²/Σ sdev², as summary(rePCA).
 */
import type { RandomBlock } from '../model/lambda.js';
import { fillTemplate } from '../linalg/template.js';
import { symmetricEigen } from '../linalg/symmetricEigen.js';
import { lme4BlockOrder } from './components.js';

export interface RePcaGroup {
  group: string;
  /** the columns' names (rows of `rotation`) */
  names: string[];
  /** the components' standard deviations (relative to σ), descending */
  sdev: number[];
  /** sdev² / Σ sdev² */
  proportion: number[];
  cumulative: number[];
  /** the components as columns: rotation[i][c] is column i's loading on component c (signs arbitrary) */
  rotation: number[][];
}

/** rePCA from the blocks and lme4's θ̂, in ranef's order. */
export function rePca(blocks: readonly RandomBlock[], theta: ArrayLike<number>): RePcaGroup[] {
  return lme4BlockOrder(blocks).map((k) => {
    const b = blocks[k], q = b.q;
    const T = new Float64Array(q * q);
    fillTemplate(b, theta, T);
    // T Tᵀ (q × q)
    const S = new Float64Array(q * q);
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) { let acc = 0; for (let t = 0; t < q; t++) acc += T[i * q + t] * T[j * q + t]; S[i * q + j] = acc; }
    const { values, vectors } = symmetricEigen(S, q);
    const order = Array.from({ length: q }, (_, c) => c).sort((a, c) => values[c] - values[a]);
    const sdev = order.map((c) => Math.sqrt(Math.max(0, values[c])));
    const total = sdev.reduce((a, s) => a + s * s, 0);
    const proportion = sdev.map((s) => (total > 0 ? (s * s) / total : NaN));
    let acc = 0;
    const cumulative = proportion.map((v) => (acc += v));
    const rotation = Array.from({ length: q }, (_, i) => order.map((c) => vectors[i * q + c]));
    return { group: b.group, names: b.cnames, sdev, proportion, cumulative, rotation };
  });
}
