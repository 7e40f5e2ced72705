/**
 * More glmmTMB families and dispformula (src/zeroinfl) against glmmTMB 1.1.5 and performance 0.10.2
 * (test/oracle/tmbfamilies.R → test/fixtures/tmbfamilies/*.json; data: glmmTMB's Salamanders,
 * test/fixtures/data/salamanders.csv, and a beta/gaussian data set constructed with a seed,
 * test/fixtures/data/tmbfamilies.csv):
 *   zinb1_mined        nbinom1, count ~ mined + (1 | site), ziformula ~ 1
 *   hurdle_nb1_cover   truncated_nbinom1, count ~ cover + (1 | site), ziformula ~ mined
 *   zinb2_disp_mined   nbinom2, count ~ mined + (1 | site), ziformula ~ mined, dispformula ~ mined
 *   beta_x             beta_family, yb ~ x + (1 | g)
 *   beta_disp_f        beta_family, yb ~ x + (1 | g), dispformula ~ f
 *   gaussian_disp_f    gaussian, yg ~ x + (1 | g), dispformula ~ f (a heteroscedastic LMM)
 *
 * Two levels, as test/zeroinfl.test.ts:
 *   - the objective −log L at glmmTMB's optimum and two points about it: 1e-10 relative (observed ≤ 1.2e-12);
 *   - the fit: parameters (β, γ, δ, log SD) within 1e-5 × max(1, |x|) of the converged optimum (Newton
 *     steps on TMB's exact gradient to max|gradient| < 1e-10; observed ≤ 1.4e-6) and 5e-5 of glmmTMB's own
 *     (its nlminb stops up to 1.8e-5 from the converged optimum in zinb2_disp_mined, with an objective
 *     1.9e-10 above it); our objective no higher than glmmTMB's at its optimum (+1e-12 relative) and within
 *     1e-10 relative of the converged one's (observed ≤ 3e-13);
 *     logLik, AIC, BIC 1e-8 relative; df.resid exact; SEs of every parameter within 1e-4 relative of
 *     sdreport's vcov(full = TRUE) (observed ≤ 6e-5), the tables' names (cond, zi, disp) exact, their SEs
 *     1e-4 and z 1e-4 × max(1, |z|); the printout's lines as glmmTMB's (the dispersion model's numbers to
 *     the last printed digit, ±1); sigma and
 *     the random effects' SD 1e-5 relative; predictions on the fit's rows (response, conditional, zprob,
 *     link, disp) and the conditional modes 1e-5 (relative; link and modes absolute) — glmmTMB's
 *     on-row predictions come from its best parameters, ours from our optimum, both within 1e-5 of the
 *     converged optimum's;
 *   - predictions for new data at glmmTMB's parameters (our fit built there): 1e-8, every type;
 *   - Pearson residuals, check_overdispersion, check_zeroinflation against glmmTMB/performance at 1e-5
 *     (the fits' optimum differ by up to 1e-5), and refused exactly where glmmTMB or performance stop or
 *     give NA;
 *   - simulations by their moments (no R stream): per row, the mean of 2,000 conditional draws within
 *     4.5 standard errors of the model's mean, and Σ(y − m)²/Σ Var within 1 ± 0.05.
 * No test runs R.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { DataError, MixedGpuError, ModelError, OptionError } from '../src/errors/errors.js';
import { glmmTMB, zeroInflated } from '../src/zeroinfl/zeroInflated.js';
import { buildZeroInflatedModel } from '../src/zeroinfl/model.js';
import { ZiLaplace } from '../src/zeroinfl/laplace.js';
import type { ZeroInflatedFit } from '../src/zeroinfl/zeroInflatedFit.js';
import { glmmTMB as exported, zeroInflated as exportedZi } from '../src/index.js';
import { zeroInflatedAt } from './helpers/zeroinflAt.js';
import { arr, expectDrawMoments, expectNewdataPredictions, expectPearsonAndChecks, expectPrintedTable, expectTmbFit, expectTmbPrintoutHead, rel, runZeroinflCli } from './helpers/tmbChecks.js';
import { lmer } from '../src/fit/lmer.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const table = (f: string) => readCsv(readFileSync(join(fixtures, 'data', f), 'utf8')).table;
const DATA: Record<string, arrow.Table> = { salamanders: table('salamanders.csv'), tmbfamilies: table('tmbfamilies.csv') };
const NEWDATA: Record<string, arrow.Table> = { salamanders: table('salamanders_newdata.csv'), tmbfamilies: table('tmbfamilies_newdata.csv') };
const reference = (name: string) => JSON.parse(readFileSync(join(fixtures, 'tmbfamilies', `${name}.json`), 'utf8'));
const CASES = ['zinb1_mined', 'hurdle_nb1_cover', 'zinb2_disp_mined', 'beta_x', 'beta_disp_f', 'gaussian_disp_f'];
const optionsOf = (ref: { family: string; ziformula: string; dispformula: string }) => ({ family: ref.family as never, ziformula: ref.ziformula, dispformula: ref.dispformula });
const yieldTurn = () => new Promise((r) => setTimeout(r, 0));

const fits = new Map<string, ZeroInflatedFit>();
const fitOf = async (name: string) => {
  if (!fits.has(name)) {
    const ref = reference(name);
    fits.set(name, await zeroInflated(ref.formula, DATA[ref.data], optionsOf(ref)));
  }
  return fits.get(name)!;
};

describe('glmmTMB families: the objective at glmmTMB\'s points', () => {
  for (const name of CASES) {
    it(name, () => {
      const ref = reference(name);
      const model = buildZeroInflatedModel(ref.formula, DATA[ref.data], optionsOf(ref));
      expect(model.nPar).toBe(ref.par.length);
      const lap = new ZiLaplace(model);
      for (const pt of ref.objective) expect(rel(lap.evaluate(pt.par), pt.value)).toBeLessThan(1e-10);
    });
  }
});

describe('glmmTMB families: the fit against glmmTMB 1.1.5', () => {
  for (const name of CASES) {
    it(name, async () => {
      const ref = reference(name);
      const fit = await fitOf(name);
      await yieldTurn();
      expectTmbFit(fit, ref);
      if (fit.model.pz === 0) expect(ref.predict_zlink.every((v: string) => v === '-Inf') && fit.predict('zlink').every((v) => v === -Infinity)).toBe(true);
    });
  }
});

describe('glmmTMB families: the printout (print.summary.glmmTMB)', () => {
  for (const name of CASES) {
    it(name, async () => {
      const ref = reference(name);
      const text = (await fitOf(name)).summary().split('\n');
      const rLines: string[] = ref.printout;
      expectTmbPrintoutHead(text, rLines);
      // the dispersion model's table
      if (rLines.includes('Dispersion model:')) expectPrintedTable(text, rLines, 'Dispersion model:', arr(ref.disp.rownames).length);
      // the random effects' rows (gaussian: the Residual row, NA with a dispersion model)
      for (const l of rLines.filter((x) => /^ (site|g|Residual) /.test(x))) expect(text).toContain(l);
    });
  }
});

describe('glmmTMB families: predict(newdata) at glmmTMB\'s parameters', () => {
  const R = JSON.parse(readFileSync(join(fixtures, 'tmbfamilies', 'predict_newdata.json'), 'utf8'));
  for (const name of Object.keys(R)) {
    it(`${name}: every type, with the random effects (a new level at b = 0) and without`, () => {
      const ref = reference(name);
      const fit = zeroInflatedAt(DATA[ref.data], { ...ref, par: R[name].par });
      const nd = NEWDATA[ref.data];
      expectNewdataPredictions(fit, nd, R[name]);
    });
  }
});

describe('glmmTMB families: Pearson residuals and performance\'s checks', () => {
  for (const name of CASES) {
    it(`${name}: as glmmTMB 1.1.5 and performance 0.10.2, or refused where they stop or give NA`, async () => {
      const ref = reference(name);
      const fit = await fitOf(name);
      expectPearsonAndChecks(fit, ref);
      if (ref.pearson === null) expect(() => fit.residuals('pearson')).toThrow(/Pearson residuals of a/);
    });
  }
  it('the refusals name the reason', async () => {
    expect(() => (fits.get('hurdle_nb1_cover')!).residuals('pearson')).toThrow(/variance for truncated nbinom1 family not yet implemented/);
    expect(() => (fits.get('beta_disp_f')!).residuals('pearson')).toThrow(/dispformula '~ f'.*sigma\(fit\)/);
    expect(() => (fits.get('beta_x')!).checkOverdispersion()).toThrow(/Poisson or binomial families only/);
    expect(() => (fits.get('gaussian_disp_f')!).checkZeroinflation()).toThrow(/count models only/);
    expect(() => (fits.get('zinb2_disp_mined')!).checkZeroinflation()).toThrow(/sigma\(fit\), which glmmTMB gives as NA/);
  });
});

describe('glmmTMB families: simulate', () => {
  // the model's mean and variance of y per row at the conditional modes
  const moments = (fit: ZeroInflatedFit) => {
    const n = fit.nobs;
    const m = new Float64Array(n), v = new Float64Array(n);
    const mu = fit.mu, p = fit.zprob, phi = fit.disp;
    for (let i = 0; i < n; i++) {
      switch (fit.model.dist) {
        case 'gaussian': m[i] = mu[i]; v[i] = phi[i]; break;
        case 'beta': m[i] = mu[i]; v[i] = (mu[i] * (1 - mu[i])) / (1 + phi[i]); break;
        default: {
          // the count c: E c, E c² (NB1: Var = μ(1 + φ), NB2: μ + μ²/φ); a hurdle's truncated count
          const V = fit.model.dist === 'nbinom1' ? mu[i] * (1 + phi[i]) : mu[i] + (mu[i] * mu[i]) / phi[i];
          let e1 = mu[i], e2 = V + mu[i] * mu[i];
          if (fit.model.hurdle) {
            const f0 = fit.model.dist === 'nbinom1' ? Math.exp(-(mu[i] / phi[i]) * Math.log1p(phi[i])) : Math.pow(phi[i] / (phi[i] + mu[i]), phi[i]);
            e1 /= 1 - f0;
            e2 /= 1 - f0;
          }
          m[i] = (1 - p[i]) * e1;
          v[i] = (1 - p[i]) * e2 - m[i] * m[i];
        }
      }
    }
    return { m, v };
  };
  for (const name of ['zinb1_mined', 'hurdle_nb1_cover', 'zinb2_disp_mined', 'beta_disp_f', 'gaussian_disp_f']) {
    it(`${name}: conditional draws have the model's means and variances`, async () => {
      const fit = await fitOf(name);
      const nsim = 2000;
      const sim = fit.simulate(nsim, { seed: 5, conditional: true });
      await yieldTurn();
      const { m, v } = moments(fit);
      expectDrawMoments(sim.y, m, v);
      // (a beta draw with a shape near 0 can round to 0 or 1 in floating point, as R's rbeta)
      if (fit.model.dist === 'beta') expect(sim.y.every((yr) => yr.every((x) => x >= 0 && x <= 1))).toBe(true);
      if (fit.model.count) expect(sim.y.every((yr) => yr.every((x) => Number.isInteger(x) && x >= 0))).toBe(true);
    }, 60000);
  }
  it('unconditional draws: a group\'s rows covary; replicate r is a pure function of (seed, r)', async () => {
    const fit = await fitOf('beta_x');
    const a = fit.simulate(3, { seed: 4 }), b = fit.simulate(3, { seed: 4 }), c = fit.simulate(3, { seed: 5 });
    expect(Array.from(a.y[2])).toEqual(Array.from(b.y[2]));
    expect(Array.from(a.y[2])).not.toEqual(Array.from(c.y[2]));
    // the mean over new random effects: E y = E logit⁻¹(η + b), b ~ N(0, σ²): the average over rows and draws
    const sim = fit.simulate(400, { seed: 2 });
    await yieldTurn();
    let s = 0;
    for (const yr of sim.y) for (const x of yr) s += x;
    const fixed = fit.predict(null, { groups: false, type: 'link' });
    const sd = fit.varCorr[0].sd;
    // Gauss–Hermite-free check: the same average of logit⁻¹(η + sd z) over a fine normal grid
    let want = 0;
    for (let i = 0; i < fit.nobs; i++) {
      let acc = 0, wsum = 0;
      for (let z = -6; z <= 6; z += 0.01) { const w = Math.exp(-0.5 * z * z); acc += w / (1 + Math.exp(-(fixed[i] + sd * z))); wsum += w; }
      want += acc / wsum;
    }
    want /= fit.nobs;
    // the draws' average over 400 × 400: its SD is about sd(group mean) / √(400 · 25) ≈ 0.002
    expect(Math.abs(s / (400 * fit.nobs) - want)).toBeLessThan(0.01);
  });
  it('DHARMa on a beta fit: continuous response (no integer randomization), scaled residuals in [0, 1]', async () => {
    const fit = await fitOf('beta_x');
    const d = fit.simulateResiduals({ nsim: 100, seed: 3 });
    expect(d.integerResponse).toBe(false);
    expect(d.nObs).toBe(400);
    expect(d.scaledResiduals.every((r) => r >= 0 && r <= 1)).toBe(true);
    expect(fit.dharmaSimulator(true).integerResponse).toBe(false);
    expect((await fitOf('zinb1_mined')).dharmaSimulator(true).integerResponse).toBe(true);
  });
});

describe('gaussian with dispformula \'~ 1\': the Laplace approximation is exact', () => {
  it('its fit is lmer\'s ML fit (REML = FALSE) of the same model: logLik 1e-8, β̂ and σ̂ 1e-5', async () => {
    const syn = DATA.tmbfamilies;
    const g = await glmmTMB('yg ~ x + (1 | g)', syn, { family: 'gaussian' });
    const l = await lmer('yg ~ x + (1 | g)', syn, { REML: false });
    expect(rel(g.logLik, l.logLik)).toBeLessThan(1e-8);
    g.beta.forEach((b, k) => expect(Math.abs(b - l.beta[k])).toBeLessThan(1e-5 * Math.max(1, Math.abs(l.beta[k]))));
    expect(rel(g.sigma, l.sigma)).toBeLessThan(1e-5);
    // the printout's residual row and glmmTMB's dispersion line for gaussian (σ²)
    const text = g.summary();
    expect(text).toMatch(/^ Residual +\d/m);
    expect(text).toContain(`Dispersion estimate for gaussian family (sigma^2): ${(g.sigma ** 2).toPrecision(3)} `);
  });
});

describe('glmmTMB families: names, JSON, input', () => {
  const syn = DATA.tmbfamilies;
  const withColumn = (name: string, values: number[]) => syn.assign(arrow.tableFromArrays({ [name]: Float64Array.from(values) }));
  it('glmmTMB is zeroInflated with glmmTMB\'s defaults (family gaussian, ziformula ~ 0; also from the package index); family \'beta\' is beta_family', async () => {
    expect(exported).toBe(glmmTMB);
    expect(exportedZi).toBe(zeroInflated);
    // glmmTMB(y ~ …, data): a gaussian LMM (glmmTMB's default family), as zeroInflated with family gaussian
    const g = await glmmTMB('yg ~ x + (1 | g)', syn);
    const z = await zeroInflated('yg ~ x + (1 | g)', syn, { family: 'gaussian' });
    expect(g.family).toBe('gaussian');
    expect(g.logLik).toBe(z.logLik);
    // a count family without ziformula: no zero model (glmmTMB's ~ 0), where zeroInflated's default is ~ 1
    const sal = DATA.salamanders;
    const gp = await glmmTMB('count ~ mined + (1 | site)', sal, { family: 'poisson' });
    const zp = await zeroInflated('count ~ mined + (1 | site)', sal, { family: 'poisson' });
    expect(gp.zi).toEqual([]);
    expect(zp.zi.length).toBe(1);
    expect((await glmmTMB('count ~ mined + (1 | site)', sal, { family: 'poisson', ziformula: '~ 1' })).logLik).toBe(zp.logLik);
    const a = buildZeroInflatedModel('yb ~ x + (1 | g)', syn, { family: 'beta' });
    expect(a.family).toBe('beta_family');
    const ref = reference('beta_x');
    expect(new ZiLaplace(a).evaluate(ref.par)).toBe(new ZiLaplace(buildZeroInflatedModel('yb ~ x + (1 | g)', syn, { family: 'beta_family' })).evaluate(ref.par));
  });
  it('JSON: the dispersion formula, table and link; sigma null with a dispersion model', async () => {
    const j = JSON.parse(JSON.stringify((await fitOf('gaussian_disp_f')).toJSON()));
    expect(j.family).toBe('gaussian');
    expect(j.link).toBe('identity');
    expect(j.dispformula).toBe('~ f');
    expect(j.ziformula).toBe('~ 0');
    expect(j.sigma).toBeNull();
    expect(j.disp.map((r: { name: string }) => r.name)).toEqual(['(Intercept)', 'fb', 'fc']);
    expect(j.par_names).toEqual(['cond:(Intercept)', 'cond:x', 'disp:(Intercept)', 'disp:fb', 'disp:fc', 'log(sd):g:(Intercept)']);
    const b = JSON.parse(JSON.stringify((await fitOf('beta_x')).toJSON()));
    expect(b.link).toBe('logit');
    expect(b.par_names).toContain('log(phi)');
    expect(rel(b.sigma, reference('beta_x').sigma)).toBeLessThan(1e-5);
  });
  it('beta_family refuses 0 and 1 naming the row; a zero model for beta or gaussian is refused with the reason', async () => {
    const yb = Array.from(syn.getChild('yb')!.toArray() as ArrayLike<number>);
    const y0 = [...yb]; y0[6] = 0;
    const y1 = [...yb]; y1[11] = 1;
    await expect(zeroInflated('yb ~ x + (1 | g)', withColumn('yb', y0), { family: 'beta_family' })).rejects.toThrow(DataError);
    await expect(zeroInflated('yb ~ x + (1 | g)', withColumn('yb', y0), { family: 'beta_family' })).rejects.toThrow(/'yb' is 0 in row 7: beta_family takes responses strictly between 0 and 1/);
    await expect(zeroInflated('yb ~ x + (1 | g)', withColumn('yb', y1), { family: 'beta' })).rejects.toThrow(/'yb' is 1 in row 12/);
    await expect(zeroInflated('yb ~ x + (1 | g)', syn, { family: 'beta_family', ziformula: '~ 1' })).rejects.toThrow(OptionError);
    await expect(zeroInflated('yb ~ x + (1 | g)', syn, { family: 'beta_family', ziformula: '~ 1' })).rejects.toThrow(/ziformula: '~ 1' with family beta_family: a zero model is for counts/);
    await expect(zeroInflated('yg ~ x + (1 | g)', syn, { family: 'gaussian', ziformula: '~ x' })).rejects.toThrow(/with family gaussian: a zero model is for counts/);
    const yg = Array.from(syn.getChild('yg')!.toArray() as ArrayLike<number>);
    yg[3] = Infinity;
    await expect(zeroInflated('yg ~ x + (1 | g)', withColumn('yg', yg), { family: 'gaussian' })).rejects.toThrow(/NA\/NaN\/Inf in 'yg'/);
  });
  it('dispformula: refuses random effects, a Poisson family, \'~ 0\', a non-formula, a missing column', async () => {
    const sal = DATA.salamanders;
    await expect(zeroInflated('count ~ mined + (1 | site)', sal, { family: 'nbinom2', dispformula: '~ mined + (1 | site)' })).rejects.toThrow(ModelError);
    await expect(zeroInflated('count ~ mined + (1 | site)', sal, { family: 'nbinom2', dispformula: '~ mined + (1 | site)' })).rejects.toThrow(/dispformula: '~ mined \+ \(1 \| site\)' has random-effects terms/);
    await expect(zeroInflated('count ~ mined + (1 | site)', sal, { family: 'poisson', dispformula: '~ mined' })).rejects.toThrow(/a Poisson model has no dispersion parameter/);
    await expect(zeroInflated('count ~ mined + (1 | site)', sal, { family: 'truncated_poisson', dispformula: '~ mined' })).rejects.toThrow(OptionError);
    await expect(zeroInflated('count ~ mined + (1 | site)', sal, { family: 'nbinom1', dispformula: '~ 0' })).rejects.toThrow(/leaves the nbinom1 family without its dispersion parameter/);
    await expect(zeroInflated('count ~ mined + (1 | site)', sal, { family: 'nbinom1', dispformula: 'mined' })).rejects.toThrow(/dispformula must be a one-sided formula/);
    await expect(zeroInflated('count ~ mined + (1 | site)', sal, { family: 'nbinom1', dispformula: 3 as never })).rejects.toThrow(OptionError);
    await expect(zeroInflated('count ~ mined + (1 | site)', sal, { family: 'nbinom1', dispformula: '~ depth' })).rejects.toThrow(/depth/);
    await expect(zeroInflated('count ~ mined + (1 | site)', sal, { family: 'nbinom1', dispformula: '~ depth' })).rejects.toThrow(MixedGpuError);
    await expect(zeroInflated('count ~ mined + (1 | site)', sal, { family: 'beta_family' })).rejects.toThrow(/'count' is 0 in row 1: beta_family takes responses strictly between 0 and 1/);
  });
  it('a row missing a dispersion variable is dropped and counted (na.omit over all formulas)', async () => {
    const x = Array.from(syn.getChild('x')!.toArray() as ArrayLike<number>);
    const f = Array.from({ length: syn.numRows }, (_, i) => String(syn.getChild('f')!.get(i)));
    const fNa: (string | null)[] = [...f];
    fNa[9] = null;
    const cols = { g: Array.from({ length: syn.numRows }, (_, i) => String(syn.getChild('g')!.get(i))), f: fNa, x, yg: Array.from(syn.getChild('yg')!.toArray() as ArrayLike<number>) };
    const fit = await zeroInflated('yg ~ x + (1 | g)', cols, { family: 'gaussian', dispformula: '~ f' });
    expect(fit.nobs).toBe(399);
    expect(fit.model.frame.nDropped).toBe(1);
    const keep = Array.from({ length: syn.numRows }, (_, i) => i).filter((i) => i !== 9);
    const fit2 = await zeroInflated('yg ~ x + (1 | g)', { g: keep.map((i) => cols.g[i]), f: keep.map((i) => f[i]), x: keep.map((i) => x[i]), yg: keep.map((i) => cols.yg[i]) }, { family: 'gaussian', dispformula: '~ f' });
    expect(rel(fit.logLik, fit2.logLik)).toBeLessThan(1e-10);
  });
});

describe('mixedgpu zeroinfl (CLI): the new families and --disp', () => {
  const run = runZeroinflCli;
  it('--family nbinom2 --disp \'~ mined\' (JSON, the printout), --predict disp; beta; bad input', async () => {
    const file = join(fixtures, 'data', 'salamanders.csv');
    const ref = reference('zinb2_disp_mined');
    const j = JSON.parse((await run({ file, formula: ref.formula, family: 'nbinom2', zi: '~ mined', disp: '~ mined', json: true })).out);
    expect(rel(j.loglik, ref.loglik)).toBeLessThan(1e-8);
    expect(j.dispformula).toBe('~ mined');
    const s = await run({ file, formula: ref.formula, family: 'nbinom2', zi: '~ mined', disp: '~ mined' });
    expect(s.code).toBe(0);
    expect(s.out).toContain('Dispersion model:');
    const d = (await run({ file, formula: ref.formula, family: 'nbinom2', zi: '~ mined', disp: '~ mined', predict: 'disp' })).out.trim().split('\n').map(Number);
    expect(d.length).toBe(644);
    expect(Math.abs(d[0] - ref.predict_disp[0])).toBeLessThan(1e-5 * ref.predict_disp[0]);
    const b = await run({ file: join(fixtures, 'data', 'tmbfamilies.csv'), formula: 'yb ~ x + (1 | g)', family: 'beta' });
    expect(b.code).toBe(0);
    expect(b.out).toContain(' Family: beta  ( logit )');
    const bad = await run({ file, formula: ref.formula, family: 'poisson', disp: '~ mined' });
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/a Poisson model has no dispersion parameter/);
    const check = await run({ file: join(fixtures, 'data', 'tmbfamilies.csv'), formula: 'yb ~ x + (1 | g)', family: 'beta', check: true });
    expect(check.code).toBe(1);
    expect(check.err).toMatch(/check_overdispersion takes models of Poisson or binomial families only/);
    // a hurdle NB1: check_zeroinflation, and check_overdispersion's refusal as a note
    const h = await run({ file, formula: 'count ~ cover + (1 | site)', family: 'truncated_nbinom1', zi: '~ mined', check: true, json: true });
    expect(h.code).toBe(0);
    const hj = JSON.parse(h.out);
    expect(hj.overdispersion).toBeNull();
    expect(hj.zeroinflation.predictedZeros).toBe(reference('hurdle_nb1_cover').zeroinflation.predicted);
    expect(hj.refused[0]).toMatch(/^check_overdispersion: Pearson residuals of a truncated_nbinom1/);
  }, 60000);
});
