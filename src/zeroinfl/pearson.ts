/**
 * glmmTMB 1.1.5's Pearson residuals of a glmmTMB fit (residuals(fit, type = "pearson")),
 * which performance 0.10.2's check_overdispersion sums:
 *
 *   r_i = (y_i − ŷ_i) / √v_i,   ŷ = predict(type = "response")   (at the conditional modes),
 *   v_i = V(m_i)(1 − p_i) + m_i² p_i (1 − p_i)   with a zero model (ziformula not ~ 0), else V(m_i),
 *
 * m = predict(type = "conditional") (a hurdle's: the zero-truncated mean) and V the family's variance
 * function evaluated at m as glmmTMB calls it (its argument is the count model's untruncated mean, but
 * glmmTMB passes m):
 *   poisson            V(m) = m   (times disp² = 1)
 *   nbinom1            V(m) = m (1 + φ)
 *   nbinom2            V(m) = m (1 + m/φ)      (φ per row with a dispersion model: predict(type = "disp"))
 *   truncated_poisson  V(λ) = (λ + λ²)/(1 − e^{−λ}) − λ²/(1 − e^{−λ})²,  λ = m
 *   truncated_nbinom2  μ* = m + (φ + m) f(1)/(φ (1 − f(0))),  V = μ* + μ* m (1 + 1/φ) − μ*²,
 *                      f the NB2(size φ, mean m) probabilities: f(0) = (φ/(φ + m))^φ, f(1) = φ f(0) m/(φ + m)
 *   beta_family        V(m) = m (1 − m)   (glmmTMB's variance(mu), without the 1/(1 + φ): its one-argument
 *                      variance functions are scaled by (predict(type = "disp") / sigma(fit))² = 1)
 *   gaussian           V(m) = 1           (the same scaling: r = y − ŷ)
 *   genpois            V(m) = m φ
 *   binomial           V(m) = m (1 − m)   (one argument: scaled by disp² = 1)
 *   betabinomial       V(m) = m (1 − m)   (glmmTMB's variance(mu, phi) ignores φ)
 *   Gamma              V(m) = m²          (one argument: scaled by (disp/sigma)² = 1 — so without 1/φ)
 *   tweedie            V(m) = φ m^p
 *   compois            V(m) = Var y of the CMP with mean m and ν = 1/φ (glmmTMB's compois()$variance: TMB's
 *                      compois_calc_var, the second derivative of log Z at λ(m); compois.ts)
 *   truncated_nbinom1, truncated_genpois, truncated_compois  refused: glmmTMB 1.1.5 stops ("variance for truncated … family
 *                      not yet implemented")
 * and for beta_family, gaussian and Gamma with a dispersion model other than '~ 1' refused too: glmmTMB
 * 1.1.5's sigma(fit) is NA there, so are its residuals. binomial and betabinomial: r × √size (glmmTMB
 * multiplies by the square root of the model's weights: cbind's trials, or the weights of a proportion).
 */
import { ModelError } from '../errors/errors.js';
import { compoisVariance } from './compois.js';
import type { ZeroInflatedModel } from './model.js';

/** Refuses the Pearson residuals glmmTMB 1.1.5 does not give (see the header). */
export function checkPearsonAvailable(model: Pick<ZeroInflatedModel, 'family' | 'dist' | 'dispConstant' | 'dispText'>): void {
  if (model.family === 'truncated_nbinom1' || model.family === 'truncated_genpois' || model.family === 'truncated_compois') {
    const what = model.family === 'truncated_nbinom1' ? 'hurdle NB1' : model.family === 'truncated_genpois' ? 'hurdle generalized Poisson' : 'hurdle Conway–Maxwell–Poisson';
    const fam = model.family.replace('truncated_', '');
    throw new ModelError(`Pearson residuals of a ${model.family} (${what}) fit are not available: glmmTMB 1.1.5 has no variance function for it ("variance for truncated ${fam} family not yet implemented")`);
  }
  if ((model.dist === 'beta' || model.dist === 'gaussian' || model.dist === 'gamma') && !model.dispConstant) {
    throw new ModelError(`Pearson residuals of a ${model.family} fit with dispformula '${model.dispText}' are not available: glmmTMB 1.1.5 scales its one-argument variance function by sigma(fit), which is NA with a dispersion model (its residuals are NA)`);
  }
}

/** V(m) of the family (see the header) */
export function ziVarianceFunction(model: Pick<ZeroInflatedModel, 'family'>, m: number, phi: number, power = NaN): number {
  switch (model.family) {
    case 'genpois': return m * phi;
    case 'binomial': case 'betabinomial': return m * (1 - m);
    case 'Gamma': return m * m;
    case 'tweedie': return phi * m ** power;
    case 'truncated_genpois': return NaN;
    case 'compois': return compoisVariance(m, 1 / phi);
    case 'truncated_compois': return NaN;
    case 'poisson': return m;
    case 'nbinom1': return m * (1 + phi);
    case 'nbinom2': return m * (1 + m / phi);
    case 'beta_family': return m * (1 - m);
    case 'gaussian': return 1;
    case 'truncated_nbinom1': return NaN;
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

/** the residuals from y, ŷ (response), m (conditional), p (zprob) and φ per row (see the header) */
export function ziPearsonResiduals(model: Pick<ZeroInflatedModel, 'family' | 'dist' | 'pz' | 'dispConstant' | 'dispText' | 'size'>, y: ArrayLike<number>, response: ArrayLike<number>, conditional: ArrayLike<number>, zprob: ArrayLike<number>, phi: ArrayLike<number>, power = NaN): Float64Array {
  checkPearsonAvailable(model);
  const n = y.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = conditional[i], p = zprob[i];
    let v = ziVarianceFunction(model, m, phi[i], power);
    if (model.pz > 0) v = v * (1 - p) + m * m * p * (1 - p);
    out[i] = (y[i] - response[i]) / Math.sqrt(v);
    if (model.size) out[i] *= Math.sqrt(model.size[i]);
  }
  return out;
}
