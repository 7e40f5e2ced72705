/**
 * The LMM's Gram pass on the row threads (src/backend/cpu/gram.ts): each level's sums take its rows
 * in row order whichever thread adds them, so A is bit-identical to the one-thread pass — for rows
 * clustered by level (chunks between levels) and for shuffled rows (the bucketed copy), q = 1, 2, 3 —
 * and the helper thread did add rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusteredBounds, formGramCpu } from '../src/backend/cpu/gram.js';
import { setDenseThreads } from '../src/linalg/denseThreads.js';
import type { GramInput, GramMatrix, GramRowsBlock } from '../src/linalg/gram.js';
import { rowChunksHelped, rowThreadsReady, shareArray } from '../src/linalg/rowThreads.js';

/** rows of a model with one block of q columns over nl levels (sorted by level, or not), p columns of X */
function rows(n: number, nl: number, q: number, p: number, layout: 'sorted' | 'shuffled' | 'runs', seed: number): GramInput {
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (layout === 'sorted') codes[i] = Math.floor((i * nl) / n);
    else if (layout === 'runs') codes[i] = (Math.floor(i / (n / nl)) * 7919) % nl; // one run per level, levels out of order
    else codes[i] = Math.floor(rnd() * nl);
  }
  const Z = Float64Array.from({ length: n * q }, (_, k) => (k % q === 0 ? 1 : rnd() - 0.5));
  const X = Float64Array.from({ length: n * p }, (_, k) => (k < n ? 1 : 10 * (rnd() - 0.5)));
  const y = Float64Array.from({ length: n }, () => rnd() * 3);
  const block = { codes, Z, q, nl, group: 'g', levels: Array.from({ length: nl }, (_, l) => `g${l}`) } as unknown as GramRowsBlock;
  return { n, X, p, y, blocks: [block] };
}

/** the same rows on SharedArrayBuffers (what the row threads need) */
function shared(r: GramInput): GramInput {
  const b = r.blocks[0]!;
  return { ...r, X: shareArray(r.X), y: shareArray(r.y), blocks: [{ ...b, codes: shareArray(b.codes), Z: shareArray(b.Z) }] };
}

function expectSame(a: GramMatrix, b: GramMatrix): void {
  // toEqual compares numbers by Object.is: bit for bit
  expect(b.Akk).toEqual(a.Akk);
  expect(b.AXk).toEqual(a.AXk);
  expect(b.AXX).toEqual(a.AXX);
  expect(b.yty).toEqual(a.yty);
}

describe('the Gram pass on the row threads', () => {
  beforeAll(async () => {
    setDenseThreads(2);
    expect(await rowThreadsReady()).toBe(2);
  });
  afterAll(() => setDenseThreads('auto'));

  const cases: [string, number, number, number, number, 'sorted' | 'shuffled' | 'runs'][] = [
    ['shuffled rows, q = 2 (bucketed, two super-chunks)', 300_000, 20_000, 2, 3, 'shuffled'],
    ['shuffled rows, q = 1 (bucketed)', 200_000, 3_000, 1, 2, 'shuffled'],
    ['shuffled rows, q = 3, few levels (bucketed: a bucket per level)', 150_000, 40, 3, 4, 'shuffled'],
    ['rows sorted by level, q = 2 (clustered chunks)', 300_000, 20_000, 2, 3, 'sorted'],
    ['runs of levels out of order, q = 1 (clustered chunks)', 200_000, 5_000, 1, 3, 'runs'],
  ];
  for (const [name, n, nl, q, p, layout] of cases) {
    it(`${name}: bit-identical to one pass, with the helper adding rows`, () => {
      const r = rows(n, nl, q, p, layout, 11 + q);
      // the pass taken: chunks between levels where every level's rows are contiguous
      expect(clusteredBounds(r.blocks[0]!.codes, nl, 128) === null).toBe(layout === 'shuffled');
      setDenseThreads(1);
      const one = formGramCpu(shared(r));
      // rows not on shared memory: the one-thread pass whatever the setting
      setDenseThreads(2);
      expectSame(one, formGramCpu(r));
      const s = shared(r);
      const helped0 = rowChunksHelped();
      // the helper may be slow to wake on a loaded machine: a few passes until it took a chunk
      for (let rep = 0; rep < 5 && (rep === 0 || rowChunksHelped() === helped0); rep++) expectSame(one, formGramCpu(s));
      expect(rowChunksHelped()).toBeGreaterThan(helped0);
    });
  }
});
