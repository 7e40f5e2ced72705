/**
 * src/linalg/selectedEigen.ts (some eigenpairs: Householder reduction, bisection, inverse iteration)
 * against the full decomposition of src/linalg/tridiagonalEigen.ts: eigenvalues to 1e-12 of ‖A‖, each
 * vector's residual ‖A x − λ x‖ to 1e-9 of ‖A‖, unit length and mutual orthogonality to 1e-9, and the
 * same vector up to sign where the eigenvalue is separated from its neighbours by 1e-6 ‖A‖.
 */
import { describe, expect, it } from 'vitest';
import { selectedEigen } from '../src/linalg/selectedEigen.js';
import { tridiagonalEigen } from '../src/linalg/tridiagonalEigen.js';

/** a seeded symmetric matrix: random (uniform entries) or the thin plate spline's |x_i − x_j|³/12 */
function matrix(kind: 'random' | 'tprs', n: number, seed: number): Float64Array {
  let s = seed;
  const u = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
  const A = new Float64Array(n * n);
  const x = Array.from({ length: n }, u).sort((a, b) => a - b);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i * n + j] = A[j * n + i] = kind === 'random' ? u() - 0.5 : Math.abs(x[i] - x[j]) ** 3 / 12;
  return A;
}

describe('selectedEigen', () => {
  for (const [kind, n, k] of [['random', 80, 10], ['tprs', 150, 12], ['tprs', 7, 5]] as const) {
    it(`${kind} ${n} × ${n}: the ${k} eigenvalues of largest magnitude`, () => {
      const A = matrix(kind, n, 7 + n);
      const full = tridiagonalEigen(A, n);
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => Math.abs(full.values[b]) - Math.abs(full.values[a])).slice(0, k);
      const got = selectedEigen(A, n, (count, valueAt) => {
        const c = new Set<number>();
        for (let i = 0; i < Math.min(k, count); i++) { c.add(i); c.add(count - 1 - i); }
        return [...c].sort((a, b) => Math.abs(valueAt(b)) - Math.abs(valueAt(a))).slice(0, k);
      });
      const norm = Math.max(...Array.from(full.values, Math.abs));
      order.forEach((e, c) => {
        expect(Math.abs(got.values[c] - full.values[e])).toBeLessThan(1e-12 * norm);
        const x = got.vectors[c];
        let res = 0, len = 0, dot = 0;
        for (let i = 0; i < n; i++) {
          let ax = 0;
          for (let j = 0; j < n; j++) ax += A[i * n + j] * x[j];
          res = Math.max(res, Math.abs(ax - got.values[c] * x[i]));
          len += x[i] * x[i];
          dot += x[i] * full.vectors[i * n + e];
        }
        expect(res).toBeLessThan(1e-9 * norm);
        expect(Math.abs(len - 1)).toBeLessThan(1e-9);
        const gap = Math.min(...Array.from(full.values).filter((_, j) => j !== e).map((v) => Math.abs(v - full.values[e])));
        if (gap > 1e-6 * norm) expect(Math.abs(Math.abs(dot) - 1)).toBeLessThan(1e-9);
        for (let m = 0; m < c; m++) {
          let o = 0;
          for (let i = 0; i < n; i++) o += x[i] * got.vectors[m][i];
          expect(Math.abs(o)).toBeLessThan(1e-9);
        }
      });
    });
  }
});
