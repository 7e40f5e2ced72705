/**
 * The objective a fit minimizes, as the optimizer and the fit driver (fitObjective.ts) see it, for
 * lmer and glmer alike: a function of the optimizer's variables x with a start and box bounds.
 *
 *   lmer:          x = θ_int, the profiled deviance or REML criterion (src/lmm/deviance.ts);
 *   glmer stage 1: x = θ_int, the nAGQ = 0 deviance with β from PIRLS (src/glmm/objectives.ts);
 *   glmer stage 2: x = (θ_int scaled, δ = R_X (β − β̂₁)), the Laplace or AGQ deviance.
 *
 * A backend plugs in here: `evaluate` runs where the backend runs (a promise when a device computes
 * it), and when its arithmetic is not float64, `f64` is the same objective in float64 on the CPU,
 * against which the fit checks the optimum and polishes it (DESIGN.md's GPU numerics policy).
 * Every change of what is minimized — a penalty on θ (priors), a fixed residual σ (meta-analysis),
 * another source of the Gram matrix — is a different Objective, never a different fitter.
 */
import type { ThetaProblem } from '../optim/thetaOptimizer.js';

/** Where an objective is evaluated and in what arithmetic. */
export interface BackendInfo {
  /** 'cpu' or 'webgpu' */
  name: string;
  /** the device that computes (the CPU, or the GPU adapter) */
  device: string;
  /** 'float64', 'float32', or for a polished fit `float32 (webgpu) polished in float64` */
  precision: string;
}

export interface Objective {
  /** the optimizer's starting point */
  start: Float64Array;
  /** other starting points the θ optimizer weighs against `start` (its `candidates`) */
  startCandidates?: Float64Array[];
  /** the θ optimizer's first initial radius when one of them is lowest (its `candidateRhobeg`) */
  candidateRhobeg?: number;
  /** box bounds (−∞ / +∞ where none) */
  lower: Float64Array;
  upper: Float64Array;
  /** the objective at x; a promise where a device computes it. +∞ where it is not defined. */
  evaluate(x: Float64Array): number | Promise<number>;
  /** where `evaluate` runs and its precision ('float64' or 'float32') */
  backend: BackendInfo;
  /** the same objective in float64, when `evaluate` is not: the optimum is checked and polished against it */
  f64?: (x: Float64Array) => number;
  /**
   * the float64 CPU objective the fit continues on when the device is lost mid-fit (`evaluate`
   * rejects with a DeviceLostError; default `f64`): see src/model/fitObjective.ts
   */
  fallback?: (x: Float64Array) => number;
  /** the internal θ in x (for the check's largest |Δθ|; default x itself) */
  thetaOf?: (x: Float64Array) => Float64Array;
  /**
   * x is θ of covariance factors with this structure: the optimizer then scales θ by its Z columns'
   * sizes and restarts from the boundary of the Cholesky parametrization (src/optim/thetaOptimizer.ts);
   * without it, a plain BOBYQA on x within the bounds
   */
  thetaProblem?: ThetaProblem;
  /**
   * the float64 polish by Newton steps on central-difference stencils in the fit's own coordinates
   * (a GLMM's lme4 (θ, β), whose Hessian at the optimum is its Var(β̂)): the last stencil, taken at
   * the polished optimum, goes with the optimum (`Optimum.derivatives`) for the fit to reuse
   */
  stencil?: PolishStencil;
  /**
   * the final trust-region radius of the optimizer on `evaluate` when it is not float64 and the
   * stencil polish follows (fitObjective.ts stencilPolishes): that polish settles the optimum in
   * float64, so the device's optimizer stops where its objective's noise hides further progress (a
   * GLMM's stage 2, src/glmm/fit.ts); at least the settings' rhoend
   */
  deviceRhoend?: number;
}

/** Coordinates z of the optimizer's x in which the float64 polish takes its stencils (src/model/polish.ts stencilPolish). */
export interface PolishStencil {
  toZ(x: Float64Array): Float64Array;
  fromZ(z: Float64Array): Float64Array;
  /** the float64 objective in z (NaN where it is not defined) */
  f64(z: Float64Array): number;
  /**
   * the central-difference gradient and Hessian of f at z (f(z) = fz), from evaluations of f: 'fit' the
   * fit's own stencil (its Hessian at the optimum), 'step' one accurate enough for a Newton step whose
   * points are among the fit's (the polish then completes it where it stops)
   */
  derivatives(f: (z: Float64Array) => number | Promise<number>, z: Float64Array, fz: number, accuracy: 'step' | 'fit'): Promise<{ gradient: Float64Array; hessian: Float64Array }>;
}

/** The stencil at the polished optimum z (x = fromZ(z)): the float64 objective there and its central-difference derivatives. */
export interface StencilAtOptimum {
  z: Float64Array;
  fz: number;
  gradient: Float64Array;
  hessian: Float64Array;
}

/** An objective plus an additive penalty p(x) (e.g. −2 log of a prior on θ), in `evaluate` and `f64` alike. */
export function withPenalty(objective: Objective, penalty: (x: Float64Array) => number): Objective {
  const add = (x: Float64Array, v: number) => v + penalty(x);
  const f64 = objective.f64;
  const fallback = objective.fallback;
  return {
    ...objective,
    evaluate: (x) => {
      const v = objective.evaluate(x);
      return typeof v === 'number' ? add(x, v) : v.then((w) => add(x, w));
    },
    ...(f64 ? { f64: (x: Float64Array) => add(x, f64(x)) } : {}),
    ...(fallback ? { fallback: (x: Float64Array) => add(x, fallback(x)) } : {}),
  };
}

/** Where a fit that lost its device continues: the CPU in float64. */
export const CPU_FLOAT64: BackendInfo = { name: 'cpu', device: 'CPU (JavaScript, float64)', precision: 'float64' };

/** How the optimum of a non-float64 objective compared with float64 there (the fit's `gpuCheck`). */
export interface GpuCheck {
  /** the device objective at its optimum */
  objective: number;
  /** the float64 objective at the device's optimum */
  float64AtGpuOptimum: number;
  /** device − float64 at the device's optimum */
  objectiveError: number;
  /** how much the float64 polish lowered the objective */
  polishImprovement: number;
  /** float64 evaluations of the check and the polish */
  polishEvaluations: number;
  /** largest |Δθ_int| of the polish */
  thetaChange: number;
  /**
   * the Newton polish (src/model/polish.ts), when tried: whether it converged (else BOBYQA polished
   * from its best point), why, its steps and evaluations (device ones for the Hessian, float64 ones)
   */
  newton?: { ok: boolean; reason: string; steps: number; hessian?: 'device' | 'float64' | 'stencil'; deviceEvaluations: number; f64Evaluations: number };
}
