/**
 * gamm4's cyclic cubic (`s(x, bs = "cc")`) and P-spline (`s(x, bs = "ps")`) smooths against gamm4 0.2-6 / mgcv
 * 1.8-41 / lme4 1.1-31 (fixtures from test/oracle/gamm4_bases.R on test/fixtures/data/gamsim_by.csv), at
 * test/gamm4By.test.ts's tolerances (test/helpers/gamm4Case.ts; cc and ps bases have no eigenvector freedom, so
 * every case is exact: lme4's criterion at gamm4's θ 1e-9 relative, the optimum within 1e-7, each penalty's SD,
 * σ, SEs, edf, s.table's edf, Ref.df, F/Chi.sq and p-values 1e-4, fitted values, smooths and predictions 1e-5 of
 * the response's SD (GLMM: of the largest linear predictor), coefficients and Vp 1e-4 relative to the largest;
 * a GLMM's Laplace deviance at gamm4's (θ, β) 1e-9);
 * the bases: smoothCon's constrained basis at the data's first rows, its scaled penalty (1e-10 relative to the
 * largest entry), S.scale (1e-10 relative) and PredictMat beyond the data's range (a cc smooth wrapped, a ps
 * smooth continued linearly; 1e-10 relative to the largest entry).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTableFile } from '../src/io/node.js';
import { gamm4 } from '../src/gamm/gamm4.js';
import { runGamm } from '../src/cli/gammCommand.js';
import { smoothCon } from '../src/smooth/smoothCon.js';
import { FormulaError, ModelError } from '../src/errors/errors.js';
import { arr, expectClose, expectGamm4Case, rel, sd } from './helpers/gamm4Case.js';
import { fitAtTheta } from './helpers/atTheta.js';
import { Gamm4Fit } from '../src/gamm/gamm4.js';
import { gamView } from '../src/gamm/gamView.js';
import { thetaFromGamm4Order } from '../src/gamm/gamFit.js';
import { gammSetup } from '../src/gamm/setup.js';
import type { LmmModel } from '../src/lmm/model.js';

const fixtures = join(import.meta.dirname, 'fixtures');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const cases: Record<string, any> = JSON.parse(readFileSync(join(fixtures, 'gamm4', 'gamm4_bases.json'), 'utf8'));
const data = () => readTableFile(join(fixtures, 'data', 'gamsim_by.csv')).table;
const numbers = (t: ReturnType<typeof data>, name: string) => Float64Array.from(t.getChild(name)!.toArray() as ArrayLike<number>);

describe('cc and ps bases (src/smooth/ccSpline.ts, pSpline.ts) against mgcv smoothCon', () => {
  const bases: [string, number, number, 'cc' | 'ps' | 'cr'][] = [['cc', 0, 8, 'cc'], ['ps', 0, 10, 'ps'], ['ps', 1, 10, 'cr'], ['cc_ps_poisson', 0, 10, 'cc'], ['cc_ps_poisson', 1, 8, 'ps']];
  for (const [name, idx, k, bs] of bases) {
    it(`${name}: s(${cases[name].smooths[idx].term}, bs = "${bs}", k = ${k}): the basis, penalty, S.scale and PredictMat outside the range`, () => {
      const ref = cases[name].smooths[idx];
      const sm = smoothCon({ term: ref.term, bs, k, label: ref.label }, numbers(data(), ref.term));
      expect(sm.p).toBe(ref.X_head[0].length);
      expect(sm.rank).toBe(ref.rank);
      expect(sm.p - sm.rank).toBe(ref.null_space_dim);
      expectClose(sm.X.subarray(0, 12 * sm.p), (ref.X_head as number[][]).flat(), 1e-10);
      expectClose(sm.S, (ref.S as number[][]).flat(), 1e-10);
      expect(rel(sm.sScale, ref.S_scale)).toBeLessThan(1e-10);
      expectClose(sm.predict(ref.outside), (ref.X_outside as number[][]).flat(), 1e-10);
    });
  }
  it('a cc smooth is periodic: its basis at x and x + period agree, and its value and slope match at the ends', () => {
    const x = numbers(data(), 'x0');
    const sm = smoothCon({ term: 'x0', bs: 'cc', k: 6, label: 's(x0)' }, x);
    const lo = sm.knots![0], hi = sm.knots![5], per = hi - lo;
    const at = sm.predict([0.3, 0.3 + per, 0.3 - 2 * per, lo, hi, lo + 1e-6, hi - 1e-6]);
    for (let c = 0; c < sm.p; c++) {
      expect(Math.abs(at[sm.p + c] - at[c])).toBeLessThan(1e-12);
      expect(Math.abs(at[2 * sm.p + c] - at[c])).toBeLessThan(1e-12);
      expect(Math.abs(at[3 * sm.p + c] - at[4 * sm.p + c])).toBeLessThan(1e-12);
      // the slopes at the two ends (one-sided differences) agree to the difference's O(h) error
      const s0 = (at[5 * sm.p + c] - at[3 * sm.p + c]) / 1e-6, s1 = (at[4 * sm.p + c] - at[6 * sm.p + c]) / 1e-6;
      expect(Math.abs(s0 - s1)).toBeLessThan(1e-4 * Math.max(1, Math.abs(s0)));
    }
  });
});

describe('gamm4 cc and ps fits against gamm4 0.2-6', () => {
  for (const name of ['cc', 'cc_by', 'ps', 'ps_by', 'cc_ps_poisson']) {
    it(`${name}: ${cases[name].formula}, random ${cases[name].random}`, async () => {
      const c = cases[name];
      const glmm = c.family !== 'gaussian';
      const fit = glmm
        ? await gamm4(c.formula, data(), { random: c.random, family: c.family })
        : await gamm4(c.formula, data(), { random: c.random });
      expectGamm4Case(fit, c, { exact: true });
      await new Promise((r) => setTimeout(r, 0));
    }, 120_000);
  }
});

describe('cc and ps: bad input', () => {
  it('refuses a cc smooth with k below 4, more knots than distinct values, and other bases by name', async () => {
    const t = data();
    await expect(gamm4('y ~ s(x0, bs = "cc", k = 3)', t, { random: '~ (1 | g)' })).rejects.toThrow(FormulaError);
    await expect(gamm4('y ~ s(x0, bs = "cc", k = 3)', t, { random: '~ (1 | g)' })).rejects.toThrow(/cyclic smooth \(bs = "cc"\) needs k of at least 4/);
    const few = { y: [1, 3, 2, 5, 4, 6, 5, 7, 8, 7, 9, 8], x: [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3], g: ['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c'] };
    await expect(gamm4('y ~ s(x, bs = "cc", k = 5)', few, { random: '~ (1 | g)' })).rejects.toThrow(ModelError);
    await expect(gamm4('y ~ s(x, bs = "cc", k = 5)', few, { random: '~ (1 | g)' })).rejects.toThrow(/x has 3 distinct values, fewer than the k = 5 knots/);
    await expect(gamm4('y ~ s(x0, bs = "re")', t, { random: '~ (1 | g)' })).rejects.toThrow(/bs = "re": basis not supported .*"cc", the cyclic cubic regression spline; "ps", the P-spline/);
    await expect(gamm4('y ~ s(x0, bs = "ps", m = 3)', t, { random: '~ (1 | g)' })).rejects.toThrow(/argument 'm =' is not supported/);
  });
});

describe('mixedgpu gamm4 with cc and ps smooths (src/cli/gammCommand.ts)', () => {
  it("prints summary(gam) with the cc and ps smooths; its JSON's s_table and plot data", async () => {
    const c = cases.cc_ps_poisson;
    const out: string[] = [], err: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) };
    const file = join(fixtures, 'data', 'gamsim_by.csv');
    expect(await runGamm({ file, formula: c.formula, random: c.random, family: 'poisson', json: true, quiet: true, points: 5 }, io)).toBe(0);
    const parsed = JSON.parse(out.join(''));
    expect(parsed.s_table.names).toEqual(['s(x0)', 's(x2)']);
    parsed.s_table.chi_sq.forEach((v: number, k: number) => expect(rel(v, c.gam.s_table.stat[k])).toBeLessThan(1e-4));
    expect(parsed.plot.map((p: { x: number[] }) => p.x.length)).toEqual([5, 5]);
    out.length = 0;
    expect(await runGamm({ file, formula: cases.cc.formula, random: cases.cc.random, quiet: true }, io)).toBe(0);
    const text = out.join('');
    expect(text).toMatch(/Formula:\nyvc ~ s\(x1, bs = "cc", k = 8\) \+ z/);
    // the cc smooth's row: edf, Ref.df (reTest's rank, 6), F, p-value
    expect(text).toMatch(/^s\(x1\) +5\.047 +6 +78\.82 +<2e-16 \*\*\*$/m);
  }, 60_000);
});

/** gamm4's fit of case c assembled here at gamm4's θ (no optimizer: test/helpers/atTheta.ts), its gam view built from it */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function atGamm4Theta(fit: Awaited<ReturnType<typeof gamm4>>, c: any): Gamm4Fit {
  const model = fit.mer.model as LmmModel;
  const theta = thetaFromGamm4Order(model.frame.reTerms, model.theta.length, c.mer.theta, 'test');
  return new Gamm4Fit(gamView(fitAtTheta(model, theta), gammSetup(c.formula, data(), c.random, undefined), c.formula));
}

describe('gamm4 t2() with cc and ps margins and with by = against gamm4 0.2-6', () => {
  for (const name of ['t2_cc_ps', 't2_by_numeric']) {
    it(`${name}: ${cases[name].formula}, random ${cases[name].random}`, async () => {
      const c = cases[name];
      expectGamm4Case(await gamm4(c.formula, data(), { random: c.random }), c, { exact: true });
      await new Promise((r) => setTimeout(r, 0));
    }, 120_000);
  }
  it(`t2_by_factor: ${cases.t2_by_factor.formula}: the optimum's criterion, and everything else at gamm4's θ`, async () => {
    // the REML criterion is flat in the nine penalties' SDs at the optimum: gamm4's still falls in its 12th digit
    // over six restarts of bobyqa and Nelder_Mead from its optimum (ours is 2e-12 relative below its last) while
    // the SDs move by ~1e-4 and the smooths by ~1e-5 of the response's SD. So at the optimum the criterion
    // (ours at most gamm4's + 1e-9 relative, and within 1e-7 of it); at gamm4's θ, assembled here without an
    // optimizer, every check of the exact cases (the criterion there 1e-9, SDs, fitted values, smooths, s.table,
    // predictions, coefficients and Vp)
    const c = cases.t2_by_factor;
    const fit = await gamm4(c.formula, data(), { random: c.random });
    expect((fit.gam.criterion - c.mer.criterion) / c.mer.criterion).toBeLessThan(1e-9);
    expect((c.mer.criterion - fit.gam.criterion) / c.mer.criterion).toBeLessThan(1e-7);
    expect(rel(atGamm4Theta(fit, c).gam.criterion, c.mer.criterion_at_theta)).toBeLessThan(1e-9);
    expectGamm4Case(atGamm4Theta(fit, c), { ...c, mer: { ...c.mer, criterion: c.mer.criterion_at_theta } }, { exact: true });
  }, 120_000);
});

describe("gamm4 t2() with tp margins (another tp basis than mgcv's: a slightly different model from gamm4's)", () => {
  // A tp margin's basis spans mgcv's space but is another basis of it (eigenvectors with arbitrary signs, mgcv's
  // from Lanczos, ours src/smooth/tprs.ts; signs alone do not reproduce mgcv's columns here); its unit-RMS column
  // scaling acts on other columns, so the margin's penalty is
  // another quadratic form in its coefficients and nat.param's natural parametrization another — the t2 is a
  // slightly different model from gamm4's (unlike an s() tp smooth, whose fit is invariant: README "Signs and
  // scales"). Here: its REML criterion at the optimum 1e-9 relative of gamm4's, fitted values, smooths and
  // predictions 4e-4 of the response's SD, their SEs, the edf and Ref.df 5e-4 relative (seen: t2_tp 7.7e-5 and
  // 6.5e-5, t2_cr_tp ~1e-6 with the criterion 8e-15) — a measure of that basis effect, not of our precision;
  // summary.gam's F and p-value, which gamm4 forms from coefficients and R in two parametrizations (not invariant
  // to the signs: here F 2.31 against gamm4's 2.75, p 0.020 against 0.0069; t2_cr_tp 2.46 against 2.34, p 0.012
  // against 0.017), not compared.
  for (const name of ['t2_tp', 't2_cr_tp']) {
    it(`${name}: ${cases[name].formula}, random ${cases[name].random}`, async () => {
      const c = cases[name];
      const fit = await gamm4(c.formula, data(), { random: c.random });
      const scale = sd(fit.mer.model.frame.y);
      expect(rel(fit.gam.criterion, c.mer.criterion)).toBeLessThan(1e-9);
      expect(rel(fit.mer.sigma, c.mer.sigma)).toBeLessThan(1e-4);
      expect(fit.gam.names).toEqual(c.gam.names);
      expect(fit.gam.smooths[0].sps.length).toBe(arr(c.gam.sp).length);
      expectClose(fit.gam.fitted, c.gam.fitted, 4e-4, scale);
      const ref = c.smooths[0];
      expect(rel(fit.gam.smooths[0].edf, ref.edf)).toBeLessThan(5e-4);
      expect(rel(fit.gam.smooths[0].refDf, arr(c.gam.s_table.ref_df)[0])).toBeLessThan(5e-4);
      const v = fit.smooth(0, ref.grid[ref.term[0]], ref.grid[ref.term[1]]);
      expectClose(v.fit, ref.fit, 4e-4, scale);
      expectClose(v.se, ref.se, 5e-4);
      const pr = fit.predict(c.newdata);
      expectClose(pr.fit, c.predict.fit, 4e-4, scale);
      expectClose(pr.se, c.predict.se, 5e-4);
      expect(fit.gam.smooths[0].margins!.map((m) => m.bs)).toEqual(name === 't2_tp' ? ['tp', 'tp'] : ['cr', 'tp']);
      await new Promise((r) => setTimeout(r, 0));
    }, 120_000);
  }
});

describe('t2() margins and by =: bad input, predictions, plot data and the CLI', () => {
  it('refuses a factor by of one level, a by variable among the covariates, a cc margin of k 3 and other margins by name', async () => {
    const t = data();
    const one = { y: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((v) => v * 0.7 + Math.sin(v)), x: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], z: [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8], f: new Array(12).fill('a'), g: ['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c'] };
    await expect(gamm4('y ~ t2(x, z, by = f, k = 3)', one, { random: '~ (1 | g)' })).rejects.toThrow(/'f' has (1|one) level \('a'\)/);
    await expect(gamm4('y ~ t2(x0, x2, by = x2)', t, { random: '~ (1 | g)' })).rejects.toThrow(/the by variable is one of the smooth's covariates/);
    await expect(gamm4('y ~ t2(x0, x2, bs = "cc", k = 3)', t, { random: '~ (1 | g)' })).rejects.toThrow(/cyclic margin \(bs = "cc"\) needs k of at least 4/);
    await expect(gamm4('y ~ t2(x0, x2, bs = c("cr", "re"))', t, { random: '~ (1 | g)' })).rejects.toThrow(/bs = "re": t2\(\)'s margins are "cr" \(mgcv's t2 default\), "tp", "cc" or "ps" here/);
    await expect(gamm4('y ~ t2(x0, x2, bs = c("cr", "tp", "cr"))', t, { random: '~ (1 | g)' })).rejects.toThrow(/takes one basis or 2/);
  });
  it('a factor-by t2: predictions need the by column, plotData gives each level a grid; a numeric by t2 has the whole null block as fixed effects', async () => {
    const t = data();
    const fit = await gamm4('y ~ fac + t2(x0, x2, by = fac, k = 4)', t, { random: '~ (1 | g)' });
    expect(() => fit.predict({ x0: [0.5], x2: [0.5] })).toThrow(/by column 'fac'/);
    const pd = fit.plotData(4);
    expect(pd.map((p) => p.label)).toEqual(['t2(x0,x2):facl1', 't2(x0,x2):facl2', 't2(x0,x2):facl3']);
    expect(pd.every((p) => p.x.length === 16 && p.z!.length === 16)).toBe(true);
    expect(fit.gam.smooths.map((s) => s.sps.length)).toEqual([3, 3, 3]);
    // a level's smooth is zero off its level
    const off = fit.predict({ x0: [0.3], x2: [0.6], fac: ['l2'] }), on = fit.predict({ x0: [0.3], x2: [0.6], fac: ['l1'] });
    expect(off.fit[0]).not.toBeCloseTo(on.fit[0], 3);
    const vc = await gamm4('yvc ~ t2(x1, x2, by = z, k = 4)', t, { random: '~ (1 | g)' });
    expect(vc.mer.model.frame.xnames.map((nm) => nm.replace(/^`|`$/g, '')).filter((nm) => /Fx\d$/.test(nm))).toEqual(['t2(x1,x2):zFx1', 't2(x1,x2):zFx2', 't2(x1,x2):zFx3', 't2(x1,x2):zFx4']);
    expect(vc.gam.smooths[0].nullSpaceDim).toBe(4);
  }, 60_000);
  it('mixedgpu gamm4 prints summary(gam) of a factor-by t2 and of a t2 with tp margins; the JSON has each level', async () => {
    const out: string[] = [], err: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) };
    const file = join(fixtures, 'data', 'gamsim_by.csv');
    const c = cases.t2_by_factor;
    expect(await runGamm({ file, formula: c.formula, random: c.random, json: true, quiet: true, points: 3 }, io)).toBe(0);
    const parsed = JSON.parse(out.join(''));
    expect(parsed.s_table.names).toEqual(arr(c.gam.s_table.names));
    parsed.s_table.edf.forEach((e: number, k: number) => expect(rel(e, c.gam.s_table.edf[k])).toBeLessThan(1e-4));
    expect(parsed.plot.map((p: { z: number[] }) => p.z.length)).toEqual([9, 9, 9]);
    out.length = 0;
    expect(await runGamm({ file, formula: cases.t2_tp.formula, random: cases.t2_tp.random, quiet: true }, io)).toBe(0);
    expect(out.join('')).toMatch(/^t2\(x0,x2\) +7\.757 +7\.757 /m);
  }, 60_000);
});
