/**
 * Simulations and DHARMa residuals of zero-inflated and hurdle fits (src/zeroinfl/simulate.ts,
 * fit.simulateResiduals, simulateResidualsAsync).
 *
 * Moments: for conditional simulations (on the fitted random effects) each row's draws are i.i.d. from
 * the model's distribution at (μ̃_i, p_i, φ̂), whose mean E_i = predict('response') and
 *   P_i(0) = p_i + (1 − p_i) f(0; μ̃_i)   (zero-inflated),   p_i (hurdle),
 *   E[y²] = (1 − p_i) (V_c + μ̃²) / (1 − f(0))^h,  V_c = μ̃ (+ μ̃²/φ̂ for NB2), h = 1 for a hurdle.
 * With nsim = 2000, the standardized differences z_i = (mean − E_i)/√(Var_i/nsim) (and the same for
 * the share of zeros, Var = P0(1 − P0)) must be within 4.5 on every one of the 644 rows (a false
 * failure at a given seed has probability < 644 × 2 × 6.8e-6 ≈ 0.01) and their mean square within
 * 1 ± 0.15 (its SD is about √(2/644) = 0.056 for independent z; the draws are). Unconditional draws
 * (ZIP, new random intercepts N(0, σ̂²)): E[y_i] = (1 − p_i) exp(x_iᵀβ̂ + σ̂²/2), each row within 4.5
 * empirical standard errors.
 * DHARMa end to end (test/fixtures/data/dharma_zip.csv, the zero-inflated data of test/dharma.test.ts):
 * testZeroInflation does not reject a ZIP fit (p > 0.05) where it rejects the Poisson glmer (p < 0.05).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { OptionError } from '../src/errors/errors.js';
import { zeroInflated } from '../src/zeroinfl/zeroInflated.js';
import type { ZeroInflatedFit } from '../src/zeroinfl/zeroInflatedFit.js';
import { condFixed } from '../src/zeroinfl/laplace.js';
import { ziDraw } from '../src/zeroinfl/simulate.js';
import { glmer } from '../src/fit/glmer.js';
import { simulateResidualsAsync } from '../src/diagnostics/simulateResiduals.js';
import { printDharma, testDispersion, testUniformity, testZeroInflation } from '../src/diagnostics/dharmaTests.js';
import { printHTest } from '../src/diagnostics/htest.js';
import { type ZeroinflArgs, runZeroinfl } from '../src/cli/zeroinflCommand.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const salamanders = readCsv(readFileSync(join(fixtures, 'data', 'salamanders.csv'), 'utf8')).table;
const zipData = readCsv(readFileSync(join(fixtures, 'data', 'dharma_zip.csv'), 'utf8')).table;
const tick = () => new Promise((r) => setTimeout(r, 0));

const CASES = [
  { name: 'zip', family: 'poisson', zi: '~ mined' },
  { name: 'zinb', family: 'nbinom2', zi: '~ mined' },
  { name: 'hurdle_nb', family: 'truncated_nbinom2', zi: '~ mined' },
  { name: 'hurdle_pois', family: 'truncated_poisson', zi: '~ mined' },
] as const;

/** the row's P(0), E[y], Var[y] at the fitted modes */
function moments(fit: ZeroInflatedFit): { p0: Float64Array; mean: Float64Array; variance: Float64Array } {
  const { nb, hurdle } = fit.model;
  const phi = fit.sigma;
  const n = fit.nobs;
  const p0 = new Float64Array(n), mean = fit.predict('response'), variance = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const mu = fit.mu[i], p = fit.zprob[i];
    const f0 = nb ? Math.exp(-phi * Math.log1p(mu / phi)) : Math.exp(-mu);
    const vc = nb ? mu + (mu * mu) / phi : mu;
    p0[i] = hurdle ? p : p + (1 - p) * f0;
    const ey2 = ((1 - p) * (vc + mu * mu)) / (hurdle ? 1 - f0 : 1);
    variance[i] = ey2 - mean[i] * mean[i];
  }
  return { p0, mean, variance };
}

describe('simulate for zero-inflated and hurdle fits', () => {
  const fits = new Map<string, ZeroInflatedFit>();
  beforeAll(async () => {
    for (const c of CASES) {
      fits.set(c.name, await zeroInflated('count ~ mined + (1 | site)', salamanders, { family: c.family, ziformula: c.zi }));
      await tick();
    }
  }, 120_000);

  for (const c of CASES) {
    it(`${c.name}: conditional draws have each row's mean and share of zeros`, async () => {
      const fit = fits.get(c.name)!;
      const nsim = 2000;
      const sim = fit.simulate(nsim, { seed: 42, conditional: true });
      expect(sim.y).toHaveLength(nsim);
      await tick();
      const { p0, mean, variance } = moments(fit);
      let maxZ = 0, ss = 0, ssZero = 0, bad = 0;
      for (let i = 0; i < fit.nobs; i++) {
        let s = 0, zeros = 0;
        for (let r = 0; r < nsim; r++) {
          const v = sim.y[r][i];
          if (!(Number.isInteger(v) && v >= 0)) bad++;
          if (v === 0) zeros++;
          s += v;
        }
        const z = (s / nsim - mean[i]) / Math.sqrt(variance[i] / nsim);
        const zz = (zeros / nsim - p0[i]) / Math.sqrt((p0[i] * (1 - p0[i])) / nsim);
        maxZ = Math.max(maxZ, Math.abs(z), Math.abs(zz));
        ss += z * z;
        ssZero += zz * zz;
      }
      expect(bad).toBe(0);
      expect(maxZ).toBeLessThan(4.5);
      expect(Math.abs(ss / fit.nobs - 1)).toBeLessThan(0.15);
      expect(Math.abs(ssZero / fit.nobs - 1)).toBeLessThan(0.15);
    });
  }

  it('hurdle draws: zeros only from the zero model, positive counts otherwise', () => {
    const fit = fits.get('hurdle_pois')!;
    const sim = fit.simulate(50, { seed: 3 });
    for (const y of sim.y) for (const v of y) expect(v === 0 || v >= 1).toBe(true);
  });

  it('zip: unconditional draws (glmmTMB 1.1.5\'s default) have the marginal mean (1 − p) exp(xᵀβ + σ²/2)', async () => {
    const fit = fits.get('zip')!;
    const nsim = 4000;
    const sim = fit.simulate(nsim, { seed: 9 });
    await tick();
    const fixed = condFixed(fit.model, fit.beta);
    const s2 = fit.varCorr[0].variance;
    let maxZ = 0;
    for (let i = 0; i < fit.nobs; i++) {
      let s = 0, s2y = 0;
      for (let r = 0; r < nsim; r++) { const v = sim.y[r][i]; s += v; s2y += v * v; }
      const m = s / nsim, sd = Math.sqrt((s2y / nsim - m * m) * nsim / (nsim - 1));
      const e = (1 - fit.zprob[i]) * Math.exp(fixed[i] + s2 / 2);
      maxZ = Math.max(maxZ, Math.abs(m - e) / (sd / Math.sqrt(nsim)));
    }
    expect(maxZ).toBeLessThan(4.5);
    // new random effects: a site's rows covary within a replicate, so the variance of the site's total
    // exceeds the sum of its rows' variances (glmmTMB 1.1.5's simulate gives 19.9 against 15.0 for site
    // VF-1 here); on the fitted random effects the rows are independent and the two agree
    const ratio = (y: Float64Array[]) => {
      const rows = Array.from(fit.model.blocks[0].codes).flatMap((g, i) => (g === fit.model.blocks[0].codes[0] ? [i] : []));
      const v = (xs: number[]) => { const m = xs.reduce((a, b) => a + b, 0) / xs.length; return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1); };
      return v(y.map((yr) => rows.reduce((a, i) => a + yr[i], 0))) / rows.reduce((a, i) => a + v(y.map((yr) => yr[i])), 0);
    };
    const unconditional = ratio(sim.y), conditional = ratio(fit.simulate(nsim, { seed: 9, conditional: true }).y);
    // the ratio's sampling SD at nsim = 4000 is about 0.03 (conditional) to 0.04
    expect(unconditional).toBeGreaterThan(1.15);
    expect(Math.abs(conditional - 1)).toBeLessThan(0.12);
  });

  it('hurdle draws at small means: the zero-truncated count by summing from k = 1 (no F(0) rounding to 1)', () => {
    for (const model of [{ dist: 'poisson' as const, hurdle: true }, { dist: 'nbinom2' as const, hurdle: true }]) {
      // μ = 1e-20: F(0) is 1 in floating point; the truncated count is 1 with probability 1 − O(μ)
      expect(ziDraw(model, 0.999, 1e-20, 0, 2)).toBe(1);
      expect(ziDraw(model, 0.3, 1e-20, 0.5, 2)).toBe(0);
      // μ = 0.2: E[c | c > 0] = μ/(1 − e^−μ) (Poisson), μ/(1 − (φ/(φ + μ))^φ) (NB2, φ = 2), over a grid of uniforms
      const mu = 0.2, phi = 2, m = 200_000;
      let s = 0;
      for (let j = 0; j < m; j++) s += ziDraw(model, (j + 0.5) / m, mu, 0, phi);
      const want = model.dist === 'nbinom2' ? mu / (1 - (phi / (phi + mu)) ** phi) : mu / -Math.expm1(-mu);
      expect(Math.abs(s / m - want)).toBeLessThan(1e-4);
    }
    // the two branches meet: at S₀ just above and below ½ the draws are the inversion of the same distribution
    for (const mu of [Math.LN2 - 1e-9, Math.LN2 + 1e-9]) {
      const m = 100_000;
      let s = 0;
      for (let j = 0; j < m; j++) s += ziDraw({ dist: 'poisson', hurdle: true }, (j + 0.5) / m, mu, 0, NaN);
      expect(Math.abs(s / m - mu / -Math.expm1(-mu))).toBeLessThan(1e-4);
    }
  });

  it('replicate r is a pure function of (seed, r); options are checked', () => {
    const fit = fits.get('zinb')!;
    const a = fit.simulate(5, { seed: 11 });
    const b = fit.simulate(5, { seed: 11 });
    expect(a.y).toEqual(b.y);
    expect(fit.simulate(5, { seed: 12 }).y).not.toEqual(a.y);
    expect(() => fit.simulate(0)).toThrow(OptionError);
    expect(() => fit.simulate(2, { seed: 1.5 })).toThrow(/seed/);
    expect(() => fit.simulate(2, { conditional: 'yes' as unknown as boolean })).toThrow(/conditional/);
  });

  it('population-level predictions (re.form = NA) are the model at η = xᵀβ̂', () => {
    const fit = fits.get('hurdle_nb')!;
    const eta = condFixed(fit.model, fit.beta);
    expect(Array.from(fit.predict(null, { type: 'link', groups: false }))).toEqual(Array.from(eta));
    const resp = fit.predict(null, { groups: false });
    const phi = fit.sigma;
    for (let i = 0; i < fit.nobs; i += 37) {
      const mu = Math.exp(eta[i]);
      const want = (1 - fit.zprob[i]) * mu / (1 - (phi / (phi + mu)) ** phi);
      expect(Math.abs(resp[i] - want)).toBeLessThan(1e-12 * want);
    }
  });
});

describe('DHARMa residuals of zero-inflated fits', () => {
  it('testZeroInflation does not reject a ZIP fit of zero-inflated data; it rejects the Poisson glmer', async () => {
    const zip = await zeroInflated('y ~ x + (1 | g)', zipData, { family: 'poisson', ziformula: '~ 1', factors: ['g'] });
    const d = zip.simulateResiduals({ nsim: 250, seed: 7 });
    expect(d.nObs).toBe(zip.nobs);
    expect(d.integerResponse).toBe(true);
    expect(Array.from(d.observedResponse)).toEqual(Array.from(zip.model.y));
    expect(Array.from(d.fittedPredictedResponse)).toEqual(Array.from(zip.predict(null, { groups: false })));
    const zi = testZeroInflation(d);
    expect(zi.pValue).toBeGreaterThan(0.05);
    expect(testUniformity(d).pValue).toBeGreaterThan(0.05);
    expect(testDispersion(d).pValue).toBeGreaterThan(0.05);
    const pois = await glmer('y ~ x + (1 | g)', zipData, { family: 'poisson', factors: ['g'] });
    expect(testZeroInflation(pois.simulateResiduals({ nsim: 250, seed: 7 })).pValue).toBeLessThan(0.05);
    // the asynchronous form is the same, bit for bit, whatever the chunks
    const da = await simulateResidualsAsync(zip, { nsim: 250, seed: 7, chunk: 37 });
    expect(Array.from(da.scaledResiduals)).toEqual(Array.from(d.scaledResiduals));
    // unconditional simulations are another set
    const du = zip.simulateResiduals({ nsim: 50, seed: 7, simulateREs: 'unconditional' });
    expect(du.simulatedResponse).toEqual(zip.simulate(50, { seed: 7 }).y);
    expect(() => zip.simulateResiduals({ nsim: 1 })).toThrow(OptionError);
    expect(() => zip.simulateResiduals({ refit: true })).toThrow(/refit/);
  }, 60_000);
});

describe('mixedgpu zeroinfl --dharma and --check', () => {
  const file = join(fixtures, 'data', 'dharma_zip.csv');
  const run = async (args: ZeroinflArgs) => {
    const out: string[] = [], err: string[] = [];
    const code = await runZeroinfl(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
    return { code, out: out.join(''), err: err.join('') };
  };
  it('--dharma prints the library\'s DHARMa printout and tests; --json the same numbers', async () => {
    const fit = await zeroInflated('y ~ x + (1 | g)', zipData, { family: 'poisson', ziformula: '~ 1', factors: ['g'] });
    const d = fit.simulateResiduals({ nsim: 100, seed: 5 });
    const r = await run({ file, formula: 'y ~ x + (1 | g)', factors: 'g', dharma: true, nsim: '100', seed: '5' });
    expect(r.code).toBe(0);
    expect(r.out).toContain(printDharma(d).join('\n'));
    expect(r.out).toContain(printHTest(testZeroInflation(d)).join('\n'));
    const j = await run({ file, formula: 'y ~ x + (1 | g)', factors: 'g', dharma: true, nsim: '100', seed: '5', json: true });
    const o = JSON.parse(j.out);
    expect(o.scaledResiduals).toEqual(Array.from(d.scaledResiduals));
    expect(o.tests.zeroInflation.p_value).toBe(testZeroInflation(d).pValue);
    expect(o.simulateREs).toBe('conditional');
  }, 60_000);
  it('--check prints check_overdispersion and check_zeroinflation; bad combinations are errors', async () => {
    const r = await run({ file, formula: 'y ~ x + (1 | g)', factors: 'g', check: true });
    expect(r.code).toBe(0);
    expect(r.out).toContain('# Overdispersion test');
    expect(r.out).toContain('# Check for zero-inflation');
    const bad = await run({ file, formula: 'y ~ x + (1 | g)', factors: 'g', check: true, dharma: true });
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('--dharma, --check');
    const nsimAlone = await run({ file, formula: 'y ~ x + (1 | g)', factors: 'g', nsim: '10' });
    expect(nsimAlone.err).toContain('options of --dharma');
    const one = await run({ file, formula: 'y ~ x + (1 | g)', factors: 'g', dharma: true, nsim: '1' });
    expect(one.err).toContain('--nsim must be at least 2');
  }, 60_000);
});
