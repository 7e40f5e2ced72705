/**
 * The row kernel of a zero-inflated or hurdle count model (glmmTMB's per-observation log-likelihood),
 * as a function of the row's linear predictor η_i = x_iᵀβ + o_i + ζ_i (ζ_i = z_iᵀb), with its first
 * two derivatives in η (= in ζ), at fixed p_i = logit⁻¹(x_zi,iᵀγ) and NB size φ:
 *
 * the count density f (μ = e^η):
 *   Poisson:  log f(y) = yη − μ − log y!,                ∂ = y − μ,              ∂² = −μ
 *   NB2:      log f(y) = log Γ(y+φ) − log Γ(φ) − log y! − φ log(1 + μ/φ) + y (η − log(φ + μ)),
 *             ∂ = φ(y − μ)/(φ + μ),   ∂² = −φμ(φ + y)/(φ + μ)²
 *   g = log f(0): Poisson −μ (g′ = g″ = −μ); NB2 −φ log(1 + μ/φ), g′ = −φμ/(φ + μ), g″ = −φ²μ/(φ + μ)²
 * zero-inflated:
 *   y = 0:  ℓ = log(p + (1 − p) e^g)   (log-sum-exp);  r = (1 − p) e^g / e^ℓ
 *           ℓ′ = r g′,   ℓ″ = r g″ + r (1 − r) g′²    (may be > 0: the mixture is not log-concave)
 *   y > 0:  ℓ = log(1 − p) + log f(y)
 * hurdle:
 *   y = 0:  ℓ = log p                  (no η: ℓ′ = ℓ″ = 0)
 *   y > 0:  ℓ = log(1 − p) + log f(y) − log(1 − e^g);   with q = e^g / (1 − e^g) = 1/expm1(−g)
 *           ℓ′ = ∂ + q g′,   ℓ″ = ∂² + q (1 + q) g′² + q g″
 * W = −ℓ″ is the observed information (the Laplace determinant's); the safeguard's step weights are
 * the parts that are never negative: −r g″ (zero-inflated zeros), −∂² (counts).
 */
import type { ZeroInflatedModel } from './model.js';

/** log(e^a + e^b) */
function logspaceAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** log Γ(y + φ) − log Γ(φ) for a whole y ≥ 0: Σ_{j<y} log(φ + j) */
export function lgammaRatio(y: number, phi: number, lgamma: (x: number) => number): number {
  if (y <= 1000) { let s = 0; for (let j = 0; j < y; j++) s += Math.log(phi + j); return s; }
  return lgamma(y + phi) - lgamma(phi);
}

/** The fixed parameters a row kernel evaluates at. */
export interface ZiRowState {
  /** the fixed part x_iᵀβ + o_i of η per row */
  etaFixed: Float64Array;
  /** log p_i and log(1 − p_i) per row (−∞ and 0 where there is no zero model) */
  logP: Float64Array;
  log1mP: Float64Array;
  /** the NB size φ (unused for Poisson) */
  phi: number;
  /** log Γ(y_i + φ) − log Γ(φ) per row (NB) */
  lgRatio: Float64Array;
}

/**
 * Σ_i ℓ_i at η = etaFixed + ζ, and (when given) ℓ′ into grad, W = −ℓ″ into weight, the safeguard's
 * weights into stepW. −Infinity where a row has probability 0.
 */
export function ziRowLogLik(
  model: ZeroInflatedModel, s: ZiRowState, zeta: Float64Array | null,
  grad?: Float64Array, weight?: Float64Array, stepW?: Float64Array,
): number {
  const { n, y, lgy1, nb, hurdle } = model;
  const { etaFixed, logP, log1mP, phi, lgRatio } = s;
  const logPhi = Math.log(phi);
  let ll = 0;
  for (let i = 0; i < n; i++) {
    const eta = etaFixed[i] + (zeta ? zeta[i] : 0);
    const mu = Math.exp(eta);
    const yi = y[i];
    // the count density's log f(y), its derivatives d1, d2, and g = log f(0), g1, g2
    let logf: number, d1: number, d2: number, g: number, g1: number, g2: number;
    if (nb) {
      const logPhiMu = logspaceAdd(logPhi, eta); // log(φ + μ)
      const pm = phi + mu;
      g = -phi * Math.log1p(mu / phi);
      g1 = -phi * mu / pm;
      g2 = -phi * phi * mu / (pm * pm);
      logf = lgRatio[i] - lgy1[i] + g + (yi > 0 ? yi * (eta - logPhiMu) : 0);
      d1 = phi * (yi - mu) / pm;
      d2 = -phi * mu * (phi + yi) / (pm * pm);
    } else {
      g = -mu;
      g1 = -mu;
      g2 = -mu;
      logf = (yi > 0 ? yi * eta : 0) - mu - lgy1[i];
      d1 = yi - mu;
      d2 = -mu;
    }
    let li: number, l1: number, l2: number, sw: number;
    if (yi === 0) {
      if (hurdle) {
        li = logP[i]; l1 = 0; l2 = 0; sw = 0;
      } else {
        const a = log1mP[i] + g;
        li = logspaceAdd(logP[i], a);
        const r = Math.exp(a - li);
        l1 = r * g1;
        l2 = r * g2 + r * (1 - r) * g1 * g1;
        sw = -r * g2;
      }
    } else if (hurdle) {
      const q = 1 / Math.expm1(-g);
      li = log1mP[i] + logf - Math.log(-Math.expm1(g));
      l1 = d1 + q * g1;
      l2 = d2 + q * (1 + q) * g1 * g1 + q * g2;
      sw = -d2;
    } else {
      li = log1mP[i] + logf;
      l1 = d1;
      l2 = d2;
      sw = -d2;
    }
    if (!(li > -Infinity) || Number.isNaN(li)) return -Infinity;
    ll += li;
    if (grad && weight) {
      grad[i] = l1;
      weight[i] = -l2;
      if (stepW) stepW[i] = sw;
    }
  }
  return ll;
}
