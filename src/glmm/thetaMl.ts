/**
 * The maximum-likelihood size θ of a negative binomial sample with known means μ (MASS's
 * `theta.ml`, which lme4's glmer.nb uses for its starting θ): Newton's method on the score
 *
 *   U(θ) = Σ w [ψ(θ + y) − ψ(θ) + log θ + 1 − log(θ + μ) − (y + θ)/(μ + θ)]
 *   I(θ) = Σ w [−ψ'(θ + y) + ψ'(θ) − 1/θ + 2/(μ + θ) − (y + θ)/(μ + θ)²]
 *
 * from the moment estimate θ₀ = n / Σ w (y/μ − 1)², n = Σ w, with MASS's stopping rule (|Δθ| ≤ eps,
 * at most limit − 1 steps) and its standard error 1/√I.
 */
import { digamma, trigamma } from './rmath.js';

export interface ThetaMlResult {
  theta: number;
  /** 1 / √I(θ) at the last step */
  se: number;
  iterations: number;
  /** MASS's warning, when one applies: "iteration limit reached" or "estimate truncated at zero" */
  warning: string | null;
}

export function thetaMl(y: ArrayLike<number>, mu: ArrayLike<number>, options: { weights?: ArrayLike<number> | null; limit?: number; eps?: number } = {}): ThetaMlResult {
  const m = y.length;
  if (mu.length !== m) throw new Error(`thetaMl: ${m} responses but ${mu.length} means`);
  const w = options.weights ?? null;
  const limit = options.limit ?? 10;
  const eps = options.eps ?? Math.pow(Number.EPSILON, 0.25);
  let n = 0;
  let ss = 0;
  for (let i = 0; i < m; i++) {
    const wi = w ? w[i] : 1;
    n += wi;
    const r = y[i] / mu[i] - 1;
    ss += wi * r * r;
  }
  const score = (th: number) => {
    let s = 0;
    for (let i = 0; i < m; i++) {
      const yi = y[i], mi = mu[i];
      s += (w ? w[i] : 1) * (digamma(th + yi) - digamma(th) + Math.log(th) + 1 - Math.log(th + mi) - (yi + th) / (mi + th));
    }
    return s;
  };
  const info = (th: number) => {
    let s = 0;
    for (let i = 0; i < m; i++) {
      const yi = y[i], mi = mu[i];
      s += (w ? w[i] : 1) * (-trigamma(th + yi) + trigamma(th) - 1 / th + 2 / (mi + th) - (yi + th) / ((mi + th) * (mi + th)));
    }
    return s;
  };
  let t0 = n / ss;
  let it = 0;
  let del = 1;
  let inf = NaN;
  while (++it < limit && Math.abs(del) > eps) {
    t0 = Math.abs(t0);
    inf = info(t0);
    del = score(t0) / inf;
    t0 += del;
  }
  let warning: string | null = null;
  if (t0 < 0) { t0 = 0; warning = 'estimate truncated at zero'; }
  if (it === limit) warning = 'iteration limit reached';
  return { theta: t0, se: Math.sqrt(1 / inf), iterations: it - 1, warning };
}
