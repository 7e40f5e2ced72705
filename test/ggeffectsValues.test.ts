/**
 * ggeffects 1.2.0's representative values (src/inference/prettyRange.ts) against R (test/oracle/ggeffects.R):
 * R's pretty(), ggeffects's pretty_range (default and n = 5) and values_at (every choice) on eight
 * vectors — whole numbers, decimals, a tiny range, a wide one — exactly (1e-12 relative: seq() and pretty()
 * multiply the same units).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VALUES_AT, pretty, prettyRange, valuesAt } from '../src/inference/prettyRange.js';

const fx = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'ggeffects', 'ggeffects.json'), 'utf8')) as {
  pretty: (Record<string, number[] | number>)[];
  pretty_calls: { lo: number; hi: number; n: number; value: number[] | number }[];
};
const arr = (v: number[] | number) => [v].flat();
const close = (a: number[], b: number[]) => {
  expect(a.length, `${a} vs ${b}`).toBe(b.length);
  a.forEach((x, i) => expect(Math.abs(x - b[i]) <= 1e-12 * Math.max(1, Math.abs(b[i])), `${a} vs ${b}`).toBe(true));
};

describe("R's pretty()", () => {
  for (const c of fx.pretty_calls) it(`pretty(c(${c.lo}, ${c.hi}), n = ${c.n})`, () => close(pretty(c.lo, c.hi, c.n), arr(c.value)));
});

describe('ggeffects pretty_range and values_at', () => {
  fx.pretty.forEach((c, k) => {
    const x = arr(c.x);
    it(`vector ${k}: pretty_range`, () => {
      close(prettyRange(x), arr(c.pretty_range));
      close(prettyRange(x, 5), arr(c.pretty_range_n5));
    });
    it(`vector ${k}: values_at`, () => {
      for (const v of VALUES_AT) close(valuesAt(x, v), arr(c[v]));
    });
  });
});
