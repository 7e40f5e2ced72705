/**
 * glmmTMB's predict(fit, se.fit = TRUE) on the fit's rows (re.form = NULL): TMB's sdreport of the
 * conditional linear predictor η̂_i = x_iᵀβ̂ + o_i + z_iᵀb̃(x̂) (sdreport's delta method with the random
 * effects: their conditional variance plus the parameters' uncertainty through the modes):
 *   Var(η̂_i) = z_iᵀ Λ (L Lᵀ)⁻¹ Λᵀ z_i + g_iᵀ Var(x̂) g_i,
 *   the first term the inverse Hessian of −log f(y, b) in b at the mode (L at ũ, observed W, as ranef's
 *         condVar) read as ‖L⁻¹ Λᵀ z_i‖², one sparse forward solve a row over every grouping factor's
 *         level of the row (src/inference/predictInterval.ts's predictionVariances, with no X part),
 *   g_i = ∂η̂_i/∂x = (x_i on β's entries) + Σ_k Σ_s z_iks ∂b̃_k,c(k),s/∂x   (A = ∂b̃/∂x by central
 *         differences: ranefVariance.ts's modeDerivatives),
 * over the parameters with a variance (as ranef's condVar); z_i holds the conditional model's columns of
 * each block (a zero model's random-effects columns, which share the blocks and L, are 0 in η). Offered for
 * ML fits.
 */
import { ModelError } from '../errors/errors.js';
import type { FixedTransform } from '../model/fixedTransform.js';
import { predictionVariances } from '../inference/predictInterval.js';
import { ZiLaplace } from './laplace.js';
import type { ZeroInflatedModel } from './model.js';
import { modeDerivatives } from './ranefVariance.js';

/** √Var(η̂_i) per row of the fit (see the header); x the fit's parameters, vcov nx × nx row-major. */
export function etaStandardErrors(model: ZeroInflatedModel, x: ArrayLike<number>, vcov: ArrayLike<number>, reml: boolean): Float64Array {
  if (reml) throw new ModelError("predict's se.fit of a REML glmmTMB fit is not implemented here (β is among the random effects there); fit by ML");
  const { n, p, X } = model;
  const nx = x.length;
  const out = new Float64Array(n);
  // Var(x̂) over the usable parameters
  const { usable, A } = modeDerivatives(model, x, vcov);
  const m = usable.length;
  const V = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let e = 0; e < m; e++) V[a * m + e] = vcov[usable[a] * nx + usable[e]];
  const { blocks } = model;
  // z_i of η: a block's row of Z with the zero model's columns zeroed
  const zOf = (k: number, i: number): Float64Array => {
    const b = blocks[k];
    return Float64Array.from(b.Z.subarray(i * b.q, (i + 1) * b.q), (v, s) => (model.predictors[k][s] === 0 ? v : 0));
  };
  // ‖L⁻¹ Λᵀ z_i‖² per row: the Laplace's factor at x̂ (its p1 = 1: no X part; every row at its own levels)
  let condVar: Float64Array = new Float64Array(n);
  if (blocks.length > 0) {
    const lap = new ZiLaplace(model);
    lap.evaluate(x);
    const none = { intercept: -1, means: new Float64Array(0) } as unknown as FixedTransform;
    const rows = Array.from({ length: n }, (_, i) => ({
      x: [],
      groups: blocks.map((b, k) => ({ level: b.codes[i], z: zOf(k, i) })),
    }));
    condVar = Float64Array.from(predictionVariances(lap.chol, none, blocks, blocks.map(() => null), lap.T, blocks.map((b) => new Float64Array(b.q * b.q)), 1, rows), (v) => v.confidence);
  }
  const g = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    // g_i: x_i on β, plus Σ_k z_ikᵀ ∂b̃_k,c/∂x
    for (let a = 0; a < m; a++) g[a] = usable[a] < p ? X[usable[a] * n + i] : 0;
    blocks.forEach((b, k) => {
      const q = b.q, c = b.codes[i], z = zOf(k, i);
      for (let a = 0; a < m; a++) {
        const Ak = A[a][k];
        for (let s = 0; s < q; s++) g[a] += z[s] * Ak[c * q + s];
      }
    });
    let v = condVar[i];
    // g_iᵀ Var(x̂) g_i
    for (let a = 0; a < m; a++) {
      let t = 0;
      for (let e = 0; e < m; e++) t += V[a * m + e] * g[e];
      v += g[a] * t;
    }
    out[i] = Math.sqrt(v);
  }
  return out;
}
