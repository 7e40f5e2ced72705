/**
 * Stage: a GLMM's fit at its optimum (lme4's mkMerMod for glmer): PIRLS at (θ̂, β̂) on the float64
 * engine for the conditional modes, μ̂ and the conditional variances; Var(β̂) from the
 * finite-difference Hessian of the deviance in (θ, β) (glmer's default; hessian.ts) or from R_X; then
 * everything back in lme4's parametrization.
 */
import type { Evaluations } from '../model/control.js';
import type { Optimum } from '../model/fitObjective.js';
import { SINGULAR_MESSAGE, isSingular } from '../model/lambda.js';
import { checkConv, derivsByDefault } from '../model/convergence.js';
import { covariancesToOriginal, modesToOriginal, thetaToOriginal } from '../model/reparam.js';
import { separationWarnings } from './diagnostics.js';
import { GlmmFit, type GlmmFitInit } from './glmmFit.js';
import { hessianVcov } from './hessian.js';
import { deriv12Diagonal } from '../optim/deriv12.js';
import type { GlmmEngines } from './objectives.js';
import type { GHRule } from './rmath.js';
import type { FitAnnotation } from '../results/mixedFit.js';

export interface GlmmOptimum {
  /** θ_int and β at the optimum */
  theta: Float64Array;
  beta: Float64Array;
  /** the optimizer's variance parameters there (θ_int, or the covariance structures' ψ: structured.ts); default θ_int */
  variance?: Float64Array;
  /** the objective there */
  objective: number;
  /** the final stage's optimum (its evaluations, convergence, backend and check) */
  optimum: Optimum;
  stage1: GlmmFitInit['stage1'];
  /** evaluations of stage 2 (θ's scaling, the optimizer, the check and the polish) */
  feval2: number;
}

export interface GlmmAssembleOptions {
  nAGQ: number;
  rule: GHRule | null;
  vcov?: 'hessian' | 'RX';
  /** lme4's convergence checks on the Hessian stencil (GlmmFitOptions.calcDerivs) */
  calcDerivs?: boolean;
  /** the Hessian's evaluations are reported as stage 3 */
  onStage3?: (theta: Float64Array, beta: Float64Array, f: number, best: number) => void;
  dataName?: string;
  /** the optimizer's name (default 'bobyqa') */
  optimizer?: string;
  /** a penalty on the objective (lme4's θ and β): its Hessian is the penalized objective's (glmm/fit.ts GlmmPenalty) */
  penalty?: (theta: Float64Array, beta: Float64Array) => number;
  /** the fit's record beyond lme4's (a prior's) */
  annotation?: (theta: Float64Array, beta: Float64Array) => FitAnnotation;
}

/**
 * The deviance (plus the penalty, as bglmer's) in lme4's coordinates (θ, β) — with covariance
 * structures in (ψ, β) (structured.ts `reported`) —, by PIRLS on the float64 engine: the function
 * whose central differences give glmer's Hessian (NaN where PIRLS fails or θ(ψ) is undefined).
 */
export function hessianObjective(e: GlmmEngines, rule: GHRule | null, penalty?: (theta: Float64Array, beta: Float64Array) => number): (z: Float64Array) => number {
  const f = hessianEvaluation(e, rule, penalty);
  return (z) => {
    const v = f(z);
    if (v instanceof Promise) throw new Error('internal: a synchronous Hessian objective on an engine\'s asynchronous passes');
    return v;
  };
}

/** hessianObjective, asynchronous where the float64 engine's passes are (an engine's, the rows not in memory) */
export function hessianEvaluation(e: GlmmEngines, rule: GHRule | null, penalty?: (theta: Float64Array, beta: Float64Array) => number): (z: Float64Array) => number | Promise<number> {
  const { engine } = e;
  const nth = e.variance.length;
  return (z) => {
    const theta = e.variance.thetaInternalOfReported(z.subarray(0, nth));
    if (!theta) return NaN;
    const add = (v: number) => (penalty ? v + penalty(Float64Array.from(z.subarray(0, nth)), Float64Array.from(z.subarray(nth))) : v);
    // asynchronous on an engine's passes (the rows not in memory), synchronous on the rows
    const v = e.value(() => e.run(theta, z.subarray(nth)), (r) => (rule ? engine.agqValue(rule) : r.laplace), NaN);
    return v instanceof Promise ? v.then(add) : add(v);
  };
}

/**
 * glmer's Hessian stencil at z (f(z) = fz): deriv12's central differences (from its fewer-point
 * stencil, hessian.ts) with no bounds (a negative θ gives the same deviance as |θ| for a scalar term);
 * 'step': its points of the diagonal and the forward half of each pair (the polish's Newton steps).
 */
export function hessianStencil(f: (z: Float64Array) => number | Promise<number>, z: Float64Array, fz: number, accuracy: 'step' | 'fit' = 'fit'): Promise<{ gradient: Float64Array; hessian: Float64Array }> {
  return deriv12Diagonal(f, z, fz, new Float64Array(z.length).fill(-Infinity), 1e-4, accuracy === 'fit' ? 'central' : 'forward');
}

/** z and x are the same point up to the rounding of the maps between the optimizer's coordinates and lme4's. */
function samepoint(z: Float64Array, x: Float64Array): boolean {
  return z.length === x.length && z.every((v, i) => Math.abs(v - x[i]) <= 1e-12 * Math.max(1, Math.abs(v)));
}

export async function assembleGlmm(
  e: GlmmEngines, at: GlmmOptimum, options: GlmmAssembleOptions, evaluations: Evaluations,
  messages: string[], timings: Record<string, number>, t0: number,
): Promise<GlmmFit> {
  const { model, engine } = e;
  // the Hessian's variance coordinates: lme4's θ, or the structures' ψ
  const nth = e.variance.length;
  const p = model.frame.p;
  const { nAGQ, rule } = options;
  const theta = at.theta;
  let beta = at.beta;
  let objective = at.objective;
  const tA = performance.now();
  let final;
  if (nAGQ === 0) {
    final = await e.run(theta, null);
    beta = Float64Array.from(engine.beta);
  } else {
    final = await e.run(theta, beta);
    objective = rule ? await engine.agqValue(rule) : final.laplace;
  }
  // η and μ of the state (a run by levels, or a device's, leaves them behind)
  engine.syncRows();
  const state = {
    u: engine.u.map((u) => Float64Array.from(u)),
    b: engine.conditionalModes(),
    eta: Float64Array.from(engine.eta),
    mu: Float64Array.from(engine.mu),
    condVar: engine.conditionalVariances(),
  };
  const { unsc } = await e.fixedEffectsFactorF64(theta);
  // σ̂ of a family with a scale (lme4's mkMerMod: sigmaML = √(pwrss/n), pwrss = wrss + ‖ũ‖² with
  // wrss = Σ wt (y − μ̂)²/V(μ̂), the Pearson sum of lmResp's wtres); it scales the conditional variances
  // (lme4's ranef(condVar) multiplies by sigma²) and the RX Var(β̂) (vcov.merMod: sigma² unsc)
  let sigma = 1;
  if (model.family.hasScale) {
    const { y, weights, n } = model.pirls;
    let wrss = 0;
    for (let i = 0; i < n; i++) { const r = y[i] - state.mu[i]; wrss += (weights[i] * r * r) / model.family.variance(state.mu[i]); }
    sigma = Math.sqrt((wrss + final.sqrU) / n);
    const s2 = sigma * sigma;
    for (const V of state.condVar) for (let j = 0; j < V.length; j++) V[j] *= s2;
  }
  timings.assembleMs = performance.now() - tA;

  // ---- Var(β̂) ------------------------------------------------------------------------------
  let vcov = sigma === 1 ? unsc : unsc.map((v) => v * sigma * sigma);
  let vcovMethod: 'hessian' | 'RX' = 'RX';
  let hessian: Float64Array | null = null;
  let gradient: Float64Array | null = null;
  if ((options.vcov ?? 'hessian') === 'hessian' && nAGQ > 0) {
    const tH = performance.now();
    const saved = engine.saveState();
    // in lme4's coordinates (θ, β), as its deriv12; with covariance structures in (ψ, β), the
    // structure's parameters (glmmTMB's Hessian of the Laplace deviance: canonical links only)
    const x = new Float64Array(nth + p);
    x.set(e.variance.reported(at.variance ?? theta));
    x.set(beta, nth);
    // the float64 polish's last stencil where it was taken at this optimum (stencilPolish: the same
    // deriv12 stencil of the same objective), else deriv12's differences at the optimum now
    const reuse = at.optimum.stencil;
    let d: { gradient: Float64Array; hessian: Float64Array };
    if (reuse && samepoint(reuse.z, x)) {
      d = { gradient: reuse.gradient, hessian: reuse.hessian };
    } else {
      const pen = options.penalty;
      const at0 = pen ? objective + pen(thetaToOriginal(model, theta), beta) : objective;
      let bestH = at0;
      const fH = evaluations.wrap(hessianEvaluation(e, rule, pen), (xx, v) => {
        if (v < bestH) bestH = v;
        // progress reports lme4's θ (from ψ with structures)
        const th = e.variance.covariance ? e.variance.thetaInternalOfReported(xx.subarray(0, nth)) : null;
        options.onStage3?.(th ? thetaToOriginal(model, th) : Float64Array.from(xx.subarray(0, nth)), Float64Array.from(xx.subarray(nth)), v, bestH);
      });
      d = await hessianStencil(fH, x, at0);
    }
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
    timings.hessianMs = performance.now() - tH;
  }
  // restore the state at the optimum (the Hessian moved it)
  await (nAGQ === 0 ? e.run(theta, null) : e.run(theta, beta));

  // back to lme4's parametrization: θ, b = M b_int, Var(b) = M Var(b_int) Mᵀ
  const thetaOrig = thetaToOriginal(model, theta);
  state.b.forEach((b, k) => modesToOriginal(b, model.blocks[k].q, model.transforms[k]));
  state.condVar.forEach((V, k) => covariancesToOriginal(V, model.blocks[k].q, model.transforms[k]));
  const singular = isSingular(model.theta, thetaOrig);
  if (singular) messages.push(SINGULAR_MESSAGE);
  // lme4's convergence checks on the stencil's gradient and Hessian in (θ, β) (not on a singular fit)
  const checked = !singular && hessian && gradient && (options.calcDerivs ?? derivsByDefault(model.frame.n, nth, true));
  const convergence = checked ? checkConv({ gradient: gradient!, hessian: hessian! }) : null;
  if (convergence) messages.push(...convergence.messages);
  const se = Array.from({ length: p }, (_, j) => Math.sqrt(vcov[j * p + j]));
  messages.push(...separationWarnings(model, state.mu, beta, se));
  timings.totalMs = performance.now() - t0;
  const opt = at.optimum;
  return new GlmmFit({
    model, nAGQ, theta: thetaOrig, thetaInternal: theta, beta, objective, pirls: final, vcov, vcovMethod, unsc, hessian, gradient,
    u: state.u, b: state.b, eta: state.eta, mu: state.mu, condVar: state.condVar,
    stage1: at.stage1, feval: evaluations.count, feval2: at.feval2, converged: opt.converged, optimizerMessage: opt.message, optimizer: options.optimizer,
    singular, messages, timings, dataName: options.dataName, backend: opt.backend, gpu: opt.gpu, sigma, convergence,
    ...(options.annotation ? { annotation: options.annotation(thetaOrig, beta) } : {}),
  });
}
