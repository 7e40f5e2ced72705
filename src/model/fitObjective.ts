/**
 * The one fit driver (lme4's optimizeLmer / optimizeGlmer, then mkMerMod), for every objective:
 *
 *   optimize (BOBYQA on `evaluate`, wherever it runs; for θ of covariance factors, the θ optimizer:
 *     scaled θ, restarts from the boundary and from a singular Σ (./covarianceDescent.ts), lme4's
 *     boundary snap — src/optim/thetaOptimizer.ts)
 *   → check: for an objective that is not float64, its float64 value at the optimum
 *   → polish: for an objective with a stencil (a GLMM whose Var(β̂) is its Hessian), Newton steps
 *     on that stencil (polish.ts stencilPolish: the last stencil, at the optimum, goes with it for
 *     the fit to reuse); otherwise Newton steps in float64 with the device's Hessian (src/model/polish.ts: n + 1
 *     float64 evaluations the first step, 2n + 1 the next) where they are expected to cost less
 *     than a BOBYQA run and the optimum is away from the bounds; otherwise, or when the Newton
 *     model fails, a short float64
 *     BOBYQA run (initial radius POLISH_RHOBEG); when the polish gains far more than the device
 *     objective's error, the device optimizer stalled (not an arithmetic error): optimize again in
 *     float64 from the polished point with the full initial radius
 *   → assemble: the model's fit at the optimum (src/lmm/assemble.ts, src/glmm/assemble.ts).
 *
 * Device loss: when the device is lost during the optimization (`evaluate` rejects with a
 * DeviceLostError), the fit optimizes again on the CPU in float64 (`fallback`, default `f64`) from
 * the best point the device reached, with the full initial radius, and says so in its messages: the
 * optimum is the CPU fit's. Lost during the Newton polish, BOBYQA polishes in float64 alone.
 *
 * Every evaluation goes through the fit's Evaluations (src/model/control.ts): counted, reported,
 * refused once the caller's AbortSignal is aborted, with turns for the event loop.
 */
import { bobyqaAsync } from '../optim/bobyqa.js';
import { type OptimizerMethod, minimizerOf } from '../optim/minimizers.js';
import { optimizeTheta } from '../optim/thetaOptimizer.js';
import { FLOAT32_NOISE, FLOAT64_NOISE, covarianceDescent } from './covarianceDescent.js';
import type { MinimizeResult } from '../optim/types.js';
import type { Evaluations } from './control.js';
import { DeviceLostError } from '../errors/errors.js';
import { type BackendInfo, CPU_FLOAT64, type GpuCheck, type Objective, type StencilAtOptimum } from './objective.js';
import { newtonPolish, stencilPolish } from './polish.js';

/** Initial trust-region radius of the float64 polish after a device optimum. */
export const POLISH_RHOBEG = 0.01;

/** BOBYQA's settings for one optimization (the polish uses the same rhoend and maxfun). */
export interface OptimizerSettings {
  /** initial trust-region radius (also the radius of a float64 re-optimization after a stall) */
  rhobeg: number;
  /** final trust-region radius */
  rhoend: number;
  /** evaluation budget */
  maxfun: number;
  /**
   * the minimizer of the optimization (default BOBYQA; src/optim/minimizers.ts): Nelder–Mead or the
   * quasi-Newton take only maxfun; a device optimum's float64 polish is BOBYQA's whatever this is
   */
  method?: OptimizerMethod;
}

/** The settings of the user's `optimizer` option over a stage's defaults. */
export function optimizerSettings(user: Partial<OptimizerSettings> | undefined, defaults: OptimizerSettings): OptimizerSettings {
  const method = user?.method ?? defaults.method;
  return { rhobeg: user?.rhobeg ?? defaults.rhobeg, rhoend: user?.rhoend ?? defaults.rhoend, maxfun: user?.maxfun ?? defaults.maxfun, ...(method ? { method } : {}) };
}

/** Where the optimizer stopped, and how it got there. */
export interface Optimum {
  x: Float64Array;
  fval: number;
  /** evaluations of the optimizer, the check and the polish */
  feval: number;
  converged: boolean;
  /** the optimizer's reason for stopping */
  message: string;
  /** the backend that produced the numbers (a polished device fit says so in its precision) */
  backend: BackendInfo;
  /** for an objective that is not float64: its check and polish */
  gpu?: GpuCheck;
  /** notes for the fit's messages (a float64 re-optimization after a stalled device optimizer) */
  messages: string[];
  /** time of the optimization and of the check and polish */
  optimizeMs: number;
  polishMs: number;
  /** evaluations of the optimization alone */
  optimizerFeval: number;
  /** the objective's stencil (Objective.stencil) at x, when the polish took it there */
  stencil?: StencilAtOptimum;
}

/**
 * Whether the polish of a device optimum of `objective` is stencilPolish (its stencil, n(n + 3)/2 + 2
 * float64 evaluations more than the fit's own stencil at the optimum, against a BOBYQA polish's 5n to
 * 10n from a device optimum, bench/RESULTS.md: glmer's reference cases and glmm200k): while
 * n(n + 3)/2 + 2 ≤ 5n (n ≤ 6).
 */
export function stencilPolishes(objective: Objective): boolean {
  const n = objective.start.length;
  return objective.f64 !== undefined && objective.stencil !== undefined && (n * (n + 3)) / 2 + 2 <= 5 * n;
}

/**
 * Optimize → check → polish: the optimum of `objective` from its start, in float64 (checked and
 * polished there when `objective` is not float64). `evaluations` counts, reports and controls every
 * evaluation; `report(x, f)` is called after each.
 */
export async function optimizeObjective(
  objective: Objective, settings: OptimizerSettings, evaluations: Evaluations, report?: (x: Float64Array, f: number) => void,
): Promise<Optimum> {
  const { lower, upper, thetaProblem } = objective;
  const run = async (
    f: (x: Float64Array) => number | Promise<number>, x0: Float64Array, rhobeg: number, candidates?: Float64Array[], candidateRhobeg?: number, rhoend = settings.rhoend,
    minimize = bobyqaAsync,
  ): Promise<MinimizeResult> => {
    const g = evaluations.wrap(f, report);
    if (!thetaProblem) return minimize(g, x0, { lower, upper, rhobeg, rhoend, maxfun: settings.maxfun });
    // the boundary and singular-Σ checks' noise floor: the device objective's when it is not float64
    const noise = f === onDevice && objective.f64 ? FLOAT32_NOISE : FLOAT64_NOISE;
    const sigmaDescent = covarianceDescent(noise);
    const r = await optimizeTheta(g, thetaProblem, { start: x0, candidates, candidateRhobeg, rhobeg, rhoend, maxfun: settings.maxfun, sigmaDescent, minimize, noise });
    // what happened after the first BOBYQA run (restarts from the boundary, snaps onto it) goes with its message
    return { ...r, message: [r.message, ...r.notes].join('; ') };
  };
  const t0 = performance.now();
  const countAtStart = evaluations.count;
  // the best point the device reached: where the fit continues on the CPU if the device is lost
  let reached: { x: Float64Array; f: number } | null = null;
  const track = (x: Float64Array, v: number): number => {
    if (Number.isFinite(v) && (!reached || v < reached.f)) reached = { x: Float64Array.from(x), f: v };
    return v;
  };
  const onDevice = (x: Float64Array): number | Promise<number> => {
    const v = objective.evaluate(x);
    return typeof v === 'number' ? track(x, v) : v.then((w) => track(x, w));
  };
  const cpu = objective.fallback ?? objective.f64;
  // the optimization's minimizer (the polish below is BOBYQA's)
  const method = minimizerOf(settings.method);
  let res: MinimizeResult;
  // the device optimizer's final radius: its own where the stencil polish settles the optimum
  const stencil = objective.stencil && stencilPolishes(objective) ? objective.stencil : undefined;
  const deviceRhoend = stencil && objective.deviceRhoend ? Math.max(settings.rhoend, objective.deviceRhoend) : settings.rhoend;
  try {
    res = await run(onDevice, objective.start, settings.rhobeg, objective.startCandidates, objective.candidateRhobeg, deviceRhoend, method);
  } catch (e) {
    if (!(e instanceof DeviceLostError) || !cpu) throw e;
    // device loss mid-fit: optimize again in float64 on the CPU from the best point reached
    const before = evaluations.count - countAtStart;
    const from: Float64Array = (reached as { x: Float64Array } | null)?.x ?? objective.start;
    const again = await run(cpu, from, settings.rhobeg, undefined, undefined, settings.rhoend, method);
    return {
      x: again.x, fval: again.fval, feval: evaluations.count - countAtStart, converged: again.converged, message: again.message,
      backend: CPU_FLOAT64, optimizeMs: performance.now() - t0, polishMs: 0, optimizerFeval: again.feval,
      messages: [deviceLostNote(e, before, reached !== null)],
    };
  }
  const optimizeMs = performance.now() - t0;
  const base = {
    feval: res.feval, converged: res.converged, message: res.message, messages: [] as string[],
    optimizeMs, polishMs: 0, optimizerFeval: res.feval,
  };
  const f64 = objective.f64;
  if (!f64 || !Number.isFinite(res.fval)) return { ...base, x: res.x, fval: res.fval, backend: objective.backend };
  // the float64 objective at the device's optimum, then the polish from there
  const tPol = performance.now();
  const before = evaluations.count;
  const atDevice = await evaluations.wrap(f64, report)(res.x);
  const f64Ms = performance.now() - tPol;
  const messages: string[] = [];
  // Newton steps where cheaper than BOBYQA's ~10n float64 evaluations (device evaluations of the
  // Hessian at the optimizer's cost per evaluation)
  const n = res.x.length;
  const deviceMs = optimizeMs / Math.max(1, res.feval);
  const newtonCost = (4 * n + (n * (n - 1)) / 2) * deviceMs + (3 * n + 2) * f64Ms;
  let polish: MinimizeResult;
  let newton: GpuCheck['newton'];
  // the stencil the fit takes at the optimum anyway (a GLMM's Var(β̂), n² + n evaluations): the Newton
  // polish on it where stencilPolishes
  let atOptimum: StencilAtOptimum | undefined;
  if (stencil) {
    const r = await stencilPolish({
      stencil, f64: evaluations.wrap(stencil.f64, report && ((z, v) => report(stencil.fromZ(z), v))), x0: res.x, f64AtX0: atDevice, lower, upper, scales: thetaProblem?.scales,
    });
    newton = { ok: r.ok, reason: r.reason, steps: r.steps, hessian: 'stencil', deviceEvaluations: 0, f64Evaluations: r.f64Evaluations };
    atOptimum = r.atOptimum;
    polish = r.ok
      ? { x: r.x, fval: r.fval, feval: r.f64Evaluations, converged: true, message: `float64 Newton polish on the fit's stencil: ${r.reason} after ${r.steps} step${r.steps === 1 ? '' : 's'}` }
      : await run(f64, r.x, POLISH_RHOBEG);
  } else if (newtonCost < 10 * n * f64Ms) {
    let r: Awaited<ReturnType<typeof newtonPolish>> | null = null;
    try {
      r = await newtonPolish({
        device: evaluations.wrap((x) => objective.evaluate(x)), deviceAtX0: res.fval,
        f64: evaluations.wrap(f64, report), f64AtX0: atDevice, x0: res.x, lower, upper, scales: thetaProblem?.scales,
      });
    } catch (e) {
      // the device lost during the Newton polish's Hessian: BOBYQA polishes in float64 alone
      if (!(e instanceof DeviceLostError)) throw e;
      messages.push(deviceLostNote(e, evaluations.count - countAtStart, true, 'the float64 polish'));
    }
    if (r) newton = { ok: r.ok, reason: r.reason, steps: r.steps, ...(r.hessian ? { hessian: r.hessian } : {}), deviceEvaluations: r.deviceEvaluations, f64Evaluations: r.f64Evaluations };
    polish = r?.ok
      ? { x: r.x, fval: r.fval, feval: r.f64Evaluations, converged: true, message: `float64 Newton polish: ${r.reason} after ${r.steps} step${r.steps === 1 ? '' : 's'}` }
      : await run(f64, r?.x ?? res.x, POLISH_RHOBEG);
  } else {
    polish = await run(f64, res.x, POLISH_RHOBEG);
  }
  const improvement = atDevice - polish.fval;
  if (improvement > Math.max(10 * Math.abs(res.fval - atDevice), 1e-6 * Math.abs(atDevice))) {
    const again = await run(f64, polish.x, settings.rhobeg);
    const name = objective.backend.name === 'webgpu' ? 'WebGPU' : objective.backend.name;
    messages.push(`the ${name} optimizer stopped ${improvement.toPrecision(3)} above the float64 optimum near its point (${name} objective error there ${(res.fval - atDevice).toPrecision(3)}); re-optimized in float64 (${again.feval} evaluations)`);
    if (again.fval <= polish.fval) {
      polish = again;
      atOptimum = undefined;
    }
  }
  const polishEvaluations = evaluations.count - before;
  const thetaOf = objective.thetaOf ?? ((x: Float64Array) => x);
  const t1 = thetaOf(res.x), t2 = thetaOf(polish.x);
  const gpu: GpuCheck = {
    objective: res.fval, float64AtGpuOptimum: atDevice, objectiveError: res.fval - atDevice,
    polishImprovement: atDevice - polish.fval, polishEvaluations,
    thetaChange: Math.max(...Array.from(t2, (t, k) => Math.abs(t - t1[k]))),
    ...(newton ? { newton } : {}),
  };
  const { name, device, precision } = objective.backend;
  return {
    ...base, x: polish.x, fval: polish.fval, feval: res.feval + polishEvaluations, converged: polish.converged, message: polish.message,
    backend: { name, device, precision: `${precision} (${name}) polished in float64` }, gpu, messages,
    polishMs: performance.now() - tPol, ...(atOptimum ? { stencil: atOptimum } : {}),
  };
}

/** The fit's message after a device loss during `stage` (after `evaluations` of this optimization). */
function deviceLostNote(e: DeviceLostError, evaluations: number, fromReached: boolean, stage = 'the optimization'): string {
  return `${e.message} during ${stage} after ${evaluations} evaluation${evaluations === 1 ? '' : 's'}: ` +
    `the fit continued on the CPU in float64 from ${fromReached ? 'the best θ the device reached' : 'the starting point'}`;
}

/** optimize → check → polish → assemble: the fit of `objective`, made by `assemble` from the optimum. */
export async function fitObjective<F>(
  objective: Objective, settings: OptimizerSettings, evaluations: Evaluations,
  assemble: (optimum: Optimum) => F | Promise<F>, report?: (x: Float64Array, f: number) => void,
): Promise<F> {
  const optimum = await optimizeObjective(objective, settings, evaluations, report);
  evaluations.check();
  return assemble(optimum);
}
