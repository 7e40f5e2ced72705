/**
 * nlme's lme with several nested levels of grouping (`~ 1 | Block/Variety`, `list(Dog = ~ day, Side = ~ 1)`)
 * and pdMat classes for a level's Ψ (pdDiag, pdIdent, pdCompSymm, pdBlocked: their printout and their intervals() on
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
import { expectNlmeFixedFit, expectRel, expectVec, nlmeData, nlmeFixture, yieldTurn } from './helpers/nlmeChecks.js';
import { ModelError, OptionError } from '../src/errors/errors.js';
import { buildLme, lme } from '../src/nlme/lme.js';
import { evaluateLme, modelRows } from '../src/nlme/objective.js';
import { fixedEffectsDFLevels } from '../src/nlme/fixDF.js';
import { randomLevels } from '../src/nlme/randomSpec.js';
import { formatIntervals } from '../src/nlme/summary.js';
import { anovaLme, formatAnova } from '../src/nlme/anova.js';
import type { LmeFit } from '../src/nlme/lmeFit.js';
import { runMain } from './helpers/cliEngines.js';

const fixture = nlmeFixture;
const data = nlmeData();

const arr = (x: number | number[]): number[] => ([] as number[]).concat(x);
function psiOf(f: { varStruct: { unconstrained: number[] | number } | null; corStruct: { unconstrained: number[] | number } | null }): Float64Array {
  return Float64Array.from([...arr(f.varStruct?.unconstrained ?? []), ...arr(f.corStruct?.unconstrained ?? [])]);
}
const options = (f: any) => ({ random: f.ours.random, weights: f.ours.weights, correlation: f.ours.correlation, method: f.method, dataName: 'd' });

/** lme4's θ of the model from nlme's Ψ/σ² per level: each level's lower Cholesky factor at its block's θ indices. */
function thetaOf(f: any, built: ReturnType<typeof buildLme>): Float64Array {
  const theta = new Float64Array(built.model.theta.length);
  built.levels.forEach((l, k) => {
    const blk = built.model.blocks[l.block];
    const M: number[][] = fixture(f.name).levels[k].relPsi.map((r: number[] | number) => arr(r));
    const q = blk.q;
    expect(M.length).toBe(q);
    const L = M.map((r) => r.map(() => 0));
    for (let j = 0; j < q; j++) {
      let d = M[j][j];
      for (let t = 0; t < j; t++) d -= L[j][t] ** 2;
      L[j][j] = Math.sqrt(d);
      for (let i = j + 1; i < q; i++) {
        let v = M[i][j];
        for (let t = 0; t < j; t++) v -= L[i][t] * L[j][t];
        L[i][j] = v / L[j][j];
      }
    }
    for (let i = 0; i < q; i++) for (let j = 0; j <= i; j++) {
      const at = blk.thetaIndex[i * q + j];
      if (at >= 0) theta[at] = L[i][j];
      else expect(Math.abs(L[i][j]), `Ψ's zero at (${i}, ${j})`).toBeLessThan(1e-12);
    }
  });
  return theta;
}

const CASES = ['oats_nested_reml', 'oats_nested_ml', 'pixel_list', 'oats_nested_ar1', 'oats_nested_varident_ml', 'ortho_pddiag', 'machines_pdcompsymm', 'machines_pdident',
  'pixel_pddiag_nested', 'oats_pdident_inner', 'schools3_nested', 'oats_pdblocked', 'pixel_pdblocked'];

describe('nested lme: the criterion at nlme 3.1-162 estimates', () => {
  for (const name of CASES) {
    it(`${name}: logLik to 1e-8 relative`, async () => {
      const f = fixture(name);
      const built = buildLme(f.ours.fixed, data(f.data), options(f));
      expect(built.levels.map((l) => l.name)).toEqual(f.levels.map((l: { name: string }) => l.name));
      const ev = evaluateLme(built.model, built.rc, modelRows(built.model), thetaOf(f, built), psiOf(f));
      expectRel(-ev.criterion / 2, f.logLik, 1e-8, 'logLik at nlme\'s estimates');
      await yieldTurn();
    });
  }
});

async function fitOf(f: any): Promise<LmeFit> { return lme(f.ours.fixed, data(f.data), options(f)); }

describe('nested lme: the fit against nlme 3.1-162', () => {
  for (const name of CASES) {
    it(name, async () => {
      const f = fixture(name);
      const fit = await fitOf(f);
      expectNlmeFixedFit(fit, f, { df: true, p: true });
      expectRel(fit.sigma, f.sigma, 1e-3, 'σ');
      const lv = fit.varCorrLevels;
      expect(lv.map((l) => l.level)).toEqual(f.levels.map((l: any) => l.name));
      lv.forEach((l, k) => {
        const ref = f.levels[k];
        expect(l.names).toEqual(arr(ref.names));
        expect(l.pd).toBe(ref.class);
        l.stdDev.forEach((s, i) => expectRel(s, arr(ref.stdDev)[i], 1e-3, `${l.level} StdDev ${l.names[i]}`, 1e-3 * f.sigma));
        const C = ref.corr.map((r: number[] | number) => arr(r));
        l.corr.forEach((r, i) => r.forEach((v, j) => expectRel(v, C[i][j], 0, `${l.level} corr (${i}, ${j})`, 1e-3)));
        expect(fit.groupCounts[k].count).toBe(ref.ngroups);
        // ranef: nlme's group names (`I/Golden Rain`), matched by name
        const rf = fit.ranefLevels[k];
        const at = (arr(ref.ranef.groups) as unknown as string[]).map((g) => rf.levels.indexOf(g));
        expect(at, `${l.level}'s groups`).not.toContain(-1);
        expect(Object.keys(rf.values)).toEqual(arr(ref.ranef.names));
        Object.keys(rf.values).forEach((nm) => expectVec(at.map((i: number) => rf.values[nm][i]), arr(ref.ranef.values[nm]), 1e-3, `ranef ${l.level} ${nm}`));
      });
      if (f.corStruct) arr(f.corStruct.constrained).forEach((v, k) => expectRel(fit.corStruct!.values[k], v, 1e-3, 'correlation', 1e-3));
      if (f.varStruct) fit.varStruct!.names.forEach((nm, k) => expectRel(fit.varStruct!.values[k], f.varStruct.constrained[nm], 1e-3, `varStruct ${nm}`, 1e-3));
      const Q = fit.Q;
      expect(f.fittedLevels.length).toBe(Q + 1);
      const ys = Math.max(...f.fittedLevels[Q].map(Math.abs));
      for (let k = 0; k <= Q; k++) {
        expectVec(fit.fitted(k), f.fittedLevels[k], 1e-4, `fitted level ${k}`);
        expectVec(fit.residuals({ level: k }).map((v) => v / ys), f.residLevels[k].map((v: number) => v / ys), k === Q ? 1e-3 : 1e-4, `residuals level ${k}`);
      }
      expectVec(fit.residuals({ type: 'pearson' }), f.pearson, 1e-3, 'pearson residuals');
      expectVec(fit.residuals({ type: 'normalized' }), f.normalized, 1e-3, 'normalized residuals');
      if (f.newdata) {
        for (let k = 0; k <= Q; k++) expectVec(fit.predict(f.newdata, k), f.predictLevels[k], 1e-4, `predict level ${k}`);
      }
      const mine = fit.summary().split('\n');
      const theirs = (f.print as string).split('\n');
      for (const l of theirs.filter((x) => /^( Formula:| Structure:| Composite Structure:| Block \d+:|Linear mixed|Number of|Fixed effects:|Correlation Structure:|Variance function:|Random effects:)/.test(x))) {
        expect(mine, `printout line '${l}'`).toContain(l);
      }
      // the numbers of groups (several levels: nlme's named vector) and the correlation of the fixed effects
      const tail = (lines: string[]) => lines.slice(lines.findIndex((x) => x.startsWith('Number of Groups:')));
      expect(tail(mine)).toEqual(tail(theirs));
      const corrAt = (lines: string[]) => lines.slice(lines.indexOf(' Correlation: '), lines.indexOf('Standardized Within-Group Residuals:') - 1);
      expect(corrAt(mine)).toEqual(corrAt(theirs));
      const json = JSON.parse(JSON.stringify(fit.toJSON()));
      expect(json.groups).toEqual(Object.fromEntries(f.levels.map((l: any) => [l.name, l.ngroups])));
    });
  }
});

describe('nested lme: intervals (nlme\'s approximate confidence intervals, every level)', () => {
  for (const name of CASES) {
    it(name, async () => {
      const f = fixture(name);
      const fit = await fitOf(f);
      const iv = fit.intervals();
      // nlme's intervals with its Hessian's step at 1e-4 (test/oracle/nlme3.R: its default, ε^(1/3) relative,
      // is round-off-bound: 0.2–0.9% off on Pixel's correlation, pdDiag's SD and corAR1's φ)
      const r = f.intervalsStep4;
      const parts: [string, { lower: number[]; upper: number[] } | null, any][] = [
        ['fixed', iv.fixed, r.fixed], ['corStruct', iv.corStruct, r.corStruct ?? null], ['varStruct', iv.varStruct, r.varStruct ?? null],
        ['sigma', { lower: [iv.sigma[0]], upper: [iv.sigma[2]] }, { lower: r.sigma[0], upper: r.sigma[2] }],
        ...iv.reStructLevels!.map((l, k): [string, { lower: number[]; upper: number[] }, any] => [`reStruct ${l.level}`, l.table, r.reStruct[k]]),
      ];
      expect(iv.reStructLevels!.map((l) => l.level)).toEqual(r.reStruct.map((l: any) => l.level));
      for (const [what, a, b] of parts) {
        expect(a === null, what).toBe(b === null);
        if (!a || !b) continue;
        arr(b.lower).forEach((v, i) => expectRel(a.lower[i], v, 1e-3, `${what} lower ${i}`));
        arr(b.upper).forEach((v, i) => expectRel(a.upper[i], v, 1e-3, `${what} upper ${i}`));
      }
      iv.reStructLevels!.forEach((l, k) => expect(l.table.names).toEqual(arr(r.reStruct[k].names)));
      // the printout's structure lines as nlme's
      const mine = formatIntervals(iv, fit.group).split('\n');
      for (const l of (f.intervalsPrint as string).split('\n').filter((x) => /^( Random Effects:|  Level:| Fixed effects:| Within-group)/.test(x))) {
        expect(mine, `intervals line '${l}'`).toContain(l);
      }
    });
  }
});

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
    await expect(lme('yield ~ nitro', o, { random: 'list(Block = pdSymm(~ nitro))' })).rejects.toThrow(/pdSymm is not implemented/);
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
    const rows = anovaLme([f1, f2], ['a1', 'a2']);
    rows.forEach((r, k) => {
      expect(r.df).toBe(a.df[k]);
      expectRel(r.logLik, a.logLik[k], 1e-6, 'logLik');
      expectRel(r.AIC, a.AIC[k], 1e-6, 'AIC');
      expectRel(r.BIC, a.BIC[k], 1e-6, 'BIC');
    });
    expectRel(rows[1].L_Ratio!, a['L.Ratio'][1], 1e-4, 'L.Ratio');
    expectRel(rows[1].p!, a.p[1], 1e-3, 'p');
    expect(formatAnova(rows).split('\n')[0]).toBe((a.print as string).split('\n')[0]);
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
    const out = await runMain(['lme', csv('Oats.csv'), 'yield ~ nitro', '--random', 'list(Block = pdNatural(~ 1))']);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/pdNatural is not implemented/);
    const b = await runMain(['lme', csv('Oats.csv'), 'yield ~ nitro', '--random', 'list(Block = pdBlocked(~ 1))']);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/pdBlocked takes a list of pdMat classes or formulas/);
  });
});
