/**
 * nlme's lme with several nested levels of grouping (`~ 1 | Block/Variety`, `list(Dog = ~ day, Side = ~ 1)`)
 * and pdMat classes (the per-case suites: test/helpers/nlmeNestedCases.ts) for a level's Ψ (pdDiag, pdIdent, pdCompSymm, pdBlocked: their printout and their intervals() on
 * nlme's natural scale, `std. dev` and `corr.` for pdCompSymm) against nlme 3.1-162
 * (test/oracle/nlme3.R → test/fixtures/nlme/*.json; data in test/fixtures/data).
 *
 * The two levels and tolerances of test/nlme.test.ts:
 *  - the criterion at nlme's estimates (θ the Cholesky factor of each level's Ψ/σ², the structures'
 *    parameters in nlme's unconstrained parametrization): our log-likelihood equals nlme's to 1e-8 relative;
 *  - our own optimum: logLik within 1e-6 relative of nlme's (or above it), β and SEs within 1e-4
 *    relative, σ, each level's SDs (and correlations, absolute 1e-3) and the structures' parameters within
 *    1e-3 relative, nlme's DF exactly, p-values within 1e-3 relative; fitted values, residuals (response
 *    at every level, pearson, normalized) and predictions within 1e-4 of the response's scale (the
 *    innermost residuals 1e-3), ranef within 1e-3 of its largest value; intervals() within 1e-3
 *    relative of nlme's (computed with fdHess's step 1e-4, see below); the printout's fixed lines as nlme's.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectAnovaAsNlme, expectRel, nlmeData, nlmeFixture } from './helpers/nlmeChecks.js';
import { nestedCaseSuites } from './helpers/nlmeNestedCases.js';
import { ModelError, OptionError } from '../src/errors/errors.js';
import { lme } from '../src/nlme/lme.js';
import { fixedEffectsDFLevels } from '../src/nlme/fixDF.js';
import { randomLevels } from '../src/nlme/randomSpec.js';
import { anovaLme } from '../src/nlme/anova.js';
import { runMain } from './helpers/cliEngines.js';

const fixture = nlmeFixture;
const data = nlmeData();

const CASES = ['oats_nested_reml', 'oats_nested_ml', 'pixel_list', 'oats_nested_ar1', 'oats_nested_varident_ml', 'ortho_pddiag', 'machines_pdcompsymm', 'machines_pdident',
  'pixel_pddiag_nested', 'oats_pdident_inner', 'schools3_nested', 'oats_pdblocked', 'pixel_pdblocked'];

nestedCaseSuites(CASES, data);

describe('nlme\'s getFixDF for several levels', () => {
  it('each column gets the DF of the innermost level within whose groups it varies', () => {
    // 2 outer groups × 2 inner groups × 3 rows: a column constant in the outer groups, one constant in
    // the inner groups, one varying within the inner groups
    const n = 12;
    const outer = Int32Array.from({ length: n }, (_, i) => (i < 6 ? 0 : 1));
    const inner = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 3));
    const X = new Float64Array(4 * n);
    for (let i = 0; i < n; i++) { X[i] = 1; X[n + i] = outer[i]; X[2 * n + i] = inner[i] % 2; X[3 * n + i] = i % 3; }
    // strata: outer 2 − 1 (intercept) − 1 = 0, inner 4 − 2 − 1 = 1, residual 12 − 4 − 1 = 7; the intercept max
    expect(fixedEffectsDFLevels(X, n, 4, [{ codes: outer, M: 2 }, { codes: inner, M: 4 }])).toEqual([7, 0, 1, 7]);
    // without an intercept, the strata below the first gain 1
    expect(fixedEffectsDFLevels(X.subarray(n), n, 3, [{ codes: outer, M: 2 }, { codes: inner, M: 4 }])).toEqual([1, 2, 8]);
  });
});

describe('nested random effects: the forms and bad input', () => {
  it('reads ~ lhs | A/B/C and the named list, outermost first, the inner factors as interactions', () => {
    const l = randomLevels('~ age | School/Class/Pupil');
    expect(l.map((x) => [x.name, x.group, x.label, x.lhs])).toEqual([
      ['School', 'School', 'School', 'age'], ['Class', 'School:Class', 'Class %in% School', 'age'],
      ['Pupil', 'School:Class:Pupil', 'Pupil %in% Class %in% School', 'age']]);
    const m = randomLevels('list(Dog = ~ day, Side = pdDiag(~ 1))');
    expect(m.map((x) => [x.name, x.group, x.lhs, x.pd])).toEqual([['Dog', 'Dog', 'day', 'pdLogChol'], ['Side', 'Dog:Side', '1', 'pdDiag']]);
  });
  it('the list form and the formula form fit the same model', async () => {
    const a = await lme('yield ~ nitro', data('Oats'), { random: '~ 1 | Block/Variety' });
    const b = await lme('yield ~ nitro', data('Oats'), { random: 'list(Block = ~ 1, Variety = ~ 1)' });
    expectRel(a.logLik, b.logLik, 1e-10, 'logLik');
    expect(b.summary()).toBe(a.summary());
  });
  it('refuses bad forms, levels and correlation groups that cross the innermost groups, naming them', async () => {
    const o = data('Oats');
    await expect(lme('yield ~ nitro', o, { random: 'pdDiag(~ nitro)' })).rejects.toThrow(/needs its grouping variable, as nlme's named list: list\(Subject = pdDiag/);
    await expect(lme('yield ~ nitro', o, { random: 'list(~ 1)' })).rejects.toThrow(OptionError);
    await expect(lme('yield ~ nitro', o, { random: 'list(Block = ~ 1 | Variety)' })).rejects.toThrow(/must be a one-sided formula without grouping/);
    await expect(lme('yield ~ nitro', o, { random: 'list(Block = pdFoo(~ 1))' })).rejects.toThrow(/unknown pdMat class 'pdFoo'/);
    await expect(lme('yield ~ nitro', o, { random: '~ 1 | Block/Block' })).rejects.toThrow(/'Block' appears twice/);
    await expect(lme('yield ~ nitro', o, { random: '~ 1 | Block/Plot' })).rejects.toThrow(/Plot/);
    await expect(lme('yield ~ nitro', o, { random: '~ 1 | Block/Variety', correlation: 'corAR1(form = ~ 1 | Block)' })).rejects.toThrow(/not nested in the random effects' groups 'Variety %in% Block'/);
    await expect(lme('yield ~ nitro + (1 | Block) + (1 | Variety)', o, {})).rejects.toThrow(ModelError);
    await expect(lme('yield ~ nitro', o, { random: 'list(Block = pdCompSymm(~ 1))' })).rejects.toThrow(/pdCompSymm\(~ 1\) of the level 'Block' has one column/);
    const fit = await lme('yield ~ nitro', o, { random: '~ 1 | Block/Variety' });
    expect(() => fit.fitted(3)).toThrow(/level must be an integer from 0 to 2/);
    expect(() => fit.predict([{ Block: 'I', Variety: 'Victory', nitro: 0 }], 1.5)).toThrow(OptionError);
  });
  it('the correlation\'s default group is the innermost level: corAR1() is corAR1(form = ~ 1 | Block/Variety)', async () => {
    const f = fixture('oats_nested_ar1');
    const a = await lme('yield ~ nitro', data('Oats'), { random: '~ 1 | Block/Variety', correlation: 'corAR1()' });
    expectRel(a.logLik, Math.max(f.logLik, f.logLikTight), 1e-6, 'logLik');
    expect(a.summary().split('\n')).toContain(' Formula: ~1 | Block/Variety ');
  });
});

describe('nested lme: anova (nlme\'s likelihood-ratio table)', () => {
  it('one level against two (ML): df, logLik, AIC, L.Ratio and p as nlme\'s', async () => {
    const a = fixture('anova_oats_nested');
    const o = data('Oats');
    const f1 = await lme('yield ~ nitro', o, { random: '~ 1 | Block', method: 'ML' });
    const f2 = await lme('yield ~ nitro', o, { random: '~ 1 | Block/Variety', method: 'ML' });
    expectAnovaAsNlme(anovaLme([f1, f2], ['a1', 'a2']), a);
  });
});

describe('mixedgpu lme --random with nested levels and pdMat classes', () => {
  const csv = (f: string) => join(import.meta.dirname, 'fixtures', 'data', f);
  it('~ 1 | Block/Variety with --intervals: nlme\'s group lines and every level\'s intervals', async () => {
    const f = fixture('oats_nested_reml');
    const out = await runMain(['lme', csv('Oats.csv'), f.ours.fixed, '--random', f.ours.random, '--intervals']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const lines = out.stdout.split('\n');
    for (const l of [' Formula: ~1 | Block', ' Formula: ~1 | Variety %in% Block', 'Number of Groups: ', '             Block Variety %in% Block ', '                 6                 18 ', '  Level: Block ', '  Level: Variety ']) {
      expect(lines, l).toContain(l);
    }
  });
  it('the named list with a pdMat class, as JSON: logLik, the levels, the groups', async () => {
    const f = fixture('machines_pdcompsymm');
    const out = await runMain(['lme', csv('Machines.csv'), f.ours.fixed, '--random', f.ours.random, '--json']);
    expect(out.code).toBe(0);
    const j = JSON.parse(out.stdout);
    expectRel(j.logLik, f.logLik, 1e-6, 'logLik');
    expect(j.call.random).toBe('list(Worker = pdCompSymm(~Machine - 1))');
    expect(j.groups).toEqual({ Worker: 6 });
    expect(j.varCorrLevels[0].pd).toBe('pdCompSymm');
  });
  it('refuses a bad form with exit code 1 and the reason', async () => {
    const out = await runMain(['lme', csv('Oats.csv'), 'yield ~ nitro', '--random', 'list(Block = pdNatural(pdDiag(~ 1)))']);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/a pdMat class inside another/);
    const b = await runMain(['lme', csv('Oats.csv'), 'yield ~ nitro', '--random', 'list(Block = pdBlocked(~ 1))']);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/pdBlocked takes a list of pdMat classes or formulas/);
  });
});
