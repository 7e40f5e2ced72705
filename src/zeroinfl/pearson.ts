/**
 * glmmTMB 1.1.5's Pearson residuals of a zero-inflated or hurdle fit (residuals(fit, type = "pearson")),
 * which performance 0.10.2's check_overdispersion sums:
 *
 *   r_i = (y_i − ŷ_i) / √v_i,   ŷ = predict(type = "response")   (at the conditional modes),
 *   v_i = V(m_i)(1 − p_i) + m_i² p_i (1 − p_i)   with a zero model (ziformula not ~ 0), else V(m_i),
 *
 * m = predict(type = "conditional") (a hurdle's: the zero-truncated mean) and V the family's variance
 * function evaluated at m as glmmTMB calls it (its argument is the count model's untruncated mean, but
 * glmmTMB passes m):
 *   poisson            V(m) = m   (times disp² = 1)
 *   nbinom2            V(m) = m (1 + m/φ)
 *   truncated_poisson  V(λ) = (λ + λ²)/(1 − e^{−λ}) − λ²/(1 − e^{−λ})²,  λ = m
 *   truncated_nbinom2  μ* = m + (φ + m) f(1)/(φ (1 − f(0))),  V = μ* + μ* m (1 + 1/φ) − μ*²,
 *                      f the NB2(size φ, mean m) probabilities: f(0) = (φ/(φ + m))^φ, f(1) = φ f(0) m/(φ + m).
 */
import type { ZeroInflatedModel } from './model.js';

/** V(m) of the family (see the header) */
export function ziVarianceFunction(model: Pick<ZeroInflatedModel, 'family'>, m: number, phi: number): number {
  switch (model.family) {
    case 'poisson': return m;
    case 'nbinom2': return m * (1 + m / phi);
    case 'truncated_poisson': {
      const d = -Math.expm1(-m);
      return (m + m * m) / d - (m * m) / (d * d);
    }
    case 'truncated_nbinom2': {
      const f0 = Math.exp(phi * Math.log(phi / (phi + m)));
      const f1 = (phi * f0 * m) / (phi + m);
      const star = m + ((phi + m) * f1) / (phi * (1 - f0));
      return star + star * m * (1 + 1 / phi) - star * star;
    }
  }
}

/** the residuals from y, ŷ (response), m (conditional), p (zprob) and φ (see the header) */
export function ziPearsonResiduals(model: Pick<ZeroInflatedModel, 'family' | 'pz'>, y: ArrayLike<number>, response: ArrayLike<number>, conditional: ArrayLike<number>, zprob: ArrayLike<number>, phi: number): Float64Array {
  const n = y.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = conditional[i], p = zprob[i];
    let v = ziVarianceFunction(model, m, phi);
    if (model.pz > 0) v = v * (1 - p) + m * m * p * (1 - p);
    out[i] = (y[i] - response[i]) / Math.sqrt(v);
  }
  return out;
}
