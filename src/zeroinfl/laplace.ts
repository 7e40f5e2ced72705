/**
 * The Laplace approximation of a zero-inflated or hurdle count GLMM's likelihood at given
 * x = (β, γ, log φ, ψ) (glmmTMB's objective: TMB's Laplace approximation with the exact Hessian of
 * the joint log-likelihood in the random effects at their mode):
 *
 *   −log L(x) ≈ −Σ_i ℓ_i(ũ) + ½‖ũ‖² + ½ log|ΛᵀZᵀWZΛ + I|      (W = −ℓ″ at ũ, rowKernel.ts)
 *
 * which equals TMB's −log p(y, b̃) + ½ log|H_b| − (q/2) log 2π with b = Λu (the Jacobian of b = Λu
 * cancels Λ's determinant in the prior). The modes ũ: Newton's method on the observed information
 * with step halving (src/glmm/rowLaplace.ts); where the observed system is indefinite at an iterate
 * (a zero-inflated zero's ℓ″ > 0), that step takes Fisher-scoring-like positive weights (the
 * kernel's step weights) instead — the safeguard. The determinant is always the observed one at ũ.
 */
import { RowLaplace } from '../glmm/rowLaplace.js';
import { lgamma } from '../glmm/rmath.js';
import type { ZeroInflatedModel } from './model.js';
import { type ZiRowState, lgammaRatio, ziRowLogLik } from './rowKernel.js';

/** the parameter vector's parts */
export interface ZiParameters { beta: Float64Array; gamma: Float64Array; logPhi: number; psi: Float64Array }

export function splitParameters(model: ZeroInflatedModel, x: ArrayLike<number>): ZiParameters {
  const { p, pz, nb, nTheta } = model;
  const beta = Float64Array.from({ length: p }, (_, k) => x[k]);
  const gamma = Float64Array.from({ length: pz }, (_, k) => x[p + k]);
  const logPhi = nb ? x[p + pz] : NaN;
  const off = p + pz + (nb ? 1 : 0);
  const psi = Float64Array.from({ length: nTheta }, (_, k) => x[off + k]);
  return { beta, gamma, logPhi, psi };
}

/** logit p_i = x_zi,iᵀγ per row */
export function ziLinear(model: ZeroInflatedModel, gamma: ArrayLike<number>): Float64Array {
  const { n, Xzi, pz } = model;
  const out = new Float64Array(n);
  for (let k = 0; k < pz; k++) {
    const g = gamma[k];
    for (let i = 0; i < n; i++) out[i] += g * Xzi[k * n + i];
  }
  return out;
}

/** x_iᵀβ + o_i per row */
export function condFixed(model: ZeroInflatedModel, beta: ArrayLike<number>): Float64Array {
  const { n, X, p, offset } = model;
  const out = offset ? Float64Array.from(offset) : new Float64Array(n);
  for (let k = 0; k < p; k++) {
    const b = beta[k];
    for (let i = 0; i < n; i++) out[i] += b * X[k * n + i];
  }
  return out;
}

export class ZiLaplace extends RowLaplace {
  readonly model: ZeroInflatedModel;
  readonly state: ZiRowState;

  constructor(model: ZeroInflatedModel) {
    super(model.n, model.blocks, model.nTheta);
    this.model = model;
    const n = model.n;
    this.state = {
      etaFixed: new Float64Array(n), logP: new Float64Array(n), log1mP: new Float64Array(n), phi: NaN, lgRatio: new Float64Array(n),
    };
  }

  rowLogLik(zeta: Float64Array | null, grad?: Float64Array, weight?: Float64Array): number {
    return ziRowLogLik(this.model, this.state, zeta, grad, weight);
  }

  override stepWeights(out: Float64Array): boolean {
    const scratchG = new Float64Array(this.n);
    const scratchW = new Float64Array(this.n);
    ziRowLogLik(this.model, this.state, this.zeta, scratchG, scratchW, out);
    return true;
  }

  /** Sets η's fixed part, p, φ and θ from x = (β, γ, log φ, ψ). */
  setParameters(x: ArrayLike<number>): void {
    const m = this.model;
    const { beta, gamma, logPhi, psi } = splitParameters(m, x);
    this.state.etaFixed.set(condFixed(m, beta));
    const lz = ziLinear(m, gamma);
    for (let i = 0; i < m.n; i++) {
      if (m.pz === 0) { this.state.logP[i] = -Infinity; this.state.log1mP[i] = 0; continue; }
      // log p = −log(1 + e^{−η_zi}), log(1 − p) = −log(1 + e^{η_zi})
      const e = lz[i];
      this.state.logP[i] = -(e > 0 ? Math.log1p(Math.exp(-e)) : -e + Math.log1p(Math.exp(e)));
      this.state.log1mP[i] = -(e > 0 ? e + Math.log1p(Math.exp(-e)) : Math.log1p(Math.exp(e)));
    }
    if (m.nb) {
      const phi = Math.exp(logPhi);
      if (phi !== this.state.phi) {
        this.state.phi = phi;
        for (let i = 0; i < m.n; i++) this.state.lgRatio[i] = lgammaRatio(m.y[i], phi, lgamma);
      }
    }
    this.setTheta(Float64Array.from(psi, Math.exp));
  }

  /** −log L at x; leaves ũ, ζ, ℓ′, W and L at ũ. */
  evaluate(x: ArrayLike<number>): number {
    this.setParameters(x);
    return this.laplace();
  }
}
