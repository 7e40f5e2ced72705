/**
 * The browser app's smooth terms (gamm4), in Node (no browser): how the app's formula is split into
 * gamm4's arguments (demo/src/gammFormula.ts: the smooths and parametric terms as gamm4's formula, the
 * `( | )` terms as its `random = ~ …`), the formula box's checks (the library's refusals at their token,
 * the family and the covariates' kind), the worker's fit (demo/src/gamm.ts runGamm, describeGamm) — its
 * tables, plots' data and printouts equal to the library's gamm4 of the same arguments, exactly (the same
 * code) — and on mgcv's gamSim example against gamm4 0.2-6 (test/fixtures/gamm4/gamm4.json, 'gamsim': its
 * formula and random part are the app example's) at the library's own tolerances (test/gamm4.test.ts:
 * the parametric estimates to 1e-5 of the response's SD, their SEs, edf, p-values and R² to 1e-4
 * relative); the rug, the CSVs, and the example in the address.
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
    const ps = 'y ~ s(x0, bs = "ps") + (1 | fac)';
    expect(at(ps)[0]).toMatch(/bs = "ps": basis not supported/);
    expect(at(ps)[1]).toBe(ps.indexOf('bs ='));
    const by = 'y ~ s(x0, by = fac) + (1 | fac)';
    expect(at(by)[0]).toMatch(/'by =' .* is not supported/);
    expect(at(by)[1]).toBe(by.indexOf('by ='));
    expect(at('y ~ te(x0, x1)')[1]).toBe(4);
    const cols = [{ name: 'y', kind: 'numeric' }, { name: 'x0', kind: 'numeric' }, { name: 'fac', kind: 'factor' }];
    const split = splitGammFormula('y ~ s(x0) + s(fac) + (1 | fac)')!;
    expect(gammFormulaProblem(split, 'binomial', cols, new Set())).toEqual({ message: 'Smooth terms such as s(x0) are fitted by gamm4 for Gaussian responses: choose the family gaussian (not binomial).', position: 4 });
    expect(gammFormulaProblem(split, 'gaussian', cols, new Set())).toEqual({ message: "s(fac): 'fac' is not numeric; a smooth needs a numeric covariate.", position: 12 });
    expect(gammFormulaProblem(split, 'gaussian', cols, new Set(['x0']))!.message).toBe("s(x0): 'x0' is marked as a factor; a smooth needs a numeric covariate.");
    expect(gammFormulaProblem(splitGammFormula('y ~ s(x0, k = 8) + (1 | fac)')!, 'gaussian', cols, new Set())).toBeNull();
    expect(gammRefusal({ family: 'poisson' })).toMatch(/Gaussian responses/);
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
    expect(shown.parametric).toEqual(g.parametric.names.map((name, j) => ({ name, estimate: g.parametric.estimate[j], se: g.parametric.se[j], t: g.parametric.t[j], p: g.parametric.p[j] })));
    expect(shown.smooths).toEqual(g.smooths.map((s) => ({ label: s.label, term: s.term, bs: s.bs, k: s.k, edf: s.edf, sd: s.sd, sp: s.sp })));
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
    expect(rel(shown.sigma ** 2, f.gam.sig2)).toBeLessThan(2e-4);
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
    expect(sCsv[0]).toBe('smooth,bs,k,edf,sd,sp');
    expect(sCsv[1]).toBe(`s(x0),tp,10,${shown.smooths[0]!.edf},${shown.smooths[0]!.sd},${shown.smooths[0]!.sp}`);
    const pCsv = smoothPlotCsv(shown).trim().split(/\r?\n/);
    expect(pCsv.length).toBe(1 + 2 * 100);
    const p = shown.plots[1]!;
    expect(pCsv[101]).toBe(`s(x1),${p.x[0]},${p.fit[0]},${p.se[0]},${p.lower[0]},${p.upper[0]}`);
  });

  test('refusals: another family, priors; a bad smooth placed at its token; Cancel', async () => {
    await expect(runGamm(data, request({ family: 'poisson' }), new AbortController().signal)).rejects.toMatchObject({ where: 'options', message: expect.stringMatching(/Gaussian responses/) });
    await expect(runGamm(data, request({ formula: 'y ~ s(x0, bs = "ps") + (1 | fac)' }), new AbortController().signal)).rejects.toMatchObject({ where: 'formula', position: 'y ~ s(x0, bs = "ps") + (1 | fac)'.indexOf('bs =') });
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
