/**
 * One gamm4 fit compared with its gamm4 0.2-6 fixture case (test/oracle/gamm4_by.R, test/oracle/gamm4_bases.R):
 * the checks and tolerances test/gamm4By.test.ts states in its header, shared by test/gamm4Bases.test.ts.
 * `exact`: the mixed model is mgcv's exactly (the criterion at gamm4's θ, the optimum, each penalty's SD, each
 * coefficient's edf, the coefficients and Vp are compared); `stat` (default true): summary.gam's F (Chi.sq) is
 * compared — false where gamm4's statistic depends on a basis's eigenvector signs (a t2's tp margin: its
 * coefficients and R are in two parametrizations), the p-value and edf still are; `sds` (default true): each
 * penalty's SD is compared — false where the criterion is flat in them at the optimum (see the caller).
 */
import { expect } from 'vitest';
import type { gamm4 } from '../../src/gamm/gamm4.js';
import type { Gamm4GlmmFit } from '../../src/gamm/gamm4Glmm.js';

/** jsonlite writes a vector of one as a scalar */
export const arr = <T>(v: T | T[]): T[] => ([] as T[]).concat(v);
export const maxAbs = (a: ArrayLike<number>) => Math.max(...Array.from(a, Math.abs));
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, scale = maxAbs(expected)) {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst / Math.max(scale, 1e-300)).toBeLessThan(tol);
}
export const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
export function sd(y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < y.length; i++) m += y[i];
  m /= y.length;
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i] - m) ** 2;
  return Math.sqrt(s / (y.length - 1));
}

type Fit = Awaited<ReturnType<typeof gamm4>>;

/** The fit against the fixture case `c` (a Gaussian or GLMM case of gamm4_by.R's or gamm4_bases.R's form). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function expectGamm4Case(fit: Fit, c: any, { exact, stat = true, sds = true }: { exact: boolean; stat?: boolean; sds?: boolean }): void {
  const glmm = c.family !== 'gaussian';
  const groups = fit.penaltyGroups;
  const sigma = glmm ? 1 : c.mer.sigma;
  if (exact && !glmm) {
    const g = fit as Fit & { criterionAt(t: number[]): number };
    // lme4's REML criterion at gamm4's θ: 1e-9 relative
    expect(rel(g.criterionAt(c.mer.theta), c.mer.criterion_at_theta)).toBeLessThan(1e-9);
    expect((fit.gam.criterion - c.mer.criterion) / Math.abs(c.mer.criterion)).toBeLessThan(1e-7);
  }
  if (glmm) {
    // the optimum: gamm4's −2 logLik or lower (1e-9), and within 1e-7 of it
    expect((fit.mer.objective - c.mer.criterion) / c.mer.criterion).toBeLessThan(1e-9);
    expect((c.mer.criterion - fit.mer.objective) / c.mer.criterion).toBeLessThan(1e-7);
  }
  if (exact && sds) {
    // each penalty's SD, in the groups gamm4 named
    fit.gam.smooths.forEach((s, k) => {
      expect(s.sds.length).toBe(groups[k].length);
      groups[k].forEach((grp, j) => {
        const ref = c.mer.varcorr.sdcor[c.mer.varcorr.grp.indexOf(grp)];
        // a GLMM's penalty at the boundary (gamm4's s < 1e-4, its Laplace deviance flat there): s < 1e-4 too
        if (glmm && ref < 1e-4) expect(s.sds[j]).toBeLessThan(1e-4);
        else expect(Math.abs(s.sds[j] - ref)).toBeLessThan(1e-4 * Math.max(ref, 0.1 * sigma));
      });
    });
  }
  if (!glmm) {
    expect(rel(fit.mer.sigma, c.mer.sigma)).toBeLessThan(1e-4);
    const ref = c.mer.varcorr.sdcor[c.mer.varcorr.grp.indexOf('g')];
    const row = fit.mer.varCorr.find((r) => r.group === 'g' && r.var2 === null)!;
    expect(Math.abs(row.sdcor - ref)).toBeLessThan(1e-4 * Math.max(ref, 0.1 * sigma));
  }
  // the gam view
  const y = fit.mer.model.frame.y;
  const scale = glmm ? maxAbs(c.gam.linear_predictors) : sd(y);
  expect(fit.gam.names).toEqual(c.gam.names);
  expect(fit.gam.smooths.map((s) => s.label)).toEqual(arr(c.gam.s_table.names));
  expect(fit.gam.smooths.flatMap((s) => s.sps).length).toBe(arr(c.gam.sp).length);
  if (glmm) {
    // at gamm4's (θ, β) (the t2's basis, signs included, is the oracle's): lme4's Laplace deviance 1e-9
    // relative and the linear predictors 1e-5 relative to their largest (at our optimum a penalty that gamm4
    // leaves at s ≈ 4e-7 is 0: the deviance is flat there)
    const g = fit as unknown as Gamm4GlmmFit;
    expect(rel(g.devianceAt(c.mer.theta, c.mer.beta), c.mer.criterion)).toBeLessThan(1e-9);
    expectClose(g.gamAt(c.mer.theta, c.mer.beta).linearPredictors, c.gam.linear_predictors, 1e-5, scale);
  } else expectClose(fit.gam.fitted, c.gam.fitted, 1e-5, scale);
  fit.gam.smooths.forEach((s, k) => {
    const ref = c.smooths[k];
    expect(s.label).toBe(ref.label);
    expect(Math.abs(s.edf - ref.edf)).toBeLessThan(1e-4 * Math.max(1, ref.edf));
    const grid = ref.term.length === 2 && Array.isArray(ref.term) ? ref.term.map((t: string) => ref.grid[t]) : [ref.grid[arr(ref.term)[0]]];
    const v = fit.smooth(k, grid[0], ...grid.slice(1));
    expectClose(v.fit, ref.fit, 1e-5, scale);
    expectClose(v.se, ref.se, 1e-4);
  });
  // each coefficient's edf where the basis is mgcv's exactly (a tp basis's eigenvector signs mix them)
  if (exact) c.gam.edf.forEach((e: number, j: number) => expect(Math.abs(fit.gam.edf[j] - e)).toBeLessThan(1e-4 * Math.max(1, Math.abs(e))));
  const pt = Object.fromEntries(Object.entries(c.gam.p_table).map(([k, v]) => [k, arr(v)])) as Record<string, never[]>;
  expect(fit.gam.parametric.names).toEqual(pt.names);
  expectClose(fit.gam.parametric.estimate, pt.estimate, 1e-5, scale);
  expectClose(fit.gam.parametric.se, pt.se, 1e-4);
  expectClose(fit.gam.parametric.p, pt.p, 1e-4, 1);
  if (!glmm) expect(Math.abs(fit.gam.rSq - c.gam.r_sq)).toBeLessThan(1e-5);
  // summary.gam's s.table
  const st = Object.fromEntries(Object.entries(c.gam.s_table).map(([k, v]) => [k, arr(v)])) as Record<string, number[]>;
  fit.gam.smooths.forEach((s, k) => {
    expect(rel(s.edf, st.edf[k])).toBeLessThan(1e-4);
    expect(rel(s.refDf, st.ref_df[k])).toBeLessThan(1e-4);
    if (stat) expect(rel(glmm ? s.chiSq : s.F!, st.stat[k])).toBeLessThan(1e-4);
    expect(Math.abs(s.pValue - st.p[k])).toBeLessThan(Math.max(1e-4 * st.p[k], 1e-10));
  });
  // predict(newdata) with SEs
  const pr = fit.predict(c.newdata);
  expectClose(pr.fit, c.predict.fit, 1e-5, scale);
  expectClose(pr.se, c.predict.se, 1e-4);
  // where the basis is mgcv's exactly: the coefficients (1e-4 relative to the largest) and Vp (1e-4 relative
  // to its largest entry)
  if (exact) {
    expectClose(fit.gam.coefficients, c.gam.coefficients, 1e-4);
    expectClose(fit.gam.Vp, (c.gam.Vp as number[][]).flat(), 1e-4);
  }
}
