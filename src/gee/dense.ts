/**
 * The small dense algebra of the estimating equations (matrices as arrays of rows): products,
 * transposes, sums and the inverse (Gauss–Jordan, src/linalg). Sizes are p, q, r and the cluster
 * sizes, so nothing here is blocked.
 */
import { FitError } from '../errors/errors.js';
import { invertGaussJordan } from '../linalg/dense.js';

export type Mat = number[][];

export const zeros = (r: number, c: number): Mat => Array.from({ length: r }, () => new Array<number>(c).fill(0));
export const transpose = (A: Mat, cols = A[0]?.length ?? 0): Mat => Array.from({ length: cols }, (_, j) => A.map((row) => row[j]));

/** A B (A is r × k, B is k × c; c given for k = 0) */
export function mul(A: Mat, B: Mat, c = B[0]?.length ?? 0): Mat {
  const out = zeros(A.length, c);
  for (let i = 0; i < A.length; i++) {
    for (let k = 0; k < B.length; k++) {
      const a = A[i][k];
      if (a === 0) continue;
      const bk = B[k];
      const oi = out[i];
      for (let j = 0; j < c; j++) oi[j] += a * bk[j];
    }
  }
  return out;
}

export function add(A: Mat, B: Mat): Mat { return A.map((row, i) => row.map((v, j) => v + B[i][j])); }
export function scale(A: Mat, s: number): Mat { return A.map((row) => row.map((v) => v * s)); }
/** A x */
export function mulVec(A: Mat, x: ArrayLike<number>): number[] { return A.map((row) => row.reduce((s, v, j) => s + v * x[j], 0)); }
/** a bᵀ */
export function outer(a: readonly number[], b: readonly number[]): Mat { return a.map((ai) => b.map((bj) => ai * bj)); }

/** A⁻¹ (square); `what` names the matrix in the error when it is singular */
export function inverse(A: Mat, what: string): Mat {
  const n = A.length;
  if (n === 0) return [];
  const flat = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) flat[i * n + j] = A[i][j];
  const inv = invertGaussJordan(flat, n);
  if (!inv) throw new FitError(`gee: ${what} is singular or not finite`);
  return Array.from({ length: n }, (_, i) => Array.from(inv.subarray(i * n, (i + 1) * n)));
}

/** A⁻¹ b */
export function solve(A: Mat, b: readonly number[], what: string): number[] { return mulVec(inverse(A, what), b); }
