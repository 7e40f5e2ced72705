/**
 * Parity with lme4 1.1-31 on standard data sets beyond the reference cases: the data of lme4, nlme
 * and MASS that users of lme4 and nlme fit first (test/oracle/datasets.R writes the CSVs and runs the
 * reference cases' two R scripts on them): cake (p = 18, a nested grouping term), ergoStool, Rail,
 * MathAchieve (7,185 students in 160 schools, random slopes), Assay (crossed-in-nested), Milk (ML,
 * slopes), Wafer (slopes at two nested levels), BodyWeight; glmer: Arabidopsis (Poisson, crossed),
 * bacteria (binomial, a comparison in the formula), epil (Poisson, Laplace and AGQ with 9 nodes).
 *
 * The lmer cases were fitted by lme4 to tight optimizer tolerances (test/oracle/lme4_reference.R's
 * `tight`), the glmer cases to the exact Laplace / AGQ optimum (test/oracle/glmer_tight.R); the
 * tolerances are those of test/lmer.test.ts and test/glmm.test.ts: two levels each, the objective at
 * lme4's parameters (no optimizer) and the fitted optimum.
 */
import { describe, expect, it } from 'vitest';
import { buildLmm } from '../src/lmm/model.js';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { buildGlmm } from '../src/glmm/model.js';
import { PirlsEngine } from '../src/glmm/pirls.js';
import { ghRule } from '../src/glmm/rmath.js';
import { thetaToInternal } from '../src/model/reparam.js';
import { DATASETS_FOLDER as FOLDER, DATASET_GLMER_CASES as GLMER_CASES, DATASET_LMER_CASES as LMER_CASES, loadData, loadReference } from './helpers/reference.js';
import { checkAgainstReference } from './helpers/parity.js';
import { checkEstimates, checkRandomAndFitted, loadTight, optionsOf, rel } from './helpers/glmmParity.js';
import { fitAtTheta } from './helpers/atTheta.js';


describe('lmer on more data sets: the model at lme4\'s θ and the fitted optimum match lme4', () => {
  for (const name of LMER_CASES) {
    it(name, async () => {
      const ref = loadReference(name, FOLDER);
      const model = buildLmm(ref.formula, loadData(ref), { REML: ref.reml, factors: ref.factors });
      // the profiled criterion at fixed θ (lme4's devFunOnly), no optimizer
      const fixed = ref.objective_at!.map((pt) => fitAtTheta(model, pt.theta).objective);
      ref.objective_at!.forEach((pt, k) => expect(Math.abs(fixed[k] - pt.value)).toBeLessThan(1e-8 * Math.max(1, Math.abs(pt.value))));
      checkAgainstReference(fitAtTheta(model, ref.theta), ref);
      const fit = await lmer(ref.formula, loadData(ref), { REML: ref.reml, factors: ref.factors });
      checkAgainstReference(fit, ref);
      expect(fit.converged).toBe(true);
    });
  }
});

describe('glmer on more data sets: the deviance at lme4\'s parameters and the fitted optimum match lme4', () => {
  for (const name of GLMER_CASES) {
    it(name, async () => {
      const t = loadTight(name, FOLDER);
      const data = loadData(t);
      const model = buildGlmm(t.formula, data, optionsOf(t));
      const engine = new PirlsEngine(model.pirls);
      const rule = t.nAGQ > 1 ? ghRule(t.nAGQ) : null;
      for (const pt of t.objective_at) {
        engine.reset();
        const r = engine.run(thetaToInternal(model, pt.theta), pt.beta);
        expect(Math.abs((rule ? engine.agq(rule) : r.laplace) - pt.value)).toBeLessThan(1e-8);
      }
      for (const pt of t.objective0_at) {
        engine.reset();
        expect(Math.abs(engine.run(thetaToInternal(model, pt.theta), null).laplace - pt.value)).toBeLessThan(1e-8);
      }
      const fit = await glmer(t.formula, data, optionsOf(t));
      // glmer's default fit: ours at least as good
      expect(fit.logLik).toBeGreaterThanOrEqual(loadReference(name, FOLDER).loglik - 1e-6);
      expect(Math.abs(fit.objective - t.deviance_laplace)).toBeLessThan(1e-7);
      expect(Math.abs(fit.logLik - t.loglik)).toBeLessThan(1e-7);
      expect(rel(fit.deviance, t.deviance!)).toBeLessThan(1e-6);
      checkEstimates(fit, t);
      checkRandomAndFitted(fit, t, 1e-4);
      expect(fit.converged).toBe(true);
    });
  }
});
