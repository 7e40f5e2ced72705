/**
 * The Laplace approximation of a glmmTMB model's likelihood (zero-inflated, hurdle, beta, gaussian) at
 * given x = (β, γ, δ, ψ), φ_i = exp(x_d,iᵀδ) (glmmTMB's objective: TMB's Laplace approximation with the
 * exact Hessian of the joint log-likelihood in the random effects at their mode; exact for gaussian):
 *
 *   −log L(x) ≈ −Σ_i ℓ_i(ũ) + ½‖ũ‖² + ½ log|ΛᵀZᵀWZΛ + I|      (W = −ℓ″ at ũ, rowKernel.ts)
 *
 * which equals TMB's −log p(y, b̃) + ½ log|H_b| − (q/2) log 2π with b = Λu (the Jacobian of b = Λu
 * cancels Λ's determinant in the prior). The modes ũ: Newton's method on the observed information
 * with step halving (src/glmm/rowLaplace.ts); where the observed system is indefinite at an iterate
 * (a zero-inflated zero's ℓ″ > 0), that step takes Fisher-scoring-like positive weights (the
 * kernel's step weights) instead — the safeguard. The determinant is always the observed one at ũ.
 *
 * REML (glmmTMB's REML = TRUE): the conditional model's β is integrated out with u (RowLaplace's inner
 * fixed effects): the objective is a function of x's other parts (γ, δ, ψ, the family's), β in x is ignored,
 * and the kernel's fixed part of η is the offset alone (Xβ is in ζ):
 *   −log L_R(γ, δ, ψ) ≈ h(ũ, β̃) + ½ log|L Lᵀ| + ½ log|R_XXᵀR_XX| − (p/2) log 2π.
 */
import { RowLaplace } from '../glmm/rowLaplace.js';
import { lme4Theta } from './covariance.js';
import type { ZeroInflatedModel } from './model.js';
import { type ZiRowState, fillDispersionConstants, ziRowLogLik } from './rowKernel.js';
import { tweediePower } from './tweedie.js';

/**
 * the parameter vector's parts: β, γ, δ (the dispersion model's coefficients), ψ (glmmTMB's theta, thetazi:
 * covariance.ts), then the family's own (glmmTMB's psi: tweedie's power p = 1 + logit⁻¹ ψ_f; tweedie.ts)
 */
export interface ZiParameters { beta: Float64Array; gamma: Float64Array; delta: Float64Array; psi: Float64Array; familyPar: Float64Array }

export function splitParameters(model: Pick<ZeroInflatedModel, 'p' | 'pz' | 'pd' | 'nTheta' | 'nFamilyPar'>, x: ArrayLike<number>): ZiParameters {
  const { p, pz, pd, nTheta } = model;
  const nf = model.nFamilyPar ?? 0;
  const beta = Float64Array.from({ length: p }, (_, k) => x[k]);
  const gamma = Float64Array.from({ length: pz }, (_, k) => x[p + k]);
  const delta = Float64Array.from({ length: pd }, (_, k) => x[p + pz + k]);
  const off = p + pz + pd;
  const psi = Float64Array.from({ length: nTheta }, (_, k) => x[off + k]);
  const familyPar = Float64Array.from({ length: nf }, (_, k) => x[off + nTheta + k]);
  return { beta, gamma, delta, psi, familyPar };
}

/** log φ_i = x_d,iᵀδ per row (0 where the family has no dispersion parameter) */
export function dispLinear(model: Pick<ZeroInflatedModel, 'n' | 'Xd' | 'pd'>, delta: ArrayLike<number>): Float64Array {
  const { n, Xd, pd } = model;
  const out = new Float64Array(n);
  for (let k = 0; k < pd; k++) {
    const d = delta[k];
    for (let i = 0; i < n; i++) out[i] += d * Xd[k * n + i];
  }
  return out;
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

  /** β integrated out (REML) */
  readonly reml: boolean;

  constructor(model: ZeroInflatedModel, reml = false) {
    super(model.n, model.blocks, model.nTheta, model.predictors, reml ? { X: model.X, p: model.p } : undefined);
    this.model = model;
    this.reml = reml;
    const n = model.n;
    this.state = {
      etaFixed: new Float64Array(n), logP: new Float64Array(n), log1mP: new Float64Array(n), phi: new Float64Array(n).fill(NaN), aux: new Float64Array(n),
      etaZiFixed: model.ziRandom ? new Float64Array(n) : null,
    };
  }

  rowLogLik(zeta: Float64Array | null, grad?: Float64Array, weight?: Float64Array): number {
    return ziRowLogLik(this.model, this.state, zeta, grad, weight);
  }

  override stepWeights(out: Float64Array): boolean {
    const scratchG = new Float64Array(this.grad.length);
    const scratchW = new Float64Array(this.weight.length);
    ziRowLogLik(this.model, this.state, this.zeta, scratchG, scratchW, out);
    return true;
  }

  /** the dispersion coefficients δ (and the family's parameters) the state's φ_i and constants were computed at */
  private deltaAt: Float64Array | null = null;

  /** Sets η's fixed part, p, φ and θ from x = (β, γ, δ, ψ). */
  setParameters(x: ArrayLike<number>): void {
    const m = this.model;
    const { beta, gamma, delta, psi, familyPar } = splitParameters(m, x);
    // (REML: the offset alone; β is the inner iteration's)
    this.state.etaFixed.set(condFixed(m, this.reml ? new Float64Array(m.p) : beta));
    const lz = ziLinear(m, gamma);
    if (this.state.etaZiFixed) this.state.etaZiFixed.set(lz);
    for (let i = 0; i < m.n; i++) {
      if (m.pz === 0) { this.state.logP[i] = -Infinity; this.state.log1mP[i] = 0; continue; }
      // log p = −log(1 + e^{−η_zi}), log(1 − p) = −log(1 + e^{η_zi})
      const e = lz[i];
      this.state.logP[i] = -(e > 0 ? Math.log1p(Math.exp(-e)) : -e + Math.log1p(Math.exp(e)));
      this.state.log1mP[i] = -(e > 0 ? e + Math.log1p(Math.exp(-e)) : Math.log1p(Math.exp(e)));
    }
    // φ_i = exp(x_d,iᵀδ) and its per-row constants, recomputed where δ changed
    const dAt = Float64Array.from([...delta, ...familyPar]);
    if (m.pd > 0 && !(this.deltaAt && this.deltaAt.every((v, k) => v === dAt[k]))) {
      this.deltaAt = dAt;
      if (m.dist === 'tweedie') this.state.power = tweediePower(familyPar[0]);
      const ld = dispLinear(m, delta);
      for (let i = 0; i < m.n; i++) this.state.phi[i] = Math.exp(ld[i]);
      fillDispersionConstants(m, this.state);
    }
    // lme4's θ from glmmTMB's (log-SDs, correlation parameters) per term; exp ψ for scalar terms
    this.setTheta(lme4Theta(m.reTerms, psi));
  }

  /** −log L at x; leaves ũ, ζ, ℓ′, W and L at ũ. */
  evaluate(x: ArrayLike<number>): number {
    this.setParameters(x);
    return this.laplace();
  }
}
