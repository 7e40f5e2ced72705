/**
 * summary.gam's approximate significance of smooth terms (Wood 2013, mgcv 1.8-41) and print.summary.gam's
 * printout for gamm4 0.2-6's binomial and Poisson fits, fixtures from test/oracle/gamm4_glmm_pvalues.R (the
 * cases of test/oracle/gamm4_glmm.R). gamm4 sets scale.estimated = FALSE and sig2 = 1 for them (VarCorr's
 * sc is 1), so summary.gam tests each smooth in the χ² form (testStat's res.df = −1): Chi.sq = T_r,
 * Ref.df = min(p_s, edf_s). Tolerances:
 *   - smoothTable (the scale known) on mgcv's own inputs (coefficients, the Vp block, crossprod of gam$R's
 *     columns, rank): T_r 1e-10 relative, Ref.df exact, the p-value 1e-8 relative or 1e-10 absolute;
 *   - our gam view at gamm4's (θ, β) (PIRLS there), for the cases whose smooths are all cr (mgcv's basis
 *     exactly): edf, Ref.df and Chi.sq 1e-5 relative, p-values 1e-4 relative or 1e-10 absolute, the
 *     parametric z values 1e-5 relative (all agree to ~1e-14 there);
 *   - at our own optimum (glmer's stage 2 with rhoend 1e-7, as test/gamm4Glmm.test.ts fits): edf and Ref.df
 *     1e-5 relative, Chi.sq 1e-4 relative (as the Gaussian tests' F: the boundary case's flat criterion
 *     leaves its Chi.sq 7e-6 away, the others agree to 2e-7), p-values 1e-4 relative or 1e-10 absolute
 *     (most smooths here are strongly significant: mgcv's p-value and ours are both 0, printed <2e-16, so
 *     binary_cr's and binary_tp's s(x0) and the boundary's s(x3) carry the p-value comparisons). A tp
 *     smooth's Chi.sq is compared with both orientations of the rank-r pseudo-inverse (mgcv's T_r and T′_r:
 *     which one mgcv reports follows the signs of its tprs eigenvectors, not reproduced, as in
 *     test/gamm4Pvalues.test.ts); the p-value averages both and is compared for every smooth;
 *   - the printout line for line (but the formula's environment line) where every smooth is cr; with a tp
 *     smooth every line but that smooth's row, whose label, edf and Ref.df are compared.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTableFile } from '../src/io/node.js';
import { gamm4 } from '../src/gamm/gamm4.js';
import type { Gamm4GlmmFit } from '../src/gamm/gamm4Glmm.js';
import { smoothTable } from '../src/gamm/smoothTable.js';
import { runGamm } from '../src/cli/gammCommand.js';
import { OptionError } from '../src/errors/errors.js';

const fixtures = join(import.meta.dirname, 'fixtures');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const cases: Record<string, any> = JSON.parse(readFileSync(join(fixtures, 'gamm4', 'gamm4_glmm_pvalues.json'), 'utf8'));
const data = () => readTableFile(join(fixtures, 'data', 'gamsim1_glmm.csv')).table;
const tick = () => new Promise((r) => setTimeout(r, 0));
const arr = (v: number | number[]) => (Array.isArray(v) ? v : [v]);
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
const pClose = (a: number, b: number, relTol: number, what: string) => expect(Math.abs(a - b) <= 1e-10 || rel(a, b) < relTol, `${what}: p ${a} vs ${b}`).toBe(true);
const allCr = (f: string) => (f.match(/s\(/g) ?? []).length === (f.match(/bs = "cr"/g) ?? []).length;

interface RSmooth { label: string; p: number[]; V: number[][]; XtX: number[][]; rank: number; stat: number; stat1: number; pval: number; ref_df: number }

describe("gamm4's GLMM gam object: what summary.gam tests", () => {
  it('covers the cases of gamm4_glmm.R', () => {
    expect(Object.keys(cases)).toEqual(['binary_cr', 'binary_tp', 'cbind_cr', 'poisson_cr', 'poisson_tp', 'poisson_boundary']);
    for (const c of Object.values(cases)) {
      expect(c.scale_estimated).toBe(false);
      expect(c.sig2).toBe(1);
      expect(c.method).toBe('glmer.ML');
      expect(c.s_table.colnames).toEqual(['edf', 'Ref.df', 'Chi.sq', 'p-value']);
      expect(c.p_table.colnames).toEqual(['Estimate', 'Std. Error', 'z value', 'Pr(>|z|)']);
    }
  });

  for (const [name, c] of Object.entries(cases)) {
    it(`smoothTable of a known scale on mgcv's inputs: ${name}`, () => {
      (c.smooths as RSmooth[]).forEach((s, k) => {
        const [t] = smoothTable([{ first: 0, last: s.p.length, edf: s.rank }], Float64Array.from(s.p), Float64Array.from(s.V.flat()), Float64Array.from(s.XtX.flat()), c.res_df, false);
        expect(t.F).toBeNull();
        expect(t.refDf).toBe(s.ref_df);
        expect(rel(t.chiSq, s.stat), s.label).toBeLessThan(1e-10);
        expect(rel(t.chiSq, arr(c.s_table.chi_sq)[k]), s.label).toBeLessThan(1e-10);
        pClose(t.pValue, s.pval, 1e-8, s.label);
        pClose(t.pValue, arr(c.s_table.p)[k], 1e-8, s.label);
      });
    });
  }
});

const fits = new Map<string, Gamm4GlmmFit>();
async function fitOf(name: string): Promise<Gamm4GlmmFit> {
  let f = fits.get(name);
  if (!f) {
    const c = cases[name];
    f = await gamm4(c.formula, data(), { random: c.random, family: c.family as 'binomial' | 'poisson', optimizer: { rhoend: 1e-7 } });
    fits.set(name, f);
    await tick();
  }
  return f;
}

describe("summary(gam)'s smooth table at gamm4's (θ, β) (the cases whose smooths are all cr)", () => {
  const names = Object.keys(cases).filter((nm) => allCr(cases[nm].formula));
  it('covers the all-cr cases', () => expect(names).toEqual(['binary_cr', 'cbind_cr', 'poisson_cr', 'poisson_boundary']));
  for (const name of names) {
    it(name, async () => {
      const c = cases[name];
      const fit = await fitOf(name);
      const view = fit.gamAt(Object.values(c.theta) as number[], c.beta);
      expect(view.scaleEstimated).toBe(false);
      const st = c.s_table;
      expect(view.smooths.map((s) => s.label)).toEqual(arr(st.names));
      view.smooths.forEach((s, k) => {
        expect(rel(s.edf, arr(st.edf)[k]), `${s.label} edf`).toBeLessThan(1e-5);
        expect(rel(s.refDf, arr(st.ref_df)[k]), `${s.label} Ref.df`).toBeLessThan(1e-5);
        expect(s.F).toBeNull();
        expect(rel(s.chiSq, arr(st.chi_sq)[k]), `${s.label} Chi.sq`).toBeLessThan(1e-5);
        pClose(s.pValue, arr(st.p)[k], 1e-4, s.label);
      });
      const t = view.parametric;
      t.z.forEach((z, j) => expect(rel(z, arr(c.p_table.z)[j]), t.names[j]).toBeLessThan(1e-5));
    }, 120_000);
  }

  it('gamAt names bad parameters', async () => {
    const fit = await fitOf('cbind_cr');
    expect(() => fit.gamAt([1], [0, 0])).toThrow(OptionError);
    expect(() => fit.gamAt([1], [0, 0])).toThrow(/gamAt: θ has 2 values/);
    expect(() => fit.gamAt([1, 1], [0])).toThrow(/gamAt: β has 3 values/);
  }, 120_000);
});

describe("summary(gam)'s smooth table and printout of our gamm4 GLMM fits", () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.formula} (${c.family})`, async () => {
      const fit = await fitOf(name);
      const g = fit.gam;
      expect(g.scaleEstimated).toBe(false);
      expect(g.sig2).toBe(1);
      const st = c.s_table;
      expect(g.smooths.map((s) => s.label)).toEqual(arr(st.names));
      const R = c.smooths as RSmooth[];
      g.smooths.forEach((s, k) => {
        expect(rel(s.edf, arr(st.edf)[k]), `${s.label} edf`).toBeLessThan(1e-5);
        expect(rel(s.refDf, arr(st.ref_df)[k]), `${s.label} Ref.df`).toBeLessThan(1e-5);
        expect(s.F).toBeNull();
        if (s.bs === 'cr') expect(rel(s.chiSq, arr(st.chi_sq)[k]), `${s.label} Chi.sq`).toBeLessThan(1e-4);
        else expect(Math.min(rel(s.chiSq, R[k].stat), rel(s.chiSq, R[k].stat1)), `${s.label} Chi.sq (either orientation)`).toBeLessThan(1e-4);
        pClose(s.pValue, arr(st.p)[k], 1e-4, s.label);
      });
      await tick();
      // the printout
      const lines = fit.summary().split('\n');
      const printed: string[] = (c.printed as string[]).filter((l) => !l.startsWith('<environment'));
      expect(lines.length).toBe(printed.length);
      const tp = new Set(g.smooths.filter((s) => s.bs !== 'cr').map((s) => s.label));
      lines.forEach((l, i) => {
        const label = [...tp].find((lb) => printed[i].startsWith(`${lb} `));
        if (label === undefined) expect(l, `line ${i + 1}`).toBe(printed[i]);
        else expect(l.split(/ +/).slice(0, 3), `line ${i + 1}`).toEqual(printed[i].split(/ +/).slice(0, 3));
      });
      if (tp.size === 0) expect(lines).toEqual(printed);
      expect(fit.summary()).not.toContain('not computed');
    }, 120_000);
  }
});

describe('the CLI and the JSON', () => {
  it('mixedgpu gamm4 --family binomial prints the smooth tests as R does and its JSON holds s_table', async () => {
    const out: string[] = [], err: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) };
    const file = join(fixtures, 'data', 'gamsim1_glmm.csv');
    const c = cases.binary_cr;
    expect(await runGamm({ file, formula: c.formula, random: c.random, family: 'binomial', quiet: true }, io)).toBe(0);
    const text = out.join('');
    const printed: string[] = c.printed;
    const a = printed.indexOf('Approximate significance of smooth terms:');
    expect(text).toContain(printed.slice(a, a + 7).join('\n'));
    expect(text).toContain(printed.slice(printed.indexOf('Parametric coefficients:'), a).join('\n'));
    out.length = 0;
    expect(await runGamm({ file, formula: c.formula, random: c.random, family: 'binomial', quiet: true, json: true, points: 3 }, io)).toBe(0);
    const j = JSON.parse(out.join(''));
    expect(j.scale_estimated).toBe(false);
    expect(j.s_table.names).toEqual(['s(x0)', 's(x1)']);
    expect(j.s_table.F).toBeUndefined();
    j.s_table.edf.forEach((e: number, k: number) => expect(rel(e, c.s_table.edf[k])).toBeLessThan(1e-4));
    j.s_table.ref_df.forEach((e: number, k: number) => expect(rel(e, c.s_table.ref_df[k])).toBeLessThan(1e-4));
    j.s_table.chi_sq.forEach((x: number, k: number) => expect(rel(x, c.s_table.chi_sq[k])).toBeLessThan(1e-4));
    j.s_table.p.forEach((p: number, k: number) => pClose(p, c.s_table.p[k], 1e-4, j.s_table.names[k]));
    expect(err.join('')).toBe('');
  }, 120_000);
});
