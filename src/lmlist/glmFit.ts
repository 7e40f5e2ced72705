/**
 * One generalized linear model by iteratively reweighted least squares, as R's glm.fit (R 4.2):
 * from the family's μ start (family$initialize's mustart), each iteration
 *   z = η − offset + (y − μ)/(dμ/dη),  w = √(wt (dμ/dη)² / V(μ)),
 *   β = the least-squares fit of w z on w X (leastSquares.ts, R's Cdqrls with tol min(1e-7, ε/1000)),
 *   η = X β + offset, μ = g⁻¹(η), dev = Σ wt d(y, μ),
 * stopping when |dev − dev_old| / (|dev| + 0.1) < ε = 1e-8, or after 25 iterations (R's
 * glm.control); a non-finite deviance halves the step towards the previous β (glm.fit's inner loop).
 * The SEs are those of the last weighted fit (summary.glm's cov.unscaled from the last QR, at the
 * weights of the iteration that converged), with the dispersion 1 (binomial, Poisson).
 * The result has leastSquares's shape: `fitted` μ̂, `residuals` the deviance residuals (what lmList's
 * residuals() takes from a glm: resid(glm)), `rss` their sum of squares (the deviance); glm's
 * `linear.predictors` η̂ (`eta`) and its working `weights` w² (`workingWeights`: of the last iteration's
 * start, as glm.fit returns them, 0 off its good rows).
 */
import { ModelError } from '../errors/errors.js';
import type { GlmFamily } from '../glmm/family.js';
import type { DesignMatrix } from '../frame/modelMatrix.js';
import { type LeastSquaresFit, leastSquares } from './leastSquares.js';

/** glm.control's defaults */
const EPSILON = 1e-8;
const MAXIT = 25;

export interface GlmFit extends LeastSquaresFit {
  /** the deviance Σ wt d(y, μ̂) */
  deviance: number;
  /** IRLS iterations (glm's iter) */
  iter: number;
  converged: boolean;
  /** glm.fit's warnings (did not converge, fitted probabilities 0 or 1, fitted rates 0) */
  warnings: string[];
  /** the linear predictor η̂ = X β̂ + offset (glm's linear.predictors) */
  eta: Float64Array;
  /** glm's weights: wt (dμ/dη)²/V(μ) at the last iteration's start (0 on rows it left out) */
  workingWeights: Float64Array;
}

/** glm.fit(X, y, weights = wt, family, offset): see the file's comment. */
export function glmFit(X: DesignMatrix, y: Float64Array, wt: Float64Array, family: GlmFamily, offset: Float64Array | null = null): GlmFit {
  const n = y.length;
  const p = X.columns.length;
  const deviance = (mu: Float64Array) => {
    let d = 0;
    for (let i = 0; i < n; i++) d += family.devResid(y[i], mu[i], wt[i]);
    return d;
  };
  // η = X β + offset (aliased coefficients, NaN in the fit, count as 0: Cdqrls's coefficients beyond the rank)
  const linear = (beta: Float64Array) => {
    const eta = offset ? Float64Array.from(offset) : new Float64Array(n);
    X.columns.forEach((col, j) => { const b = Number.isNaN(beta[j]) ? 0 : beta[j]; if (b !== 0) for (let i = 0; i < n; i++) eta[i] += col[i] * b; });
    return eta;
  };
  // the start: μ = mustart, η = g(μ) (glm.fit's start ignores the offset)
  let mu = Float64Array.from(y, (v, i) => family.mustart(v, wt[i]));
  let eta = mu.map((m) => family.linkfun(m));
  mu = eta.map((e) => family.linkinv(e));
  let devold = deviance(mu);
  let dev = devold;
  let coefold: Float64Array | null = null;
  let fit: LeastSquaresFit | null = null;
  let beta: Float64Array = new Float64Array(p);
  let iter = 0;
  let converged = false;
  let workingWeights = new Float64Array(n);
  for (iter = 1; iter <= MAXIT; iter++) {
    // the working response and weights, on the rows with a positive weight and dμ/dη ≠ 0 (glm.fit's good)
    const good: number[] = [];
    const z: number[] = [];
    const w: number[] = [];
    for (let i = 0; i < n; i++) {
      const me = family.muEta(eta[i]);
      if (!(wt[i] > 0) || me === 0) continue;
      good.push(i);
      z.push(eta[i] - (offset ? offset[i] : 0) + (y[i] - mu[i]) / me);
      w.push(Math.sqrt((wt[i] * me * me) / family.variance(mu[i])));
    }
    workingWeights = new Float64Array(n);
    good.forEach((i, k) => { workingWeights[i] = w[k] * w[k]; });
    const m = good.length;
    const Xw: DesignMatrix = { names: X.names, columns: X.columns.map((col) => Float64Array.from(good, (i, k) => col[i] * w[k])) };
    const zw = Float64Array.from(z, (v, k) => v * w[k]);
    // Cdqrls(x * w, z * w, min(1e-7, ε/1000))
    fit = leastSquares(Xw, zw, Math.min(1e-7, EPSILON / 1000));
    let start = fit.beta;
    eta = linear(start);
    mu = eta.map((e) => family.linkinv(e));
    dev = deviance(mu);
    // glm.fit's inner loop: a non-finite deviance halves the step
    for (let ii = 1; !Number.isFinite(dev); ii++) {
      if (coefold === null) throw new ModelError('no valid set of coefficients has been found: please supply starting values');
      if (ii > MAXIT) throw new ModelError('inner loop 1; cannot correct step size');
      const prev: Float64Array = coefold;
      start = start.map((b, j) => (b + prev[j]) / 2);
      eta = linear(start);
      mu = eta.map((e) => family.linkinv(e));
      dev = deviance(mu);
    }
    beta = start;
    if (m === 0) break;
    if (Math.abs(dev - devold) / (Math.abs(dev) + 0.1) < EPSILON) {
      converged = true;
      break;
    }
    devold = dev;
    coefold = start;
  }
  if (iter > MAXIT) iter = MAXIT;
  const warnings: string[] = [];
  if (!converged) warnings.push('glm.fit: algorithm did not converge');
  const eps = 10 * Number.EPSILON;
  if (family.family === 'binomial' && mu.some((v) => v > 1 - eps || v < eps)) warnings.push('glm.fit: fitted probabilities numerically 0 or 1 occurred');
  if (family.family === 'poisson' && mu.some((v) => v < eps)) warnings.push('glm.fit: fitted rates numerically 0 occurred');
  // the deviance residuals sign(y − μ) √(wt d(y, μ))
  const residuals = Float64Array.from(y, (v, i) => Math.sign(v - mu[i]) * Math.sqrt(Math.max(0, family.devResid(v, mu[i], wt[i]))));
  let nOk = 0;
  for (let i = 0; i < n; i++) if (wt[i] !== 0) nOk++;
  const last = fit!;
  return {
    names: X.names.slice(), beta, aliased: last.aliased, rank: last.rank, covUnscaledDiag: last.covUnscaledDiag,
    fitted: mu, residuals, rss: dev, dfResidual: nOk - last.rank,
    deviance: dev, iter, converged, warnings, eta, workingWeights,
  };
}
