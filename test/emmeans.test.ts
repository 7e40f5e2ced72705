/**
 * emmeans's estimated marginal means and contrasts against emmeans 1.8.4 (test/oracle/emmeans.R,
 * fixtures in test/fixtures/emmeans): a 3 × 2 factorial lmer with a covariate, log(z) with missing z, a
 * 0/1 covariate and a random intercept (REML and ML), sleepstudy with Days as a 10-level factor, a design
 * with an empty cell (aliased column, non-estimable means), and glmer fits (cbpp logit and probit, a
 * Poisson with an offset) on the link and response scales.
 *
 * Two levels, as the fit's own tests: each lmer case is computed (1) from the model assembled at
 * lme4's θ (no optimizer: the emmeans machinery alone) and (2) from our fitted optimum.
 * Tolerances (relative, against emmeans's 15 significant digits; an estimate or interval end near 0
 * relative to its SE):
 *  - lmer at lme4's θ: means, contrasts, SEs, df and interval ends 1e-9 (worst seen 4.8e-10, a
 *    Satterthwaite df: lmerTest differentiates numerically); p-values 1e-8 relative or 1e-12 absolute
 *    (Tukey's upper tail is 1 − P, good to ~1e-14 absolute in R and here alike: p-values of 1e-13
 *    differ by 3e-14; worst seen within 1e-12 absolute).
 *  - lmer at our optimum: 1e-6 and p-values 1e-5 (worst seen 2.7e-7, a Satterthwaite df of the
 *    log(y) model, and 9.8e-8): the REML criterion is flat to 1e-13 over a change of 7e-8 in θ
 *    (log(y) model: our θ̂ 1.05482508 against lme4's tight 1.05482516, criteria equal to 1.1e-13), so θ̂
 *    is known to ~1e-7 from either optimizer, and the df (derivatives in θ) and SEs follow it.
 *  - glmer: 3e-6 for means, SEs and intervals, 3e-5 for p-values (worst seen 1.4e-6 and 9.3e-6): the
 *    references are emmeans on β̂ and Var(β̂) of the exact Laplace deviance's optimum, to which our fit
 *    agrees to ~1e-7 in β and ~1e-6 in the finite-difference Var(β̂) lme4's deriv12 gives.
 *  - the distribution functions: ptukey 1e-9 relative, its upper tail 1e-9 relative or 1e-12
 *    absolute (at 1,000 df the log of the χ density's constant, ~3000 − 3000, carries 3e-13 in R and
 *    here alike: worst 4.5e-13); qtukey, dunnettx quantiles and p.adjust 1e-12, qf 1e-10.
 * emmeans's notes are compared as lists, less the two it prints as messages rather than notes (the
 * interaction NOTE and the tukey-to-sidak note).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { glmer } from '../src/fit/glmer.js';
import { readCsv } from '../src/io/csv.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';
import type { EmmeansOptions } from '../src/inference/emmeans.js';
import { ptukey, qtukey } from '../src/stats/tukey.js';
import { pAdjust } from '../src/stats/pAdjust.js';
import { qf } from '../src/inference/distributions.js';
import { dunnettxQuantile, mvtDf } from '../src/inference/emmAdjust.js';
import { pmvt, qmvtBoth } from '../src/stats/mvt.js';
import { contrastFamily, orthogonalPolynomials } from '../src/inference/emmContrasts.js';
import '../src/inference/methods.js';
import { fitFixtureModels } from './helpers/atTheta.js';
import { runEmmeans } from '../src/cli/inferenceCommands.js';

const dir = join(import.meta.dirname, 'fixtures', 'emmeans');
type Cell = string | number | null;
interface Table { columns: string[]; rows: Cell[][]; mesg: string[] | string }
interface Case {
  name: string; model: string; remlModel?: string; adjust?: string; specs: string; var?: string; ddf?: string; weights?: string; at?: Record<string, number | number[]>; type?: string; level?: number; offset?: number;
  emm: Table;
  contrasts?: { method: string; adjust?: string; ref?: number; level?: number; custom?: Record<string, number[]>; result: Table }[];
}
const fx = JSON.parse(readFileSync(join(dir, 'emmeans.json'), 'utf8')) as {
  models: Record<string, { formula: string; data: string; reml?: boolean; family?: string; link?: string; theta: number[] | number; beta: Record<string, number> }>;
  cases: Case[];
  distributions: {
    ptukey: { q: number; nmeans: number; df: number | 'Inf'; lower: number; upper: number }[];
    qtukey: { p: number; nmeans: number; df: number | 'Inf'; q: number }[];
    qdunnettx: { p: number; m: number; df: number | 'Inf'; x: number }[];
    qf: { p: number; df1: number; df2: number; q: number }[];
    p_adjust: { p: number[]; n: number; methods: Record<string, { all: number[]; padded: number[] }> };
    mvt: {
      pmvt: { lower: (number | null)[]; upper: (number | null)[]; corr: number[]; df: number; value: number }[];
      qmvt: { corr: number[]; df: number; p: number; q: number }[];
      A_consec: MvtExact; A_pairwise: MvtExact;
    };
  };
};
/** exact (abseps 1e-6) mvt p-values and critical value of a family of contrasts: their t, df (emmeans's), p, cv */
interface MvtExact { t: number[]; df: number[]; p: number[]; cv: number }
/**
 * emmeans's mvt adjustment integrates the multivariate t with mvtnorm's randomized lattice (its
 * default abseps 1e-3, R's random seed), so its printed p-values are within ~1e-3 of the integral and
 * its critical values within ~1e-3/(dP/dc) ≈ 0.01 (qmvt's root of that noisy probability): emmeans's
 * mvt results are compared to MVT_P (p) and MVT_CV × SE (interval ends), and ours against the integrals
 * computed to abseps 1e-6 in R (fixture distributions.mvt) at our own integration's accuracy.
 */
const MVT_P = 2e-3;
const yieldTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
const MVT_CV = 0.01;
const inf = (x: number | 'Inf') => (x === 'Inf' ? Infinity : x);
const list = (m: string[] | string) => (Array.isArray(m) ? m : [m]);
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

function dataOf(name: string) {
  const file = name === 'sleepstudy' || name === 'cbpp' ? join(import.meta.dirname, 'fixtures', 'data', `${name}.csv`) : join(dir, name);
  return readCsv(readFileSync(file)).table;
}

const fits = new Map<string, LmmFit | GlmmFit>();
/** lmer models assembled at lme4's θ (no optimizer) */
const atTheta = new Map<string, LmmFit>();
beforeAll(() => fitFixtureModels(fx.models, dataOf, (data) => (data === 'sleepstudy' ? ['Subject', 'Days'] : data === 'cbpp' ? ['period', 'herd'] : []), { fits, atTheta }), 120_000);

/**
 * compares a value with emmeans's (null: NA, our NaN; df NA for asymptotic: our ∞); `scale`: the
 * estimate's SE, below which a value near 0 is compared absolutely
 */
/** the worst differences seen, by tolerance class (printed with EMM_REPORT=1) */
const worst = new Map<string, { v: number; at: string }>();
function expectClose(ours: number, theirs: Cell, tol: number, what: string, kind: 'p' | 'value' = 'value', scale = 0) {
  const key = `${kind} @ ${tol}`;
  if (theirs !== null) {
    const t = Number(theirs), d = Math.abs(ours - t);
    const v = kind === 'p' ? (d <= 1e-12 ? 0 : d / t) : d / Math.max(Math.abs(t), scale);
    if (!(v <= (worst.get(key)?.v ?? -1))) worst.set(key, { v, at: what });
  }
  if (theirs === null) {
    expect(Number.isNaN(ours) || ours === Infinity, `${what}: ${ours} for emmeans's NA`).toBe(true);
    return;
  }
  const t = Number(theirs);
  const d = Math.abs(ours - t);
  const ok = kind === 'p' ? d <= Math.max(tol * t, 1e-12) : d <= tol * Math.max(Math.abs(t), scale);
  expect(ok, `${what}: ${ours} vs emmeans ${t} (relative ${rel(ours, t).toExponential(2)})`).toBe(true);
}

const notes = (m: string[]) => m.filter((x) => !x.startsWith('NOTE') && !x.startsWith('Note: adjust'));

function checkCase(c: Case, fit: LmmFit | GlmmFit, tol: number, ptol: number, models: Map<string, LmmFit | GlmmFit>) {
  const options: EmmeansOptions = {};
  if (c.ddf) options.ddf = c.ddf as EmmeansOptions['ddf'];
  // an ML fit with its REML refit: emmeans's default, Kenward-Roger with pbkrtest's REML refit
  if (c.remlModel) options.remlRefit = models.get(c.remlModel)! as LmmFit;
  if (c.weights) options.weights = c.weights as EmmeansOptions['weights'];
  if (c.at) options.at = c.at;
  if (c.type) options.type = c.type as 'response';
  if (c.level) options.level = c.level;
  if (c.offset !== undefined) options.offset = c.offset;
  if (c.adjust) options.adjust = c.adjust as EmmeansOptions['adjust'];
  const g = c.var ? fit.emtrends(c.specs, { ...options, var: c.var }) : fit.emmeans(c.specs, options);
  if (c.var) expect(c.emm.columns).toContain(g.estimateName);
  const nv = g.variables.length;
  expect(g.variables.map((v) => v.name)).toEqual(c.emm.columns.slice(0, nv));
  expect(g.rows.length).toBe(c.emm.rows.length);
  g.rows.forEach((r, i) => {
    const exp = c.emm.rows[i];
    g.variables.forEach((v, k) => expect(String(r.levels[v.name])).toBe(String(exp[k])));
    const response = g.backTransformed;
    const ours = response ? [r.response!, r.responseSE!, r.df, r.responseLower!, r.responseUpper!] : [r.emmean, r.SE, r.df, r.lower, r.upper];
    const se = response ? r.responseSE! : r.SE;
    ours.forEach((v, k) => {
      const what = `${c.name} row ${i + 1} ${c.emm.columns[nv + k]}`;
      // mvt's intervals: emmeans's critical value is mvtnorm's randomized one (module comment)
      if (c.adjust === 'mvt' && k >= 3) expect(Math.abs(v - Number(exp[nv + k])), what).toBeLessThanOrEqual(MVT_CV * se);
      else expectClose(v, exp[nv + k], tol, what, 'value', k === 2 ? 0 : se);
    });
  });
  expect(notes(g.messages)).toEqual(list(c.emm.mesg));
  for (const k of c.contrasts ?? []) {
    const what = `${c.name} ${k.method}${k.adjust ? ` ${k.adjust}` : ''}`;
    const res = g.contrast(k.method === 'custom' ? k.custom! : (k.method as 'pairwise'), { adjust: k.adjust as 'none', ref: k.ref, level: k.level });
    expect(res.rows.length, what).toBe(k.result.rows.length);
    const nb = res.by.length;
    res.rows.forEach((r, i) => {
      const exp = k.result.rows[i];
      expect(r.contrast, what).toBe(exp[0]);
      res.by.forEach((b, j) => expect(String(r.by[b])).toBe(String(exp[1 + j])));
      const ratio = res.ratioLabel !== null;
      const ours = ratio ? [r.response!, r.responseSE!, r.df, r.responseLower!, r.responseUpper!, 1, r.ratio, r.p] : [r.estimate, r.SE, r.df, r.lower, r.upper, r.ratio, r.p];
      const se = ratio ? r.responseSE! : r.SE;
      const mvt = res.adjust === 'mvt';
      ours.forEach((v, kk) => {
        const isP = kk === ours.length - 1;
        const col = `${what} ${r.contrast} ${k.result.columns[1 + nb + kk]}`;
        // mvt: emmeans's p-values and critical values are mvtnorm's randomized integrals (module comment)
        if (mvt && isP) expect(Math.abs(v - Number(exp[1 + nb + kk])), col).toBeLessThanOrEqual(MVT_P);
        else if (mvt && (kk === 3 || kk === 4)) expect(Math.abs(v - Number(exp[1 + nb + kk])), col).toBeLessThanOrEqual(MVT_CV * se);
        else expectClose(v, exp[1 + nb + kk], isP ? ptol : tol, col, isP ? 'p' : 'value', kk === 2 || kk === ours.length - 2 ? 1 : se);
      });
    });
    if (res.ratioLabel) expect(k.result.columns).toContain(res.ratioLabel);
    expect(notes(res.messages), what).toEqual(list(k.result.mesg));
  }
}

afterAll(() => {
  if (process.env.EMM_REPORT) for (const [k, w] of worst) console.log(`worst ${k}: ${w.v.toExponential(2)} (${w.at})`);
});

describe('estimated marginal means against emmeans', () => {
  for (const c of fx.cases) {
    const glmm = fx.models[c.model].family !== undefined;
    // each case after a macrotask: the mvt cases compute for seconds, and vitest's worker answers its
    // runner's messages between them
    if (!glmm) it(`${c.name} (at lme4's θ)`, async () => { await yieldTask(); checkCase(c, atTheta.get(c.model)!, 1e-9, 1e-8, atTheta); });
    it(`${c.name}${glmm ? '' : ' (our optimum)'}`, async () => { await yieldTask(); checkCase(c, fits.get(c.model)!, glmm ? 3e-6 : 1e-6, glmm ? 3e-5 : 1e-5, fits); });
  }
});

describe('the distributions behind the adjustments', () => {
  const d = fx.distributions;
  // jsonlite writes R's ±Inf limits as null
  const lim = (sign: number) => (v: number | string | null) => (v === null ? sign * Infinity : Number(v));
  it("the multivariate t and normal rectangles and quantiles: mvtnorm's to abseps 1e-6", async () => {
    await yieldTask();
    for (const x of d.mvt.pmvt) {
      const r = pmvt(x.lower.map(lim(-1)), x.upper.map(lim(1)), Float64Array.from(x.corr), x.df);
      // our integration's target, 3 standard errors ≤ 1e-4 (and the estimate of it below that)
      expect(r.error).toBeLessThanOrEqual(1e-4);
      expect(Math.abs(r.value - x.value), `pmvt df ${x.df}: ${r.value} vs ${x.value}`).toBeLessThanOrEqual(1e-4);
    }
    for (const x of d.mvt.qmvt) {
      const R = Float64Array.from(x.corr), k = Math.round(Math.sqrt(R.length));
      const q = qmvtBoth(x.p, R, x.df);
      // the quantile is the root of our probability computed to 3e-4 (qmvtBoth's abseps): at our c the
      // probability (integrated again to 2e-5) is within 3e-4 + 2e-5 of p, and at R's c within 2e-5 + R's
      // own error (its root of a probability to 1e-6); and c within 3e-4 / (dP/dc) of R's
      const P = (c: number) => pmvt(new Array(k).fill(-c), new Array(k).fill(c), R, x.df, { abseps: 2e-5 }).value;
      expect(Math.abs(P(q) - x.p), `qmvt df ${x.df}: P(our c = ${q})`).toBeLessThanOrEqual(3.2e-4);
      expect(Math.abs(P(x.q) - x.p), `qmvt df ${x.df}: P(R's c = ${x.q})`).toBeLessThanOrEqual(3e-5);
      const slope = (P(x.q + 0.01) - P(x.q - 0.01)) / 0.02;
      expect(Math.abs(q - x.q), `qmvt df ${x.df}: ${q} vs ${x.q}`).toBeLessThanOrEqual(3.2e-4 / slope);
    }
  });
  it("emmeans's .fix.df for mvtnorm", () => {
    expect([0.4, 1.6, 28.72, 28.8, Infinity, 12000, 9999].map(mvtDf)).toEqual([1, 1, 28, 29, 0, 0, 9999]);
  });
  it("ptukey and qtukey are R's", () => {
    for (const x of d.ptukey) {
      expect(rel(ptukey(x.q, x.nmeans, inf(x.df)), x.lower)).toBeLessThan(1e-9);
      const upper = ptukey(x.q, x.nmeans, inf(x.df), false);
      expect(Math.min(rel(upper, x.upper), Math.abs(upper - x.upper) / 1e-3)).toBeLessThan(1e-9);
    }
    for (const x of d.qtukey) expect(rel(qtukey(x.p, x.nmeans, inf(x.df)), x.q)).toBeLessThan(1e-12);
    expect(ptukey(-1, 3, 10)).toBe(0);
    expect(ptukey(Infinity, 3, 10)).toBe(1);
    expect(ptukey(2, 1, 10)).toBeNaN();
  });
  it("emmeans's dunnettx quantile (R's uniroot) and qf", () => {
    for (const x of d.qdunnettx) expect(rel(dunnettxQuantile(x.p, x.m, inf(x.df)), x.x)).toBeLessThan(1e-12);
    for (const x of d.qf) expect(rel(qf(x.p, x.df1, x.df2), x.q)).toBeLessThan(1e-10);
  });
  it("p.adjust is R's", () => {
    const { p, n, methods } = d.p_adjust;
    for (const [m, v] of Object.entries(methods)) {
      pAdjust(p, m as 'holm').forEach((x, i) => expect(rel(x, v.all[i])).toBeLessThan(1e-12));
      pAdjust(p, m as 'holm', n).forEach((x, i) => expect(rel(x, v.padded[i])).toBeLessThan(1e-12));
    }
  });
  it('poly contrasts are orthogonal and in integer form', () => {
    const P = orthogonalPolynomials(5, 4);
    for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) expect(P[a].reduce((s, x, i) => s + x * P[b][i], 0)).toBeCloseTo(a === b ? 1 : 0, 14);
    expect(contrastFamily('poly', ['a', 'b', 'c', 'd', 'e']).coef).toEqual([[-2, -1, 0, 1, 2], [2, -1, -2, -1, 2], [-1, 2, 0, -2, 1], [1, -4, 6, -4, 1]]);
  });
});

describe('emtrends on a glmer fit', () => {
  it('a slope linear in the covariate is its coefficients, with SE √(ℓᵀVℓ)', async () => {
    const fit = await glmer('count ~ trt * expo + (1 | g)', dataOf('poisson.csv'), { family: 'poisson' });
    const tr = fit.emtrends('~ trt', { var: 'expo' });
    expect(tr.estimateName).toBe('expo.trend');
    const b = fit.fixef, V = fit.vcov, names = fit.model.frame.xnames;
    tr.rows.forEach((r) => {
      const l: number[] = names.map((nm) => (nm === 'expo' || nm === `trt${r.levels.trt}:expo` ? 1 : 0));
      const est = l.reduce((s, v, j) => s + v * b[names[j]], 0);
      const varl = l.reduce((s, v, a) => s + v * l.reduce((t, w, c) => t + V[a][c] * w, 0), 0);
      expect(rel(r.emmean, est)).toBeLessThan(1e-8);
      expect(rel(r.SE, Math.sqrt(varl))).toBeLessThan(1e-8);
      expect(r.df).toBe(Infinity);
    });
    // (no interaction note: emmeans's rule wants a term with more variables than trt and expo)
    expect(tr.messages).toEqual(['Confidence level used: 0.95']);
    expect(() => fit.emtrends('~ trt', { var: 'trt' })).toThrow(/'trt' is not a numeric variable/);
  });
});

describe('emmeans: what it refuses, and why', () => {
  it('names the variable, the level, the option', () => {
    const fit = fits.get('m1')!;
    expect(() => fit.emmeans('~ Q')).toThrow(/'Q' is not a variable of the model's fixed part \(its variables: A, B, x, z, d\)/);
    expect(() => fit.emmeans('~ g')).toThrow(/groups random effects/);
    expect(() => fit.emmeans('~ A', { at: { x: 'a' as unknown as number } })).toThrow(/'x' is a numeric variable/);
    expect(() => fit.emmeans('~ A', { at: { A: 'zz' } })).toThrow(/'zz' is not a level of 'A'/);
    expect(() => fit.emmeans('pairwise ~ A')).toThrow(/call \.pairs\(\)/);
    // an untransformed response: type 'response' is the link scale, as emmeans
    expect(fit.emmeans('~ A', { type: 'response' }).rows[0].response).toBeUndefined();
    expect(() => fit.emmeans('~ A', { weights: 'nope' as 'equal' })).toThrow(/weights must be/);
    expect(() => fit.emmeans('~ A', { foo: 1 } as EmmeansOptions)).toThrow(/unknown emmeans option 'foo'/);
    expect(() => fit.emmeans('~ A | A')).toThrow(/named twice/);
    const g = fit.emmeans('~ A');
    expect(() => g.contrast('trt.vs.ctrl', { ref: 'a9' })).toThrow(/ref 'a9' is not one of the estimates' levels/);
    expect(() => g.contrast({ c1: [1, -1] })).toThrow(/must have 3 finite coefficients/);
    expect(() => fits.get('gb')!.emmeans('~ period', { ddf: 'kenward-roger' })).toThrow(/asymptotic/);
  });
  it("an ML fit's Kenward-Roger df need its REML refit, which must be of the same model", () => {
    const ml = fits.get('m1ml')! as LmmFit;
    expect(() => ml.emmeans('~ A', { ddf: 'kenward-roger' })).toThrow(/REML refit.*remlRefit: await fit\.remlFit\(\)/);
    // without a refit an ML fit's default is Satterthwaite's (lmerTest's, on the ML fit)
    expect(ml.emmeans('~ A').messages).toContain('Degrees-of-freedom method: satterthwaite');
    expect(() => ml.emmeans('~ A', { remlRefit: ml })).toThrow(/remlRefit must be the REML fit of the same model.*not a REML fit/);
    expect(() => ml.emmeans('~ A', { remlRefit: fits.get('ms')! as LmmFit })).toThrow(/its formula 'Reaction ~ Days \+ \(1 \| Subject\)' is not the fit's/);
    expect(() => ml.emmeans('~ A', { remlRefit: fits.get('gb')! as unknown as LmmFit })).toThrow(/not an lmer fit/);
    expect(() => fits.get('m1')!.emmeans('~ A', { remlRefit: fits.get('m1')! as LmmFit })).toThrow(/the fit is itself a REML fit/);
    expect(() => fits.get('gb')!.emmeans('~ period', { remlRefit: fits.get('m1')! as LmmFit })).toThrow(/remlRefit is for ML lmer fits/);
    // asked for explicitly, Satterthwaite's on the ML fit ignores the refit's Φ_A
    const sat = ml.emmeans('~ A', { ddf: 'satterthwaite', remlRefit: fits.get('m1')! as LmmFit });
    expect(sat.rows[0].SE).toBe(ml.emmeans('~ A', { ddf: 'satterthwaite' }).rows[0].SE);
  });
  it("remlFit() gives the refit emmeans's default needs", async () => {
    const ml = fits.get('m1ml')! as LmmFit;
    const viaRefit = ml.emmeans('~ A', { remlRefit: await ml.remlFit() });
    const viaFit = ml.emmeans('~ A', { remlRefit: fits.get('m1')! as LmmFit });
    // two REML optimizations of one model from the same start: the same θ̂ to the optimizer's tolerance
    viaRefit.rows.forEach((r, i) => {
      expect(rel(r.SE, viaFit.rows[i].SE)).toBeLessThan(1e-6);
      expect(rel(r.df, viaFit.rows[i].df)).toBeLessThan(1e-5);
      expect(r.emmean).toBe(viaFit.rows[i].emmean);
    });
  });
  it("mvt: consec's default, and pairwise with adjust 'mvt', against the multivariate t integrated to 1e-6", async () => {
    await yieldTask();
    const g = atTheta.get('m1')!.emmeans('~ A');
    for (const [name, con] of [['A_consec', g.contrast('consec')], ['A_pairwise', g.pairs({ adjust: 'mvt' })]] as const) {
      const exact = fx.distributions.mvt[name];
      expect(con.adjust).toBe('mvt');
      con.rows.forEach((r, i) => {
        // at lme4's θ: the t ratios and df are emmeans's (1e-9), the p-values the integral's (our 1e-4)
        expect(rel(r.ratio, exact.t[i])).toBeLessThan(1e-9);
        expect(rel(r.df, exact.df[i])).toBeLessThan(1e-9);
        expect(Math.abs(r.p - exact.p[i]), `${name} ${r.contrast} p`).toBeLessThanOrEqual(1e-4);
        // the critical value, (estimate − lower)/SE: the quantile of a probability to 3e-4 (as qmvt
        // above; dP/dc > 0.3 at these 95% quantiles of 2 and 3 contrasts)
        expect(Math.abs((r.estimate - r.lower) / r.SE - exact.cv), `${name} ${r.contrast} cv`).toBeLessThanOrEqual(1e-3);
      });
      expect(con.messages).toContain(`P value adjustment: mvt method for ${con.rows.length} tests`);
    }
  });
  it('prints as emmeans does, with nonEst for what is not estimable', () => {
    const text = fits.get('me')!.emmeans('~ A').pairs().toString();
    expect(text).toMatch(/a1 - a3 +nonEst/);
    expect(text).toContain('P value adjustment: tukey method for comparing a family of 3 estimates');
    const resp = fits.get('gb')!.emmeans('~ period', { type: 'response' });
    expect(resp.toString().split('\n')[0]).toMatch(/^ period +prob +SE +df +asymp\.LCL +asymp\.UCL$/);
    expect(resp.pairs().toString().split('\n')[0]).toMatch(/contrast +odds\.ratio +SE +df +null +z\.ratio +p\.value/);
    const json = resp.pairs().toJSON() as { rows: Record<string, unknown>[] };
    expect(Object.keys(json.rows[0])).toEqual(expect.arrayContaining(['contrast', 'odds.ratio', 'z_ratio', 'p_value']));
  });
});

describe('mixedgpu emmeans', () => {
  const io = () => {
    const out: string[] = [], err: string[] = [];
    return { out, err, stdout: (s: string) => { out.push(s); }, stderr: (s: string) => { err.push(s); }, stderrIsTTY: false };
  };
  const factorial = join(dir, 'factorial.csv');
  const F = 'y ~ A * B + x + log(z) + d + (1 | g)';
  it('prints the means and their contrasts; --json has the same numbers as the library', async () => {
    const a = io();
    expect(await runEmmeans({ file: factorial, formula: F, specs: '~ A | B', contrast: 'pairwise', quiet: true }, a)).toBe(0);
    const text = a.out.join('');
    // emmeans's blocks: one table of A's means per level of B
    expect(text).toMatch(/^B = hi:\n A +emmean +SE +df +lower\.CL +upper\.CL\n/);
    expect(text).toMatch(/\n\nB = lo:\n A +emmean /);
    expect(text).toContain('P value adjustment: tukey method for comparing a family of 3 estimates');
    const b = io();
    expect(await runEmmeans({ file: factorial, formula: F, specs: 'A', contrast: 'trt.vs.ctrl', ref: 'a2', adjust: 'holm', at: 'x=1.5', json: true, quiet: true }, b)).toBe(0);
    const json = JSON.parse(b.out.join('')) as { emmeans: { rows: { A: string; emmean: number }[] }; contrasts: { adjust: string; rows: { contrast: string; p_value: number }[] } };
    const lib = fits.get('m1')!.emmeans('~ A', { at: { x: 1.5 } });
    json.emmeans.rows.forEach((r, i) => expect(r.emmean).toBe(lib.rows[i].emmean));
    expect(json.contrasts.adjust).toBe('holm');
    expect(json.contrasts.rows.map((r) => r.contrast)).toEqual(['a1 - a2', 'a3 - a2']);
    const pv = lib.contrast('trt.vs.ctrl', { ref: 'a2', adjust: 'holm' }).rows.map((r) => r.p);
    json.contrasts.rows.forEach((r, i) => expect(r.p_value).toBe(pv[i]));
  });
  it("--ml: emmeans's default df, Kenward-Roger from the REML refit; --ddf satterthwaite without one", async () => {
    const exp = fx.cases.find((c) => c.name === 'A_ml_kr')!;
    const a = io();
    expect(await runEmmeans({ file: factorial, formula: F, specs: 'A', ml: true, json: true, quiet: true }, a)).toBe(0);
    const json = JSON.parse(a.out.join('')) as { emmeans: { rows: { A: string; emmean: number; SE: number; df: number }[] } };
    // our ML and REML optima against lme4's: the fixture test's optimum tolerances (1e-6)
    json.emmeans.rows.forEach((r, i) => {
      expect(r.A).toBe(exp.emm.rows[i][0]);
      expect(rel(r.emmean, exp.emm.rows[i][1] as number)).toBeLessThan(1e-6);
      expect(rel(r.SE, exp.emm.rows[i][2] as number)).toBeLessThan(1e-6);
      expect(rel(r.df, exp.emm.rows[i][3] as number)).toBeLessThan(1e-6);
    });
    const b = io();
    expect(await runEmmeans({ file: factorial, formula: F, specs: 'A', ml: true, ddf: 'satterthwaite', quiet: true }, b)).toBe(0);
    expect(b.out.join('')).toContain('Degrees-of-freedom method: satterthwaite');
  });
  it('--trend gives emtrends', async () => {
    const a = io();
    expect(await runEmmeans({ file: factorial, formula: 'y ~ A * x + B + log(z) + (1 | g)', specs: 'A', trend: 'x', json: true, quiet: true }, a)).toBe(0);
    const rows = (JSON.parse(a.out.join('')) as { emmeans: { rows: { A: string; 'x.trend': number }[] } }).emmeans.rows;
    const lib = fits.get('m2')!.emtrends('~ A', { var: 'x' }).rows;
    rows.forEach((r, i) => expect(r['x.trend']).toBe(lib[i].emmean));
  });
  it('glmer on the response scale, and errors naming the problem', async () => {
    const a = io();
    expect(await runEmmeans({ file: join(import.meta.dirname, 'fixtures', 'data', 'cbpp.csv'), formula: 'cbind(incidence, size - incidence) ~ period + (1 | herd)', specs: 'period', family: 'binomial', factors: 'period,herd', type: 'response', contrast: 'pairwise', quiet: true }, a)).toBe(0);
    expect(a.out.join('')).toMatch(/odds\.ratio/);
    const b = io();
    expect(await runEmmeans({ file: factorial, formula: F, specs: 'A', at: 'x', quiet: true }, b)).toBe(1);
    expect(b.err.join('')).toMatch(/--at 'x': give name=value/);
    // consec with its default, the multivariate t
    const c = io();
    expect(await runEmmeans({ file: factorial, formula: F, specs: 'A', contrast: 'consec', quiet: true }, c)).toBe(0);
    expect(c.out.join('')).toContain('P value adjustment: mvt method for 2 tests');
    const d = io();
    expect(await runEmmeans({ file: factorial, formula: F, specs: 'A', contrast: 'pairwise', adjust: 'mvtx', quiet: true }, d)).toBe(1);
    expect(d.err.join('')).toMatch(/adjust must be one of .*mvt/);
  });
});
