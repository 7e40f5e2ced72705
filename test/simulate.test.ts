/**
 * fit.simulate (lme4's simulate(fit, nsim, seed, use.u)): draws checked by their moments against the
 * fitted model's, with tolerances of 4.5 Monte Carlo standard errors (the seeds are fixed, so the test
 * is deterministic; the worst seen is stated per check):
 *  - lmer, new random effects: each row's mean Xβ̂ (worst 2.0 SE), its variance z Σ zᵀ + σ² and the
 *    covariance of two rows of one subject z_i Σ z_jᵀ, rows of different subjects uncorrelated
 *    (worst 1.5 SE);
 *  - lmer with useU: mean fitted (Xβ̂ + Z b̂), variance σ²/w with prior weights (worst 2.0 SE; lme4
 *    1.1-31 draws σ² whatever the weights);
 *  - glmer with useU: binomial proportions of m trials (mean μ̂, variance μ̂(1 − μ̂)/m: worst 3.1 SE),
 *    Poisson (mean and variance μ̂: 2.8 SE), NB2 (variance μ̂ + μ̂²/θ: 2.5 SE), whole counts;
 *  - glmer, new random effects: a Poisson count's mean exp(xβ̂ + σ_b²/2) (worst 2.5 SE);
 *  - a replicate is a pure function of (seed, replicate): the same seed gives the same draws;
 *  - bad arguments and models name the problem.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tableFromArrays } from 'apache-arrow';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { readCsv } from '../src/io/csv.js';

const data = (f: string, factors: string[] = []) => readCsv(readFileSync(join(import.meta.dirname, 'fixtures', 'data', f), 'utf8'), { factors }).table;

/** per row: mean, variance (n − 1), and the covariance of rows i, j over the draws */
function moments(y: Float64Array[]) {
  const N = y.length, n = y[0].length;
  const mean = new Float64Array(n), varc = new Float64Array(n);
  for (const yr of y) for (let i = 0; i < n; i++) mean[i] += yr[i] / N;
  for (const yr of y) for (let i = 0; i < n; i++) varc[i] += (yr[i] - mean[i]) ** 2 / (N - 1);
  const cov = (i: number, j: number) => { let c = 0; for (const yr of y) c += (yr[i] - mean[i]) * (yr[j] - mean[j]); return c / (N - 1); };
  return { N, mean, varc, cov };
}
/** |observed − expected| in Monte Carlo SEs: a mean's SE √(V/N), a (co)variance's √((V_i V_j + C²)/N) for normal draws */
const zMean = (m: number, mu: number, V: number, N: number) => Math.abs(m - mu) / Math.sqrt(V / N);
const zCov = (c: number, C: number, Vi: number, Vj: number, N: number) => Math.abs(c - C) / Math.sqrt((Vi * Vj + C * C) / N);

describe('simulate', () => {
  it('lmer: new random effects give Xβ̂ on average, z Σ zᵀ + σ² per row and z_i Σ z_jᵀ within a subject', async () => {
    const t = data('sleepstudy.csv', ['Subject']);
    const fit = await lmer('Reaction ~ Days + (Days | Subject)', t, { factors: ['Subject'] });
    const { y, seed, messages } = fit.simulate(4000, { seed: 7 });
    expect(seed).toBe(7);
    expect(messages).toEqual([]);
    const { N, mean, varc, cov } = moments(y);
    const days = t.getChild('Days')!.toArray() as Float64Array;
    const vc = fit.varCorr;
    const s0 = vc[0].vcov, s1 = vc[1].vcov, c01 = vc[2].vcov, s2 = fit.sigma ** 2;
    const zSz = (a: number, b: number) => s0 + (a + b) * c01 + a * b * s1;
    let worstMean = 0, worstCov = 0;
    for (const i of [0, 5, 9, 50, 120]) {
      const V = zSz(days[i], days[i]) + s2;
      worstMean = Math.max(worstMean, zMean(mean[i], fit.fixef['(Intercept)'] + fit.fixef.Days * days[i], V, N));
      worstCov = Math.max(worstCov, zCov(varc[i], V, V, V, N));
    }
    // rows 0 and 9: one subject; rows 0 and 10: two
    const V0 = zSz(days[0], days[0]) + s2, V9 = zSz(days[9], days[9]) + s2, V10 = zSz(days[10], days[10]) + s2;
    worstCov = Math.max(worstCov, zCov(cov(0, 9), zSz(days[0], days[9]), V0, V9, N), zCov(cov(0, 10), 0, V0, V10, N));
    expect(worstMean).toBeLessThan(4.5);
    expect(worstCov).toBeLessThan(4.5);
  });

  it('lmer with useU: the fitted values on average, σ²/w per row with prior weights', async () => {
    const t = data('sleepstudy_weighted.csv', ['Subject']);
    const fit = await lmer('Reaction ~ Days + (Days | Subject)', t, { factors: ['Subject'], weights: 'w' });
    const { y } = fit.simulate(3000, { seed: 3, useU: true });
    const { N, mean, varc } = moments(y);
    const w = t.getChild('w')!.toArray() as Float64Array;
    let worst = 0;
    for (let i = 0; i < 12; i++) {
      const V = fit.sigma ** 2 / w[i];
      worst = Math.max(worst, zMean(mean[i], fit.fitted[i], V, N), zCov(varc[i], V, V, V, N));
    }
    expect(worst).toBeLessThan(4.5);
  });

  it('glmer with useU: binomial proportions, Poisson and NB2 counts with the family\'s mean and variance', async () => {
    const cbpp = data('cbpp.csv', ['herd', 'period']);
    const grouse = data('grouseticks.csv', ['YEAR', 'BROOD', 'LOCATION']);
    const fits = [
      { fit: await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', cbpp, { family: 'binomial', factors: ['herd', 'period'] }), m: cbpp.getChild('size')!.toArray() as Float64Array },
      { fit: await glmer('TICKS ~ YEAR + (1 | LOCATION)', grouse, { family: 'poisson', factors: ['YEAR', 'LOCATION'] }), m: null },
      { fit: await glmer('TICKS ~ YEAR + (1 | LOCATION)', grouse, { family: 'negative.binomial', theta: 1.8, factors: ['YEAR', 'LOCATION'] }), m: null },
    ];
    for (const { fit, m } of fits) {
      const { y } = fit.simulate(3000, { seed: 11, useU: true });
      const { N, mean, varc } = moments(y);
      const mu = fit.fitted;
      let worst = 0;
      for (let i = 0; i < 20; i++) {
        const V = fit.family === 'binomial' ? (mu[i] * (1 - mu[i])) / m![i] : fit.family === 'poisson' ? mu[i] : mu[i] + mu[i] ** 2 / fit.nbSize!;
        worst = Math.max(worst, zMean(mean[i], mu[i], V, N));
        // the variance's SE for non-normal draws: from the fourth moment, estimated
        let m4 = 0;
        for (const yr of y) m4 += (yr[i] - mean[i]) ** 4 / N;
        worst = Math.max(worst, Math.abs(varc[i] - V) / Math.sqrt(Math.max(m4 - V * V, 1e-300) / N));
        if (fit.family === 'binomial') for (const yr of y) expect(Number.isInteger(Math.round(yr[i] * m![i] * 1e9) / 1e9)).toBe(true);
        else for (const yr of y) expect(Number.isInteger(yr[i])).toBe(true);
      }
      expect(worst, fit.family).toBeLessThan(4.5);
    }
  });

  it('glmer, new random effects: a Poisson count\'s mean is the log-normal mixture\'s exp(xβ̂ + σ_b²/2)', async () => {
    const grouse = data('grouseticks.csv', ['YEAR', 'BROOD', 'LOCATION']);
    const fit = await glmer('TICKS ~ YEAR + (1 | LOCATION)', grouse, { family: 'poisson', factors: ['YEAR', 'LOCATION'] });
    const { y } = fit.simulate(4000, { seed: 2 });
    const { N, mean, varc } = moments(y);
    const s2 = fit.varCorr[0].vcov;
    const eta = fit.predict(grouse, { groups: false });
    let worst = 0;
    for (let i = 0; i < 30; i++) worst = Math.max(worst, zMean(mean[i], Math.exp(eta[i] + s2 / 2), varc[i], N));
    expect(worst).toBeLessThan(4.5);
  });

  it('the same seed gives the same draws; another seed other draws', async () => {
    const t = data('sleepstudy.csv', ['Subject']);
    const fit = await lmer('Reaction ~ Days + (1 | Subject)', t, { factors: ['Subject'] });
    const a = fit.simulate(3, { seed: 5 }).y, b = fit.simulate(3, { seed: 5 }).y, c = fit.simulate(3, { seed: 6 }).y;
    expect(a).toEqual(b);
    expect(a[0]).not.toEqual(c[0]);
    // replicate r is the same whatever nsim
    expect(fit.simulate(1, { seed: 5 }).y[0]).toEqual(a[0]);
    expect(fit.simulate().seed).toBe(1);
  });

  it('names what is wrong', async () => {
    const t = data('sleepstudy.csv', ['Subject']);
    const fit = await lmer('Reaction ~ Days + (1 | Subject)', t, { factors: ['Subject'] });
    expect(() => fit.simulate(0)).toThrow(/nsim must be a whole number of simulations/);
    expect(() => fit.simulate(2.5)).toThrow(/nsim must be a whole number/);
    expect(() => fit.simulate(1, { seed: 1.5 })).toThrow(/seed/);
    expect(() => fit.simulate(1, { use_u: true } as never)).toThrow(/use_u/);
    const prop = tableFromArrays({ y: Float64Array.of(0.5, 0.25, 1, 0, 0.5, 0.75), w: Float64Array.of(2, 4, 1.5, 3, 2, 4), g: ['a', 'a', 'b', 'b', 'c', 'c'] });
    const g = await glmer('y ~ 1 + (1 | g)', prop, { family: 'binomial', weights: 'w' });
    expect(() => g.simulate(1)).toThrow(/whole numbers of trials \(prior weights\), row 3 has 1.5/);
  });
});
