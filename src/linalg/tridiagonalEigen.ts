/**
 * The eigendecomposition of a dense symmetric matrix of any size (hundreds of rows: a cluster's
 * n_j × n_j matrix of the CR2 adjustment, src/inference/robust/vcovCR.ts) in O(n³), where the cyclic
 * Jacobi of ./symmetricEigen.ts costs a multiple of n³ per sweep:
 *
 *   1. Householder reduction A = Q T Qᵀ, T tridiagonal (Golub & Van Loan, Algorithm 8.3.1): for each k,
 *      P = I − β v vᵀ zeroes column k below the subdiagonal; A₂₂ ← A₂₂ − v wᵀ − w vᵀ with p = β A₂₂ v,
 *      w = p − (β pᵀv / 2) v; Q accumulates the P's;
 *   2. the implicit symmetric QR iteration with Wilkinson's shift on T (Algorithm 8.3.2): on the
 *      unreduced block [lo, hi], μ = t_hh − t²_{h,h−1} / (δ + sign(δ) √(δ² + t²_{h,h−1})), δ = (t_{h−1,h−1} − t_hh)/2;
 *      a Givens rotation in (lo, lo+1) with the direction of (t_lo,lo − μ, t_lo+1,lo), then rotations chasing
 *      the bulge down the band; Q accumulates the rotations; a subdiagonal entry ≤ ε(|t_ii| + |t_i+1,i+1|)
 *      is set to 0 (deflation).
 * Eigenvalues in decreasing order, as R's eigen() and ./symmetricEigen.ts return them.
 * With `{ vectors: false }` (R's eigen(only.values = TRUE)) Q is not accumulated (the O(n³) rotations and
 * products skipped: about 4× faster) and `vectors` comes back empty; the values are the same numbers.
 */
import type { SymmetricEigen } from './symmetricEigen.js';

/** Eigendecomposition of the symmetric n × n row-major matrix A (read only; its lower triangle used). */
export function tridiagonalEigen(A: ArrayLike<number>, n: number, options: { vectors?: boolean } = {}): SymmetricEigen {
  const withVectors = options.vectors ?? true;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) { a[i * n + j] = A[i * n + j]; a[j * n + i] = A[i * n + j]; }
  const Q = new Float64Array(withVectors ? n * n : 0);
  if (withVectors) for (let i = 0; i < n; i++) Q[i * n + i] = 1;
  const v = new Float64Array(n), p = new Float64Array(n), w = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    let alpha = 0;
    for (let i = k + 1; i < n; i++) alpha += a[i * n + k] ** 2;
    alpha = Math.sqrt(alpha);
    if (alpha === 0) continue;
    const x0 = a[(k + 1) * n + k];
    const sign = x0 >= 0 ? 1 : -1;
    let vtv = 0;
    for (let i = k + 1; i < n; i++) { v[i] = a[i * n + k]; }
    v[k + 1] += sign * alpha;
    for (let i = k + 1; i < n; i++) vtv += v[i] * v[i];
    const beta = 2 / vtv;
    // p = β A₂₂ v,  K = β pᵀv / 2,  w = p − K v
    let K = 0;
    for (let i = k + 1; i < n; i++) {
      let s = 0;
      const ri = i * n;
      for (let j = k + 1; j < n; j++) s += a[ri + j] * v[j];
      p[i] = beta * s;
      K += p[i] * v[i];
    }
    K *= beta / 2;
    for (let i = k + 1; i < n; i++) w[i] = p[i] - K * v[i];
    for (let i = k + 1; i < n; i++) {
      const ri = i * n, vi = v[i], wi = w[i];
      for (let j = k + 1; j < n; j++) a[ri + j] -= vi * w[j] + wi * v[j];
    }
    for (let i = k + 2; i < n; i++) { a[i * n + k] = 0; a[k * n + i] = 0; }
    a[(k + 1) * n + k] = -sign * alpha;
    a[k * n + k + 1] = -sign * alpha;
    // Q ← Q P
    if (withVectors) for (let r = 0; r < n; r++) {
      const rr = r * n;
      let s = 0;
      for (let j = k + 1; j < n; j++) s += Q[rr + j] * v[j];
      s *= beta;
      if (s === 0) continue;
      for (let j = k + 1; j < n; j++) Q[rr + j] -= s * v[j];
    }
  }
  const d = new Float64Array(n), e = new Float64Array(Math.max(0, n - 1));
  for (let i = 0; i < n; i++) d[i] = a[i * n + i];
  for (let i = 0; i + 1 < n; i++) e[i] = a[(i + 1) * n + i];
  // implicit QR with Wilkinson's shift
  let hi = n - 1;
  let iterations = 0;
  while (hi > 0) {
    for (let i = 0; i < hi; i++) if (Math.abs(e[i]) <= Number.EPSILON * (Math.abs(d[i]) + Math.abs(d[i + 1]))) e[i] = 0;
    if (e[hi - 1] === 0) { hi--; continue; }
    if (++iterations > 50 * n) throw new Error(`the symmetric QR iteration did not converge (${n} × ${n})`);
    let lo = hi - 1;
    while (lo > 0 && e[lo - 1] !== 0) lo--;
    const delta = (d[hi - 1] - d[hi]) / 2, t = e[hi - 1];
    const mu = d[hi] - (t * t) / (delta + (delta >= 0 ? 1 : -1) * Math.hypot(delta, t));
    let x = d[lo] - mu, z = e[lo];
    for (let k = lo; k < hi; k++) {
      const r = Math.hypot(x, z);
      const c = x / r, s = z / r;
      // the rotation in the plane (k, k+1): u_k = c e_k + s e_k+1, u_k+1 = −s e_k + c e_k+1
      if (k > lo) e[k - 1] = r;
      const dk = d[k], dk1 = d[k + 1], ek = e[k];
      d[k] = c * c * dk + 2 * c * s * ek + s * s * dk1;
      d[k + 1] = s * s * dk - 2 * c * s * ek + c * c * dk1;
      e[k] = c * s * (dk1 - dk) + (c * c - s * s) * ek;
      if (k + 1 < hi) {
        // the bulge at (k, k+2), and the new entry at (k+1, k+2)
        x = e[k];
        z = s * e[k + 1];
        e[k + 1] *= c;
      }
      if (withVectors) for (let rr = 0; rr < n * n; rr += n) {
        const qk = Q[rr + k], qk1 = Q[rr + k + 1];
        Q[rr + k] = c * qk + s * qk1;
        Q[rr + k + 1] = -s * qk + c * qk1;
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[j] - d[i]);
  const values = Float64Array.from(order, (i) => d[i]);
  const vectors = new Float64Array(withVectors ? n * n : 0);
  if (withVectors) order.forEach((src, dst) => { for (let r = 0; r < n; r++) vectors[r * n + dst] = Q[r * n + src]; });
  return { values, vectors };
}
