/**
 * The negative binomial family NB2 with size θ and the log link (MASS's `negative.binomial(theta)`,
 * as lme4 evaluates it in glmFamily.cpp): Var(y) = μ + μ²/θ,
 *
 *   unit deviance  d(y, μ) = 2 [y log(y/μ) − (y + θ) log((y + θ)/(μ + θ))]
 *   aic            −2 Σ wt log p(y | μ) = 2 Σ wt [(y + θ) log(μ + θ) − y log μ + log Γ(y + 1)
 *                                                  − θ log θ + log Γ(θ) − log Γ(θ + y)]
 *
 * (lme4 1.1-31's C++ aic multiplies only the first term by the prior weight; with unit weights the
 * two agree, and other weights are refused by the model for this family). PIRLS uses the expected
 * information, as lme4 does for every family: w = (dμ/dη)² / V(μ) = μ / (1 + μ/θ) with the log link,
 * not the observed information y-dependent weight μθ(y + θ)/(μ + θ)² of glmmTMB's exact Laplace.
 * R's starting values: μ = y + 1/6 where y = 0 (`initialize`).
 */
import { type GlmFamily, makeFamily } from '../glmm/family.js';
import { lgamma } from '../glmm/rmath.js';

/** A GLM family object for NB2 with size θ (the fields of GlmFamily, family 'negative.binomial'). */
export interface NegativeBinomialFamily extends Omit<GlmFamily, 'family'> {
  family: 'negative.binomial';
  /** the size θ */
  theta: number;
}

/** x log(x / m), 0 at x = 0 */
function ylogy(y: number, mu: number): number {
  return y === 0 ? 0 : y * Math.log(y / mu);
}

export function negativeBinomialFamily(theta: number): NegativeBinomialFamily {
  if (!(theta > 0 && Number.isFinite(theta))) throw new Error(`the negative binomial size theta must be a positive number, got ${theta}`);
  // the log link exactly as lme4's (μ = max(ε, e^η), dμ/dη = max(ε, e^η)), shared with the Poisson family
  const { linkfun, linkinv, muEta } = makeFamily('poisson');
  const lgTheta = lgamma(theta);
  const thetaLogTheta = theta * Math.log(theta);
  return {
    family: 'negative.binomial', link: 'log', theta, linkfun, linkinv, muEta,
    variance: (mu) => mu + (mu * mu) / theta,
    devResid: (y, mu, wt) => 2 * wt * (ylogy(y, mu) - (y + theta) * Math.log((y + theta) / (mu + theta))),
    aic(y, _n, mu, wt) {
      let s = 0;
      for (let i = 0; i < mu.length; i++) {
        const yi = y[i], mi = mu[i];
        const term = (yi + theta) * Math.log(mi + theta) - (yi === 0 ? 0 : yi * Math.log(mi)) + lgamma(yi + 1) - thetaLogTheta + lgTheta - lgamma(theta + yi);
        s += term * (wt ? wt[i] : 1);
      }
      return 2 * s;
    },
    validmu: (mu) => Number.isFinite(mu) && mu > 0,
    mustart: (y) => y + (y === 0 ? 1 / 6 : 0),
  };
}
