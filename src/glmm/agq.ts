/**
 * The adaptive Gauss–Hermite approximation of a GLMM's deviance (lme4's glmerAGQ), for one scalar
 * random-effects term, at the conditional modes ũ that PIRLS found with β fixed:
 *
 *   −2ℓ ≈ Σ_g devc_g(ũ) + log|L|² − 2 Σ_g log Σ_k w_k e^{−(devc_g(ũ_g + z_k s_g) − devc_g(ũ)) / 2 + z_k²/2}
 *
 * with devc_g(u) = u_g² + Σ_{i∈g} d(y_i, μ_i), s_g = 1/L_gg and the k-node rule (z_k, w_k) of
 * src/glmm/rmath.ts ghRule.
 */
import type { PirlsModel } from './pirls.js';
import type { GHRule } from './rmath.js';

/** PIRLS's state at ũ: the model, L's diagonal (one 1 × 1 block per level) and log|L|², ũ, the template T = θ, η and μ. */
export interface AgqState {
  model: PirlsModel;
  L: Float64Array;
  ldL2: number;
  u: Float64Array;
  t: number;
  eta: Float64Array;
  mu: Float64Array;
}

export function agqDeviance(state: AgqState, rule: GHRule): number {
  const { model, L, ldL2, u, t } = state;
  const { n, blocks, family, y, weights } = model;
  const b = blocks[0];
  const nl = b.nl;
  const devc0 = new Float64Array(nl);
  for (let g = 0; g < nl; g++) devc0[g] = u[g] * u[g];
  for (let i = 0; i < n; i++) devc0[b.codes[i]] += family.devResid(y[i], state.mu[i], weights[i]);
  const mult = new Float64Array(nl);
  const devc = new Float64Array(nl);
  const SQRT_2PI = Math.sqrt(2 * Math.PI);
  for (let kn = 0; kn < rule.z.length; kn++) {
    const zk = rule.z[kn];
    if (zk === 0) {
      for (let g = 0; g < nl; g++) mult[g] += rule.w[kn];
      continue;
    }
    for (let g = 0; g < nl; g++) {
      const ug = u[g] + zk / L[g];
      devc[g] = ug * ug;
    }
    for (let i = 0; i < n; i++) {
      const g = b.codes[i];
      const eta = state.eta[i] + b.Z[i] * t * (zk / L[g]);
      devc[g] += family.devResid(y[i], family.linkinv(eta), weights[i]);
    }
    for (let g = 0; g < nl; g++) mult[g] += (Math.exp(-0.5 * (devc[g] - devc0[g]) - rule.ldnorm[kn]) * rule.w[kn]) / SQRT_2PI;
  }
  let s0 = 0;
  let logMult = 0;
  for (let g = 0; g < nl; g++) {
    s0 += devc0[g];
    logMult += Math.log(mult[g]);
  }
  return s0 + ldL2 - 2 * logMult;
}
