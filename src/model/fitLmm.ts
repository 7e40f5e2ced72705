/**
 * Fitting a linear mixed model, lme4's pipeline (lFormula → mkLmerDevfun → optimizeLmer → mkMerMod):
 *   parseFormula → buildModelFrame → buildRandomBlocks → formGram (backend) → makeObjective →
 *   optimize θ → solve at θ̂ in float64 → LmmFit.
 */
import type * as arrow from 'apache-arrow';
import { parseFormula } from '../formula/parse.js';
import type { Formula } from '../formula/types.js';
import { type ModelFrame, type ModelFrameOptions, buildModelFrame } from '../frame/modelFrame.js';
import { optimizeTheta } from '../optim/thetaOptimizer.js';
import { lmmThetaProblem } from '../optim/lmmTheta.js';
import { CpuBackend } from '../backend/cpu/cpuBackend.js';
import { formGramCpu } from '../backend/cpu/gram.js';
import {
  type RandomBlock, type ThetaLayout, buildRandomBlocks, thetaToInternal, thetaToOriginal, uncentreCovariances, uncentreModes,
} from './lambda.js';
import type { GramMatrix } from './gram.js';
import { type LmmBackend, makeAsyncObjective, makeObjective, profiledDeviance } from './objective.js';
import { conditionalVariances, solveLmm } from './solution.js';
import { type FixedTransform, fixedTransform, mapBeta, mapVcov } from './fixedTransform.js';
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
  /** which backend evaluates the objective (default 'cpu'; 'auto' picks WebGPU when an adapter is found) */
  backend?: 'cpu' | 'webgpu' | 'auto';
  /** a GPUDevice from the host application for the WebGPU backend */
  device?: GPUDevice;
  /**
   * WebGPU backend: factor crossed factors' dense blocks on the GPU too (default: on hardware GPUs;
   * on software adapters such as SwiftShader the CPU's float64 SIMD kernels are faster)
   */
  denseOnGpu?: boolean;
  /** optimizer settings: initial and final trust-region radius (in θ scaled by its Z column's size), evaluation budget (default 100,000) */
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
  /**
   * centred X and y − Xβ₀ that the backends form the Gram matrix from (see fixedTransform.ts); with
   * prior weights, their rows (and those of the blocks' Zc) are scaled by √w_i
   */
  fixed: FixedTransform;
  /** Σ log w_i of the prior weights (0 without weights): the criteria gain −Σ log w_i */
  sumLogW: number;
}

/** Stage: formula text + data → model (frame, random blocks, θ layout). */
export function buildLmm(formula: string | Formula, data: arrow.Table, options: LmerOptions = {}): LmmModel {
  const f = typeof formula === 'string' ? parseFormula(formula) : formula;
  if (f.random.length === 0) throw new Error(`no random-effects terms in '${f.text}': a mixed model needs at least one term such as (1 | group)`);
  const frame = buildModelFrame(f, data, options);
  const { blocks, theta } = buildRandomBlocks(frame.reTerms);
  const fixed = fixedTransform(frame);
  const sumLogW = frame.weights ? applyPriorWeights(frame.weights, fixed, blocks) : 0;
  return {
    formula: f, frame, blocks, theta, reml: options.REML ?? true, frameOptions: { factors: options.factors },
    fixed, sumLogW,
  };
}

/**
 * Prior weights (lme4's weighted LMM): the rows of X_c, y_c and each block's Z_c scaled by √w_i, so
 * that either backend forms the weighted Gram matrix [Z X y]ᵀ W [Z X y]. The transform's β₀ and
 * centring stay valid (any β₀ and any unit-triangular C are). Each block's Zc is replaced by a new
 * array (it may be the block's Z, which the fitted values read unweighted). Returns Σ log w_i.
 */
function applyPriorWeights(w: Float64Array, fixed: FixedTransform, blocks: RandomBlock[]): number {
  const n = w.length;
  const sw = Float64Array.from(w, Math.sqrt);
  let sumLogW = 0;
  for (let i = 0; i < n; i++) sumLogW += Math.log(w[i]);
  const p = fixed.Xc.length / n;
  for (let j = 0; j < p; j++) for (let i = 0; i < n; i++) fixed.Xc[j * n + i] *= sw[i];
  for (let i = 0; i < n; i++) fixed.yc[i] *= sw[i];
  for (const blk of blocks) {
    const q = blk.q;
    const Zw = new Float64Array(n * q);
    for (let i = 0; i < n; i++) for (let s = 0; s < q; s++) Zw[i * q + s] = blk.Zc[i * q + s] * sw[i];
    blk.Zc = Zw;
  }
  return sumLogW;
}

/** The response minus the offset: the LMM's working response. */
export function workingResponse(frame: ModelFrame): Float64Array {
  if (!frame.offset) return frame.y;
  const y = new Float64Array(frame.n);
  for (let i = 0; i < frame.n; i++) y[i] = frame.y[i] - frame.offset[i];
  return y;
}

/** Stage: the Gram matrix on the CPU, of the centred X and y − Xβ₀ (fixedTransform.ts). */
export function formGram(model: LmmModel): GramMatrix {
  const { frame, blocks, fixed } = model;
  return formGramCpu({ n: frame.n, X: fixed.Xc, p: frame.p, y: fixed.yc, blocks });
}

/** Fits a linear mixed model (lme4's `lmer`). */
export async function lmer(formula: string | Formula, data: arrow.Table, options: LmerOptions = {}): Promise<LmmFit> {
  const t0 = performance.now();
  const model = buildLmm(formula, data, options);
  const t1 = performance.now();
  const timings: Record<string, number> = { frameMs: t1 - t0 };
  const messages: string[] = [];
  // the float64 reference: the whole fit on the CPU, or the check and polish of a GPU fit
  const gram = formGram(model);
  const reference = new CpuBackend(gram, model.theta.length);
  timings.gramMs = performance.now() - t1;
  const gpu = await chooseGpuBackend(model, reference, options, messages, timings);
  if (!gpu) return optimizeAndAssemble(model, reference, reference, timings, options, t0, messages);
  try {
    return await optimizeAndAssemble(model, gpu, reference, timings, options, t0, messages);
  } finally {
    gpu.dispose?.();
  }
}

/**
 * The WebGPU backend when asked for ('webgpu': an error if none; 'auto': when an adapter is found and
 * the model fits the shaders), else null for the CPU backend.
 */
async function chooseGpuBackend(model: LmmModel, reference: CpuBackend, options: LmerOptions, messages: string[], timings: Record<string, number>): Promise<LmmBackend | null> {
  const want = options.backend ?? 'cpu';
  if (want === 'cpu') return null;
  const { acquireGpu, sharedGpu } = await import('../backend/webgpu/device.js');
  const { WebGpuBackend } = await import('../backend/webgpu/webgpuBackend.js');
  const { gpuUnsupported } = await import('../backend/webgpu/upload.js');
  const why = gpuUnsupported(model);
  if (why) {
    if (want === 'webgpu') throw new Error(`the WebGPU backend cannot fit this model: ${why}`);
    messages.push(`backend auto: CPU (${why})`);
    return null;
  }
  const t = performance.now();
  const ctx = options.device ? await acquireGpu({ device: options.device }) : await sharedGpu();
  if (!ctx) {
    if (want === 'webgpu') throw new Error('no WebGPU adapter is available (in Node: the webgpu package with a Vulkan driver; on a machine without a GPU, SwiftShader: see README)');
    messages.push('backend auto: CPU (no WebGPU adapter)');
    return null;
  }
  const backend = await WebGpuBackend.create(ctx, model, reference.chol.gram, options.denseOnGpu);
  if (backend.denseBlocksOn !== 'none') messages.push(`WebGPU backend: the crossed factors' dense blocks are factored on the ${backend.denseBlocksOn === 'gpu' ? 'GPU (f32)' : 'CPU (float64)'}`);
  timings.gpuSetupMs = performance.now() - t;
  Object.assign(timings, {
    gpuLayoutMs: backend.timings.layoutMs, gpuUploadMs: backend.timings.uploadMs,
    gpuDataPassMs: backend.timings.dataPassMs, gpuCompileMs: backend.timings.compileMs,
    gpuDataPassGBps: backend.timings.dataPassBytes / 1e6 / Math.max(1e-3, backend.timings.dataPassMs),
  });
  return backend;
}

/**
 * Stage: optimize θ with `backend`'s objective, then assemble the fit from the float64 factor at θ̂.
 * `reference` is the float64 CPU backend; when `backend` is another one, its optimum is checked
 * against the float64 objective and polished there (a short BOBYQA run in float64 from the GPU's
 * optimum), and the fit records the GPU objective's error at its optimum.
 */
export async function optimizeAndAssemble(
  model: LmmModel, backend: LmmBackend, reference: CpuBackend,
  timings: Record<string, number>, options: LmerOptions, t0: number, notes: string[] = [],
): Promise<LmmFit> {
  const { frame, theta: layout, reml } = model;
  const { n, p } = frame;
  const messages = [...frame.messages, ...notes];
  let best = Infinity;
  let feval = 0;
  // the optimizer and the backends work with the internal θ_c (see lambda.ts); progress shows lme4's θ
  const progress = (thetaC: Float64Array, f: number) => {
    feval++;
    if (f < best) best = f;
    if (options.onProgress) options.onProgress({ feval, deviance: f, best, theta: thetaToOriginal(model.blocks, thetaC), elapsedMs: performance.now() - t0 });
  };
  const shouldStop = () => options.signal?.aborted ?? false;
  const problem = lmmThetaProblem(model.blocks, layout, n);
  const optimizerOptions = (rhobeg: number) => ({
    rhobeg,
    rhoend: options.optimizer?.rhoend ?? 2e-7,
    maxfun: options.optimizer?.maxfun ?? LMER_MAXFUN,
    onEvaluation: progress,
    shouldStop,
  });
  const tOpt = performance.now();
  const res = await optimizeTheta(makeAsyncObjective(backend, n, p, reml, model.sumLogW), problem, optimizerOptions(options.optimizer?.rhobeg ?? 0.2));
  throwIfAborted(options);
  timings.optimizeMs = performance.now() - tOpt;
  timings.perEvaluationMs = timings.optimizeMs / Math.max(1, res.feval);
  let theta = res.x;
  let converged = res.converged;
  let message = [res.message, ...res.notes].join('; ');
  let precision: string = backend.precision;
  let gpu: GpuCheck | undefined;
  if (backend !== reference) {
    // check the GPU's optimum against the float64 objective, then polish in float64
    const f64 = makeObjective(reference, n, p, reml, model.sumLogW);
    const tPol = performance.now();
    const atGpu = f64(theta);
    let polish = await optimizeTheta(f64, problem, { ...optimizerOptions(POLISH_RHOBEG), start: theta });
    throwIfAborted(options);
    const improvement = atGpu - polish.fval;
    let evaluations = polish.feval;
    // a polish that gains far more than the GPU objective's error means the GPU optimizer stalled
    // (not an arithmetic error): optimize again in float64 from the polished point, full radius
    if (improvement > Math.max(10 * Math.abs(res.fval - atGpu), 1e-6 * Math.abs(atGpu))) {
      const again = await optimizeTheta(f64, problem, { ...optimizerOptions(options.optimizer?.rhobeg ?? 0.2), start: polish.x });
      throwIfAborted(options);
      evaluations += again.feval;
      messages.push(`the WebGPU optimizer stopped ${improvement.toPrecision(3)} above the float64 optimum near its point (GPU objective error there ${(res.fval - atGpu).toPrecision(3)}); re-optimized in float64 (${again.feval} evaluations)`);
      if (again.fval <= polish.fval) polish = again;
    }
    gpu = {
      objective: res.fval, float64AtGpuOptimum: atGpu, objectiveError: res.fval - atGpu,
      polishImprovement: atGpu - polish.fval, polishEvaluations: evaluations,
      thetaChange: Math.max(...Array.from(polish.x, (t, k) => Math.abs(t - theta[k]))),
    };
    timings.polishMs = performance.now() - tPol;
    theta = polish.x;
    converged = polish.converged;
    message = [polish.message, ...polish.notes].join('; ');
    precision = `${backend.precision} (${backend.name}) polished in float64`;
  }
  if (!converged) messages.push(`optimizer did not converge: ${message}`);
  return assembleFit(model, reference, thetaToOriginal(model.blocks, theta), {
    feval: res.feval + (gpu?.polishEvaluations ?? 0), converged, optimizerMessage: message, messages,
    backend: { name: backend.name, device: backend.device, precision },
    timings, dataName: options.dataName, t0, gpu,
  });
}

/**
 * Default evaluation budget of lmer's optimization: lme4's nloptwrap maxeval (1e5). Models with
 * many variance parameters need it (y ~ x + (f | g) with an 11-level f, 66 θ: about 16,000).
 */
const LMER_MAXFUN = 100_000;

/** Initial trust-region radius of the float64 polish after a GPU optimum. */
const POLISH_RHOBEG = 0.01;

/** How the GPU objective compared with float64 at its optimum. */
export interface GpuCheck {
  /** the GPU objective at its optimum */
  objective: number;
  /** the float64 objective at the GPU's optimum */
  float64AtGpuOptimum: number;
  /** GPU − float64 at the GPU's optimum */
  objectiveError: number;
  /** how much the float64 polish lowered the objective */
  polishImprovement: number;
  polishEvaluations: number;
  /** largest |Δθ| of the polish */
  thetaChange: number;
}

function throwIfAborted(options: LmerOptions): void {
  if (options.signal?.aborted) {
    const err = new Error('the fit was cancelled');
    err.name = 'AbortError';
    throw err;
  }
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
  /** for a GPU fit: its objective's error at its optimum and the float64 polish */
  gpu?: GpuCheck;
}

/**
 * Stage: the fit at θ (mkMerMod; θ in lme4's parametrization): the float64 factor at θ gives β̂, b̂,
 * σ̂, Var(β̂) and the conditional variances. With θ from the optimizer this is the fit; with a given
 * θ it is the model at that θ.
 */
export function assembleFit(model: LmmModel, reference: CpuBackend, theta: Float64Array, record: FitRecord): LmmFit {
  const { frame, theta: layout, reml } = model;
  const { n, p } = frame;
  const tSol = performance.now();
  reference.chol.factor(thetaToInternal(model.blocks, theta));
  const parts = { ldL2: reference.chol.ldL2, ldRX2: reference.chol.ldRX2, pwrss: reference.chol.pwrss };
  if (!(parts.pwrss > 1e-12 * totalSumOfSquares(frame.y))) {
    throw new Error(`the penalized residual sum of squares is zero at θ = [${Array.from(theta, (t) => t.toPrecision(4)).join(', ')}]: the model fits the response '${frame.yname}' exactly, so σ and the variance components cannot be estimated`);
  }
  const dev = profiledDeviance(parts, n, p, reml, model.sumLogW);
  // the factor is of the transformed fixed effects: map β and Var(β) back to the model's
  const solC = solveLmm(reference.chol, n, reml);
  const sol = { ...solC, beta: mapBeta(model.fixed, solC.beta), vcov: mapVcov(model.fixed, solC.vcov) };
  const condVar = conditionalVariances(reference.chol, sol.sigma);
  // and of the centred random effects: b = C b_c, Var(b) = C Var(b_c) Cᵀ
  model.blocks.forEach((blk, k) => {
    uncentreModes(blk, sol.b[k]);
    uncentreCovariances(blk, condVar[k]);
  });
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
    gpu: record.gpu,
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
