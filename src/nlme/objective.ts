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
import { NotPositiveDefiniteError, choleskyInPlace, solveLower, solveLowerT } from '../linalg/dense.js';
import { type ResidualCovariance, type RowScales, type RowsToWhiten, rowScales, whitenRows } from './whitening.js';

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

/**
 * The same at the internal θ (src/model/reparam.ts: the θ of the blocks' Z M), which the optimizer works in;
 * `scales`: g_i(ψ) where the caller has computed them for this evaluation (lmeObjective).
 */
export function evaluateLmeInternal(model: LmmModel, rc: ResidualCovariance, base: RowsToWhiten, thetaInt: Float64Array, psi: Float64Array, centre = false, scales?: RowScales): LmeEvaluation {
  const w = whitenRows(rc, psi, base, scales ?? rowScales(rc, psi));
  const y = centre ? leastSquaresResidual(w.X, w.y, model.rows.n, model.rows.p) : w.y;
  const rows: GramInput = { n: model.rows.n, X: w.X, p: model.rows.p, y, blocks: model.rows.blocks.map((b, k) => ({ ...b, Z: w.Z[k] })) };
  const chol = new BlockedCholesky(formGramCpu(rows), thetaInt.length, 'js');
  chol.factor(thetaInt);
  const parts = { ldL2: chol.ldL2, ldRX2: chol.ldRX2, pwrss: chol.pwrss };
  const criterion = profiledDeviance(parts, model.frame.n, model.frame.p, model.reml, 0) + w.logDetR;
  return { criterion, rows, chol, logDetR: w.logDetR };
}

/**
 * ỹ − X̃ b with b the whitened rows' least-squares coefficients, b = (X̃ᵀX̃)⁻¹ X̃ᵀỹ. The profiled
 * criterion is the same for any b (β̂ absorbs it: the rows' [X y] and [X y − X b] span one space), but
 * A's yᵀy is then the fixed-effects-only residual sum of squares instead of ỹᵀỹ, so that
 * pwrss = yᵀy − ‖the projections‖² loses fewer digits to cancellation where the weights span orders of
 * magnitude (Soybean's varPower() of fitted values near 0: the criterion's noise was 2e-10 relative,
 * and BOBYQA's optimum wandered with it). The rows are returned as they are where X̃ᵀX̃ is singular.
 */
function leastSquaresResidual(X: Float64Array, y: Float64Array, n: number, p: number): Float64Array {
  if (p === 0) return y;
  const XtX = new Float64Array(p * p);
  const b = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    const xj = X.subarray(j * n, (j + 1) * n);
    for (let k = 0; k <= j; k++) {
      const xk = X.subarray(k * n, (k + 1) * n);
      let acc = 0;
      for (let i = 0; i < n; i++) acc += xj[i] * xk[i];
      XtX[j * p + k] = XtX[k * p + j] = acc;
    }
    let acc = 0;
    for (let i = 0; i < n; i++) acc += xj[i] * y[i];
    b[j] = acc;
  }
  try {
    choleskyInPlace(XtX, p, 'X̃ᵀX̃');
  } catch (err) {
    if (err instanceof NotPositiveDefiniteError) return y;
    throw err;
  }
  solveLower(XtX, p, b);
  solveLowerT(XtX, p, b);
  const r = Float64Array.from(y);
  for (let j = 0; j < p; j++) {
    const xj = X.subarray(j * n, (j + 1) * n);
    const bj = b[j];
    for (let i = 0; i < n; i++) r[i] -= xj[i] * bj;
  }
  return r;
}

/**
 * The rows' typical SD at ψ relative to σ, c(ψ) = (Π g_i)^{1/n}, the geometric mean of the variance
 * function's g_i (1 without one; a correlation leaves each row's variance σ² g_i²). θ is relative to
 * σ, the SD of a row whose variance function is 1: a varPower of a covariate in the hundreds moves σ by
 * orders of magnitude as the power moves, and θ with it, a curved ridge along which BOBYQA crawls
 * (BodyWeight's varPower() with random slopes took 17,000 evaluations). The optimizer's coordinates are
 * θ relative to the typical row's SD σ c(ψ) instead, x_θ = s ⊙ θ_int / c(ψ): an exact change of
 * variables (c > 0), so the optimum is the same.
 */
export function residualScale(rc: ResidualCovariance, psi: Float64Array, scales?: RowScales): number {
  if (!rc.vf) return 1;
  const { g, logSum } = scales ?? rowScales(rc, psi);
  return Math.exp(logSum / g.length);
}

/** The optimizer's random-effects variables ↦ the internal θ (null where a Ψ is not positive definite). */
export interface ThetaMap {
  /** the number of variables (the first entries of x) */
  n: number;
  thetaInt(xTheta: ArrayLike<number>): Float64Array | null;
}

/** x_θ = s ⊙ θ_int, the internal θ scaled by its Z column's size (`scales`, src/lmm/thetaProblem.ts, as lmer's optimizer scales it). */
export function scaledThetaMap(scales: Float64Array): ThetaMap {
  return { n: scales.length, thetaInt: (xt) => Float64Array.from({ length: scales.length }, (_, k) => xt[k] / scales[k]) };
}

/**
 * The internal θ of the optimizer's x = (x_θ, ψ): the map's θ relative to the rows' typical SD, times
 * c(ψ)/c(ψ₀) (`residualScale`; c₀ = c(ψ₀) at the start ψ₀, so that x's start is the map's own).
 */
export function thetaIntOf(x: Float64Array, map: ThetaMap, rc: ResidualCovariance, c0: number, scales?: RowScales): Float64Array | null {
  const t = map.thetaInt(x.subarray(0, map.n));
  const c = residualScale(rc, x.subarray(map.n), scales) / c0;
  if (!t || !(c > 0 && Number.isFinite(c))) return null;
  for (let k = 0; k < t.length; k++) t[k] *= c;
  return t;
}

/**
 * x = (x_θ, ψ) ↦ criterion, for the optimizer: x_θ the map's variables (`scaledThetaMap`: the internal θ
 * scaled by its Z column's size, so that a slope's θ and an intercept's are of one size; or a pdMat
 * level's own parameters, src/nlme/pdMat.ts), relative to the residual covariance's scale (`thetaIntOf`).
 */
export function lmeObjective(model: LmmModel, rc: ResidualCovariance, map: ThetaMap | Float64Array, c0 = 1): (x: Float64Array) => number {
  const base = modelRows(model);
  const m = map instanceof Float64Array ? scaledThetaMap(map) : map;
  return (x) => {
    const psi = x.subarray(m.n);
    // g_i(ψ) once per evaluation: for c(ψ) (thetaIntOf) and for the whitening and log|V|
    const scales = rowScales(rc, psi);
    const thetaInt = thetaIntOf(x, m, rc, c0, scales);
    if (!thetaInt) return Infinity;
    const c = evaluateLmeInternal(model, rc, base, thetaInt, psi, true, scales).criterion;
    return Number.isFinite(c) ? c : Infinity;
  };
}
