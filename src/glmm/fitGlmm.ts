/**
 * Fitting a generalized linear mixed model as lme4's glmer does:
 *   stage 1 (nAGQ = 0): θ by BOBYQA with β and u from PIRLS at each θ, objective
 *           log|L|² + ‖ũ‖² + aic (glmer's nAGQ = 0 deviance);
 *   stage 2 (nAGQ ≥ 1): (θ, β) together by BOBYQA from stage 1's optimum, with u from PIRLS at each
 *           point and the Laplace (nAGQ = 1) or adaptive Gauss–Hermite (nAGQ > 1) deviance.
 * In stage 2, β is searched in the coordinates δ = R_X (β − β̂₁) of stage 1's fixed-effects factor
 * (β̂₁'s approximate standard errors become unit steps), which makes the trust region round.
 * PIRLS is converged far tighter than lme4's default (see src/glmm/pirls.ts), so the objective is
 * smooth and the optimum is at least as good as glmer's.
 *
 * With `backend: 'webgpu'` the weighted data pass of each PIRLS iteration runs in WebGPU shaders in
 * f32 (src/backend/webgpu/glmmPass.ts) while both stages optimize; the GPU optimum is then checked
 * against the float64 objective and polished there (a short BOBYQA run from the GPU's optimum, as
 * lmer's WebGPU fits), so every reported number is float64; the fit records the raw GPU
 * objective's error at its optimum (`gpuCheck`).
 *
 * Var(β̂), as lme4's vcov for glmer (whose default computes the derivatives): the β block of the
 * inverse of half the finite-difference Hessian of the deviance in (θ, β) at the optimum; the RX
 * formula (R_XᵀR_X)⁻¹ with `vcov: 'RX'`, or where the Hessian is not positive definite.
 */
import { curvatureScales } from '../optim/scaling.js';
import type { GlmmGroupsGpu } from '../backend/webgpu/glmmGroups.js';
import type * as arrow from 'apache-arrow';
import type { Formula } from '../formula/types.js';
import { bobyqa, bobyqaAsync } from '../optim/bobyqa.js';
import { choleskyInPlace, invertGaussJordan, solveLowerT } from '../linalg/dense.js';
import type { LinkName } from './family.js';
import { type GlmmModel, buildGlmm } from './model.js';
import { F32_PASS_TOLERANCES, PirlsEngine, PirlsError, type PirlsResult } from './pirls.js';
import type { GpuCheck } from '../model/fitLmm.js';
import { ghRule, type GHRule } from './rmath.js';
import { GlmmFit } from './glmmFit.js';
import { separationWarnings } from './diagnostics.js';
import { covariancesToOriginal, modesToOriginal, thetaToInternalGlmm, thetaToOriginalGlmm } from './reparam.js';

export interface GlmmProgress {
  /** 1: θ with β profiled (nAGQ = 0); 2: θ and β together; 3: the Hessian for Var(β̂) */
  stage: 1 | 2 | 3;
  /** objective evaluations so far (all stages) */
  feval: number;
  /** the objective at the last evaluation */
  deviance: number;
  /** the best of this stage so far */
  best: number;
  theta: Float64Array;
  beta: Float64Array;
  elapsedMs: number;
}

export interface GlmerOptions {
  family: 'binomial' | 'poisson';
  /** binomial: 'logit' (default), 'probit', 'cloglog'; poisson: 'log' */
  link?: LinkName;
  /** 1 (default): Laplace; 0: stage 1 only (β from PIRLS); > 1: adaptive Gauss–Hermite with that many nodes (one scalar random-effects term) */
  nAGQ?: number;
  /** prior weights: a column of the data or one value per row (binomial: the numbers of trials of proportions) */
  weights?: string | ArrayLike<number>;
  /** numeric columns to treat as factors */
  factors?: string[];
  /** Var(β̂): 'hessian' (default, as glmer) or 'RX' (faster: no extra evaluations) */
  vcov?: 'hessian' | 'RX';
  /**
   * settings of the final stage's BOBYQA (stage 2; stage 1 when nAGQ = 0): initial and final
   * trust-region radius (θ and β in units of stage 1's standard errors; defaults 0.05 and 1e-6),
   * evaluation budget
   */
  optimizer?: { rhobeg?: number; rhoend?: number; maxfun?: number };
  /** PIRLS iteration limit (default 100) */
  pirlsMaxIter?: number;
  /** called after each objective evaluation */
  onProgress?: (p: GlmmProgress) => void;
  /** aborts the fit (an AbortError is thrown) */
  signal?: AbortSignal;
  /** a label for the data in the summary (`Data: cbpp`) */
  dataName?: string;
  /** where the PIRLS data pass runs while optimizing (default 'cpu'); 'webgpu' is then polished in float64 on the CPU */
  backend?: 'cpu' | 'webgpu';
  /** a GPUDevice from the host application for the WebGPU backend */
  device?: GPUDevice;
  /**
   * WebGPU backend: evaluate each PIRLS state in the shaders — η, μ, the weights, the working
   * residual and the deviance per row (default true). false: those are computed on the CPU in
   * float64 and w and z are uploaded at each iteration (the cross-products stay on the GPU).
   */
  gpuReweight?: boolean;
  /**
   * WebGPU backend: the per-group updates of PIRLS (per-group Cholesky factors and the solve for u)
   * in the shaders too, for a model with one grouping factor (q ≤ 8, q + p + 1 ≤ 16) and nAGQ ≤ 1
   * (default true); false: on the CPU in float64 from the GPU's weighted cross-products.
   */
  gpuGroups?: boolean;
}

/** A GLMM fit; for the WebGPU backend, with the check of the GPU optimum against float64. */
export type GlmmFitWithCheck = GlmmFit & { gpuCheck?: GpuCheck };

/** The WebGPU side of a fit: the PIRLS engine on the GPU pass, and what to report. */
interface GpuSide {
  engine: PirlsEngine;
  device: string;
  passes: { timings: { setupMs: number; passes: number; passMs: number; finishMs: number }; dispose(): void }[];
  /** the per-group updates' buffers, when they run on the GPU */
  groups: { dispose(): void }[];
}

/** Fits a generalized linear mixed model (lme4's `glmer`). */
export async function glmer(formula: string | Formula, data: arrow.Table, options: GlmerOptions): Promise<GlmmFit> {
  const t0 = performance.now();
  const nAGQ = options.nAGQ ?? 1;
  if (!(Number.isInteger(nAGQ) && nAGQ >= 0 && nAGQ <= 25)) throw new Error(`nAGQ must be an integer from 0 to 25, got ${nAGQ}`);
  const model = buildGlmm(formula, data, options);
  if (nAGQ > 1 && !(model.blocks.length === 1 && model.blocks[0].q === 1 && model.frame.reTerms.length === 1)) {
    throw new Error(`nAGQ > 1 is only available for models with a single, scalar random-effects term (this model has ${model.frame.reTerms.map((t) => t.text).join(' + ')})`);
  }
  const timings: Record<string, number> = { frameMs: performance.now() - t0 };
  const engine = new PirlsEngine(model.pirls);
  timings.setupMs = performance.now() - t0 - timings.frameMs;
  const backend = options.backend ?? 'cpu';
  if (backend === 'cpu') return fitGlmm(model, engine, nAGQ, options, t0, timings);
  if (backend !== 'webgpu') throw new Error(`unknown backend '${String(backend)}' (use 'cpu' or 'webgpu')`);
  const gpu = await gpuSide(model, options, nAGQ);
  timings.gpuSetupMs = gpu.passes.reduce((a, p) => a + p.timings.setupMs, 0);
  try {
    return await fitGlmm(model, engine, nAGQ, options, t0, timings, gpu);
  } finally {
    for (const p of gpu.passes) p.dispose();
    for (const g of gpu.groups) g.dispose();
  }
}

async function gpuSide(model: GlmmModel, options: GlmerOptions, nAGQ: number): Promise<GpuSide> {
  const { acquireGpu, sharedGpu } = await import('../backend/webgpu/device.js');
  const { GlmmPassGpu, gpuReweightSupported } = await import('../backend/webgpu/glmmPass.js');
  const groupsGpu = await import('../backend/webgpu/glmmGroups.js');
  const ctx = options.device ? await acquireGpu({ device: options.device }) : await sharedGpu();
  if (!ctx) throw new Error('no WebGPU adapter is available (in Node: the webgpu package with a Vulkan driver; on a machine without a GPU, SwiftShader: see README)');
  const { n, X, p, blocks } = model.pirls;
  // each PIRLS state evaluated in the shaders from (β, b) (unless gpuReweight is false): only the
  // coefficients go up and O(segments) partial sums come back per iteration
  const { family, y, weights, offset } = model.pirls;
  const rowData = options.gpuReweight === false ? undefined : { family, y, weights, offset };
  // the per-group updates on the GPU too: one grouping factor, rows on the GPU, Laplace or nAGQ = 0
  // (AGQ's quadrature reads the factor on the CPU)
  const groupLayout = options.gpuGroups !== false && rowData !== undefined && gpuReweightSupported(family) &&
    blocks.length === 1 && groupsGpu.groupUpdatesSupported(blocks[0].q, p) && nAGQ <= 1;
  const full = await GlmmPassGpu.create(ctx, { n, X, p, blocks }, undefined, rowData, { groupLayout });
  const u = await GlmmPassGpu.create(ctx, { n, X: new Float64Array(0), p: 0, blocks }, full, rowData, { groupLayout });
  let groups: { full: GlmmGroupsGpu; u: GlmmGroupsGpu } | undefined;
  if (groupLayout) {
    const gFull = await groupsGpu.GlmmGroupsGpu.create(ctx, full, blocks[0]);
    groups = { full: gFull, u: await groupsGpu.GlmmGroupsGpu.create(ctx, u, blocks[0], gFull) };
  }
  const engine = new PirlsEngine(model.pirls, { grams: { full, u }, groups, tolerances: F32_PASS_TOLERANCES });
  if (groups && !engine.groups) {
    // the engine keeps η on the CPU (aic − deviance not constant): no group layout then
    for (const x of [full, u, groups.u, groups.full]) x.dispose();
    return gpuSide(model, { ...options, gpuGroups: false }, nAGQ);
  }
  return { engine, device: ctx.adapterName, passes: [full, u], groups: groups ? [groups.u, groups.full] : [] };
}

/** The optimization and assembly of a fit (the stages after the model is built). */
export async function fitGlmm(model: GlmmModel, engine: PirlsEngine, nAGQ: number, options: GlmerOptions, t0: number, timings: Record<string, number>, gpu?: GpuSide): Promise<GlmmFitWithCheck> {
  const { theta: layout } = model;
  const nth = layout.length;
  const p = model.frame.p;
  const messages = [...model.frame.messages];
  const pirlsOpts = { maxIter: options.pirlsMaxIter };
  const rule: GHRule | null = nAGQ > 1 ? ghRule(nAGQ) : null;
  let feval = 0;
  const shouldStop = () => options.signal?.aborted ?? false;
  // the optimizer and PIRLS work with the internal θ (src/glmm/reparam.ts); lme4's θ is reported
  const toOriginal = (th: ArrayLike<number>) => thetaToOriginalGlmm(model.blocks, model.transforms, th);
  const toInternal = (th: ArrayLike<number>) => thetaToInternalGlmm(model.blocks, model.transforms, th);
  const progress = (stage: 1 | 2 | 3, thetaInt: Float64Array, beta: Float64Array, f: number, best: number) => {
    if (options.onProgress) options.onProgress({ stage, feval, deviance: f, best, theta: toOriginal(thetaInt), beta, elapsedMs: performance.now() - t0 });
  };
  let lastPirlsError: PirlsError | null = null;
  // the engine the optimizer runs on: the GPU pass (f32) or the float64 one
  const optEngine = gpu?.engine ?? engine;
  const optRun = (th: ArrayLike<number>, b: ArrayLike<number> | null): PirlsResult | Promise<PirlsResult> =>
    gpu ? gpu.engine.runAsync(th, b, pirlsOpts) : engine.run(th, b, pirlsOpts);
  /** v = value(result of PIRLS), with a PIRLS failure as +∞ (or NaN), synchronously on the CPU pass */
  const evaluate = (run: () => PirlsResult | Promise<PirlsResult>, value: (r: PirlsResult) => number, done: (v: number) => number, failed = Infinity): number | Promise<number> => {
    const fail = (e: unknown): number => {
      if (!(e instanceof PirlsError)) throw e;
      lastPirlsError = e;
      return done(failed);
    };
    let r: PirlsResult | Promise<PirlsResult>;
    try {
      r = run();
    } catch (e) {
      return fail(e);
    }
    if (r instanceof Promise) return r.then((x) => done(value(x)), fail);
    return done(value(r));
  };

  // ---- stage 1: θ, with β from PIRLS -----------------------------------------------------
  // the first PIRLS, at the starting θ, must succeed: its failure is the user's to see
  await optRun(layout.start, null);
  const tS1 = performance.now();
  let best1 = Infinity;
  const f1 = (theta: Float64Array): number | Promise<number> => {
    feval++;
    return evaluate(() => optRun(theta, null), (r) => r.laplace, (v) => {
      if (v < best1) best1 = v;
      progress(1, theta, Float64Array.from(optEngine.beta), v, best1);
      return v;
    });
  };
  const lower = layout.lower;
  const upperTheta = new Float64Array(nth).fill(Infinity);
  const opt = options.optimizer ?? {};
  const s1 = await bobyqaAsync(f1, layout.start, {
    lower, upper: upperTheta, shouldStop,
    // stage 1 only starts stage 2, unless it is the fit (nAGQ = 0)
    ...(nAGQ === 0 ? { rhobeg: opt.rhobeg ?? 0.2, rhoend: opt.rhoend ?? 2e-7, maxfun: opt.maxfun ?? 10000 } : { rhobeg: 0.2, rhoend: 1e-4, maxfun: 10000 }),
  });
  throwIfAborted(options);
  timings.stage1Ms = performance.now() - tS1;
  if (!Number.isFinite(s1.fval)) {
    throw lastPirlsError ?? new Error('the first stage of the fit found no finite deviance');
  }
  // the state at stage 1's optimum
  await optRun(s1.x, null);
  const beta1 = Float64Array.from(optEngine.beta);
  const stage1 = { theta: toOriginal(s1.x), beta: beta1, objective: s1.fval, feval: s1.feval, converged: s1.converged, message: s1.message };
  let theta = Float64Array.from(s1.x);
  let beta = Float64Array.from(beta1);
  let objective = s1.fval;
  let converged = s1.converged;
  let optimizerMessage = s1.message;
  let feval2 = 0;

  // ---- stage 2: θ and β together ---------------------------------------------------------
  // on the float64 engine (the polish, the Hessian)
  const deviance2 = (th: ArrayLike<number>, b: ArrayLike<number>): number => {
    const r = engine.run(th, b, pirlsOpts);
    return rule ? engine.agq(rule) : r.laplace;
  };
  let gpuCheck: GpuCheck | undefined;
  if (nAGQ > 0) {
    const tS2 = performance.now();
    const feval0 = feval;
    // δ = R_X (β − β̂₁): β = β̂₁ + R_X⁻¹ δ
    const { RX } = gpu ? await gpu.engine.fixedEffectsFactorAsync(s1.x) : engine.fixedEffectsFactor(s1.x);
    const LX = new Float64Array(p * p); // R_Xᵀ, lower
    for (let r = 0; r < p; r++) for (let s = 0; s <= r; s++) LX[r * p + s] = RX[s * p + r];
    const toBeta = (x: Float64Array): Float64Array<ArrayBuffer> => {
      const d = Float64Array.from(x.subarray(nth));
      solveLowerT(LX, p, d);
      for (let j = 0; j < p; j++) d[j] += beta1[j];
      return d;
    };
    let best2 = Infinity;
    // the optimizer's variables: θ scaled to unit curvature (sθ, see src/optim/scaling.ts), and δ
    const sTheta = new Float64Array(nth).fill(1);
    const f2With = (run: (th: Float64Array, b: Float64Array) => PirlsResult | Promise<PirlsResult>, eng: PirlsEngine) => (x: Float64Array): number | Promise<number> => {
      feval++;
      const b = toBeta(x);
      const th = Float64Array.from(x.subarray(0, nth), (v, k) => v / sTheta[k]);
      return evaluate(() => run(th, b), (r) => (rule ? eng.agq(rule) : r.laplace), (v) => {
        if (v < best2) best2 = v;
        progress(2, Float64Array.from(th), b, v, best2);
        return v;
      });
    };
    const f2 = f2With(optRun, optEngine);
    const x0 = new Float64Array(nth + p);
    x0.set(s1.x);
    const lower2 = new Float64Array(nth + p).fill(-Infinity);
    lower2.set(lower);
    const f0 = await f2(x0);
    const scales = await curvatureScales(f2, x0, f0, Array.from({ length: nth }, (_, k) => k), lower2);
    sTheta.set(scales.subarray(0, nth));
    for (let k = 0; k < nth; k++) { x0[k] *= sTheta[k]; lower2[k] *= sTheta[k]; }
    const scaleEvals = feval - feval0;
    const upper2 = new Float64Array(nth + p).fill(Infinity);
    const s2 = await bobyqaAsync(f2, x0, {
      lower: lower2, upper: upper2, rhobeg: opt.rhobeg ?? 0.05, rhoend: opt.rhoend ?? 1e-6, maxfun: opt.maxfun ?? 10000, shouldStop,
    });
    throwIfAborted(options);
    timings.stage2Ms = performance.now() - tS2;
    if (!Number.isFinite(s2.fval)) throw lastPirlsError ?? new Error('the second stage of the fit found no finite deviance');
    let x2 = s2.x;
    objective = s2.fval;
    converged = s2.converged;
    optimizerMessage = s2.message;
    feval2 = s2.feval + scaleEvals;
    if (gpu) {
      const pol = polishInFloat64(f2With((th, b) => engine.run(th, b, pirlsOpts), engine) as (x: Float64Array) => number, s2.x, s2.fval, nth, { lower: lower2, upper: upper2 }, options, messages, timings, 1e-6, sTheta);
      gpuCheck = pol.check;
      x2 = pol.x;
      objective = pol.fval;
      converged = pol.converged;
      optimizerMessage = pol.message;
      feval2 += pol.check.polishEvaluations;
    }
    theta = Float64Array.from(x2.subarray(0, nth), (v, k) => v / sTheta[k]);
    beta = toBeta(x2);
  } else if (gpu) {
    // nAGQ = 0: stage 1 is the fit; polish it in float64
    const f1Cpu = (th: Float64Array): number => {
      feval++;
      return evaluate(() => engine.run(th, null, pirlsOpts), (r) => r.laplace, (v) => v) as number;
    };
    const pol = polishInFloat64(f1Cpu, s1.x, s1.fval, nth, { lower, upper: upperTheta }, options, messages, timings, 2e-7);
    gpuCheck = pol.check;
    theta = Float64Array.from(pol.x);
    objective = pol.fval;
    converged = pol.converged;
    optimizerMessage = pol.message;
    engine.run(theta, null, pirlsOpts);
    Object.assign(stage1, { theta: toOriginal(theta), beta: Float64Array.from(engine.beta), objective, feval: s1.feval + pol.check.polishEvaluations, converged, message: optimizerMessage });
  }
  if (gpu) {
    const passes = gpu.passes.map((p) => p.timings);
    timings.gpuPasses = passes.reduce((a, t) => a + t.passes, 0);
    timings.gpuPassMs = passes.reduce((a, t) => a + t.passMs, 0);
    timings.gpuFinishMs = passes.reduce((a, t) => a + t.finishMs, 0);
  }
  if (!converged) messages.push(`optimizer did not converge: ${optimizerMessage}`);

  // ---- the fit at the optimum ------------------------------------------------------------
  const tA = performance.now();
  let final;
  if (nAGQ === 0) {
    final = engine.run(theta, null, pirlsOpts);
    beta = Float64Array.from(engine.beta);
  } else {
    final = engine.run(theta, beta, pirlsOpts);
    if (rule) objective = engine.agq(rule);
    else objective = final.laplace;
  }
  const state = {
    u: engine.u.map((u) => Float64Array.from(u)),
    b: engine.conditionalModes(),
    eta: Float64Array.from(engine.eta),
    mu: Float64Array.from(engine.mu),
    condVar: engine.conditionalVariances(),
  };
  const { unsc } = engine.fixedEffectsFactor(theta);
  timings.assembleMs = performance.now() - tA;

  // ---- Var(β̂) ------------------------------------------------------------------------------
  let vcov = unsc;
  let vcovMethod: 'hessian' | 'RX' = 'RX';
  let hessian: Float64Array | null = null;
  let gradient: Float64Array | null = null;
  if ((options.vcov ?? 'hessian') === 'hessian' && nAGQ > 0) {
    const tH = performance.now();
    const saved = engine.saveState();
    // in lme4's coordinates (θ, β), as its deriv12
    const x = new Float64Array(nth + p);
    x.set(toOriginal(theta));
    x.set(beta, nth);
    // as lme4's deriv12 at the optimum: no bounds (a negative θ gives the same deviance as |θ| for a scalar term)
    const lowerH = new Float64Array(nth + p).fill(-Infinity);
    let bestH = objective;
    const fH = (xx: Float64Array): number => {
      feval++;
      let v: number;
      try {
        v = deviance2(toInternal(xx.subarray(0, nth)), xx.subarray(nth));
      } catch (e) {
        if (!(e instanceof PirlsError)) throw e;
        v = NaN;
      }
      if (v < bestH) bestH = v;
      if (options.onProgress) options.onProgress({ stage: 3, feval, deviance: v, best: bestH, theta: Float64Array.from(xx.subarray(0, nth)), beta: Float64Array.from(xx.subarray(nth)), elapsedMs: performance.now() - t0 });
      return v;
    };
    const d = deriv12(fH, x, objective, lowerH);
    engine.restoreState(saved);
    hessian = d.hessian;
    gradient = d.gradient;
    const V = hessianVcov(d.hessian, nth, p);
    if (V) {
      vcov = V;
      vcovMethod = 'hessian';
    } else {
      messages.push('variance-covariance matrix computed from finite-difference Hessian is not positive definite or contains NA values: falling back to var-cov estimated from RX');
    }
    throwIfAborted(options);
    timings.hessianMs = performance.now() - tH;
  }
  // restore the state at the optimum (the Hessian moved it)
  if (nAGQ === 0) engine.run(theta, null, pirlsOpts); else engine.run(theta, beta, pirlsOpts);

  // back to lme4's parametrization: θ, b = M b_int, Var(b) = M Var(b_int) Mᵀ
  const thetaInt = theta;
  const thetaOrig = toOriginal(thetaInt);
  state.b.forEach((b, k) => modesToOriginal(b, model.blocks[k].q, model.transforms[k]));
  state.condVar.forEach((V, k) => covariancesToOriginal(V, model.blocks[k].q, model.transforms[k]));
  // lme4's isSingular: a diagonal element of a relative covariance factor below 1e-4
  const singular = layout.lower.some((lo, k) => lo === 0 && thetaOrig[k] < 1e-4);
  if (singular) messages.push("boundary (singular) fit: see help('isSingular')");
  const se = Array.from({ length: p }, (_, j) => Math.sqrt(vcov[j * p + j]));
  messages.push(...separationWarnings(model, state.mu, beta, se));
  timings.totalMs = performance.now() - t0;
  const fit: GlmmFitWithCheck = new GlmmFit({
    model, nAGQ, theta: thetaOrig, thetaInternal: thetaInt, beta, objective, pirls: final, vcov, vcovMethod, unsc, hessian, gradient,
    u: state.u, b: state.b, eta: state.eta, mu: state.mu, condVar: state.condVar,
    stage1, feval, feval2, converged, optimizerMessage, singular, messages, timings, dataName: options.dataName,
    ...(gpu ? { backend: { name: 'webgpu', device: gpu.device, precision: 'float32 (webgpu) polished in float64' }, gpu: gpuCheck } : {}),
  });
  return fit;
}

/** Initial trust-region radius of the float64 polish after a GPU optimum (as lmer's). */
const POLISH_RHOBEG = 0.01;

/**
 * The float64 check and polish of a GPU optimum (as lmer's optimizeAndAssemble): the float64
 * objective at the GPU's optimum, a short BOBYQA run from there, and a full-radius run when the
 * polish gains far more than the GPU objective's error (the GPU optimizer stalled).
 */
function polishInFloat64(
  f64: (x: Float64Array) => number, xGpu: Float64Array, fGpu: number, nth: number,
  bounds: { lower: Float64Array; upper: Float64Array }, options: GlmerOptions, messages: string[], timings: Record<string, number>, rhoendDefault: number,
  /** the scales of θ in x (θ_k = x_k / thetaScale_k) */
  thetaScale?: Float64Array,
): { x: Float64Array; fval: number; converged: boolean; message: string; check: GpuCheck } {
  const tPol = performance.now();
  const atGpu = f64(xGpu);
  const opt = options.optimizer ?? {};
  const shouldStop = () => options.signal?.aborted ?? false;
  const run = (x0: Float64Array, rhobeg: number) => bobyqa(f64, x0, { ...bounds, rhobeg, rhoend: opt.rhoend ?? rhoendDefault, maxfun: opt.maxfun ?? 10000, shouldStop });
  let polish = run(xGpu, POLISH_RHOBEG);
  throwIfAborted(options);
  let evaluations = polish.feval + 1;
  const improvement = atGpu - polish.fval;
  if (improvement > Math.max(10 * Math.abs(fGpu - atGpu), 1e-6 * Math.abs(atGpu))) {
    const again = run(polish.x, opt.rhobeg ?? 0.05);
    throwIfAborted(options);
    evaluations += again.feval;
    messages.push(`the WebGPU optimizer stopped ${improvement.toPrecision(3)} above the float64 optimum near its point (GPU objective error there ${(fGpu - atGpu).toPrecision(3)}); re-optimized in float64 (${again.feval} evaluations)`);
    if (again.fval <= polish.fval) polish = again;
  }
  timings.polishMs = performance.now() - tPol;
  const check: GpuCheck = {
    objective: fGpu, float64AtGpuOptimum: atGpu, objectiveError: fGpu - atGpu,
    polishImprovement: atGpu - polish.fval, polishEvaluations: evaluations,
    thetaChange: Math.max(...Array.from(polish.x.subarray(0, nth), (t, k) => Math.abs(t - xGpu[k]) / (thetaScale?.[k] ?? 1))),
  };
  return { x: polish.x, fval: polish.fval, converged: polish.converged, message: polish.message, check };
}

/**
 * Central finite differences of f at x (lme4's deriv12, δ = 1e-4; steps clipped at `lower`): the
 * gradient and the Hessian.
 */
export function deriv12(f: (x: Float64Array) => number, x: Float64Array, fx: number, lower: Float64Array, delta = 1e-4): { gradient: Float64Array; hessian: Float64Array } {
  const n = x.length;
  const H = new Float64Array(n * n);
  const g = new Float64Array(n);
  const at = (changes: [number, number][]) => {
    const y = Float64Array.from(x);
    for (const [i, v] of changes) y[i] = v;
    return f(y);
  };
  const up = (i: number) => x[i] + delta;
  const dn = (i: number) => Math.max(x[i] - delta, lower[i]);
  for (let j = 0; j < n; j++) {
    const xadd = up(j), xsub = dn(j);
    const fadd = at([[j, xadd]]);
    const fsub = at([[j, xsub]]);
    const h = (xadd - xsub) / 2;
    // second derivative on the (possibly uneven) stencil xsub < x < xadd
    const hp = xadd - x[j], hm = x[j] - xsub;
    H[j * n + j] = hm > 0 ? (2 * (hm * fadd - (hp + hm) * fx + hp * fsub)) / (hp * hm * (hp + hm)) : NaN;
    g[j] = (fadd - fsub) / (2 * h);
    for (let i = 0; i < j; i++) {
      const ia = up(i), is = dn(i);
      const faa = at([[i, ia], [j, xadd]]);
      const fas = at([[i, ia], [j, xsub]]);
      const fsa = at([[i, is], [j, xadd]]);
      const fss = at([[i, is], [j, xsub]]);
      const v = (faa - fas - fsa + fss) / ((ia - is) * (xadd - xsub));
      H[i * n + j] = v;
      H[j * n + i] = v;
    }
  }
  return { gradient: g, hessian: H };
}

/** Var(β̂) = 2 (H⁻¹)_ββ (the deviance is −2ℓ), or null when H⁻¹'s β block is not positive definite. */
function hessianVcov(H: Float64Array, nth: number, p: number): Float64Array | null {
  const n = nth + p;
  const inv = invertGaussJordan(H, n);
  if (!inv) return null;
  const V = new Float64Array(p * p);
  for (let r = 0; r < p; r++) for (let s = 0; s < p; s++) V[r * p + s] = inv[(nth + r) * n + nth + s] + inv[(nth + s) * n + nth + r];
  // positive definite?
  try {
    choleskyInPlace(Float64Array.from(V), p);
  } catch {
    return null;
  }
  return V;
}

function throwIfAborted(options: GlmerOptions): void {
  if (options.signal?.aborted) {
    const err = new Error('the fit was cancelled');
    err.name = 'AbortError';
    throw err;
  }
}
