/**
 * The WebGPU backend: the data pass and the first grouping factor's per-group work on the GPU in
 * f32 (shaders/gram.wgsl, shaders/blockdiag.wgsl); the [X y] Schur complement's chunk sums and its
 * small Cholesky in float64 on the CPU. With more grouping factors, the first block's factors are
 * read back and the CPU's blocked Cholesky (float64, WebAssembly SIMD for crossed blocks) finishes
 * the factorization on the same centred data.
 *
 * A model whose blocks all have a known covariance matrix (relmat: a kinship, pedigree or phylogeny,
 * src/relmat) has no block-diagonal first block: its A is formed and transformed by the known
 * factors on the CPU in float64, once, and for each θ the dense blocks' Cholesky factorizations and
 * solves — the O(m³) work — run on the GPU (shaders/dense.wgsl, f32), assembled by the CPU's
 * blocked Cholesky.
 */
import type { LmmModel } from '../../lmm/model.js';
import { formGram } from '../cpu/gram.js';
import type { LmmBackend, ObjectiveParts } from '../../lmm/deviance.js';
import { BlockedCholesky, type FirstBlock, factorXy } from '../../linalg/blockedCholesky.js';
import { fillTemplate } from '../../linalg/template.js';
import type { GramMatrix } from '../../linalg/gram.js';
import type { GpuContext } from './device.js';
import { buildGpuLayout, gpuUnsupported } from './upload.js';
import { formGramGpu } from './gram.js';
import { BlockDiagKernel } from './blockdiag.js';
import { GpuDenseSolver } from './gpuDenseSolver.js';
import { knownCovarianceGram } from '../../relmat/gram.js';

export interface WebGpuTimings {
  layoutMs: number;
  uploadMs: number;
  dataPassMs: number;
  /** bytes the data pass read */
  dataPassBytes: number;
  compileMs: number;
}

export class WebGpuBackend implements LmmBackend {
  readonly name = 'webgpu';
  readonly device: string;
  readonly precision = 'float32' as const;
  readonly timings: WebGpuTimings;
  private readonly model: LmmModel;
  /** the first block's per-group kernel (null when the first block is dense: a known covariance) */
  private readonly kernel: BlockDiagKernel | null;
  private readonly buffers: GPUBuffer[];
  /** the CPU's part for models with more than one grouping factor (centred data, float64) */
  private readonly rest: BlockedCholesky | null;
  private readonly T0: Float64Array;
  /** the crossed factors' dense blocks on the GPU, when used */
  private readonly denseSolver: GpuDenseSolver | null;

  /** where the dense (crossed) blocks are factored */
  get denseBlocksOn(): 'gpu' | 'cpu' | 'none' {
    if (!this.rest || this.rest.denseFrom >= this.model.blocks.length) return 'none';
    return this.denseSolver ? 'gpu' : 'cpu';
  }

  private constructor(
    ctx: GpuContext, model: LmmModel, kernel: BlockDiagKernel | null, buffers: GPUBuffer[], rest: BlockedCholesky | null,
    denseSolver: GpuDenseSolver | null, timings: WebGpuTimings,
  ) {
    this.device = `WebGPU: ${ctx.adapterName}`;
    this.denseSolver = denseSolver;
    this.model = model;
    this.kernel = kernel;
    this.buffers = buffers;
    this.rest = rest;
    this.timings = timings;
    this.T0 = new Float64Array(model.blocks[0].q ** 2);
  }

  /** Uploads the data, runs the data pass and compiles the per-θ pipelines (once per model). */
  /**
   * `gram`: the CPU's float64 Gram matrix of the same model, for the later blocks (formed if not
   * given); `denseOnGpu`: factor crossed factors' dense blocks on the GPU (default: on hardware GPUs,
   * not on software adapters such as SwiftShader, where the CPU's SIMD kernels are faster).
   */
  static async create(ctx: GpuContext, model: LmmModel, gram?: GramMatrix, denseOnGpu?: boolean): Promise<WebGpuBackend> {
    const why = gpuUnsupported(model);
    if (why) throw new Error(`the WebGPU backend cannot fit this model: ${why}`);
    if (model.known[0]) return WebGpuBackend.createDense(ctx, model, gram ?? knownCovarianceGram(formGram(model), model.known));
    const t0 = performance.now();
    const layout = buildGpuLayout(model);
    const t1 = performance.now();
    const g = await formGramGpu(ctx, layout);
    const t2 = performance.now();
    const K = model.blocks.length;
    const kernel = await BlockDiagKernel.create(ctx, g.gram, layout.G, layout.q, layout.p, K > 1);
    const rest = K > 1
      ? new BlockedCholesky(gram ?? formGram(model), model.theta.length)
      : null;
    let denseSolver: GpuDenseSolver | null = null;
    if (rest && rest.denseFrom < K && (denseOnGpu ?? !ctx.isSoftware)) {
      // each dense block solves the rows of the blocks below it and of [X y]
      const specs = [];
      for (let k = rest.denseFrom; k < K; k++) {
        let maxRows = layout.p + 1;
        for (let j = k + 1; j < K; j++) maxRows = Math.max(maxRows, rest.m[j]);
        specs.push({ k, m: rest.m[k], maxRows });
      }
      denseSolver = await GpuDenseSolver.create(ctx, specs);
      rest.useDenseSolver(denseSolver);
    }
    return new WebGpuBackend(ctx, model, kernel, [...g.buffers, ...kernel.buffers], rest, denseSolver, {
      layoutMs: t1 - t0, uploadMs: g.uploadMs, dataPassMs: g.passMs, dataPassBytes: g.bytes, compileMs: performance.now() - t2,
    });
  }

  /**
   * A model whose first block has a known covariance (then every block has one: those come last):
   * the dense blocks on the GPU, each θ's factorization assembled by the CPU's blocked Cholesky of
   * the transformed A (`gram`).
   */
  private static async createDense(ctx: GpuContext, model: LmmModel, gram: GramMatrix): Promise<WebGpuBackend> {
    const t0 = performance.now();
    const rest = new BlockedCholesky(gram, model.theta.length);
    const K = model.blocks.length;
    const specs = [];
    for (let k = rest.denseFrom; k < K; k++) {
      let maxRows = model.frame.p + 1;
      for (let j = k + 1; j < K; j++) maxRows = Math.max(maxRows, rest.m[j]);
      specs.push({ k, m: rest.m[k], maxRows });
    }
    const denseSolver = await GpuDenseSolver.create(ctx, specs);
    rest.useDenseSolver(denseSolver);
    return new WebGpuBackend(ctx, model, null, [], rest, denseSolver, {
      layoutMs: 0, uploadMs: 0, dataPassMs: 0, dataPassBytes: 0, compileMs: performance.now() - t0,
    });
  }

  async evaluate(theta: Float64Array): Promise<ObjectiveParts> {
    if (!this.kernel) {
      await this.rest!.factorAsync(theta);
      return { ldL2: this.rest!.ldL2, ldRX2: this.rest!.ldRX2, pwrss: this.rest!.pwrss };
    }
    const b0 = this.model.blocks[0];
    fillTemplate(b0, theta, this.T0);
    const res = await this.kernel.evaluate(this.T0);
    const p1 = this.kernel.p1;
    const S = new Float64Array(p1 * p1);
    for (let r = 0, e = 0; r < p1; r++) for (let s = 0; s <= r; s++, e++) S[r * p1 + s] = res.S[e];
    if (!this.rest) return { ldL2: res.ldL2, ...factorXy(S, p1) };
    // hand the first block to the CPU's blocked Cholesky
    const q = b0.q;
    const G = b0.nl;
    const L0 = new Float64Array(G * q * q);
    const LX0 = new Float64Array(p1 * G * q);
    const f = res.factor!;
    const fs = this.kernel.factorSize;
    for (let g = 0; g < G; g++) {
      let o = g * fs;
      for (let s = 0; s < q; s++) for (let t = 0; t <= s; t++) L0[g * q * q + s * q + t] = f[o++];
      for (let r = 0; r < p1; r++) for (let t = 0; t < q; t++) LX0[r * G * q + g * q + t] = f[o++];
    }
    const first: FirstBlock = { L0, LX0, ldL2: res.ldL2, S0: S };
    await this.rest.factorAsync(theta, first);
    return { ldL2: this.rest.ldL2, ldRX2: this.rest.ldRX2, pwrss: this.rest.pwrss };
  }

  dispose(): void {
    this.denseSolver?.destroy();
    for (const b of this.buffers) b.destroy();
  }
}
