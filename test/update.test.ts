/**
 * fit.update(changes) (src/fit/update.ts) and lme4's `start` (src/model/start.ts) against lme4 1.1-31
 * (test/oracle/update.R → test/fixtures/update/update.json): update(m, . ~ . - Days), update(m, REML =
 * FALSE), a weighted fit's update(m, weights = NULL), cbpp's update(g, family = binomial("probit")), a split of (Days | Subject), update(m, data = sleepstudy without day 0), Penicillin without
 * (1 | sample), cbpp without period and at nAGQ = 9, and fits with start (lmer's θ at lme4's optimum,
 * far from it, as { theta }; glmer's { theta, fixef }).
 * Two references per fit, as test/getme.test.ts:
 *  - lme4's fit itself (its formula, n, and its criterion: ours no more than 1e-6 above it; lme4's
 *    optimizer stops early, and glmer's PIRLS too: its default cbpp deviance is 5.7e-4 above the exact
 *    Laplace optimum, so ours is lower by that much);
 *  - the same model's tight optimum: lmer's optimizer run to a tight tolerance (TIGHT_LMER), glmer's
 *    exact Laplace deviance minimized tightly (exact_laplace.R). Against it, at our optimum (θ̂ to
 *    ~1e-7): the criterion within 1e-6; θ within 1e-5·max(1, |θ|) (Penicillin's REML criterion is flat in
 *    θ₂ = 3.51: two tight lme4 fits from different starts differ by 5.9e-6 there); β within
 *    1e-5·max(1, |β|) (glmer's final radius is 1e-5 in units of β̂'s SEs); σ 1e-5 relative.
 * nAGQ = 9 (no exact reference here) is compared with lme4's fit: criterion within 1e-6 either way,
 * θ 1e-5, β 1e-4·max(1, |β|) (lme4's bobyqa stop; seen 1.7e-5).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as arrow from 'apache-arrow';
import { readCsv } from '../src/io/csv.js';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { callOf } from '../src/fit/update.js';
import { ModelError, OptionError } from '../src/errors/errors.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';
import { runMain } from './helpers/cliEngines.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const oracle = JSON.parse(readFileSync(join(fixtures, 'update/update.json'), 'utf8'));
interface RFit { formula: string; theta: number | number[]; beta: number | number[]; deviance: number; sigma?: number; feval: number; n: number; reml: boolean }
const R = oracle.fits as Record<string, RFit>;
const arr = (v: number | number[]) => (Array.isArray(v) ? v : [v]);
const csv = (path: string, factors: string[]): arrow.Table => readCsv(readFileSync(path, 'utf8'), { factors }).table;
// the grouping columns (numbers in the CSVs) as factors: an option of the fit, as test/getme.test.ts
const S = { factors: ['Subject'] };
const C = { family: 'binomial' as const, factors: ['herd', 'period'] };
const sleep = csv(join(fixtures, 'data/sleepstudy.csv'), ['Subject']);
const sleep1 = csv(join(fixtures, 'update/sleepstudy_days1.csv'), ['Subject']);
const pen = csv(join(fixtures, 'data/penicillin.csv'), ['plate', 'sample']);
const cbpp = csv(join(fixtures, 'data/cbpp.csv'), ['herd', 'period']);

interface Tight { deviance: number; theta: number[]; beta: number[]; sigma?: number }

/** our fit against lme4's and the tight optimum, at the tolerances of the header */
function expectLike(fit: LmmFit | GlmmFit, r: RFit & { tight?: Tight; exact?: Tight }, tight = r.tight ?? r.exact): void {
  expect(fit.model.formula.text).toBe(r.formula);
  expect(fit.model.frame.n).toBe(r.n);
  expect(fit.objective - r.deviance).toBeLessThan(1e-6);
  if (!tight) throw new Error('no tight reference');
  expect(Math.abs(fit.objective - tight.deviance)).toBeLessThan(1e-6);
  expect(fit.theta.length).toBe(tight.theta.length);
  tight.theta.forEach((t, k) => expect(Math.abs(fit.theta[k] - t) / Math.max(1, Math.abs(t))).toBeLessThan(1e-5));
  expect(fit.beta.length).toBe(tight.beta.length);
  tight.beta.forEach((b, k) => expect(Math.abs(fit.beta[k] - b) / Math.max(1, Math.abs(b))).toBeLessThan(1e-5));
  if (tight.sigma !== undefined) expect(Math.abs(fit.sigma / tight.sigma - 1)).toBeLessThan(1e-5);
}

/** nAGQ > 1: against lme4's fit (header) */
function expectLikeAgq(fit: GlmmFit, r: RFit): void {
  expect(Math.abs(fit.objective - r.deviance)).toBeLessThan(1e-6);
  arr(r.theta).forEach((t, k) => expect(Math.abs(fit.theta[k] - t)).toBeLessThan(1e-5));
  arr(r.beta).forEach((b, k) => expect(Math.abs(fit.beta[k] - b) / Math.max(1, Math.abs(b))).toBeLessThan(1e-4));
}

describe('fit.update against lme4 update()', () => {
  it('sleepstudy: formula, REML, a split term, other data', async () => {
    const m1 = await lmer('Reaction ~ Days + (Days | Subject)', sleep, S);
    expectLike(m1, R.sleep_base);
    expectLike(await m1.update('. ~ . - Days'), R.sleep_minus_days);
    const ml = await m1.update({ REML: false });
    expect(ml.reml).toBe(false);
    expectLike(ml, R.sleep_ml);
    expectLike(await m1.update({ formula: '. ~ . - Days', REML: false }), R.sleep_ml_minus_days);
    expectLike(await m1.update('. ~ . - (Days | Subject) + (1 | Subject) + (0 + Days | Subject)'), R.sleep_split);
    expectLike(await m1.update({ data: sleep1 }), R.sleep_data);
    // the update's own call: the data and options carried on (an update of an update)
    const again = await ml.update('. ~ . - Days');
    expect(again.reml).toBe(false);
    expectLike(again, R.sleep_ml_minus_days);
  }, 60_000);

  it("a || fit: lme4's formula(fit) has the expanded terms, so one of them can be removed", async () => {
    const mu = await lmer('Reaction ~ Days + (Days || Subject)', sleep, S);
    const m = await mu.update('. ~ . - (0 + Days | Subject)');
    expect(m.model.formula.text).toBe((oracle.fits.sleep_uncorr_formula as { update_minus: string }).update_minus);
  }, 60_000);

  it('prior weights: kept by a formula update, removed by weights: null (R: weights = NULL)', async () => {
    const sw = csv(join(fixtures, 'data/sleepstudy_weighted.csv'), ['Subject']);
    const mw = await lmer('Reaction ~ Days + (Days | Subject)', sw, { ...S, weights: 'w' });
    expectLike(mw, R.weighted_base);
    expectLike(await mw.update('. ~ . - Days'), R.weighted_minus_days);
    expectLike(await mw.update({ weights: null }), R.weighted_unweighted);
  }, 60_000);

  it('Penicillin: a crossed term removed', async () => {
    const p1 = await lmer('diameter ~ 1 + (1 | plate) + (1 | sample)', pen);
    expectLike(p1, R.pen_base);
    expectLike(await p1.update('. ~ . - (1 | sample)'), R.pen_minus_sample);
  }, 60_000);

  it('cbpp glmer: a fixed term removed, nAGQ = 9, start', async () => {
    const g1 = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', cbpp, C);
    expectLike(g1, R.cbpp_base);
    expectLike(await g1.update('. ~ . - period'), R.cbpp_minus_period);
    // another link (R: update(g1, family = binomial(link = "probit"))): the family kept, the link changed
    expectLike(await g1.update({ link: 'probit' }), R.cbpp_probit);
    const agq = await g1.update({ nAGQ: 9 });
    expectLikeAgq(agq, R.cbpp_agq);
    for (const k of ['cbpp_start_both', 'cbpp_start_theta', 'cbpp_start_far'] as const) {
      const r = R[k] as RFit & { start_theta: number; start_fixef?: number[] };
      const fit = await g1.update({ start: { theta: [r.start_theta], ...(r.start_fixef ? { fixef: r.start_fixef } : {}) } });
      expectLike(fit, r);
    }
  }, 120_000);

  it('refusals: no recorded call, a family on an lmer fit, a bad changes argument', async () => {
    const m1 = await lmer('Reaction ~ Days + (Days | Subject)', sleep, S);
    expect(callOf(m1)?.fn).toBe('lmer');
    await expect(m1.update({ family: 'poisson' })).rejects.toThrow(/family on an lmer fit/);
    await expect(m1.update(42 as unknown as string)).rejects.toThrow(OptionError);
    await expect(m1.update({ formula: 3 as unknown as string })).rejects.toThrow(/formula must be a formula string/);
    // an unknown option is lmer's own refusal
    await expect(m1.update({ REMl: false })).rejects.toThrow(OptionError);
    // a fit with no call recorded (an internal refit, e.g. anova's ML refit)
    const { mlFit } = await import('../src/inference/fitInference.js');
    const refit = await mlFit(m1);
    await expect(refit.update('. ~ . - Days')).rejects.toThrow(ModelError);
  }, 60_000);
});

describe('lmer and glmer start', () => {
  it("lmer from lme4's optimum converges there in few evaluations", async () => {
    const r = R.sleep_start_opt as RFit & { start_theta: number[] };
    const base = await lmer('Reaction ~ Days + (Days | Subject)', sleep, { ...S, momentStart: false });
    const fit = await lmer('Reaction ~ Days + (Days | Subject)', sleep, { ...S, start: r.start_theta });
    expectLike(fit, r);
    // fewer evaluations than from lme4's own start (1, 0, 1) without the moment estimates (lme4: 24 and 43)
    expect(fit.feval).toBeLessThan(base.feval);
    // { theta } is the same start
    const list = await lmer('Reaction ~ Days + (Days | Subject)', sleep, { ...S, start: { theta: r.start_theta } });
    expect(list.objective).toBe(fit.objective);
  }, 60_000);

  it('lmer from far away', async () => {
    // lme4 from (5, 2, 0.01) stops at a boundary point with θ₁ = 0 and a REML criterion 22.9 above its
    // optimum (sleep_start_far); ours from there reaches the optimum of the default start
    const far = R.sleep_start_far as RFit & { start_theta: number[] };
    const fit = await lmer('Reaction ~ Days + (Days | Subject)', sleep, { ...S, start: far.start_theta });
    expect(far.deviance - R.sleep_base.deviance).toBeGreaterThan(20);
    expectLike(fit, R.sleep_base);
    // from lme4's local optimum itself (its tight fit from that start: a second basin for lme4's
    // optimizer), ours leaves it by its restart from the boundary (src/optim/thetaOptimizer.ts)
    const local = (far as unknown as { tight: Tight }).tight;
    expect(local.theta[0]).toBe(0);
    const fromLocal = await lmer('Reaction ~ Days + (Days | Subject)', sleep, { ...S, start: local.theta });
    expectLike(fromLocal, R.sleep_base);
    // the first evaluation is at the start (θ → θ_int → θ), for a start farther than BOBYQA's initial
    // radius from the bounds (a nearer coordinate is moved onto its bound first, as BOBYQA does)
    const seen: Float64Array[] = [];
    await lmer('Reaction ~ Days + (Days | Subject)', sleep, { ...S, start: [2, 0.5, 1], onProgress: (p) => seen.push(Float64Array.from(p.theta)) });
    [2, 0.5, 1].forEach((t, k) => expect(seen[0][k]).toBeCloseTo(t, 12));
    const pr = R.pen_start as RFit & { start_theta: number[] };
    expectLike(await lmer('diameter ~ 1 + (1 | plate) + (1 | sample)', pen, { start: pr.start_theta }), pr);
    expectLike(await lmer('Reaction ~ Days + (Days | Subject)', sleep, { ...S, start: { theta: [1, 0, 1] } }), R.sleep_start_list);
  }, 60_000);

  it('refusals name the parameter', async () => {
    const f = 'Reaction ~ Days + (Days | Subject)';
    await expect(lmer(f, sleep, { ...S, start: [1, 0] })).rejects.toThrow(/start.theta has 2 values, but the model has 3 variance parameters/);
    await expect(lmer(f, sleep, { ...S, start: [-1, 0, 1] })).rejects.toThrow(/Subject.\(Intercept\) is -1, below its lower bound 0/);
    await expect(lmer(f, sleep, { ...S, start: [1, NaN, 1] })).rejects.toThrow(/is NaN: θ must be finite/);
    await expect(lmer(f, sleep, { ...S, start: { theta: [1, 0, 1], fixef: [250, 10] } })).rejects.toThrow(/start.fixef is not used by lmer/);
    await expect(lmer(f, sleep, { ...S, start: { par: [1, 0, 1] } as never })).rejects.toThrow(/alias of 'theta'/);
    await expect(lmer(f, sleep, { ...S, start: 'theta' as never })).rejects.toThrow(OptionError);
    const g = 'cbind(incidence, size - incidence) ~ period + (1 | herd)';
    await expect(glmer(g, cbpp, { ...C, start: { theta: [1], fixef: [0, 0] } })).rejects.toThrow(/start.fixef has 2 values, but the model has 4 fixed effects/);
    await expect(glmer(g, cbpp, { ...C, nAGQ: 0, start: { theta: [1], fixef: [0, 0, 0, 0] } })).rejects.toThrow(/nAGQ = 0/);
    await expect(glmer(g, cbpp, { ...C, start: { fixef: [0, 0, Infinity, 0] } })).rejects.toThrow(/period3 is Infinity/);
  }, 60_000);
});

describe('the CLI: fit --start, --start-fixef', () => {
  const data = join(fixtures, 'data');
  it("--start θ (lmer) and --start with --start-fixef (glmer) reach lme4's optimum; the JSON as fit's", async () => {
    const lmm = await runMain(['fit', join(data, 'sleepstudy.csv'), 'Reaction ~ Days + (Days | Subject)', '--factors', 'Subject', '--start', '5,2,0.01', '--json', '--quiet']);
    expect(lmm.code).toBe(0);
    const j = JSON.parse(lmm.stdout) as { theta: number[]; remlcrit: number };
    const tight = (R.sleep_base as unknown as { tight: Tight }).tight;
    expect(Math.abs(j.remlcrit - tight.deviance)).toBeLessThan(1e-6);
    tight.theta.forEach((t, k) => expect(Math.abs(j.theta[k] - t)).toBeLessThan(1e-5));
    // the same through the stream engine (A formed from record batches: src/gram/fit.ts takes the start too)
    const streamed = await runMain(['fit', join(data, 'sleepstudy.csv'), 'Reaction ~ Days + (Days | Subject)', '--factors', 'Subject', '--start', '5,2,0.01',
      '--engine', 'stream', '--json', '--quiet']);
    expect(streamed.code).toBe(0);
    const js = JSON.parse(streamed.stdout) as { theta: number[]; remlcrit: number };
    expect(Math.abs(js.remlcrit - tight.deviance)).toBeLessThan(1e-6);
    const streamedBad = await runMain(['fit', join(data, 'sleepstudy.csv'), 'Reaction ~ Days + (Days | Subject)', '--factors', 'Subject', '--start', '1,0', '--engine', 'stream', '--quiet']);
    expect(streamedBad.code).not.toBe(0);
    expect(streamedBad.stderr).toMatch(/start.theta has 2 values/);
    const r = R.cbpp_start_far as unknown as { exact: Tight };
    const glmm = await runMain(['fit', join(data, 'cbpp.csv'), 'cbind(incidence, size - incidence) ~ period + (1 | herd)', '--family', 'binomial',
      '--factors', 'herd,period', '--start', '3', '--start-fixef', '0,0,0,0', '--json', '--quiet']);
    expect(glmm.code).toBe(0);
    const g = JSON.parse(glmm.stdout) as { theta: number[] };
    expect(Math.abs(g.theta[0] - r.exact.theta[0])).toBeLessThan(1e-5);
  }, 60_000);

  it('refusals: not numbers, --start-fixef without --family, a wrong length', async () => {
    const base = ['fit', join(data, 'sleepstudy.csv'), 'Reaction ~ Days + (Days | Subject)', '--factors', 'Subject', '--quiet'];
    const bad = await runMain([...base, '--start', '1,x,1']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--start takes finite numbers separated by commas.*'x'/);
    const fx = await runMain([...base, '--start-fixef', '250,10']);
    expect(fx.stderr).toMatch(/--start-fixef is for a GLMM/);
    const len = await runMain([...base, '--start', '1,0']);
    expect(len.code).not.toBe(0);
    expect(len.stderr).toMatch(/start.theta has 2 values, but the model has 3 variance parameters/);
  }, 60_000);
});
