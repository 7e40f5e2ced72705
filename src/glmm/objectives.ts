/**
 * glmer's two objectives (src/model/objective.ts), each evaluated by PIRLS at every point:
 *
 *   stage 1 (nAGQ = 0 deviance): x = θ_int, with u and β from PIRLS, f = log|L|² + ‖ũ‖² + aic;
 *   stage 2 (nAGQ ≥ 1): x = (θ_int, δ) with β = β̂₁ + R_X⁻¹ δ, u from PIRLS with β fixed, and f
 *           the Laplace (nAGQ = 1) or adaptive Gauss–Hermite (nAGQ > 1) deviance.
 * With glmmTMB's covariance structures θ_int is θ_int(ψ), x's variance part the structures' ψ
 * (src/glmm/structured.ts: GlmmEngines.variance), and the objective +∞ where Σ(ψ) is not positive definite.
 *
 * In stage 2, β is searched in the coordinates δ = R_X (β − β̂₁) of stage 1's fixed-effects factor
 * (β̂₁'s approximate standard errors become unit steps), which makes the trust region round, and the
 * optimizer sees θ scaled to unit curvature, s ⊙ θ_int (s from src/optim/scaling.ts at stage 1's
 * optimum, the θ problem's scales).
 *
 * Both objectives carry their θ's covariance factors (`thetaProblem`), so that the fit driver runs
 * the θ optimizer (src/optim/thetaOptimizer.ts): where a factor's diagonal entry ends at its bound 0,
 * the Cholesky parametrization has other factors of the same Σ from which a descent leaves the
 * boundary, and BOBYQA restarts from there (as lmer's fits do). Without it, `cbind(s, f) ~ x + (x | g)`
 * (test/randomGlmms.test.ts, g080) stopped at θ_int = (0, 0, 0.50), −2ℓ 0.92 above glmer's optimum
 * at θ_int ≈ (0.032, −0.50, 0): the same rank-one Σ direction is reached from there only through the
 * column T₀₀ = 0 pointing the other way.
 *
 * Each objective runs on the optimizing engine (the device's PIRLS when a backend provides one) and,
 * when that is not float64, has the float64 engine's value as `f64`. A PIRLS failure at a point is
 * an objective of +∞ there; the last one is kept to explain a stage that found no finite value.
 */
import { DeviceLostError, FitError } from '../errors/errors.js';
import { solveLowerT } from '../linalg/dense.js';
import { type BackendInfo, CPU_FLOAT64, type Objective } from '../model/objective.js';
import { termFactors } from '../lmm/thetaProblem.js';
import type { ThetaProblem } from '../optim/thetaOptimizer.js';
import type { GlmmModel } from './model.js';
import { PirlsError, type PirlsEngine, type PirlsResult } from './pirls.js';
import type { GHRule } from './rmath.js';
import { type VarianceParameters, glmmVarianceParameters } from './structured.js';

/** A backend's PIRLS for a GLMM (src/backend/webgpu/glmmSide.ts): its engine, what to report, its resources. */
export interface GlmmDevice {
  /** the PIRLS engine on the device's passes */
  engine: PirlsEngine;
  /** `run` (the engine's work on the device), a lost device rejecting with a DeviceLostError */
  guard<T>(run: () => Promise<T>): Promise<T>;
  /** where and in what precision the engine's passes run */
  backend: BackendInfo;
  /** the passes' totals, for the fit's timings (roundTrips: the host's waits for the device) */
  passTimings(): { passes: number; passMs: number; finishMs: number; groupFactors?: number; roundTrips?: number };
  /** time spent setting the passes up (their data and tasks) */
  setupMs: number;
  dispose(): void;
}

/** Where a GLMM's PIRLS work runs on the WebGPU backend. */
export interface GlmmGpuOptions {
  /**
   * evaluate each PIRLS state in the shaders — η, μ, the weights, the working residual and the
   * deviance per row (default true). false: those are computed on the CPU in float64 and w and z
   * are uploaded at each iteration (the cross-products stay on the GPU).
   */
  gpuReweight?: boolean;
  /**
   * the per-group updates of PIRLS (per-group Cholesky factors and the solve for u) in the shaders
   * too, for the first grouping factor (any q and p within the adapter's buffer limits; with several
   * factors the others' blocks and the step on the CPU in float64) and nAGQ ≤ 1. Default: true, except
   * for several grouping factors on a software adapter (measured slower there); false: on the CPU in
   * float64 from the GPU's weighted cross-products.
   */
  gpuGroups?: boolean;
}

/** The engines of a fit and the PIRLS runs its objectives make. */
export class GlmmEngines {
  readonly model: GlmmModel;
  /** the float64 engine (the CPU pass): the check and polish, the Hessian, the fit at the optimum */
  readonly engine: PirlsEngine;
  /** the optimizer's variance parameters: θ_int, or the covariance structures' ψ (structured.ts) */
  readonly variance: VarianceParameters;
  /** the last PIRLS failure met by an objective (whose value there was +∞) */
  lastError: PirlsError | null = null;
  /** the device's loss, once a device run met it: from then on every run is the float64 engine's */
  lost: DeviceLostError | null = null;
  private readonly gpu?: GlmmDevice;
  private readonly pirlsOptions: { maxIter?: number };

  constructor(model: GlmmModel, engine: PirlsEngine, device: GlmmDevice | undefined, pirlsMaxIter: number | undefined) {
    this.model = model;
    this.engine = engine;
    this.variance = glmmVarianceParameters(model);
    this.gpu = device;
    this.pirlsOptions = { maxIter: pirlsMaxIter };
  }

  /** the device the optimizer runs on (none once it is lost) */
  get device(): GlmmDevice | undefined {
    return this.lost ? undefined : this.gpu;
  }

  /** the engine the optimizer runs on: the device's, or the float64 one */
  get optEngine(): PirlsEngine {
    return this.device?.engine ?? this.engine;
  }

  /** where the optimizer's evaluations run */
  get backend(): BackendInfo {
    return this.device?.backend ?? CPU_FLOAT64;
  }

  /** `run` on the device, a loss recorded (`lost`) and rethrown as the DeviceLostError */
  onDevice<T>(d: GlmmDevice, run: () => Promise<T>): Promise<T> {
    return d.guard(run).catch((err: unknown) => {
      if (err instanceof DeviceLostError) this.lost ??= err;
      throw err;
    });
  }

  /** PIRLS at θ (β free when `beta` is null) on the optimizing engine: asynchronous on a device */
  runOpt(theta: ArrayLike<number>, beta: ArrayLike<number> | null): PirlsResult | Promise<PirlsResult> {
    const d = this.device;
    return d ? this.onDevice(d, () => d.engine.runAsync(theta, beta, this.pirlsOptions)) : this.run(theta, beta);
  }

  /** R_X at θ on the optimizing engine (the float64 one's when the device is lost on the way) */
  async fixedEffectsFactor(theta: Float64Array): Promise<{ RX: Float64Array }> {
    const d = this.device;
    if (d) {
      try {
        return await this.onDevice(d, () => d.engine.fixedEffectsFactorAsync(theta));
      } catch (err) {
        if (!(err instanceof DeviceLostError)) throw err;
      }
    }
    return this.engine.asyncPasses ? this.engine.fixedEffectsFactorAsync(theta) : this.engine.fixedEffectsFactor(theta);
  }

  /**
   * PIRLS at θ on the float64 engine: synchronous on the rows in memory, asynchronous on an
   * engine's float64 passes (the rows in DuckDB or a file, src/gram/glmm.ts)
   */
  run(theta: ArrayLike<number>, beta: ArrayLike<number> | null): PirlsResult | Promise<PirlsResult> {
    return this.engine.asyncPasses ? this.engine.runAsync(theta, beta, this.pirlsOptions) : this.engine.run(theta, beta, this.pirlsOptions);
  }

  /** R_X and (R_XᵀR_X)⁻¹ at θ on the float64 engine */
  fixedEffectsFactorF64(theta: ArrayLike<number>): Promise<{ RX: Float64Array; unsc: Float64Array }> {
    return this.engine.asyncPasses ? this.engine.fixedEffectsFactorAsync(theta) : Promise.resolve(this.engine.fixedEffectsFactor(theta));
  }

  /**
   * value(PIRLS's result) of a run, with a PIRLS failure as `failed` (+∞, or NaN for the Hessian);
   * synchronous where the run is.
   */
  value(run: () => PirlsResult | Promise<PirlsResult>, value: (r: PirlsResult) => number | Promise<number>, failed = Infinity): number | Promise<number> {
    const fail = (e: unknown): number => {
      if (!(e instanceof PirlsError)) throw e;
      this.lastError = e;
      return failed;
    };
    let r: PirlsResult | Promise<PirlsResult>;
    try {
      r = run();
    } catch (e) {
      return fail(e);
    }
    return r instanceof Promise ? r.then(value, fail) : value(r);
  }

  /** The error for a stage that found no finite deviance. */
  noFiniteValue(stage: string): Error {
    return this.lastError ?? new FitError(`the ${stage} stage of the fit found no finite deviance`);
  }
}

/**
 * Stage 1's objective in the variance parameters v (θ_int, or the structures' ψ: +∞ where θ(ψ) is
 * undefined); `beta()` is β̂ of the last evaluation (for progress reports).
 */
export function stage1Objective(e: GlmmEngines, checked: boolean): Objective & { beta(): Float64Array } {
  const vp = e.variance;
  let last = e.optEngine;
  const at = (v: Float64Array, run: (theta: Float64Array) => number | Promise<number>) => {
    const theta = vp.thetaInternal(v);
    return theta ? run(theta) : Infinity;
  };
  return {
    start: vp.start,
    lower: vp.lower,
    upper: new Float64Array(vp.length).fill(Infinity),
    // the θ optimizer's restarts off a singular factor work in θ itself: not with structures
    ...(vp.covariance ? {} : { thetaProblem: { lower: vp.lower, factors: termFactors(e.model.blocks), scales: new Float64Array(vp.length).fill(1) } }),
    evaluate: (v) => {
      last = e.optEngine;
      return at(v, (theta) => e.value(() => e.runOpt(theta, null), (r) => r.laplace));
    },
    backend: e.backend,
    ...(e.device ? {
      // the float64 objective: the check and polish of a final stage 1 (nAGQ = 0), and the CPU's
      // objective after a device loss
      [checked ? 'f64' : 'fallback']: (v: Float64Array) => {
        last = e.engine;
        return at(v, (theta) => e.value(() => e.run(theta, null), (r) => r.laplace) as number);
      },
    } : {}),
    ...(vp.covariance ? { thetaOf: (v: Float64Array) => vp.thetaInternal(v) ?? new Float64Array(e.model.theta.length).fill(NaN) } : {}),
    beta: () => Float64Array.from(last.beta),
  };
}

/** Stage 2's objective and the maps from its variables to θ_int and β. */
export interface Stage2 {
  objective: Objective;
  /** sets the scales s of θ in the optimizer's variables s ⊙ θ_int (1 until then): the θ problem's scales; with structures, of ψ (s ⊙ ψ) */
  scaleTheta(s: Float64Array): void;
  /** θ_int of x (NaN where a structure's θ(ψ) is undefined) */
  theta(x: Float64Array): Float64Array;
  /** the variance parameters v of x (θ_int, or the structures' ψ) */
  variance(x: Float64Array): Float64Array;
  /** β of x: β̂₁ + R_X⁻¹ δ */
  beta(x: Float64Array): Float64Array<ArrayBuffer>;
  /** x of v and β: (v, R_X (β − β̂₁)) */
  x(v: ArrayLike<number>, beta: ArrayLike<number>): Float64Array;
}

/**
 * Stage 2's objective from stage 1's optimum v̂₁ (θ_int, or the structures' ψ), β̂₁ and its fixed-effects factor R_X (p × p
 * upper, row-major); `rule` for adaptive Gauss–Hermite quadrature (nAGQ > 1), else Laplace. It starts
 * at (θ̂₁, β̂₁), or at (θ̂₁, `betaStart`) for a start with fixed effects (lme4 1.1-31's glmer: stage 2
 * from stage 1's θ and start$fixef, updateStart).
 */
export function stage2Objective(e: GlmmEngines, theta1: Float64Array, beta1: Float64Array, RX: Float64Array, rule: GHRule | null, betaStart?: Float64Array): Stage2 {
  const vp = e.variance;
  const nth = vp.length;
  const p = e.model.frame.p;
  const LX = new Float64Array(p * p); // R_Xᵀ, lower
  for (let r = 0; r < p; r++) for (let s = 0; s <= r; s++) LX[r * p + s] = RX[s * p + r];
  const beta = (x: Float64Array): Float64Array<ArrayBuffer> => {
    const d = Float64Array.from(x.subarray(nth));
    solveLowerT(LX, p, d);
    for (let j = 0; j < p; j++) d[j] += beta1[j];
    return d;
  };
  // with structures the optimizer sees ψ scaled to unit curvature, s ⊙ ψ (`scaleTheta`; 1 until then):
  // the θ optimizer's scaling, which works on θ's factors, does not apply to ψ
  const psiScale = new Float64Array(nth).fill(1);
  const variance = (x: Float64Array) => {
    const v = Float64Array.from(x.subarray(0, nth));
    for (let k = 0; k < nth; k++) v[k] /= psiScale[k];
    return v;
  };
  const thetaOrNull = (x: Float64Array) => vp.thetaInternal(variance(x));
  const theta = (x: Float64Array) => thetaOrNull(x) ?? new Float64Array(e.model.theta.length).fill(NaN);
  const at = (x: Float64Array, run: (theta: Float64Array) => number | Promise<number>) => {
    const t = thetaOrNull(x);
    return t ? run(t) : Infinity;
  };
  // the AGQ deviance: on the device's engine its rows term runs on the device (agqAsync), on an
  // engine's float64 passes in one more pass there (agqValue)
  const deviance = (eng: PirlsEngine) => (r: PirlsResult) => (rule ? eng.agqValue(rule) : r.laplace);
  const devianceOpt = (eng: PirlsEngine) => (r: PirlsResult): number | Promise<number> => {
    const d = e.device;
    return rule && d && eng === d.engine ? e.onDevice(d, () => eng.agqAsync(rule)) : deviance(eng)(r);
  };
  const start = new Float64Array(nth + p);
  start.set(theta1);
  const lower = new Float64Array(nth + p).fill(-Infinity);
  lower.set(vp.lower);
  // θ's factors index x's first nth entries; δ's variables are free and unscaled (with structures
  // x's first entries are s ⊙ ψ: no θ problem, a plain BOBYQA on the scaled ψ)
  const thetaProblem: ThetaProblem = { lower, factors: termFactors(e.model.blocks), scales: new Float64Array(nth + p).fill(1) };
  const objective: Objective = {
    start,
    lower,
    upper: new Float64Array(nth + p).fill(Infinity),
    ...(vp.covariance ? {} : { thetaProblem }),
    evaluate: (x) => at(x, (t) => e.value(() => e.runOpt(t, beta(x)), devianceOpt(e.optEngine))),
    backend: e.backend,
    ...(e.device ? { f64: (x: Float64Array) => at(x, (t) => e.value(() => e.run(t, beta(x)), deviance(e.engine))) as number } : {}),
    thetaOf: theta,
  };
  const x = (th: ArrayLike<number>, b: ArrayLike<number>) => {
    const out = new Float64Array(nth + p);
    for (let k = 0; k < nth; k++) out[k] = th[k] * psiScale[k];
    // δ = R_X (β − β̂₁), R_X = LXᵀ
    for (let r = 0; r < p; r++) {
      let acc = 0;
      for (let c = r; c < p; c++) acc += LX[c * p + r] * (b[c] - beta1[c]);
      out[nth + r] = acc;
    }
    return out;
  };
  // x₀ = (θ̂₁, R_X (β₀ − β̂₁)): δ = 0 unless β₀ is given
  if (betaStart) start.set(x(theta1, betaStart));
  return {
    objective, theta, beta, x, variance,
    scaleTheta(s) {
      if (vp.covariance) {
        // x's ψ part becomes s ⊙ ψ: the start (and any later x) in the new coordinates
        for (let k = 0; k < nth; k++) { start[k] *= s[k] / psiScale[k]; psiScale[k] = s[k]; }
        return;
      }
      thetaProblem.scales.set(s.subarray(0, nth));
    },
  };
}
