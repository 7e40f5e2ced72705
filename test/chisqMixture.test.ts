/**
 * The weighted sum of chi-squares (src/stats/chisqMixture.ts) against mgcv 1.8-41's psum.chisq and liu2
 * (fixtures from test/oracle/gamm4_pvalues.R): Davies' algorithm on a grid of weights (positive, mixed
 * signs, testStat's F form with a negative weight on χ²_380, non-central terms, near-ties) and quantiles
 * from below the mean to 12 SDs above it, both tails: 1e-8 absolute (the same steps as mgcv's C, so only
 * rounding differs; Davies' own accuracy is 2e-5), and Davies' fault the same; Liu et al.'s approximation
 * 1e-10 absolute; with too few terms (lim 50) psum.chisq's fallback on Liu's approximation (central), NaN
 * with non-central terms. (mgcv's fallback returns the upper tail even for lower.tail = TRUE; ours returns
 * the lower tail, compared with 1 − mgcv's upper.) Bad input: DataError naming the problem.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { daviesCdf, liu2, log1pmx, psumChisq } from '../src/stats/chisqMixture.js';
import { DataError } from '../src/errors/errors.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fx: any = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'gamm4', 'gamm4_pvalues.json'), 'utf8'));
const num = (v: number | string) => (v === 'NA' ? NaN : Number(v));

describe("psum.chisq (Davies' algorithm) against mgcv", () => {
  fx.psum_chisq.forEach((g: { lb: number[]; df: number[]; nc: number[]; lim: number; q: number[]; upper: (number | string)[]; lower: (number | string)[]; ifault: number[]; liu: number[] | Record<string, never> }, a: number) => {
    it(`weights ${g.lb.join(', ')} (df ${g.df.join(', ')}${g.nc.some((v) => v > 0) ? `, nc ${g.nc.join(', ')}` : ''}, lim ${g.lim})`, () => {
      g.q.forEach((q, i) => {
        const up = psumChisq(q, g.lb, { df: g.df, nc: g.nc, lim: g.lim });
        const lo = psumChisq(q, g.lb, { df: g.df, nc: g.nc, lim: g.lim, lowerTail: true });
        expect(up.ifault, `case ${a} q = ${q}`).toBe(g.ifault[i]);
        const rUp = num(g.upper[i]);
        if (Number.isNaN(rUp)) {
          expect(up.p).toBeNaN();
          expect(lo.p).toBeNaN();
          return;
        }
        expect(Math.abs(up.p - rUp), `upper, case ${a} q = ${q}`).toBeLessThan(1e-8);
        // mgcv's Liu fallback ignores lower.tail
        const rLo = up.method === 'liu' && q > 0 ? 1 - rUp : num(g.lower[i]);
        expect(Math.abs(lo.p - rLo), `lower, case ${a} q = ${q}`).toBeLessThan(1e-8);
      });
    });
  });

  it("Liu et al.'s approximation (mgcv's liu2) on the central cases", () => {
    let n = 0;
    for (const g of fx.psum_chisq) {
      if (!Array.isArray(g.liu)) continue;
      g.q.forEach((q: number, i: number) => {
        expect(Math.abs(liu2(q, g.lb, g.df) - g.liu[i]), `liu2 ${g.lb} at ${q}`).toBeLessThan(1e-10);
        n++;
      });
    }
    expect(n).toBeGreaterThan(50);
  });

  it('Davies at the distribution centre of one χ²₁ is the χ²₁ CDF', () => {
    // P(χ²₁ < 1) = 2Φ(1) − 1 = 0.682689492137086
    const d = daviesCdf(1, [1]);
    expect(d.ifault).toBe(0);
    expect(Math.abs(d.value - 0.682689492137086)).toBeLessThan(2e-5);
  });

  it('log(1 + x) − x near 0 and away from it', () => {
    // −x²/2 + x³/3 − x⁴/4 at x = 1e-5
    expect(log1pmx(1e-5)).toBeCloseTo(-5e-11 + 1e-15 / 3 - 2.5e-21, 24);
    expect(Math.abs(log1pmx(0.5) - (Math.log(1.5) - 0.5))).toBeLessThan(1e-16);
  });

  it('bad input gets a DataError naming the problem', () => {
    expect(() => psumChisq(1, [0, 0])).toThrow(DataError);
    expect(() => psumChisq(1, [0, 0])).toThrow(/non-zero/);
    expect(() => psumChisq(1, [1, 2], { df: [1, 0] })).toThrow(/positive integers/);
    expect(() => psumChisq(1, [1, 2], { df: [1] })).toThrow(/same length/);
    expect(() => psumChisq(Infinity, [1, 2])).toThrow(/finite/);
    expect(() => psumChisq(1, [1, NaN])).toThrow(/finite/);
    expect(() => liu2(1, [1, 2], [1])).toThrow(DataError);
  });
});
