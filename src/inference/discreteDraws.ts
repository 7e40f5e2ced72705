/**
 * Binomial, Poisson and negative binomial draws by inversion of their distribution functions, from one uniform each
 * (the counter-based uniforms of src/model/random.ts, so a GLMM bootstrap replicate is a pure
 * function of its seed and index, as the LMM's):
 *
 *   X = min{ k : F(k) ≥ u },   F(k) = P(X ≤ k).
 *
 * The search starts at k₀ = ⌊mean⌋ with F(k₀) from the regularized incomplete beta / gamma function (src/stats/distributions.ts)
 *   binomial(n, p):  F(k) = I_{1−p}(n − k, k + 1),   Poisson(λ):  F(k) = Q(k + 1, λ),
 *   NB2(size θ, mean μ), π = θ/(θ + μ):  F(k) = I_π(θ, k + 1)   (R's pnbinom)
 * and P(X = k₀) from Loader's saddle-point densities (src/glmm/rmath.ts; the negative binomial's from
 * log Γ), then walks down or up with the ratios of successive probabilities,
 *   binomial:  P(k + 1) / P(k) = (n − k) p / ((k + 1)(1 − p)),   Poisson:  P(k + 1) / P(k) = λ / (k + 1),
 *   NB2:       P(k + 1) / P(k) = (k + θ)(1 − π) / (k + 1),
 * so a draw costs O(SD) steps and never underflows at large means.
 */
import { incompleteBeta, incompleteGamma } from '../stats/distributions.js';
import { dbinomLog, dpoisLog, lgamma } from '../glmm/rmath.js';
import type { GlmFamily } from '../glmm/family.js';

/**
 * A GLMM's response at mean μ from the uniform u: binomial k/m with k ~ Binomial(m, μ) (m the row's
 * whole number of trials), Poisson(μ) or NB2(θ, μ) by the family's size.
 */
export function familyDraw(family: Pick<GlmFamily, 'family' | 'theta'>, u: number, mu: number, m: number): number {
  if (family.family === 'binomial') return binomialInverse(u, m, mu) / m;
  if (family.family === 'poisson') return poissonInverse(u, mu);
  return negbinInverse(u, family.theta!, mu);
}

/** The Binomial(n, p) draw of the uniform u ∈ (0, 1) (n a whole number ≥ 0). */
export function binomialInverse(u: number, n: number, p: number): number {
  if (n === 0 || p <= 0) return 0;
  if (p >= 1) return n;
  let k = Math.min(n, Math.floor(n * p));
  let F = k >= n ? 1 : incompleteBeta(1 - p, n - k, k + 1).lower;
  let pk = Math.exp(dbinomLog(k, n, p));
  const odds = p / (1 - p);
  if (u <= F) {
    // down: F(k − 1) = F(k) − P(k); P(k − 1) = P(k) k (1 − p) / ((n − k + 1) p)
    while (k > 0 && u <= F - pk) {
      F -= pk;
      pk *= k / ((n - k + 1) * odds);
      k--;
    }
    return k;
  }
  while (u > F && k < n) {
    pk *= ((n - k) * odds) / (k + 1);
    k++;
    F += pk;
    if (pk === 0) break;
  }
  return k;
}

/** The Poisson(λ) draw of the uniform u ∈ (0, 1) (λ ≥ 0). */
export function poissonInverse(u: number, lambda: number): number {
  if (!(lambda > 0)) return 0;
  let k = Math.floor(lambda);
  let pk = Math.exp(dpoisLog(k, lambda));
  let F = incompleteGamma(k + 1, lambda).upper;
  if (u <= F) {
    // down: P(k − 1) = P(k) k / λ
    while (k > 0 && u <= F - pk) {
      F -= pk;
      pk *= k / lambda;
      k--;
    }
    return k;
  }
  while (u > F) {
    k++;
    pk *= lambda / k;
    F += pk;
    if (pk === 0) break;
  }
  return k;
}


/** The NB2 draw (size θ > 0, mean μ ≥ 0; Var = μ + μ²/θ) of the uniform u ∈ (0, 1). */
export function negbinInverse(u: number, theta: number, mu: number): number {
  if (!(mu > 0)) return 0;
  const pi = theta / (theta + mu), q = mu / (theta + mu);
  let k = Math.floor(mu);
  // log P(k) = log Γ(k + θ) − log Γ(θ) − log Γ(k + 1) + θ log π + k log(1 − π)
  let pk = Math.exp(lgamma(k + theta) - lgamma(theta) - lgamma(k + 1) + theta * Math.log(pi) + k * Math.log(q));
  let F = incompleteBeta(pi, theta, k + 1).lower;
  if (u <= F) {
    // down: P(k − 1) = P(k) k / ((k − 1 + θ)(1 − π))
    while (k > 0 && u <= F - pk) {
      F -= pk;
      pk *= k / ((k - 1 + theta) * q);
      k--;
    }
    return k;
  }
  while (u > F) {
    pk *= ((k + theta) * q) / (k + 1);
    k++;
    F += pk;
    if (pk === 0) break;
  }
  return k;
}
