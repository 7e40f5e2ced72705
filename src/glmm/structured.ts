/**
 * The variance parameters a GLMM's optimizer works in (ARCHITECTURE.md: a change of the objective's
 * variables, not a new fitter). Without covariance structures they are lme4's internal θ (θ_int,
 * src/model/reparam.ts), unchanged. With glmmTMB's structured terms (`ar1(0 + f | g)`, `cs(…)`,
 * `diag(…)`, `toep(…)`, `ou(…)`) they are the structures' ψ and the other terms' free θ — the same
 * ψ → θ map as lmer's (src/model/covStructure.ts, `thetaOfParameters`), composed with θ → θ_int:
 *
 *   θ_int(v) = θ_int(θ(ψ)),  θ(ψ) = vech(L),  L Lᵀ = Σ(ψ)
 *
 * glmer's stage 1 (β from PIRLS) and stage 2 (v and β together) minimize lme4's deviance at θ_int(v),
 * and Var(β̂) is the β block of 2 H⁻¹, H the deviance's Hessian in (ψ, β) (`reported`: the
 * coordinates of that Hessian, lme4's θ without structures).
 *
 * σ's convention, in this one place: the binomial and Poisson families have no dispersion, so the
 * structure's SDs are absolute (glmmTMB's: no residual σ for them to be relative to), while lmer's map
 * reads them relative to σ (Σ/σ² = L Lᵀ). Here σ ≡ 1 and L Lᵀ = Σ itself: `GLMM_SIGMA`, used by
 * every conversion between θ and ψ of a GLMM. A family with a dispersion (Gamma, inverse.gaussian,
 * gaussian) is refused with a structure: lme4's glmer scales its covariance by σ̂ while glmmTMB's
 * Laplace estimates the dispersion as a parameter, so the two objectives are not the same.
 *
 * The objective is lme4's Laplace deviance. For a canonical link the exact Hessian of the conditional
 * log-likelihood in u equals its expected one, so it equals glmmTMB's Laplace approximation; for a
 * non-canonical link glmmTMB uses the observed Hessian and lme4 the expected one (the negative
 * binomial's log link too): refused with a structure, as is adaptive quadrature (nAGQ > 1 integrates
 * one scalar term; a structure never is one).
 */
import { ModelError } from '../errors/errors.js';
import { type CovParameters, parametersOfTheta, thetaOfParameters } from '../model/covStructure.js';
import { thetaToInternal, thetaToOriginal } from '../model/reparam.js';
import type { MixedModel } from '../model/mixedModel.js';
import type { GlmFamily } from './family.js';

/** The SD every GLMM structure's Σ is relative to: 1 (absolute SDs; see the file's comment). */
export const GLMM_SIGMA = 1;

/** The canonical link of each family glmer fits with a structure. */
const CANONICAL: Record<string, string> = { binomial: 'logit', poisson: 'log' };

/** The optimizer's variance parameters v of a GLMM and their maps to θ_int and back. */
export interface VarianceParameters {
  /** v's length: θ's, or the structures' ψ with the other terms' free θ */
  length: number;
  /** the model's structures (null: v = θ_int) */
  covariance: CovParameters | null;
  names: string[];
  start: Float64Array;
  lower: Float64Array;
  /** θ_int at v (v itself without structures); null where a structure's Σ is not positive definite */
  thetaInternal(v: Float64Array): Float64Array | null;
  /** the Hessian's coordinates at v: lme4's θ, or ψ (= v) with structures */
  reported(v: Float64Array): Float64Array;
  /** v at the Hessian's coordinates z */
  fromReported(z: Float64Array): Float64Array;
  /** θ_int at the Hessian's coordinates z (null where undefined) */
  thetaInternalOfReported(z: Float64Array): Float64Array | null;
  /** v at lme4's θ (a start, or a fit's θ̂) */
  fromTheta(theta: ArrayLike<number>): Float64Array;
}

/** The variance parameters of `model`: θ_int, or the structures' ψ (the same map as lmer's). */
export function glmmVarianceParameters(model: Pick<MixedModel, 'theta' | 'covariance' | 'blocks' | 'transforms'>): VarianceParameters {
  const cov = model.covariance;
  if (!cov) {
    const layout = model.theta;
    return {
      length: layout.length, covariance: null, names: layout.names, start: layout.start, lower: layout.lower,
      thetaInternal: (v) => v,
      reported: (v) => thetaToOriginal(model, v),
      fromReported: (z) => thetaToInternal(model, z),
      thetaInternalOfReported: (z) => thetaToInternal(model, z),
      fromTheta: (theta) => thetaToInternal(model, theta),
    };
  }
  // θ_int(ψ) = θ_int(θ(ψ)), L Lᵀ = Σ(ψ)/GLMM_SIGMA²
  const thetaInternal = (v: Float64Array) => {
    const theta = thetaOfParameters(cov, v);
    return theta ? thetaToInternal(model, theta) : null;
  };
  return {
    length: cov.length, covariance: cov, names: cov.names, start: cov.start, lower: cov.lower,
    thetaInternal,
    reported: (v) => Float64Array.from(v),
    fromReported: (z) => Float64Array.from(z),
    thetaInternalOfReported: thetaInternal,
    fromTheta: (theta) => parametersOfTheta(cov, theta, GLMM_SIGMA),
  };
}

/**
 * glmmTMB's structures in a GLMM: refused, naming the term, for a family with a dispersion, a
 * non-canonical link (and so the negative binomial) and adaptive quadrature (see the file's comment).
 */
export function checkGlmmStructures(covariance: CovParameters | null, family: GlmFamily, nAGQ = 1): void {
  if (!covariance) return;
  const terms = covariance.structured.map((s) => s.text).join(', ');
  if (family.hasScale) {
    throw new ModelError(`glmer: the covariance structure ${terms} is not available for the ${family.family} family, which has a dispersion parameter: lme4's glmer scales its covariance by σ̂, glmmTMB's Laplace estimates the dispersion, and the two objectives differ (structures are fitted for the binomial and Poisson families)`);
  }
  if (CANONICAL[family.family] !== family.link) {
    const canonical = CANONICAL[family.family];
    throw new ModelError(`glmer: the covariance structure ${terms} needs the family's canonical link (${family.family === 'negative.binomial' ? "the negative binomial's log link is not canonical" : `${family.family}'s ${canonical}, not ${family.link}`}): for other links lme4's Laplace approximation uses the expected Hessian and glmmTMB's the observed one, so lme4's deviance is not glmmTMB's (structures are fitted for binomial with logit and Poisson with log)`);
  }
  if (nAGQ > 1) throw agqStructureRefusal(nAGQ, terms);
}

/** nAGQ > 1 with glmmTMB's structures (glmer's argument check and the model's): one message */
export function agqStructureRefusal(nAGQ: number, terms: string): ModelError {
  return new ModelError(`glmer: nAGQ = ${nAGQ} (adaptive Gauss–Hermite quadrature) is not available with the covariance structure ${terms}: the quadrature is fitted for lme4's unstructured terms of one grouping factor only; use nAGQ = 1 (the Laplace approximation) or 0`);
}
