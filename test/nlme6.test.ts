/**
 * nlme's pdSymm and pdNatural (a general Ψ in nlme's other parametrizations), corNatural (corSymm's general
 * correlation in the natural parametrization) and nested levels with a variance covariate of the fitted
 * values (varPower(), varComb(varIdent, varPower())) against nlme 3.1-162 (test/oracle/nlme6.R →
 * test/fixtures/nlme/*.json; data in test/fixtures/data).
 *
 * The lme cases: test/helpers/nlmeNestedCases.ts's suites, at test/nlme3.test.ts's tolerances (the
 * criterion at nlme's estimates to 1e-8 relative; our optimum's logLik within 1e-6 relative of nlme's or
 * above it, β and SEs 1e-4, σ, SDs, correlations and the structures 1e-3, fitted values and residuals 1e-4
 * of the response's scale, intervals() 1e-3 relative of nlme's at fdHess's step 1e-4, or, where nlme's
 * depend on its step (INTERVALS_OURS), ours stable). The fitted(.) cases'
 * records are the fixed point of nlme's own fits (nlme_common.R's fixedPoint). nlme 3.1-162 cannot print a
 * corNatural fit's summary (print.summary.corNatural stops with "$ operator is invalid for atomic
 * vectors" after the structure's first lines): our printout's lines are checked against nlme's up to there,
 * and the correlation matrix against nlme's printout of the same fit with corSymm (test/oracle/nlme4.R), which
 * print.summary.corNatural's code prints alike.
 * The gls cases with corNatural: test/nlme4.test.ts's checks of corSymm (the criterion at nlme's estimates
 * 1e-8; the fit; intervals() within 1e-3 of nlme's at .relStep = 1e-4, and stable when our step is doubled).
 */
import { describe, expect, it } from 'vitest';
import { expectAnovaAsNlme, expectIntervalsAsNlme, expectIntervalsStable, expectNlmeFixedFit, expectRel, expectStructBlock, expectVec, nlmeData, nlmeFixture, psiOf } from './helpers/nlmeChecks.js';
import { nestedCaseSuites } from './helpers/nlmeNestedCases.js';
import { ModelError, OptionError } from '../src/errors/errors.js';
import { lme } from '../src/nlme/lme.js';
import { buildGls, evaluateGls, gls } from '../src/nlme/gls.js';
import { anovaLme } from '../src/nlme/anova.js';
import { naturalCorrelations } from '../src/nlme/corNatural.js';
import { symmCorrelations, symmUnconstrained } from '../src/nlme/corSymm.js';

const fixture = nlmeFixture;
const data = nlmeData();

/**
 * intervals() checked by their stability (our ends move by < 1e-4 from step 1e-4 to 2e-3) where nlme's fdHess
 * depends on its step: the power of varPower() of the fitted values, collinear with log σ (log g_i = power ×
 * log μ_i, Oats' μ ≈ 100): on oats_nested_varpower nlme's SE of the power is 0.461, 0.422, 0.253, 0.094 at
 * .relStep 1e-5, 1e-4, 1e-3, 1e-2 (ours 0.471), its lower end −0.728 at its default step and −0.637 at 1e-4
 * (ours −0.734); oats_nested_varcomb's power −0.628 and −0.531 (ours −0.655); schools3_varpower_ml's −0.324
 * and −0.3370 (ours −0.3376); and ends near 0, whose relative error is the natural scale's magnified:
 * ortho_pdnatural_ml's cor upper end −0.08558 and −0.08573 (ours −0.08608: 7e-4 on the natural scale, whose
 * half-width is 1.8), oats_block_natural's cor(1,2) lower end −0.04913 at 1e-4 (ours −0.04919).
 */
const INTERVALS_OURS = ['ortho_pdnatural_ml', 'oats_nested_varpower', 'schools3_varpower_ml', 'oats_nested_varcomb', 'oats_block_natural'];
nestedCaseSuites(['ortho_pdsymm', 'ortho_pdnatural_ml', 'pixel_pdnatural_nested', 'pixel_pdblocked_natural',
  'oats_nested_varpower', 'schools3_varpower_ml', 'oats_nested_varcomb', 'oats_block_natural'], data, INTERVALS_OURS);

/** each corNatural gls case and nlme4.R's record of the same model with corSymm */
const GLS_NATURAL: [string, string][] = [['gls_natural_varident', 'gls_symm_varident'], ['gls_natural_occasion_ml', 'gls_symm_occasion_ml']];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const glsOptions = (f: any) => ({ weights: f.ours.weights, correlation: f.ours.correlation, method: f.method, dataName: 'd' });
/** nlme's printout of a corNatural fit: its lines up to where print.summary.corNatural stops */
const beforeError = (f: { print: string; printError: string }): string[] => {
  expect(f.printError).toMatch(/\$ operator is invalid for atomic vectors/);
  return f.print.split('\n');
};

describe('gls with corNatural against nlme 3.1-162', () => {
  for (const [name, symm] of GLS_NATURAL) {
    it(`${name}: the criterion at nlme's estimates (1e-8), the fit, the printout, intervals()`, async () => {
      const f = fixture(name);
      const { frame, rc } = buildGls(f.ours.model, data(f.data), glsOptions(f));
      expectRel(-evaluateGls(frame, rc, psiOf(f), f.method === 'REML').criterion / 2, f.logLik, 1e-8, 'logLik at nlme\'s estimates');
      const fit = await gls(f.ours.model, data(f.data), glsOptions(f));
      expectNlmeFixedFit(fit, f);
      expectRel(fit.sigma, f.sigma, 1e-3, 'σ');
      ([] as number[]).concat(f.corStruct.constrained).forEach((v, k) => expectRel(fit.corStruct!.values[k], v, 1e-3, `correlation ${fit.corStruct!.names[k]}`, 1e-3));
      if (f.varStruct) fit.varStruct!.names.forEach((nm, k) => expectRel(fit.varStruct!.values[k], f.varStruct.constrained[nm], 1e-3, `varStruct ${nm}`, 1e-3));
      expectVec(fit.fitted(), f.fitted, 1e-4, 'fitted');
      expectVec(fit.residuals({ type: 'normalized' }), f.normalized, 1e-3, 'normalized residuals');
      // the same model as corSymm's: the same maximum
      const s = fixture(symm);
      expectRel(fit.logLik, Math.max(s.logLik, s.logLikTight ?? -Infinity), 1e-6, 'logLik as corSymm\'s');
      // the printout: nlme's lines before its error, the structure block as nlme prints corSymm's
      const mine = fit.summary().split('\n');
      const theirs = beforeError(f);
      const at = mine.indexOf('Correlation Structure: General');
      expect(mine.slice(at, at + 3)).toEqual(theirs.slice(theirs.length - 3));
      for (const l of theirs.slice(0, 3)) expect(mine).toContain(l);
      expectStructBlock(mine, (s.print as string).split('\n'));
      // intervals: on the correlations' natural scale (corNatural's own parameters), as nlme's
      const iv = fit.intervals();
      expectIntervalsAsNlme(iv, f.intervalsStep4, { names: true });
      expectIntervalsStable(iv, fit.intervals(0.95, 2e-3));
    });
  }
});

describe('corNatural: the parametrization and bad input', () => {
  it('ρ = tanh(x/2) = (eˣ − 1)/(eˣ + 1) of each parameter; nlme\'s estimates map to its correlations', () => {
    expectVec(naturalCorrelations([0, Math.log(3), -Math.log(3)]), [0, 0.5, -0.5], 1e-15, 'ρ');
    for (const [name] of GLS_NATURAL) {
      const f = fixture(name);
      expectVec(naturalCorrelations(f.corStruct.unconstrained), f.corStruct.constrained, 1e-12, `${name}'s correlations`);
    }
    // the same correlations as corSymm's spherical parameters give
    const rho = [0.6, 0.4, 0.2, 0.5, 0.3, 0.7];
    expectVec(naturalCorrelations(rho.map((r) => Math.log((1 + r) / (1 - r)))), Array.from(symmCorrelations(symmUnconstrained(rho, 4)!, 4)), 1e-12, 'as corSymm');
  });
  it('a parameter vector whose correlations are not positive definite: the criterion is not finite', () => {
    const f = fixture('gls_natural_occasion_ml');
    const { frame, rc } = buildGls(f.ours.model, data(f.data), glsOptions(f));
    // ρ12 = ρ13 = 0.9, ρ23 = −0.9: each in (−1, 1), the matrix indefinite
    const x = Float64Array.from([0.9, 0.9, 0, -0.9, 0, 0], (r) => Math.log((1 + r) / (1 - r)));
    expect(Number.isFinite(evaluateGls(frame, rc, x, false).criterion)).toBe(false);
  });
  it('refuses initial values of the wrong size, outside (−1, 1) or not positive definite, and positions that are not 1..K', async () => {
    const o = data('Orthodont');
    await expect(gls('distance ~ age', o, { correlation: 'corNatural(form = ~ 1 | Subject, value = c(0.5, 0.2))' })).rejects.toThrow(/value must give the 6 correlations of 4 positions/);
    await expect(gls('distance ~ age', o, { correlation: 'corNatural(form = ~ 1 | Subject, value = c(0.5, 0.2, 0.1, 0.3, 1.2, 0))' })).rejects.toThrow(/between -1 and 1/);
    await expect(gls('distance ~ age', o, { correlation: 'corNatural(form = ~ 1 | Subject, value = c(0.9, 0.9, 0, -0.9, 0, 0))' })).rejects.toThrow(/do not form a positive-definite matrix/);
    await expect(gls('distance ~ age', o, { correlation: 'corNatural(form = ~ age | Subject)' })).rejects.toThrow(ModelError);
    await expect(gls('distance ~ age', o, { correlation: 'corNatural(form = ~ age | Subject)' })).rejects.toThrow(/the values of 'age' must be the consecutive integers 1\.\.14 \(nlme's rule\), but 1 does not occur/);
    await expect(gls('distance ~ age', o, { correlation: 'corNatural(form = ~ 1 | Subject, p = 2)' })).rejects.toThrow(OptionError);
  });
  it('starts at the given correlations: the same fit as from the identity', async () => {
    const f = fixture('gls_natural_occasion_ml');
    const a = await gls(f.ours.model, data(f.data), { ...glsOptions(f), correlation: 'corNatural(form = ~ occasion | Subject, value = c(0.5, 0.5, 0.5, 0.5, 0.5, 0.5))' });
    expectRel(a.logLik, f.logLik, 1e-6, 'logLik');
  });
});

describe('pdSymm and pdNatural: the model of the general Ψ, their own names', () => {
  it('the same fit as pdLogChol\'s (nlme\'s default), nlme\'s structure line and random text', async () => {
    const f = fixture('ortho_pdsymm');
    const o = data('Orthodont');
    const general = await lme(f.ours.fixed, o, { random: '~ age | Subject' });
    const symm = await lme(f.ours.fixed, o, { random: f.ours.random });
    const natural = await lme(f.ours.fixed, o, { random: 'list(Subject = pdNatural(~ age))' });
    for (const fit of [symm, natural]) {
      expectRel(fit.logLik, general.logLik, 1e-10, 'logLik');
      expectVec(fit.theta, Array.from(general.theta), 1e-12, 'θ');
    }
    expect(symm.randomText).toBe('list(Subject = pdSymm(~age))');
    expect(natural.randomText).toBe('list(Subject = pdNatural(~age))');
    expect(symm.summary().split('\n')).toContain(' Structure: General positive-definite');
    expect(natural.summary().split('\n')).toContain(' Structure: General positive-definite, Natural parametrization');
    expect(natural.toJSON().varCorrLevels).toBeDefined();
    // intervals() on the same natural scale (nlme's lmeApVar turns every pdSymm into a pdNatural)
    expectVec(natural.intervals().reStruct!.lower, general.intervals().reStruct!.lower, 1e-8, 'intervals');
  });
  it('inside pdBlocked: the random text keeps the class as written', async () => {
    const f = fixture('pixel_pdblocked_natural');
    const fit = await lme(f.ours.fixed, data(f.data), { random: f.ours.random });
    expect(fit.randomText).toBe('list(Dog = pdBlocked(list(pdNatural(~day), pdIdent(~Side - 1))))');
    const plain = await lme(f.ours.fixed, data(f.data), { random: 'list(Dog = pdBlocked(list(~ day, pdIdent(~ Side - 1))))' });
    expect(plain.randomText).toBe('list(Dog = pdBlocked(list(~day, pdIdent(~Side - 1))))');
  });
  it('anova: pdDiag against pdSymm (ML), nlme\'s likelihood-ratio table', async () => {
    const o = data('Orthodont');
    const f1 = await lme('distance ~ age', o, { random: 'list(Subject = pdDiag(~ age))', method: 'ML' });
    const f2 = await lme('distance ~ age', o, { random: 'list(Subject = pdSymm(~ age))', method: 'ML' });
    expectAnovaAsNlme(anovaLme([f1, f2], ['a1', 'a2']), fixture('anova_pdsymm'));
  });
  it('refuses a class inside pdSymm or pdNatural and an unknown class, naming them', async () => {
    const o = data('Orthodont');
    await expect(lme('distance ~ age', o, { random: 'list(Subject = pdSymm(pdDiag(~ age)))' })).rejects.toThrow(/a pdMat class inside another/);
    await expect(lme('distance ~ age', o, { random: 'list(Subject = pdNaturel(~ age))' })).rejects.toThrow(/unknown pdMat class 'pdNaturel'.*pdSymm, pdNatural/);
  });
});
