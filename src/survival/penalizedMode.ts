/**
 * The objective at fixed θ: the penalized partial likelihood's mode and coxme's Laplace approximation
 * of the integrated partial likelihood (IPL).
 *
 *   PPL(u, β) = PL(o + ZΛu + Xβ) − ½ uᵀu                                                   (1)
 *   maximized by Newton's method on c = (u, β) with step halving:
 *     g = ∇PL − (u, 0),   H = −∇²PL + diag(I_q, 0_p),   H δ = g,  c ← c + s δ                (2)
 *   log IPL(θ) ≈ PPL(û, β̂) − ½ log det(ΛᵀH_bbΛ + I) = PPL(û, β̂) − ½ log det H_uu            (3)
 * (3) is coxme's PPL − ½ (log det Σ + log det(H_bb + Σ⁻¹)) written in u (det Σ · det(H_bb + Σ⁻¹)
 * = det(ΛᵀH_bbΛ + I)), which stays defined at a θ on its bound (Λ singular). With u first in c, the
 * leading q × q block of H's Cholesky factor L is H_uu's: log det H_uu = 2 Σ_{j<q} log L_jj.
 * The Newton iteration stops after the step whose largest entry is below `tol`, with the derivatives
 * and H evaluated once more at that point (so (3) is at the mode, not one step before it).
 */
import { ModelError } from '../errors/errors.js';
import { NotPositiveDefiniteError, choleskyInPlace, solveLower, solveLowerT } from '../linalg/dense.js';
import { linearPredictor, penalizedDesign, randomEffects } from './design.js';
import type { CoxmeModel } from './model.js';
import { coxDerivatives, coxLogLik } from './partialLikelihood.js';
import type { RiskSchedule } from './riskSets.js';

export interface PenalizedMode {
  theta: Float64Array;
  /** c = (u, β) at the mode */
  c: Float64Array;
  u: Float64Array;
  beta: Float64Array;
  /** b = Λu */
  b: Float64Array;
  eta: Float64Array;
  /** PL at the mode (coxme's "Fitted" log-likelihood) */
  pl: number;
  /** PPL at the mode, (1) */
  ppl: number;
  /** log det H_uu */
  logdet: number;
  /** the Laplace IPL, (3) */
  ipl: number;
  /** H at the mode, (2), P × P row-major */
  hessian: Float64Array;
  /** Newton iterations */
  iterations: number;
  /** max |g| at the mode */
  maxGradient: number;
}

export interface PenalizedModeOptions {
  /** the starting c = (u, β) (default 0) */
  start?: ArrayLike<number>;
  /** stop after a step with max |δ| below this (default 1e-10) */
  tol?: number;
  /** the most Newton iterations (default 100) */
  maxIter?: number;
}

/** The mode of (1) at θ and the Laplace IPL (3). */
export function penalizedMode(model: CoxmeModel, schedule: RiskSchedule, theta: ArrayLike<number>, options: PenalizedModeOptions = {}): PenalizedMode {
  const { q, p } = model;
  const P = q + p;
  const tol = options.tol ?? 1e-10;
  const maxIter = options.maxIter ?? 100;
  const M = penalizedDesign(model, theta);
  const c = options.start ? Float64Array.from(options.start) : new Float64Array(P);
  const penalty = (x: ArrayLike<number>) => { let s = 0; for (let j = 0; j < q; j++) s += x[j] * x[j]; return 0.5 * s; };
  const pplAt = (x: Float64Array) => coxLogLik(linearPredictor(M, x, model.offset), schedule, model.ties) - penalty(x);
  let done = false;
  let it = 0;
  for (;;) {
    const eta = linearPredictor(M, c, model.offset);
    const D = coxDerivatives(eta, M, schedule, model.ties);
    const ppl = D.loglik - penalty(c);
    // (2): the penalized gradient and Hessian
    const g = D.gradient;
    const H = D.hessian;
    for (let j = 0; j < q; j++) { g[j] -= c[j]; H[j * P + j] += 1; }
    const L = Float64Array.from(H);
    try {
      choleskyInPlace(L, P, 'the penalized Hessian');
    } catch (e) {
      if (e instanceof NotPositiveDefiniteError) {
        const j = e.index - q;
        const what = j >= 0 ? `the fixed effect '${model.xnames[j]}'` : 'a random effect';
        throw new ModelError(`the penalized partial likelihood's Hessian is singular at ${what}: a covariate that is constant or collinear within the risk sets cannot be estimated in a Cox model`);
      }
      throw e;
    }
    let maxG = 0;
    for (let j = 0; j < P; j++) maxG = Math.max(maxG, Math.abs(g[j]));
    if (done || it >= maxIter) {
      let logdet = 0;
      for (let j = 0; j < q; j++) logdet += 2 * Math.log(L[j * P + j]);
      const u = c.slice(0, q);
      return {
        theta: Float64Array.from(theta), c: Float64Array.from(c), u, beta: c.slice(q), b: randomEffects(model, theta, u), eta,
        pl: D.loglik, ppl, logdet, ipl: ppl - 0.5 * logdet, hessian: H, iterations: it, maxGradient: maxG,
      };
    }
    // δ = H⁻¹g through L Lᵀ
    const delta = Float64Array.from(g);
    solveLower(L, P, delta);
    solveLowerT(L, P, delta);
    // step halving while PPL decreases
    let s = 1;
    const trial = new Float64Array(P);
    for (;;) {
      for (let j = 0; j < P; j++) trial[j] = c[j] + s * delta[j];
      const v = pplAt(trial);
      if (v >= ppl - 1e-12 * Math.abs(ppl) || s < 1e-8) break;
      s /= 2;
    }
    let maxStep = 0;
    for (let j = 0; j < P; j++) maxStep = Math.max(maxStep, Math.abs(s * delta[j]));
    c.set(trial);
    it++;
    if (maxStep < tol) done = true;
  }
}
