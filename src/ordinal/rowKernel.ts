/**
 * The row kernel of a cumulative link model: for each observation i in category y_i, as a function
 * of its random-effects part ζ_i = z_iᵀb (ordinal's nll.u, grad.u and hess.u, row by row):
 *
 *   η₁ = Θ_{y_i} − x_iᵀβ − ζ_i,   η₂ = Θ_{y_i − 1} − x_iᵀβ − ζ_i      (Θ_J = +∞, Θ_0 = −∞)
 *   p_i = F(η₁) − F(η₂)
 *   ℓ_i = w_i log p_i                                          (w_i the prior weight)
 *   ℓ′_i = dℓ_i/dζ_i = w_i (f(η₂) − f(η₁)) / p_i
 *   W_i = −d²ℓ_i/dζ_i² = w_i [((f(η₁) − f(η₂)) / p_i)² − (f′(η₁) − f′(η₂)) / p_i]
 *
 * W_i > 0 for the log-concave links (logit, probit, cloglog, loglog); the Cauchy's is not, and a
 * negative W (clmm's phi2 < 0) makes the point's objective infinite, as clmm's.
 */
import type { OrdinalLink } from './links.js';
import { intervalProbability } from './links.js';

/** Each row's fixed part of η: η₁ᶠ = Θ_{y} − xᵀβ and η₂ᶠ = Θ_{y−1} − xᵀβ (±∞ at the open ends). */
export function fixedEtas(y: Int32Array, X: Float64Array, p: number, Theta: Float64Array, beta: ArrayLike<number>, eta1: Float64Array, eta2: Float64Array): void {
  const n = y.length;
  const J1 = Theta.length;
  for (let i = 0; i < n; i++) {
    const c = y[i];
    eta1[i] = c < J1 ? Theta[c] : Infinity;
    eta2[i] = c > 0 ? Theta[c - 1] : -Infinity;
  }
  for (let r = 0; r < p; r++) {
    const b = beta[r];
    if (b === 0) continue;
    const x = X.subarray(r * n, r * n + n);
    for (let i = 0; i < n; i++) {
      const v = b * x[i];
      eta1[i] -= v;
      eta2[i] -= v;
    }
  }
}

/**
 * Σ_i ℓ_i at ζ, and (when `grad` is given) ℓ′_i into grad and W_i into weight. Returns −Infinity
 * where some p_i is not positive (the point is outside the model's support in floating point).
 */
export function rowLogLik(
  link: OrdinalLink, eta1: Float64Array, eta2: Float64Array, zeta: Float64Array | null, prior: Float64Array,
  grad?: Float64Array, weight?: Float64Array,
): number {
  const n = eta1.length;
  let ll = 0;
  for (let i = 0; i < n; i++) {
    const z = zeta ? zeta[i] : 0;
    const e1 = eta1[i] - z, e2 = eta2[i] - z;
    const pr = intervalProbability(link, e1, e2);
    if (!(pr > 0)) return -Infinity;
    const w = prior[i];
    ll += w * Math.log(pr);
    if (grad && weight) {
      const d = (link.density(e1) - link.density(e2)) / pr;
      grad[i] = -w * d;
      weight[i] = w * (d * d - (link.densityDeriv(e1) - link.densityDeriv(e2)) / pr);
    }
  }
  return ll;
}

/** The probability of each category for each row, n × J row-major, at η = Θ − xᵀβ − ζ. */
export function categoryProbabilities(link: OrdinalLink, Theta: Float64Array, fixedPart: Float64Array, zeta: Float64Array | null): Float64Array {
  const n = fixedPart.length;
  const J = Theta.length + 1;
  const out = new Float64Array(n * J);
  for (let i = 0; i < n; i++) {
    const lin = fixedPart[i] + (zeta ? zeta[i] : 0);
    for (let j = 0; j < J; j++) {
      const e1 = j < J - 1 ? Theta[j] - lin : Infinity;
      const e2 = j > 0 ? Theta[j - 1] - lin : -Infinity;
      out[i * J + j] = intervalProbability(link, e1, e2);
    }
  }
  return out;
}
