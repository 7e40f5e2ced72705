/**
 * Host of shaders/blockdiag.wgsl: per θ, the first block's per-group Cholesky factors, log|L_00|²
 * and the within-group Schur complements S_g, summed over chunks of groups on the GPU; the CPU
 * finishes the sums in float64. Pipelines and buffers are made once per model; each evaluation
 * writes T, dispatches twice and reads back nchunks × R floats (and, for models with more grouping
 * factors, the per-group factors).
 */
import type { GpuContext } from './device.js';
import { ComputeKernel, packUniform, structLayout } from './kernel.js';
import { createStorage, createUniform, readBuffer, writeBuffer } from './buffers.js';
import { shaderSource } from './shaders.generated.js';

/** Groups summed by one thread of `reduce`. */
export const CHUNK = 256;

export interface BlockDiagResult {
  /** Σ_g log|L_g|² */
  ldL2: number;
  /** Σ_g S_g, packed lower triangle of (p+1) × (p+1), float64 */
  S: Float64Array;
  /** per group: packed L_g (q(q+1)/2) then L_X,g ((p+1) × q), f32 — when asked for */
  factor: Float32Array | null;
}

export class BlockDiagKernel {
  private readonly ctx: GpuContext;
  private readonly factorK: ComputeKernel;
  private readonly reduceK: ComputeKernel;
  private readonly factorBG: GPUBindGroup;
  private readonly reduceBG: GPUBindGroup;
  private readonly T: GPUBuffer;
  private readonly partials: GPUBuffer;
  private readonly factorBuf: GPUBuffer;
  readonly buffers: GPUBuffer[];
  readonly G: number;
  readonly q: number;
  readonly p1: number;
  readonly R: number;
  readonly nchunks: number;
  readonly factorSize: number;
  readonly withFactor: boolean;

  private constructor(ctx: GpuContext, init: {
    factorK: ComputeKernel; reduceK: ComputeKernel; factorBG: GPUBindGroup; reduceBG: GPUBindGroup;
    T: GPUBuffer; partials: GPUBuffer; factorBuf: GPUBuffer; buffers: GPUBuffer[];
    G: number; q: number; p1: number; R: number; nchunks: number; factorSize: number; withFactor: boolean;
  }) {
    this.ctx = ctx;
    this.factorK = init.factorK; this.reduceK = init.reduceK; this.factorBG = init.factorBG; this.reduceBG = init.reduceBG;
    this.T = init.T; this.partials = init.partials; this.factorBuf = init.factorBuf; this.buffers = init.buffers;
    this.G = init.G; this.q = init.q; this.p1 = init.p1; this.R = init.R; this.nchunks = init.nchunks;
    this.factorSize = init.factorSize; this.withFactor = init.withFactor;
  }

  /** Compiles the pipelines and allocates the per-θ buffers for `gram` (G × E packed, from gram.ts). */
  static async create(ctx: GpuContext, gram: GPUBuffer, G: number, q: number, p: number, withFactor: boolean): Promise<BlockDiagKernel> {
    const code = shaderSource('blockdiag');
    const [factorK, reduceK] = await Promise.all([
      ComputeKernel.create(ctx, code, 'factor', { label: 'blockdiag.factor' }),
      ComputeKernel.create(ctx, code, 'reduce', { label: 'blockdiag.reduce' }),
    ]);
    const p1 = p + 1;
    const w = q + p1;
    const R = 1 + (p1 * (p1 + 1)) / 2;
    const nchunks = Math.ceil(G / CHUNK);
    const factorSize = (q * (q + 1)) / 2 + p1 * q;
    const params = createUniform(ctx, packUniform(structLayout(code, 'Params'), {
      ngroups: G, q, p1, E: (w * (w + 1)) / 2, R, chunk: CHUNK, nchunks, writeFactor: withFactor ? 1 : 0,
    }), 'blockdiag params');
    const T = createStorage(ctx, Math.max(16, q * q * 4), 'T');
    const perGroup = createStorage(ctx, G * R * 4, 'perGroup');
    const factorBuf = createStorage(ctx, withFactor ? G * factorSize * 4 : 16, 'factorOut');
    const partials = createStorage(ctx, nchunks * R * 4, 'partials');
    const factorBG = factorK.bind({ params, gram, T, perGroup, factorOut: factorBuf });
    const reduceBG = reduceK.bind({ params, perGroup, partials });
    return new BlockDiagKernel(ctx, {
      factorK, reduceK, factorBG, reduceBG, T, partials, factorBuf, buffers: [params, T, perGroup, factorBuf, partials],
      G, q, p1, R, nchunks, factorSize, withFactor,
    });
  }

  /** Evaluates the block at the template T (q × q row-major, lower triangular). */
  async evaluate(Tq: Float64Array): Promise<BlockDiagResult> {
    const { device } = this.ctx;
    writeBuffer(this.ctx, this.T, Float32Array.from(Tq));
    const enc = device.createCommandEncoder({ label: 'blockdiag' });
    const pass = enc.beginComputePass({ label: 'blockdiag' });
    this.factorK.dispatch(pass, this.factorBG, this.factorK.workgroupsFor(this.G));
    this.reduceK.dispatch(pass, this.reduceBG, this.reduceK.workgroupsFor(this.nchunks));
    pass.end();
    device.queue.submit([enc.finish()]);
    const part = await readBuffer(this.ctx, this.partials, 0, this.nchunks * this.R * 4);
    const fac = this.withFactor ? await readBuffer(this.ctx, this.factorBuf, 0, this.G * this.factorSize * 4) : null;
    // finish the chunk sums in float64
    const partials = new Float32Array(part);
    const sums = new Float64Array(this.R);
    for (let c = 0; c < this.nchunks; c++) for (let e = 0; e < this.R; e++) sums[e] += partials[c * this.R + e];
    return { ldL2: sums[0], S: sums.slice(1), factor: fac ? new Float32Array(fac) : null };
  }
}
