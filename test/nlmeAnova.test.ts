/**
 * nlme's anova(fit) of one lme or gls fit (src/nlme/anovaF.ts) and emmeans's means of lme and gls fits
 * (src/nlme/emmeans.ts) against nlme 3.1-162 and emmeans 1.8.4 (test/oracle/nlme_anova.R →
 * test/fixtures/nlme_anova/*.json; data in test/fixtures/data). Our fits are at our own optimum, which
 * here agrees with nlme's tight-control fit to ~1e-11 relative in logLik (so β and the SEs to ~1e-5; the
 * other nlme tests allow 1e-4 relative in the SEs). Tolerances:
 *  - anova: the terms, numDF and denDF exactly; F within 1e-4 relative (F ∝ (β/SE)², whose error here is
 *    ~1e-5); p within 1e-3 relative (or 1e-8 absolute, for p far below printing); the printout line by
 *    line: the same words and widths, numbers within 1e-4 relative (the last printed digit of an F may
 *    differ).
 *  - emmeans (test/helpers/nlmeEmmChecks.ts): the means, SEs, intervals, estimates and t ratios within 1e-4
 *    relative; containment's and df.error's df exactly; Satterthwaite's df within 1e-3 relative (it divides
 *    by gᵀAg, A nlme's apVar from fdHess's finite-difference Hessian, ours by Richardson's extrapolation: as
 *    intervals() there, 1e-3); p values 1e-3 relative; the printout exactly.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectRel, nlmeData } from './helpers/nlmeChecks.js';
import { type NlmeEmmCall, expectNlmeEmm } from './helpers/nlmeEmmChecks.js';
import { ModelError, OptionError } from '../src/errors/errors.js';
import { lme } from '../src/nlme/lme.js';
import { gls } from '../src/nlme/gls.js';
import type { LmeFit } from '../src/nlme/lmeFit.js';
import type { GlsFit } from '../src/nlme/glsFit.js';
import { type NlmeAnovaOptions, formatAnovaF } from '../src/nlme/anovaF.js';

const data = nlmeData({ Ovary: ['Mare'] });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fixture = (name: string): any => JSON.parse(readFileSync(`test/fixtures/nlme_anova/${name}.json`, 'utf8'));
const DATA: Record<string, string> = { orth_ri: 'Orthodont', orth_ri_ml: 'Orthodont', orth_slope: 'Orthodont', oats_nested: 'Oats', orth_varident: 'Orthodont', ovary_ar1: 'Ovary', gls_cs_varident: 'Orthodont', gls_ar1_ml: 'Orthodont', gls_plain: 'Orthodont', schools3: 'schools3', orth_noint: 'Orthodont' };

const fits = new Map<string, Promise<LmeFit | GlsFit>>();
function fitOf(name: string): Promise<LmeFit | GlsFit> {
  if (!fits.has(name)) {
    const o = fixture(name).ours;
    const common = { weights: o.weights ?? undefined, correlation: o.correlation ?? undefined, method: o.method, dataName: 'd' };
    fits.set(name, o.random
      ? lme(o.fixed, data(DATA[name]), { ...common, random: o.random, factors: name === 'oats_nested' ? ['nitro'] : [] })
      : gls(o.model, data(DATA[name]), common));
  }
  return fits.get(name)!;
}

/** the oracle's anova calls (test/oracle/nlme_anova.R) as our options */
const ANOVA: Record<string, NlmeAnovaOptions> = {
  sequential: {}, marginal: { type: 'marginal' },
  noAdjust: { adjustSigma: false }, noAdjustMarginal: { type: 'marginal', adjustSigma: false },
  adjust: { adjustSigma: true }, adjustMarginal: { type: 'marginal', adjustSigma: true },
};
const ANOVA_BY_CASE: Record<string, Record<string, NlmeAnovaOptions>> = {
  orth_ri: {
    terms: { terms: ['age', 'age:Sex'] }, termsNum: { terms: 3 }, L: { L: { age: 1, 'age:SexMale': 1 } },
    Lmat: { L: { a: [0, 1, 0, 0], b: [0, 0, 0, 1] } }, Lplain: { L: [0, 0, 1] },
  },
  oats_nested: { terms: { terms: ['nitro', 'nitro:Variety'] } },
  ovary_ar1: { L: { L: [0, 1, -1] } },
  schools3: { terms: { terms: ['x', 'x:w'] } },
  gls_cs_varident: { terms: { terms: ['Sex', 'age:Sex'] }, L: { L: { age: 1, 'age:SexMale': 1 } } },
};

/**
 * printouts line by line: the same words, numbers within `tol` relative, and the same widths where every
 * word is the same (a number one digit shorter, such as 8.13208 for 8.132085, narrows its column)
 */
function expectPrintClose(ours: string[], theirs: string[], tol: number, what: string): void {
  expect(ours.length, `${what}: lines\n${ours.join('\n')}`).toBe(theirs.length);
  const same = ours.map((l, i) => l.trim().split(/\s+/).every((w, k) => w === theirs[i].trim().split(/\s+/)[k]));
  ours.forEach((line, i) => {
    if (same.every(Boolean)) expect(line, `${what}: line ${i + 1}`).toBe(theirs[i]);
    const a = line.trim().split(/\s+/), b = theirs[i].trim().split(/\s+/);
    expect(a.length, `${what}: line ${i + 1}`).toBe(b.length);
    a.forEach((w, k) => {
      const x = Number(w), y = Number(b[k]);
      if (Number.isFinite(x) && Number.isFinite(y) && w !== b[k]) expectRel(x, y, tol, `${what}: line ${i + 1} '${line}' vs '${theirs[i]}'`);
      else expect(w, `${what}: line ${i + 1}`).toBe(b[k]);
    });
  });
}

const CASES = Object.keys(DATA);

describe('anova(fit): nlme\'s F tests of one model', () => {
  for (const name of CASES) {
    it(`${name}: the fit, its tables and printouts`, async () => {
      const f = fixture(name);
      const fit = await fitOf(name);
      expectRel(fit.logLik, f.logLik, 1e-9, 'logLik');
      if ('fixDFTerms' in fit) {
        const df = fit.fixDFTerms;
        expect(df.X).toEqual(f.fixDF.X);
        expect(df.terms).toEqual(Object.values(f.fixDF.terms));
      }
      const opts = { ...ANOVA, ...ANOVA_BY_CASE[name] };
      for (const [k, a] of Object.entries<any>(f.anova)) { // eslint-disable-line @typescript-eslint/no-explicit-any
        const what = `${name} ${k}`;
        expect(opts[k], `${what}: its options`).toBeDefined();
        const t = fit.anova(opts[k]);
        // (the oracle's JSON writes a one-row table's columns as scalars)
        for (const c of ['numDF', 'denDF', 'F', 'p', 'terms']) if (a[c] !== undefined && a[c] !== null && !Array.isArray(a[c])) a[c] = [a[c]];
        expect(t.rows.map((r) => r.numDF), what).toEqual(a.numDF);
        if (a.denDF) expect(t.rows.map((r) => r.denDF), what).toEqual(a.denDF);
        else t.rows.forEach((r) => expect(r.denDF).toBe(fit.nobs - fit.xnames.length));
        if (a.terms.length > 1 || a.terms[0] !== '1') expect(t.rows.map((r) => r.term), what).toEqual(a.terms);
        t.rows.forEach((r, i) => {
          expectRel(r.F, a.F[i], 1e-4, `${what}: F of ${r.term}`);
          expectRel(r.p, a.p[i], 1e-3, `${what}: p of ${r.term}`, 1e-8);
        });
        expectPrintClose(formatAnovaF(t).split('\n'), a.print, 1e-4, what);
      }
    });
  }
});

const EMM: Record<string, NlmeEmmCall> = {
  Sex: { specs: '~ Sex' }, Sex_pairs: { specs: '~ Sex', pairs: true }, Sex_asym: { specs: '~ Sex', options: { mode: 'asymptotic' } },
  Sex_dferror: { specs: '~ Sex', options: { mode: 'df.error' } },
  age_by: { specs: '~ Sex | age', options: { at: { age: [8, 14] } } }, age_by_pairs: { specs: '~ Sex | age', options: { at: { age: [8, 14] } }, pairs: true },
  nitro: { specs: '~ nitro' }, nitro_pairs: { specs: '~ nitro', pairs: true }, Variety: { specs: '~ Variety' }, Variety_pairs: { specs: '~ Variety', pairs: true },
  Variety_by: { specs: '~ Variety | nitro' }, overall: { specs: '~ 1' }, Sex_noAdjust: { specs: '~ Sex', options: { sigmaAdjust: false } },
};

describe('emmeans of lme and gls fits: emmeans 1.8.4\'s means, df modes and pairs', () => {
  for (const name of CASES) {
    it(`${name}: the means and contrasts`, async () => {
      const f = fixture(name);
      const fit = await fitOf(name);
      for (const [k, e] of Object.entries<any>(f.emmeans)) { // eslint-disable-line @typescript-eslint/no-explicit-any
        const what = `${name} ${k}`;
        const call = EMM[k];
        expectNlmeEmm(fit.emmeans(call.specs, call.options ?? {}), call, e, what);
      }
    });
  }
});

describe('anova(fit) and emmeans: bad input', () => {
  it('names the unknown term, the wrong L, the type, the DF that differ', async () => {
    const fit = await fitOf('orth_ri');
    expect(() => fit.anova({ terms: ['age', 'Age'] })).toThrow(/term 'Age' not matched \(the terms: \(Intercept\), age, Sex, age:Sex\)/);
    expect(() => fit.anova({ terms: 5 })).toThrow(/terms must be between 1 and 4/);
    expect(() => fit.anova({ terms: [] })).toThrow(OptionError);
    expect(() => fit.anova({ L: [0, 1, 0, 0, 1] })).toThrow(/L has 5 entries: it must have at most 4 \(the coefficients \(Intercept\), age, SexMale, age:SexMale\)/);
    expect(() => fit.anova({ L: { ages: 1 } })).toThrow(/effect 'ages' not matched/);
    expect(() => fit.anova({ L: [0, 0, 0] })).toThrow(/L has no nonzero entry/);
    expect(() => fit.anova({ L: [0, Number.NaN] })).toThrow(/each must be a finite number/);
    expect(() => fit.anova({ type: 'III' as never })).toThrow(/type must be 'sequential' or 'marginal', not "III"/);
    expect(() => fit.anova({ terms: ['Sex', 'age'] })).toThrow(ModelError);
    expect(() => fit.anova({ terms: ['Sex', 'age'] })).toThrow(/terms must all have the same denominator DF \(Sex: 25, age: 79\)/);
    expect(() => fit.anova({ L: [0, 1, 1] })).toThrow(/L may only involve fixed effects with the same denominator DF \(age: 79, SexMale: 25\)/);
    expect(() => fit.anova({ terms: 'age', L: [0, 1] })).toThrow(/give terms or L, not both/);
    expect(() => fit.anova({ type: 'marginal', terms: 'age' })).toThrow(OptionError);
    expect(() => fit.anova({ adjustSigma: 'yes' as never })).toThrow(/adjustSigma must be true or false/);
    expect(() => fit.anova({ Terms: 'age' } as never)).toThrow(/unknown anova option 'Terms'/);
  });
  it('emmeans: the mode, an unknown variable, a grouping factor', async () => {
    const m = await fitOf('orth_ri');
    const g = await fitOf('gls_cs_varident');
    expect(() => m.emmeans('~ Sex', { mode: 'satterthwaite' as never })).toThrow(/mode must be 'containment' or 'asymptotic' for an lme fit, not "satterthwaite"/);
    expect(() => g.emmeans('~ Sex', { mode: 'containment' as never })).toThrow(/mode must be 'auto', 'satterthwaite', 'df.error' or 'asymptotic' for a gls fit/);
    expect(() => m.emmeans('~ Subject')).toThrow(/'Subject' is not a variable of the model's fixed part .*it groups random effects/);
    expect(() => g.emmeans('~ sex')).toThrow(/'sex' is not a variable of the model's fixed part \(its variables: age, Sex\)/);
    expect(() => m.emmeans('~ Sex', { ddf: 'kenward-roger' } as never)).toThrow(/the df method is `mode`/);
  });
  it('Satterthwaite needs nlme\'s apVar: a gls without variance parameters falls back to df.error, as emmeans', async () => {
    const g = await fitOf('gls_plain');
    expect(g.emmeans('~ Sex', { mode: 'satterthwaite' }).ddf).toBe('df.error');
    expect(g.emmeans('~ Sex').rows.map((r) => r.df)).toEqual([105, 105]);
  });
});
