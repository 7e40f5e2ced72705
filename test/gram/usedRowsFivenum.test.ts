/**
 * Tukey's five numbers (R's fivenum) of values an engine scans, exactly: ../src/gram/quantiles.ts's
 * bracketing scans at fivenum's indices (fivenumIndex) against the in-memory fivenum
 * (src/inference/prettyRange.ts, checked against R in test/ggeffectsValues.test.ts), for every n from 1
 * to 40 and a few larger ones, with ties and without; and the type-7 quantiles against quantile7.
 */
import { describe, expect, it } from 'vitest';
import { FIVENUM_INNER, exactQuantiles, fivenumIndex } from '../../src/gram/quantiles.js';
import { streamQuantileScan } from '../../src/gram/stream/quantileScan.js';
import { summarizeValues } from '../../src/inference/prettyRange.js';

function values(n: number, seed: number, ties: boolean): Float64Array {
  let s = seed >>> 0;
  const u = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s + 0.5) / 4294967296; };
  return Float64Array.from({ length: n }, () => (ties ? Math.floor(u() * 7) : Math.round(u() * 1e6) / 100));
}

const scanOf = (x: Float64Array) => streamQuantileScan(async (f) => { for (const v of x) f(v); });

describe('exact fivenum and quantiles of scanned values', () => {
  it('equal the in-memory fivenum and quantile7 for n = 1…40, 999, 1000 (ties and distinct values)', async () => {
    for (const n of [...Array.from({ length: 40 }, (_, i) => i + 1), 999, 1000]) {
      for (const ties of [false, true]) {
        const x = values(n, n * 7 + (ties ? 1 : 0), ties);
        const mem = summarizeValues(x);
        const r = await exactQuantiles(scanOf(x), [0, ...FIVENUM_INNER, 1], undefined, fivenumIndex);
        expect(r.order.map(([a, b]) => 0.5 * (a + b)), `n = ${n}`).toEqual(mem.fivenum());
        const probs = [0, 0.25, 1 / 3, 0.5, 2 / 3, 0.75, 1];
        expect((await exactQuantiles(scanOf(x), probs)).quantiles, `n = ${n}`).toEqual(mem.quantiles(probs));
      }
    }
  });
});
