/** GLMM bad input: clear errors (naming the column and a row) or warnings, never a silent wrong fit. */
import { describe, expect, it } from 'vitest';
import { tableFromArrays } from 'apache-arrow';
import { glmer } from '../src/fit/glmer.js';
import { loadData } from './helpers/reference.js';

const cbpp = () => loadData({ data: '../data/cbpp.csv' });
const grouse = () => loadData({ data: '../data/grouseticks.csv' });

/** cbpp as plain arrays, to be changed per test */
function cbppArrays() {
  const t = cbpp();
  return {
    herd: Array.from(t.getChild('herd')!.toArray() as ArrayLike<unknown>, String),
    period: Array.from(t.getChild('period')!.toArray() as ArrayLike<unknown>, String),
    incidence: Float64Array.from(t.getChild('incidence')!.toArray() as ArrayLike<number>),
    size: Float64Array.from(t.getChild('size')!.toArray() as ArrayLike<number>),
  };
}

const CBIND = 'cbind(incidence, size - incidence) ~ period + (1 | herd)';

describe('binomial response', () => {
  it('failures < 0 (successes above the trials) name the column and the row', async () => {
    const a = cbppArrays();
    a.incidence[6] = a.size[6] + 2;
    await expect(glmer(CBIND, tableFromArrays(a), { family: 'binomial' }))
      .rejects.toThrow(/the failures 'size - incidence' of 'cbind\(incidence, size - incidence\)' are negative \(-2\) in row 7/);
  });

  it('negative successes name the column and the row', async () => {
    const a = cbppArrays();
    a.incidence[2] = -1;
    await expect(glmer(CBIND, tableFromArrays(a), { family: 'binomial' }))
      .rejects.toThrow(/the successes 'incidence' .* are negative \(-1\) in row 3/);
  });

  it('a response outside [0, 1] names the column and the row', async () => {
    const a = cbppArrays();
    await expect(glmer('incidence ~ period + (1 | herd)', tableFromArrays(a), { family: 'binomial' }))
      .rejects.toThrow(/the response 'incidence' is 2 in row 1: a binomial response must be 0\/1, a proportion in \[0, 1\] with weights/);
  });

  it('a proportion without weights is an error (the numbers of trials are needed)', async () => {
    const a = cbppArrays();
    const prop = a.incidence.map((v, i) => v / a.size[i]);
    await expect(glmer('prop ~ period + (1 | herd)', tableFromArrays({ ...a, prop }), { family: 'binomial' }))
      .rejects.toThrow(/the response 'prop' is 0\.1428.* in row 1: a proportion needs weights/);
  });

  it('non-integer successes are a warning, as in R', async () => {
    const a = cbppArrays();
    a.incidence[4] = 2.5;
    const fit = await glmer(CBIND, tableFromArrays(a), { family: 'binomial', vcov: 'RX' });
    expect(fit.messages.join('\n')).toMatch(/non-integer counts in a binomial glm! \(first in row 5/);
  });

  it('negative weights name the column and the row', async () => {
    const a = cbppArrays();
    const prop = a.incidence.map((v, i) => v / a.size[i]);
    const w = Float64Array.from(a.size);
    w[9] = -3;
    await expect(glmer('prop ~ period + (1 | herd)', tableFromArrays({ ...a, prop, w }), { family: 'binomial', weights: 'w' }))
      .rejects.toThrow(/weights: 'w' is negative \(-3\) in row 10/);
    await expect(glmer('prop ~ period + (1 | herd)', tableFromArrays({ ...a, prop }), { family: 'binomial', weights: [1, 2] }))
      .rejects.toThrow(/weights: 2 values for 56 rows/);
  });

  it('rows with a missing count are dropped and counted', async () => {
    const a = cbppArrays();
    a.incidence[0] = NaN;
    const fit = await glmer(CBIND, tableFromArrays(a), { family: 'binomial', vcov: 'RX' });
    expect(fit.nobs).toBe(55);
    expect(fit.messages[0]).toMatch(/1 of 56 rows dropped/);
  });

  it('complete separation is a warning that names the coefficient', async () => {
    const a = cbppArrays();
    a.period.forEach((p, i) => { if (p === '4') a.incidence[i] = 0; });
    const fit = await glmer(CBIND, tableFromArrays(a), { family: 'binomial' });
    const text = fit.messages.join('\n');
    expect(text).toMatch(/fitted probabilities numerically 0 or 1 occurred/);
    expect(text).toMatch(/complete separation: every response is a failure in the 13 observations where 'period4' is nonzero/);
    expect(fit.summary()).toMatch(/complete separation/);
    // the other estimates are unaffected by the drifting one
    expect(fit.fixef.period2).toBeCloseTo(-0.977, 2);
  });
});

describe('poisson response', () => {
  const F = 'TICKS ~ YEAR + cHEIGHT + (1 | BROOD)';
  const arrays = () => {
    const t = grouse();
    return {
      TICKS: Float64Array.from(t.getChild('TICKS')!.toArray() as ArrayLike<number>),
      YEAR: Array.from(t.getChild('YEAR')!.toArray() as ArrayLike<unknown>, String),
      BROOD: Array.from(t.getChild('BROOD')!.toArray() as ArrayLike<unknown>, String),
      cHEIGHT: Float64Array.from(t.getChild('cHEIGHT')!.toArray() as ArrayLike<number>),
    };
  };

  it('negative counts name the column and the row', async () => {
    const a = arrays();
    a.TICKS[11] = -2;
    await expect(glmer(F, tableFromArrays(a), { family: 'poisson' }))
      .rejects.toThrow(/the response 'TICKS' is negative \(-2\) in row 12: the poisson family needs counts ≥ 0/);
  });

  it('non-integer counts name the column and the row', async () => {
    const a = arrays();
    a.TICKS[3] = 1.5;
    await expect(glmer(F, tableFromArrays(a), { family: 'poisson' }))
      .rejects.toThrow(/the response 'TICKS' is not a whole number \(1\.5\) in row 4/);
  });

  it('a factor or cbind response is an error', async () => {
    const a = arrays();
    await expect(glmer('YEAR ~ cHEIGHT + (1 | BROOD)', tableFromArrays(a), { family: 'poisson' }))
      .rejects.toThrow(/the response 'YEAR' is a factor; a poisson model needs counts/);
    await expect(glmer('cbind(TICKS, TICKS) ~ cHEIGHT + (1 | BROOD)', tableFromArrays(a), { family: 'poisson' }))
      .rejects.toThrow(/\(cbind\) is for the binomial family, not poisson/);
  });
});

describe('model and fitting errors', () => {
  it('PIRLS that does not converge is an error naming θ', async () => {
    await expect(glmer(CBIND, cbpp(), { family: 'binomial', factors: ['herd', 'period'], pirlsMaxIter: 1 }))
      .rejects.toThrow(/PIRLS did not converge in 1 iterations at θ = \[1\.000\]/);
  });

  it('nAGQ > 1 needs one grouping factor; nAGQ must be 0..25', async () => {
    await expect(glmer('TICKS ~ YEAR + (1 | BROOD) + (1 | LOCATION)', grouse(), { family: 'poisson', nAGQ: 5 }))
      .rejects.toThrow(/nAGQ > 1 is only available for models whose random effects have a single grouping factor/);
    await expect(glmer(CBIND, cbpp(), { family: 'binomial', nAGQ: 30 })).rejects.toThrow(/nAGQ must be an integer from 0 to 25/);
    await expect(glmer(CBIND, cbpp(), { family: 'binomial', nAGQ: 1.5 })).rejects.toThrow(/nAGQ must be an integer/);
  });

  it('an unknown family or link, and a formula without random effects', async () => {
    await expect(glmer(CBIND, cbpp(), { family: 'gamma' as 'poisson' })).rejects.toThrow(/family 'gamma' is not supported/);
    await expect(glmer(CBIND, cbpp(), { family: 'binomial', link: 'sqrt' })).rejects.toThrow(/link 'sqrt' is not available for the binomial family \(available: logit, probit, cloglog, cauchit, log\)/);
    await expect(glmer('cbind(incidence, size - incidence) ~ period', cbpp(), { family: 'binomial' })).rejects.toThrow(/no random-effects terms/);
  });

  it('lmer still refuses a cbind response', async () => {
    const { lmer } = await import('../src/fit/lmer.js');
    await expect(lmer(CBIND, cbpp())).rejects.toThrow(/\(cbind\) is for binomial models/);
  });
});
