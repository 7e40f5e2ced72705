/**
 * The fused first block (src/linalg/firstBlock.ts) against the general steps of the blocked Cholesky
 * (BlockedCholesky with fuseFirst: false): L_00, L_X0, L_XX, log |L|², log |R_X|² and r² bit for bit,
 * for (1 | g) and (x | g), alone and before a crossed or nested factor, at several θ (on the boundary
 * too); and the failure on a level whose block is not positive definite names it as the general
 * steps do.
 */
import { describe, expect, it } from 'vitest';
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { BlockedCholesky } from '../src/linalg/blockedCholesky.js';
import { generateLmmData } from '../bench/synth.js';
import { loadData } from './helpers/reference.js';
import { setDenseThreads } from '../src/linalg/denseThreads.js';
import { rowChunksHelped, rowThreadsReady } from '../src/linalg/rowThreads.js';

function expectSameFactors(a: BlockedCholesky, b: BlockedCholesky): void {
  // toEqual compares numbers by Object.is: bit for bit
  expect(b.Lkk[0]).toEqual(a.Lkk[0]);
  expect(b.LXk[0]).toEqual(a.LXk[0]);
  expect(b.LXX).toEqual(a.LXX);
  for (let k = 1; k < a.K; k++) {
    expect(b.Lkk[k]).toEqual(a.Lkk[k]);
    expect(b.LXk[k]).toEqual(a.LXk[k]);
  }
  expect([b.ldL2, b.ldRX2, b.pwrss]).toEqual([a.ldL2, a.ldRX2, a.pwrss]);
}

/** the fused first block and the general steps at each θ: the same factor */
function fusedAgainstGeneral(model: ReturnType<typeof buildLmm>, thetas: number[][]): void {
  const gram = formGram(model);
  const fused = new BlockedCholesky(gram, model.theta.length);
  const general = new BlockedCholesky(gram, model.theta.length, 'wasm', { fuseFirst: false });
  for (const th of thetas) {
    fused.factor(th);
    general.factor(th);
    expectSameFactors(general, fused);
  }
}

describe('the fused first block', () => {
  const { table } = generateLmmData({ n: 20_000, groups: 700, seed: 3 });
  const cases: [string, string, number[][]][] = [
    ['(1 | g)', 'y ~ x + w + (1 | g)', [[0.7], [0], [3.1]]],
    ['(x | g)', 'y ~ x + w + (x | g)', [[0.9, 0.1, 0.5], [1.3, -0.4, 0], [0, 0, 0], [2, 0.8, 1e-4]]],
  ];
  for (const [name, formula, thetas] of cases) {
    it(`${name}: the same factor as the general steps`, () => {
      fusedAgainstGeneral(buildLmm(formula, table, { REML: true }), thetas);
    });
  }

  it('before a crossed factor and a nested one (Penicillin, Pastes): the same factor as the general steps', () => {
    for (const [data, formula, thetas] of [
      ['penicillin.csv', 'diameter ~ 1 + (1 | plate) + (1 | sample)', [[1.5, 3.2], [0, 1]]],
      ['pastes.csv', 'strength ~ 1 + (1 | sample) + (1 | batch)', [[3.5, 1.2], [0.2, 0]]],
    ] as [string, string, number[][]][]) {
      fusedAgainstGeneral(buildLmm(formula, loadData({ data }), { REML: true }), thetas);
    }
  });

  it('20,000 levels on the row threads (one thread and two): the same factor as the general steps', async () => {
    setDenseThreads(2);
    try {
      expect(await rowThreadsReady()).toBe(2);
      const big = generateLmmData({ n: 60_000, groups: 20_000, seed: 5 }).table;
      for (const formula of ['y ~ x + w + (x | g)', 'y ~ x + (1 | g)']) {
        const model = buildLmm(formula, big, { REML: true });
        const gram = formGram(model);
        expect(gram.Akk[0]!.buffer).toBeInstanceOf(SharedArrayBuffer);
        const general = new BlockedCholesky(gram, model.theta.length, 'wasm', { fuseFirst: false });
        const fused = new BlockedCholesky(gram, model.theta.length);
        expect(fused.Lkk[0]!.buffer).toBeInstanceOf(SharedArrayBuffer);
        const th = model.theta.length === 3 ? [0.8, -0.2, 0.6] : [1.1];
        general.factor(th);
        setDenseThreads(1);
        fused.factor(th);
        expectSameFactors(general, fused);
        setDenseThreads(2);
        const helped0 = rowChunksHelped();
        // the helper may be slow to wake on a loaded machine: a few factorizations until it took a chunk
        for (let rep = 0; rep < 5 && (rep === 0 || rowChunksHelped() === helped0); rep++) {
          fused.factor(th);
          expectSameFactors(general, fused);
        }
        expect(rowChunksHelped()).toBeGreaterThan(helped0);
      }
    } finally {
      setDenseThreads('auto');
    }
  });

  it('a level whose block is not positive definite is named as by the general steps', () => {
    const model = buildLmm('y ~ x + w + (x | g)', table, { REML: true });
    const gram = formGram(model);
    const th = [Number.NaN, 0, 1];
    const msg = (c: BlockedCholesky) => { try { c.factor(th); return 'no error'; } catch (e) { return (e as Error).message; } };
    const general = msg(new BlockedCholesky(gram, 3, 'wasm', { fuseFirst: false }));
    expect(general).toMatch(/level 'g\d+' of 'g'/);
    expect(msg(new BlockedCholesky(gram, 3))).toBe(general);
  });
});
