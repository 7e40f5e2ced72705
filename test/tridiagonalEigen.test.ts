/**
 * src/linalg/tridiagonalEigen.ts (Householder + implicit QR, for CR2's per-cluster matrices): A V = V Λ
 * and VᵀV = I to 1e-12·n, the eigenvalues of the Jacobi method (src/linalg/symmetricEigen.ts) to 1e-12
 * relative to the largest, in decreasing order; matrices with repeated eigenvalues, a diagonal, a zero
 * and a rank-one matrix, and a 1 × 1; with { vectors: false } the same eigenvalues bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { tridiagonalEigen } from '../src/linalg/tridiagonalEigen.js';
import { symmetricEigen } from '../src/linalg/symmetricEigen.js';

function check(A: Float64Array, n: number) {
  const { values, vectors } = tridiagonalEigen(A, n);
  const scale = Math.max(1e-300, ...Array.from(A, Math.abs));
  for (let k = 1; k < n; k++) expect(values[k]).toBeLessThanOrEqual(values[k - 1]);
  for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += A[i * n + j] * vectors[j * n + k];
    expect(Math.abs(s - values[k] * vectors[i * n + k]) / scale).toBeLessThan(1e-12 * n);
  }
  for (let k = 0; k < n; k++) for (let l = 0; l < n; l++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += vectors[i * n + k] * vectors[i * n + l];
    expect(Math.abs(s - (k === l ? 1 : 0))).toBeLessThan(1e-12 * n);
  }
  // values only (R's only.values = TRUE): the same numbers, no vectors
  const only = tridiagonalEigen(A, n, { vectors: false });
  expect(Array.from(only.values)).toEqual(Array.from(values));
  expect(only.vectors.length).toBe(0);
  if (n <= 30) {
    const j = symmetricEigen(A, n);
    values.forEach((v, k) => expect(Math.abs(v - j.values[k]) / scale).toBeLessThan(1e-12));
  }
}

describe('tridiagonalEigen', () => {
  let seed = 7;
  const rnd = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647 - 0.5; };
  const random = (n: number) => {
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) { const x = rnd(); A[i * n + j] = x; A[j * n + i] = x; }
    return A;
  };
  it('random symmetric matrices, 1 to 120 rows', () => {
    for (const n of [1, 2, 3, 4, 7, 16, 30, 120]) check(random(n), n);
  });
  it('repeated eigenvalues: I, a diagonal, 0, a rank-one matrix, I + a rank-one matrix', () => {
    const n = 12;
    const I = new Float64Array(n * n);
    for (let i = 0; i < n; i++) I[i * n + i] = 1;
    check(I, n);
    const D = new Float64Array(n * n);
    for (let i = 0; i < n; i++) D[i * n + i] = i % 3;
    check(D, n);
    check(new Float64Array(n * n), n);
    const u = Array.from({ length: n }, () => rnd());
    const R = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) R[i * n + j] = u[i] * u[j];
    check(R, n);
    check(R.map((x, k) => x + I[k]), n);
  });
});
