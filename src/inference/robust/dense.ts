/**
 * Small dense helpers of the cluster-robust variance (row-major; p × p and n_j × n_j matrices):
 * products, the inverse of a symmetric positive-definite matrix, and clubSandwich's matrix_power.
 */
import { choleskyInPlace, invertLower } from '../../linalg/dense.js';
import { symmetricEigen } from '../../linalg/symmetricEigen.js';

/** C = A B for A (r × k) and B (k × c). */
export function matmul(A: ArrayLike<number>, B: ArrayLike<number>, r: number, k: number, c: number): Float64Array {
  const C = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    for (let u = 0; u < k; u++) {
      const a = A[i * k + u];
      if (a === 0) continue;
      const cu = u * c, ci = i * c;
      for (let j = 0; j < c; j++) C[ci + j] += a * B[cu + j];
    }
  }
  return C;
}

/** A⁻¹ = L⁻ᵀ L⁻¹ of a symmetric positive-definite A = L Lᵀ (R's chol2inv(chol(A))). */
export function symmetricInverse(A: ArrayLike<number>, n: number, what: string): Float64Array {
  const L = Float64Array.from(A);
  choleskyInPlace(L, n, what);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) L[i * n + j] = 0;
  const Li = invertLower(L, n);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
    let s = 0;
    for (let k = i; k < n; k++) s += Li[k * n + i] * Li[k * n + j];
    out[i * n + j] = s;
    out[j * n + i] = s;
  }
  return out;
}

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
