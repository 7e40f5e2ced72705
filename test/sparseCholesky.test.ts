/**
 * The sparse up-looking Cholesky factor (src/linalg/sparseCholesky.ts) on small matrices: L Lᵀ = A to
 * rounding (1e-13 of A's largest entry: a 12 × 12 factor's float64 sums), its pattern (the diagonal
 * first, rows increasing), the elimination tree and the refusals. Against lme4's CHOLMOD factors:
 * test/getme.test.ts (getME's L).
 */
import { describe, expect, it } from 'vitest';
import { type CscMatrix, eliminationTree, sparseCholesky } from '../src/linalg/sparseCholesky.js';
import { ModelError } from '../src/errors/errors.js';

/** a dense symmetric matrix's upper triangle as CSC */
function upper(D: number[][]): CscMatrix {
  const n = D.length;
  const p = [0], i: number[] = [], x: number[] = [];
  for (let j = 0; j < n; j++) { for (let r = 0; r <= j; r++) if (D[r][j] !== 0) { i.push(r); x.push(D[r][j]); } p.push(i.length); }
  return { n, p: Int32Array.from(p), i: Int32Array.from(i), x: Float64Array.from(x) };
}
function dense(L: CscMatrix): number[][] {
  const D = Array.from({ length: L.n }, () => new Array<number>(L.n).fill(0));
  for (let j = 0; j < L.n; j++) for (let e = L.p[j]; e < L.p[j + 1]; e++) D[L.i[e]][j] = L.x[e];
  return D;
}

describe('sparseCholesky', () => {
  it('an arrow matrix and a random sparse SPD matrix: L Lᵀ = A, the diagonal first in each column', () => {
    const n = 12;
    // arrow (fill-free in this order) and B Bᵀ + n I with a sparse pseudo-random B (fill)
    const arrow = Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => (r === c ? n + r : r === n - 1 || c === n - 1 ? 1 : 0)));
    const B = Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => (((r * 7 + c * 13) % 5) === 0 ? Math.sin(r + 2 * c) : 0)));
    const BBt = B.map((ri, r) => B.map((rj, c) => ri.reduce((a, v, k) => a + v * rj[k], 0) + (r === c ? n : 0)));
    for (const A of [arrow, BBt]) {
      const L = sparseCholesky(upper(A), 'A');
      const D = dense(L);
      const scale = Math.max(...A.flat().map(Math.abs));
      for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) {
        const v = D[r].reduce((a, lrk, k) => a + lrk * D[c][k], 0);
        expect(Math.abs(v - A[r][c])).toBeLessThan(1e-13 * scale);
      }
      for (let j = 0; j < n; j++) {
        expect(L.i[L.p[j]]).toBe(j);
        for (let e = L.p[j] + 1; e < L.p[j + 1]; e++) expect(L.i[e]).toBeGreaterThan(L.i[e - 1]);
      }
    }
    // the arrow matrix's elimination tree: a chain into the last node, and no fill
    expect(Array.from(eliminationTree(upper(arrow)))).toEqual([...Array.from({ length: n - 1 }, () => n - 1), -1]);
    expect(sparseCholesky(upper(arrow), 'A').p[n]).toBe(2 * n - 1);
  });
  it('refuses a matrix that is not positive definite, and one whose factor has too many entries', () => {
    const A = upper([[1, 2], [2, 1]]);
    expect(() => sparseCholesky(A, 'the test matrix')).toThrow(ModelError);
    expect(() => sparseCholesky(A, 'the test matrix')).toThrow(/the test matrix is not positive definite \(the sparse Cholesky factor's pivot 2/);
    expect(() => sparseCholesky(upper([[2, 1], [1, 2]]), 'M', 2)).toThrow(/factor of M would have more than 2 entries/);
  });
});
