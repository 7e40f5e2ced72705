/**
 * The threaded dense kernels (src/linalg/denseThreads.ts) against the one-thread kernels: the Cholesky
 * factor, the updates of a dense block from sparse ones (against the JavaScript kernel too), the right
 * solve and C −= A Bᵀ, the blocked factor of InstEval, its trailing inverse's conditional variances and
 * the fitted model are bit-identical with one thread and with two, and the second thread does compute
 * part of the work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DenseArena } from '../src/linalg/denseArena.js';
import { BlockedCholesky, subtractSparseRow } from '../src/linalg/blockedCholesky.js';
import { CpuBackend } from '../src/backend/cpu/cpuBackend.js';
import { conditionalVariances, solveLmm } from '../src/lmm/solution.js';
import { sparseUpdateCase } from './helpers/sparseUpdate.js';
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

  /** Runs `work` until a helper has computed a chunk (it may be busy elsewhere on a loaded machine), at most 50 times. */
  function untilHelped(work: () => void): void {
    const helped0 = denseChunksHelped();
    for (let rep = 0; rep < 50 && (rep === 0 || denseChunksHelped() === helped0); rep++) work();
    expect(denseChunksHelped()).toBeGreaterThan(helped0);
  }

  const sparseCases = [
    { rows: 400, rowsK: 400, ncol: 900, qj: 1, qk: 1, qi: 1, lower: true, density: 0.03, seed: 3 },
    { rows: 300, rowsK: 300, ncol: 700, qj: 1, qk: 1, qi: 2, lower: true, density: 0.04, seed: 5 },
    { rows: 150, rowsK: 150, ncol: 400, qj: 2, qk: 2, qi: 1, lower: true, density: 0.08, seed: 7 },
    { rows: 200, rowsK: 400, ncol: 600, qj: 1, qk: 1, qi: 1, lower: false, density: 0.05, seed: 9 },
    { rows: 120, rowsK: 150, ncol: 500, qj: 2, qk: 3, qi: 2, lower: false, density: 0.05, seed: 11 },
  ];
  for (const c of sparseCases) {
    it(`the update of a dense block from sparse ones (${c.rows} × ${c.rowsK} levels, q ${c.qj}/${c.qk}/${c.qi}, ${c.lower ? 'diagonal' : 'off-diagonal'}) is the JavaScript kernel's bit for bit, with one thread and two`, () => {
      const js = sparseUpdateCase(c, 'js', 1);
      expect(js.arena.sparseUpdate(js.u)).toBe(false);
      const { u } = js;
      for (let a = 0; a < c.rows; a++) subtractSparseRow(u.X, u.ldx, a, u.qj, u.qk, u.qi, u.Vj, js.Rj, u.Vk, u.Pk, u.lower);
      expect(identical(u.X, js.X0)).toBe(false);
      const one = sparseUpdateCase(c, 'wasm', 1);
      expect(one.arena.threads).toBe(1);
      expect(one.arena.sparseUpdate(one.u)).toBe(true);
      expect(identical(one.u.X, u.X)).toBe(true);
      const two = sparseUpdateCase(c, 'wasm', 2);
      // shared with the threads: a large enough arena and update
      expect(two.arena.threads).toBe(2);
      expect(two.u.cost[c.rows]).toBeGreaterThan(2 ** 15);
      untilHelped(() => {
        two.u.X.set(two.X0);
        expect(two.arena.sparseUpdate(two.u)).toBe(true);
        expect(identical(two.u.X, u.X)).toBe(true);
      });
    });
  }

  it('the right solve and C −= A Bᵀ of 300 rows are bit-identical with one thread and two', () => {
    const n = 300, rows = 130;
    const L = spd(n, 13);
    const S0 = spd(n, 17).subarray(0, rows * n);
    const one = new DenseArena([n * n, rows * n, n * n], 'wasm', 1);
    const two = new DenseArena([n * n, rows * n, n * n], 'wasm', 2);
    for (const a of [one, two]) {
      a.arrays[0].set(L);
      a.cholesky(a.arrays[0], n, 'L');
    }
    one.arrays[1].set(S0);
    one.rightSolve(one.arrays[1], rows, one.arrays[0], n);
    one.arrays[2].fill(0.5);
    one.subtractABt(one.arrays[2], n, one.arrays[1], rows, one.arrays[1], rows, n, true);
    one.subtractABt(one.arrays[2].subarray(rows * n), n, one.arrays[0], n - rows, one.arrays[0], n, n, false);
    untilHelped(() => {
      two.arrays[1].set(S0);
      two.rightSolve(two.arrays[1], rows, two.arrays[0], n);
      two.arrays[2].fill(0.5);
      two.subtractABt(two.arrays[2], n, two.arrays[1], rows, two.arrays[1], rows, n, true);
      two.subtractABt(two.arrays[2].subarray(rows * n), n, two.arrays[0], n - rows, two.arrays[0], n, n, false);
      expect(identical(two.arrays[1], one.arrays[1])).toBe(true);
      expect(identical(two.arrays[2], one.arrays[2])).toBe(true);
    });
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
    // the dense block's updates from the sparse one by the JavaScript kernel (by rows and by columns)
    const jsRows = new BlockedCholesky(gram, 3, 'wasm', { denseUpdate: 'rows' });
    const jsColumns = new BlockedCholesky(gram, 3, 'wasm', { denseUpdate: 'columns' });
    const helped0 = denseChunksHelped();
    for (const pt of ref.objective_at!) {
      for (const f of [one, two, jsRows, jsColumns]) f.factor(pt.theta);
      for (const f of [two, jsRows, jsColumns]) {
        expect([f.ldL2, f.ldRX2, f.pwrss]).toEqual([one.ldL2, one.ldRX2, one.pwrss]);
        for (let k = 0; k < one.K; k++) expect(identical(f.Lkk[k], one.Lkk[k])).toBe(true);
        for (let k = 0; k < one.K; k++) expect(identical(f.LXk[k], one.LXk[k])).toBe(true);
        for (let j = 0; j < one.K; j++) for (let k = 0; k < j; k++) expect(identical(f.Ljk[j][k], one.Ljk[j][k])).toBe(true);
      }
    }
    expect(denseChunksHelped()).toBeGreaterThan(helped0);
  });

  it("InstEval's conditional variances through the trailing inverse are bit-identical with one thread and two", () => {
    const ref = loadReference('insteval_crossed_reml');
    const model = buildLmm(ref.formula, loadData(ref), { REML: ref.reml, factors: ref.factors });
    const theta = ref.objective_at![0].theta;
    const variances = (threads: number) => {
      setDenseThreads(threads);
      const chol = new CpuBackend(formGram(model), model.theta.length).chol;
      chol.factor(theta);
      return conditionalVariances(chol, solveLmm(chol, model.frame.n, ref.reml).sigma);
    };
    const one = variances(1);
    untilHelped(() => {
      const two = variances(2);
      for (let k = 0; k < one.length; k++) expect(identical(two[k], one[k])).toBe(true);
    });
    setDenseThreads(2);
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
