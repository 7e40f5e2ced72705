/**
 * lmerTest's coefficient table and contrast tests (contest1D / contestMD) at lme4's θ, with
 * Satterthwaite's and Kenward–Roger's ddf: df and p within 1e-3 relative (p within 1e-10 absolute
 * when tiny), SEs 1e-5 relative.
 */
import { describe, expect, it } from 'vitest';
import { contest1D, contestMD } from '../../src/inference/contest.js';
import { contexts, expectF, expectT, loadInference } from '../helpers/inference.js';

const CASES = ['sleepstudy', 'sleepstudy_ml', 'sleepstudy_unbalanced', 'sleepstudy_uncorrelated', 'penicillin', 'pastes', 'design_covariate', 'design_factors', 'dyestuff2'];

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
