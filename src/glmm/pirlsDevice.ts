/**
 * What PIRLS (src/glmm/pirls.ts) asks of a device, the interfaces a backend implements to run a
 * GLMM's passes there (src/backend/webgpu/glmmPass.ts and glmmGroups.ts): a weighted Gram pass that
 * may be asynchronous, one that evaluates a state on its device, and the per-group updates.
 */
import type { AsyncWeightedGramBackend, WeightedGramBackend } from './weightedGram.js';

/** A data pass PIRLS can drive: synchronous (run) or asynchronous (runAsync). */
export type AnyWeightedGram = WeightedGramBackend | AsyncWeightedGramBackend;

/**
 * An asynchronous pass that evaluates a state on its device (the WebGPU backend's reweight shader):
 * from β, b = Λu and base it computes η, μ, the weights and working residual and the deviance per
 * row, forms A(w) with the fitted part added (addFittedPart), and returns Σ wt·d(y, μ).
 */
export interface DeviceWeightedGram extends AsyncWeightedGramBackend {
  readonly rowsOnDevice: boolean;
  /** the evaluations are float64 (an engine's queries, src/gram/glmm.ts): PIRLS's default tolerances apply */
  readonly float64?: boolean;
  evaluateAsync(state: { beta: Float64Array; b: Float64Array[]; base: Float64Array; full: boolean; observed?: boolean }): Promise<number>;
  /** whether agqRowSums runs on this device (one scalar term) */
  readonly agqOnDevice?: boolean;
  /**
   * adaptive quadrature's rows term at a state with β fixed (src/glmm/agq.ts agqRowSums), `scale`
   * t / L_gg per level: per level and node, Σ_{i∈g} [d(y_i, μ(η_i + Z_i scale_g z_k)) − d(y_i, μ_i)]
   */
  agqRowSums?(state: { beta: Float64Array; b: Float64Array[]; base: Float64Array; full: boolean }, scale: Float64Array, nodes: ArrayLike<number>): Promise<Float64Array>;
}

/** log|L|² and the fixed effects' Schur complement S_XX, S_Xr of a factor on the device */
export interface DeviceFactor { ldL2: number; SXX: Float64Array; SXr: Float64Array }

/**
 * The per-group updates of PIRLS on a device (src/backend/webgpu/glmmGroups.ts) for the first
 * grouping factor (with more factors the solver finishes the factor and the step of the others on
 * its host, and needs θ with the template): the state u lives on the device; `factor` returns log|L|² and the Schur
 * complement for Δβ at the Gram matrix the pass formed last; `advance` forms u (mode 0: the step
 * from the accepted u, 1: the halved step, 2: the accepted u) and b = Λu for the pass, evaluates the
 * pass there and factors, in one round trip; `accept` makes u the accepted u.
 */
export interface DeviceGroupSolver {
  setTemplate(T: Float64Array, theta: ArrayLike<number>): void;
  reset(): void;
  factor(): Promise<DeviceFactor>;
  /** `lookAhead` false: no Newton step queued behind advance(2)'s state (the state formed again at the end of a run) */
  advance(mode: 0 | 1 | 2, dbeta: Float64Array | undefined, evaluate: () => Promise<number>, lookAhead?: boolean): Promise<{ sqrU: number; etaBound: number; dev: number; factor: DeviceFactor }>;
  accept(): void;
  readU(): Promise<Float32Array>;
}
