/**
 * The log-likelihood of an lmer model's data at given parameters (β, Τ_k, σ²), not at its own
 * estimates: what mitml's D3 needs for merMod fits (its `.getUserLL.lmerMod` refits the random part
 * alone with offset Xβ and evaluates lme4's devfun2 at Τ's SDs and correlations and σ). Here the same
 * ML deviance from the fit's own factor at θ = chol(Τ/σ²):
 *
 *   −2ℓ(β, θ, σ) = n log(2πσ²) + log|L_θ|² + r²(θ, β)/σ² − Σ log wᵢ,
 *   r²(θ, β) = r²(θ) + ‖R_X (β − β̂_θ)‖²   (Bates et al. 2015, eq. 3.13 before profiling β out),
 *
 * with ‖R_X(β − β̂_θ)‖² = (β − β̂_θ)ᵀ (σ̂²_θ Var(β̂_θ)⁻¹) (β − β̂_θ) on the model's β scale.
 */
import { ModelError } from '../errors/errors.js';
import { semidefiniteCholesky, spdInverse } from '../linalg/dense.js';
import { mapBeta, mapVcov } from '../model/fixedTransform.js';
import { thetaToInternal } from '../model/reparam.js';
import { solveLmm } from '../lmm/solution.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import { referenceOf } from './fitInference.js';

/** The parameters mitml's D3 pools: β, each random-effects term's covariance Τ_k (q_k × q_k rows) and σ². */
export interface LmmParameters {
  beta: number[];
  Tau: number[][][];
  sigma2: number;
}

/** D3's refusals, as mitml's: an offset; and ours: covariance structures, known covariances, a fixed σ. */
export function checkD3Fit(fit: LmmFit): void {
  const model = fit.model;
  if (model.frame.offset) throw new ModelError('testModels: method D3 cannot be used for a model with an offset (as mitml: "The \'D3\' method cannot be used for \'lmerMod\' objects fitted with an offset")');
  if (model.covariance) throw new ModelError('testModels: method D3 is for lme4\'s unstructured covariances; this model has covariance structures');
  if (model.known.some((k) => k)) throw new ModelError('testModels: method D3 is not available with known covariances (relmat)');
  if (fit.sigmaFixed) throw new ModelError('testModels: method D3 needs σ estimated (the fit fixes sigma)');
}

/** (β, Τ_k = σ² T_k T_kᵀ, σ²) of a fit, as mitml's .getArgsLL.lmerMod. */
export function lmmParameters(fit: LmmFit): LmmParameters {
  const s2 = fit.sigma * fit.sigma;
  const Tau: number[][][] = [];
  let o = 0;
  for (const t of fit.model.frame.reTerms) {
    const q = t.q;
    // T_k: lower triangular, θ column by column
    const T = Array.from({ length: q }, () => new Array<number>(q).fill(0));
    for (let j = 0; j < q; j++) for (let i = j; i < q; i++) T[i][j] = fit.theta[o++];
    Tau.push(Array.from({ length: q }, (_, i) => Array.from({ length: q }, (_, j) => {
      let s = 0;
      for (let l = 0; l < q; l++) s += T[i][l] * T[j][l];
      return s2 * s;
    })));
  }
  return { beta: Array.from(fit.beta), Tau, sigma2: s2 };
}

/** The ML log-likelihood of the fit's data at `par` (its model, its rows; REML or ML fit alike). */
export function lmmLogLikAt(fit: LmmFit, par: LmmParameters): number {
  checkD3Fit(fit);
  const model = fit.model;
  const { n, p } = model.frame;
  const sigma2 = par.sigma2;
  // θ_k = the lower Cholesky factor of Τ_k/σ², column by column (lme4's Cv from sd/cor and σ)
  const theta: number[] = [];
  model.frame.reTerms.forEach((t, k) => {
    const q = t.q;
    const S = new Float64Array(q * q);
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) S[i * q + j] = par.Tau[k][i][j] / sigma2;
    const L = semidefiniteCholesky(S, q, 'column');
    for (let j = 0; j < q; j++) for (let i = j; i < q; i++) theta.push(L[i * q + j]);
  });
  const chol = referenceOf(fit, 'the log-likelihood at the pooled parameters (D3)').chol;
  chol.factor(thetaToInternal(model, Float64Array.from(theta)));
  // β̂_θ and σ̂²_θ Var(β̂_θ)⁻¹ = R_XᵀR_X on the model's β scale
  const sol = solveLmm(chol, n, false);
  const betaHat = mapBeta(model.fixed, sol.beta);
  const V = mapVcov(model.fixed, sol.vcov);
  let quad = 0;
  if (p > 0) {
    const { inv } = spdInverse(V, p, 'Var(β̂) at the pooled θ');
    const d = par.beta.map((b, j) => b - betaHat[j]);
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) quad += d[i] * inv[i * p + j] * d[j];
    quad *= sol.sigma * sol.sigma;
  }
  const pwrss = chol.pwrss + quad;
  const dev = n * Math.log(2 * Math.PI * sigma2) + chol.ldL2 + pwrss / sigma2 - model.sumLogW;
  return -dev / 2;
}
