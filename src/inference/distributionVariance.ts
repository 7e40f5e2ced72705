/**
 * The distribution-specific variance σ²_d of Nakagawa, Johnson & Schielzeth (2017), as insight 0.19.0's
 * `.compute_variance_distribution` and `.variance_distributional` give it for lme4 fits (the
 * "residual" variance on the latent or link scale that R² and the ICC divide by):
 *
 *   Gaussian (lmer):            σ²_d = σ̂²
 *   binomial, logit:            σ²_d = π²/3         (the logistic distribution's variance)
 *   binomial, probit:           σ²_d = 1            (the standard normal's)
 *   binomial, cloglog:          σ²_d = π²/6         (the Gumbel's)
 *   Poisson, log:               σ²_d = log(1 + V(μ₀)/μ₀²) = log(1 + 1/μ₀)            (the lognormal approximation)
 *   negative binomial, log:     σ²_d = log(1 + V(μ₀)/μ₀²) = log(1 + 1/μ₀ + 1/θ)     (V(μ) = μ(1 + μ/θ))
 *   Gamma (inverse, log, identity): σ²_d = V(σ̂) = σ̂²  (insight evaluates the family's variance
 *                                   function μ² at σ̂, lme4's √(pwrss/n))
 *
 * μ₀ = exp(β₀) with β₀ the intercept of insight's null model: the model refitted with the fixed part
 * reduced to an intercept, the same random-effects terms (src/inference/nullModel.ts). insight warns
 * when μ₀ < 6 ("too close to zero"): the lognormal approximation is poor for small counts.
 *
 * What insight computes otherwise is refused here (ModelError naming the reason): the inverse
 * Gaussian (insight 0.19.0 returns σ̂ itself, a standard deviation, as the variance, with no
 * derivation) and links insight calls "not yet supported" (it returns NA).
 */
import { ModelError } from '../errors/errors.js';

export type DistributionSpec =
  | { family: 'gaussian'; sigma: number }
  | { family: 'binomial'; link: string }
  | { family: 'poisson'; link: string; nullBeta0: number }
  | { family: 'negative.binomial'; link: string; nullBeta0: number; theta: number }
  | { family: 'Gamma'; link: string; sigma: number };

export interface DistributionVariance {
  /** σ²_d */
  variance: number;
  /** insight's warnings (μ₀ below 6) */
  messages: string[];
}

/** the families and links whose σ²_d is computed (others are refused) */
export const DISTRIBUTION_LINKS: Record<string, readonly string[]> = {
  gaussian: ['identity'],
  binomial: ['logit', 'probit', 'cloglog'],
  poisson: ['log'],
  'negative.binomial': ['log'],
  Gamma: ['inverse', 'log', 'identity'],
};

/** Refuses a family or link whose σ²_d is not computed here, with the reason. */
export function checkDistribution(family: string, link: string, what: string): void {
  if (family === 'inverse.gaussian') {
    throw new ModelError(`${what}: not available for the inverse Gaussian family: insight 0.19.0 (performance's r2_nakagawa and icc) uses σ̂ itself, a standard deviation, as its distribution-specific variance, for which there is no derivation to match`);
  }
  const links = DISTRIBUTION_LINKS[family];
  if (!links) throw new ModelError(`${what}: no distribution-specific variance for the family '${family}'`);
  if (!links.includes(link)) {
    throw new ModelError(`${what}: the ${family} family's link '${link}' has no distribution-specific variance in insight 0.19.0 (it returns NA; links: ${links.join(', ')})`);
  }
}

/** σ²_d of the family (the equations in the header) */
export function distributionVariance(spec: DistributionSpec): DistributionVariance {
  switch (spec.family) {
    case 'gaussian':
      return { variance: spec.sigma * spec.sigma, messages: [] };
    case 'binomial':
      checkDistribution('binomial', spec.link, 'the distribution-specific variance');
      // the variance of the latent residual whose CDF is the inverse link
      return { variance: spec.link === 'logit' ? Math.PI ** 2 / 3 : spec.link === 'probit' ? 1 : Math.PI ** 2 / 6, messages: [] };
    case 'Gamma':
      checkDistribution('Gamma', spec.link, 'the distribution-specific variance');
      // stats::family(x)$variance(sig) = sig²
      return { variance: spec.sigma * spec.sigma, messages: [] };
    case 'poisson':
    case 'negative.binomial': {
      checkDistribution(spec.family, spec.link, 'the distribution-specific variance');
      // μ₀ = exp(β₀) of the null model; V(μ₀) = μ₀ (Poisson) or μ₀(1 + μ₀/θ) (NB2)
      const mu = Math.exp(spec.nullBeta0);
      const messages = mu < 6 ? [`mu of ${mu.toFixed(1)} is too close to zero, estimate of random effect variances may be unreliable.`] : [];
      const V = spec.family === 'poisson' ? mu : mu * (1 + mu / spec.theta);
      // log(1 + CV²), CV² = V(μ₀)/μ₀²
      return { variance: Math.log1p(V / (mu * mu)), messages };
    }
  }
}
