/**
 * emmeans's joint_tests against emmeans 1.8.4 (test/oracle/joint_tests.R, fixtures in
 * test/fixtures/joint-tests): the 3 × 2 factorial lmer of the emmeans tests (a covariate, log(z), a 0/1
 * covariate kept at its two values) with Kenward–Roger, Satterthwaite and asymptotic df, by groups,
 * show0df's "(confounded)" row, ML; a factor × covariate interaction by either variable; a three-way
 * interaction; A:B without main effects (an aliased column dropped); sleepstudy's slope; glmer fits
 * (cbpp, a Poisson with an offset).
 *
 * Each lmer case twice, as the emmeans tests: at lme4's θ (no optimizer) and at our optimum.
 * emmeans prints df2 rounded to 2 decimals and F to 3 (its table holds them rounded); its p-value is
 * from the unrounded F and df2, so the p-value is the tight check of both:
 *  - at lme4's θ: p within 1e-8 relative (or 1e-14 absolute), F within 5e-4 + 1e-9 |F| of the rounded
 *    F, df2 within 5e-3 + 1e-9 df2 of the rounded df2, and the printout equal line for line;
 *  - at our optimum: p within 1e-5 relative (θ̂ known to ~1e-7 where the criterion is flat: see
 *    test/emmeans.test.ts), F and df2 within their rounding plus 1e-6 relative;
 *  - glmer (β̂ and Var(β̂) of the exact Laplace optimum in R; ours agrees to ~1e-6 in Var(β̂)): p within
 *    3e-5 relative, F within its rounding plus 3e-6 relative.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as arrow from 'apache-arrow';
import { lmer } from '../src/fit/lmer.js';
import { readCsv } from '../src/io/csv.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';
import { type JointTestsOptions, jointTests } from '../src/inference/jointTests.js';
import '../src/inference/methods.js';
import { fitFixtureModels } from './helpers/atTheta.js';
import { runJointTests } from '../src/cli/jointTestsCommand.js';

const dir = join(import.meta.dirname, 'fixtures', 'joint-tests');
type Cell = string | number | null;
interface Case {
  name: string; model: string; remlModel?: string; ddf?: string; by?: string; show0df: boolean;
  result: { columns: string[]; rows: Cell[][]; mesg: string[] | string; printed: string[] };
}
const fx = JSON.parse(readFileSync(join(dir, 'joint_tests.json'), 'utf8')) as {
  models: Record<string, { formula: string; data: string; reml?: boolean; family?: string; link?: string; theta: number[] | number }>;
  cases: Case[];
};

function dataOf(name: string) {
  const file = name === 'sleepstudy' || name === 'cbpp' ? join(import.meta.dirname, 'fixtures', 'data', `${name}.csv`) : join(import.meta.dirname, 'fixtures', 'emmeans', name);
  return readCsv(readFileSync(file)).table;
}
const factorsOf = (data: string) => (data === 'sleepstudy' ? ['Subject'] : data === 'cbpp' ? ['period', 'herd'] : []);

const fits = new Map<string, LmmFit | GlmmFit>();
const atTheta = new Map<string, LmmFit>();
beforeAll(() => fitFixtureModels(fx.models, dataOf, factorsOf, { fits, atTheta }), 120_000);

/** the worst relative p-value differences by tolerance (printed with JT_REPORT=1) */
const worst = new Map<number, number>();
afterAll(() => { if (process.env.JT_REPORT) for (const [t, v] of worst) console.log(`worst p @ ${t}: ${v.toExponential(2)}`); });

function checkCase(c: Case, fit: LmmFit | GlmmFit, tol: number, ptol: number, printed: boolean, models: Map<string, LmmFit | GlmmFit>) {
  const options: JointTestsOptions = { show0df: c.show0df };
  // an ML fit with its REML refit: emmeans's default, Kenward-Roger with pbkrtest's REML refit
  if (c.remlModel) options.remlRefit = models.get(c.remlModel)! as LmmFit;
  if (c.ddf) options.ddf = c.ddf as JointTestsOptions['ddf'];
  if (c.by) options.by = c.by;
  const res = jointTests(fit, options);
  const col = (name: string) => c.result.columns.indexOf(name);
  expect(res.rows.length, c.name).toBe(c.result.rows.length);
  // emmeans's table is ordered by term; its printout (and ours) by by group: compare as a set keyed by term and group
  const key = (term: string, by: Record<string, Cell>) => `${term}|${JSON.stringify(by)}`;
  const ours = new Map(res.rows.map((r) => [key(r.term, r.by), r]));
  for (const row of c.result.rows) {
    const by: Record<string, Cell> = {};
    if (c.by) by[c.by] = row[col(c.by)];
    const term = row[col('model term')] as string;
    const what = `${c.name} ${term} ${JSON.stringify(by)}`;
    const r = ours.get(key(term, by));
    expect(r, what).toBeDefined();
    expect(r!.df1, what).toBe(row[col('df1')]);
    const df2 = row[col('df2')], F = row[col('F.ratio')], p = row[col('p.value')];
    if (df2 === 'Inf') expect(r!.df2, what).toBe(Infinity);
    else expect(Math.abs(r!.df2 - Number(df2)), `${what} df2 ${r!.df2} vs ${df2}`).toBeLessThanOrEqual(5e-3 + tol * Number(df2));
    if (F === null) { expect(r!.F, what).toBeNaN(); expect(r!.p, what).toBeNaN(); continue; }
    expect(Math.abs(r!.F - Number(F)), `${what} F ${r!.F} vs ${F}`).toBeLessThanOrEqual(5e-4 + tol * Number(F));
    const pv = Number(p);
    const rp = Math.abs(r!.p - pv) <= 1e-14 ? 0 : Math.abs(r!.p - pv) / pv;
    if (rp > (worst.get(ptol) ?? -1)) worst.set(ptol, rp);
    expect(Math.abs(r!.p - pv) <= Math.max(ptol * pv, 1e-14), `${what} p ${r!.p} vs ${pv}`).toBe(true);
  }
  expect(res.messages.filter((m) => /^[de]: /.test(m)), c.name).toEqual([c.result.mesg].flat());
  if (printed) expect(res.toString().trimEnd().split('\n'), c.name).toEqual(c.result.printed.join('\n').trimEnd().split('\n'));
}

describe("joint tests against emmeans's joint_tests", () => {
  for (const c of fx.cases) {
    const glmm = fx.models[c.model].family !== undefined;
    if (!glmm) it(`${c.name} (at lme4's θ)`, () => checkCase(c, atTheta.get(c.model)!, 1e-9, 1e-8, true, atTheta));
    it(`${c.name}${glmm ? '' : ' (our optimum)'}`, () => checkCase(c, fits.get(c.model)!, glmm ? 3e-6 : 1e-6, glmm ? 3e-5 : 1e-5, false, fits));
  }
});

describe('joint tests: refusals and options', () => {
  it('refuses a nested design, as emmeans detects it', async () => {
    // B's levels each within one level of A (schools within districts)
    const n = 120;
    const A = Array.from({ length: n }, (_, i) => (i < 60 ? 'a1' : 'a2'));
    const B = Array.from({ length: n }, (_, i) => `b${Math.floor(i / 30) + 1}`);
    const g = Array.from({ length: n }, (_, i) => `g${i % 10}`);
    const y = Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) + Math.floor(i / 30) + (i % 10) * 0.1);
    const table = arrow.tableFromArrays({ y: Float64Array.from(y), A, B, g });
    const fit = await lmer('y ~ A + B + (1 | g)', table);
    expect(() => jointTests(fit)).toThrow(/nesting structure.*B %in% A/);
    expect(() => fit.emmeans('~ B')).toThrow(/nesting structure.*B %in% A/);
  });
  it('refuses non-estimable contrasts (an empty cell)', async () => {
    const data = readCsv(readFileSync(join(import.meta.dirname, 'fixtures', 'emmeans', 'empty_cell.csv'))).table;
    const fit = await lmer('y ~ A * B + x + (1 | g)', data);
    expect(() => jointTests(fit)).toThrow(/not estimable/);
  });
  it('checks its options', () => {
    const fit = atTheta.get('j1')!;
    expect(() => jointTests(fit, { by: 'nope' })).toThrow(/by: 'nope' is not a variable/);
    expect(() => jointTests(fit, { ddf: 'bogus' as 'asymptotic' })).toThrow(/ddf must be/);
    expect(() => jointTests(fit, { show0df: 'yes' as unknown as boolean })).toThrow(/show0df must be true or false/);
    expect(() => jointTests(fit, { level: 0.9 } as JointTestsOptions)).toThrow(/unknown joint tests option 'level'/);
    expect(() => jointTests(fit, { by: ['A', 'B', 'x', 'z', 'd'] })).toThrow(/no factors or covariates to test/);
    expect(fit.jointTests().rows.map((r) => r.term)).toEqual(['A', 'B', 'x', 'z', 'd', 'A:B']);
  });
  it('the CLI prints the table and its JSON', async () => {
    const out: string[] = [], err: string[] = [];
    const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) };
    const file = join(import.meta.dirname, 'fixtures', 'data', 'sleepstudy.csv');
    expect(await runJointTests({ file, formula: 'Reaction ~ Days + (Days | Subject)', factors: 'Subject' }, io)).toBe(0);
    expect(out.join('')).toMatch(/model term df1 df2 F.ratio p.value\n Days {9}1 {2}17 {2}45.853 {2}<.0001/);
    out.length = 0;
    expect(await runJointTests({ file, formula: 'Reaction ~ Days + (Days | Subject)', factors: 'Subject', json: true, ddf: 'satterthwaite' }, io)).toBe(0);
    const json = JSON.parse(out.join('')) as { joint_tests: { ddf: string; rows: { model_term: string; df1: number }[] } };
    expect(json.joint_tests.ddf).toBe('satterthwaite');
    expect(json.joint_tests.rows[0]).toMatchObject({ model_term: 'Days', df1: 1 });
    // --ml: emmeans's default, Kenward-Roger from the REML refit: emmeans 1.8.4's joint_tests on lme4's ML
    // fit prints Days 1 19.06 45.853 (the REML refit's Φ_A, so the REML fit's F; Lb_ddf with the ML Var(β̂))
    out.length = 0;
    expect(await runJointTests({ file, formula: 'Reaction ~ Days + (Days | Subject)', factors: 'Subject', ml: true, json: true }, io)).toBe(0);
    const ml = JSON.parse(out.join('')) as { joint_tests: { ddf: string; rows: { F_ratio: number; df2: number }[] } };
    expect(ml.joint_tests.ddf).toBe('kenward-roger');
    expect(ml.joint_tests.rows[0].df2.toFixed(2)).toBe('19.06');
    expect(ml.joint_tests.rows[0].F_ratio.toFixed(3)).toBe('45.853');
    expect(await runJointTests({ file, formula: 'Reaction ~ Days + (Days | Subject)', factors: 'Subject', by: 'Days' }, io)).toBe(1);
    expect(err.join('')).toMatch(/no factors or covariates to test/);
  });
});
