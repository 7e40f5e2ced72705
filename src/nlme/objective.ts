/**
 * lme's criterion: the profiled LMM criterion (src/lmm/deviance.ts, Bates et al. 2015) of the
 * whitened rows [Z X y] plus log|R| of the residual covariance (whitening.ts):
 *   ML:   −2ℓ(θ, ψ)   = log|L_θ|² + n (1 + log(2π r²/n)) + log|R(ψ)|
 *   REML: −2ℓ_R(θ, ψ) = log|L_θ|² + log|R_X|² + (n − p)(1 + log(2π r²/(n − p))) + log|R(ψ)|
 * with A = [Z X y]ᵀ R⁻¹ [Z X y] formed by the CPU backend's Gram pass from the whitened rows. The
 * correlation groups are nested in the random-effects groups, so a whitened row keeps its level.
 */
import { formGramCpu } from '../backend/cpu/gram.js';
import { BlockedCholesky } from '../linalg/blockedCholesky.js';
import type { GramInput } from '../linalg/gram.js';
import { profiledDeviance } from '../lmm/deviance.js';
import type { LmmModel } from '../lmm/model.js';
import { thetaToInternal } from '../model/reparam.js';
import { type ResidualCovariance, type RowsToWhiten, whitenRows } from './whitening.js';

export interface LmeEvaluation {
  criterion: number;
  /** the whitened rows' Gram input and factor at θ (the fit's results are assembled from them) */
  rows: GramInput;
  chol: BlockedCholesky;
  logDetR: number;
}

/** The unwhitened rows of the model's Gram matrix: the centred X, y − X_c β₀ and Z M (src/lmm/model.ts). */
export function modelRows(model: LmmModel): RowsToWhiten {
  return { X: model.rows.X, p: model.rows.p, y: model.rows.y, Z: model.rows.blocks.map((b) => ({ Z: b.Z, q: b.q })) };
}

/** Stage: (θ in lme4's parametrization, ψ) ↦ lme's criterion, with the factor it came from. */
export function evaluateLme(model: LmmModel, rc: ResidualCovariance, base: RowsToWhiten, theta: Float64Array, psi: Float64Array): LmeEvaluation {
  return evaluateLmeInternal(model, rc, base, thetaToInternal(model, theta), psi);
}

/** The same at the internal θ (src/model/reparam.ts: the θ of the blocks' Z M), which the optimizer works in. */
export function evaluateLmeInternal(model: LmmModel, rc: ResidualCovariance, base: RowsToWhiten, thetaInt: Float64Array, psi: Float64Array): LmeEvaluation {
  const w = whitenRows(rc, psi, base);
  const rows: GramInput = { n: model.rows.n, X: w.X, p: model.rows.p, y: w.y, blocks: model.rows.blocks.map((b, k) => ({ ...b, Z: w.Z[k] })) };
  const chol = new BlockedCholesky(formGramCpu(rows), thetaInt.length, 'js');
  chol.factor(thetaInt);
  const parts = { ldL2: chol.ldL2, ldRX2: chol.ldRX2, pwrss: chol.pwrss };
  const criterion = profiledDeviance(parts, model.frame.n, model.frame.p, model.reml, 0) + w.logDetR;
  return { criterion, rows, chol, logDetR: w.logDetR };
}

/**
 * x = (s ⊙ θ_int, ψ) ↦ criterion, for the optimizer: the internal θ scaled by its Z column's size
 * (`scales`, src/lmm/thetaProblem.ts, as lmer's optimizer scales it), so that a slope's θ and an
 * intercept's are of one size.
 */
export function lmeObjective(model: LmmModel, rc: ResidualCovariance, scales: Float64Array): (x: Float64Array) => number {
  const base = modelRows(model);
  const nt = model.theta.length;
  return (x) => {
    const thetaInt = new Float64Array(nt);
    for (let k = 0; k < nt; k++) thetaInt[k] = x[k] / scales[k];
    const c = evaluateLmeInternal(model, rc, base, thetaInt, x.subarray(nt)).criterion;
    return Number.isFinite(c) ? c : Infinity;
  };
}
