/**
 * glmmTMB's ranef(fit, condVar = TRUE): TMB's sdreport covariance of the random effects, which adds the
 * uncertainty of the estimated parameters to the conditional variances (sdreport's diag.cov.random):
 *   Var(b̂) = Λ (L Lᵀ)⁻¹ Λᵀ  +  A Var(x̂) Aᵀ,   A = ∂b̃/∂x,
 * the first term the inverse Hessian of −log f(y, b) in b at the mode for x = x̂ (L at ũ, observed W), the
 * second the delta method over the outer parameters x (their covariance Var(x̂), the fit's vcov).
 * Under REML β is among TMB's random parameters: the first term is then the (b, b) block of the joint
 * inverse Hessian in (b, β), Λ(LLᵀ)⁻¹Λᵀ + (∂b̃/∂β) S⁻¹ (∂b̃/∂β)ᵀ, and the second uses the joint modes'
 * derivatives in x_o; with the partial derivatives ∂b̃/∂(β, x_o) of the modes of b alone and the REML vcov
 * of (β, x_o) (remlPrecision.ts: [S⁻¹ + J P⁻¹ Jᵀ, J P⁻¹; P⁻¹Jᵀ, P⁻¹], J = dβ̃/dx_o) the product A Var Aᵀ is
 * exactly the sum of those two terms, so one formula serves both fits.
 * A's columns are central differences of the modes b̃ = Λ(x) ũ(x) (the inner Newton's, converged to
 * max |∇h| < 1e-10). Parameters without a variance (NaN: at a boundary, or loading on one) are left out,
 * as their SEs are; with no variance at all (a Hessian that is not positive definite) the second term,
 * and so the conditional variance, is NaN.
 */
import { applyTemplate } from '../linalg/template.js';
import { ZiLaplace } from './laplace.js';
import type { ZeroInflatedModel } from './model.js';

/** the central-difference step of ∂b̃/∂x */
const MODE_STEP = 1e-4;

/** b̃ of every block, level-major, at the Laplace's last evaluation */
function modes(lap: ZiLaplace): Float64Array[] {
  return lap.model.blocks.map((b, k) => applyTemplate(lap.T[k], b.q, b.nl, lap.u[k]));
}

/**
 * A = ∂b̃/∂x at x by central differences, for the parameters with a variance (`usable`: finite diagonal
 * of `vcov`, nx × nx row-major): A[a][block] is ∂b̃/∂x_usable[a], level-major as b̃.
 */
export function modeDerivatives(model: ZeroInflatedModel, x: ArrayLike<number>, vcov: ArrayLike<number>): { usable: number[]; A: Float64Array[][] } {
  const nx = x.length;
  const lap = new ZiLaplace(model);
  lap.evaluate(x);
  // A's column k per block: (b̃(x + δe_k) − b̃(x − δe_k)) / 2δ (the inner iteration warm-started at x's modes)
  const usable = Array.from({ length: nx }, (_, k) => k).filter((k) => Number.isFinite(vcov[k * nx + k]));
  const A: Float64Array[][] = usable.map((k) => {
    const xp = Float64Array.from(x), xm = Float64Array.from(x);
    xp[k] += MODE_STEP;
    xm[k] -= MODE_STEP;
    lap.evaluate(xp);
    const bp = modes(lap);
    lap.evaluate(xm);
    return modes(lap).map((bm, blk) => Float64Array.from(bm, (v, r) => (bp[blk][r] - v) / (2 * MODE_STEP)));
  });
  return { usable, A };
}

/**
 * Per block, the q × q per level (level-major, as conditionalVariances) of A Var(x̂) Aᵀ at x (the fit's
 * parameters; `vcov` nx × nx row-major over them).
 */
export function parameterVariance(model: ZeroInflatedModel, x: ArrayLike<number>, vcov: ArrayLike<number>): Float64Array[] {
  const nx = x.length;
  const { usable, A } = modeDerivatives(model, x, vcov);
  const none = usable.length === 0;
  return model.blocks.map((b, blk) => {
    const { q, nl } = b;
    const out = new Float64Array(nl * q * q);
    if (none) return out.fill(NaN);
    // per level c: Σ_{k,l} A_k[c,s] V_kl A_l[c,t]
    const m = usable.length;
    const VA = new Float64Array(m);
    for (let c = 0; c < nl; c++) {
      for (let t = 0; t < q; t++) {
        // (V A)_k for column t of level c
        for (let a = 0; a < m; a++) {
          let v = 0;
          for (let e = 0; e < m; e++) v += vcov[usable[a] * nx + usable[e]] * A[e][blk][c * q + t];
          VA[a] = v;
        }
        for (let s = 0; s < q; s++) {
          let v = 0;
          for (let a = 0; a < m; a++) v += A[a][blk][c * q + s] * VA[a];
          out[c * q * q + s * q + t] = v;
        }
      }
    }
    return out;
  });
}
