/** predict() on new data: with group effects, population level, and for groups not seen in the fit. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { readCsv } from '../src/io/csv.js';
import { loadData, loadReference } from './helpers/reference.js';

describe('predict', () => {
  it('on the fitted data equals fitted(), and population level equals Xβ', async () => {
    const ref = loadReference('sleepstudy_slopes_reml');
    const data = loadData(ref);
    const fit = await lmer(ref.formula, data, { factors: ref.factors });
    const pred = fit.predict(data);
    const fitted = fit.fitted;
    pred.forEach((v, i) => expect(v).toBeCloseTo(fitted[i], 9));
    const pop = fit.predict(data, { groups: false });
    const days = data.getChild('Days')!.toArray() as Float64Array;
    pop.forEach((v, i) => expect(v).toBeCloseTo(fit.fixef['(Intercept)'] + fit.fixef.Days * days[i], 9));
  });

  it('factor columns use the fitted levels and contrasts; nested groups are found by their level names', async () => {
    const ref = loadReference('pastes_nested_reml');
    const data = loadData(ref);
    const fit = await lmer(ref.formula, data);
    const pred = fit.predict(data);
    const fitted = fit.fitted;
    pred.forEach((v, i) => expect(v).toBeCloseTo(fitted[i], 9));
  });

  it('a group not seen in the fit is an error unless allowNewLevels, then population level', async () => {
    const ref = loadReference('sleepstudy_slopes_reml');
    const fit = await lmer(ref.formula, loadData(ref), { factors: ref.factors });
    const nd = readCsv('Reaction,Days,Subject\n0,3,308\n0,3,999\n0,,308\n').table;
    expect(() => fit.predict(nd)).toThrow(/level '999' of 'Subject' not seen in the fit: pass allowNewLevels/);
    const p = fit.predict(nd, { allowNewLevels: true });
    const b = fit.ranef[0];
    const k = b.levels.indexOf('308');
    expect(p[0]).toBeCloseTo(fit.fixef['(Intercept)'] + b.values['(Intercept)'][k] + 3 * (fit.fixef.Days + b.values.Days[k]), 9);
    expect(p[1]).toBeCloseTo(fit.fixef['(Intercept)'] + 3 * fit.fixef.Days, 9);
    expect(Number.isNaN(p[2])).toBe(true);
  });

  it("without newdata, the fit's own rows (lme4's predict(fit)): fitted, population level, some terms; rows dropped for NA are not predicted", async () => {
    const ref = loadReference('sleepstudy_slopes_reml');
    const data = loadData(ref);
    const fit = await lmer(ref.formula, data, { factors: ref.factors });
    const own = fit.predict();
    const fitted = fit.fitted;
    own.forEach((v, i) => expect(Math.abs(v - fitted[i])).toBeLessThan(1e-9 * Math.abs(fitted[i])));
    expect(Array.from(fit.predict(undefined, { groups: false }))).toEqual(Array.from(fit.predict(data, { groups: false })));
    expect(Array.from(fit.predict(undefined, { reForm: '~ (1 | Subject)' }))).toEqual(Array.from(fit.predict(data, { reForm: '~ (1 | Subject)' })));
    expect(Array.from(fit.predict(undefined, { reForm: '~ 0' }))).toEqual(Array.from(fit.predict(data, { groups: false })));
    // a row with a missing Days is dropped by the fit, so not predicted
    const withNa = readCsv('Reaction,Days,Subject\n250,0,a\n260,1,a\n270,,a\n240,0,b\n255,1,b\n280,2,b\n230,0,c\n240,1,c\n262,2,c\n').table;
    const small = await lmer('Reaction ~ Days + (1 | Subject)', withNa);
    expect(small.nobs).toBe(8);
    expect(small.predict().length).toBe(8);
    small.predict().forEach((v, i) => expect(Math.abs(v - small.fitted[i])).toBeLessThan(1e-9 * Math.abs(small.fitted[i])));
  });

  it("a glmer fit's own rows on the link and response scales (an offset included)", async () => {
    const t = readCsv(readFileSync(join(import.meta.dirname, 'fixtures', 'data', 'grouseticks.csv'), 'utf8')).table;
    const g = await glmer('TICKS ~ YEAR + offset(cHEIGHT) + (1 | BROOD)', t, { family: 'poisson', factors: ['YEAR', 'BROOD'] });
    g.predict(undefined, { type: 'response' }).forEach((v, i) => expect(Math.abs(v - g.fitted[i])).toBeLessThan(1e-9 * g.fitted[i]));
    g.predict().forEach((v, i) => expect(Math.abs(v - g.linearPredictor[i])).toBeLessThan(1e-9 * (1 + Math.abs(g.linearPredictor[i]))));
    expect(Array.from(g.predict(undefined, { groups: false }))).toEqual(Array.from(g.predict(t, { groups: false })));
  });

  it('an unknown level of a fixed-effect factor is an error naming it', async () => {
    const t = readCsv('y,f,g\n1,a,g1\n2,b,g1\n3,a,g2\n5,b,g2\n2,a,g3\n4,b,g3\n1.5,a,g1\n').table;
    const fit = await lmer('y ~ f + (1 | g)', t);
    expect(Object.keys(fit.fixef)).toEqual(['(Intercept)', 'fb']);
    expect(() => fit.predict(readCsv('y,f,g\n0,c,g1\n').table)).toThrow(/level 'c' of 'f' was not in the fitted data/);
  });
});

describe('variance shares and summary of a live fit', () => {
  it('shares sum to one and match the variance components', async () => {
    const ref = loadReference('penicillin_crossed_reml');
    const fit = await lmer(ref.formula, loadData(ref));
    const shares = fit.varianceShares;
    expect(shares.map((s) => s.group)).toEqual(['plate', 'sample', 'Residual']);
    expect(shares.reduce((a, s) => a + s.share, 0)).toBeCloseTo(1, 12);
    const vc = ref.varcorr;
    const total = vc.reduce((a, r) => a + r.vcov, 0);
    shares.forEach((s, k) => expect(s.share).toBeCloseTo(vc[k].vcov / total, 4));
    const text = fit.summary();
    expect(text).toMatch(/^Linear mixed model fit by REML \['lmerMod'\]/);
    expect(text).toMatch(/REML criterion at convergence: 330\.9/);
    expect(text).toMatch(/Number of obs: 144, groups:  plate, 24; sample, 6/);
    expect(text).toMatch(/\(Intercept\)\s+22\.9722\s+0\.8086\s+28\.41/);
  });
});
