/**
 * An LMM fit computes its conditional variances on first use (lme4's ranef(condVar = TRUE)), from a
 * factor of its own at θ̂: the same numbers as the forward solves through the fit's factor, after
 * other work has moved the reference factor elsewhere (a profile's refits), and computed once.
 */
import { describe, expect, it } from 'vitest';
import { lmer } from '../src/fit/lmer.js';
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { BlockedCholesky } from '../src/linalg/blockedCholesky.js';
import { conditionalVariancesBySolves, solveLmm } from '../src/lmm/solution.js';
import { covariancesToOriginal, thetaToInternal } from '../src/model/reparam.js';
import { loadData, loadReference } from './helpers/reference.js';

describe('deferred conditional variances', () => {
  for (const name of ['sleepstudy_slopes_reml', 'penicillin_crossed_reml']) {
    it(`${name}: equal to the forward solves at θ̂, after a profile, and computed once`, async () => {
      const ref = loadReference(name);
      const data = loadData(ref);
      const fit = await lmer(ref.formula, data, { factors: ref.factors });
      // other work on the fit's model first: the profile refits factor at other θ
      await fit.confint({ method: 'profile' });
      const model = buildLmm(ref.formula, data, { factors: ref.factors });
      const chol = new BlockedCholesky(formGram(model), model.theta.length);
      chol.factor(thetaToInternal(model, fit.theta));
      const { sigma } = solveLmm(chol, model.frame.n, model.reml);
      const want = conditionalVariancesBySolves(chol, sigma);
      model.blocks.forEach((blk, k) => covariancesToOriginal(want[k], blk.q, model.transforms[k]));
      want.forEach((w, k) => {
        const got = fit.conditionalCovariance(k);
        expect(got.length).toBe(w.length);
        got.forEach((v, e) => expect(Math.abs(v - w[e])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(w[e]))));
        // the same arrays on the next use
        expect(fit.conditionalCovariance(k)).toBe(got);
      });
      expect(fit.ranef[0].condsd).not.toBeNull();
    });
  }
});
