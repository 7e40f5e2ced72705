/**
 * The whitening of a Markov correlation within a group (corAR1, corCAR1): rows in time order,
 * Cor(ε_j, ε_{j−1}) = r_j and C_{jk} = Π r between them, whose inverse Cholesky factor is bidiagonal:
 *   e_1 = z_1,   e_j = (z_j − r_j z_{j−1}) / √(1 − r_j²),   log|C| = Σ_j log(1 − r_j²).
 */
import type { CorrelationFactor } from './correlation.js';

/** `r(g, j)`: the lag-one correlation between the group's rows j − 1 and j (j ≥ 1). */
export function markovFactor(groups: Int32Array[], r: (g: number, j: number) => number): CorrelationFactor {
  let logDet = 0;
  for (let g = 0; g < groups.length; g++) {
    for (let j = 1; j < groups[g].length; j++) logDet += Math.log1p(-r(g, j) * r(g, j));
  }
  return {
    logDet,
    whiten(g, v, k) {
      // from the last row back, so that z_{j−1} is still the unwhitened row
      for (let j = groups[g].length - 1; j >= 1; j--) {
        const rj = r(g, j);
        const s = 1 / Math.sqrt(1 - rj * rj);
        for (let c = 0; c < k; c++) v[j * k + c] = (v[j * k + c] - rj * v[(j - 1) * k + c]) * s;
      }
    },
  };
}
