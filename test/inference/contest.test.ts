/**
 * lmerTest's coefficient table and contrast tests (contest1D / contestMD) at lme4's θ, with
 * Satterthwaite's and Kenward–Roger's ddf: df and p within 1e-3 relative (p within 1e-10 absolute
 * when tiny), SEs 1e-5 relative.
 */
import { describe, expect, it } from 'vitest';
import { buildLmm, formGram } from '../../src/model/fitLmm.js';
import { BlockedCholesky } from '../../src/model/blockedCholesky.js';
import { varparCovariance } from '../../src/inference/satterthwaite.js';
import { kenwardRoger } from '../../src/inference/kenwardRoger.js';
import { type DdfContext, type FTest, type TTest, contest1D, contestMD } from '../../src/inference/contest.js';
import { type AnovaRef, type CoefRef, type InferenceCase, loadDataFile, loadInference, rel } from '../helpers/inference.js';

const CASES = ['sleepstudy', 'sleepstudy_ml', 'sleepstudy_unbalanced', 'sleepstudy_uncorrelated', 'penicillin', 'pastes', 'design_covariate', 'design_factors', 'dyestuff2'];

export function contexts(ref: InferenceCase): { sat: DdfContext; kr: DdfContext | null; xnames: string[] } {
  const model = buildLmm(ref.formula, loadDataFile(ref.data), { REML: ref.reml, factors: ref.factors });
  const chol = new BlockedCholesky(formGram(model), model.theta.length);
  const common = { chol, blocks: model.blocks, fixed: model.fixed, n: model.frame.n, p: model.frame.p };
  const sat = varparCovariance({ ...common, reml: model.reml, theta: ref.theta });
  const kr = ref.kenward_roger
    ? kenwardRoger({ ...common, terms: model.frame.reTerms, theta: ref.theta, sigma: ref.sigma })
    : null;
  return {
    sat: { method: 'satterthwaite', sat },
    kr: kr ? { method: 'kenward-roger', kr, beta: sat.beta, sigma: sat.sigma } : null,
    xnames: model.frame.xnames,
  };
}

export function expectT(got: TTest, want: CoefRef): void {
  expect(rel(got.estimate, want.estimate)).toBeLessThan(1e-7);
  expect(rel(got.se, want.se)).toBeLessThan(1e-5);
  expect(rel(got.df, want.df)).toBeLessThan(1e-3);
  expect(rel(got.t, want.t)).toBeLessThan(1e-5);
  if (want.p < 1e-7) expect(Math.abs(got.p - want.p)).toBeLessThan(1e-10);
  else expect(rel(got.p, want.p)).toBeLessThan(1e-3);
}

export function expectF(got: FTest, want: AnovaRef): void {
  expect(got.numdf).toBe(want.numdf);
  expect(rel(got.dendf, want.dendf)).toBeLessThan(1e-3);
  expect(rel(got.F, want.F)).toBeLessThan(1e-5);
  expect(rel(got.sumsq, want.sumsq)).toBeLessThan(1e-5);
  if (want.p < 1e-7) expect(Math.abs(got.p - want.p)).toBeLessThan(1e-10);
  else expect(rel(got.p, want.p)).toBeLessThan(1e-3);
}

describe('coefficient tables and contrasts at lme4\'s θ', () => {
  for (const name of CASES) {
    it(name, () => {
      const ref = loadInference(name);
      const { sat, kr, xnames } = contexts(ref);
      const p = xnames.length;
      const unit = (j: number) => Array.from({ length: p }, (_, c) => (c === j ? 1 : 0));
      xnames.forEach((x, j) => {
        expectT(contest1D(sat, unit(j)), ref.satterthwaite.coefficients[x]);
        if (kr) expectT(contest1D(kr, unit(j)), ref.kenward_roger!.coefficients[x]);
      });
      for (const c of ref.contrasts) {
        expectF(contestMD(sat, c.L), c.satterthwaite);
        if (c.satterthwaite_t) expectT(contest1D(sat, c.L[0]), c.satterthwaite_t);
        if (kr && c.kenward_roger) expectF(contestMD(kr, c.L), c.kenward_roger);
        if (kr && c.kenward_roger_t) expectT(contest1D(kr, c.L[0]), c.kenward_roger_t);
      }
    });
  }
});
