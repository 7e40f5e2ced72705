/**
 * Host of shaders/bootstrapGram.wgsl: the bootstrap's y-dependent Gram parts for a batch of
 * replicates on WebGPU, for models with one grouping factor. The design (Z_c, X_c, group-sorted,
 * in the CPU pass's order, whose positions index the residual draws) goes up once; each batch uploads β̂_c and T_c,
 * runs one dispatch over (segment, replicate) pairs and reads back the per-segment partial sums, which
 * are added per group (A_Zy) and overall (A_Xy, yᵀy) in float64 here. Same draws as the CPU pass
 * (src/model/random.ts), f32 arithmetic.
 */
import type { GpuContext } from './device.js';
import { ComputeKernel, packUniform, structLayout } from './kernel.js';
import { createStorage, createUniform, readBuffer } from './buffers.js';
import { shaderSource } from './shaders.generated.js';
import { MAX_Q, MAX_W } from './limits.js';
import type { BootstrapGramBatch, BootstrapGramInput } from '../cpu/bootstrapGram.js';

/** Most rows one thread accumulates: a group's rows are split into segments of at most this many. */
const SEGMENT = 256;

export class BootstrapGramGpu {
  private constructor(
    private readonly ctx: GpuContext,
    private readonly kernel: ComputeKernel,
    private readonly design: { rows: GPUBuffer; segStart: GPUBuffer; segGroup: GPUBuffer },
    private readonly nseg: number,
    private readonly segGroupHost: Uint32Array,
    private readonly q: number,
    private readonly p: number,
    private readonly nl: number,
  ) {}

  /** Why the model's bootstrap pass cannot run here (null when it can). */
  static unsupported(input: { blocks: { q: number }[]; p: number }): string | null {
    if (input.blocks.length !== 1) return `${input.blocks.length} grouping factors: the WebGPU bootstrap pass takes one`;
    if (input.blocks[0].q > MAX_Q) return `q = ${input.blocks[0].q} > ${MAX_Q}`;
    if (input.blocks[0].q + input.p + 1 > MAX_W) return `q + p + 1 = ${input.blocks[0].q + input.p + 1} > ${MAX_W}`;
    return null;
  }

  /** Uploads the design once (group-sorted rows of Z_c and X_c, their original indices, segments). */
  static async create(ctx: GpuContext, input: Pick<BootstrapGramInput, 'n' | 'p' | 'X' | 'blocks'>): Promise<BootstrapGramGpu> {
    const why = BootstrapGramGpu.unsupported(input);
    if (why) throw new Error(`the WebGPU bootstrap pass cannot run this model: ${why}`);
    const { n, p, X: Xc } = input;
    const blk = input.blocks[0];
    const q = blk.q, w = q + p, G = blk.nl;
    const counts = new Uint32Array(G + 1);
    for (let i = 0; i < n; i++) counts[blk.codes[i] + 1]++;
    for (let g = 0; g < G; g++) counts[g + 1] += counts[g];
    const start = counts.slice();
    const next = counts.slice(0, G);
    const rows = new Float32Array(n * w);
    // the CPU pass's order (a stable counting sort by group): draws are indexed by position in it
    for (let i = 0; i < n; i++) {
      const pos = next[blk.codes[i]]++;
      for (let s = 0; s < q; s++) rows[pos * w + s] = blk.Z[i * q + s];
      for (let j = 0; j < p; j++) rows[pos * w + q + j] = Xc[j * n + i];
    }
    const segs: number[] = [];
    const segGroup: number[] = [];
    for (let g = 0; g < G; g++) for (let r = start[g]; r < start[g + 1]; r += SEGMENT) { segs.push(r); segGroup.push(g); }
    segs.push(n);
    const kernel = await ComputeKernel.create(ctx, shaderSource('bootstrapGram'), 'batch', { label: 'bootstrapGram.batch' });
    const design = {
      rows: createStorage(ctx, rows, 'bootstrap rows'),
      segStart: createStorage(ctx, Uint32Array.from(segs), 'bootstrap segStart'),
      segGroup: createStorage(ctx, Uint32Array.from(segGroup), 'bootstrap segGroup'),
    };
    return new BootstrapGramGpu(ctx, kernel, design, segGroup.length, Uint32Array.from(segGroup), q, p, G);
  }

  /** The batch's Gram parts (the CPU pass's layout: replicate-fastest). */
  async batch(input: BootstrapGramInput): Promise<BootstrapGramBatch> {
    const { ctx, kernel, design, nseg, q, p } = this;
    const B = input.replicates.length;
    for (let r = 1; r < B; r++) if (input.replicates[r] !== input.replicates[0] + r) throw new Error('the WebGPU bootstrap pass takes consecutive replicates');
    const code = shaderSource('bootstrapGram');
    const layout = structLayout(code, 'Params');
    const seed = input.rng.seed;
    const params = createUniform(ctx, packUniform(layout, {
      nseg, B, q, p, seedLo: seed >>> 0, seedHi: Math.floor(seed / 2 ** 32) >>> 0, rep0: input.replicates[0], sigma: input.sigma,
    }), 'bootstrap params');
    const coefHost = new Float32Array(p + q * q);
    coefHost.set(input.betaC);
    coefHost.set(input.templates[0], p);
    const coef = createStorage(ctx, coefHost, 'bootstrap coef');
    const w1 = q + p + 1;
    const partials = createStorage(ctx, nseg * B * w1 * 4, 'bootstrap partials');
    const enc = ctx.device.createCommandEncoder({ label: 'bootstrap batch' });
    const pass = enc.beginComputePass({ label: 'bootstrap batch' });
    kernel.dispatch(pass, kernel.bind({ params, ...design, coef, partials }), kernel.workgroupsFor(nseg * B));
    pass.end();
    ctx.device.queue.submit([enc.finish()]);
    const out = new Float32Array(await readBuffer(ctx, partials));
    params.destroy(); coef.destroy(); partials.destroy();
    // float64 sums: per group for A_Zy, overall for A_Xy and yᵀy
    const AZy = new Float64Array(this.nl * q * B);
    const AXy = new Float64Array(p * B);
    const yy = new Float64Array(B);
    for (let s = 0; s < nseg; s++) {
      const g = this.segGroupHost[s];
      for (let r = 0; r < B; r++) {
        const o = (s * B + r) * w1;
        for (let a = 0; a < q; a++) AZy[(g * q + a) * B + r] += out[o + a];
        for (let j = 0; j < p; j++) AXy[j * B + r] += out[o + q + j];
        yy[r] += out[o + q + p];
      }
    }
    return { B, AZy: [AZy], AXy, yy };
  }

  dispose(): void {
    for (const b of Object.values(this.design)) b.destroy();
  }
}
