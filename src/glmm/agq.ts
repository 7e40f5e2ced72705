/**
 * The adaptive Gauss–Hermite approximation of a GLMM's deviance (lme4's glmerAGQ), for one scalar
 * random-effects term, at the conditional modes ũ that PIRLS found with β fixed:
 *
 *   −2ℓ ≈ Σ_g devc_g(ũ) + log|L|² − 2 Σ_g log Σ_k w_k e^{−(devc_g(ũ_g + z_k s_g) − devc_g(ũ)) / 2 + z_k²/2}
 *
 * with devc_g(u) = u_g² + Σ_{i∈g} d(y_i, μ_i), s_g = 1/L_gg and the k-node rule (z_k, w_k) of
 * src/glmm/rmath.ts ghRule. The rows' part (agqRowSums: n × k unit deviances, the quadrature's work)
 * runs on the CPU or on the WebGPU backend; agqFromRowSums finishes per level in float64.
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

/**
 * The quadrature's rows term, Σ_{i∈g} [d(y_i, μ(η_i + Z_i t z_k / L_gg)) − d(y_i, μ_i)] for each level g
 * and each node k with z_k ≠ 0 (level-major: g · K + k, K the rule's nodes), on the CPU in float64; the
 * WebGPU backend computes it on the device (src/backend/webgpu/glmmPass.ts agqRowSums).
 */
export function agqRowSums(state: AgqState, rule: GHRule): Float64Array {
  const { model, L, t } = state;
  const { n, blocks, family, y, weights } = model;
  const b = blocks[0];
  const K = rule.z.length;
  const out = new Float64Array(b.nl * K);
  for (let i = 0; i < n; i++) {
    const g = b.codes[i];
    const d0 = family.devResid(y[i], state.mu[i], weights[i]);
    for (let kn = 0; kn < K; kn++) {
      const zk = rule.z[kn];
      if (zk === 0) continue;
      const eta = state.eta[i] + b.Z[i] * t * (zk / L[g]);
      out[g * K + kn] += family.devResid(y[i], family.linkinv(eta), weights[i]) - d0;
    }
  }
  return out;
}

/**
 * −2ℓ by the rule from the state's u, L, log|L|², s0 = Σ_g devc_g(ũ) = ‖ũ‖² + Σ_i d(y_i, μ_i), and the
 * rows term of agqRowSums:
 *   devc_g(ũ_g + z_k s_g) − devc_g(ũ_g) = (ũ_g + z_k s_g)² − ũ_g² + rows[g · K + k],   s_g = 1/L_gg.
 */
export function agqFromRowSums(u: Float64Array, L: Float64Array, ldL2: number, s0: number, rule: GHRule, rows: Float64Array): number {
  const nl = u.length;
  const K = rule.z.length;
  const SQRT_2PI = Math.sqrt(2 * Math.PI);
  let logMult = 0;
  for (let g = 0; g < nl; g++) {
    let mult = 0;
    for (let kn = 0; kn < K; kn++) {
      const zk = rule.z[kn];
      if (zk === 0) { mult += rule.w[kn]; continue; }
      const ug = u[g] + zk / L[g];
      const diff = ug * ug - u[g] * u[g] + rows[g * K + kn];
      mult += (Math.exp(-0.5 * diff - rule.ldnorm[kn]) * rule.w[kn]) / SQRT_2PI;
    }
    logMult += Math.log(mult);
  }
  return s0 + ldL2 - 2 * logMult;
}

/** The AGQ deviance at the state, on the CPU in float64. */
export function agqDeviance(state: AgqState, rule: GHRule): number {
  const { model, u } = state;
  const { n, family, y, weights } = model;
  let s0 = 0;
  for (let g = 0; g < u.length; g++) s0 += u[g] * u[g];
  for (let i = 0; i < n; i++) s0 += family.devResid(y[i], state.mu[i], weights[i]);
  return agqFromRowSums(u, state.L, state.ldL2, s0, rule, agqRowSums(state, rule));
}
