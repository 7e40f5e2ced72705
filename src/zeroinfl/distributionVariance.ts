/**
 * The distribution-specific variance σ²_d of a glmmTMB fit, as insight 0.19.0's
 * `.compute_variance_distribution` and `.variance_distributional` give it (performance 0.10.2's
 * r2_nakagawa and icc), with sig = sigma(fit) (VarCorr's "sc") and μ₀ = exp(β₀) of insight's null model
 * (the fit refitted with the conditional model's fixed part reduced to an intercept: src/zeroinfl/r2.ts):
 *
 *   gaussian:             σ²_d = σ̂²
 *   binomial (logit):     σ²_d = π²/3
 *   Gamma:                σ²_d = V(sig) = sig²  (the family's variance function μ² evaluated at sig)
 *   the others:           σ²_d = log(1 + v / μ₀²) with v
 *     poisson                    μ₀
 *     zero-inflated poisson      mean_i (1 − p_i)(μ_i + p_i μ_i²)            (.variance_zip)
 *     nbinom2, nbinom1, genpois  V(μ₀, sig): μ₀(1 + μ₀/sig), μ₀(1 + sig), μ₀ sig
 *     zero-inflated of those     mean_i (1 − p_i) V(μ_i, k) + μ_i²(p_i² + p_i), k = exp(δ̂₀)   (.variance_zinb)
 *     truncated_poisson          V_tp(sig) = (λ + λ²)/(1 − e^{−λ}) − λ²/(1 − e^{−λ})² at λ = sig (= 1:
 *                                insight passes sig where glmmTMB's variance function takes λ — kept)
 *     truncated_nbinom2          glmmTMB's truncated NB2 variance at (μ₀, sig)
 *     tweedie                    sig μ₀^p, p = 1 + logit⁻¹ ψ
 *     beta_family                μ₀(1 − μ₀)/(1 + sig) — μ₀ = exp(β₀) of a logit-link intercept, as
 *                                insight has it (kept: performance's numbers; v can be negative, with
 *                                insight's warning, and R² then exceeds 1)
 *   with p_i = predict(type = "zprob") and μ_i = predict(type = "conditional") of the fit's rows.
 *
 * insight warns when μ₀ < 6 ("too close to zero") and when v < 0. Refused, with the reason
 * (checkTmbDistribution): a dispersion model other than '~ 1' (sigma(fit) is NA: performance returns NA
 * for gaussian and Gamma and takes insight's fallback 0 or a first coefficient for the others),
 * truncated_nbinom1 (insight: "Truncated negative binomial families are currently not supported"),
 * compois, truncated_genpois, truncated_compois and betabinomial (insight's default there reads
 * lme4::getME(fit, "theta") — glmmTMB's random-effects parameters — as a negative binomial's θ).
 */
import { ModelError } from '../errors/errors.js';
import { dnbinomMu } from '../checks/scoringRules.js';
import type { ZeroInflatedFit } from './zeroInflatedFit.js';

export interface TmbDistributionVariance {
  /** σ²_d */
  variance: number;
  /** insight's warnings, in its order */
  messages: string[];
}

/** the families σ²_d needs insight's null model for (μ₀) */
export function needsNullModel(fit: ZeroInflatedFit): boolean {
  return fit.model.count || fit.model.dist === 'beta' || fit.model.dist === 'tweedie';
}

/** Refuses a glmmTMB fit whose σ²_d performance does not give (NA) or gives with no meaning (the header). */
export function checkTmbDistribution(fit: ZeroInflatedFit, what: string): void {
  const { model, family } = fit;
  if (family === 'truncated_nbinom1') {
    throw new ModelError(`${what}: performance 0.10.2 returns NA for a truncated_nbinom1 fit (insight 0.19.0: "Truncated negative binomial families are currently not supported by \`get_variance\`.")`);
  }
  if (['compois', 'truncated_compois', 'truncated_genpois', 'betabinomial'].includes(family)) {
    throw new ModelError(`${what}: not available for family ${family}: insight 0.19.0 has no distribution-specific variance for it and falls back to μ₀(1 + μ₀/θ) with θ = lme4::getME(fit, "theta"), glmmTMB's random-effects parameters, which is no dispersion of this family, so there is no meaningful value to match`);
  }
  if (model.pd > 0 && !model.dispConstant) {
    throw new ModelError(`${what}: not available with dispformula '${fit.dispformula}': sigma(fit) is NA with a dispersion model, and insight 0.19.0's distribution-specific variance is built on it (performance returns NA for gaussian and Gamma; for the count families insight falls back to 0 or to the dispersion model's first coefficient, "get_variance ignores effects of dispersion model"): fit with dispformula '~ 1' for R2 and the ICC`);
  }
}

/** glmmTMB's truncated_nbinom2()$variance(μ, θ): the variance of an NB2 count truncated at 0 */
export function truncatedNbinom2Variance(mu: number, theta: number): number {
  // μ* = μ + (θ + μ) f(1)/(θ (1 − F(0))), V = μ* + μ* μ (1 + 1/θ) − μ*²
  const muStar = mu + ((theta + mu) * dnbinomMu(1, theta, mu)) / (theta * (1 - dnbinomMu(0, theta, mu)));
  return muStar + muStar * mu * (1 + 1 / theta) - muStar * muStar;
}

/** glmmTMB's truncated_poisson()$variance(λ) */
export function truncatedPoissonVariance(lambda: number): number {
  const d = -Math.expm1(-lambda);
  return (lambda + lambda * lambda) / d - (lambda * lambda) / (d * d);
}

/** σ²_d of a glmmTMB fit (the header's equations); nullBeta0 the null model's intercept (count, beta, tweedie) */
export function tmbDistributionVariance(fit: ZeroInflatedFit, nullBeta0: number | undefined): TmbDistributionVariance {
  const { model } = fit;
  const sig = fit.sigma;
  switch (model.dist) {
    case 'gaussian': return { variance: sig * sig, messages: [] };
    case 'binomial': return { variance: Math.PI ** 2 / 3, messages: [] };
    case 'gamma': return { variance: sig * sig, messages: [] };
  }
  if (nullBeta0 === undefined) throw new ModelError(`the distribution-specific variance of family ${fit.family} needs the null model's intercept`);
  const mu0 = Math.exp(nullBeta0);
  const messages = mu0 < 6 ? [`mu of ${mu0.toFixed(1)} is too close to zero, estimate of random effect variances may be unreliable.`] : [];
  const zi = model.pz > 0 || model.ziRandom;
  // the per-row means of the zero-inflated forms: p_i = zprob, μ_i = the conditional model's mean
  const rowMean = (term: (p: number, mu: number) => number) => {
    const mu = fit.conditionalMean();
    let s = 0;
    for (let i = 0; i < model.n; i++) s += term(fit.zprob[i], mu[i]);
    return s / model.n;
  };
  let v: number;
  if (fit.family === 'truncated_poisson') v = truncatedPoissonVariance(sig);
  else if (fit.family === 'truncated_nbinom2') v = truncatedNbinom2Variance(mu0, sig);
  else if (model.dist === 'poisson') v = zi ? rowMean((p, mu) => (1 - p) * (mu + p * mu * mu)) : mu0;
  else if (model.dist === 'nbinom2' || model.dist === 'nbinom1' || model.dist === 'genpois') {
    // the family's variance function V(μ, φ)
    const V = model.dist === 'nbinom2' ? (mu: number, k: number) => mu * (1 + mu / k)
      : model.dist === 'nbinom1' ? (mu: number, k: number) => mu * (1 + k) : (mu: number, k: number) => mu * k;
    const k = Math.exp(fit.delta[0]);
    v = zi ? rowMean((p, mu) => (1 - p) * V(mu, k) + mu * mu * (p * p + p)) : V(mu0, sig);
  } else if (model.dist === 'tweedie') v = sig * mu0 ** fit.power;
  else if (model.dist === 'beta') v = (mu0 * (1 - mu0)) / (1 + sig);
  else throw new ModelError(`no distribution-specific variance for family ${fit.family}`);
  if (v < 0) messages.push("Model's distribution-specific variance is negative. Results are not reliable.");
  // log(1 + CV²), CV² = v/μ₀²
  return { variance: Math.log1p(v / (mu0 * mu0)), messages };
}
