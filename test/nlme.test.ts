/**
 * nlme's lme and gls with variance functions and correlation structures (src/nlme) against nlme
 * 3.1-162 (test/oracle/nlme.R and nlme2.R → test/fixtures/nlme/*.json; data in test/fixtures/data).
 *
 * Two levels, as the other reference tests:
 *  - the criterion at nlme's estimates (θ from Ψ/σ², the variance and correlation parameters in nlme's
 *    unconstrained parametrization): our log-likelihood equals nlme's logLik to 1e-8 relative;
 *  - our own optimum: logLik within 1e-6 relative of nlme's (or above it), β and SEs within 1e-4
 *    relative, σ, the random effects' SDs and the variance/correlation parameters within 1e-3 relative
 *    (absolute 1e-3 where the value is near 0), nlme's DF exactly, p-values within 1e-3 relative;
 *    fitted values, residuals (response, pearson, normalized) and predictions within 1e-4 of the
 *    response's scale, ranef within 1e-3 of its largest value.
 */
import { describe, expect, it } from 'vitest';
import { expectIntervalsAsNlme, expectIntervalsStable, expectNlmeFixedFit, expectRel, expectVec, nlmeData, nlmeFixture, yieldTurn } from './helpers/nlmeChecks.js';
import { DataError, ModelError, OptionError } from '../src/errors/errors.js';
import { buildLme, lme } from '../src/nlme/lme.js';
import { buildGls, evaluateGls, gls } from '../src/nlme/gls.js';
import { evaluateLme, modelRows } from '../src/nlme/objective.js';
import { anovaLme, formatAnova } from '../src/nlme/anova.js';
import { fixedPartText } from '../src/nlme/randomSpec.js';
import { armaCoefficients, armaCorrelation, armaUnconstrained } from '../src/nlme/corARMA.js';

const FACTORS: Record<string, string[]> = { Orthodont: [], Ovary: ['Mare'], BodyWeight: ['Rat'], Wheat2: [] };
const fixture = nlmeFixture;
const data = nlmeData(FACTORS);

function psiOf(f: { varStruct: { unconstrained: number[] | number } | null; corStruct: { unconstrained: number[] | number } | null }): Float64Array {
  return Float64Array.from(([] as number[]).concat(f.varStruct?.unconstrained ?? [], f.corStruct?.unconstrained ?? []));
}
const glsOptions = (f: any) => ({ weights: f.ours.weights, correlation: f.ours.correlation, method: f.method, factors: FACTORS[f.data], dataName: 'd' });
const options = (f: any) => ({ random: f.ours.random, weights: f.ours.weights, correlation: f.ours.correlation, method: f.method, factors: FACTORS[f.data], dataName: 'd' });

/** fits on a ridge of the likelihood, where nlme stops at one point of it (see the test) */
const RIDGE = new Set(['ortho_cs']);
const LME_CASES = [
  'ortho_varident_reml', 'ortho_homosc_reml', 'ortho_varident_ml', 'ortho_varident_ml_small', 'ortho_slope_varpower', 'ortho_varexp_strata',
  'ortho_varfixed', 'ortho_cs', 'ovary_ar1', 'ovary_ar1_ml', 'bw_car1', 'bw_varpower_car1_ml', 'bw_varconstpower_ml', 'bw_corexp',
  // test/oracle/nlme2.R: corARMA
  'ovary_arma11', 'ovary_arma2_ml',
  // test/oracle/nlme2.R: variance covariates of the fitted values
  'ortho_varpower_fitted', 'bw_varpower_fitted', 'ortho_varexp_fitted_strata_ml',
];
const GLS_CASES = ['gls_ar1_varident', 'gls_cs_ml', 'gls_varpower_strata', 'gls_ar1_occasion', 'gls_wheat_gaus_nugget', 'gls_wheat_exp_ml',
  // test/oracle/nlme2.R: corARMA
  'gls_arma2_occasion', 'gls_arma01', 'gls_varpower_fitted', 'gls_varpower_fitted_ar1'];

describe('lme: the criterion at nlme 3.1-162 estimates', () => {
  for (const name of LME_CASES) {
    it(`${name}: logLik to 1e-8 relative`, async () => {
      const f = fixture(name);
      const { model, rc } = buildLme(f.ours.fixed, data(f.data), options(f));
      // a fitted(.) covariate (test/oracle/nlme2.R's fixedPoint): with the covariate nlme's fit was fitted at
      if (f.fittedCheck) rc.vf!.setCovariate!(Float64Array.from(f.fittedCheck.covariate));
      const ev = evaluateLme(model, rc, modelRows(model), Float64Array.from(([] as number[]).concat(f.theta)), psiOf(f));
      expectRel(-ev.criterion / 2, f.logLik, 1e-8, 'logLik at nlme\'s estimates');
      await yieldTurn();
    });
  }
});

describe('gls: the criterion at nlme 3.1-162 estimates', () => {
  for (const name of GLS_CASES) {
    it(`${name}: logLik to 1e-8 relative`, () => {
      const f = fixture(name);
      const { frame, rc } = buildGls(f.ours.model, data(f.data), glsOptions(f));
      if (f.fittedCheck) rc.vf!.setCovariate!(Float64Array.from(f.fittedCheck.covariate));
      const ev = evaluateGls(frame, rc, psiOf(f), f.method === 'REML');
      expectRel(-ev.criterion / 2, f.logLik, 1e-8, 'logLik at nlme\'s estimates');
    });
  }
});

describe('corARMA: nlme\'s parametrization and the ARMA autocorrelations (test/oracle/nlme2.R)', () => {
  it('the unconstrained coefficients are nlme\'s (1e-12), map back to (φ, θ), and the correlations are ARMAacf\'s (1e-12)', () => {
    const cases = fixture('arma_transform') as { phi: number[]; theta: number[]; unconstrained: number[]; acf: number[] }[];
    expect(cases.length).toBe(5);
    for (const c of cases) {
      const phi = Float64Array.from(c.phi), theta = Float64Array.from(c.theta);
      const x = armaUnconstrained(phi, theta);
      expectVec(x, c.unconstrained, 1e-12, `unconstrained of (${c.phi}; ${c.theta})`);
      const back = armaCoefficients(x, phi.length, theta.length);
      expectVec([...back.phi, ...back.theta], [...c.phi, ...c.theta], 1e-12, 'round trip');
      expectVec(armaCorrelation(phi, theta, 8)!.subarray(0, 9), c.acf, 1e-12, `ARMAacf of (${c.phi}; ${c.theta})`);
    }
  });
});

describe('lme: the fit against nlme 3.1-162', () => {
  for (const name of LME_CASES) {
    it(name, async () => {
      const f = fixture(name);
      const fit = await lme(f.ours.fixed, data(f.data), options(f));
      // ours at least as high as nlme's optimum, up to 1e-6 relative
      expectNlmeFixedFit(fit, f, { df: true, p: true });
      const vc = fit.varCorr;
      expect(vc.names).toEqual(f.VarCorr.names);
      if (RIDGE.has(name)) {
        // a random intercept and compound symmetry in the same groups: only σ_b² + σ² and σ_b² + ρσ² are identified
        const [sb, s] = [vc.stdDev[0], fit.sigma], rho = fit.corStruct!.values[0];
        const [sbR, sR, rhoR] = [f.VarCorr.StdDev[0], f.sigma, f.corStruct.constrained];
        expectRel(sb ** 2 + s ** 2, sbR ** 2 + sR ** 2, 1e-3, 'σ_b² + σ²');
        expectRel(sb ** 2 + rho * s ** 2, sbR ** 2 + rhoR * sR ** 2, 1e-3, 'σ_b² + ρσ²');
      } else {
        expectRel(fit.sigma, f.sigma, 1e-3, 'σ');
        vc.stdDev.forEach((s, k) => expectRel(s, f.VarCorr.StdDev[k], 1e-3, `StdDev ${vc.names[k]}`, 1e-3 * f.sigma));
        if (f.varStruct) {
          const est = fit.varStruct!;
          const ref = f.varStruct.constrained;
          if (!Array.isArray(ref)) {
            expect(est.names.length).toBe(Object.keys(ref).length);
            est.names.forEach((nm, k) => expectRel(est.values[k], ref[nm], 1e-3, `varStruct ${nm}`, 1e-3));
          }
        }
        if (f.corStruct) ([] as number[]).concat(f.corStruct.constrained).forEach((v, k) => expectRel(fit.corStruct!.values[k], v, 1e-3, `correlation ${fit.corStruct!.names[k]}`, 1e-3));
      }
      const ys = Math.max(...f.fitted1.map(Math.abs));
      expectVec(fit.fitted(0), f.fitted0, 1e-4, 'fitted level 0');
      if (RIDGE.has(name)) return;
      expectVec(fit.fitted(1), f.fitted1, 1e-4, 'fitted level 1');
      expectVec(fit.fitted(0), f.fitted0, 1e-4, 'fitted level 0');
      expectVec(fit.residuals({ level: 1 }).map((v) => v / ys), f.resid1.map((v: number) => v / ys), 1e-3, 'residuals level 1');
      expectVec(fit.residuals({ level: 0 }), f.resid0, 1e-4, 'residuals level 0');
      expectVec(fit.residuals({ type: 'pearson' }), f.pearson, 1e-3, 'pearson residuals');
      expectVec(fit.residuals({ type: 'normalized' }), f.normalized, 1e-3, 'normalized residuals');
      // nlme's levels are the CSV's as text (R's order of character levels), ours the numeric codes' order: matched by name
      const at = f.ranef.levels.map((l: string) => fit.ranef.levels.indexOf(l));
      expect(at).not.toContain(-1);
      if (!RIDGE.has(name)) {
        Object.keys(fit.ranef.values).forEach((nm) => expectVec(at.map((i: number) => fit.ranef.values[nm][i]), f.ranef.values[nm], 1e-3, `ranef ${nm}`));
      }
      if (f.newdata) {
        const nd = f.newdata as { age: number; Subject: string; Sex: string }[];
        expectVec(fit.predict(nd, 0), f.predict0, 1e-4, 'predict level 0');
        expectVec(fit.predict(nd, 1), f.predict1, 1e-4, 'predict level 1');
      }
      // the printout's fixed lines as nlme's
      const mine = fit.summary().split('\n');
      const theirs = (f.print as string).split('\n');
      for (const l of theirs.filter((x) => /^( Formula:| Structure:|Linear mixed|Number of|Fixed effects:|Correlation Structure:|Variance function:|Random effects:)/.test(x))) {
        expect(mine, `printout line '${l}'`).toContain(l);
      }
      // the correlation of the fixed effects, to 3 decimals, as nlme prints it
      const corrAt = (lines: string[]) => lines.slice(lines.indexOf(' Correlation: '), lines.indexOf('Standardized Within-Group Residuals:') - 1);
      expect(corrAt(mine)).toEqual(corrAt(theirs));
      expect(JSON.parse(JSON.stringify(fit.toJSON())).logLik).toBeCloseTo(fit.logLik, 10);
    });
  }
});

describe('gls: the fit against nlme 3.1-162', () => {
  for (const name of GLS_CASES) {
    it(name, async () => {
      const f = fixture(name);
      const fit = await gls(f.ours.model, data(f.data), glsOptions(f));
      expectNlmeFixedFit(fit, f, { p: true });
      expectRel(fit.sigma, f.sigma, 1e-3, 'σ');
      if (f.corStruct) ([] as number[]).concat(f.corStruct.constrained).forEach((v, k) => expectRel(fit.corStruct!.values[k], v, 1e-3, `correlation ${fit.corStruct!.names[k]}`, 1e-3));
      if (f.varStruct && !Array.isArray(f.varStruct.constrained)) {
        const est = fit.varStruct!;
        est.names.forEach((nm, k) => expectRel(est.values[k], f.varStruct.constrained[nm], 1e-3, `varStruct ${nm}`, 1e-3));
      }
      expectVec(fit.fitted(), f.fitted, 1e-4, 'fitted');
      expectVec(fit.residuals({ type: 'normalized' }), f.normalized, 1e-3, 'normalized residuals');
      const mine = fit.summary().split('\n');
      for (const l of (f.print as string).split('\n').filter((x) => /^( Formula:| Structure:|Generalized|  Model:|Degrees of freedom|Correlation Structure:|Coefficients:)/.test(x))) {
        expect(mine, `printout line '${l}'`).toContain(l);
      }
    });
  }
});

describe('anova of nested lme fits (nlme\'s likelihood-ratio table)', () => {
  for (const [name, small, large] of [['anova_varident', 'ortho_homosc_reml', 'ortho_varident_reml'], ['anova_fixed_ml', 'ortho_varident_ml_small', 'ortho_varident_ml']]) {
    it(name, async () => {
      const a = fixture(name);
      const fits = [];
      for (const c of [small, large]) { const f = fixture(c); fits.push(await lme(f.ours.fixed, data(f.data), options(f))); }
      const rows = anovaLme(fits, ['f1', 'f2']);
      rows.forEach((r, k) => {
        expect(r.df).toBe(a.df[k]);
        expectRel(r.logLik, a.logLik[k], 1e-6, 'logLik');
        expectRel(r.AIC, a.AIC[k], 1e-6, 'AIC');
      });
      expectRel(rows[1].L_Ratio!, a['L.Ratio'][1], 1e-4, 'L.Ratio');
      expectRel(rows[1].p!, a.p[1], 1e-3, 'p');
      expect(formatAnova(rows).split('\n')[0]).toBe((a.print as string).split('\n')[0]);
    });
  }
  it('refuses REML fits with different fixed effects', async () => {
    const o = data('Orthodont');
    const f1 = await lme('distance ~ age', o, { random: '~ 1 | Subject' });
    const f2 = await lme('distance ~ age + Sex', o, { random: '~ 1 | Subject' });
    expect(() => anovaLme([f1, f2])).toThrow(/REML fits with different fixed effects/);
  });
});

/**
 * intervals(): against nlme's where nlme's Hessian (fdHess, a finite-difference design whose step is
 * relative to each parameter: tiny for a parameter near 0, such as a variance power of 0.06, where its
 * round-off dominates) is accurate: every end within 1e-3 relative; for every case, our Hessian's step
 * 1e-3 against 2e-3 (Richardson's extrapolation of central differences: O(h⁴) and the round-off): the ends within
 * 1e-4 relative (seen ≤ 1.1e-5).
 */
const IV_NLME = [
  'ortho_varident_reml', 'ortho_homosc_reml', 'ortho_varident_ml', 'ortho_varfixed', 'ovary_ar1', 'ovary_ar1_ml', 'bw_corexp', 'gls_ar1_varident', 'gls_cs_ml', 'gls_ar1_occasion', 'gls_wheat_gaus_nugget', 'gls_wheat_exp_ml',
  'gls_arma2_occasion', 'gls_arma01',
];
// ovary_arma11 and ovary_arma2_ml: the ends near 0 differ from nlme's by 7e-5 (Theta1's upper, -0.0541)
// and 1.7e-4 (Phi2's lower, 0.0170), over 1e-3 relative (nlme's fdHess, as above)
const IV_OURS = ['bw_varpower_car1_ml', 'ortho_slope_varpower', 'ortho_varexp_strata', 'bw_car1', 'bw_varconstpower_ml', 'gls_varpower_strata', 'ovary_arma11', 'ovary_arma2_ml'];
describe('intervals (nlme\'s approximate confidence intervals)', () => {
  for (const name of [...IV_NLME, ...IV_OURS]) {
    it(name, async () => {
      const f = fixture(name);
      const fit = f.fn === 'lme' ? await lme(f.ours.fixed, data(f.data), options(f)) : await gls(f.ours.model, data(f.data), glsOptions(f));
      const iv = fit.intervals();
      if (IV_NLME.includes(name)) expectIntervalsAsNlme(iv, f.intervals);
      expectIntervalsStable(iv, fit.intervals(0.95, 2e-3));
    });
  }
  it('refuses a level outside (0, 1)', async () => {
    const f = fixture('ortho_homosc_reml');
    const fit = await lme(f.ours.fixed, data(f.data), options(f));
    expect(() => fit.intervals(1.5)).toThrow(/level must be strictly between 0 and 1/);
  });
});

describe('rows with missing values', () => {
  it('lme drops them (na.omit) and reads the structures\' columns at the rows kept: the fit of the data without them', async () => {
    const o = data('Orthodont');
    const cols = Object.fromEntries(o.schema.fields.map((fl) => [fl.name, Array.from(o.getChild(fl.name)!.toArray() as ArrayLike<unknown>)]));
    const drop = new Set([3, 17, 50, 51, 90]);
    const withNa = { ...cols, distance: (cols.distance as (number | null)[]).map((v, i) => (drop.has(i) ? null : v)) };
    const kept = Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, v.filter((_, i) => !drop.has(i))]));
    const opts = { random: '~ 1 | Subject', weights: 'varIdent(form = ~ 1 | Sex)', correlation: 'corAR1(form = ~ occasion | Subject)' };
    const a = await lme('distance ~ age', withNa, opts);
    const b = await lme('distance ~ age', kept, opts);
    expect(a.nobs).toBe(103);
    expectRel(a.logLik, b.logLik, 1e-9, 'logLik');
    expectVec(a.fitted(1), Array.from(b.fitted(1)), 1e-8, 'fitted');
    expectVec(a.residuals({ type: 'normalized' }), Array.from(b.residuals({ type: 'normalized' })), 1e-7, 'normalized residuals');
  });
  it('a row missing a structure\'s covariate or group is dropped too (nlme\'s model frame holds them): lme and gls, the fit of the data without it', async () => {
    const o = data('Orthodont');
    const cols = Object.fromEntries(o.schema.fields.map((fl) => [fl.name, Array.from(o.getChild(fl.name)!.toArray() as ArrayLike<unknown>)]));
    const sexNa = new Set([5, 60]), occNa = new Set([33]);
    const withNa = {
      ...cols,
      Sex: (cols.Sex as (string | null)[]).map((v, i) => (sexNa.has(i) ? null : v)),
      occasion: (cols.occasion as (number | null)[]).map((v, i) => (occNa.has(i) ? NaN : v)),
    };
    const kept = Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, v.filter((_, i) => !sexNa.has(i) && !occNa.has(i))]));
    const opts = { weights: 'varComb(varIdent(form = ~ 1 | Sex), varPower(form = ~ age))', correlation: 'corAR1(form = ~ occasion | Subject)' };
    const a = await lme('distance ~ age', withNa, { ...opts, random: '~ 1 | Subject' });
    const b = await lme('distance ~ age', kept, { ...opts, random: '~ 1 | Subject' });
    expect(a.nobs).toBe(105);
    expectRel(a.logLik, b.logLik, 1e-9, 'lme logLik');
    const g = await gls('distance ~ age', withNa, opts);
    const h = await gls('distance ~ age', kept, opts);
    expect(g.nobs).toBe(105);
    expectRel(g.logLik, h.logLik, 1e-9, 'gls logLik');
  });
});

describe('cancellation', () => {
  // a signal that turns aborted at its n-th read (the objective reads it once per evaluation)
  const abortingAt = (n: number) => {
    let reads = 0;
    return { signal: { get aborted() { return ++reads >= n; }, addEventListener() {}, removeEventListener() {} } as unknown as AbortSignal, reads: () => reads };
  };
  it('lme and gls reject with the library\'s AbortError when the signal is aborted, before or during the fit (no further evaluation)', async () => {
    const opts = { random: '~ 1 | Subject', weights: 'varIdent(form = ~ 1 | Sex)', correlation: 'corAR1(form = ~ 1 | Subject)' };
    const before = new AbortController(); before.abort();
    await expect(lme('distance ~ age', data('Orthodont'), { ...opts, signal: before.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const a = abortingAt(40);
    await expect(lme('distance ~ age', data('Orthodont'), { ...opts, signal: a.signal })).rejects.toMatchObject({ name: 'AbortError', message: 'the fit was cancelled' });
    expect(a.reads()).toBe(40);
    const g = abortingAt(25);
    await expect(gls('distance ~ age', data('Orthodont'), { weights: opts.weights, correlation: opts.correlation, signal: g.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(g.reads()).toBe(25);
    await expect(lme('distance ~ age', data('Orthodont'), { ...opts, signal: 'stop' as unknown as AbortSignal })).rejects.toThrow(OptionError);
  });
});

describe('lme4-style formula and bad input', () => {
  const o = () => data('Orthodont');
  it('accepts an lme4 random-effects term in the formula instead of random', async () => {
    const a = await lme('distance ~ age + (1 | Subject)', o(), { weights: 'varIdent(form = ~ 1 | Sex)' });
    expectRel(a.logLik, fixture('ortho_varident_reml').logLik, 1e-6, 'logLik');
    // nlme prints its fixed formula, without the random-effects term; the summary equals random's
    const b = await lme('distance ~ age', o(), { random: '~ 1 | Subject', weights: 'varIdent(form = ~ 1 | Sex)' });
    expect(a.summary().split('\n')).toContain('Fixed effects:  distance ~ age ');
    expect(a.summary().split('\n').find((l) => l.startsWith('Fixed effects:'))).toBe(b.summary().split('\n').find((l) => l.startsWith('Fixed effects:')));
    expect(fixedPartText('y ~ (1 | g) + x * z + (0 + x | g)')).toBe('y ~ x * z');
    expect(fixedPartText('y ~ (1 | g)')).toBe('y ~ 1');
  });
  it('refuses unknown functions by name', async () => {
    await expect(lme('distance ~ age', o(), { random: '~ 1 | Subject', weights: 'varFoo(form = ~ age)' })).rejects.toThrow(OptionError);
    await expect(lme('distance ~ age', o(), { random: '~ 1 | Subject', weights: 'varFoo(form = ~ age)' })).rejects.toThrow(/unknown variance function 'varFoo'/);
    await expect(lme('distance ~ age', o(), { random: '~ 1 | Subject', correlation: 'corBogus()' })).rejects.toThrow(/unknown correlation structure 'corBogus'/);
    await expect(lme('distance ~ age', o(), { random: '~ 1 | Subject', weights: 'varPower(form = ~ 1)' })).rejects.toThrow(/needs a covariate/);
    await expect(lme('distance ~ age', o(), { random: '~ 1 | Subject', weights: 'varPower(form = ~ fitted(x))' })).rejects.toThrow(/written fitted\(\.\)/);
    await expect(lme('distance ~ age', o(), { random: '~ 1 | Subject', correlation: 'corAR1(form = ~ fitted(.) | Subject)' })).rejects.toThrow(/covariate of variance functions only/);
    await expect(lme('distance ~ age', o(), { random: '~ 1 | Subject', method: 'OLS' as never })).rejects.toThrow(/method must be 'REML' or 'ML'/);
    await expect(lme('distance ~ age', o(), { random: '~ 1 | Subject/Subject' })).rejects.toThrow(ModelError);
    await expect(lme('distance ~ age', o(), {})).rejects.toThrow(/no random effects/);
  });
  it('refuses corARMA without orders, with an order above the largest lag, and with non-integer times', async () => {
    await expect(lme('distance ~ age', o(), { random: '~ 1 | Subject', correlation: 'corARMA(form = ~ 1 | Subject)' })).rejects.toThrow(/at least one of p and q/);
    await expect(lme('distance ~ age', o(), { random: '~ 1 | Subject', correlation: 'corARMA(form = ~ 1 | Subject, p = 4)' })).rejects.toThrow(/order \(4, 0\) exceeds the maximum lag in the data \(3\)/);
    await expect(lme('distance ~ age', o(), { random: '~ 1 | Subject', correlation: 'corARMA(form = ~ age | Subject, p = 1.5)' })).rejects.toThrow(/p = 1.5 must be a non-negative integer/);
    await expect(lme('distance ~ age', o(), { random: '~ 1 | Subject', correlation: 'corARMA(form = ~ age | Subject, p = 1, value = 1.2)' })).rejects.toThrow(OptionError);
  });
  it('refuses a correlation group that is not nested in the random-effects groups', async () => {
    await expect(lme('distance ~ age', o(), { random: '~ 1 | Subject', correlation: 'corCompSymm(form = ~ 1 | Sex)' })).rejects.toThrow(/not nested in the random effects' groups 'Subject'/);
  });
  it('names a missing covariate column', async () => {
    await expect(lme('distance ~ age', o(), { random: '~ 1 | Subject', weights: 'varExp(form = ~ height)' })).rejects.toThrow(/the column 'height' is not in the data/);
    await expect(lme('distance ~ age', o(), { random: '~ 1 | Subject', weights: 'varExp(form = ~ height)' })).rejects.toThrow(DataError);
  });
  it('refuses a varIdent stratum with one row', async () => {
    const rows = [{ y: 1, x: 1, g: 'a', s: 'u' }, { y: 2, x: 2, g: 'a', s: 'u' }, { y: 3, x: 3, g: 'b', s: 'u' }, { y: 2, x: 1, g: 'b', s: 'v' }, { y: 5, x: 2, g: 'c', s: 'u' }, { y: 4, x: 3, g: 'c', s: 'u' }];
    await expect(lme('y ~ x', rows, { random: '~ 1 | g', weights: 'varIdent(form = ~ 1 | s)' })).rejects.toThrow(/the stratum 'v' of 's' has one row/);
  });
  it('refuses duplicate times within a group for corCAR1 and non-integer times for corAR1', async () => {
    const rows = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => ({ y: (i * 7) % 5, t: i <= 4 ? [1, 2, 2, 3][i - 1] : i + 0.5, g: i <= 4 ? 'a' : 'b' }));
    await expect(lme('y ~ t', rows, { random: '~ 1 | g', correlation: 'corCAR1(form = ~ t | g)' })).rejects.toThrow(/the value 2 twice in one group/);
    const rows2 = rows.map((r, i) => ({ ...r, t: i + 0.5 }));
    await expect(lme('y ~ t', rows2, { random: '~ 1 | g', correlation: 'corAR1(form = ~ t | g)' })).rejects.toThrow(/must be integer valued/);
  });
  it('refuses two rows at one position for a spatial correlation, and a metric it does not know', async () => {
    const rows = [1, 2, 3, 4, 5, 6].map((i) => ({ y: (i * 7) % 5, x: i === 2 ? 1 : i, z: i === 2 ? 2 : 2 * i }));
    await expect(gls('y ~ 1', rows, { correlation: 'corExp(form = ~ x + z)' })).rejects.toThrow(/rows 1 and 2 are at the same position/);
    await expect(gls('y ~ 1', rows, { correlation: 'corGaus(form = ~ x, metric = "haversine")' })).rejects.toThrow(/metric must be one of/);
  });
  it('refuses a non-positive varFixed covariate and a bad level', async () => {
    const rows = [1, 2, 3, 4, 5, 6].map((i) => ({ y: i % 3, x: i - 2, g: i <= 3 ? 'a' : 'b' }));
    await expect(lme('y ~ 1', rows, { random: '~ 1 | g', weights: 'varFixed(~ x)' })).rejects.toThrow(/must be positive, got -1/);
    const fit = await lme('distance ~ age', o(), { random: '~ 1 | Subject' });
    expect(() => fit.fitted(2 as never)).toThrow(OptionError);
    expect(() => fit.residuals({ type: 'deviance' as never })).toThrow(/type must be/);
  });
});
