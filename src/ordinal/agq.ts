/**
 * Adaptive Gauss–Hermite quadrature of a cumulative link mixed model's likelihood for one scalar
 * random-effects term (ordinal's getNAGQ.ssr, clmm's nAGQ > 1). The levels are independent, so
 * the likelihood is a product of one-dimensional integrals; level g's, centred at its mode ũ_g and
 * scaled by s_g = 1/L_gg (L_gg² = 1 + t² Σ_{i∈g} Z_i² W_i, the curvature of h_g at ũ_g):
 *
 *   ∫ e^{−h_g(u)} (2π)^{−1/2} du = s_g ∫ e^{−h_g(ũ_g + s_g z) + z²/2} φ(z) dz
 *                                ≈ s_g Σ_k w_k e^{−h_g(ũ_g + s_g z_k) + z_k²/2}
 *
 * with h_g(u) = −Σ_{i∈g} ℓ_i(Z_i t u) + u²/2 (ℓ_i weighted by the prior weight) and (z_k, w_k) the k-point rule for ∫ f φ
 * (src/glmm/rmath.ts ghRule). Summed over levels, with Σ_g h_g(ũ_g) = h(ũ) and −Σ log s_g = ½ log|L Lᵀ|:
 *
 *   −log L ≈ h(ũ) + ½ log|L Lᵀ| − Σ_g log Σ_k w_k exp(−(h_g(ũ_g + s_g z_k) − h_g(ũ_g)) + z_k²/2),
 *
 * the Laplace approximation (laplace.ts) less the log of each level's quadrature correction.
 */
import type { GHRule } from '../glmm/rmath.js';
import type { ClmmLaplace } from './laplace.js';
import { intervalProbability } from './links.js';

/** −log L by adaptive quadrature at x = (α, β, log SD), from the Laplace state at x. */
export function agqObjective(lap: ClmmLaplace, x: ArrayLike<number>, rule: GHRule): number {
  const laplace = lap.evaluate(x);
  if (!Number.isFinite(laplace)) return laplace;
  const { model } = lap;
  const b = model.blocks[0];
  const nl = b.nl;
  const t = lap.T[0][0];
  const L = lap.chol.Lkk[0];
  const K = rule.z.length;
  const u = lap.u[0];
  // Δh_gk = h_g(ũ_g + s_g z_k) − h_g(ũ_g): the penalty's part, then each row's
  const dh = new Float64Array(nl * K);
  for (let g = 0; g < nl; g++) {
    for (let k = 0; k < K; k++) {
      const ug = u[g] + rule.z[k] / L[g];
      dh[g * K + k] = 0.5 * (ug * ug - u[g] * u[g]);
    }
  }
  const { eta1, eta2, zeta } = lap;
  const { link } = model;
  for (let i = 0; i < model.n; i++) {
    const g = b.codes[i];
    const e1 = eta1[i] - zeta[i], e2 = eta2[i] - zeta[i];
    const l0 = Math.log(intervalProbability(link, e1, e2));
    const step = (b.Z[i] * t) / L[g];
    for (let k = 0; k < K; k++) {
      const zk = rule.z[k];
      if (zk === 0) continue;
      const d = step * zk;
      dh[g * K + k] -= model.weights[i] * (Math.log(intervalProbability(link, e1 - d, e2 - d)) - l0);
    }
  }
  let correction = 0;
  for (let g = 0; g < nl; g++) {
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const zk = rule.z[k];
      sum += rule.w[k] * Math.exp(-dh[g * K + k] + 0.5 * zk * zk);
    }
    correction += Math.log(sum);
  }
  const value = laplace - correction;
  return Number.isNaN(value) ? Infinity : value;
}
