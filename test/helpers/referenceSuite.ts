/**
 * The two-level parity check of a reference data set folder (test/datasets.test.ts, test/mlmrev.test.ts):
 * lme4's objective at its fixed points (no optimizer), our model at lme4's θ, then the fitted optimum,
 * at the tolerances of test/lmer.test.ts and test/glmm.test.ts.
 */
import { expect } from 'vitest';
import { buildLmm } from '../../src/lmm/model.js';
import { lmer } from '../../src/fit/lmer.js';
import { glmer } from '../../src/fit/glmer.js';
import type { GlmmFit } from '../../src/glmm/glmmFit.js';
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import { buildGlmm } from '../../src/glmm/model.js';
import { PirlsEngine } from '../../src/glmm/pirls.js';
import { ghRule } from '../../src/glmm/rmath.js';
import { thetaToInternal } from '../../src/model/reparam.js';
import { loadData, loadReference } from './reference.js';
import { checkAgainstReference } from './parity.js';
import { type TightCase, checkEstimates, checkRandomAndFitted, loadTight, optionsOf, rel } from './glmmParity.js';
import { fitAtTheta } from './atTheta.js';

/** an lmer case: the profiled criterion at lme4's fixed θ (devFunOnly), the model at lme4's θ̂, the fit */
export async function checkLmerCase(name: string, folder: string): Promise<LmmFit> {
  const ref = loadReference(name, folder);
  const model = buildLmm(ref.formula, loadData(ref), { REML: ref.reml, factors: ref.factors });
  ref.objective_at!.forEach((pt) => expect(Math.abs(fitAtTheta(model, pt.theta).objective - pt.value)).toBeLessThan(1e-8 * Math.max(1, Math.abs(pt.value))));
  checkAgainstReference(fitAtTheta(model, ref.theta), ref);
  const fit = await lmer(ref.formula, loadData(ref), { REML: ref.reml, factors: ref.factors });
  checkAgainstReference(fit, ref);
  expect(fit.converged).toBe(true);
  return fit;
}

export interface GlmerCaseOptions {
  /** the fixed points compared (default all of objective_at) */
  points?: (t: TightCase) => TightCase['objective_at'];
  /** β compared relative to max(|β|, SE), and our deviance at most lme4's (the caller says why) */
  betaNearZero?: boolean;
}

/** a glmer case: lme4's deviance at fixed (θ, β) and at nAGQ = 0's θ, then the fitted optimum */
export async function checkGlmerCase(name: string, folder: string, options: GlmerCaseOptions = {}): Promise<GlmmFit> {
  const t = loadTight(name, folder);
  const data = loadData(t);
  const model = buildGlmm(t.formula, data, optionsOf(t));
  const engine = new PirlsEngine(model.pirls);
  const rule = t.nAGQ > 1 ? ghRule(t.nAGQ) : null;
  for (const pt of options.points ? options.points(t) : t.objective_at) {
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
  expect(fit.logLik).toBeGreaterThanOrEqual(loadReference(name, folder).loglik - 1e-6);
  expect(Math.abs(fit.objective - t.deviance_laplace)).toBeLessThan(1e-7);
  expect(Math.abs(fit.logLik - t.loglik)).toBeLessThan(1e-7);
  expect(rel(fit.deviance, t.deviance!)).toBeLessThan(1e-6);
  if (options.betaNearZero) expect(fit.objective).toBeLessThanOrEqual(t.deviance_laplace);
  checkEstimates(fit, t, options.betaNearZero ? 'estimateOrSe' : 'estimate');
  checkRandomAndFitted(fit, t, 1e-4);
  expect(fit.converged).toBe(true);
  return fit;
}
