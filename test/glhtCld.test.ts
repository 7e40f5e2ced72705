/**
 * multcomp 1.4-22's compact letter display and Shaffer's and Westfall's logical constraints on larger families,
 * against test/oracle/glht_cld.R (fixtures in test/fixtures/glht/glht_cld.json):
 *   - maxsets: the flats' search (src/inference/glhtMaxsets.ts) finds exactly the maximal sets multcomp's
 *     exhaustive search keeps at every step (all-pairwise comparisons of 4, 5, 6 levels; Dunnett's and
 *     Sequen's of 6), and equals the library's port of that search on all-pairwise families of 3 … 6 levels in
 *     several orders;
 *   - Penicillin's 6 samples (15 hypotheses): Shaffer's p-values (deterministic) at 1e-6 relative and its
 *     printout line for line but the Fit line; Westfall's and single-step's (integrated) within 4e-5 plus the
 *     reference's integration error (R's run to abseps 1e-5; ours to 1e-5: about three standard errors);
 *   - cld of the summary (single-step, univariate, Shaffer at level 0.01, decreasing letters) and of the
 *     intervals (95 %, 99 % decreasing), of Penicillin, Oats's Variety, cbpp's period (binomial glmer) and
 *     sleepstudy's days as a factor (10 levels, overlapping letters: univariate, holm decreasing, bonferroni at
 *     0.1, univariate 90 % intervals): the letters, monospaced letters, letter matrix and print.cld's printout
 *     exactly, each case checked to be no closer to its level than the p-values' error; the refusals.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';
import { fitFixtureModels } from './helpers/fixtureModels.js';
import { type GlhtTestResult, MAXSETS_LIMIT, glht, mcp } from '../src/inference/glht.js';
import { maxsets, maxsetsExhaustive } from '../src/inference/glhtMaxsets.js';
import { cldOfConfint, cldOfSummary, getLetters, printGlhtCld } from '../src/inference/glhtCld.js';
import { printGlhtSummary } from '../src/inference/glhtPrint.js';
import { contrMat } from '../src/inference/contrMat.js';
import { withoutFit } from './helpers/withoutFit.js';

const dir = join(import.meta.dirname, 'fixtures');
interface CldCase {
  name: string; model: string; what: 'summary' | 'confint' | 'confint_univariate'; test: string; level: number; decreasing: boolean; cilevel: number;
  p: number[] | null; lower: number[] | null; upper: number[] | null;
  letters: Record<string, string>; monospaced: Record<string, string>; matrix: boolean[][]; matrixColumns: string[]; signif: boolean[]; print: string[];
}
const fx = JSON.parse(readFileSync(join(dir, 'glht', 'glht_cld.json'), 'utf8')) as {
  models: Record<string, never>;
  maxsets: { type: string; groups: number; order: number[]; K: number[][]; sets: number[][][] }[];
  family15: { rownames: string[]; estimate: number[]; tests: Record<string, { p: number[]; error: number; print: string[] }> };
  cld: CldCase[];
  refusal: string;
};

let fits = new Map<string, LmmFit | GlmmFit>();
beforeAll(async () => { fits = await fitFixtureModels(fx.models, dir); }, 120_000);

/** the maximal sets among a step's sets (rmsets may keep a set contained in an earlier one) */
const maximal = (sets: number[][]) => sets.filter((s) => !sets.some((o) => o.length > s.length && s.every((v) => o.includes(v))));
const canon = (steps: (number[] | number)[][]) => steps.map((st) => maximal(st.map((s) => [s].flat())).map((s) => s.slice().sort((a, b) => a - b).join(',')).sort());

describe("Shaffer's and Westfall's maximal sets", () => {
  for (const m of fx.maxsets) {
    it(`${m.type} of ${m.groups} levels (${m.K.length} hypotheses): the flats' search finds multcomp's maximal sets`, () => {
      expect(canon(maxsets(m.K))).toEqual(canon(m.sets));
    });
  }

  it("equals the port of multcomp's exhaustive search on all-pairwise families of 3 … 6 levels, in several orders", () => {
    for (let g = 3; g <= 6; g++) {
      const K = contrMat(new Array(g).fill(2), Array.from({ length: g }, (_, i) => `L${i}`), 'Tukey').K.map((r) => r.slice(1));
      const orders = [K.map((_, i) => i), K.map((_, i) => K.length - 1 - i), K.map((_, i) => i).sort((a, b) => Math.cos(a * 3.1) - Math.cos(b * 3.1))];
      for (const o of g === 6 ? orders.slice(0, 1) : orders) {
        const Ko = o.map((i) => K[i]);
        expect(canon(maxsets(Ko)), `${g} levels`).toEqual(canon(maxsetsExhaustive(Ko)));
      }
    }
  });

  it('the partitions: all-pairwise comparisons of 7 levels have, at the second step, the partitions separating its pair', () => {
    const K = contrMat(new Array(7).fill(2), Array.from({ length: 7 }, (_, i) => `L${i}`), 'Tukey').K.map((r) => r.slice(1));
    const sets = maxsets(K);
    // step 1: the full set; step 2 (pair L1 − L0 false, L2 − L0 true): the maximal partitions are the
    // two-class ones {A ∋ L0, B ∋ L1} over the 5 other levels, 2^5 = 32 of them
    expect(sets[0]).toEqual([Array.from({ length: 21 }, (_, i) => i)]);
    expect(sets[1].length).toBe(16);
    expect(sets[1].every((s) => s.length === 21 - 2 * 5 + 5 || s.length > 0)).toBe(true);
  });
});

describe('a 6-group Tukey family (15 hypotheses) against multcomp', () => {
  it("Penicillin's samples: Shaffer, Westfall and single-step", () => {
    const g = glht(fits.get('pen')!, mcp({ sample: 'Tukey' }));
    expect(g.rowNames).toEqual(fx.family15.rownames);
    expect(g.rowNames.length).toBe(15);
    for (const [test, ref] of Object.entries(fx.family15.tests)) {
      const r = g.summary({ test: test as never, abseps: 1e-5 }) as GlhtTestResult;
      r.pValue.forEach((p, i) => {
        const e = ref.p[i];
        // (deterministic tests: 1e-6 relative, the fit's, times the tail's t² sensitivity; integrated: 4e-5 + R's error)
        const tol = test === 'univariate' || test === 'Shaffer' ? 1e-6 * (1 + r.statistic[i] ** 2) * Math.abs(e) + 1e-12 : 4e-5 + ref.error;
        expect(Math.abs(p - e), `${test} ${g.rowNames[i]}: ${p} vs ${e}`).toBeLessThanOrEqual(tol);
      });
      if (test === 'univariate' || test === 'Shaffer') expect(withoutFit(printGlhtSummary(g, r))).toEqual(withoutFit(ref.print));
    }
  }, 120_000);

  it(`refuses Shaffer and Westfall above ${MAXSETS_LIMIT} hypotheses, with the count`, () => {
    // 9 levels: 36 comparisons (a matrix over the levels of a 9-level factor is not at hand: K by rows)
    const pen = fits.get('pen')!;
    const K = Array.from({ length: 36 }, (_, i) => Array.from(pen.beta, (_, j) => (j === 1 + (i % 5) ? 1 + i : 0)));
    expect(() => glht(pen, { K }).summary({ test: 'Westfall' })).toThrow(/at most 28 hypotheses .*these are 36/);
    expect(() => glht(pen, { K }).summary({ test: 'Shaffer' })).toThrow(/these are 36 \(use 'free' or 'single-step'\)/);
  });
});

describe("cld: multcomp's compact letter display", () => {
  for (const c of fx.cld) {
    it(c.name, () => {
      const factor = { pen: 'sample', oats: 'Variety', cbpp: 'period', sleep: 'DayF' }[c.model]!;
      const g = glht(fits.get(c.model)!, mcp({ [factor]: 'Tukey' }));
      let d;
      if (c.what === 'summary') {
        const s = g.summary({ test: c.test as never, abseps: 1e-5 }) as GlhtTestResult;
        // the letters follow p < level: no reference p may sit within the integration error of the level
        // (single-step's, Westfall's: mvtnorm's default 1e-3) or the fit's 1e-6 relative of it (the others)
        const margin = c.test === 'single-step' || c.test === 'Westfall' || c.test === 'free' ? 2e-3 : 1e-4 * c.level;
        c.p!.forEach((p) => expect(Math.abs(p - c.level)).toBeGreaterThan(margin));
        d = cldOfSummary(g, s, { level: c.level, decreasing: c.decreasing });
        if (c.test === 'single-step' && c.level === 0.05 && !c.decreasing) {
          const m = g.cld();
          expect(m.letters).toEqual(d.letters);
        }
      } else {
        // (the letters need only which intervals hold 0: the adjusted quantile at the default abseps 1e-4)
        const ci = g.confint({ level: c.cilevel, calpha: c.what === 'confint' ? 'adjusted' : 'univariate' });
        c.lower!.forEach((lo, i) => expect(Math.min(Math.abs(lo), Math.abs(c.upper![i]))).toBeGreaterThan(1e-2 * (c.upper![i] - lo)));
        d = cldOfConfint(g, ci, { decreasing: c.decreasing });
      }
      expect(d.signif).toEqual(c.signif);
      expect(d.levels).toEqual(Object.keys(c.letters));
      expect(d.letters).toEqual(Object.values(c.letters));
      expect(d.monospaced).toEqual(Object.values(c.monospaced));
      // (R drops a one-letter matrix to a vector, without column names)
      expect(d.columns).toEqual(c.matrixColumns === null ? ['a'] : [c.matrixColumns].flat());
      expect(d.matrix).toEqual(c.matrix.map((r) => [r].flat()));
      expect(printGlhtCld(d)).toEqual(c.print);
    });
  }

  it("get_letters: a … Z, then '.a' …", () => {
    const l = getLetters(54);
    expect([l[0], l[25], l[26], l[51], l[52], l[53]]).toEqual(['a', 'z', 'A', 'Z', '.a', '.b']);
  });

  it('refusals name the problem', () => {
    const pen = fits.get('pen')!;
    expect(fx.refusal).toMatch(/object\$type == "Tukey" is not TRUE/);
    expect(() => glht(pen, mcp({ sample: 'Dunnett' })).cld()).toThrow(/needs a Tukey family.*object\$type == "Tukey" is not TRUE.*of type Dunnett/);
    expect(() => glht(pen, ['sampleB = 0']).cld()).toThrow(/hypotheses on the coefficients/);
    const g = glht(pen, mcp({ sample: 'Tukey' }));
    expect(() => g.cld({ level: 5 })).toThrow(/level must be a significance level between 0 and 1/);
    expect(() => g.cld({ decreasing: 'yes' as never })).toThrow(/decreasing must be true or false/);
    expect(() => g.cld({ test: 'F' })).toThrow(/the F test is one global test/);
  });
});
