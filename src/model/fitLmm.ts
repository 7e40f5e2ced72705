/**
 * Fitting a linear mixed model, lme4's pipeline (lFormula → mkLmerDevfun → optimizeLmer → mkMerMod):
 *   parseFormula → buildModelFrame → buildRandomBlocks → formGram (backend) → makeObjective →
 *   optimize θ → solve at θ̂ in float64 → LmmFit.
 */
import type * as arrow from 'apache-arrow';
import { parseFormula } from '../formula/parse.js';
import type { Formula } from '../formula/types.js';
import { type ModelFrame, type ModelFrameOptions, buildModelFrame } from '../frame/modelFrame.js';
import { bobyqa } from '../optim/bobyqa.js';
import { CpuBackend } from '../backend/cpu/cpuBackend.js';
import { formGramCpu } from '../backend/cpu/gram.js';
import { type RandomBlock, type ThetaLayout, buildRandomBlocks } from './lambda.js';
import type { GramMatrix } from './gram.js';
import { type LmmBackend, makeObjective, profiledDeviance } from './objective.js';
import { conditionalVariances, solveLmm } from './solution.js';
import { LmmFit } from '../results/lmmFit.js';

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

export interface LmerOptions extends ModelFrameOptions {
  /** REML (default, as lme4) or maximum likelihood */
  REML?: boolean;
  /** which backend evaluates the objective (default 'cpu'; 'auto' picks WebGPU when available) */
  backend?: 'cpu';
  /** optimizer settings: initial and final trust-region radius, evaluation budget */
  optimizer?: { rhobeg?: number; rhoend?: number; maxfun?: number };
  /** called after each objective evaluation */
  onProgress?: (p: FitProgress) => void;
  /** aborts the fit (the optimizer stops and an AbortError is thrown) */
  signal?: AbortSignal;
  /** a label for the data in the summary (`Data: sleepstudy`) */
  dataName?: string;
}

/** The model structure shared by the objective and the results. */
export interface LmmModel {
  formula: Formula;
  frame: ModelFrame;
  blocks: RandomBlock[];
  theta: ThetaLayout;
  reml: boolean;
  /** the options the frame was built with (new data are read the same way) */
  frameOptions: ModelFrameOptions;
}

/** Stage: formula text + data → model (frame, random blocks, θ layout). */
export function buildLmm(formula: string | Formula, data: arrow.Table, options: LmerOptions = {}): LmmModel {
  const f = typeof formula === 'string' ? parseFormula(formula) : formula;
  if (f.random.length === 0) throw new Error(`no random-effects terms in '${f.text}': a mixed model needs at least one term such as (1 | group)`);
  const frame = buildModelFrame(f, data, options);
  const { blocks, theta } = buildRandomBlocks(frame.reTerms);
  return { formula: f, frame, blocks, theta, reml: options.REML ?? true, frameOptions: { factors: options.factors } };
}

/** The response minus the offset: the LMM's working response. */
export function workingResponse(frame: ModelFrame): Float64Array {
  if (!frame.offset) return frame.y;
  const y = new Float64Array(frame.n);
  for (let i = 0; i < frame.n; i++) y[i] = frame.y[i] - frame.offset[i];
  return y;
}

/** Stage: the Gram matrix on the CPU. */
export function formGram(model: LmmModel): GramMatrix {
  const { frame, blocks } = model;
  return formGramCpu({ n: frame.n, X: frame.X, p: frame.p, y: workingResponse(frame), blocks });
}

/** Fits a linear mixed model (lme4's `lmer`). */
export async function lmer(formula: string | Formula, data: arrow.Table, options: LmerOptions = {}): Promise<LmmFit> {
  const t0 = performance.now();
  const model = buildLmm(formula, data, options);
  const t1 = performance.now();
  const gram = formGram(model);
  const t2 = performance.now();
  const backend = new CpuBackend(gram, model.theta.length);
  return optimizeAndAssemble(model, backend, backend, { frameMs: t1 - t0, gramMs: t2 - t1 }, options, t0);
}

/**
 * Stage: optimize θ with `backend`'s objective, then assemble the fit from the float64 factor at θ̂.
 * `reference` is the float64 CPU backend; when `backend` is another one, its optimum is checked
 * against the float64 objective and polished there.
 */
export function optimizeAndAssemble(
  model: LmmModel, backend: LmmBackend, reference: CpuBackend,
  timings: Record<string, number>, options: LmerOptions, t0: number,
): LmmFit {
  const { frame, theta: layout, reml } = model;
  const { n, p } = frame;
  const objective = makeObjective(backend, n, p, reml);
  const messages = [...frame.messages];
  let best = Infinity;
  const tOpt = performance.now();
  const res = bobyqa(objective, layout.start, {
    lower: layout.lower,
    upper: new Float64Array(layout.length).fill(Infinity),
    rhobeg: options.optimizer?.rhobeg ?? 0.2,
    rhoend: options.optimizer?.rhoend ?? 2e-7,
    maxfun: options.optimizer?.maxfun ?? 10000,
    onEvaluation: (k, theta, f) => {
      if (f < best) best = f;
      options.onProgress?.({ feval: k, deviance: f, best, theta, elapsedMs: performance.now() - t0 });
    },
    shouldStop: () => options.signal?.aborted ?? false,
  });
  if (options.signal?.aborted) {
    const err = new Error('the fit was cancelled');
    err.name = 'AbortError';
    throw err;
  }
  const optMs = performance.now() - tOpt;
  if (!res.converged) messages.push(`optimizer did not converge: ${res.message}`);
  return assembleFit(model, reference, res.x, {
    feval: res.feval, converged: res.converged, optimizerMessage: res.message, messages,
    backend: { name: backend.name, device: backend.device, precision: backend.precision },
    timings: { ...timings, optimizeMs: optMs, perEvaluationMs: optMs / Math.max(1, res.feval) },
    dataName: options.dataName, t0,
  });
}

/** How the optimum was reached, for the fit's record. */
export interface FitRecord {
  feval: number;
  converged: boolean;
  optimizerMessage: string;
  messages: string[];
  backend: { name: string; device: string; precision: string };
  timings: Record<string, number>;
  dataName?: string;
  t0: number;
}

/**
 * Stage: the fit at θ (mkMerMod): the float64 factor at θ gives β̂, b̂, σ̂, Var(β̂) and the conditional
 * variances. With θ from the optimizer this is the fit; with a given θ it is the model at that θ.
 */
export function assembleFit(model: LmmModel, reference: CpuBackend, theta: Float64Array, record: FitRecord): LmmFit {
  const { frame, theta: layout, reml } = model;
  const { n, p } = frame;
  const tSol = performance.now();
  reference.chol.factor(theta);
  const parts = { ldL2: reference.chol.ldL2, ldRX2: reference.chol.ldRX2, pwrss: reference.chol.pwrss };
  if (!(parts.pwrss > 1e-12 * totalSumOfSquares(frame.y))) {
    throw new Error(`the penalized residual sum of squares is zero at θ = [${Array.from(theta, (t) => t.toPrecision(4)).join(', ')}]: the model fits the response '${frame.yname}' exactly, so σ and the variance components cannot be estimated`);
  }
  const dev = profiledDeviance(parts, n, p, reml);
  const sol = solveLmm(reference.chol, n, reml);
  const condVar = conditionalVariances(reference.chol, sol.sigma);
  // lme4's isSingular: a diagonal element of a relative covariance factor below 1e-4
  const singular = layout.lower.some((lo, k) => lo === 0 && theta[k] < 1e-4);
  const messages = [...record.messages];
  if (singular) messages.push("boundary (singular) fit: see help('isSingular')");
  const solveMs = performance.now() - tSol;
  return new LmmFit({
    model, theta: Float64Array.from(theta), deviance: dev, parts, solution: sol, condVar, feval: record.feval,
    converged: record.converged, optimizerMessage: record.optimizerMessage, singular, messages,
    backend: record.backend,
    timings: { ...record.timings, solveMs, totalMs: performance.now() - record.t0 },
    dataName: record.dataName,
  });
}

/** Σ (y − ȳ)², the scale against which a zero residual sum of squares is judged. */
function totalSumOfSquares(y: Float64Array): number {
  let mean = 0;
  for (let i = 0; i < y.length; i++) mean += y[i];
  mean /= y.length;
  let ss = 0;
  for (let i = 0; i < y.length; i++) ss += (y[i] - mean) * (y[i] - mean);
  return ss > 0 ? ss : 1;
}
