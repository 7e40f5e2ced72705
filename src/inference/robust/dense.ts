/**
 * clubSandwich's matrix_power for the cluster-robust variance (row-major); its products are
 * src/linalg/dense.ts's matmul and spdInverse.
 */
import { symmetricEigen } from '../../linalg/symmetricEigen.js';

/** clubSandwich's matrix_power(x, power): V diag(λ^power) Vᵀ with eigenvalues ≤ 1e-12 set to 0. */
export function matrixPower(A: ArrayLike<number>, n: number, power: number): Float64Array {
  const { values, vectors } = symmetricEigen(A, n);
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    if (!(values[k] > 1e-12)) continue;
    const s = values[k] ** power;
    for (let a = 0; a < n; a++) {
      const va = vectors[a * n + k] * s;
      for (let b = 0; b < n; b++) out[a * n + b] += va * vectors[b * n + k];
    }
  }
  return out;
}
