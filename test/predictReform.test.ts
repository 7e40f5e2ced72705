/**
 * predict's reForm (lme4's re.form): conditioning on some of the random-effects terms, against lme4
 * 1.1-31's predict(fit, newdata, re.form = ~…) (test/oracle/fit_extras.R, fitted to tight tolerances:
 * the REML criteria agree to 1e-9 relative, worst 1.5e-14; the predictions to 1e-6 of the largest,
 * worst 1.4e-8): the intercepts or the slopes of a correlated and of an uncorrelated `(Days | Subject)`, one
 * factor of a crossed design, either level of a nested one (`cask:batch` named as lme4 names it, and
 * `/` expanded); and the rules around it: every term named is the default prediction, `~ 0` is the
 * population level, a factor not named need not be in the new data, a GLMM's on both scales, and
 * errors name what is wrong.
 */
import { describe, expect, it } from 'vitest';
import { tableFromArrays } from 'apache-arrow';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { readCsv } from '../src/io/csv.js';
import { caseData, dataText, fitCase, fitExtras, wellDetermined } from './helpers/fitExtras.js';

const csv = dataText;

describe('predict with reForm against lme4', () => {
  // the models with a well-determined optimum (not sleepstudy_singular: test/rePCA.test.ts)
  for (const c of fitExtras.cases.filter(wellDetermined)) {
    it(`${c.name}: ${c.formula}`, async () => {
      const fit = await fitCase(c);
      expect(Math.abs(fit.objective - c.objective)).toBeLessThan(1e-9 * Math.abs(c.objective));
      const nd = caseData(c).rowsOf(c.rows);
      for (const p of c.predictions) {
        const ours = fit.predict(nd, { reForm: p.re_form });
        const scale = Math.max(...p.link.map(Math.abs));
        ours.forEach((v, i) => expect(Math.abs(v - p.link[i]), `${p.re_form} row ${c.rows[i]}`).toBeLessThan(1e-6 * scale));
      }
    });
  }
});

describe('predict with reForm: the rules', () => {
  const sleep = () => readCsv(csv('sleepstudy.csv'), { factors: ['Subject'] }).table;

  it('every term named is the default prediction; ~ 0 (and ~ 1) is the population level', async () => {
    const t = sleep();
    const fit = await lmer('Reaction ~ Days + (Days | Subject)', t, { factors: ['Subject'] });
    expect(Array.from(fit.predict(t, { reForm: '~ (Days | Subject)' }))).toEqual(Array.from(fit.predict(t)));
    expect(Array.from(fit.predict(t, { reForm: '~ (1 | Subject) + (0 + Days | Subject)' }))).toEqual(Array.from(fit.predict(t)));
    expect(Array.from(fit.predict(t, { reForm: '~ 0' }))).toEqual(Array.from(fit.predict(t, { groups: false })));
    expect(Array.from(fit.predict(t, { reForm: '~1' }))).toEqual(Array.from(fit.predict(t, { groups: false })));
  });

  it('a grouping factor not named need not be in the new data, nor be a level seen in the fit', async () => {
    const t = readCsv(csv('penicillin.csv')).table;
    const fit = await lmer('diameter ~ 1 + (1 | plate) + (1 | sample)', t);
    const nd = tableFromArrays({ plate: ['a', 'b'] });
    const p = fit.predict(nd, { reForm: '~ (1 | plate)' });
    const plate = fit.ranef.find((r) => r.group === 'plate')!;
    ['a', 'b'].forEach((l, i) => expect(p[i]).toBeCloseTo(fit.fixef['(Intercept)'] + plate.values['(Intercept)'][plate.levels.indexOf(l)], 10));
    expect(() => fit.predict(tableFromArrays({ plate: ['a'], sample: ['Z'] }), { reForm: '~ (1 | plate)' })).not.toThrow();
    expect(() => fit.predict(tableFromArrays({ plate: ['zz'] }), { reForm: '~ (1 | plate)' })).toThrow(/level 'zz' of 'plate' not seen in the fit/);
  });

  it('a GLMM: the named terms on the link scale, their inverse link on the response scale', async () => {
    const t = readCsv(csv('grouseticks.csv')).table;
    const fit = await glmer('TICKS ~ YEAR + (1 | BROOD) + (1 | LOCATION)', t, { family: 'poisson', factors: ['YEAR', 'BROOD', 'LOCATION'] });
    const brood = fit.predict(t, { reForm: '~ (1 | BROOD)' });
    const pop = fit.predict(t, { groups: false });
    const both = fit.predict(t);
    const r = fit.ranef.find((g) => g.group === 'BROOD')!;
    const levels = t.getChild('BROOD')!.toArray() as string[];
    brood.forEach((v, i) => expect(v).toBeCloseTo(pop[i] + r.values['(Intercept)'][r.levels.indexOf(String(levels[i]))], 10));
    expect(Array.from(fit.predict(t, { reForm: '~ (1 | LOCATION) + (1 | BROOD)' }))).toEqual(Array.from(both));
    const response = fit.predict(t, { reForm: '~ (1 | BROOD)', type: 'response' } as never);
    response.forEach((v, i) => expect(v).toBeCloseTo(Math.exp(brood[i]), 10));
  });

  it('names what is wrong: a factor or a column not in the fit, a fixed term, with groups: false or an interval', async () => {
    const t = sleep();
    const fit = await lmer('Reaction ~ Days + (1 | Subject)', t, { factors: ['Subject'] });
    expect(() => fit.predict(t, { reForm: '~ (1 | Day)' })).toThrow(/grouping factor 'Day' is not one of the fit's \('Subject'\)/);
    expect(() => fit.predict(t, { reForm: '~ (Days | Subject)' })).toThrow(/'Days' is not a random effect of 'Subject' in the fit \(its columns: \(Intercept\)\)/);
    expect(() => fit.predict(t, { reForm: '~ (0 + Reaction2 | Subject)' })).toThrow(/'Reaction2' is not a variable of the fitted model's random-effects terms/);
    expect(() => fit.predict(t, { reForm: '~ Days + (1 | Subject)' })).toThrow(/'Days' is a fixed-effects term/);
    expect(() => fit.predict(t, { reForm: '(1 | Subject)' })).toThrow(/a one-sided formula starts with '~'/);
    expect(() => fit.predict(t, { reForm: '~ (1 | Subject)', groups: false })).toThrow(/either reForm or groups: false/);
    expect(() => fit.predict(t, { reForm: '~ (1 | Subject)', interval: 'confidence' } as never)).toThrow(/reForm is for point predictions/);
  });
});
