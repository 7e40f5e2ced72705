/**
 * The parametric bootstrap of glmer fits: the discrete draws by inversion (exact at the steps of the
 * distribution function), the simulator (mean of the response), a replicate's refit equal to a fit
 * of its data from scratch, and the distribution of confint's statistics against bootMer's
 * (test/oracle/inference.R boot_cbpp: 2,000 replicates; ours 200, so within Monte Carlo error), and
 * for glmer.nb (boot_negbin: 1,000 replicates; both hold the size θ at its estimate).
 */
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { glmer, glmerNb } from '../../src/index.js';
import { dbinomLog, dpoisLog, lgamma } from '../../src/glmm/rmath.js';
import { buildGlmm } from '../../src/glmm/model.js';
import { binomialInverse, negbinInverse, poissonInverse } from '../../src/inference/discreteDraws.js';
import { glmmSimulator } from '../../src/inference/glmmBootstrap.js';
import { CounterNormal } from '../../src/model/random.js';
import { loadDataFile, loadInference } from '../helpers/inference.js';

/** u just inside each step of F: F(k) − P(k)/4 ↦ k and F(k) + P(k + 1)/4 ↦ k + 1, with F summed here from the densities. */
function checkInversion(inv: (u: number) => number, logPmf: (k: number) => number, kmax: number): number {
  let F = 0, checked = 0;
  for (let k = 0; k <= kmax; k++) {
    const pk = Math.exp(logPmf(k));
    F += pk;
    const pNext = k < kmax ? Math.exp(logPmf(k + 1)) : 0;
    if (pk > 1e-9 && F - pk / 4 < 1 - 1e-9) { expect(inv(F - pk / 4)).toBe(k); checked++; }
    if (pNext > 1e-9 && F + pNext / 4 < 1 - 1e-9) expect(inv(F + pNext / 4)).toBe(k + 1);
  }
  return checked;
}

/** Each statistic's bootstrap mean within 0.3 of bootMer's SDs of bootMer's mean, and its SD within 20% of bootMer's. */
function expectBootMerDistribution(boot: { names: string[]; t: Float64Array[] }, ref: { mean: Record<string, number>; sd: Record<string, number> }): void {
  boot.names.forEach((name, k) => {
    const v = boot.t.map((row) => row[k]);
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
    expect(Math.abs(m - ref.mean[name]) / ref.sd[name], name).toBeLessThan(0.3);
    expect(Math.abs(sd / ref.sd[name] - 1), name).toBeLessThan(0.2);
  });
}

describe('GLMM parametric bootstrap', () => {
  it('binomial, Poisson and negative binomial draws invert their distribution functions exactly', () => {
    for (const [n, p] of [[1, 0.3], [1, 0.97], [5, 0.5], [30, 0.02], [200, 0.6], [5000, 0.35]] as const) {
      expect(checkInversion((u) => binomialInverse(u, n, p), (k) => dbinomLog(k, n, p), n)).toBeGreaterThan(0);
    }
    for (const lambda of [0.05, 0.7, 4, 37.5, 800, 20000]) {
      expect(checkInversion((u) => poissonInverse(u, lambda), (k) => dpoisLog(k, lambda), Math.ceil(lambda + 12 * Math.sqrt(lambda) + 20))).toBeGreaterThan(0);
    }
    for (const [theta, mu] of [[0.3, 2], [1.5, 0.4], [2, 30], [40, 700], [0.8, 300]] as const) {
      const logPmf = (k: number) => lgamma(k + theta) - lgamma(theta) - lgamma(k + 1) + theta * Math.log(theta / (theta + mu)) + k * Math.log(mu / (theta + mu));
      expect(checkInversion((u) => negbinInverse(u, theta, mu), logPmf, Math.ceil(mu + 15 * Math.sqrt(mu + (mu * mu) / theta) + 40))).toBeGreaterThan(0);
    }
    expect(negbinInverse(0.9, 2, 0)).toBe(0);
    expect(binomialInverse(0.5, 7, 0)).toBe(0);
    expect(binomialInverse(0.5, 7, 1)).toBe(7);
    expect(poissonInverse(0.99, 0)).toBe(0);
    // uniforms are in (0, 1) and depend on (replicate, stream, index) only
    const rng = new CounterNormal(5);
    const u = Array.from({ length: 2000 }, (_, i) => rng.uniform(3, 0, i));
    expect(Math.min(...u)).toBeGreaterThan(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(Math.abs(u.reduce((a, b) => a + b, 0) / u.length - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / u.length));
    expect(new CounterNormal(5).uniform(3, 0, 17)).toBe(u[17]);
  });

  it('the simulator: seeded, and with θ = 0 each row\'s mean is its fixed-effects probability', () => {
    const ref = loadInference<{ data: string; formula: string; factors: string[] }>('profile_cbpp');
    const model = buildGlmm(ref.formula, loadDataFile(ref.data), { family: 'binomial', factors: ref.factors });
    const beta = [-1.4, -1, -1.1, -1.6];
    const a = glmmSimulator(model, [0], beta, 7).simulate(0);
    expect(glmmSimulator(model, [0], beta, 7).simulate(0)).toEqual(a);
    expect(glmmSimulator(model, [0], beta, 8).simulate(0)).not.toEqual(a);
    const { simulate } = glmmSimulator(model, [0], beta, 11);
    const R = 400, n = model.frame.n;
    const mean = new Float64Array(n);
    for (let r = 0; r < R; r++) simulate(r).forEach((y, i) => { mean[i] += y / R; });
    const { X, p } = model.pirls;
    let worst = 0;
    for (let i = 0; i < n; i++) {
      let eta = 0;
      for (let j = 0; j < p; j++) eta += X[j * n + i] * beta[j];
      const mu = 1 / (1 + Math.exp(-eta));
      const se = Math.sqrt((mu * (1 - mu)) / model.pirls.weights[i] / R);
      worst = Math.max(worst, Math.abs(mean[i] - mu) / se);
    }
    expect(worst).toBeLessThan(4.5);
  });

  it('cbpp: a replicate refits as a fresh glmer of its data; bootMer\'s distribution of the statistics', async () => {
    const ref = loadInference<{
      data: string; formula: string; factors: string[]; nsim: number;
      t0: Record<string, number>; mean: Record<string, number>; sd: Record<string, number>;
    }>('boot_cbpp');
    const data = loadDataFile(ref.data);
    const fit = await glmer(ref.formula, data, { family: 'binomial', factors: ref.factors });
    const boot = await fit.bootstrap({ nsim: 200, seed: 1 });
    expect(boot.names).toEqual(Object.keys(ref.mean));
    expect(boot.refits.failed).toBe(0);
    boot.names.forEach((name, k) => expect(Math.abs(boot.t0[k] - ref.t0[name])).toBeLessThan(0.02 * ref.sd[name]));
    // replicate 3 from scratch: the simulated incidences in the table, glmer as a user would run it
    const y = glmmSimulator(fit.model, fit.theta, fit.beta, 1).simulate(3);
    expect(fit.model.frame.rows).toBeNull(); // no row dropped: model rows are the table's
    const size = data.getChild('size')!;
    const incidence = Float64Array.from(y, (yi, i) => Math.round(yi * Number(size.get(i))));
    const cols: Record<string, arrow.Vector> = {};
    for (const f of data.schema.fields) cols[f.name] = f.name === 'incidence' ? arrow.vectorFromArray(incidence) : data.getChild(f.name)!;
    const again = await glmer(ref.formula, new arrow.Table(cols), { family: 'binomial', factors: ref.factors, vcov: 'RX' });
    // (the fresh fit starts at lme4's default θ, the refit at θ̂: the same optimum)
    expect(Math.abs(again.objective - boot.deviance[3])).toBeLessThan(1e-6);
    expect(Math.abs(again.theta[0] - boot.t[3][0])).toBeLessThan(1e-3);
    again.beta.forEach((b, j) => expect(Math.abs(b - boot.t[3][1 + j])).toBeLessThan(1e-3));
    // the distribution: means within 0.3 and SDs within 20% of bootMer's (Monte Carlo SEs at 200 replicates: 0.07 and ~5-8%)
    expectBootMerDistribution(boot, ref);
    const ci = await fit.confint({ method: 'boot', nsim: 40, seed: 2 });
    expect(Object.keys(ci.intervals)).toEqual(boot.names);
    for (const [lo, hi] of Object.values(ci.intervals)) expect(lo!).toBeLessThan(hi!);
  }, 300_000);

  it('glmer.nb: the size held at its estimate, as bootMer; the distribution of the statistics', async () => {
    const ref = loadInference<{
      data: string; formula: string; factors: string[]; nsim: number;
      t0: Record<string, number>; mean: Record<string, number>; sd: Record<string, number>;
    }>('boot_negbin');
    const fit = await glmerNb(ref.formula, loadDataFile(ref.data), { factors: ref.factors });
    const boot = await fit.bootstrap({ nsim: 200, seed: 1 });
    expect(boot.names).toEqual(Object.keys(ref.mean));
    expect(boot.refits.failed).toBe(0);
    expect(boot.messages.join(' ')).toMatch(/negative binomial size is held at its estimate 2\.04\d* in every replicate/);
    boot.names.forEach((name, k) => expect(Math.abs(boot.t0[k] - ref.t0[name])).toBeLessThan(0.02 * ref.sd[name]));
    // means within 0.3 and SDs within 20% of bootMer's (Monte Carlo SEs at 200 replicates: 0.07 and ~5%)
    expectBootMerDistribution(boot, ref);
  }, 300_000);
});
