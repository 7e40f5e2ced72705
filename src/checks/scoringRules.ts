/**
 * performance 0.10.2's log loss (`performance_logloss`) and proper scoring rules (`performance_score`,
 * Gneiting & Raftery 2007) of a glmer fit, from the response y and the fitted means μ̂:
 *
 *   Log_loss        = −mean(log(1 − |y − μ̂|))                 (binomial, y recoded to 0/1)
 *   p_i             = P(Y = y_i | μ̂_i): binomial dbinom(y_i, size = Σ_j y_j, μ̂_i) — performance 0.10.2's
 *                     prob_fun receives sum(resp) as its size (a quirk it has, kept here so that
 *                     the numbers are performance's: it is not the Bernoulli probability of y_i) —,
 *                     Poisson dpois(y_i, μ̂_i), negative binomial dnbinom(y_i, mu = μ̂_i,
 *                     size = exp(χ²_Pearson / rdf)) (performance's `.dispersion_parameter`, not the fit's θ)
 *   Score_log       = mean(log p_i)
 *   Score_spherical = mean(p_i / √(Σ_j p_j²))
 */
import { dbinomLog, dbinomRawLog, dpoisLog, lgamma } from '../glmm/rmath.js';

/** performance_logloss of 0/1 responses */
export function logLoss(y: ArrayLike<number>, mu: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += Math.log(1 - Math.abs(y[i] - mu[i]));
  return -s / y.length;
}

/** R's dnbinom(x, size, mu = mu) (dnbinom_mu) */
export function dnbinomMu(x: number, size: number, mu: number): number {
  if (x === 0) return Math.exp(size * (size < mu ? Math.log(size / (size + mu)) : Math.log1p(-mu / (size + mu))));
  if (x < 1e-10 * size) {
    const p = size < mu ? Math.log(size / (1 + size / mu)) : Math.log(mu / (1 + mu / size));
    return Math.exp(x * p - mu - lgamma(x + 1) + Math.log1p((x * (x - 1)) / (2 * size)));
  }
  const ans = Math.exp(dbinomRawLog(size, x + size, size / (size + mu), mu / (size + mu)));
  return (size / (size + x)) * ans;
}

/**
 * The family of p_i. performance's zero-inflated and hurdle forms (glmmTMB fits; μ̂ the response mean, π the
 * zero-inflation probability predict(type = "zprob")):
 *   zero-inflated: p_i = (1 − π_i) f(y_i; μ̂_i / (1 − π_i)) + π_i [y_i = 0]
 *   hurdle:        p_i = π_i at y_i = 0, else (1 − π_i) f(y_i; μ̂_i) / (1 − f(0; μ̂_i))
 * with f Poisson or NB2 of the given size (performance evaluates the hurdle's count density at the response
 * mean μ̂, not at the count model's μ: kept, so that the numbers are performance's)
 */
export type ScoreFamily = { family: 'binomial' } | { family: 'poisson' } | { family: 'negative.binomial'; size: number };
/** the zero model of a zero-inflated or hurdle fit (Poisson or negative binomial) */
export interface ScoreZero { zero: 'inflated' | 'hurdle'; pi: ArrayLike<number> }

export interface Scores {
  logarithmic: number;
  quadratic: number;
  spherical: number;
}

/** p_i of each row (the family's forms above) */
export function scoreProbabilities(y: ArrayLike<number>, mu: ArrayLike<number>, fam: ScoreFamily, zero?: ScoreZero): Float64Array {
  const n = y.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += y[i];
  const f = (x: number, m: number) => (fam.family === 'poisson' ? Math.exp(dpoisLog(x, m)) : dnbinomMu(x, (fam as { size: number }).size, m));
  const py = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (fam.family === 'binomial') py[i] = Math.exp(dbinomLog(y[i], total, mu[i]));
    else if (!zero) py[i] = f(y[i], mu[i]);
    else {
      const pi = zero.pi[i];
      if (zero.zero === 'inflated') py[i] = (1 - pi) * f(y[i], mu[i] / (1 - pi)) + (y[i] === 0 ? pi : 0);
      else py[i] = y[i] === 0 ? pi : ((1 - pi) * f(y[i], mu[i])) / (1 - f(0, mu[i]));
    }
  }
  return py;
}

export function scoringRules(y: ArrayLike<number>, mu: ArrayLike<number>, fam: ScoreFamily, zero?: ScoreZero): Scores {
  const py = scoreProbabilities(y, mu, fam, zero);
  const n = py.length;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += py[i] * py[i];
  let lg = 0, quad = 0, sph = 0;
  for (let i = 0; i < n; i++) {
    lg += Math.log(py[i]);
    quad += 2 * py[i] + sq;
    sph += py[i] / Math.sqrt(sq);
  }
  return { logarithmic: lg / n, quadratic: quad / n, spherical: sph / n };
}
