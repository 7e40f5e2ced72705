/**
 * bglmer through the GLMM core: blme's penalty (penalty.ts bglmerPenalty: the priors' σ⁰ terms, the
 * polynomial terms in Λ and the constants — on the common scale, as all of bglmer's priors are) added
 * to every stage's objective (src/glmm/fit.ts GlmmPenalty, withPenalty): stage 1 at β = 0 (blme's
 * `spars`), stage 2 and the Hessian at (θ, β). The fit reports the unpenalized deviance and the
 * prior's deviance separately, as blme.
 */
import type { GlmmPenalty } from '../glmm/fit.js';
import type { GlmmModel } from '../glmm/model.js';
import { type ModelPriors, type PriorOptions, evaluatePriors } from './distributions.js';
import { priorAnnotation, priorTerms } from './lmmPrior.js';
import { blmeControl, bglmerPenalty } from './penalty.js';

/** The priors of a GLMM (bglmer's families and defaults). */
export function glmmPriors(model: GlmmModel, options: 'blme' | PriorOptions): ModelPriors {
  return evaluatePriors(options, { terms: priorTerms(model), p: model.frame.p, xnames: model.frame.xnames, n: model.frame.n, glmm: true, reml: false });
}

export function bglmerPenaltyOf(model: GlmmModel, priors: ModelPriors): GlmmPenalty {
  const terms = priorTerms(model);
  const control = blmeControl(priors, true, model.frame.p);
  const zero = new Float64Array(model.frame.p);
  const stage2 = (theta: Float64Array, beta: Float64Array) => bglmerPenalty(theta, beta, priors, control, terms);
  return {
    stage1: (theta) => bglmerPenalty(theta, zero, priors, control, terms),
    stage2,
    annotation: (theta, beta) => {
      const pen = stage2(theta, beta);
      const a = priorAnnotation(priors, terms, pen, NaN);
      return { ...a, cls: 'bglmerMod', json: { prior: a.json!.prior, prior_deviance: pen } };
    },
  };
}
