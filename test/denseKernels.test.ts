/** The WebAssembly SIMD dense kernels against the JavaScript ones (the fast path against the general path). */
import { describe, expect, it } from 'vitest';
import { DenseArena } from '../src/linalg/denseArena.js';
import { BlockedCholesky } from '../src/linalg/blockedCholesky.js';
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { loadData, loadReference } from './helpers/reference.js';

function spd(n: number, seed: number): Float64Array {
  let s = seed;
  const r = () => { s = (s * 16807) % 2147483647; return s / 2147483647 - 0.5; };
  const B = Float64Array.from({ length: n * n }, r);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
    let t = 0;
    for (let k = 0; k < n; k++) t += B[i * n + k] * B[j * n + k];
    a[i * n + j] = t + (i === j ? 1 : 0);
  }
  return a;
}

describe('dense kernels: WebAssembly SIMD against JavaScript', () => {
  it('the module compiles here (Node has WebAssembly SIMD)', () => {
    expect(new DenseArena([4], 'wasm').kind).toBe('wasm');
  });

  for (const n of [1, 2, 3, 5, 8, 13, 64, 131]) {
    it(`Cholesky, right solve and C −= ABᵀ agree for n = ${n}`, () => {
      const A = spd(n, n + 11);
      const w = new DenseArena([n * n, 7 * n, 7 * n, n * n], 'wasm');
      const j = new DenseArena([n * n, 7 * n, 7 * n, n * n], 'js');
      expect(w.kind).toBe('wasm');
      expect(j.kind).toBe('js');
      w.arrays[0].set(A);
      j.arrays[0].set(A);
      const ldw = w.cholesky(w.arrays[0], n, 'A');
      const ldj = j.cholesky(j.arrays[0], n, 'A');
      expect(Math.abs(ldw - ldj)).toBeLessThan(1e-12 * Math.max(1, Math.abs(ldj)));
      for (let i = 0; i < n; i++) for (let k = 0; k <= i; k++) expect(w.arrays[0][i * n + k]).toBeCloseTo(j.arrays[0][i * n + k], 12);
      const S = Float64Array.from({ length: 7 * n }, (_, i) => Math.sin(i));
      w.arrays[1].set(S);
      j.arrays[1].set(S);
      w.rightSolve(w.arrays[1], 7, w.arrays[0], n);
      j.rightSolve(j.arrays[1], 7, j.arrays[0], n);
      w.arrays[1].forEach((v, i) => expect(v).toBeCloseTo(j.arrays[1][i], 10));
      w.arrays[2].set(S.map(Math.cos));
      j.arrays[2].set(S.map(Math.cos));
      for (const lower of [true, false]) {
        w.arrays[3].fill(1);
        j.arrays[3].fill(1);
        w.subtractABt(w.arrays[3], n, w.arrays[1], 7 > n ? n : 7, w.arrays[2], 7 > n ? n : 7, n, lower);
        j.subtractABt(j.arrays[3], n, j.arrays[1], 7 > n ? n : 7, j.arrays[2], 7 > n ? n : 7, n, lower);
        w.arrays[3].forEach((v, i) => expect(v).toBeCloseTo(j.arrays[3][i], 10));
      }
    });
  }

  it('a matrix that is not positive definite names the pivot', () => {
    const w = new DenseArena([9], 'wasm');
    w.arrays[0].set([4, 0, 0, 2, 1, 0, 1, 1, -5]);
    expect(() => w.cholesky(w.arrays[0], 3, 'the test matrix')).toThrow(/the test matrix is not positive definite \(pivot 2/);
  });

  it('the blocked factor of InstEval is the same with both kernels', () => {
    const ref = loadReference('insteval_crossed_reml');
    const model = buildLmm(ref.formula, loadData(ref), { REML: ref.reml, factors: ref.factors });
    const gram = formGram(model);
    const w = new BlockedCholesky(gram, 3, 'wasm');
    const j = new BlockedCholesky(gram, 3, 'js');
    expect(w.arena.kind).toBe('wasm');
    for (const pt of ref.objective_at!) {
      w.factor(pt.theta);
      j.factor(pt.theta);
      expect(Math.abs(w.ldL2 - j.ldL2) / j.ldL2).toBeLessThan(1e-12);
      expect(Math.abs(w.ldRX2 - j.ldRX2)).toBeLessThan(1e-9);
      expect(Math.abs(w.pwrss - j.pwrss) / j.pwrss).toBeLessThan(1e-12);
    }
  });
});
