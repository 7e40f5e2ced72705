/**
 * glmmTMB's predict(fit, se.fit = TRUE) on the fit's rows (re.form = NULL): TMB's sdreport of the
 * conditional linear predictor η̂_i = x_iᵀβ̂ + o_i + z_iᵀb̃(x̂) (sdreport's delta method with the random
 * effects: their conditional variance plus the parameters' uncertainty through the modes):
 *   Var(η̂_i) = z_iᵀ C_c z_i + g_iᵀ Var(x̂) g_i,
 *   C_c = Λ (L Lᵀ)⁻¹ Λᵀ's block of row i's level c (the inverse Hessian of −log f(y, b) in b at the mode,
 *         observed W: conditionalVariances, as ranef's condVar),
 *   g_i = ∂η̂_i/∂x = (x_i on β's entries) + Σ_s z_is ∂b̃_cs/∂x   (A = ∂b̃/∂x by central differences:
 *         ranefVariance.ts's modeDerivatives),
 * over the parameters with a variance (as ranef's condVar). Offered where the conditional model's random
 * effects form one block (one grouping factor: C's blocks between grouping factors are not formed here),
 * the zero model has none, and the fit is ML.
 */
import { ModelError } from '../errors/errors.js';
import { conditionalVariances } from '../lmm/solution.js';
import { ZiLaplace } from './laplace.js';
import type { ZeroInflatedModel } from './model.js';
import { modeDerivatives } from './ranefVariance.js';

/** √Var(η̂_i) per row of the fit (see the header); x the fit's parameters, vcov nx × nx row-major. */
export function etaStandardErrors(model: ZeroInflatedModel, x: ArrayLike<number>, vcov: ArrayLike<number>, reml: boolean): Float64Array {
  if (reml) throw new ModelError("predict's se.fit of a REML glmmTMB fit is not implemented here (β is among the random effects there); fit by ML");
  if (model.ziRandom) throw new ModelError(`predict's se.fit of a glmmTMB fit with random effects in its zero-inflation model (ziformula '${model.ziText}') is not implemented here`);
  if (model.blocks.length > 1) {
    throw new ModelError(`predict's se.fit of a glmmTMB fit with random effects on more than one grouping factor (${model.blocks.map((b) => b.group).join(', ')}) is not implemented here (the conditional covariances between grouping factors are not formed)`);
  }
  const { n, p, X } = model;
  const nx = x.length;
  const out = new Float64Array(n);
  // Var(x̂) over the usable parameters
  const { usable, A } = modeDerivatives(model, x, vcov);
  const m = usable.length;
  const V = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let e = 0; e < m; e++) V[a * m + e] = vcov[usable[a] * nx + usable[e]];
  const blk = model.blocks[0];
  let C: Float64Array | null = null;
  if (blk) {
    const lap = new ZiLaplace(model);
    lap.evaluate(x);
    C = conditionalVariances(lap.chol, 1)[0];
  }
  const g = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    // g_i: x_i on β, plus z_iᵀ ∂b̃_c/∂x
    for (let a = 0; a < m; a++) g[a] = usable[a] < p ? X[usable[a] * n + i] : 0;
    let v = 0;
    if (blk && C) {
      const q = blk.q, c = blk.codes[i];
      const z = blk.Z.subarray(i * q, (i + 1) * q);
      for (let a = 0; a < m; a++) {
        const Aa = A[a][0];
        for (let s = 0; s < q; s++) g[a] += z[s] * Aa[c * q + s];
      }
      // z_iᵀ C_c z_i
      for (let s = 0; s < q; s++) for (let t = 0; t < q; t++) v += z[s] * C[c * q * q + s * q + t] * z[t];
    }
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
