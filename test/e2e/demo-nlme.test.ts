/**
 * The browser app's nlme fits in Node (no browser): the model form's "Residual variance" and "Residual
 * correlation" boxes send nlme's weights and correlation; the worker fits lme (the formula's `(1 | g)`) or
 * gls (no random-effects term) and the page's view is the library's fit of the same call — nlme's summary
 * printout and the fixed-effects table exactly (the same code on the same data) — and nlme 3.1-162's numbers
 * (test/fixtures/nlme/, test/oracle/nlme.R) at test/nlme.test.ts's tolerances: logLik, AIC, BIC 1e-6 relative,
 * β and SEs 1e-4 relative, nlme's DF exactly, σ and the variance function's estimates 1e-3 relative, the
 * printout's fixed lines nlme's. Also the boxes' checks before fitting, where the worker's errors go, and the
 * address's `varf` and `corr`. Data: nlme's Orthodont (test/fixtures/data/Orthodont.csv).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { gls, lme, readCsv } from '../../src/index.js';
import { describeNlme, isNlmeRequest, nlmeBoxProblem, runNlme, splitLmeFormula } from '../../demo/src/nlme.js';
import { nlmeHeadline } from '../../demo/src/nlmeView.js';
import { PlacedError } from '../../demo/src/fitting.js';
import { FIT_REPLIES } from '../../demo/src/requests.js';
import { readUrlState, writeUrlState } from '../../demo/src/urlState.js';
import type { FitRequest } from '../../demo/src/protocol.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ortho = readCsv(readFileSync(`${ROOT}test/fixtures/data/Orthodont.csv`, 'utf8')).table;
const fixture = (name: string) => JSON.parse(readFileSync(`${ROOT}test/fixtures/nlme/${name}.json`, 'utf8')) as {
  logLik: number; AIC: number; BIC: number; sigma: number; print: string;
  fixef: { names: string[]; Value: number[]; 'Std.Error': number[]; DF?: number[] }; varStruct: { constrained: Record<string, number> } | null;
};
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const request = (over: Partial<FitRequest>): FitRequest => ({ formula: '', factors: [], reml: true, backend: 'cpu', family: 'gaussian', dataName: 'd.csv', ...over });

describe('nlme fits (worker logic)', () => {
  test('lme with varIdent: the library\'s fit and printout, nlme\'s numbers', async () => {
    const req = request({ formula: 'distance ~ age + (1 | Subject)', nlmeWeights: 'varIdent(form = ~ 1 | Sex)' });
    expect(isNlmeRequest(req)).toBe(true);
    const { fit, fn } = await runNlme(ortho, req);
    expect(fn).toBe('lme');
    const r = describeNlme(fit, fn, req, 1);
    // the worker passes the formula's (1 | Subject) as nlme's random (its printout then names the fixed part only)
    const lib = await lme('distance ~ age', ortho, { random: '~ 1 | Subject', weights: 'varIdent(form = ~ 1 | Sex)', method: 'REML', dataName: 'd' });
    expect(r.summary).toBe(lib.summary());
    expect(r.tTable).toEqual(lib.tTable);
    expect([r.logLik, r.sigma]).toEqual([lib.logLik, lib.sigma]);
    const f = fixture('ortho_varident_reml');
    for (const [a, b] of [[r.logLik, f.logLik], [r.AIC, f.AIC], [r.BIC, f.BIC]] as const) expect(rel(a, b)).toBeLessThan(1e-6);
    r.tTable.forEach((t, j) => {
      expect(t.name).toBe(f.fixef.names[j]);
      expect(rel(t.Value, f.fixef.Value[j]!)).toBeLessThan(1e-4);
      expect(rel(t.StdError, f.fixef['Std.Error'][j]!)).toBeLessThan(1e-4);
      expect(t.DF).toBe(f.fixef.DF![j]);
    });
    expect(rel(r.sigma, f.sigma)).toBeLessThan(1e-3);
    expect(r.varStruct!.names).toEqual(['Female', 'Male']);
    expect(rel(r.varStruct!.values[1]!, f.varStruct!.constrained.Male!)).toBeLessThan(1e-3);
    expect(r.stdDev.map((s) => s.name)).toEqual(['(Intercept)', 'Residual']);
    expect(r.group).toEqual({ name: 'Subject', levels: 27 });
    const mine = r.summary.split('\n');
    for (const l of f.print.split('\n').filter((x) => /^( Formula:| Structure:|Linear mixed|Number of|Fixed effects:|Variance function:|Random effects:)/.test(x))) expect(mine).toContain(l);
    expect(nlmeHeadline(r)).toBe('nlme\'s lme (random effects by Subject), REML: weights = varIdent(form = ~ 1 | Sex)');
  }, 120_000);

  test('gls with corCompSymm (no random-effects term), ML', async () => {
    const req = request({ formula: 'distance ~ age + Sex', reml: false, nlmeCorrelation: 'corCompSymm(form = ~ 1 | Subject)' });
    const { fit, fn } = await runNlme(ortho, req);
    expect(fn).toBe('gls');
    const r = describeNlme(fit, fn, req, 1);
    const lib = await gls('distance ~ age + Sex', ortho, { correlation: 'corCompSymm(form = ~ 1 | Subject)', method: 'ML', dataName: 'd' });
    expect(r.summary).toBe(lib.summary());
    expect(r.tTable).toEqual(lib.tTable);
    const f = fixture('gls_cs_ml');
    expect(rel(r.logLik, f.logLik)).toBeLessThan(1e-6);
    r.tTable.forEach((t, j) => {
      expect(rel(t.Value, f.fixef.Value[j]!)).toBeLessThan(1e-4);
      expect(rel(t.StdError, f.fixef['Std.Error'][j]!)).toBeLessThan(1e-4);
    });
    expect(r.group).toBeNull();
    expect(r.stdDev).toEqual([]);
    expect(r.corStruct!.structure).toBe('Compound symmetry');
    expect(r.method).toBe('ML');
  }, 120_000);

  test('the formula\'s lme4 term as nlme\'s random', () => {
    expect(splitLmeFormula('distance ~ age + (1 | Subject)')).toEqual({ fixed: 'distance ~ age', random: ['~ 1 | Subject'] });
    expect(splitLmeFormula('distance ~ (age|Subject) + age*Sex')).toEqual({ fixed: 'distance ~ age*Sex', random: ['~ age | Subject'] });
    expect(splitLmeFormula('y ~ (1 | g)')).toEqual({ fixed: 'y ~ 1', random: ['~ 1 | g'] });
    expect(splitLmeFormula('log(y) ~ poly(x, 2) + (1 + x | g)')).toEqual({ fixed: 'log(y) ~ poly(x, 2)', random: ['~ 1 + x | g'] });
  });

  test('the boxes\' checks, the worker\'s errors, the generation gate, the address', async () => {
    expect(isNlmeRequest(request({ formula: 'y ~ x + (1 | g)' }))).toBe(false);
    expect(isNlmeRequest(request({ formula: 'y ~ x + (1 | g)', nlmeWeights: '  ' }))).toBe(false);
    expect(isNlmeRequest(request({ family: 'poisson', nlmeWeights: 'varPower()' }))).toBe(false);
    expect(nlmeBoxProblem('weights', 'varIdent(form = ~ 1 | Sex)')).toBeNull();
    expect(nlmeBoxProblem('weights', 'corAR1()')).toMatch(/^Residual variance: 'corAR1\(\)' is not one of nlme's variance functions/);
    expect(nlmeBoxProblem('correlation', 'corIdent(form = ~ 1 | Subject)')).toMatch(/^Residual correlation: 'corIdent\(form = ~ 1 \| Subject\)' is not one of/);
    expect(nlmeBoxProblem('correlation', 'corNatural(form = ~ 1 | Subject)')).toBeNull();
    expect(nlmeBoxProblem('correlation', 'corSymm(form = ~ 1 | Subject)')).toBeNull();
    expect(nlmeBoxProblem('correlation', 'corSpher(form = ~ x + y, nugget = TRUE)')).toBeNull();
    expect(nlmeBoxProblem('weights', 'varComb(varIdent(form = ~ 1 | Sex), varPower())')).toBeNull();
    expect(nlmeBoxProblem('correlation', 'corARMA(form = ~ 1 | Mare, p = 1, q = 1)')).toBeNull();
    const bad = await runNlme(ortho, request({ formula: 'distance ~ age + (1 | Subject)', nlmeWeights: 'varIdent(form = ~ 1 | Sexx)' })).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(PlacedError);
    expect((bad as PlacedError).where).toBe('options');
    expect((bad as Error).message).toMatch(/Sexx/);
    const two = await runNlme(ortho, request({ formula: 'distance ~ age + (1 | Subject) + (1 | Sex)', nlmeWeights: 'varPower()' })).catch((e: unknown) => e);
    expect((two as Error).message).toMatch(/one level of grouping/);
    // a late nlme fit is dropped by the page as the other fits' replies are
    expect(FIT_REPLIES.has('nlmeFitted')).toBe(true);
    const s = { example: 'sleepstudy' as const, formula: 'Reaction ~ Days + (1 | Subject)', family: 'gaussian' as const, nlmeWeights: 'varPower(form = ~ Days)', nlmeCorrelation: 'corAR1(form = ~ 1 | Subject)', fit: true };
    const q = writeUrlState(s);
    expect(readUrlState(`?${q}`)).toMatchObject({ nlmeWeights: 'varPower(form = ~ Days)', nlmeCorrelation: 'corAR1(form = ~ 1 | Subject)' });
    expect(writeUrlState({ ...s, family: 'poisson' })).not.toMatch(/varf=|corr=/);
  });
});
