/**
 * summary.gam's approximate significance of smooth terms (Wood 2013; mgcv 1.8-41 with gamm4 0.2-6) for
 * gamm4 fits, fixtures from test/oracle/gamm4_pvalues.R. Tolerances:
 *   - testStat on mgcv's own inputs (coefficients, the Vp block, crossprod of gam$R's columns, rank,
 *     residual df): T_r 1e-10 relative, Ref.df exact, the p-value (F form and χ² form) 1e-8 relative or
 *     1e-10 absolute;
 *   - our gam view at gamm4's θ (our lmer fit's model assembled there), for the cases whose smooths are all
 *     cr (a tp smooth's θ belongs to a basis that differs from mgcv's, as in test/gamm4.test.ts): edf, Ref.df and F 1e-5
 *     relative, p-values 1e-4 relative or 1e-10 absolute;
 *   - at our own optimum: the same but F 1e-4 relative — a near-null smooth's criterion is so flat that
 *     θ is pinned only to ~1e-6 relative (two runs of gamm4 with xtol_rel 1e-12 differ by 3e-6 in
 *     gamsim_null's θ of s(x0)), and its F moves ~3× as much. A tp smooth's F is compared with both orientations of the rank-r pseudo-inverse
 *     (mgcv's T_r and T′_r): which one mgcv reports follows the signs of its tprs eigenvectors, which are
 *     not reproduced (src/smooth/tprs.ts); the p-value averages both and is compared for every smooth;
 *   - the printout's "Approximate significance of smooth terms:" block as R prints it, line for line, for
 *     the cases whose smooths are all cr (deterministic bases), and the whole printout but the formula's
 *     environment line.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTableFile } from '../src/io/node.js';
import { gamm4 } from '../src/gamm/gamm4.js';
import { gammSetup } from '../src/gamm/setup.js';
import { gamView } from '../src/gamm/gamView.js';
import { lmer } from '../src/fit/lmer.js';
import { assembleFit } from '../src/lmm/assemble.js';
import { referenceOf } from '../src/inference/fitInference.js';
import { testStat } from '../src/gamm/testStat.js';
import { smoothTable } from '../src/gamm/smoothTable.js';
import { runGamm } from '../src/cli/gammCommand.js';
import { gamSummary } from '../src/gamm/summary.js';
import { DataError } from '../src/errors/errors.js';

const fixtures = join(import.meta.dirname, 'fixtures');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fx: any = JSON.parse(readFileSync(join(fixtures, 'gamm4', 'gamm4_pvalues.json'), 'utf8'));
const data = {
  sleep: () => readTableFile(join(fixtures, 'data', 'sleepstudy.csv')).table,
  gamsim: () => readTableFile(join(fixtures, 'data', 'gamsim1.csv')).table,
};
const arr = (v: number | number[]) => (Array.isArray(v) ? v : [v]);
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
const pClose = (a: number, b: number, relTol: number) => expect(Math.abs(a - b) <= 1e-10 || rel(a, b) < relTol, `p ${a} vs ${b}`).toBe(true);

describe("mgcv's testStat on mgcv's inputs", () => {
  for (const [name, c] of Object.entries<{ smooths: { label: string; p: number[]; V: number[][]; XtX: number[][]; rank: number; res_df: number; stat: number; pval: number; ref_df: number; pval_chisq: number }[] }>(fx.cases)) {
    it(name, () => {
      for (const s of c.smooths) {
        const f = testStat(s.p, s.XtX.flat(), s.V.flat(), s.rank, s.res_df);
        expect(rel(f.stat, s.stat), s.label).toBeLessThan(1e-10);
        expect(f.rank).toBe(s.ref_df);
        pClose(f.pval, s.pval, 1e-8);
        const chi = testStat(s.p, s.XtX.flat(), s.V.flat(), s.rank, -1);
        expect(rel(chi.stat, s.stat)).toBeLessThan(1e-10);
        pClose(chi.pval, s.pval_chisq, 1e-8);
      }
    });
  }

  it("the s.table of a known scale (a GLMM's): Chi.sq = T_r, no F, the χ² form's p-value", () => {
    for (const c of Object.values<{ smooths: { p: number[]; V: number[][]; XtX: number[][]; rank: number; res_df: number; stat: number; pval_chisq: number }[] }>(fx.cases)) {
      for (const s of c.smooths) {
        const [t] = smoothTable([{ first: 0, last: s.p.length, edf: s.rank }], Float64Array.from(s.p), Float64Array.from(s.V.flat()), Float64Array.from(s.XtX.flat()), s.res_df, false);
        expect(t.F).toBeNull();
        expect(rel(t.chiSq, s.stat)).toBeLessThan(1e-10);
        pClose(t.pValue, s.pval_chisq, 1e-8);
      }
    }
  });

  it('an integer rank uses the F (χ²) tails of T_r directly', () => {
    const s = fx.cases.gamsim.smooths[0];
    const f = testStat(s.p, s.XtX.flat(), s.V.flat(), 2, s.res_df);
    expect(f.rank).toBe(2);
    expect(f.pval).toBeGreaterThan(0);
    expect(f.pval).toBeLessThan(1);
    // a rank above the numerical rank of R V Rᵀ falls back on it
    const z = testStat([1, 2], [1, 0, 0, 1], [1, 0, 0, 0], 1.5, 100);
    expect(z.rank).toBe(1);
    expect(z.stat).toBeCloseTo(1, 12);
  });

  it('bad input gets a DataError naming the problem', () => {
    expect(() => testStat([], [], [], 1)).toThrow(DataError);
    expect(() => testStat([1, 2], [1, 0, 0, 1], [1, 0, 0], 1)).toThrow(/2 × 2/);
    expect(() => testStat([1], [1], [1], NaN)).toThrow(/rank/);
    expect(() => testStat([1], [NaN], [1], 1)).toThrow(/finite/);
    expect(() => smoothTable([{ first: 0, last: 1, edf: 1 }], new Float64Array([1]), new Float64Array([Infinity]), new Float64Array([1]), 10, true)).toThrow(/finite/);
  });
});

const FITS: [string, 'sleep' | 'gamsim', boolean][] = [
  ['sleep_cr', 'sleep', true], ['sleep_tp', 'sleep', true], ['sleep_tp_ml', 'sleep', false], ['gamsim', 'gamsim', true],
  ['gamsim_cr', 'gamsim', true], ['gamsim_tp12', 'gamsim', true], ['gamsim_null', 'gamsim', true],
];

/** The gam view of our lmer fit's model assembled at gamm4's θ (by name: lme4's group.column). */
async function viewAtTheta(name: string, set: 'sleep' | 'gamsim', reml: boolean) {
  const c = fx.cases[name];
  const factors = set === 'sleep' ? ['Subject'] : ['fac'];
  const setup = gammSetup(c.formula, data[set](), c.random, factors);
  const first = await lmer(setup.formula, setup.data, { REML: reml, factors });
  const start = Array.from(first.theta);
  let off = 0;
  for (const t of first.model.frame.reTerms) {
    const key = `${t.group}.${t.term.smooth ?? '(Intercept)'}`;
    expect(c.theta[key], key).toBeTypeOf('number');
    for (let j = 0; j < t.q; j++) for (let i = j; i < t.q; i++) start[off++] = i === j ? c.theta[key] : 0;
  }
  expect(off).toBe(start.length);
  const record = { feval: 0, converged: true, optimizerMessage: "gamm4's θ", messages: [], backend: first.backend, timings: {}, t0: 0 };
  const mer = assembleFit(first.model, referenceOf(first, 'the test'), Float64Array.from(start), record);
  return { view: gamView(mer, setup, c.formula).view, start, theta: Array.from(mer.theta) };
}

describe("summary(gam)'s smooth table at gamm4's θ (the cases whose smooths are all cr: a tp smooth's θ is of another basis)", () => {
  const allCr = (f: string) => (f.match(/s\(/g) ?? []).length === (f.match(/bs = "cr"/g) ?? []).length;
  const cases = FITS.filter(([nm]) => allCr(fx.cases[nm].formula));
  it('covers the all-cr cases', () => expect(cases.map(([nm]) => nm)).toEqual(['sleep_cr', 'gamsim_cr']));
  for (const [name, set, reml] of cases) {
    it(name, async () => {
      const c = fx.cases[name];
      const { view, start, theta } = await viewAtTheta(name, set, reml);
      expect(theta).toEqual(start);
      const st = c.s_table;
      view.smooths.forEach((s, k) => {
        expect(rel(s.edf, arr(st.edf)[k]), `${s.label} edf`).toBeLessThan(1e-5);
        expect(rel(s.refDf, arr(st.ref_df)[k]), `${s.label} Ref.df`).toBeLessThan(1e-5);
        const R = c.smooths[k];
        const err = Math.min(rel(s.F!, R.stat / R.ref_df), rel(s.F!, R.stat1 / R.ref_df));
        if (s.bs === 'cr') expect(rel(s.F!, arr(st.F)[k]), `${s.label} F`).toBeLessThan(1e-5);
        else expect(err, `${s.label} F (either orientation)`).toBeLessThan(1e-5);
        pClose(s.pValue, arr(st.p)[k], 1e-4);
      });
    }, 60_000);
  }
});

describe("summary(gam)'s smooth table of our gamm4 fits", () => {
  for (const [name, set, reml] of FITS) {
    it(name, async () => {
      const c = fx.cases[name];
      const fit = await gamm4(c.formula, data[set](), { random: c.random, REML: reml, factors: set === 'sleep' ? ['Subject'] : ['fac'] });
      const st = c.s_table;
      const sm = fit.gam.smooths;
      expect(sm.map((s) => s.label)).toEqual(arr(st.names));
      expect(fit.gam.scaleEstimated).toBe(true);
      sm.forEach((s, k) => {
        expect(rel(s.edf, arr(st.edf)[k]), `${s.label} edf`).toBeLessThan(1e-5);
        expect(rel(s.refDf, arr(st.ref_df)[k]), `${s.label} Ref.df`).toBeLessThan(1e-5);
        const F = s.F!;
        const R = c.smooths[k];
        const both = [R.stat / R.ref_df, R.stat1 / R.ref_df];
        const err = Math.min(...both.map((b) => rel(F, b)));
        if (s.bs === 'cr') expect(rel(F, arr(st.F)[k]), `${s.label} F`).toBeLessThan(1e-4);
        else expect(err, `${s.label} F (either orientation)`).toBeLessThan(1e-4);
        expect(rel(s.chiSq, F * s.refDf)).toBeLessThan(1e-14);
        pClose(s.pValue, arr(st.p)[k], 1e-4);
      });
      await new Promise((r) => setTimeout(r, 0));
      // the printout
      const lines = fit.summary().split('\n');
      const printed: string[] = c.printed.filter((l: string) => !l.startsWith('<environment'));
      const block = (ls: string[]) => { const a = ls.indexOf('Approximate significance of smooth terms:'); return ls.slice(a, ls.indexOf('', a)); };
      if (sm.every((s) => s.bs === 'cr')) {
        expect(block(lines)).toEqual(block(printed));
        expect(lines).toEqual(printed);
      } else {
        expect(block(lines).slice(0, 2)[0]).toBe('Approximate significance of smooth terms:');
        expect(block(lines)[1]).toBe(block(printed)[1]);
      }
    }, 60_000);
  }
});

describe('the printout of a known scale', () => {
  it("prints summary.gam's Chi.sq column", async () => {
    const c = fx.cases.gamsim_cr;
    const fit = await gamm4(c.formula, data.gamsim(), { random: c.random, factors: ['fac'] });
    const g = fit.gam;
    const lines = gamSummary({ ...g, scaleEstimated: false, smooths: g.smooths.map((s) => ({ ...s, F: null })) }, fit.mer).split('\n');
    const at = lines.indexOf('Approximate significance of smooth terms:');
    // R 4.2.2's printCoefmat(digits = 4, has.Pvalue = TRUE, cs.ind = 1) of gamm4's edf, Ref.df and T_r:
    //         edf Ref.df Chi.sq p-value
    // s(x1) 5.164  5.164 154.56  <2e-16 ***
    expect(lines[at + 1]).toBe('        edf Ref.df Chi.sq p-value    ');
    expect(lines[at + 3]).toBe('s(x1) 5.164  5.164 154.56  <2e-16 ***');
  }, 60_000);
});

describe('the JSON and the CLI', () => {
  it("mixedgpu gamm4 prints the smooth table and its JSON holds each smooth's test", async () => {
    const out: string[] = [], err: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) };
    const file = join(fixtures, 'data', 'gamsim1.csv');
    const formula = 'y ~ s(x0, bs = "cr") + s(x1, bs = "cr", k = 8) + x2';
    expect(await runGamm({ file, formula, random: '~ (1 | fac)', quiet: true, factors: 'fac' }, io)).toBe(0);
    const text = out.join('');
    const c = fx.cases.gamsim_cr;
    const printed: string[] = c.printed;
    const a = printed.indexOf('Approximate significance of smooth terms:');
    expect(text).toContain(printed.slice(a, a + 6).join('\n'));
    out.length = 0;
    expect(await runGamm({ file, formula, random: '~ (1 | fac)', quiet: true, factors: 'fac', json: true, points: 3 }, io)).toBe(0);
    const j = JSON.parse(out.join(''));
    expect(j.scale_estimated).toBe(true);
    expect(j.s_table.names).toEqual(['s(x0)', 's(x1)']);
    j.s_table.F.forEach((F: number, k: number) => expect(rel(F, c.s_table.F[k])).toBeLessThan(1e-5));
    j.s_table.p.forEach((p: number, k: number) => pClose(p, c.s_table.p[k], 1e-4));
    expect(rel(j.smooths[0].pValue, c.s_table.p[0])).toBeLessThan(1e-4);
    expect(err.join('')).toBe('');
  }, 60_000);
});
