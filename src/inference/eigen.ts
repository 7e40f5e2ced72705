/**
 * Small dense symmetric matrices: the eigendecomposition (cyclic Jacobi rotations, eigenvalues in
 * decreasing order as R's eigen()), the Moore–Penrose inverse and the numerical rank from it, and a
 * general inverse. For the variance parameters' and contrasts' matrices (a handful of rows).
 */

export interface SymmetricEigen {
  /** eigenvalues, decreasing */
  values: Float64Array;
  /** eigenvectors as columns of an n × n row-major matrix, in the order of `values` */
  vectors: Float64Array;
}

/** Eigendecomposition of the symmetric n × n row-major matrix A (read only). */
export function symmetricEigen(A: ArrayLike<number>, n: number): SymmetricEigen {
  const a = Float64Array.from(A);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, scale = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      if (i !== j) off += a[i * n + j] * a[i * n + j];
      scale += a[i * n + j] * a[i * n + j];
    }
    if (off <= 1e-30 * scale || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p], aqq = a[q * n + q];
        // the rotation that zeroes a_pq (Golub & Van Loan, Algorithm 8.4.1)
        const tau = (aqq - app) / (2 * apq);
        const t = Math.sign(tau || 1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y * n + y] - a[x * n + x]);
  const values = Float64Array.from(order, (i) => a[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => { for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src]; });
  return { values, vectors };
}

/**
 * The Moore–Penrose inverse from the eigenvalues above `tol` (lmerTest's h_inv for the Hessian of
 * the variance parameters: eigenvalues ≤ tol are dropped).
 */
export function pseudoInverse(A: ArrayLike<number>, n: number, tol: number): { inverse: Float64Array; rank: number; values: Float64Array } {
  const { values, vectors } = symmetricEigen(A, n);
  const inverse = new Float64Array(n * n);
  let rank = 0;
  for (let k = 0; k < n; k++) {
    if (!(values[k] > tol)) continue;
    rank++;
    const w = 1 / values[k];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) inverse[i * n + j] += vectors[i * n + k] * w * vectors[j * n + k];
  }
  return { inverse, rank, values };
}

/** Inverse of a (non-singular) n × n row-major matrix by Gauss–Jordan elimination with partial pivoting. */
export function inverse(A: ArrayLike<number>, n: number, what = 'matrix'): Float64Array {
  const a = Float64Array.from(A);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[piv * n + c])) piv = r;
    if (a[piv * n + c] === 0) throw new Error(`${what} is singular`);
    if (piv !== c) {
      for (let k = 0; k < n; k++) {
        let t = a[c * n + k]; a[c * n + k] = a[piv * n + k]; a[piv * n + k] = t;
        t = inv[c * n + k]; inv[c * n + k] = inv[piv * n + k]; inv[piv * n + k] = t;
      }
    }
    const d = a[c * n + c];
    for (let k = 0; k < n; k++) { a[c * n + k] /= d; inv[c * n + k] /= d; }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r * n + c];
      if (f === 0) continue;
      for (let k = 0; k < n; k++) { a[r * n + k] -= f * a[c * n + k]; inv[r * n + k] -= f * inv[c * n + k]; }
    }
  }
  return inv;
}

/** C = A B for row-major A (r × k) and B (k × c). */
export function matmul(A: ArrayLike<number>, B: ArrayLike<number>, r: number, k: number, c: number): Float64Array {
  const C = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let u = 0; u < k; u++) {
    const a = A[i * k + u];
    if (a === 0) continue;
    for (let j = 0; j < c; j++) C[i * c + j] += a * B[u * c + j];
  }
  return C;
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
