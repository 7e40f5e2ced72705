/**
 * lme4's `contrasts` (contr.sum, contr.helmert, contr.SAS, contr.poly) against lme4 1.1-31
 * (test/oracle/contrasts.R → test/fixtures/contrasts/): X's column names, β, SEs, vcov, σ and the
 * criterion at lme4's θ (no optimizer) and at our optimum; glmer's Laplace deviance at fixed (θ, β)
 * and its fit; the coding-invariant quantities against the treatment-coded fit; the refusals.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { buildLmm } from '../src/lmm/model.js';
import { buildGlmm } from '../src/glmm/model.js';
import { PirlsEngine } from '../src/glmm/pirls.js';
import { thetaToInternal } from '../src/model/reparam.js';
import { contrastMatrix, polyContrasts } from '../src/frame/contrasts.js';
import { readCsv } from '../src/io/csv.js';
import type { Contrasts } from '../src/frame/contrasts.js';
import { fitAtTheta } from './helpers/atTheta.js';

const DIR = join(import.meta.dirname, 'fixtures', 'contrasts');
const ref = JSON.parse(readFileSync(join(DIR, 'contrasts.json'), 'utf8'));
const contr = readCsv(readFileSync(join(DIR, 'contr.csv'), 'utf8')).table;
const cbpp = readCsv(readFileSync(join(import.meta.dirname, 'fixtures', 'data', 'cbpp.csv'), 'utf8')).table;
const dataOf = (name: string) => (name === 'cbpp' ? cbpp : contr);
const CBPP_FACTORS = ['herd', 'period'];

interface LmmCase { formula: string; contrasts: Contrasts; REML: boolean; xnames: string[]; theta: number[]; beta: number[]; se: number[]; vcov: number[][]; sigma: number; criterion: number; X_head: number[][]; objective_at: { theta: number[]; value: number } }
interface GlmmCase { data: string; formula: string; contrasts: Contrasts; xnames: string[]; theta: number[]; beta: number[]; se: number[]; deviance: number; objective_at: { theta: number[]; beta: number[]; value: number }[] }

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

describe('contrast matrices (R 4.2.2 stats)', () => {
  it('contr.sum, helmert, SAS, treatment, poly(4) as R prints them', () => {
    const lv = ['a', 'b', 'c', 'd'];
    expect(Array.from(contrastMatrix('contr.sum', lv).matrix)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1, -1, -1, -1]);
    expect(Array.from(contrastMatrix('contr.helmert', lv).matrix)).toEqual([-1, -1, -1, 1, -1, -1, 0, 2, -1, 0, 0, 3]);
    expect(Array.from(contrastMatrix('contr.SAS', lv).matrix)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
    expect(contrastMatrix('contr.SAS', lv).suffixes).toEqual(['a', 'b', 'c']);
    expect(Array.from(contrastMatrix('contr.treatment', lv).matrix)).toEqual([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(contrastMatrix('contr.poly', [...lv, 'e']).suffixes).toEqual(['.L', '.Q', '.C', '^4']);
    // R: contr.poly(4), printed to 16 digits; orthonormal polynomials are exact to ~1e-16 in float64
    const R = [-0.6708203932499369, 0.5, -0.2236067977499790, -0.2236067977499790, -0.5, 0.6708203932499369,
      0.2236067977499790, -0.5, -0.6708203932499369, 0.6708203932499369, 0.5, 0.2236067977499790];
    polyContrasts(4).forEach((v, k) => expect(Math.abs(v - R[k])).toBeLessThan(1e-15));
  });
});

describe('lmer with contrasts at lme4\'s θ (no optimizer)', () => {
  for (const [name, c] of Object.entries(ref.lmm as Record<string, LmmCase>)) {
    it(name, () => {
      const model = buildLmm(c.formula, contr, { REML: c.REML, contrasts: c.contrasts });
      expect(model.frame.xnames).toEqual(c.xnames);
      // X's first rows: the contrast matrices' entries (products of them), exact up to contr.poly's rounding
      const { X, n, p } = model.frame;
      c.X_head.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(X[j * n + i] - v)).toBeLessThan(1e-15)));
      expect(p).toBe(c.xnames.length);
      const fit = fitAtTheta(model, c.theta);
      // at the same θ the criterion, β, σ and vcov are closed-form functions of A: 1e-8 relative (float64
      // sums over 240 rows and a p × p solve, against R's to 16 digits)
      expect(rel(fit.objective, c.criterion)).toBeLessThan(1e-8);
      fit.beta.forEach((b, j) => expect(rel(b, c.beta[j])).toBeLessThan(1e-8));
      expect(rel(fit.sigma, c.sigma)).toBeLessThan(1e-8);
      Object.values(fit.se).forEach((s, j) => expect(rel(s, c.se[j])).toBeLessThan(1e-8));
      fit.vcov.forEach((row, a) => row.forEach((v, b) => expect(rel(v, c.vcov[a][b])).toBeLessThan(1e-8)));
      // the profiled criterion at a second θ
      expect(rel(fitAtTheta(model, c.objective_at.theta).objective, c.objective_at.value)).toBeLessThan(1e-8);
    });
  }
});

describe('lmer with contrasts at our optimum', () => {
  for (const [name, c] of Object.entries(ref.lmm as Record<string, LmmCase>)) {
    it(name, async () => {
      const fit = await lmer(c.formula, contr, { REML: c.REML, contrasts: c.contrasts });
      expect(fit.model.frame.xnames).toEqual(c.xnames);
      // lme4 ran bobyqa to rhoend 1e-12: θ̂ is known to ~1e-7 (a flat criterion moves θ by
      // √(Δcriterion)), so the criterion agrees to ~1e-12 and θ, β, SEs to ~1e-7 (worst seen: criterion
      // 8e-13, θ 4.6e-8, β 2e-9, SE 7.7e-9); a singular slope (covariate_helmert_ml) sits on the boundary in both
      expect(fit.objective).toBeLessThanOrEqual(c.criterion + 1e-9);
      expect(Math.abs(fit.objective - c.criterion)).toBeLessThan(1e-9);
      fit.theta.forEach((t, k) => expect(Math.abs(t - c.theta[k])).toBeLessThan(1e-6));
      fit.beta.forEach((b, j) => expect(rel(b, c.beta[j])).toBeLessThan(1e-7));
      Object.values(fit.se).forEach((s, j) => expect(rel(s, c.se[j])).toBeLessThan(1e-7));
    });
  }

  it('the coding changes β, not the fit: ML deviance, fitted values and σ equal the treatment-coded fit\'s', async () => {
    // (REML's criterion is not invariant: log|R_XX|² moves by log det(T)² for X T)
    const sum = await lmer('y ~ a * b + (1 | g)', contr, { REML: false, contrasts: { a: 'contr.sum', b: 'contr.helmert' } });
    const trt = await lmer('y ~ a * b + (1 | g)', contr, { REML: false });
    const poly = await lmer('y ~ a * b + (1 | g)', contr, { REML: false, contrasts: { a: 'contr.SAS', b: 'contr.poly' } });
    expect(trt.model.frame.xnames).toContain('alo');
    for (const f of [sum, poly]) {
      // same column span of X: the same ML deviance up to the optimizer's stopping (1e-8)
      expect(Math.abs(f.objective - trt.objective)).toBeLessThan(1e-8);
      expect(rel(f.sigma, trt.sigma)).toBeLessThan(1e-5);
      const a = f.fitted, b = trt.fitted;
      a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(1e-5));
    }
    // explicit contr.treatment is the default coding
    const explicit = await lmer('y ~ a * b + (1 | g)', contr, { contrasts: { a: 'contr.treatment' } });
    expect(explicit.model.frame.xnames).toEqual(trt.model.frame.xnames);
    expect(explicit.model.frame.contrasts).toBeUndefined();
  });
});

describe('glmer (binomial) with contrasts', () => {
  for (const [name, c] of Object.entries(ref.glmm as Record<string, GlmmCase>)) {
    it(`${name}: the Laplace deviance at lme4's (θ, β) (PIRLS converged)`, () => {
      const model = buildGlmm(c.formula, dataOf(c.data), { family: 'binomial', contrasts: c.contrasts, factors: c.data === 'cbpp' ? CBPP_FACTORS : [] });
      expect(model.frame.xnames).toEqual(c.xnames);
      const engine = new PirlsEngine(model.pirls);
      for (const pt of c.objective_at) {
        engine.reset();
        // as test/glmm.test.ts: the deviance of PIRLS converged to 1e-12 agrees to 1e-8
        expect(Math.abs(engine.run(thetaToInternal(model, pt.theta), pt.beta).laplace - pt.value)).toBeLessThan(1e-8);
      }
    });
    it(`${name}: the fit`, async () => {
      const fit = await glmer(c.formula, dataOf(c.data), { family: 'binomial', contrasts: c.contrasts, factors: c.data === 'cbpp' ? CBPP_FACTORS : [] });
      expect(fit.model.frame.xnames).toEqual(c.xnames);
      // lme4 ran bobyqa to rhoend 1e-12 with tolPwrss 1e-12, over (θ, β) jointly: deviance to 1e-7, θ and
      // β to 1e-5 (a flat deviance: √ of the optimizers' difference), SEs (glmer's Hessian by finite
      // differences, ours by its stencil) to 1e-5 (worst seen: deviance 1.3e-8, θ 8.5e-8, β 3.8e-7, SE 8.8e-7)
      expect(Math.abs(fit.objective - c.deviance)).toBeLessThan(1e-7);
      fit.theta.forEach((t, k) => expect(Math.abs(t - c.theta[k])).toBeLessThan(1e-5));
      fit.beta.forEach((b, j) => expect(Math.abs(b - c.beta[j])).toBeLessThan(1e-5));
      Object.values(fit.se).forEach((s, j) => expect(rel(s, c.se[j])).toBeLessThan(1e-5));
    });
  }
});

describe('contrasts: refusals', () => {
  it('an unknown contrast name, a non-object', async () => {
    await expect(lmer('y ~ a + (1 | g)', contr, { contrasts: { a: 'sum' as never } })).rejects.toThrow(/lmer: contrasts\.a: unknown contrast 'sum' \(did you mean 'contr\.sum'\?\)/);
    await expect(lmer('y ~ a + (1 | g)', contr, { contrasts: 'contr.sum' as never })).rejects.toThrow(/contrasts must be an object of contrast names by factor/);
    await expect(glmer('yb ~ a + (1 | g)', contr, { family: 'binomial', contrasts: { a: 'contr.foo' as never } })).rejects.toThrow(/glmer: contrasts\.a: unknown contrast 'contr\.foo'/);
  });
  it('a name that is not a factor of the fixed part', async () => {
    await expect(lmer('y ~ a + (1 | g)', contr, { contrasts: { bb: 'contr.sum' } })).rejects.toThrow(/contrasts: 'bb' is neither a variable of the fixed effects of 'y ~ a \+ \(1 \| g\)' \(its factors: a\) nor a column of the data/);
    await expect(lmer('y ~ a + x + (1 | g)', contr, { contrasts: { x: 'contr.sum' } })).rejects.toThrow(/contrasts: 'x' is numeric, not a factor/);
    // a column the fixed part does not use: ignored with a note, as R warns (a smaller model of a comparison)
    const fit = await lmer('y ~ a + (1 | g)', contr, { contrasts: { b: 'contr.sum', g: 'contr.sum', a: 'contr.sum' } });
    expect(fit.messages.join('\n')).toMatch(/contrasts: the variable 'b' is absent from the fixed effects of 'y ~ a \+ \(1 \| g\)', its contrasts are ignored/);
    expect(fit.messages.join('\n')).toMatch(/the variable 'g' is absent/);
    expect(fit.model.frame.contrasts).toEqual({ a: 'contr.sum' });
  });
  it('a factor in a random-effects term', async () => {
    await expect(lmer('y ~ a + (0 + a | g)', contr, { contrasts: { a: 'contr.sum' } })).rejects.toThrow(/the factor 'a' also appears in a random-effects term \(\(0 \+ a \| g\)\)/);
  });
});

describe('downstream of a contrast-coded fit (lmerTest, car, emmeans on y ~ a * b + (1 | g))', () => {
  const A = ref.anova;
  type Tab = { terms: string[]; F: number[]; NumDF: number[]; DenDF: number[]; p: number[] };
  // lmerTest's tables at lme4's tight optimum; ours at our optimum (θ within ~1e-7): F and the
  // denominator df to 1e-7 relative (worst seen 4.6e-9, helmert/poly's type III), p to 1e-6 relative
  const same = (rows: { term: string; F: number; numdf: number; dendf: number; p: number }[], t: Tab) => {
    expect(rows.map((r) => r.term)).toEqual(t.terms);
    rows.forEach((r, k) => {
      expect(r.numdf).toBe(t.NumDF[k]);
      expect(rel(r.F, t.F[k])).toBeLessThan(1e-7);
      expect(rel(r.dendf, t.DenDF[k])).toBeLessThan(1e-7);
      expect(Math.abs(r.p - t.p[k]) / t.p[k]).toBeLessThan(1e-6);
    });
  };
  const fits = (async () => ({
    sum: await lmer(A.formula, contr, { contrasts: { a: 'contr.sum', b: 'contr.sum' } }),
    hp: await lmer(A.formula, contr, { contrasts: { a: 'contr.helmert', b: 'contr.poly' } }),
    trt: await lmer(A.formula, contr, {}),
  }))();

  it("lmerTest's type III (Satterthwaite, Kenward-Roger) and type I with contr.sum; type III with helmert/poly and with treatment", async () => {
    const { sum, hp, trt } = await fits;
    same(sum.anova({ type: 3 }), A.type3_sum);
    same(sum.anova({ type: 3, ddf: 'kenward-roger' }), A.type3_sum_kr);
    same(sum.anova({ type: 1 }), A.type1_sum);
    same(hp.anova({ type: 3 }), A.type3_helmert_poly);
    same(trt.anova({ type: 3 }), A.type3_treatment);
    // type III depends on the coding only through estimability: the same table as the treatment fit's
    sum.anova({ type: 3 }).forEach((r, k) => expect(rel(r.F, trt.anova({ type: 3 })[k].F)).toBeLessThan(1e-6));
  });

  it("car::Anova(type = 3) with contr.sum: the Wald χ² of each term's coefficients", async () => {
    const { sum } = await fits;
    const { waldAnova } = await import('../src/inference/waldAnova.js');
    const rows = waldAnova(sum.model.frame, sum.beta, Float64Array.from(sum.vcov.flat()), 'III');
    expect(rows.map((r) => r.term)).toEqual(A.car_type3_sum.terms);
    rows.forEach((r, k) => {
      expect(r.df).toBe(A.car_type3_sum.df[k]);
      // β̂ and Var(β̂) at our optimum against lme4's (~1e-8 relative, above; worst seen 9.3e-9)
      expect(rel(r.chisq, A.car_type3_sum.chisq[k])).toBeLessThan(1e-7);
    });
  });

  it('emmeans means and pairwise contrasts equal emmeans 1.8.4 with contr.sum and the treatment fit\'s', async () => {
    const { sum, trt } = await fits;
    const g = sum.emmeans('~ a');
    expect(g.rows.map((r) => String(r.levels.a))).toEqual(A.emmeans_a.levels);
    g.rows.forEach((r, i) => {
      // at our optimum (β̂ to ~1e-9 there): means to 1e-8, SEs and the Kenward-Roger df to 1e-7
      // (worst seen: 2.9e-11, 8.2e-10, 4.2e-9)
      expect(rel(r.emmean, A.emmeans_a.emmean[i])).toBeLessThan(1e-8);
      expect(rel(r.emmean, A.emmeans_a.emmean_treatment[i])).toBeLessThan(1e-8);
      expect(rel(r.SE, A.emmeans_a.SE[i])).toBeLessThan(1e-7);
      expect(rel(r.df, A.emmeans_a.df[i])).toBeLessThan(1e-7);
    });
    const t = trt.emmeans('~ a');
    t.rows.forEach((r, i) => expect(Math.abs(r.emmean - g.rows[i].emmean)).toBeLessThan(1e-6));
    // emmeans's pairwise contrasts: the estimates' and SEs' (1e-5: as the means, which they difference), p to 1e-5 absolute
    const pw = g.pairs();
    expect(pw.rows.map((r) => r.contrast)).toEqual(A.pairs_a.contrast);
    pw.rows.forEach((r, i) => {
      expect(rel(r.estimate, A.pairs_a.estimate[i])).toBeLessThan(1e-5);
      expect(rel(r.SE, A.pairs_a.SE[i])).toBeLessThan(1e-5);
      expect(Math.abs(r.p - A.pairs_a.p[i])).toBeLessThan(1e-5);
    });
    // joint tests: invariant to the coding (two fits of ours: 1e-5, the optimizers' stopping)
    const js = sum.jointTests(), jt = trt.jointTests();
    js.rows.forEach((r, k) => expect(rel(r.F, jt.rows[k].F)).toBeLessThan(1e-5));
  });

  it('predictions on new data and drop1 equal the treatment-coded fit\'s', async () => {
    const { sum, hp, trt } = await fits;
    const nd = { a: ['hi', 'lo', 'mid', 'lo'], b: ['A', 'D', 'C', 'B'], g: ['g01', 'g02', 'g03', 'g04'] };
    const p0 = trt.predict(nd);
    // two fits of ours, each optimized on its own: they agree up to the optimizers' stopping (θ to ~1e-7),
    // so 1e-5 on the response's scale (~1) and on F is a coding bug's, not a stopping rule's, margin
    for (const f of [sum, hp]) {
      f.predict(nd).forEach((v, i) => expect(Math.abs(v - p0[i])).toBeLessThan(1e-5));
      f.predict(nd, { reForm: '~0' }).forEach((v, i) => expect(Math.abs(v - trt.predict(nd, { reForm: '~0' })[i])).toBeLessThan(1e-5));
    }
    const { drop1Table } = await import('../src/inference/drop1.js');
    const d0 = drop1Table(trt).rows, d1 = drop1Table(sum).rows;
    d1.forEach((r, k) => expect(rel(r.F, d0[k].F)).toBeLessThan(1e-5));
  });

  it("lmerTest's step and ranova refit with the fit's contrasts: the same tables and final model as the treatment fit's", async () => {
    const { sum, trt } = await fits;
    const [s1, s0] = [await sum.step(), await trt.step()];
    expect(s1.formula).toBe(s0.formula);
    s1.fixed.forEach((r, k) => expect(rel(r.F, s0.fixed[k].F)).toBeLessThan(1e-5));
    s1.random.forEach((r, k) => expect(Math.abs((r.LRT ?? 0) - (s0.random[k].LRT ?? 0))).toBeLessThan(1e-5));
    // the final model (a + b + (1 | g)) keeps contr.sum: its names a1, a2, b1, b2, b3
    expect(s1.model.model.frame.xnames).toEqual(['(Intercept)', 'a1', 'a2', 'b1', 'b2', 'b3']);
    const [r1, r0] = [await sum.ranova(), await trt.ranova()];
    r1.forEach((r, k) => expect(Math.abs((r.LRT ?? 0) - (r0[k].LRT ?? 0))).toBeLessThan(1e-5));
  });
});
