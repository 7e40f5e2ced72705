/**
 * The adaptive product-rule Gauss–Hermite approximation of a GLMM's deviance for ONE grouping factor
 * with a vector term of dimension q (`(1 + x | g)`, `(x || g)`, `(0 + f | g)`): glmer's nAGQ > 1 where
 * lme4 stops at scalar terms (GLMMadaptive's mixed_model, SAS NLMIXED's product rule), at the
 * conditional modes ũ that PIRLS found with β fixed.
 *
 * The levels are independent given β, so the marginal likelihood separates (spherical u_g ~ N(0, I_q),
 * b_g = T u_g, T the q × q lower-triangular template of Λ):
 *
 *   −2ℓ = Σ_g −2 log ∫ (2π)^{−q/2} exp(−devc_g(u)/2) du,   devc_g(u) = ‖u‖² + Σ_{i∈g} d(y_i, μ_i(u))      (1)
 *
 * (up to the constant Σ_i [aic_i − d_i] that lme4's glmerAGQ leaves out too: the deviance residuals, not
 * the family's aic, as src/glmm/agq.ts). With L_g the level's q × q block of the sparse Cholesky factor
 * at ũ (L_g L_gᵀ = Tᵀ Z_gᵀ W Z_g T + I, the penalized deviance's Hessian / 2), substitute
 * u = ũ_g + L_g⁻ᵀ z (du = |L_g|⁻¹ dz) and write the integrand against the standard normal φ_q(z):
 *
 *   ∫ (2π)^{−q/2} e^{−devc_g(u)/2} du = |L_g|⁻¹ e^{−devc_g(ũ_g)/2} ∫ φ_q(z) e^{−Δ_g(z)/2 + ‖z‖²/2} dz,     (2)
 *   Δ_g(z) = devc_g(ũ_g + L_g⁻ᵀ z) − devc_g(ũ_g),
 *
 * and take the K^q-node product rule of the K-node normal rule (z_k, w_k) of src/glmm/rmath.ts ghRule
 * (Σ w_k = 1) for ∫ φ_q(z) f(z) dz ≈ Σ_{k∈K^q} W_k f(z_k), z_k = (z_{k_1}, …, z_{k_q}), W_k = Π_j w_{k_j}:
 *
 *   −2ℓ ≈ Σ_g [devc_g(ũ_g) + log|L_g|² − 2 log Σ_k W_k e^{−Δ_g(z_k)/2 + ‖z_k‖²/2}]                     (3)
 *
 * with Σ_g log|L_g|² = log|L|² (the factor is block diagonal by level) and e^{‖z‖²/2} = (2π)^{−q/2}
 * e^{−Σ_j ldnorm_{k_j}} (ldnorm = log φ at the node), the form of agq.ts, so q = 1 is lme4's glmerAGQ
 * (agq.ts) term for term, and K = 1 (the single node z = 0, Δ = 0) is log|L|² + ‖ũ‖² + Σ_i d(y_i, μ̃_i),
 * the Laplace deviance with the deviance residuals in place of aic.
 *
 * The rows enter Δ through η_i(ũ_g + δ) = η_i + Z_iᵀ T δ, δ = L_g⁻ᵀ z: per level one q × q matrix
 * M_g = T L_g⁻ᵀ, per row a_i = M_gᵀ Z_i, and per node the shift a_i · z_k (K^q · q flops a row). The cost
 * is K^q unit deviances per row, guarded by AGQ_NODE_BUDGET. CPU float64 only (the WebGPU backend's
 * PIRLS leaves η and the factor here, src/glmm/pirls.ts agqAsync).
 */
import { ModelError } from '../errors/errors.js';
import { invertLower } from '../linalg/dense.js';
import type { PirlsModel } from './pirls.js';
import type { GHRule } from './rmath.js';

/** The most product-rule nodes per level, K^q (each row's unit deviance is evaluated K^q times). */
export const AGQ_NODE_BUDGET = 1000;

/** PIRLS's state at ũ for a single block of dimension q: the model, L's diagonal blocks, log|L|², ũ, T, η and μ. */
export interface AgqVectorState {
  model: PirlsModel;
  /** the block's diagonal of L: one q × q lower factor per level (row-major, level-major) */
  L: Float64Array;
  /** log|L|² = Σ_g log|L_g|² */
  ldL2: number;
  /** ũ, level-major (nl · q) */
  u: Float64Array;
  /** T: Λ's q × q lower-triangular template (row-major), b_g = T u_g */
  T: Float64Array;
  eta: Float64Array;
  mu: Float64Array;
}

/**
 * The refusal of a rule too large for q: K^q product nodes above AGQ_NODE_BUDGET (names K, q and K^q).
 */
export function checkAgqNodes(K: number, q: number): void {
  const nodes = Math.pow(K, q);
  if (nodes > AGQ_NODE_BUDGET) {
    throw new ModelError(`nAGQ = ${K} with a random-effects term of dimension q = ${q} needs K^q = ${K}^${q} = ${nodes} quadrature nodes per level, more than the budget of ${AGQ_NODE_BUDGET} (each row's deviance is evaluated at every node): use nAGQ ≤ ${Math.floor(Math.pow(AGQ_NODE_BUDGET, 1 / q) + 1e-9)} for q = ${q}, or nAGQ = 1 (the Laplace approximation)`);
  }
}

/** The K^q product grid: nodes (K^q × q, row-major, the first coordinate varying slowest), log W_k + ‖z_k‖²/2 as agq.ts writes it. */
export function productRule(rule: GHRule, q: number): { Z: Float64Array; factor: Float64Array; nodes: number } {
  const K = rule.z.length;
  const nodes = Math.pow(K, q);
  const Z = new Float64Array(nodes * q);
  // factor_k = W_k e^{‖z_k‖²/2} = Π_j w_{k_j} e^{−ldnorm_{k_j}} / √(2π)   (eq. 3, per coordinate)
  const factor = new Float64Array(nodes);
  const SQRT_2PI = Math.sqrt(2 * Math.PI);
  for (let k = 0; k < nodes; k++) {
    let rest = k;
    let f = 1;
    for (let j = q - 1; j >= 0; j--) {
      const kj = rest % K;
      rest = (rest - kj) / K;
      Z[k * q + j] = rule.z[kj];
      f *= (Math.exp(-rule.ldnorm[kj]) * rule.w[kj]) / SQRT_2PI;
    }
    factor[k] = f;
  }
  return { Z, factor, nodes };
}

/** The AGQ deviance (eq. 3) at the state, by the K^q product rule, on the CPU in float64. */
export function agqVectorDeviance(state: AgqVectorState, rule: GHRule): number {
  const { model, L, ldL2, u, T, eta, mu } = state;
  const { n, blocks, family, y, weights } = model;
  const b = blocks[0];
  const { q, nl, codes } = b;
  const K = rule.z.length;
  checkAgqNodes(K, q);
  const { Z: zk, factor, nodes } = productRule(rule, q);
  // the rows by level (a counting sort of the codes)
  const start = new Int32Array(nl + 1);
  for (let i = 0; i < n; i++) start[codes[i] + 1]++;
  for (let g = 0; g < nl; g++) start[g + 1] += start[g];
  const rows = new Int32Array(n);
  const fill = start.slice(0, nl);
  for (let i = 0; i < n; i++) rows[fill[codes[i]]++] = i;
  // s0 = Σ_g devc_g(ũ_g) = ‖ũ‖² + Σ_i d(y_i, μ̃_i)
  const d0 = new Float64Array(n);
  let s0 = 0;
  for (let j = 0; j < u.length; j++) s0 += u[j] * u[j];
  for (let i = 0; i < n; i++) {
    d0[i] = family.devResid(y[i], mu[i], weights[i]);
    s0 += d0[i];
  }
  const M = new Float64Array(q * q);
  const delta = new Float64Array(nodes * q);
  const rowsTerm = new Float64Array(nodes);
  const a = new Float64Array(q);
  let logMult = 0;
  for (let g = 0; g < nl; g++) {
    // L_g⁻¹ (L_g lower, row-major)
    const Linv = invertLower(L.subarray(g * q * q, (g + 1) * q * q), q);
    // δ_k = L_g⁻ᵀ z_k  (δ_r = Σ_s (L_g⁻¹)_{sr} z_s)
    for (let k = 0; k < nodes; k++) {
      for (let r = 0; r < q; r++) {
        let v = 0;
        for (let s = r; s < q; s++) v += Linv[s * q + r] * zk[k * q + s];
        delta[k * q + r] = v;
      }
    }
    // M_g = T L_g⁻ᵀ: M_{rc} = Σ_s T_{rs} (L_g⁻¹)_{cs}
    for (let r = 0; r < q; r++) {
      for (let c = 0; c < q; c++) {
        let v = 0;
        for (let s = 0; s <= r; s++) v += T[r * q + s] * Linv[c * q + s];
        M[r * q + c] = v;
      }
    }
    // rows term: Σ_{i∈g} [d(y_i, μ(η_i + a_i · z_k)) − d(y_i, μ̃_i)],  a_i = M_gᵀ Z_i
    rowsTerm.fill(0);
    for (let j = start[g]; j < start[g + 1]; j++) {
      const i = rows[j];
      for (let c = 0; c < q; c++) {
        let v = 0;
        for (let r = 0; r < q; r++) v += b.Z[i * q + r] * M[r * q + c];
        a[c] = v;
      }
      for (let k = 0; k < nodes; k++) {
        let shift = 0;
        let zero = true;
        for (let c = 0; c < q; c++) {
          const z = zk[k * q + c];
          if (z !== 0) zero = false;
          shift += a[c] * z;
        }
        if (zero) continue;
        rowsTerm[k] += family.devResid(y[i], family.linkinv(eta[i] + shift), weights[i]) - d0[i];
      }
    }
    // Σ_k W_k e^{−Δ_g(z_k)/2 + ‖z_k‖²/2},  Δ_g(z_k) = ‖ũ_g + δ_k‖² − ‖ũ_g‖² + rows term   (eq. 3)
    let mult = 0;
    for (let k = 0; k < nodes; k++) {
      let diff = rowsTerm[k];
      for (let r = 0; r < q; r++) {
        const ur = u[g * q + r];
        const vr = ur + delta[k * q + r];
        diff += vr * vr - ur * ur;
      }
      mult += Math.exp(-0.5 * diff) * factor[k];
    }
    logMult += Math.log(mult);
  }
  return s0 + ldL2 - 2 * logMult;
}
