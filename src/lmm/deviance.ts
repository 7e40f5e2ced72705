/**
 * The profiled deviance of a linear mixed model as a function of θ (Bates et al. 2015, eqs. 34, 41):
 *   ML:   −2ℓ(θ)   = log|L_θ|² + n (1 + log(2π r²(θ) / n))
 *   REML: −2ℓ_R(θ) = log|L_θ|² + log|R_X|² + (n − p)(1 + log(2π r²(θ) / (n − p)))
 * A backend supplies log|L_θ|², log|R_X|² and r² for each θ.
 * With prior weights w (lme4's `weights`), the backends see the rows of X, Z and y scaled by √w_i and
 * both criteria gain −Σ log w_i (`sumLogW`), as lme4's deviance.
 */
import type { BlockedCholesky } from '../linalg/blockedCholesky.js';
import type { GramMatrix } from '../linalg/gram.js';
import { lmmThetaProblem } from './thetaProblem.js';
import { scaledStart } from '../optim/thetaOptimizer.js';
import { MOMENT_RHOBEG, momentStart } from './momentStart.js';
import type { Objective } from '../model/objective.js';
import type { LmmModel } from './model.js';

export interface ObjectiveParts {
  /** log |L_θ|² */
  ldL2: number;
  /** log |R_X|² */
  ldRX2: number;
  /** penalized residual sum of squares r²(θ) */
  pwrss: number;
}

/** A backend's evaluator of the blocked factorization at θ. */
export interface LmmBackend {
  /** 'cpu' or 'webgpu' */
  readonly name: string;
  /** a description of the device that computes (CPU, or the GPU adapter) */
  readonly device: string;
  /** the precision of `evaluate`'s arithmetic */
  readonly precision: 'float64' | 'float32';
  /** the parts of the objective at θ (a promise for backends that read back from a device) */
  evaluate(theta: Float64Array): ObjectiveParts | Promise<ObjectiveParts>;
  /** releases device resources */
  dispose?(): void;
  /**
   * a device backend's evaluations so far, split (ms per evaluation, for the fit's timings): the
   * whole evaluation, the host's waits for the device's results, and the host's own work in it
   */
  evaluationSplit?(): EvaluationSplit | null;
}

/** LmmBackend.evaluationSplit's answer: means per evaluation (ms) over `evaluations`. */
export interface EvaluationSplit {
  evaluations: number;
  /** the whole evaluation */
  totalMs: number;
  /** waiting for the device's results (its execution, the transfers back) */
  waitMs: number;
  /** the host's own work: the rest */
  hostMs: number;
  /** of hostMs, converting and queueing the dense blocks' uploads (crossed and known-covariance models) */
  denseUploadMs?: number;
}

/** `sumLogW`: Σ log w_i of the prior weights (0 without weights). */
export function profiledDeviance(parts: ObjectiveParts, n: number, p: number, reml: boolean, sumLogW = 0): number {
  const { ldL2, ldRX2, pwrss } = parts;
  if (!(pwrss > 0)) return Infinity;
  if (reml) {
    const nmp = n - p;
    return ldL2 + ldRX2 - sumLogW + nmp * (1 + Math.log((2 * Math.PI * pwrss) / nmp));
  }
  return ldL2 - sumLogW + n * (1 + Math.log((2 * Math.PI * pwrss) / n));
}

/** A backend whose evaluation is synchronous (the CPU backend). */
export interface SyncLmmBackend extends LmmBackend {
  evaluate(theta: Float64Array): ObjectiveParts;
}

/** θ ↦ profiled deviance through a synchronous backend. */
export function makeObjective(backend: SyncLmmBackend, n: number, p: number, reml: boolean, sumLogW = 0): (theta: Float64Array) => number {
  return (theta) => profiledDeviance(backend.evaluate(theta), n, p, reml, sumLogW);
}

/**
 * The float64 reference of an LMM fit: the blocked Cholesky of A in float64 (the CPU backend; any
 * float64 source of A would do). The fit's optimum is checked and polished against it and the fit
 * is assembled from its factor at θ̂.
 */
export interface Float64Reference extends SyncLmmBackend {
  readonly chol: BlockedCholesky;
  /**
   * A formed again (from the model's rows), where the reference can: the fit's conditional variances
   * are then computed on first use from it, without keeping the fit's A and factor alive
   */
  readonly gramAgain?: () => GramMatrix;
}

/** The criterion an LMM's objective minimizes, from the parts of the factorization at θ. */
export type LmmCriterion = (parts: ObjectiveParts) => number;

/**
 * lme4's criterion of a model: the REML criterion or the ML deviance, with its prior weights. A
 * criterion with a fixed residual σ (meta-analysis, blme's `resid.prior = point(σ)`) is another
 * LmmCriterion (fixedSigmaCriterion): the factorization and the fit stay the same.
 */
export function profiledCriterion(model: Pick<LmmModel, 'frame' | 'reml' | 'sumLogW'>): LmmCriterion {
  const { n, p } = model.frame;
  return (parts) => profiledDeviance(parts, n, p, model.reml, model.sumLogW);
}

/**
 * lme4's objective at a given residual variance σ² instead of its profiled σ̂ (lmerResp::Laplace
 * with sigma_sq, as blme calls it):
 *   −2ℓ(θ, σ) = log|L_θ|² [+ log|R_X|²] − Σ log w_i + (n − reml·p) log(2πσ²) + r²(θ)/σ²
 */
export function devianceAtSigma(parts: ObjectiveParts, n: number, p: number, reml: boolean, sumLogW: number, sigma2: number): number {
  const { ldL2, ldRX2, pwrss } = parts;
  const df = n - (reml ? p : 0);
  return df * Math.log(2 * Math.PI * sigma2) + pwrss / sigma2 + ldL2 + (reml ? ldRX2 : 0) - sumLogW;
}

/**
 * The criterion with the residual SD fixed at σ (the σ profile replaced by the fixed value): a
 * meta-analysis's known sampling variances are prior weights 1/v_i with σ = 1.
 */
export function fixedSigmaCriterion(model: Pick<LmmModel, 'frame' | 'reml' | 'sumLogW'>, sigma: number): LmmCriterion {
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new Error(`sigma must be a positive number (the fixed residual SD), got ${sigma}`);
  const { n, p } = model.frame;
  const s2 = sigma * sigma;
  return (parts) => devianceAtSigma(parts, n, p, model.reml, model.sumLogW, s2);
}

/**
 * The LMM's objective (src/model/objective.ts) on `backend`: x = θ_int, bounds and start of the θ
 * layout; for a backend that is not float64, the float64 `reference` checks and polishes its optimum.
 */
export function lmmObjective(model: LmmModel, backend: LmmBackend, reference: SyncLmmBackend, criterion = profiledCriterion(model)): Objective {
  const layout = model.theta;
  const evaluate = (theta: Float64Array): number | Promise<number> => {
    const parts = backend.evaluate(theta);
    return parts instanceof Promise ? parts.then(criterion) : criterion(parts);
  };
  const thetaProblem = lmmThetaProblem(model.blocks, model.internalBlocks, layout, model.frame.n, model.source?.zSquares);
  const start = scaledStart(thetaProblem);
  // the moment start backfits over the rows: none when they are in an engine or a file (src/gram/)
  const moments = model.source || model.momentStart === false ? null : momentStart(model, start, 'chol' in reference ? (reference as Float64Reference).chol.gram : undefined);
  return {
    start,
    ...(moments ? { startCandidates: [moments], candidateRhobeg: MOMENT_RHOBEG } : {}),
    thetaProblem,
    lower: layout.lower,
    upper: new Float64Array(layout.length).fill(Infinity),
    evaluate,
    backend: { name: backend.name, device: backend.device, precision: backend.precision },
    ...(backend === reference ? {} : { f64: (theta: Float64Array) => criterion(reference.evaluate(theta)) }),
  };
}
