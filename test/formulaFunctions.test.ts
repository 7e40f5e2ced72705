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
  predict_groups?: number[];
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
      // with the group's effects (a level of the fit: lme4's re.form = NULL), the random terms' bases (poly
      // in (poly(Days, 2) | Subject)) at the kept coefficients too; the conditional modes at our optimum: 1e-6
      if (c.predict_groups) fit.predict(newTable(c.predict_new.newdata)).forEach((v, i) => expect(rel(v, c.predict_groups![i])).toBeLessThan(1e-6));
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

describe("lmerTest's anova and emmeans with poly() and factor()", () => {
  const fits = (async () => ({
    poly2: await lmer('Reaction ~ poly(Days, 2) + (poly(Days, 2) | Subject)', data.sleepstudy, { factors: ['Subject'] }),
    inter: await lmer('y ~ poly(x, 2) * f + (1 | gnum)', data.ff, {}),
    fdays: await lmer('Reaction ~ factor(Days) + (1 | Subject)', data.sleepstudy, { factors: ['Subject'] }),
  }))();
  interface Table { terms: string[]; F: number[]; NumDF: number[]; DenDF: number[]; p: number[] }

  it('poly(x, 2) is one term of 2 df: types III, II, I against lmerTest 3.1-3 (Satterthwaite)', async () => {
    const { poly2, inter } = await fits;
    const cases: [typeof poly2, Table, number][] = [];
    for (const t of [3, 2, 1] as const) {
      // the poly2 model's flat θ (8e-6 from lme4's, above) moves F and the df by up to 1.3e-6 relative:
      // 1e-5 there; the interaction model (one θ, known to 1e-7): 1e-6
      cases.push([poly2, ref.anova.poly2_reml[`type${t}`], 1e-5], [inter, ref.anova.poly_interaction[`type${t}`], 1e-6]);
      for (const [fit, want, tol] of cases.splice(0)) {
        const rows = fit.anova({ type: t });
        expect(rows.map((r) => r.term)).toEqual(want.terms);
        rows.forEach((r, k) => {
          expect(r.numdf).toBe(want.NumDF[k]);
          expect(rel(r.F, want.F[k])).toBeLessThan(tol);
          expect(rel(r.dendf, want.DenDF[k])).toBeLessThan(tol);
          expect(Math.abs(r.p - want.p[k]) / want.p[k]).toBeLessThan(10 * tol);
        });
      }
    }
  });

  it("lmerTest's drop1 of poly(x, 2) * f: the marginal term poly(x, 2):f, 2 df", async () => {
    const { inter } = await fits;
    const want = ref.anova.poly_interaction.drop1 as Table;
    const rows = inter.drop1();
    expect(rows.map((r) => r.term)).toEqual(want.terms);
    rows.forEach((r, k) => {
      // one θ known to ~1e-7: F and the df to 1e-6 relative, p to 1e-5
      expect(r.numdf).toBe(want.NumDF[k]);
      expect(rel(r.F, want.F[k])).toBeLessThan(1e-6);
      expect(rel(r.dendf, want.DenDF[k])).toBeLessThan(1e-6);
      expect(Math.abs(r.p - want.p[k]) / want.p[k]).toBeLessThan(1e-5);
    });
  });

  interface Emm { spec: string; at?: Record<string, number[]>; levels: string[]; emmean: number[]; SE: number[]; df: number[] }
  const sameEmm = (rows: { levels: Record<string, unknown>; emmean: number; SE: number; df: number }[], want: Emm, by: string, tol: number) => {
    expect(rows.map((r) => String(r.levels[by]))).toEqual(want.levels);
    rows.forEach((r, i) => {
      expect(rel(r.emmean, want.emmean[i])).toBeLessThan(tol);
      expect(rel(r.SE, want.SE[i])).toBeLessThan(tol);
      expect(rel(r.df, want.df[i])).toBeLessThan(tol);
    });
  };

  it('emmeans over factor(Days): the grid is over Days at the factor\'s levels (emmeans 1.8.4)', async () => {
    const { fdays } = await fits;
    // at our optimum (one θ to ~1e-7): means, SEs and the Kenward-Roger df to 1e-6 (worst seen 2e-9)
    sameEmm(fdays.emmeans('~ Days').rows, ref.emm.factor_days, 'Days', 1e-6);
    // `at` picks levels
    expect(fdays.emmeans('~ Days', { at: { Days: [3, 9] } }).rows.map((r) => r.levels.Days)).toEqual(['3', '9']);
  });

  it('emmeans with poly(): the grid over x (its mean, or at), the basis there by the kept coefficients', async () => {
    const { poly2, inter } = await fits;
    // poly2's flat θ moves the SE by 2e-7: 1e-6
    sameEmm(poly2.emmeans('~ Days').rows, ref.emm.poly_days, 'Days', 1e-6);
    sameEmm(inter.emmeans('~ f').rows, ref.emm.poly_f, 'f', 1e-6);
    const at = inter.emmeans('~ f | x', { at: { x: [2, 8] } }).rows;
    sameEmm(at, ref.emm.poly_f_at, 'f', 1e-6);
    expect(at.map((r) => r.levels.x)).toEqual([2, 2, 8, 8]);
  });

  it("joint_tests of poly(x, 2) * f: x's effect over emmeans's two-point grid (meanint), as emmeans 1.8.4", async () => {
    const { inter } = await fits;
    const want = ref.emm.joint_poly_interaction as { terms: string[]; df1: number[]; df2: number[]; F: number[]; p: number[] };
    const rows = inter.jointTests().rows;
    expect(rows.map((r) => r.term)).toEqual(want.terms);
    rows.forEach((r, k) => {
      // emmeans's table holds F rounded to 3 decimals and df2 to 2 (as test/jointTests.test.ts): those
      // within their rounding plus 1e-6 relative; its p-value, from the unrounded ones, is the tight check:
      // 1e-5 relative at our optimum (one θ to ~1e-7)
      expect(r.df1).toBe(want.df1[k]);
      expect(Math.abs(r.F - want.F[k])).toBeLessThanOrEqual(5e-4 + 1e-6 * want.F[k]);
      expect(Math.abs(r.df2 - want.df2[k])).toBeLessThanOrEqual(5e-3 + 1e-6 * want.df2[k]);
      expect(Math.abs(r.p - want.p[k]) / want.p[k]).toBeLessThan(1e-5);
    });
  });
});

describe('refusals and errors', () => {
  it('poly of a variable with a missing value: R\'s error, naming the call and the row', async () => {
    // ff's z has missing values: poly(z, 2) cannot be evaluated on every row (R stops too)
    await expect(lmer('y ~ poly(z, 2) + (1 | gnum)', data.ff, {})).rejects.toThrow(/'poly\(z, 2\)': the variable has a missing value in row \d+; R's poly\(\) allows none/);
    // a degree as large as the number of distinct Days (10)
    await expect(lmer('Reaction ~ poly(Days, 10) + (1 | Subject)', data.sleepstudy, { factors: ['Subject'] })).rejects.toThrow(/degree \(10\) must be less than the number of unique points \(10\)/);
  });
  it('a degree or df of millions: refused before any column is built (MAX_MODEL_COLUMNS)', async () => {
    const t0 = performance.now();
    await expect(lmer('y ~ poly(x, 1000000, raw = TRUE) + (1 | gnum)', data.ff, {})).rejects.toThrow(/'poly\(x, 1e\+06, raw = TRUE\)' term's model matrix would have 1,000,000 columns/);
    await expect(lmer('y ~ bs(x, degree = 200000) + (1 | gnum)', data.ff, {})).rejects.toThrow(/would have 200,000 columns/);
    await expect(lmer('y ~ ns(x, df = 50000) + (1 | gnum)', data.ff, {})).rejects.toThrow(/would have 50,000 columns/);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
  it('poly/ns/bs of a factor; ns with df too small; knots outside the data', async () => {
    await expect(lmer('y ~ poly(f, 2) + (1 | gnum)', data.ff, {})).rejects.toThrow(/'f' is a factor; poly\(\) needs a numeric variable/);
    await expect(lmer('y ~ bs(x, df = 2) + (1 | gnum)', data.ff, {})).rejects.toThrow(/df = 2 is too small: bs\(\) needs df ≥ 3/);
    await expect(lmer('y ~ ns(x, knots = c(2, 50)) + (1 | gnum)', data.ff, {})).rejects.toThrow(/the knot 50 is not inside the boundary knots/);
  });
  it('predict: a new level of factor(Days) is an error naming it (as R)', async () => {
    const fit = await lmer('Reaction ~ factor(Days) + (1 | Subject)', data.sleepstudy, { factors: ['Subject'] });
    expect(() => fit.predict({ Days: [2.5], Subject: ['308'] }, { groups: false })).toThrow(/level '2.5' of 'factor\(Days\)' was not in the fitted data/);
  });
  it('emmeans: a variable both inside factor() and as a number is refused', async () => {
    const fit = await lmer('y ~ x + factor(gnum) + gnum:x + (1 | f)', data.ff, {});
    expect(() => fit.emmeans('~ gnum')).toThrow(/'gnum' is in the fixed part both as 'factor\(gnum\)' and as 'gnum:x'|'gnum' is in the fixed part both as 'factor\(gnum\)' and as 'gnum'/);
  });
  it('influence (case deletion) of a poly/ns/bs model runs in the fit\'s basis (lme4\'s subset refits keep it: test/influenceDataTerms.test.ts)', async () => {
    const fit = await lmer('Reaction ~ poly(Days, 2) + (1 | Subject)', data.sleepstudy, { factors: ['Subject'] });
    const infl = await fit.influence({ groups: 'Subject', maxfun: 200 });
    expect(infl.deleted.length).toBe(18);
    expect(infl.xnames).toEqual(['(Intercept)', 'poly(Days, 2)1', 'poly(Days, 2)2']);
    // factor() has no basis: influence runs
    const f = await lmer('Reaction ~ factor(Days) + (1 | Subject)', data.sleepstudy, { factors: ['Subject'] });
    expect((await f.influence({ groups: 'Subject', maxfun: 200 })).deleted.length).toBe(18);
  });
  it('the engines (stream, SQL) read poly(), ns(), bs() as matrix variables (fits: test/gram/basisEngines.test.ts) and refuse factor() of an expression with the reason; factor() of a column is read as a factor', async () => {
    const { describeFrame } = await import('../src/gram/frameSpec.js');
    const { parseFormula } = await import('../src/formula/parse.js');
    const schema = new Map([['y', 'numeric'], ['x', 'numeric'], ['g', 'text']]) as never;
    const spec = describeFrame(parseFormula('y ~ poly(x, 2) + ns(x, df = 3) + (1 | g)'), schema);
    expect(spec.bases.map((b) => b.labels)).toEqual([['poly(x, 2)1', 'poly(x, 2)2'], ['ns(x, df = 3)1', 'ns(x, df = 3)2', 'ns(x, df = 3)3']]);
    expect([...spec.numeric.keys()]).toEqual(['poly(x, 2)1', 'poly(x, 2)2', 'ns(x, df = 3)1', 'ns(x, df = 3)2', 'ns(x, df = 3)3']);
    expect(() => describeFrame(parseFormula('y ~ factor(x + 1) + (1 | g)'), schema)).toThrow(/the engines \(stream, DuckDB, ClickHouse\) read factor\(\) of a column only, not of an expression/);
    expect(describeFrame(parseFormula('y ~ factor(x) + (1 | g)'), schema).factors.get('factor(x)')).toEqual({ column: 'x', kind: 'numeric' });
  });
});
