/**
 * The threaded dense Cholesky (src/linalg/denseThreads.ts) against the one-thread kernel: the factor,
 * the blocked factor of InstEval and the fitted model are bit-identical with one thread and with two,
 * and the second thread does compute part of the factor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DenseArena } from '../src/linalg/denseArena.js';
import { BlockedCholesky } from '../src/linalg/blockedCholesky.js';
import { denseChunksHelped, denseThreadsReady, setDenseThreads } from '../src/linalg/denseThreads.js';
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { lmer } from '../src/fit/lmer.js';
import { loadData, loadReference } from './helpers/reference.js';
import { spdMatrix as spd } from './helpers/spdMatrix.js';

/** Are the two arrays equal bit for bit (NaN and −0 included)? */
function identical(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

describe('dense kernels on two threads', () => {
  beforeAll(async () => {
    setDenseThreads(2);
    expect(await denseThreadsReady()).toBe(2);
  });
  afterAll(() => setDenseThreads('auto'));

  it('rejects a thread count that is not a positive integer', () => {
    expect(() => setDenseThreads(0)).toThrow(/threads.*positive integer/);
    expect(() => setDenseThreads(1.5)).toThrow(/threads.*positive integer/);
    setDenseThreads(2);
  });

  for (const n of [256, 333, 700]) {
    it(`the Cholesky factor of a ${n} × ${n} matrix is bit-identical with one thread and two`, () => {
      const A = spd(n, n);
      const one = new DenseArena([n * n], 'wasm', 1);
      const two = new DenseArena([n * n], 'wasm', 2);
      expect(one.threads).toBe(1);
      expect(two.threads).toBe(2);
      one.arrays[0].set(A);
      const ld1 = one.cholesky(one.arrays[0], n, 'A');
      // the helper may be busy elsewhere on a loaded machine: factor until it has computed a chunk
      const helped0 = denseChunksHelped();
      for (let rep = 0; rep < 50 && (rep === 0 || denseChunksHelped() === helped0); rep++) {
        two.arrays[0].set(A);
        const ld2 = two.cholesky(two.arrays[0], n, 'A');
        expect(Object.is(ld2, ld1)).toBe(true);
        expect(identical(two.arrays[0], one.arrays[0])).toBe(true);
      }
      expect(denseChunksHelped()).toBeGreaterThan(helped0);
    });
  }

  it('a matrix that is not positive definite names the same pivot', () => {
    const n = 300;
    const A = spd(n, 5);
    A[250 * n + 250] = -1;
    const one = new DenseArena([n * n], 'wasm', 1);
    const two = new DenseArena([n * n], 'wasm', 2);
    one.arrays[0].set(A);
    two.arrays[0].set(A);
    expect(() => one.cholesky(one.arrays[0], n, 'the test matrix')).toThrow(/the test matrix is not positive definite \(pivot 251 is -4\.49/);
    expect(() => two.cholesky(two.arrays[0], n, 'the test matrix')).toThrow(/the test matrix is not positive definite \(pivot 251 is -4\.49/);
  });

  it('the blocked factor of InstEval is bit-identical with one thread and two', () => {
    const ref = loadReference('insteval_crossed_reml');
    const model = buildLmm(ref.formula, loadData(ref), { REML: ref.reml, factors: ref.factors });
    const gram = formGram(model);
    setDenseThreads(1);
    const one = new BlockedCholesky(gram, 3, 'wasm');
    setDenseThreads(2);
    const two = new BlockedCholesky(gram, 3, 'wasm');
    expect(one.arena.threads).toBe(1);
    expect(two.arena.threads).toBe(2);
    for (const pt of ref.objective_at!) {
      one.factor(pt.theta);
      two.factor(pt.theta);
      expect([two.ldL2, two.ldRX2, two.pwrss]).toEqual([one.ldL2, one.ldRX2, one.pwrss]);
      for (let k = 0; k < one.K; k++) expect(identical(two.Lkk[k], one.Lkk[k])).toBe(true);
      for (let k = 0; k < one.K; k++) expect(identical(two.LXk[k], one.LXk[k])).toBe(true);
    }
  });

  it('the InstEval fit is bit-identical with one thread and two', async () => {
    const ref = loadReference('insteval_crossed_reml');
    const data = loadData(ref);
    setDenseThreads(1);
    const one = await lmer(ref.formula, data, { REML: ref.reml, factors: ref.factors });
    setDenseThreads(2);
    const two = await lmer(ref.formula, data, { REML: ref.reml, factors: ref.factors });
    expect(Object.is(two.objective, one.objective)).toBe(true);
    expect(identical(two.theta, one.theta)).toBe(true);
    expect(identical(two.beta, one.beta)).toBe(true);
    expect(two.feval).toBe(one.feval);
  }, 120_000);
});
