/**
 * factor(), as.factor(), poly(), ns() and bs() in lme4 formulas against lme4 1.1-31, lmerTest 3.1-3 and
 * emmeans 1.8.4 (test/oracle/formula_functions.R → test/fixtures/formula_functions/models.json):
 * X's column names and values, the criterion at lme4's θ (no optimizer) and at a second θ, the fit
 * (θ, β, SEs, σ, criterion), population-level predictions on new data beyond the data's range,
 * lmerTest's anova of the poly models, emmeans of a factor() model; the refusals.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { buildLmm } from '../src/lmm/model.js';
import { buildGlmm } from '../src/glmm/model.js';
import { readCsv } from '../src/io/csv.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';
import { fitAtTheta } from './helpers/atTheta.js';

const DIR = join(import.meta.dirname, 'fixtures', 'formula_functions');
const ref = JSON.parse(readFileSync(join(DIR, 'models.json'), 'utf8'));
const data = {
  sleepstudy: readCsv(readFileSync(join(import.meta.dirname, 'fixtures', 'data', 'sleepstudy.csv'), 'utf8')).table,
  ff: readCsv(readFileSync(join(DIR, 'ff.csv'), 'utf8')).table,
};
type DataName = keyof typeof data;
const factorsOf = (d: DataName) => (d === 'sleepstudy' ? ['Subject'] : []);

interface Case {
  data: DataName; formula: string; REML?: boolean; family?: 'poisson'; xnames: string[]; X: number[][]; n: number;
  theta: number[]; beta: number[]; se: number[]; se_rx?: number[]; sigma: number; criterion: number; cnames: Record<string, string[]>;
  objective_at?: { theta: number[]; value: number };
  predict_new: { newdata: Record<string, (number | string)[]>; value: number[] };
}
const cases = ref.models as Record<string, Case>;
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

describe('the model matrix and the criterion at lme4\'s θ (no optimizer)', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.formula}`, () => {
      const model = c.family
        ? buildGlmm(c.formula, data[c.data], { family: c.family, factors: factorsOf(c.data) })
        : buildLmm(c.formula, data[c.data], { REML: c.REML, factors: factorsOf(c.data) });
      const { X, n, xnames } = model.frame;
      expect(xnames).toEqual(c.xnames);
      expect(n).toBe(c.n);
      // model.matrix's values: the bases agree with R's to ~1e-15 relative (orthogonalization, de Boor);
      // 1e-12 relative to max(1, |x|) (worst seen 3.3e-15)
      c.X.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(X[j * n + i] - v) / Math.max(1, Math.abs(v))).toBeLessThan(1e-12)));
      // the random-effects terms' columns and grouping factors as lme4's cnms
      expect(Object.fromEntries(model.frame.reTerms.map((t) => [t.group, t.cnames]))).toEqual(c.cnames);
      if (c.family || !c.objective_at) return;
      const lmm = model as ReturnType<typeof buildLmm>;
      // at the same θ the criterion, β and σ are closed-form functions of A: 1e-8 relative (as the other
      // reference tests: float64 sums over ≤ 300 rows against R's 15 digits)
      const fit = fitAtTheta(lmm, c.theta);
      expect(rel(fit.objective, c.criterion)).toBeLessThan(1e-8);
      fit.beta.forEach((b, j) => expect(rel(b, c.beta[j])).toBeLessThan(1e-7));
      expect(rel(fit.sigma, c.sigma)).toBeLessThan(1e-7);
      expect(rel(fitAtTheta(lmm, c.objective_at.theta).objective, c.objective_at.value)).toBeLessThan(1e-8);
    });
  }
});

/** lme4's newdata as rows of an Arrow table (a data frame written column-wise by jsonlite) */
const newTable = (nd: Record<string, (number | string)[]>) => nd;

describe('the fit at our optimum and predictions on new data', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.formula}`, async () => {
      const fit = c.family
        ? await glmer(c.formula, data[c.data], { family: c.family, factors: factorsOf(c.data) })
        : await lmer(c.formula, data[c.data], { REML: c.REML, factors: factorsOf(c.data) });
      expect(fit.model.frame.xnames).toEqual(c.xnames);
      if (c.family) {
        // glmer to rhoend 1e-12 with tolPwrss 1e-12 over (θ, β): deviance to 1e-7, θ and β to 1e-5 (as
        // test/contrasts.test.ts's glmer fits; a flat deviance moves them by √ of the optimizers' difference)
        expect(Math.abs(fit.objective - c.criterion)).toBeLessThan(1e-7);
        fit.theta.forEach((t, k) => expect(Math.abs(t - c.theta[k])).toBeLessThan(1e-5));
        fit.beta.forEach((b, j) => expect(Math.abs(b - c.beta[j])).toBeLessThan(1e-5));
        // lme4's SEs come from its finite-difference Hessian of the deviance (deriv12, step 1e-4), ours from
        // the Hessian stencil: they differ by that difference's error, 2.6e-5 relative here, so 1e-4; the
        // RX-based SEs (vcov(use.hessian = FALSE)) are free of it: 1e-6 (worst seen 4e-8)
        Object.values(fit.se).forEach((s, j) => expect(rel(s, c.se[j])).toBeLessThan(1e-4));
        (fit as GlmmFit).vcovRX.forEach((row, j) => expect(rel(Math.sqrt(row[j]), c.se_rx![j])).toBeLessThan(1e-6));
      } else {
        // lme4 ran bobyqa to rhoend 1e-12: θ̂ known to ~1e-7; the criterion to 1e-9, θ 1e-6, β and SEs 1e-7 relative
        expect(fit.objective).toBeLessThanOrEqual(c.criterion + 1e-9);
        expect(Math.abs(fit.objective - c.criterion)).toBeLessThan(1e-9);
        // the 3 × 3 covariance of (1, poly(Days, 2)) (six θ, the poly columns' entries ~0.07 so θ ~7) is
        // flat along one direction: our criterion is 3.2e-11 below lme4's (REML; ML 7e-13 above) with θ
        // 8e-6 from lme4's, √(Δcriterion/curvature); so 2e-5 there, 1e-6 elsewhere; the SEs, functions of θ,
        // move with it by 5.5e-7 relative: 1e-6 there, 1e-7 elsewhere
        const flat = c.cnames.Subject?.length === 3;
        const thetaTol = flat ? 2e-5 : 1e-6;
        fit.theta.forEach((t, k) => expect(Math.abs(t - c.theta[k])).toBeLessThan(thetaTol));
        fit.beta.forEach((b, j) => expect(rel(b, c.beta[j])).toBeLessThan(1e-7));
        Object.values(fit.se).forEach((s, j) => expect(rel(s, c.se[j])).toBeLessThan(flat ? 1e-6 : 1e-7));
        expect(rel(fit.sigma, c.sigma)).toBeLessThan(1e-7);
      }
      // predict(m, newdata, re.form = NA): the bases at the kept coefficients/knots (poly's recurrence,
      // ns linear and bs Taylor beyond the boundary), times β̂: 1e-10 relative at the bases' own accuracy
      // plus β̂'s 1e-7 at our optimum, so 1e-6 relative here, and 1e-10 with lme4's β (below)
      const pred = fit.predict(newTable(c.predict_new.newdata), { groups: false });
      pred.forEach((v, i) => expect(rel(v, c.predict_new.value[i])).toBeLessThan(1e-6));
    });
  }

  it('the new data\'s design at lme4\'s β̂ reproduces R\'s predictions to 1e-10 (the bases on new data alone)', async () => {
    const { newDataDesign } = await import('../src/results/predict.js');
    const { toArrowTable } = await import('../src/io/dataInput.js');
    for (const c of Object.values(cases)) {
      const model = c.family
        ? buildGlmm(c.formula, data[c.data], { family: c.family, factors: factorsOf(c.data) })
        : buildLmm(c.formula, data[c.data], { REML: c.REML, factors: factorsOf(c.data) });
      const d = newDataDesign({ model }, toArrowTable(c.predict_new.newdata, 'newdata'), { groups: false });
      for (let i = 0; i < d.n; i++) {
        let eta = 0;
        c.beta.forEach((b, j) => { eta += d.X[j * d.n + i] * b; });
        expect(rel(eta, c.predict_new.value[i]), c.formula).toBeLessThan(1e-10);
      }
    }
  });
});
