/**
 * Dense float64 kernels on row-major square matrices (lower triangle used): the Cholesky factor
 * A = L Lᵀ, triangular solves and the inverse of a lower-triangular matrix.
 */
import { FitError } from '../errors/errors.js';

/** Thrown when a matrix that must be positive definite is not. */
export class NotPositiveDefiniteError extends FitError {
  constructor(what: string, readonly index: number, readonly pivot: number) {
    super(`${what} is not positive definite (pivot ${index + 1} is ${pivot})`);
    this.name = 'NotPositiveDefiniteError';
  }
}

/**
 * In-place Cholesky A = L Lᵀ of an n × n matrix stored at a[off + i*ld + j] (lower triangle read and
 * written; the strict upper triangle is left as it is). Row-oriented (Crout) form:
 *   L[i][j] = (A[i][j] − Σ_{k<j} L[i][k] L[j][k]) / L[j][j],   L[j][j] = √(A[j][j] − Σ_{k<j} L[j][k]²)
 * computed four rows × two columns at a time so each loaded row of L serves eight dot products.
 * Returns log det L² = 2 Σ log L[j][j].
 */
export function choleskyInPlace(a: Float64Array, n: number, what = 'matrix', off = 0, ld = n): number {
  let logdet = 0;
  for (let i0 = 0; i0 < n; i0 += 4) {
    const m = Math.min(4, n - i0);
    let j = 0;
    if (m === 4) {
      const r0 = off + i0 * ld, r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld;
      for (; j + 1 < i0; j += 2) {
        const rj = off + j * ld, rk = rj + ld;
        let s00 = a[r0 + j], s10 = a[r1 + j], s20 = a[r2 + j], s30 = a[r3 + j];
        let s01 = a[r0 + j + 1], s11 = a[r1 + j + 1], s21 = a[r2 + j + 1], s31 = a[r3 + j + 1];
        for (let k = 0; k < j; k++) {
          const l = a[rj + k], h = a[rk + k];
          const x0 = a[r0 + k], x1 = a[r1 + k], x2 = a[r2 + k], x3 = a[r3 + k];
          s00 -= x0 * l; s10 -= x1 * l; s20 -= x2 * l; s30 -= x3 * l;
          s01 -= x0 * h; s11 -= x1 * h; s21 -= x2 * h; s31 -= x3 * h;
        }
        const d = a[rj + j];
        s00 /= d; s10 /= d; s20 /= d; s30 /= d;
        a[r0 + j] = s00; a[r1 + j] = s10; a[r2 + j] = s20; a[r3 + j] = s30;
        const lkj = a[rk + j], d1 = a[rk + j + 1];
        a[r0 + j + 1] = (s01 - s00 * lkj) / d1; a[r1 + j + 1] = (s11 - s10 * lkj) / d1;
        a[r2 + j + 1] = (s21 - s20 * lkj) / d1; a[r3 + j + 1] = (s31 - s30 * lkj) / d1;
      }
    }
    for (; j < i0; j++) {
      const rj = off + j * ld, djj = a[rj + j];
      for (let t = 0; t < m; t++) {
        const ri = off + (i0 + t) * ld;
        let s = a[ri + j];
        for (let k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
        a[ri + j] = s / djj;
      }
    }
    // the 4 × 4 diagonal block
    for (let jj = i0; jj < i0 + m; jj++) {
      const rj = off + jj * ld;
      let s = a[rj + jj];
      for (let k = 0; k < jj; k++) s -= a[rj + k] * a[rj + k];
      if (!(s > 0)) throw new NotPositiveDefiniteError(what, jj, s);
      const d = Math.sqrt(s);
      a[rj + jj] = d;
      logdet += 2 * Math.log(d);
      for (let ii = jj + 1; ii < i0 + m; ii++) {
        const ri = off + ii * ld;
        let t = a[ri + jj];
        for (let k = 0; k < jj; k++) t -= a[ri + k] * a[rj + k];
        a[ri + jj] = t / d;
      }
    }
  }
  return logdet;
}

/** Solves L x = b in place (forward substitution), L lower triangular n × n at l[off + i*ld + j]. */
export function solveLower(l: Float64Array, n: number, b: Float64Array, boff = 0, off = 0, ld = n): void {
  for (let i = 0; i < n; i++) {
    const ri = off + i * ld;
    let s = b[boff + i];
    for (let k = 0; k < i; k++) s -= l[ri + k] * b[boff + k];
    b[boff + i] = s / l[ri + i];
  }
}

/**
 * Solves L X = B in place for the k columns of B stored row-major (B[i][c] at b[boff + i*k + c]),
 * forward substitution per column: X[i][c] = (B[i][c] − Σ_{j<i} L[i][j] X[j][c]) / L[i][i].
 */
export function solveLowerColumns(l: Float64Array, n: number, b: Float64Array, k: number, boff = 0, off = 0, ld = n): void {
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) {
      const ri = off + i * ld;
      let s = b[boff + i * k + c];
      for (let j = 0; j < i; j++) s -= l[ri + j] * b[boff + j * k + c];
      b[boff + i * k + c] = s / l[ri + i];
    }
  }
}

/** Solves Lᵀ x = b in place (back substitution). */
export function solveLowerT(l: Float64Array, n: number, b: Float64Array, boff = 0, off = 0, ld = n): void {
  for (let i = n - 1; i >= 0; i--) {
    const xi = (b[boff + i] /= l[off + i * ld + i]);
    const ri = off + i * ld;
    for (let k = 0; k < i; k++) b[boff + k] -= l[ri + k] * xi;
  }
}

/** The inverse of a lower-triangular n × n matrix (row-major, lower triangle filled, upper zero). */
export function invertLower(l: Float64Array, n: number): Float64Array {
  const inv = new Float64Array(n * n);
  // column j of L⁻¹ solves L x = e_j; x is zero above j
  const x = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    x.fill(0);
    x[j] = 1 / l[j * n + j];
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = 0;
      for (let k = j; k < i; k++) s -= l[ri + k] * x[k];
      x[i] = s / l[ri + i];
    }
    for (let i = j; i < n; i++) inv[i * n + j] = x[i];
  }
  return inv;
}

/** C = A B for A (r × k) and B (k × c), row-major. */
export function matmul(A: ArrayLike<number>, B: ArrayLike<number>, r: number, k: number, c: number): Float64Array {
  const C = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let u = 0; u < k; u++) {
    const a = A[i * k + u];
    if (a === 0) continue;
    for (let j = 0; j < c; j++) C[i * c + j] += a * B[u * c + j];
  }
  return C;
}

/**
 * The inverse and log determinant of a symmetric positive definite n × n matrix (row-major; R's
 * chol2inv(chol(M))): M = L Lᵀ (choleskyInPlace, `what` naming M where it is not positive definite),
 * M⁻¹ = L⁻ᵀ L⁻¹, log det M = 2 Σ log L_jj.
 */
export function spdInverse(M: ArrayLike<number>, n: number, what: string): { inv: Float64Array; logDet: number } {
  const L = Float64Array.from(M);
  const logDet = choleskyInPlace(L, n, what);
  for (let r = 0; r < n; r++) for (let c = r + 1; c < n; c++) L[r * n + c] = 0;
  const Li = invertLower(L, n);
  const inv = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c <= r; c++) {
      let s = 0;
      for (let t = r; t < n; t++) s += Li[t * n + r] * Li[t * n + c];
      inv[r * n + c] = s;
      inv[c * n + r] = s;
    }
  }
  return { inv, logDet };
}

/**
 * Cholesky factor of a positive semi-definite matrix (lower triangle of S); a pivot d_j ≤ 1e-14 · s_j
 * becomes 0 (a zero column). `scale` 'matrix' (default): s_j = max_k S_kk; 'column': s_j = S_jj, the
 * pivot against its own column's diagonal — for a Σ whose diagonal spans many orders of magnitude
 * (an intercept's variance at year 0, 1.5e7, beside a slope's 3.6: the slope's own pivot 8.5e-9 is
 * real and below 1e-14 · 1.5e7), where rounding leaves a residue of ~1e-16 · S_jj at a true zero.
 */
export function semidefiniteCholesky(S: Float64Array, q: number, scale: 'matrix' | 'column' = 'matrix'): Float64Array {
  const L = new Float64Array(q * q);
  let largest = 0;
  for (let j = 0; j < q; j++) largest = Math.max(largest, S[j * q + j]);
  for (let j = 0; j < q; j++) {
    let d = S[j * q + j];
    for (let k = 0; k < j; k++) d -= L[j * q + k] ** 2;
    if (d <= 1e-14 * (scale === 'column' ? S[j * q + j] : largest)) continue;
    const r = Math.sqrt(d);
    L[j * q + j] = r;
    for (let i = j + 1; i < q; i++) {
      let v = S[i * q + j];
      for (let k = 0; k < j; k++) v -= L[i * q + k] * L[j * q + k];
      L[i * q + j] = v / r;
    }
  }
  return L;
}

/** The inverse of a square matrix (row-major) by Gauss–Jordan with partial pivoting; null if singular or not finite. */
export function invertGaussJordan(A: Float64Array, n: number): Float64Array | null {
  for (let i = 0; i < n * n; i++) if (!Number.isFinite(A[i])) return null;
  const a = Float64Array.from(A);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[piv * n + c])) piv = r;
    const pv = a[piv * n + c];
    if (!(Math.abs(pv) > 0)) return null;
    if (piv !== c) {
      for (let k = 0; k < n; k++) {
        [a[c * n + k], a[piv * n + k]] = [a[piv * n + k], a[c * n + k]];
        [inv[c * n + k], inv[piv * n + k]] = [inv[piv * n + k], inv[c * n + k]];
      }
    }
    for (let k = 0; k < n; k++) { a[c * n + k] /= pv; inv[c * n + k] /= pv; }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r * n + c];
      if (f === 0) continue;
      for (let k = 0; k < n; k++) { a[r * n + k] -= f * a[c * n + k]; inv[r * n + k] -= f * inv[c * n + k]; }
    }
  }
  return inv;
}
