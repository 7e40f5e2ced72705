/**
 * Fitting a cumulative link mixed model (ordinal's clmm): the stages
 *   buildClmmModel (model.ts) → the objective (laplace.ts, or agq.ts for nAGQ > 1) → BOBYQA over
 *   (α, β, ψ) jointly (src/optim/bobyqa.ts; clmm uses nlminb) → the Hessian of the objective by
 *   central differences (src/optim/deriv12.ts, clmm's deriv12 with δ = 1e-4) and one Newton step
 *   from it where that lowers the objective → the fit (clmmFit.ts).
 * Starting values: the thresholds from the marginal cumulative proportions, Θ_j = F⁻¹(P(Y ≤ j)),
 * β = 0, SD 1 (ψ = 0 for one random intercept; θ = 1 on the template's diagonal, 0 off it).
 */
import type * as arrow from 'apache-arrow';
import { ModelError, OptionError } from '../errors/errors.js';
import type { Formula } from '../formula/types.js';
import { ghRule } from '../glmm/rmath.js';
import type { LaplaceFitOptions, LaplaceFitProgress } from '../glmm/rowLaplace.js';
import { spdInverse } from '../linalg/dense.js';
import { Evaluations, throwIfAborted } from '../model/control.js';
import { rowPassesReady } from '../linalg/rowChunks.js';
import { SINGULAR_MESSAGE } from '../model/lambda.js';
import { bobyqaAsync } from '../optim/bobyqa.js';
import { deriv12 } from '../optim/deriv12.js';
import { agqObjective } from './agq.js';
import { ClmmFit } from './clmmFit.js';
import { ClmmLaplace } from './laplace.js';
import { type ClmmModel, type ClmmModelOptions, buildClmmModel } from './model.js';
import { alphaFromThresholds } from './thresholds.js';

/** What the fit reports after each evaluation (src/glmm/rowLaplace.ts). */
export type ClmmProgress = LaplaceFitProgress;

export interface ClmmFitOptions extends LaplaceFitOptions {
  /** 1 (default): the Laplace approximation; 2 … 25: adaptive Gauss–Hermite quadrature with that many nodes (one scalar random-effects term) */
  nAGQ?: number;
}

export interface ClmmOptions extends ClmmModelOptions, ClmmFitOptions {}

/** parameters whose θ is below this are on the boundary and left out of the Hessian (clmm's paratBoundary2) */
const BOUNDARY_TOL = 1e-3;

/** The starting point (α, β, ψ). */
export function clmmStart(model: ClmmModel): Float64Array {
  const { n, y, levels, link, thresholds, weights } = model;
  const counts = new Float64Array(levels.length);
  for (let i = 0; i < n; i++) counts[y[i]] += weights[i];
  const Theta = new Float64Array(levels.length - 1);
  let cum = 0;
  for (let j = 0; j < Theta.length; j++) { cum += counts[j]; Theta[j] = link.quantile(cum / model.nobs); }
  const x = new Float64Array(model.nAlpha + model.p + model.nPsi);
  x.set(alphaFromThresholds(thresholds, Theta));
  if (!model.ssr) model.psiDiagonal.forEach((d, k) => { x[model.nAlpha + model.p + k] = d ? 1 : 0; });
  return x;
}

/** The objective −log L at x = (α, β, ψ) and the state behind it. */
export function clmmObjective(model: ClmmModel, nAGQ: number): { lap: ClmmLaplace; f: (x: ArrayLike<number>) => number } {
  const lap = new ClmmLaplace(model);
  if (nAGQ > 1) {
    const rule = ghRule(nAGQ);
    return { lap, f: (x) => agqObjective(lap, x, rule) };
  }
  return { lap, f: (x) => lap.evaluate(x) };
}

/** Fits a cumulative link mixed model (ordinal's `clmm`) to an Arrow table. */
export async function fitClmm(formula: string | Formula, data: arrow.Table, options: ClmmOptions = {}): Promise<ClmmFit> {
  const t0 = performance.now();
  throwIfAborted(options.signal);
  if (options.backend === 'webgpu') throw new OptionError('backend', "clmm runs on the CPU only (backend 'cpu'): the WebGPU backend has no cumulative link model");
  const nAGQ = options.nAGQ ?? 1;
  // the frame's passes on the row threads (src/linalg/rowChunks.ts): their helpers started first, as lmer's
  await rowPassesReady(data.numRows);
  const model = buildClmmModel(formula, data, options);
  // (ordinal offers quadrature on its ssr path only, (1 | g); the quadrature here holds for any one scalar term)
  if (nAGQ > 1 && !(model.frame.reTerms.length === 1 && model.frame.reTerms[0].q === 1)) {
    throw new ModelError(`nAGQ > 1 (adaptive Gauss–Hermite quadrature) is only available for one scalar random-effects term (this model has ${model.frame.reTerms.map((t) => t.text).join(' + ')}); use the Laplace approximation, nAGQ = 1`);
  }
  const { lap, f } = clmmObjective(model, nAGQ);
  const nx = model.nAlpha + model.p + model.nPsi;
  const lower = new Float64Array(nx).fill(-Infinity);
  if (!model.ssr) model.psiDiagonal.forEach((d, k) => { if (d) lower[model.nAlpha + model.p + k] = 0; });
  const upper = new Float64Array(nx).fill(Infinity);
  // the evaluations counted, with a turn for the event loop every 50 ms (timers, an abort)
  const evals = new Evaluations({ signal: options.signal });
  let best = Infinity;
  const objective = async (x: Float64Array) => {
    evals.count++;
    await evals.pause();
    const v = f(x);
    if (options.onProgress) {
      if (v < best) best = v;
      options.onProgress({ feval: evals.count, objective: v, best, elapsedMs: performance.now() - t0 });
    }
    return v;
  };
  let x0 = clmmStart(model);
  let f0 = await objective(x0);
  if (!Number.isFinite(f0)) {
    // SD 1 may leave ΛᵀZᵀWZΛ + I indefinite where rows have negative curvature (the cauchit link's
    // tails): start again from SD 0.1
    const x1 = Float64Array.from(x0);
    if (model.ssr) x1[nx - 1] = Math.log(0.1);
    else model.psiDiagonal.forEach((d, k) => { if (d) x1[model.nAlpha + model.p + k] = 0.1; });
    const f1 = await objective(x1);
    if (Number.isFinite(f1)) { x0 = x1; f0 = f1; }
  }
  if (!Number.isFinite(f0)) throw new ModelError('the likelihood is not finite at the starting values (a category with probability 0, or a negative curvature of the cauchit link)');
  const settings = { lower, upper, rhobeg: 0.5, rhoend: 1e-8, maxfun: options.maxfun ?? 10000 };
  const opt = await bobyqaAsync(objective, x0, settings);
  let x = Float64Array.from(opt.x);
  let fx = opt.fval;
  // a diagonal entry of a template on its bound (a boundary fit) may be a poor optimum that the
  // optimizer walked into (soup's (1 + PROD | RESP) with the probit link: SD 0 at logLik −2667.08
  // where ordinal's nlminb finds −2663.38): restart from the entry at 0.5 and keep the lower
  for (let round = 0; round < 3; round++) {
    const atBound = Array.from({ length: nx }, (_, k) => k).filter((k) => lower[k] === 0 && x[k] < BOUNDARY_TOL);
    if (atBound.length === 0) break;
    const x1 = Float64Array.from(x);
    for (const k of atBound) x1[k] = 0.5;
    const again = await bobyqaAsync(objective, x1, { ...settings, rhobeg: 0.1 });
    if (!(again.fval < fx - 1e-8)) break;
    x = Float64Array.from(again.x);
    fx = again.fval;
  }
  // the Hessian on the parameters off the boundary (clmm's Hess = TRUE), and one Newton step from it
  const hessianAt = async (at: Float64Array, fat: number) => {
    const free = Array.from({ length: nx }, (_, k) => k).filter((k) => !(lower[k] === 0 && at[k] < BOUNDARY_TOL));
    const sub = async (z: Float64Array) => {
      const full = Float64Array.from(at);
      free.forEach((k, j) => { full[k] = z[j]; });
      return objective(full);
    };
    const d = await deriv12(sub, Float64Array.from(free.map((k) => at[k])), fat, new Float64Array(free.length).fill(-Infinity));
    return { free, ...d };
  };
  let H = await hessianAt(x, fx);
  try {
    const { inv } = spdInverse(H.hessian, H.free.length, 'the Hessian');
    const xn = Float64Array.from(x);
    H.free.forEach((k, j) => {
      let s = 0;
      for (let l = 0; l < H.free.length; l++) s += inv[j * H.free.length + l] * H.gradient[l];
      xn[k] = Math.max(lower[k], x[k] - s);
    });
    const fn = await objective(xn);
    if (fn < fx) {
      x = xn;
      fx = fn;
      H = await hessianAt(x, fx);
    }
  } catch {
    // a Hessian that is not positive definite: no Newton step (the fit reports its condition)
  }
  // the state at the optimum (modes, weights, L)
  const fFinal = f(x);
  const messages = [...model.messages];
  if (!opt.converged) messages.push(`optimizer (BOBYQA) did not converge: ${opt.message}`);
  // a template's diagonal entry below clmm's boundary tolerance (paratBoundary2's 1e-3; lme4's isSingular
  // takes 1e-4, which the log-SD parametrization of one scalar term approaches slowly: wine's (1 | bottle)
  // stops at SD 1.7e-4). clmm itself says nothing; its vcov then often fails, as there.
  if (model.theta.lower.some((lo, k) => lo === 0 && lap.theta[k] < BOUNDARY_TOL)) messages.push(`${SINGULAR_MESSAGE}: a random-effects SD is estimated at (nearly) 0`);
  if (lap.notConverged > 0) messages.push(`the inner Newton iteration for the random effects reached its limit in ${lap.notConverged} of ${evals.count} evaluations`);
  return new ClmmFit(model, lap, {
    x, objective: fFinal, nAGQ, hessian: H.hessian, gradient: H.gradient, free: H.free,
    evaluations: evals.count, iterations: lap.iterations, converged: opt.converged, messages, dataName: options.dataName, elapsedMs: performance.now() - t0,
  });
}
