/**
 * The Laplace approximation of a cumulative link mixed model's likelihood at given (α, β, θ)
 * (ordinal's getNLA and update.u): the row-kernel Laplace of src/glmm/rowLaplace.ts (Newton's
 * method for the conditional modes ũ with step halving, −log L ≈ h(ũ) + ½ log|L Lᵀ|, clmm's nll +
 * log det L, whose (2π) terms cancel) on the cumulative link row kernel (rowKernel.ts: ℓ, ℓ′, W).
 *
 * ũ is converged until max|∇h| < 1e-10 (clmm's default stops at 1e-4, which leaves its objective up
 * to ~1e-5 from the converged one, test/oracle/clmm.R), so the objective is smooth in the parameters.
 * A zero probability, or ΛᵀZᵀWZΛ + I not positive definite (a cauchit link's negative W), makes the
 * objective +∞ (this kernel has no safeguard weights).
 * The state left behind (ũ, W, L at ũ) is what the quadrature (agq.ts), the conditional modes and
 * variances and the fitted values read.
 */
import { RowLaplace } from '../glmm/rowLaplace.js';
import type { ClmmModel } from './model.js';
import { thetaOfPsi } from './model.js';
import { fixedEtas, rowLogLik } from './rowKernel.js';
import { thresholdsOf } from './thresholds.js';

export class ClmmLaplace extends RowLaplace {
  readonly model: ClmmModel;
  /** fixed parts of η₁ and η₂ at the last parameters */
  readonly eta1: Float64Array;
  readonly eta2: Float64Array;

  constructor(model: ClmmModel) {
    super(model.n, model.blocks, model.nPsi);
    this.model = model;
    this.eta1 = new Float64Array(model.n);
    this.eta2 = new Float64Array(model.n);
  }

  rowLogLik(zeta: Float64Array | null, grad?: Float64Array, weight?: Float64Array): number {
    return rowLogLik(this.model.link, this.eta1, this.eta2, zeta, this.model.weights, grad, weight);
  }

  /** Splits the parameter vector (α, β, ψ) and sets η's fixed parts and θ. */
  setParameters(x: ArrayLike<number>): void {
    const m = this.model;
    const alpha = Array.prototype.slice.call(x, 0, m.nAlpha) as number[];
    const beta = Array.prototype.slice.call(x, m.nAlpha, m.nAlpha + m.p) as number[];
    const psi = Array.prototype.slice.call(x, m.nAlpha + m.p) as number[];
    fixedEtas(m.y, m.X, m.p, thresholdsOf(m.thresholds, alpha), beta, this.eta1, this.eta2);
    this.setTheta(thetaOfPsi(m, psi));
  }

  /**
   * −log L by the Laplace approximation at x = (α, β, ψ); +∞ where it is not defined (a zero
   * probability, a negative weight). Leaves ũ, ζ, ℓ′, W and L at ũ.
   */
  evaluate(x: ArrayLike<number>): number {
    this.setParameters(x);
    return this.laplace();
  }
}
