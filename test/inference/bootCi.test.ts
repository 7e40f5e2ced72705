/**
 * boot.ci's interval types (src/inference/bootCi.ts) against R's boot::boot.ci on fixed replicates
 * (test/oracle/boot_ci.R → test/fixtures/inference/boot_ci.json): norm, basic, perc and bca (its
 * acceleration from jackknife values) at levels 0.95 and 0.9, to 1e-12 of the interval's width;
 * the same through bootstrapIntervals on a bootstrap result with its jackknife.
 */
import { describe, expect, it } from 'vitest';
import { BOOT_TYPES, bootCi, checkBootType, jackknifeInfluence } from '../../src/inference/bootCi.js';
import { type BootstrapResult, bootstrapIntervals } from '../../src/inference/bootstrap.js';
import { loadInference } from '../helpers/inference.js';

interface Case { name: string; t0: number; t: (number | null)[]; tj: number[]; intervals: ({ level: number } & Record<'norm' | 'basic' | 'perc' | 'bca', [number, number]>)[] }
const ref = loadInference<{ boot: string; cases: Case[] }>('boot_ci');
const replicates = (c: Case) => c.t.map((v) => (v === null ? NaN : v));

describe("boot.ci's intervals", () => {
  for (const c of ref.cases) {
    it(`${c.name}: every type and level as boot ${ref.boot}`, () => {
      const L = jackknifeInfluence(c.tj);
      for (const iv of c.intervals) {
        for (const type of BOOT_TYPES) {
          const got = bootCi(c.t0, replicates(c), type, iv.level, L);
          const [lo, hi] = iv[type];
          const tol = 1e-12 * (hi - lo);
          expect(Math.abs(got.lower! - lo), `${type} ${iv.level} lower`).toBeLessThan(tol);
          expect(Math.abs(got.upper! - hi), `${type} ${iv.level} upper`).toBeLessThan(tol);
        }
      }
    });
  }

  it('bootstrapIntervals: the statistics of a bootstrap result, bca from its jackknife', () => {
    const cases = ref.cases;
    const R = Math.min(...cases.map((c) => c.t.length));
    const m = Math.min(...cases.map((c) => c.tj.length));
    // a result whose statistics are the cases' first R replicates and first m jackknife values
    const result: BootstrapResult = {
      names: cases.map((c) => c.name), t0: Float64Array.from(cases, (c) => c.t0),
      t: Array.from({ length: R }, (_, r) => Float64Array.from(cases, (c) => replicates(c)[r])),
      deviance: new Float64Array(R), refits: { newton: R, bobyqa: 0, failed: 0 }, nsim: R, seed: 1,
      timings: { gramMs: 0, refitMs: 0, totalMs: 0 },
      jackknife: { factor: 'g', levels: Array.from({ length: m }, (_, i) => `${i}`), t: Array.from({ length: m }, (_, i) => Float64Array.from(cases, (c) => c.tj[i])), timeMs: 0 },
    };
    for (const type of BOOT_TYPES) {
      const { intervals } = bootstrapIntervals(result, 0.9, type);
      cases.forEach((c, k) => {
        const direct = bootCi(c.t0, replicates(c).slice(0, R), type, 0.9, jackknifeInfluence(c.tj.slice(0, m)));
        expect(intervals[k]).toEqual({ name: c.name, lower: direct.lower, upper: direct.upper });
      });
    }
  });

  it('null bounds with the reason where boot.ci stops; unknown types named', () => {
    const t = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(bootCi(0, t, 'bca', 0.95, [1, -1, 0.5])).toMatchObject({ lower: null, upper: null, warnings: [expect.stringMatching(/bias correction is infinite: no replicate is below the estimate 0/)] });
    expect(bootCi(1, [1, 1, 1], 'perc', 0.95)).toMatchObject({ lower: null, warnings: [expect.stringMatching(/all bootstrap replicates equal 1/)] });
    expect(bootCi(1, [NaN, NaN], 'norm', 0.95)).toMatchObject({ lower: null, warnings: ['no finite bootstrap replicate'] });
    expect(bootCi(5, t, 'perc', 0.95).warnings).toEqual(['extreme order statistics used as endpoints']);
    expect(checkBootType(undefined)).toBe('perc');
    expect(checkBootType('BCa')).toBe('bca');
    expect(() => checkBootType('stud')).toThrow(/unknown bootstrap interval type 'stud' \(choose perc, basic, norm, bca\)/);
  });
});
