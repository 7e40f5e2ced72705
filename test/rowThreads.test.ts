/**
 * PIRLS's row work on threads (src/linalg/rowThreads.ts): glmer's fits with one thread and with two
 * give bit-identical θ, β, −2ℓ, standard errors and evaluation counts, and the second thread did
 * compute chunks of the rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { glmer } from '../src/fit/glmer.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';
import { setDenseThreads } from '../src/linalg/denseThreads.js';
import { RowJobs, rowChunksHelped, rowThreadsReady, shareArray, sharedFloat64 } from '../src/linalg/rowThreads.js';
import { ScalarSegments, WeightedGramCpu } from '../src/glmm/weightedGram.js';
import type { RandomBlock } from '../src/model/lambda.js';
import { generateLmmData } from '../bench/synth.js';
import { loadData, loadReference } from './helpers/reference.js';

function expectSameFit(one: GlmmFit, two: GlmmFit): void {
  // toEqual compares numbers by Object.is: bit for bit but for NaN's payload
  expect(two.objective).toEqual(one.objective);
  expect(two.theta).toEqual(one.theta);
  expect(two.beta).toEqual(one.beta);
  expect(two.vcov).toEqual(one.vcov);
  expect([two.stage1.feval, two.feval2]).toEqual([one.stage1.feval, one.feval2]);
  expect(two.pirls.devResid).toEqual(one.pirls.devResid);
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

  it('the one-term weighted pass in segments agrees with the plain pass, and is the same with one thread and two', () => {
    const n = 100_000, nl = 5_000;
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const codes = shareArray(Int32Array.from({ length: n }, () => Math.floor(rnd() * nl)));
    const Z = shareArray(Float64Array.from({ length: n }, () => 0.5 + rnd()));
    const X = shareArray(Float64Array.from({ length: 3 * n }, (_, i) => (i < n ? 1 : rnd() - 0.5)));
    const w = sharedFloat64(n), z = sharedFloat64(n);
    for (let i = 0; i < n; i++) { w[i] = i % 97 === 0 ? 0 : rnd(); z[i] = rnd() - 0.5; }
    const blocks = [{ codes, Z, q: 1, nl }] as unknown as RandomBlock[];
    const passes = (threads: number) => {
      setDenseThreads(threads);
      const jobs = new RowJobs({ w, z, codes, Z, X }, {}, threads > 1);
      const seg = ScalarSegments.create(jobs, n, nl, 8192);
      expect(seg).not.toBe(null);
      return [0, 1, 3].map((p) => {
        const g = new WeightedGramCpu({ n, X, p, blocks }, undefined, seg).form(w, z);
        return [g.Akk[0], g.AXk[0], g.AXX].map((a) => Float64Array.from(a));
      });
    };
    const one = passes(1);
    const helped0 = rowChunksHelped();
    let two = passes(2);
    for (let rep = 0; rep < 20 && rowChunksHelped() === helped0; rep++) two = passes(2);
    expect(rowChunksHelped()).toBeGreaterThan(helped0);
    [0, 1, 3].forEach((p, k) => {
      const plain = new WeightedGramCpu({ n, X, p, blocks }).form(w, z);
      [plain.Akk[0], plain.AXk[0], plain.AXX].forEach((ref, j) => {
        expect(two[k][j]).toEqual(one[k][j]);
        const scale = Math.max(...Array.from(ref, Math.abs));
        for (let e = 0; e < ref.length; e++) expect(Math.abs(one[k][j][e] - ref[e])).toBeLessThanOrEqual(1e-13 * scale);
      });
    });
    setDenseThreads(2);
  });

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
