/**
 * An lmer fit with covariance structures (glmmTMB's `ar1(…)`, `cs(…)`, `diag(…)`, `toep(…)`) as a
 * change of objective (ARCHITECTURE.md: a new Objective, not a new fitter): the optimizer works in
 * the structures' parameters x (src/model/covStructure.ts) and evaluates lme4's profiled criterion
 * at θ(x) — the REML criterion or the deviance, with β and σ profiled out:
 *
 *   f(x) = d(θ_int(θ(x)))      (d: src/lmm/deviance.ts; θ_int: src/model/reparam.ts)
 *
 * and +∞ where θ(x) is undefined (a toep's correlations that are not positive definite). The fit is
 * then assembled at θ̂ = θ(x̂) as any lmer fit; only its parameter count differs (x's length).
 */
import { ModelError } from '../errors/errors.js';
import { thetaToInternal } from '../model/reparam.js';
import { type CovParameters, parametersOfTheta, thetaOfParameters } from '../model/covStructure.js';
import type { Objective } from '../model/objective.js';
import { lmmObjective } from './deviance.js';
import type { LmmObjectiveChange } from './fit.js';
import type { LmmModel } from './model.js';

/** the model's structures, or an error for an internal caller that asks of a model without them */
function parametersOf(model: LmmModel): CovParameters {
  if (!model.covariance) throw new ModelError('internal: the model has no covariance structure');
  return model.covariance;
}

/**
 * The change of objective of a model with structured terms: x = the structures' ψ (and the free θ of
 * its other terms), started at Σ/σ² = I (`start`: there instead, from a fit's θ and σ).
 */
export function structuredChange(model: LmmModel, start?: Float64Array): LmmObjectiveChange {
  const par = parametersOf(model);
  const thetaInt = (x: Float64Array): Float64Array | null => {
    const theta = thetaOfParameters(par, x);
    return theta ? thetaToInternal(model, theta) : null;
  };
  const compose = (f: (t: Float64Array) => number | Promise<number>) => (x: Float64Array) => {
    const t = thetaInt(x);
    return t ? f(t) : Infinity;
  };
  const thetaOf = (x: Float64Array) => thetaInt(x) ?? new Float64Array(par.thetaLength).fill(NaN);
  return {
    objective(backend, reference): Objective {
      const base = lmmObjective(model, backend, reference);
      return {
        start: Float64Array.from(start ?? par.start), lower: par.lower, upper: par.upper,
        evaluate: compose(base.evaluate),
        backend: base.backend,
        ...(base.f64 ? { f64: compose(base.f64) as (x: Float64Array) => number } : {}),
        thetaOf,
      };
    },
    thetaOf,
  };
}

/** The change for a refit of `model` started at a fit's θ̂ and σ̂ (an ML refit of a REML fit). */
export function structuredChangeFrom(model: LmmModel, theta: ArrayLike<number>, sigma: number): LmmObjectiveChange {
  return structuredChange(model, parametersOfTheta(parametersOf(model), theta, sigma));
}
