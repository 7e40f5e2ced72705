/**
 * Fitting a generalized linear mixed model as lme4's glmer does, once its model and engines are
 * built (src/fit/glmer.ts builds them and chooses the backend):
 *   (θ: lme4's, or with glmmTMB's covariance structures their parameters ψ, src/glmm/structured.ts)
 *   stage 1 (nAGQ = 0): θ by BOBYQA with β and u from PIRLS at each θ (objectives.ts);
 *   stage 2 (nAGQ ≥ 1): (θ, β) together by BOBYQA from stage 1's optimum, with u from PIRLS at each
 *           point and the Laplace (nAGQ = 1) or adaptive Gauss–Hermite (nAGQ > 1) deviance;
 *   the final stage through the one fit driver (src/model/fitObjective.ts: optimize → float64 check
 *   and polish of a device optimum → assemble.ts, with Var(β̂) from the Hessian).
 * PIRLS is converged far tighter than lme4's default (see src/glmm/pirls.ts), so the objective is
 * smooth and the optimum is at least as good as glmer's.
 *
 * With a device (the WebGPU backend) the weighted data passes of PIRLS run there in f32 while both
 * stages optimize; the final optimum is checked against the float64 objective and polished there,
 * so every reported number is float64; the fit records the device objective's error (`gpuCheck`).
 */
import { DeviceLostError, FitError } from '../errors/errors.js';
import { Evaluations } from '../model/control.js';
import { type Objective, withPenalty } from '../model/objective.js';
import type { FitAnnotation } from '../results/mixedFit.js';
import { OPTIMIZER_NAMES, type OptimizerMethod } from '../optim/minimizers.js';
import { type OptimizerSettings, type Optimum, fitObjective, optimizeObjective, optimizerSettings, stencilPolishes } from '../model/fitObjective.js';
import { thetaToOriginal } from '../model/reparam.js';
import { curvatureScales } from '../optim/scaling.js';
import { type GlmmOptimum, assembleGlmm, hessianObjective, hessianStencil } from './assemble.js';
import type { GlmmFit } from './glmmFit.js';
import type { GlmmModel } from './model.js';
import { type GlmmDevice, GlmmEngines, stage1Objective, stage2Objective } from './objectives.js';
import type { PirlsEngine } from './pirls.js';
import { ghRule } from './rmath.js';
import { type CheckedStart, type StartOption, checkStart } from '../model/start.js';
import { ModelError, OptionError } from '../errors/errors.js';

/** glmer's start checked against the model (none: lme4's start); fixef refused with nAGQ = 0. */
export function startOf(model: GlmmModel, start: StartOption | undefined, nAGQ: number): CheckedStart {
  if (start === undefined) return { theta: null, fixef: null };
  const checked = checkStart(start, model.theta, model.frame.xnames, 'glmer');
  if (checked.fixef && nAGQ === 0) {
    throw new OptionError('start', 'glmer: start.fixef is not used with nAGQ = 0: the fixed effects are then not optimized but found by PIRLS at each θ (lme4 refuses it too: "\'start\' has invalid names")');
  }
  return checked;
}

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

/** How a GLMM fit optimizes and reports. */
export interface GlmmFitOptions {
  /** Var(β̂): 'hessian' (default, as glmer) or 'RX' (faster: no extra evaluations) */
  vcov?: 'hessian' | 'RX';
  /**
   * settings of the final stage's BOBYQA (stage 2; stage 1 when nAGQ = 0): initial and final
   * trust-region radius (θ and β in units of stage 1's standard errors; defaults 0.05 and 1e-5, and
   * on a device whose optimum the float64 stencil polish settles 1e-3, STAGE2_DEVICE_RHOEND: a
   * rhoend given here is kept there too), evaluation budget
   */
  optimizer?: { rhobeg?: number; rhoend?: number; maxfun?: number; method?: OptimizerMethod };
  /** PIRLS iteration limit (default 100) */
  pirlsMaxIter?: number;
  /** called after each objective evaluation */
  onProgress?: (p: GlmmProgress) => void;
  /** aborts the fit (an AbortError is thrown) */
  signal?: AbortSignal;
  /**
   * the longest stretch of computing, in ms, between turns for the event loop (default 50): timers,
   * an AbortSignal's timeout and a page's or worker's messages run during the fit
   */
  yieldEveryMs?: number;
  /** a label for the data in the summary (`Data: cbpp`) */
  dataName?: string;
  /**
   * lme4's convergence checks (src/model/convergence.ts) on the gradient and Hessian in (θ, β) of the
   * Var(β̂) stencil (none with vcov 'RX' or nAGQ = 0, which take no stencil; lme4 takes none at
   * nAGQ = 0 either). Default: lme4's rule, fewer than 10,000 observations and 20 variance parameters.
   */
  calcDerivs?: boolean;
  /**
   * lme4's `start`: θ in lme4's order (a numeric θ or { theta }), and { fixef } (β): stage 1 starts at
   * θ, stage 2 at stage 1's θ̂ with β = fixef (lme4 1.1-31's glmer: start$theta starts the nAGQ = 0
   * step, whose θ̂ with start$fixef starts the second; src/model/start.ts checks it). With nAGQ = 0
   * fixef is refused (β is not optimized: lme4's "invalid names").
   */
  start?: StartOption;
}

/**
 * A penalty added to the GLMM's objective (blme's bglmer: −2 log of the priors on θ and β) as
 * functions of lme4's θ and β: every stage minimizes deviance + penalty (ARCHITECTURE.md: an
 * additive penalty is withPenalty on the stage's objective), the Hessian for Var(β̂) is the
 * penalized objective's (as bglmer's), and the reported deviance is the unpenalized one.
 */
export interface GlmmPenalty {
  /** stage 1, where β is not a variable (bglmer evaluates the prior at β = 0) */
  stage1(theta: Float64Array): number;
  /** stage 2 and the Hessian */
  stage2(theta: Float64Array, beta: Float64Array): number;
  /** the fit's record at the optimum (the summary's lines, the JSON's fields) */
  annotation(theta: Float64Array, beta: Float64Array): FitAnnotation;
}

/** Stage 1 when it is the fit (nAGQ = 0), as lmer's settings */
const STAGE1_FINAL: OptimizerSettings = { rhobeg: 0.2, rhoend: 2e-7, maxfun: 10000 };
/** Stage 1 when it only starts stage 2 */
const STAGE1_START: OptimizerSettings = { rhobeg: 0.2, rhoend: 1e-4, maxfun: 10000 };
/**
 * Stage 2 (θ scaled to unit curvature, β in units of stage 1's standard errors): a final radius of
 * 1e-5 (was 1e-6) took 4–16 fewer evaluations on each glmer reference case with −2ℓ within
 * 3e-12 (≤ 4e-16 relative, either sign), θ within 1.3e-6, β within 2e-6 SE and SEs within 5e-5
 * relative of the 1e-6 fit (bench/RESULTS.md, issue 17); 1e-4 raised −2ℓ by 3e-9 on glmm200k.
 */
const STAGE2: OptimizerSettings = { rhobeg: 0.05, rhoend: 1e-5, maxfun: 10000 };
/**
 * Stage 2's final radius on a device whose optimum the float64 stencil polish settles
 * (src/model/fitObjective.ts stencilPolishes): from there one Newton step of the polish converges, as
 * from STAGE2's 1e-5, on glmer's reference cases and the benchmark's 50k–1M-row models; 1e-2 (the
 * device objective's noise level at 50k–1M rows) left grouseticks two steps (bench/RESULTS.md, issue
 * 15: the stage-2 evaluations).
 */
export const STAGE2_DEVICE_RHOEND = 1e-3;

/** The optimization and assembly of a fit (the stages after the model is built). */
export async function fitGlmm(
  model: GlmmModel, engine: PirlsEngine, nAGQ: number, options: GlmmFitOptions, t0: number, timings: Record<string, number>,
  device?: GlmmDevice, notes: string[] = [], penalty?: GlmmPenalty,
): Promise<GlmmFit> {
  const messages = [...model.frame.messages, ...notes];
  const rule = nAGQ > 1 ? ghRule(nAGQ) : null;
  // the product rule over a vector term is defined in lme4's u (src/glmm/agqVector.ts): a model built
  // with the centring (src/model/reparam.ts), whose M is not diagonal, would rotate its grid
  const M = model.transforms[0]?.M;
  const q0 = model.blocks[0]?.q ?? 0;
  if (rule && q0 > 1 && model.family.family !== 'binomial' && model.family.family !== 'poisson') {
    throw new ModelError(`nAGQ > 1 with a vector random-effects term (${model.frame.reTerms.map((t) => t.text).join(' + ')}) is available for the binomial and Poisson families only (the product rule has been checked against an R implementation for these), not for the ${model.family.family} family; use nAGQ = 1 (the Laplace approximation)`);
  }
  if (rule && q0 > 1 && M && M.some((v, j) => v !== 0 && Math.floor(j / q0) !== j % q0)) {
    throw new Error('internal: nAGQ > 1 with a vector term needs the model built without the centring (buildGlmm with nAGQ, glmmFromFrame with centre = false)');
  }
  const evaluations = new Evaluations(options);
  const e = new GlmmEngines(model, engine, device, options.pirlsMaxIter);
  // the optimizer's variance parameters v: θ_int, or the covariance structures' ψ (structured.ts)
  const vp = e.variance;
  const nv = vp.length;
  const thetaAt = (v: Float64Array) => vp.thetaInternal(v) ?? new Float64Array(model.theta.length).fill(NaN);
  // the optimizer and PIRLS work with the internal θ (src/model/reparam.ts); lme4's θ is reported
  const progress = (stage: 1 | 2 | 3, thetaInt: Float64Array, beta: Float64Array, f: number, best: number) => {
    if (options.onProgress) options.onProgress({ stage, feval: evaluations.count, deviance: f, best, theta: thetaToOriginal(model, thetaInt), beta, elapsedMs: performance.now() - t0 });
  };
  /** the fit at the final stage's optimum */
  const assemble = (at: GlmmOptimum) => {
    if (device) {
      const t = device.passTimings();
      timings.gpuPasses = t.passes;
      timings.gpuPassMs = t.passMs;
      timings.gpuFinishMs = t.finishMs;
      // the per-group factors computed on the device (0: the CPU finished each iteration)
      timings.gpuGroupFactors = t.groupFactors ?? 0;
      if (t.roundTrips !== undefined) timings.gpuRoundTrips = t.roundTrips;
    }
    const opt = at.optimum;
    if (opt.gpu) timings.polishMs = opt.polishMs;
    messages.push(...opt.messages);
    if (!opt.converged) messages.push(`optimizer did not converge: ${opt.message}`);
    return assembleGlmm(e, at, {
      nAGQ, rule, vcov: options.vcov, calcDerivs: options.calcDerivs, dataName: options.dataName, optimizer: OPTIMIZER_NAMES[options.optimizer?.method ?? 'bobyqa'],
      ...(penalty ? { penalty: (theta: Float64Array, beta: Float64Array) => penalty.stage2(theta, beta), annotation: penalty.annotation } : {}),
      onStage3: options.onProgress && ((theta, beta, f, best) => options.onProgress!({ stage: 3, feval: evaluations.count, deviance: f, best, theta, beta, elapsedMs: performance.now() - t0 })),
    }, evaluations, messages, timings, t0);
  };

  // the row threads, when the evaluations share their rows' chunks with them (started once per process)
  await engine.rowThreadsReady();
  // ---- stage 1: θ (or ψ), with β from PIRLS ----------------------------------------------
  // lme4's start: θ for stage 1 (θ_int of it: src/model/reparam.ts), β for stage 2
  const start = startOf(model, options.start, nAGQ);
  const v0 = start.theta ? vp.fromTheta(start.theta) : vp.start;
  // the first PIRLS, at the starting θ, must succeed: its failure is the user's to see
  await e.runOpt(thetaAt(v0), null);
  const s1 = { ...stage1Objective(e, nAGQ === 0), start: v0 };
  const s1p = penalty ? withPenalty(s1, (x) => penalty.stage1(thetaToOriginal(model, thetaAt(x)))) : s1;
  let best1 = Infinity;
  const report1 = (v: Float64Array, f: number) => {
    if (f < best1) best1 = f;
    progress(1, thetaAt(v), s1.beta(), f, best1);
  };
  /** the stage-1 record, from its optimum and the engine that produced it */
  const stage1Of = async (opt: Optimum) => {
    timings.stage1Ms = opt.optimizeMs;
    if (!Number.isFinite(opt.fval)) throw e.noFiniteValue('first');
    let eng = opt.gpu ? engine : e.optEngine;
    const theta = thetaAt(opt.x);
    try {
      await (opt.gpu ? e.run(theta, null) : e.runOpt(theta, null));
    } catch (err) {
      // the device lost here: β from the float64 engine
      if (!(err instanceof DeviceLostError)) throw err;
      eng = engine;
      e.run(theta, null);
    }
    const beta = Float64Array.from(eng.beta);
    const objective = penalty ? opt.fval - penalty.stage1(thetaToOriginal(model, theta)) : opt.fval;
    return { theta: thetaToOriginal(model, theta), beta, objective, feval: opt.feval, converged: opt.converged, message: opt.message };
  };
  if (nAGQ === 0) {
    return fitObjective(s1p, optimizerSettings(options.optimizer, STAGE1_FINAL), evaluations, async (opt) => {
      const stage1 = await stage1Of(opt);
      return assemble({ theta: thetaAt(opt.x), variance: Float64Array.from(opt.x), beta: stage1.beta, objective: stage1.objective, optimum: opt, stage1, feval2: 0 });
    }, report1);
  }
  // lme4's glmerControl(optimizer = one name) runs both stages with it: stage 1 takes the method too
  const method = options.optimizer?.method;
  const opt1 = await optimizeObjective(s1p, method ? { ...STAGE1_START, method } : STAGE1_START, evaluations, report1);
  messages.push(...opt1.messages);
  const stage1 = await stage1Of(opt1);
  // the device's round trips of stage 1 (its evaluations and β at its optimum): stage 2's are the rest
  if (e.device) {
    const t = e.device.passTimings();
    timings.gpuPassesStage1 = t.passes;
    if (t.roundTrips !== undefined) timings.gpuRoundTripsStage1 = t.roundTrips;
  }

  // ---- stage 2: θ and β together ---------------------------------------------------------
  const tS2 = performance.now();
  const before = evaluations.count;
  let best2 = Infinity;
  /** stage 2's objective, scaled: θ to unit curvature at stage 1's optimum (src/optim/scaling.ts) */
  const setUp2 = async () => {
    const { RX } = await e.fixedEffectsFactor(thetaAt(opt1.x));
    const s2 = stage2Objective(e, opt1.x, stage1.beta, RX, rule, start.fixef ?? undefined);
    const penalized = penalty ? withPenalty(s2.objective, (x) => penalty.stage2(thetaToOriginal(model, s2.theta(x)), s2.beta(x))) : s2.objective;
    // a device optimum is polished by Newton steps on glmer's Hessian stencil in lme4's (θ, β) (with
    // structures (ψ, β)), whose last one, at the optimum, is the fit's Hessian for Var(β̂) (assemble.ts reuses it)
    const obj2: Objective = penalized.f64 && (options.vcov ?? 'hessian') === 'hessian' ? {
      ...penalized,
      stencil: {
        toZ: (x) => {
          const z = new Float64Array(x.length);
          z.set(vp.reported(s2.variance(x)));
          z.set(s2.beta(x), nv);
          return z;
        },
        fromZ: (z) => s2.x(vp.fromReported(z.subarray(0, nv)), z.subarray(nv)),
        f64: hessianObjective(e, rule, penalty && ((theta, beta) => penalty.stage2(theta, beta))),
        derivatives: hessianStencil,
      },
    } : penalized;
    const report2 = (x: Float64Array, f: number) => {
      if (f < best2) best2 = f;
      progress(2, s2.theta(x), s2.beta(x), f, best2);
    };
    const f2 = evaluations.wrap(obj2.evaluate, report2);
    const x0 = s2.objective.start;
    const f0 = await f2(x0);
    // θ's scales, or a structure's ψ's (s2.scaleTheta: the optimizer's s ⊙ ψ)
    s2.scaleTheta(await curvatureScales(f2, x0, f0, Array.from({ length: nv }, (_, k) => k), s2.objective.lower));
    // the device's final radius (unless the caller set one): the polish settles the optimum
    const deviceRhoend = options.optimizer?.rhoend === undefined && stencilPolishes(obj2) ? STAGE2_DEVICE_RHOEND : undefined;
    return { s2, obj2: deviceRhoend ? { ...obj2, deviceRhoend } : obj2, report2 };
  };
  let stage2: Awaited<ReturnType<typeof setUp2>>;
  try {
    stage2 = await setUp2();
  } catch (err) {
    // the device lost while stage 2 was set up: set it up again on the CPU (e.lost is set)
    if (!(err instanceof DeviceLostError)) throw err;
    messages.push(`${err.message} while stage 2 was set up: the fit continued on the CPU in float64 from stage 1's optimum`);
    stage2 = await setUp2();
  }
  const { s2, obj2, report2 } = stage2;
  const scaleEvals = evaluations.count - before;
  const scaleMs = performance.now() - tS2;
  return fitObjective(obj2, optimizerSettings(options.optimizer, STAGE2), evaluations, (opt) => {
    timings.stage2Ms = scaleMs + opt.optimizeMs;
    if (!Number.isFinite(opt.fval)) {
      // adaptive quadrature: the deviance at the nodes ũ_g + z_k / L_gg, where μ may leave the family's
      // range (the binomial's log link: μ = exp(η) > 1); lme4 1.1-31 returns logLik = -Inf there
      // (test/oracle/links_agq.R, cbpp at nAGQ = 9)
      if (rule && !e.lastError) {
        throw new FitError(`the second stage of the fit found no finite deviance: the adaptive quadrature's deviance (nAGQ = ${nAGQ}) is not finite, as the family's mean at a quadrature node leaves its range (e.g. μ = exp(η) > 1 with the binomial family's log link; lme4 1.1-31 reports logLik = -Inf there); use fewer nodes, nAGQ = 1 (the Laplace approximation) or another link`);
      }
      throw e.noFiniteValue('second');
    }
    return assemble({ theta: s2.theta(opt.x), variance: s2.variance(opt.x), beta: s2.beta(opt.x), objective: opt.fval, optimum: opt, stage1, feval2: opt.feval + scaleEvals });
  }, report2);
}
