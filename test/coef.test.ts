/**
 * fit.coef (lme4's coef()): each level's β̂ + b̂, against lme4 1.1-31's coef() on the models of
 * test/oracle/fit_extras.R (fitted to tight tolerances; the coefficients agree to 1e-6 of the largest
 * in their column, worst seen 2.5e-8): correlated and uncorrelated slopes, a random slope without its fixed effect (lme4
 * fills β̂ = 0 and puts that column first), crossed and nested factors in ranef's order with lme4's level
 * names; and a GLMM's by its definition.
 */
import { describe, expect, it } from 'vitest';
import { glmer } from '../src/fit/glmer.js';
import { readCsv } from '../src/io/csv.js';
import { dataText, fitCase, fitExtras, list, wellDetermined } from './helpers/fitExtras.js';

describe('coef against lme4', () => {
  // the models with a well-determined optimum (not sleepstudy_singular: test/rePCA.test.ts)
  for (const c of fitExtras.cases.filter(wellDetermined)) {
    it(`${c.name}: ${c.formula}`, async () => {
      const ours = (await fitCase(c)).coef;
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
    const t = readCsv(dataText('grouseticks.csv')).table;
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
