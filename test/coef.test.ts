/**
 * fit.coef (lme4's coef()): each level's β̂ + b̂, against lme4 1.1-31's coef() on the models of
 * test/oracle/fit_extras.R (fitted to tight tolerances; the coefficients agree to 1e-6 of the largest
 * in their column, worst seen 2.5e-8): correlated and uncorrelated slopes, a random slope without its fixed effect (lme4
 * fills β̂ = 0 and puts that column first), crossed and nested factors in ranef's order with lme4's level
 * names; and a GLMM's by its definition.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { readCsv } from '../src/io/csv.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const lme4 = JSON.parse(readFileSync(join(fixtures, 'fit-extras', 'lme4.json'), 'utf8')) as {
  cases: { name: string; formula: string; coef: { group: string; levels: string[] | string; columns: string[] | string; values: Record<string, number[] | number> }[] }[];
};
const files: Record<string, { file: string; factors?: string[] }> = {
  sleepstudy_slopes: { file: 'sleepstudy.csv', factors: ['Subject'] },
  sleepstudy_uncorrelated: { file: 'sleepstudy.csv', factors: ['Subject'] },
  sleepstudy_no_fixed_slope: { file: 'sleepstudy.csv', factors: ['Subject'] },
  penicillin_crossed: { file: 'penicillin.csv' },
  pastes_nested: { file: 'pastes.csv' },
};
const list = <T>(v: T[] | T): T[] => (Array.isArray(v) ? v : [v]);

describe('coef against lme4', () => {
  // the models with a well-determined optimum (not sleepstudy_singular: test/rePCA.test.ts)
  for (const c of lme4.cases.filter((x) => x.name in files)) {
    it(`${c.name}: ${c.formula}`, async () => {
      const d = files[c.name];
      const fit = await lmer(c.formula, readCsv(readFileSync(join(fixtures, 'data', d.file), 'utf8'), { factors: d.factors ?? [] }).table, { factors: d.factors });
      const ours = fit.coef;
      expect(ours.map((g) => g.group)).toEqual(c.coef.map((g) => g.group));
      c.coef.forEach((ref, k) => {
        expect(ours[k].levels).toEqual(list(ref.levels));
        expect(Object.keys(ours[k].values)).toEqual(list(ref.columns));
        for (const name of list(ref.columns)) {
          const want = list(ref.values[name]);
          const scale = Math.max(...want.map(Math.abs));
          ours[k].values[name].forEach((v, g) => expect(Math.abs(v - want[g]), `${ref.group} ${name} ${ours[k].levels[g]}`).toBeLessThan(1e-6 * scale));
        }
      });
    });
  }

  it("a GLMM's: β̂ plus the level's modes, column by column", async () => {
    const t = readCsv(readFileSync(join(fixtures, 'data', 'grouseticks.csv'), 'utf8')).table;
    const fit = await glmer('TICKS ~ YEAR + (1 | BROOD) + (1 | LOCATION)', t, { family: 'poisson', factors: ['YEAR', 'BROOD', 'LOCATION'] });
    const coef = fit.coef, ranef = fit.ranef;
    expect(coef.map((g) => g.group)).toEqual(ranef.map((g) => g.group));
    coef.forEach((g, k) => {
      expect(Object.keys(g.values)).toEqual(Object.keys(fit.fixef));
      for (const [name, col] of Object.entries(g.values)) {
        col.forEach((v, l) => expect(v).toBe(fit.fixef[name] + (name in ranef[k].values ? ranef[k].values[name][l] : 0)));
      }
    });
  });
});
