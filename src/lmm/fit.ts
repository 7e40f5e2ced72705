/**
 * Fitting a linear mixed model once its model and backend are chosen (src/fit/lmer.ts chooses
 * them): the LMM's objective on the backend (deviance.ts) through the one fit driver
 * (src/model/fitObjective.ts: optimize → float64 check and polish → assemble), assembled from the
 * float64 reference's factor at θ̂ (assemble.ts).
 */
import { Evaluations } from '../model/control.js';
import { OPTIMIZER_NAMES, type OptimizerMethod } from '../optim/minimizers.js';
import { fitObjective, optimizerSettings } from '../model/fitObjective.js';
import { thetaToInternal, thetaToOriginal } from '../model/reparam.js';
import { type Derivatives, checkConv, derivsByDefault } from '../model/convergence.js';
import { isSingular } from '../model/lambda.js';
import { deriv12Diagonal } from '../optim/deriv12.js';
import type { Objective } from '../model/objective.js';
import { type AssembleOverride, type FitRecord, assembleFit } from './assemble.js';
import { type Float64Reference, type LmmBackend, lmmObjective } from './deviance.js';
import type { LmmFit } from './lmmFit.js';
import type { LmmModel } from './model.js';
import { type StartOption, checkStart } from '../model/start.js';
import { OptionError } from '../errors/errors.js';
import { structuredRefusal } from '../model/covStructure.js';
import { structuredChange } from './structured.js';

export interface FitProgress {
  /** objective evaluations so far */
  feval: number;
  /** the deviance (REML criterion) at the last evaluation */
  deviance: number;
  /** the best so far */
  best: number;
  theta: Float64Array;
  elapsedMs: number;
}

/** How the optimization runs and reports. */
export interface LmmFitOptions {
  /** optimizer settings: initial and final trust-region radius, evaluation budget */
  optimizer?: { rhobeg?: number; rhoend?: number; maxfun?: number; method?: OptimizerMethod };
  /** called after each objective evaluation */
  onProgress?: (p: FitProgress) => void;
  /** aborts the fit (the optimizer stops and an AbortError is thrown) */
  signal?: AbortSignal;
  /**
   * the longest stretch of computing, in ms, between turns for the event loop (default 50): timers,
   * an AbortSignal's timeout and a page's or worker's messages run during the fit
   */
  yieldEveryMs?: number;
  /** a label for the data in the summary (`Data: sleepstudy`) */
  dataName?: string;
  /**
   * lme4's calc.derivs: the criterion's finite-difference gradient and Hessian in θ at the optimum and
   * lme4's convergence checks on them (src/model/convergence.ts). Default: lme4's rule, fewer than
   * 10,000 observations and 10 variance parameters; a refit from a given start (fitFromStart): false.
   */
  calcDerivs?: boolean;
  /**
   * lme4's `start`: θ in lme4's order (getME(fit, 'theta')), or { theta }: the optimizer starts there
   * instead of lme4's start and the moment estimates (src/model/start.ts checks it)
   */
  start?: StartOption;
}

/**
 * A change of what an LMM fit minimizes (ARCHITECTURE.md: a new Objective, not a new fitter): a fixed
 * residual σ (another criterion), or a prior whose posterior mode is sought (blme: a penalty, a σ
 * profiled with the prior's terms, σ or β among the optimizer's variables). The default is lme4's
 * profiled criterion with x = θ_int.
 */
export interface LmmObjectiveChange {
  /** the objective on `backend`, with the float64 `reference` where they differ */
  objective(backend: LmmBackend, reference: Float64Reference): Objective;
  /** θ_int of the optimizer's variables x (default: x itself) */
  thetaOf?(x: Float64Array): Float64Array;
  /** how the fit at the optimum x differs from lme4's (σ, the reported criterion, β, the prior's record) */
  atOptimum?(x: Float64Array, reference: Float64Reference): AssembleOverride;
}

/**
 * lmer's optimizer settings: lme4's initial radius (in θ scaled by its Z column's size), our final
 * radius, and lme4's nloptwrap evaluation budget (1e5): models with many variance parameters need it
 * (y ~ x + (f | g) with an 11-level f, 66 θ: about 16,000 evaluations)
 */
export const LMM_OPTIMIZER = { rhobeg: 0.2, rhoend: 2e-7, maxfun: 100_000 };

/**
 * The model fitted again on the float64 `reference` from θ_int `start` alone (no moment start), with
 * `change`'s objective and result where given: a refit from a point found elsewhere (a profile's
 * lower deviance, a meta-analysis's second start).
 */
export function fitFromStart(
  model: LmmModel, reference: LmmBackend & Float64Reference, start: Float64Array, options: LmmFitOptions = {}, change?: LmmObjectiveChange,
): Promise<LmmFit> {
  const refusal = structuredRefusal(model.covariance, 'a refit from a given θ', 'its optimizer works in the structure\'s parameters');
  if (refusal) throw refusal;
  return optimizeAndAssemble(model, reference, reference, {}, { calcDerivs: false, ...options, start: undefined }, performance.now(), [], {
    ...change,
    objective: (backend, ref) => ({ ...(change ? change.objective(backend, ref) : lmmObjective(model, backend, ref)), start, startCandidates: undefined }),
  });
}

/**
 * Stage: optimize θ with `backend`'s objective, then assemble the fit from the float64 factor at θ̂.
 * `reference` is the float64 backend; when `backend` is another one, its optimum is checked against
 * the float64 objective and polished there, and the fit records the objective's error at its optimum.
 */
export async function optimizeAndAssemble(
  model: LmmModel, backend: LmmBackend, reference: Float64Reference,
  timings: Record<string, number>, options: LmmFitOptions, t0: number, notes: string[] = [], change?: LmmObjectiveChange,
): Promise<LmmFit> {
  const messages = [...model.frame.messages, ...notes];
  // a model with covariance structures is optimized in their parameters (src/lmm/structured.ts), whoever refits it
  if (!change && model.covariance) change = structuredChange(model);
  const evaluations = new Evaluations(options);
  let best = Infinity;
  // the optimizer and the backends work with the internal θ (src/model/reparam.ts); progress shows lme4's θ
  const thetaOf = change?.thetaOf ?? ((x: Float64Array) => x);
  const report = (x: Float64Array, f: number) => {
    if (f < best) best = f;
    if (options.onProgress) options.onProgress({ feval: evaluations.count, deviance: f, best, theta: thetaToOriginal(model, thetaOf(x)), elapsedMs: performance.now() - t0 });
  };
  const objective = withStart(model, change ? change.objective(backend, reference) : lmmObjective(model, backend, reference), options.start, change);
  return fitObjective(objective, optimizerSettings(options.optimizer, LMM_OPTIMIZER), evaluations, async (opt) => {
    timings.optimizeMs = opt.optimizeMs;
    timings.perEvaluationMs = opt.optimizeMs / Math.max(1, opt.optimizerFeval);
    if (opt.gpu) timings.polishMs = opt.polishMs;
    // a device's evaluations split into its waits and the host's work (ms per evaluation)
    const split = backend.evaluationSplit?.();
    if (split) {
      Object.assign(timings, { gpuEvalMs: split.totalMs, gpuEvalWaitMs: split.waitMs, gpuEvalHostMs: split.hostMs });
      if (split.denseUploadMs !== undefined) timings.gpuDenseUploadMs = split.denseUploadMs;
    }
    messages.push(...opt.messages);
    if (!opt.converged) messages.push(`optimizer did not converge: ${opt.message}`);
    // lme4's derivatives and convergence checks at θ̂ (not for a change whose x is more than θ)
    const theta = thetaToOriginal(model, thetaOf(opt.x));
    const wanted = !change?.thetaOf && (options.calcDerivs ?? derivsByDefault(model.frame.n, theta.length, false)) && !isSingular(model.theta, theta);
    const tD = performance.now();
    const derivs = wanted ? await thetaDerivatives(model, objective.f64 ?? objective.evaluate, theta) : null;
    const convergence = derivs ? checkConv(derivs) : null;
    if (derivs) timings.derivsMs = performance.now() - tD;
    if (convergence) messages.push(...convergence.messages);
    const record: FitRecord = {
      feval: opt.feval, converged: opt.converged, optimizerMessage: opt.message, optimizer: OPTIMIZER_NAMES[options.optimizer?.method ?? 'bobyqa'], messages,
      backend: opt.backend, timings, dataName: options.dataName, t0, gpu: opt.gpu, derivs, convergence,
    };
    return assembleFit(model, reference, theta, record, change?.atOptimum?.(opt.x, reference));
  }, report);
}

/**
 * The objective started at the user's θ (lme4's `start`): x₀ = θ_int(θ_start) (src/model/reparam.ts)
 * in place of lme4's start, and no moment-estimate candidates (lme4 starts from the given θ only).
 * Refused for a change whose optimizer variables are more than θ (a prior with σ or β among them).
 */
export function withStart(model: LmmModel, objective: Objective, start: StartOption | undefined, change?: LmmObjectiveChange): Objective {
  if (start === undefined) return objective;
  const { theta } = checkStart(start, model.theta, model.frame.xnames, 'lmer');
  if (theta === null) return objective;
  if (change?.thetaOf) throw new OptionError('start', 'lmer: start is not available with this prior: its optimizer variables include σ or β besides θ');
  return { ...objective, start: thetaToInternal(model, theta), startCandidates: undefined };
}

/**
 * lme4's derivs of an LMM: the central-difference gradient and Hessian (δ = 1e-4, no bounds: lme4's
 * optwrap) of the criterion f (of θ_int, float64) in lme4's θ, at θ̂: f(θ) = f(θ_int(θ)), the map
 * through Σ = ΛΛᵀ (src/model/reparam.ts), so a step across a diagonal's 0 is the same Σ as lme4's.
 * deriv12's gradient from its own points, its Hessian to the same O(δ²) from the pair stencil
 * (deriv12Diagonal: k² + k evaluations instead of 2k², 56 instead of 98 for k = 7).
 */
export async function thetaDerivatives(model: LmmModel, f: (x: Float64Array) => number | Promise<number>, theta: Float64Array): Promise<Derivatives> {
  const at = (t: Float64Array) => f(thetaToInternal(model, t));
  return deriv12Diagonal(at, theta, await at(theta), new Float64Array(theta.length).fill(-Infinity));
}
