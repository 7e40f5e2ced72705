/**
 * PIRLS's row work on threads (src/glmm/rowThreads.ts): glmer's fits with one thread and with two
 * give bit-identical θ, β, −2ℓ, standard errors and evaluation counts, and the second thread did
 * compute chunks of the rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { glmer } from '../src/fit/glmer.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';
import { setDenseThreads } from '../src/linalg/denseThreads.js';
import { rowChunksHelped, rowThreadsReady } from '../src/glmm/rowThreads.js';
import { generateLmmData } from '../bench/synth.js';
import { loadData, loadReference } from './helpers/reference.js';

/** Are the two arrays equal bit for bit (NaN and −0 included)? */
function identical(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function expectSameFit(one: GlmmFit, two: GlmmFit): void {
  expect(Object.is(two.objective, one.objective)).toBe(true);
  expect(identical(two.theta, one.theta)).toBe(true);
  expect(identical(two.beta, one.beta)).toBe(true);
  expect(identical(two.vcov.flat(), one.vcov.flat())).toBe(true);
  expect([two.stage1.feval, two.feval2]).toEqual([one.stage1.feval, one.feval2]);
  expect(Object.is(two.pirls.devResid, one.pirls.devResid)).toBe(true);
}

/** the fit with one thread, then with two, until a helper computed chunks (it may be busy on a loaded machine) */
async function oneAndTwo(fit: () => Promise<GlmmFit>, mustHelp: boolean): Promise<void> {
  setDenseThreads(1);
  const helped1 = rowChunksHelped();
  const one = await fit();
  expect(rowChunksHelped()).toBe(helped1);
  setDenseThreads(2);
  const helped0 = rowChunksHelped();
  for (let rep = 0; rep < 3 && (rep === 0 || rowChunksHelped() === helped0); rep++) expectSameFit(one, await fit());
  if (mustHelp) expect(rowChunksHelped()).toBeGreaterThan(helped0);
}

describe('glmer with the row work on two threads', () => {
  beforeAll(async () => {
    setDenseThreads(2);
    expect(await rowThreadsReady()).toBe(2);
  });
  afterAll(() => setDenseThreads('auto'));

  it('cbpp (one chunk of rows): the same fit', async () => {
    const t = loadReference('cbpp_binomial');
    const data = loadData(t);
    await oneAndTwo(() => glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', data, { family: 'binomial', factors: ['herd', 'period'] }), false);
  });

  it('200,000 binomial rows, y ~ x + w + (1 | g): bit-identical with one thread and two, the helper computed chunks', async () => {
    const d = generateLmmData({ n: 200_000, groups: 10_000, seed: 1, family: 'binomial', sdSlope: 0 });
    await oneAndTwo(() => glmer('y ~ x + w + (1 | g)', d.table, { family: 'binomial', factors: ['g'] }), true);
  });

  it('several blocks and a vector term, y ~ x + w + (x | g) + (1 | h): bit-identical with one thread and two', async () => {
    const d = generateLmmData({ n: 40_000, groups: 400, crossed: 50, seed: 2, family: 'binomial' });
    await oneAndTwo(() => glmer('y ~ x + w + (x | g) + (1 | h)', d.table, { family: 'binomial', factors: ['g', 'h'] }), true);
  });
});
