/**
 * Small dense matrices for inference: the Moore–Penrose inverse and the numerical rank from the
 * eigendecomposition (src/linalg/symmetricEigen.ts), a general inverse, products. For the variance
 * parameters' and contrasts' matrices (a handful of rows).
 */
import { invertGaussJordan, matmul } from '../linalg/dense.js';

export { matmul };
import { symmetricEigen } from '../linalg/symmetricEigen.js';

export { symmetricEigen, type SymmetricEigen } from '../linalg/symmetricEigen.js';

/**
 * The Moore–Penrose inverse from the eigenvalues above `tol` (lmerTest's h_inv for the Hessian of
 * the variance parameters: eigenvalues ≤ tol are dropped); `tol` may be a function of the eigenvalues
 * (a tolerance relative to the largest, as MASS's ginv).
 */
export function pseudoInverse(A: ArrayLike<number>, n: number, tol: number | ((values: Float64Array) => number)): { inverse: Float64Array; rank: number; values: Float64Array } {
  const { values, vectors } = symmetricEigen(A, n);
  const inverse = new Float64Array(n * n);
  const cut = typeof tol === 'number' ? tol : tol(values);
  let rank = 0;
  for (let k = 0; k < n; k++) {
    if (!(values[k] > cut)) continue;
    rank++;
    const w = 1 / values[k];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) inverse[i * n + j] += vectors[i * n + k] * w * vectors[j * n + k];
  }
  return { inverse, rank, values };
}

/** Inverse of a (non-singular) n × n row-major matrix by Gauss–Jordan elimination with partial pivoting. */
export function inverse(A: ArrayLike<number>, n: number, what = 'matrix'): Float64Array {
  const inv = invertGaussJordan(Float64Array.from(A), n);
  if (!inv) throw new Error(`${what} is singular or not finite`);
  return inv;
}


/** Aᵀ for row-major A (r × c). */
export function transpose(A: ArrayLike<number>, r: number, c: number): Float64Array {
  const T = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) T[j * r + i] = A[i * c + j];
  return T;
}

/** L M Lᵀ for L (r × p) and symmetric M (p × p). */
export function congruence(L: ArrayLike<number>, M: ArrayLike<number>, r: number, p: number): Float64Array {
  return matmul(matmul(L, M, r, p, p), transpose(L, r, p), r, p, r);
}

/** Σ_ij A_ij B_ij (= tr(A Bᵀ)) */
export function frobenius(A: ArrayLike<number>, B: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < A.length; i++) s += A[i] * B[i];
  return s;
}
