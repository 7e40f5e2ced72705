/**
 * The browser app's smooth terms (gamm4), in Node (no browser): how the app's formula is split into
 * gamm4's arguments (demo/src/gammFormula.ts: the smooths and parametric terms as gamm4's formula, the
 * `( | )` terms as its `random = ~ …`), the formula box's checks (the library's refusals at their token,
 * the family and the covariates' kind), the worker's fit (demo/src/gamm.ts runGamm, describeGamm) — its
 * tables, plots' data and printouts equal to the library's gamm4 of the same arguments, exactly (the same
 * code) — and on mgcv's gamSim example against gamm4 0.2-6 (test/fixtures/gamm4/gamm4.json, 'gamsim': its
 * formula and random part are the app example's) at the library's own tolerances (test/gamm4.test.ts:
 * the parametric estimates to 1e-5 of the response's SD, their SEs, edf, p-values and R² to 1e-4
 * relative; summary.gam's smooth tests against test/fixtures/gamm4/gamm4_pvalues.json as
 * test/gamm4Pvalues.test.ts compares them at our optimum: F to 1e-4 relative — a tp smooth's with either
 * orientation of mgcv's pseudo-inverse —, p to 1e-4 relative or 1e-10 absolute); a Poisson formula fitted by glmer's gamm4 (z tests, Chi.sq smooth tests)
 * equal to the library's and gamm4's (test/fixtures/gamm4/gamm4_glmm.json 'poisson_cr': estimates to 1e-4
 * × max(1, |β|), SEs and edf to 1e-4 relative, as test/gamm4Glmm.test.ts); the rug, the CSVs, and the
 * example in the address.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { FormulaError } from '../../src/errors/errors.js';
import { gamm4, type Gamm4Fit } from '../../src/gamm/gamm4.js';
import { gammFormulaProblem, splitGammFormula } from '../../demo/src/gammFormula.js';
import { describeGamm, gammRefusal, rugValues, runGamm } from '../../demo/src/gamm.js';
import { gammCall, smoothPlotCsv, smoothsCsv } from '../../demo/src/gammView.js';
import { EXAMPLES } from '../../demo/src/load.js';
import type { FitRequest, GammResultMsg } from '../../demo/src/protocol.js';
import { readUrlState, writeUrlState } from '../../demo/src/urlState.js';
import { loadDataFile } from '../helpers/inference.js';

interface Gamm4Case {
  formula: string; random: string;
  gam: { p_table: { names: string[]; estimate: number[]; se: number[]; t: number[]; p: number[] }; r_sq: number; sig2: number };
  smooths: { label: string; edf: number }[];
}
const fixtures = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'gamm4', 'gamm4.json'), 'utf8')) as Record<string, Gamm4Case>;
const pvalues = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'gamm4', 'gamm4_pvalues.json'), 'utf8')) as {
  cases: Record<string, { s_table: { F: number[]; p: number[] }; smooths: { stat: number; stat1: number; ref_df: number }[] }>;
};
const glmmFixtures = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'gamm4', 'gamm4_glmm.json'), 'utf8')) as Record<string, {
  formula: string; random: string; gam: { p_table: { names: string[]; estimate: number[]; se: number[]; z: number[]; p: number[] } }; smooths: { label: string; edf: number }[];
}>;
const rel = (a: number, b: number, scale = Math.abs(b)) => Math.abs(a - b) / (scale || 1);
const request = (over: Partial<FitRequest> = {}): FitRequest => ({ formula: EXAMPLES.gamsim.formula, factors: [], reml: true, backend: 'cpu', family: 'gaussian', ...over });

describe('smooth terms (gamm4) in the app: the formula', () => {
  test("the app's formula split into gamm4's formula and random part", () => {
    expect(splitGammFormula('y ~ s(x0) + s(x1, bs = "cr") + x2 + (1 | fac)')).toMatchObject({ formula: 'y ~ x2 + s(x0) + s(x1, bs = "cr")', random: '~ (1 | fac)' });
    expect(splitGammFormula('y ~ (1 | fac) + s(x0, k = 8) + (0 + x2 | fac)')).toMatchObject({ formula: 'y ~ s(x0, k = 8)', random: '~ (1 | fac) + (0 + x2 | fac)' });
    const alone = splitGammFormula('y ~ s(x2, bs = "tp", k = 12) + x0');
    expect(alone).toMatchObject({ formula: 'y ~ x0 + s(x2, bs = "tp", k = 12)' });
    expect(alone!.random).toBeUndefined();
    expect(alone!.smooths.map((s) => [s.label, s.bs, s.k])).toEqual([['s(x2)', 'tp', 12]]);
    expect(splitGammFormula('y ~ x0 + (1 | fac)')).toBeNull();
    // gamm4's own example (the fixture) is what the app's example becomes
    const g = fixtures.gamsim!;
    expect(splitGammFormula(EXAMPLES.gamsim.formula)).toMatchObject({ random: g.random });
    const terms = (f: string) => f.replace(/^\s*y\s*~\s*/, '').split(' + ').sort();
    expect(terms(splitGammFormula(EXAMPLES.gamsim.formula)!.formula)).toEqual(terms(g.formula));
  });

  test("the library's refusals at their token; the family and the covariate's kind", () => {
    const at = (text: string): [string, number] => {
      try { splitGammFormula(text); } catch (e) { expect(e).toBeInstanceOf(FormulaError); return [(e as FormulaError).message.split('\n')[0]!, (e as FormulaError).position!]; }
      throw new Error(`no error for ${text}`);
    };
    const ps = 'y ~ s(x0, bs = "ds") + (1 | fac)';
    expect(at(ps)[0]).toMatch(/bs = "ds": basis not supported/);
    expect(at(ps)[1]).toBe(ps.indexOf('bs ='));
    const id = 'y ~ s(x0, id = 1) + (1 | fac)';
    expect(at(id)[0]).toMatch(/'id =' is not supported/);
    expect(at(id)[1]).toBe(id.indexOf('id ='));
    expect(at('y ~ te(x0, x1)')[1]).toBe(4);
    const cols = [{ name: 'y', kind: 'numeric' }, { name: 'x0', kind: 'numeric' }, { name: 'fac', kind: 'factor' }];
    const split = splitGammFormula('y ~ s(x0) + s(fac) + (1 | fac)')!;
    expect(gammFormulaProblem(split, 'Gamma', 'log', cols, new Set())).toEqual({ message: 's(x0): smooth terms s() are fitted by gamm4 for Gaussian, binomial and Poisson responses: choose one of those families, not Gamma.', position: 4 });
    expect(gammFormulaProblem(split, 'binomial', 'probit', cols, new Set())).toEqual({ message: "s(x0): gamm4's binomial smooths take the canonical link logit only, not probit.", position: 4 });
    expect(gammFormulaProblem(split, 'gaussian', undefined, cols, new Set())).toEqual({ message: "s(fac): 'fac' is not numeric; a smooth needs a numeric covariate.", position: 12 });
    expect(gammFormulaProblem(split, 'binomial', 'logit', cols, new Set())!.position).toBe(12);
    expect(gammFormulaProblem(split, 'gaussian', undefined, cols, new Set(['x0']))!.message).toBe("s(x0): 'x0' is marked as a factor; a smooth needs a numeric covariate.");
    expect(gammFormulaProblem(splitGammFormula('y ~ s(x0, k = 8) + (1 | fac)')!, 'gaussian', undefined, cols, new Set())).toBeNull();
    expect(gammRefusal({ family: 'negbin' as FitRequest['family'] })).toMatch(/Gaussian, binomial and Poisson responses/);
    expect(gammRefusal({ family: 'poisson', link: 'log' })).toBeNull();
    expect(gammRefusal({ family: 'gaussian', prior: 'blme' })).toMatch(/no priors/);
    expect(gammRefusal({ family: 'gaussian' })).toBeNull();
  });
});

describe('smooth terms (gamm4) in the app: the worker', () => {
  const data = loadDataFile('gamsim1.csv');
  let lib: Gamm4Fit;
  let shown: GammResultMsg;
  beforeAll(async () => {
    lib = await gamm4('y ~ x2 + s(x0) + s(x1, bs = "cr")', data, { random: '~ (1 | fac)' });
    const { fit, split } = await runGamm(data, request(), new AbortController().signal);
    shown = describeGamm(fit, split, data, 1);
  }, 120_000);

  test("the worker's fit is the library's gamm4 of the split arguments, exactly", () => {
    const g = lib.gam;
    expect(shown.formula).toBe('y ~ x2 + s(x0) + s(x1, bs = "cr")');
    expect(shown.random).toBe('~ (1 | fac)');
    expect(gammCall(shown)).toBe('gamm4(y ~ x2 + s(x0) + s(x1, bs = "cr"), random = ~ (1 | fac))');
    expect(shown.statName).toBe('t');
    expect(shown.parametric).toEqual(g.parametric.names.map((name, j) => ({ name, estimate: g.parametric.estimate[j], se: g.parametric.se[j], stat: g.parametric.t[j], p: g.parametric.p[j] })));
    expect(shown.smooths).toEqual(g.smooths.map((s) => ({ label: s.label, term: s.term, bs: s.bs, k: s.k, edf: s.edf, sd: s.sd, sp: s.sp, refDf: s.refDf, chiSq: s.chiSq, F: s.F, p: s.pValue })));
    expect([shown.family, shown.link, shown.scaleEstimated]).toEqual(['gaussian', 'identity', true]);
    const plots = lib.plotData(100);
    expect(shown.plots.map(({ rug: _r, term: _t, ...p }) => p)).toEqual(plots);
    expect(shown.summary).toBe(lib.summary());
    expect(shown.merSummary).toBe(lib.mer.summary());
    expect(shown.varCorr).toEqual(lib.mer.varCorr);
    expect([shown.sigma, shown.rSq, shown.criterion, shown.n]).toEqual([Math.sqrt(g.sig2), g.rSq, g.criterion, g.n]);
    expect(shown.smoothGroups).toEqual(lib.setupGroups);
  });

  test("against gamm4 0.2-6 on gamSim (the app's example) at the library's tolerances", () => {
    const f = fixtures.gamsim!;
    const ys = Array.from(data.getChild('y')!.toArray() as Float64Array);
    const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
    const sdY = Math.sqrt(ys.reduce((a, b) => a + (b - mean) ** 2, 0) / (ys.length - 1));
    expect(shown.parametric.map((p) => p.name)).toEqual(f.gam.p_table.names);
    shown.parametric.forEach((p, j) => {
      expect(Math.abs(p.estimate - f.gam.p_table.estimate[j]!) / sdY, p.name).toBeLessThan(1e-5);
      expect(rel(p.se, f.gam.p_table.se[j]!), p.name).toBeLessThan(1e-4);
      expect(rel(p.p, f.gam.p_table.p[j]!), p.name).toBeLessThan(1e-4);
    });
    expect(shown.smooths.map((s) => s.label)).toEqual(f.smooths.map((s) => s.label));
    shown.smooths.forEach((s, k) => expect(rel(s.edf, f.smooths[k]!.edf), s.label).toBeLessThan(1e-4));
    expect(rel(shown.rSq, f.gam.r_sq)).toBeLessThan(1e-4);
    expect(rel(shown.sigma! ** 2, f.gam.sig2)).toBeLessThan(2e-4);
    // summary.gam's smooth tests (test/fixtures/gamm4/gamm4_pvalues.json, the same model): F and p to 1e-4 relative, a p of 0 below 1e-15
    const c = pvalues.cases.gamsim!;
    shown.smooths.forEach((s, k) => {
      // a tp smooth's F: either orientation of mgcv's rank-r pseudo-inverse (its eigenvectors' signs are not reproduced)
      const R = c.smooths[k]!;
      const err = s.bs === 'cr' ? rel(s.F!, c.s_table.F[k]!) : Math.min(rel(s.F!, R.stat / R.ref_df), rel(s.F!, R.stat1 / R.ref_df));
      expect(err, `${s.label} F`).toBeLessThan(1e-4);
      const pr = c.s_table.p[k]!;
      expect(Math.abs(s.p - pr) < 1e-10 || rel(s.p, pr) < 1e-4, `${s.label} p ${s.p} against ${pr}`).toBe(true);
    });
  });

  test("the rug: the data's distinct covariate values, at most 2,000 evenly spread; the CSVs", () => {
    const x0 = Array.from(data.getChild('x0')!.toArray() as Float64Array);
    expect(shown.plots[0]!.rug).toEqual([...new Set(x0)].sort((a, b) => a - b));
    const many = Array.from({ length: 5001 }, (_, i) => i / 5000);
    const r = rugValues([...many, NaN, many[3]!]);
    expect(r.length).toBe(2000);
    expect([r[0], r[1999]]).toEqual([0, 1]);
    expect(r.every((v, i) => i === 0 || v > r[i - 1]!)).toBe(true);
    const sCsv = smoothsCsv(shown).trim().split(/\r?\n/);
    const s0 = shown.smooths[0]!;
    expect(sCsv[0]).toBe('smooth,bs,k,edf,sd,sp,Ref.df,F,p_value');
    expect(sCsv[1]).toBe(`s(x0),tp,10,${s0.edf},${s0.sd},${s0.sp},${s0.refDf},${s0.F},${s0.p}`);
    const pCsv = smoothPlotCsv(shown).trim().split(/\r?\n/);
    expect(pCsv.length).toBe(1 + 2 * 100);
    const p = shown.plots[1]!;
    expect(pCsv[101]).toBe(`s(x1),${p.x[0]},${p.fit[0]},${p.se[0]},${p.lower[0]},${p.upper[0]}`);
  });

  test("a Poisson formula with smooths: glmer's gamm4 (canonical link), z tests and Chi.sq smooth tests; the library's fit exactly, gamm4 0.2-6's at the library's tolerances", async () => {
    const gdata = loadDataFile('gamsim1_glmm.csv');
    const formula = 'yp ~ s(x2, bs = "cr", k = 8) + s(x1, bs = "cr") + x0 + (1 | fac)';
    const { fit, split } = await runGamm(gdata, request({ formula, family: 'poisson', link: 'log', reml: false }), new AbortController().signal);
    const m = describeGamm(fit, split, gdata, 1);
    const libP = await gamm4(split.formula, gdata, { random: '~ (1 | fac)', family: 'poisson' });
    expect(gammCall(m)).toBe('gamm4(yp ~ x0 + s(x2, bs = "cr", k = 8) + s(x1, bs = "cr"), random = ~ (1 | fac), family = poisson)');
    expect([m.family, m.link, m.sigma, m.statName, m.scaleEstimated, m.reml]).toEqual(['poisson', 'log', null, 'z', false, false]);
    const gp = libP.gam.parametric;
    expect(m.parametric).toEqual(gp.names.map((name, j) => ({ name, estimate: gp.estimate[j], se: gp.se[j], stat: gp.z[j], p: gp.p[j] })));
    expect(m.smooths.map((s) => [s.edf, s.chiSq, s.F, s.p])).toEqual(libP.gam.smooths.map((s) => [s.edf, s.chiSq, s.F, s.pValue]));
    expect(m.summary).toBe(libP.summary());
    const f = glmmFixtures.poisson_cr!;
    expect(m.parametric.map((p) => p.name)).toEqual(f.gam.p_table.names);
    m.parametric.forEach((p, j) => {
      expect(Math.abs(p.estimate - f.gam.p_table.estimate[j]!), p.name).toBeLessThan(1e-4 * Math.max(1, Math.abs(f.gam.p_table.estimate[j]!)));
      expect(rel(p.se, f.gam.p_table.se[j]!), p.name).toBeLessThan(1e-4);
    });
    m.smooths.forEach((s, k) => expect(rel(s.edf, f.smooths[k]!.edf), s.label).toBeLessThan(1e-4));
    // another link, another family: refused as the library would, named
    await expect(runGamm(gdata, request({ formula, family: 'poisson', link: 'sqrt' }), new AbortController().signal)).rejects.toMatchObject({ where: 'options', message: expect.stringMatching(/canonical link log only, not sqrt/) });
  }, 120_000);

  test('refusals: another family, priors; a bad smooth placed at its token; Cancel', async () => {
    await expect(runGamm(data, request({ family: 'Gamma' }), new AbortController().signal)).rejects.toMatchObject({ where: 'options', message: expect.stringMatching(/Gaussian, binomial and Poisson responses/) });
    await expect(runGamm(data, request({ formula: 'y ~ s(x0, bs = "ds") + (1 | fac)' }), new AbortController().signal)).rejects.toMatchObject({ where: 'formula', position: 'y ~ s(x0, bs = "ds") + (1 | fac)'.indexOf('bs =') });
    await expect(runGamm(data, request({ formula: 'y ~ s(nothere) + (1 | fac)' }), new AbortController().signal)).rejects.toMatchObject({ message: expect.stringMatching(/nothere/) });
    const ac = new AbortController();
    ac.abort();
    await expect(runGamm(data, request(), ac.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('the example in the address', () => {
    const s = { example: 'gamsim' as const, formula: EXAMPLES.gamsim.formula, family: 'gaussian' as const, fit: true };
    expect(readUrlState(writeUrlState(s))).toMatchObject(s);
  });
});
