/**
 * The WebGPU backend of an LMM: per θ, the first grouping factor's block of the factor on the GPU in
 * f32 (shaders/blockdiag.wgsl: per group L_g and L_X,g, and the sums of log|L_g|² and L_X,g L_X,gᵀ
 * finished in float64), from that block's entries of the float64 Gram matrix A, uploaded once: the
 * same A the float64 reference checks and polishes against, from whatever source formed it (the
 * rows on the CPU, a stream, an SQL engine). The [X y] Schur complement S = A_XX − Σ_g L_X,g L_X,gᵀ
 * (A_XX exact in float64) and its small Cholesky run in float64 on the CPU. With more grouping
 * factors, the first block's factors are read back and the CPU's blocked Cholesky (float64, the
 * crossed factors' dense blocks optionally on the GPU) finishes the factorization.
 *
 * A model whose first block has a known covariance matrix (relmat: a kinship, pedigree or phylogeny,
 * src/relmat; then every block has one, those come last) has no block-diagonal first block: its A,
 * transformed by the known factors on the CPU in float64 once (src/relmat/gram.ts, the reference's
 * Gram matrix), goes to the CPU's blocked Cholesky, and for each θ the dense blocks' Cholesky
 * factorizations and solves — the O(m³) work — run on the GPU (shaders/dense.wgsl, f32), with no
 * per-group kernel.
 */
import type { LmmModel } from '../../lmm/model.js';
import type { EvaluationSplit, LmmBackend, ObjectiveParts } from '../../lmm/deviance.js';
import { BlockedCholesky, type FirstBlock, factorXy } from '../../linalg/blockedCholesky.js';
import { fillTemplate } from '../../linalg/template.js';
import type { GramMatrix } from '../../linalg/gram.js';
import { type GpuContext, guardDevice } from './device.js';
import { BlockDiagKernel, type BlockDiagOptions, type EvalTimings } from './blockdiag.js';
import { GpuDenseSolver } from './gpuDenseSolver.js';
import { knownCovarianceGram } from '../../relmat/gram.js';

export interface WebGpuTimings {
  /** the first block's entries of A converted and uploaded (ms) */
  uploadMs: number;
  /** bytes uploaded */
  uploadBytes: number;
  /** the pipelines (and the dense blocks' set-up, for crossed factors) (ms) */
  compileMs: number;
}

export interface WebGpuBackendOptions extends Pick<BlockDiagOptions, 'factor' | 'maxBindingBytes'> {
  /**
   * factor crossed factors' dense blocks on the GPU: true every one, false none; default: on hardware
   * GPUs those of GPU_DENSE_MIN_ROWS rows or more (not on software adapters such as SwiftShader, where
   * the CPU's SIMD kernels are faster)
   */
  denseOnGpu?: boolean;
  /** the smallest dense block (rows) put on the GPU: default 1 with `denseOnGpu: true`, else GPU_DENSE_MIN_ROWS */
  denseMinRows?: number;
  /**
   * each GPU dense block factored and its right-hand sides solved in one round trip (default true:
   * GpuDenseSolver.factorAndSolve); false: a round trip for the factorization and one per solve (the
   * same values; for tests and measurements)
   */
  denseBatched?: boolean;
}

/**
 * By default a crossed factors' dense block smaller than this (rows) is factored on the CPU even on a
 * hardware GPU: its float64 Cholesky (m³/3 multiply-adds, 5.6 million at 255: about half a
 * millisecond on one core) costs less than the GPU's round trip per evaluation, and it adds no
 * f32 error. InstEval's `dept:service` block (28 levels) was factored on the GPU beside `d`'s 1,128.
 */
export const GPU_DENSE_MIN_ROWS = 256;

export class WebGpuBackend implements LmmBackend {
  readonly name = 'webgpu';
  readonly device: string;
  readonly precision = 'float32' as const;
  readonly timings: WebGpuTimings;
  /** per-evaluation parts, summed over the evaluations (see `profile`) */
  readonly evalTimings: EvalTimings = { evaluations: 0, submitMs: 0, dispatchMs: 0, readbackMs: 0, cpuMs: 0, readbackBytes: 0 };
  /** whole evaluations: how many, and their time summed (ms) */
  private readonly split = { evaluations: 0, totalMs: 0 };
  /** wait for each evaluation's completion before its readback, to time the two apart (costs a round trip) */
  profile = false;
  /** the first block's per-group kernel (null when the first block is dense: a known covariance) */
  readonly kernel: BlockDiagKernel | null;
  private readonly model: LmmModel;
  private readonly ctx: GpuContext;
  private readonly AXX: Float64Array;
  /** the CPU's part for models with more than one grouping factor, or a known-covariance first block (float64) */
  private readonly rest: BlockedCholesky | null;
  private readonly T0: Float64Array;
  /** the crossed factors' dense blocks on the GPU, when used */
  private readonly denseSolver: GpuDenseSolver | null;
  /** why the dense blocks stay on the CPU though asked for the GPU, or null */
  readonly denseNote: string | null;

  /** where the dense (crossed) blocks are factored: 'mixed' when the smaller ones stay on the CPU (GPU_DENSE_MIN_ROWS) */
  get denseBlocksOn(): 'gpu' | 'cpu' | 'mixed' | 'none' {
    if (!this.rest || this.rest.denseFrom >= this.model.blocks.length) return 'none';
    if (!this.denseSolver) return 'cpu';
    return this.denseGroups('cpu').length > 0 ? 'mixed' : 'gpu';
  }

  /** The dense blocks factored on the GPU or on the CPU: their grouping factors and sizes, e.g. `'d' (1128)`. */
  denseGroups(on: 'gpu' | 'cpu'): string[] {
    const rest = this.rest;
    if (!rest) return [];
    const out: string[] = [];
    for (let k = rest.denseFrom; k < this.model.blocks.length; k++) {
      if ((this.denseSolver?.has(k) ?? false) === (on === 'gpu')) out.push(`'${this.model.blocks[k].group}' (${rest.m[k]})`);
    }
    return out;
  }

  private constructor(
    ctx: GpuContext, model: LmmModel, gram: GramMatrix, kernel: BlockDiagKernel | null, rest: BlockedCholesky | null,
    denseSolver: GpuDenseSolver | null, denseNote: string | null, timings: WebGpuTimings,
  ) {
    this.device = `WebGPU: ${ctx.adapterName}`;
    this.ctx = ctx;
    this.denseSolver = denseSolver;
    this.denseNote = denseNote;
    this.model = model;
    this.kernel = kernel;
    this.AXX = gram.AXX;
    this.rest = rest;
    this.timings = timings;
    this.T0 = new Float64Array(model.blocks[0].q ** 2);
  }

  /**
   * Uploads the first block's entries of `gram` (the float64 Gram matrix of the model's rows, the
   * reference's) and compiles the per-θ pipelines (once per model).
   */
  static async create(ctx: GpuContext, model: LmmModel, gram: GramMatrix, options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
    if (model.known[0]) return WebGpuBackend.createDense(ctx, model, gram, options);
    const K = model.blocks.length;
    const kernel = await BlockDiagKernel.create(ctx, gram, { withFactor: K > 1, factor: options.factor, maxBindingBytes: options.maxBindingBytes });
    const t1 = performance.now();
    const rest = K > 1 ? new BlockedCholesky(gram, model.theta.length) : null;
    const dense = rest && rest.denseFrom < K && (options.denseOnGpu ?? !ctx.isSoftware)
      ? await WebGpuBackend.denseOnGpu(ctx, model, rest, options.denseMinRows ?? (options.denseOnGpu ? 1 : GPU_DENSE_MIN_ROWS), options.denseBatched ?? true)
      : { solver: null, note: null };
    return new WebGpuBackend(ctx, model, gram, kernel, rest, dense.solver, dense.note, {
      uploadMs: kernel.uploadMs, uploadBytes: kernel.uploadBytes, compileMs: kernel.compileMs + (performance.now() - t1),
    });
  }

  /**
   * A model whose first block has a known covariance (then every block has one: those come last):
   * no per-group kernel; each θ's factorization is the CPU's blocked Cholesky of the transformed A
   * (`gram`) with the dense blocks on the GPU — the backend's GPU work, so on by default on every
   * adapter (`denseOnGpu: false` keeps them on the CPU).
   */
  private static async createDense(ctx: GpuContext, model: LmmModel, gram: GramMatrix, options: WebGpuBackendOptions): Promise<WebGpuBackend> {
    const t0 = performance.now();
    const rest = new BlockedCholesky(gram, model.theta.length);
    const dense = (options.denseOnGpu ?? true) ? await WebGpuBackend.denseOnGpu(ctx, model, rest, 1, options.denseBatched ?? true) : { solver: null, note: null };
    return new WebGpuBackend(ctx, model, gram, null, rest, dense.solver, dense.note, {
      uploadMs: 0, uploadBytes: 0, compileMs: performance.now() - t0,
    });
  }

  /**
   * The dense blocks (rest.denseFrom onwards) of `minRows` rows or more on the GPU's dense solver,
   * plugged into `rest` (the others stay on its CPU kernels); or, when a block does not fit one
   * storage binding, no solver and the note saying why.
   */
  private static async denseOnGpu(ctx: GpuContext, model: LmmModel, rest: BlockedCholesky, minRows: number, batched: boolean): Promise<{ solver: GpuDenseSolver | null; note: string | null }> {
    const K = model.blocks.length;
    // each dense block solves the rows of the blocks below it and of [X y]
    const specs = [];
    for (let k = rest.denseFrom; k < K; k++) {
      if (rest.m[k] < minRows) continue;
      let maxRows = model.frame.p + 1;
      let allRows = model.frame.p + 1;
      for (let j = k + 1; j < K; j++) {
        maxRows = Math.max(maxRows, rest.m[j]);
        allRows += rest.m[j];
      }
      specs.push({ k, m: rest.m[k], maxRows, allRows });
    }
    if (specs.length === 0) {
      const all = [];
      for (let k = rest.denseFrom; k < K; k++) all.push(`'${model.blocks[k].group}' (${rest.m[k]})`);
      return { solver: null, note: `the crossed factors' dense blocks (${all.join(', ')}) are under ${minRows} rows: factored on the CPU (float64), which costs less than the GPU's round trips` };
    }
    const limit = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
    const big = specs.find((sp) => sp.m * Math.max(sp.m, sp.maxRows) * 4 > limit);
    if (big) {
      return {
        solver: null,
        note: `the dense block of '${model.blocks[big.k].group}' (${big.m} × ${big.m}) needs ${big.m * Math.max(big.m, big.maxRows) * 4} bytes in one storage binding, over this device's maxStorageBufferBindingSize of ${limit}: the dense blocks are factored on the CPU`,
      };
    }
    // room for all of a block's right-hand sides at once (its factorization and solves in one round
    // trip: GpuDenseSolver.factorAndSolve) where that fits one binding; else the largest, one at a time
    const solver = await GpuDenseSolver.create(ctx, specs.map((sp) => ({ k: sp.k, m: sp.m, maxRows: batched && sp.m * sp.allRows * 4 <= limit ? sp.allRows : sp.maxRows })));
    const blocks = new Set(specs.map((sp) => sp.k));
    rest.useDenseSolver(batched ? solver : { cholesky: (...a) => solver.cholesky(...a), rightSolve: (...a) => solver.rightSolve(...a) }, blocks);
    return { solver, note: null };
  }

  /** The parts at θ; a lost device rejects with a DeviceLostError (the fit continues on the CPU). */
  async evaluate(theta: Float64Array): Promise<ObjectiveParts> {
    const t0 = performance.now();
    const parts = await guardDevice(this.ctx, () => this.evaluateOnDevice(theta));
    this.split.evaluations++;
    this.split.totalMs += performance.now() - t0;
    return parts;
  }

  /**
   * The evaluations so far, split (means per evaluation, ms): the waits are the first block's
   * readback (its kernels' execution included, unless profiled) and the dense solver's.
   */
  evaluationSplit(): EvaluationSplit | null {
    const n = this.split.evaluations;
    if (n === 0) return null;
    const dense = this.denseSolver?.timings;
    const waitMs = this.evalTimings.dispatchMs + this.evalTimings.readbackMs + (dense?.waitMs ?? 0);
    return {
      evaluations: n,
      totalMs: this.split.totalMs / n,
      waitMs: waitMs / n,
      hostMs: (this.split.totalMs - waitMs) / n,
      ...(dense ? { denseUploadMs: dense.uploadMs / n } : {}),
    };
  }

  private async evaluateOnDevice(theta: Float64Array): Promise<ObjectiveParts> {
    if (!this.kernel) {
      await this.rest!.factorAsync(theta);
      return { ldL2: this.rest!.ldL2, ldRX2: this.rest!.ldRX2, pwrss: this.rest!.pwrss };
    }
    const b0 = this.model.blocks[0];
    fillTemplate(b0, theta, this.T0);
    const res = await this.kernel.evaluate(this.T0, this.evalTimings, this.profile);
    const t0 = performance.now();
    const p1 = this.kernel.p1;
    // S = A_XX − Σ_g L_X,g L_X,gᵀ, in float64
    const S = new Float64Array(p1 * p1);
    for (let e = 0; e < p1 * p1; e++) S[e] = this.AXX[e] - res.LXLXt[e];
    let parts: ObjectiveParts;
    if (!this.rest) {
      parts = { ldL2: res.ldL2, ...factorXy(S, p1) };
    } else {
      // hand the first block to the CPU's blocked Cholesky
      const first: FirstBlock = { L0: res.factor!.L0, LX0: res.factor!.LX0, ldL2: res.ldL2, S0: S };
      await this.rest.factorAsync(theta, first);
      parts = { ldL2: this.rest.ldL2, ldRX2: this.rest.ldRX2, pwrss: this.rest.pwrss };
    }
    this.evalTimings.cpuMs += performance.now() - t0;
    return parts;
  }

  dispose(): void {
    this.denseSolver?.destroy();
    for (const b of this.kernel?.buffers ?? []) b.destroy();
  }
}
