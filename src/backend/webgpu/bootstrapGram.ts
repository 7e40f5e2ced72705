/**
 * Host of shaders/bootstrapGram.wgsl: the bootstrap's y-dependent Gram parts for a batch of
 * replicates on WebGPU, for any number of grouping factors and any q and p. The design goes up once:
 * the rows [Z_0 … Z_{K−1} X_c] in the first factor's level order (the CPU pass's order, whose
 * positions index the residual draws), each row's levels, and per factor the rows in its level order
 * cut into segments of one level (at most SEGMENT rows). Each batch uploads β̂_c and the templates and
 * runs, per sub-batch of replicates, the effects kernel per factor (b*), the response kernel (y*) and
 * the sums kernel per factor (Z_kᵀ y* per segment) and once for X_cᵀ y* and y*ᵀy* (over the first
 * factor's segments); the per-segment partial sums come back in one readback and are added per level
 * (A_Zk,y) and overall (A_Xy, yᵀy) in float64 here. Same draws as the CPU pass (src/model/random.ts),
 * f32 arithmetic. A batch is split into sub-batches so that y* and the partial sums fit one storage
 * binding; a model whose rows alone do not fit gets the buffer's size and the device's limit in its error.
 */
import type { GpuContext } from './device.js';
import { ComputeKernel, type StructLayout, packUniform, structLayout } from './kernel.js';
import { createStorage, createUniform, readBuffer } from './buffers.js';
import { shaderSource } from './shaders.generated.js';
import { ModelError } from '../../errors/errors.js';
import { groupOrder, type BootstrapGramBatch, type BootstrapGramInput } from '../cpu/bootstrapGram.js';

/** Most rows one thread sums: a level's rows are split into segments of at most this many. */
const SEGMENT = 256;

/** One sums dispatch: segments of a factor's level order and the columns summed over them. */
interface SumsPlan {
  /** the factor whose segments are used (its perm and segStart buffers) */
  factor: number;
  /** first column (a column w is y*² itself) and the number of columns */
  col0: number;
  ncols: number;
  /** where the dispatch's partial sums start, per replicate of the sub-batch (× B) */
  pOff: number;
}

interface Factor {
  q: number;
  nl: number;
  /** first Z column in a row */
  zOff: number;
  /** offset of b* (entries, × B) */
  bOff: number;
  /** level of each segment of the factor's level order */
  segLevel: Uint32Array;
  perm: GPUBuffer;
  segStart: GPUBuffer;
}

export interface BootstrapGramOptions {
  /** a storage binding smaller than the device's limit (tests: sub-batches on any device) */
  maxBindingBytes?: number;
}

export class BootstrapGramGpu {
  private constructor(
    private readonly ctx: GpuContext,
    private readonly kernels: { effects: ComputeKernel; response: ComputeKernel; sums: ComputeKernel },
    private readonly design: { rows: GPUBuffer; codes: GPUBuffer; factorInfo: GPUBuffer },
    private readonly factors: Factor[],
    private readonly plans: SumsPlan[],
    private readonly n: number,
    private readonly p: number,
    private readonly w: number,
    /** partial sums per replicate, over all sums dispatches */
    private readonly partialsPerRep: number,
    /** b* entries per replicate, over all factors */
    private readonly effectsPerRep: number,
    /** the largest storage binding used (the device's, or less: BootstrapGramOptions) */
    private readonly bindingLimit: number,
    /** the kernels' Params struct, from the WGSL */
    private readonly layout: StructLayout,
  ) {}

  /** Why the model's bootstrap pass cannot run here (null when it can): it runs every model with a grouping factor. */
  static unsupported(input: { blocks: { q: number }[]; p: number }): string | null {
    return input.blocks.length === 0 ? 'no grouping factor' : null;
  }

  /** Uploads the design once (the rows in the first factor's level order, their levels, each factor's segments). */
  static async create(ctx: GpuContext, input: Pick<BootstrapGramInput, 'n' | 'p' | 'X' | 'blocks'>, options: BootstrapGramOptions = {}): Promise<BootstrapGramGpu> {
    const why = BootstrapGramGpu.unsupported(input);
    if (why) throw new Error(`the WebGPU bootstrap pass cannot run this model: ${why}`);
    const { n, p, X: Xc, blocks } = input;
    const K = blocks.length;
    const zCols = blocks.reduce((s, b) => s + b.q, 0);
    const w = zCols + p;
    // the CPU pass's order (a stable counting sort by the first factor's level): draws are indexed by position in it
    const order = groupOrder(n, blocks);
    const rows = new Float32Array(n * w);
    const codes = new Uint32Array(n * K);
    for (let pos = 0; pos < n; pos++) {
      const i = order[pos];
      let c = 0;
      for (let k = 0; k < K; k++) {
        const blk = blocks[k];
        for (let s = 0; s < blk.q; s++) rows[pos * w + c + s] = blk.Z[i * blk.q + s];
        c += blk.q;
        codes[pos * K + k] = blk.codes[i];
      }
      for (let j = 0; j < p; j++) rows[pos * w + zCols + j] = Xc[j * n + i];
    }
    const factorInfo = new Uint32Array(3 * K);
    const factors: Factor[] = [];
    let zOff = 0, bOff = 0;
    for (let k = 0; k < K; k++) {
      const { q, nl } = blocks[k];
      // positions sorted by factor k's level (stable); the first factor's is the identity
      const count = new Uint32Array(nl + 1);
      for (let pos = 0; pos < n; pos++) count[codes[pos * K + k] + 1]++;
      for (let g = 0; g < nl; g++) count[g + 1] += count[g];
      const next = count.slice(0, nl);
      const perm = new Uint32Array(n);
      for (let pos = 0; pos < n; pos++) perm[next[codes[pos * K + k]]++] = pos;
      const starts: number[] = [];
      const levels: number[] = [];
      for (let g = 0; g < nl; g++) for (let e = count[g]; e < count[g + 1]; e += SEGMENT) { starts.push(e); levels.push(g); }
      starts.push(n);
      factorInfo.set([q, zOff, bOff], 3 * k);
      factors.push({
        q, nl, zOff, bOff, segLevel: Uint32Array.from(levels),
        perm: createStorage(ctx, perm, `bootstrap perm ${k}`),
        segStart: createStorage(ctx, Uint32Array.from(starts), `bootstrap segStart ${k}`),
      });
      zOff += q;
      bOff += nl * q;
    }
    // the sums: Z_kᵀ y* over factor k's segments; X_cᵀ y* and y*ᵀy* (column w) over the first factor's
    const plans: SumsPlan[] = [];
    let pOff = 0;
    const plan = (factor: number, col0: number, ncols: number) => {
      plans.push({ factor, col0, ncols, pOff });
      pOff += factors[factor].segLevel.length * ncols;
    };
    factors.forEach((f, k) => plan(k, f.zOff, f.q));
    plan(0, zCols, p + 1);
    const code = shaderSource('bootstrapGram');
    const [effects, response, sums] = await Promise.all(['effects', 'response', 'sums'].map((e) => ComputeKernel.create(ctx, code, e, { label: `bootstrapGram.${e}` })));
    const design = {
      rows: createStorage(ctx, rows, 'bootstrap rows'),
      codes: createStorage(ctx, codes, 'bootstrap codes'),
      factorInfo: createStorage(ctx, factorInfo, 'bootstrap factors'),
    };
    const limit = Math.min(options.maxBindingBytes ?? Infinity, ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
    return new BootstrapGramGpu(ctx, { effects, response, sums }, design, factors, plans, n, p, w, pOff, bOff, limit, structLayout(code, 'Params'));
  }

  /** Replicates per sub-batch: y*, b* and the partial sums of one sub-batch each fit one storage binding. */
  private subBatch(B: number): number {
    const limit = this.bindingLimit;
    const perRep = 4 * Math.max(this.n, this.partialsPerRep, this.effectsPerRep);
    const fit = Math.floor(limit / perRep);
    if (fit < 1) {
      throw new ModelError(`the WebGPU bootstrap pass needs ${perRep} bytes per replicate in one storage binding (${this.n} rows; ${this.partialsPerRep} partial sums); this device's limit is ${limit} bytes (maxStorageBufferBindingSize)`);
    }
    return Math.min(B, fit);
  }

  /** The batch's Gram parts (the CPU pass's layout: replicate-fastest). */
  async batch(input: BootstrapGramInput): Promise<BootstrapGramBatch> {
    const { factors, p } = this;
    const B = input.replicates.length;
    for (let r = 1; r < B; r++) if (input.replicates[r] !== input.replicates[0] + r) throw new Error('the WebGPU bootstrap pass takes consecutive replicates');
    // β̂_c, then each T_k
    const coefHost = new Float32Array(p + factors.reduce((s, f) => s + f.q * f.q, 0));
    coefHost.set(input.betaC);
    const tOff: number[] = [];
    let o = p;
    factors.forEach((f, k) => { tOff.push(o); coefHost.set(input.templates[k], o); o += f.q * f.q; });
    const coef = createStorage(this.ctx, coefHost, 'bootstrap coef');
    const AZy = factors.map((f) => new Float64Array(f.nl * f.q * B));
    const AXy = new Float64Array(p * B);
    const yy = new Float64Array(B);
    try {
      const step = this.subBatch(B);
      for (let r0 = 0; r0 < B; r0 += step) {
        const Bs = Math.min(step, B - r0);
        const out = await this.subBatchSums(input, input.replicates[r0], Bs, coef, tOff);
        this.addPartials(out, Bs, r0, B, AZy, AXy, yy);
      }
    } finally {
      coef.destroy();
    }
    return { B, AZy, AXy, yy };
  }

  /** One sub-batch's dispatches (b*, y*, the sums) and the read-back partial sums. */
  private async subBatchSums(input: BootstrapGramInput, rep0: number, B: number, coef: GPUBuffer, tOff: number[]): Promise<Float32Array> {
    const { ctx, kernels, design, factors, plans, n, p, w } = this;
    const { layout } = this;
    const seed = input.rng.seed;
    const common = { B, rep0, seedLo: seed >>> 0, seedHi: Math.floor(seed / 2 ** 32) >>> 0, sigma: input.sigma, n, w, p, K: factors.length };
    const none = { k: 0, nl: 0, q: 0, tOff: 0, bOff: 0, nseg: 0, col0: 0, ncols: 0, pOff: 0 };
    const temp: GPUBuffer[] = [];
    const uniform = (fields: Partial<typeof none>) => {
      const u = createUniform(ctx, packUniform(layout, { ...common, ...none, ...fields }), 'bootstrap params');
      temp.push(u);
      return u;
    };
    const bstar = createStorage(ctx, this.effectsPerRep * B * 4, 'bootstrap b*');
    const ystar = createStorage(ctx, n * B * 4, 'bootstrap y*');
    const partials = createStorage(ctx, this.partialsPerRep * B * 4, 'bootstrap partials');
    temp.push(bstar, ystar, partials);
    try {
      const enc = ctx.device.createCommandEncoder({ label: 'bootstrap batch' });
      const pass = enc.beginComputePass({ label: 'bootstrap batch' });
      factors.forEach((f, k) => {
        const params = uniform({ k, nl: f.nl, q: f.q, tOff: tOff[k], bOff: f.bOff * B });
        kernels.effects.dispatch(pass, kernels.effects.bind({ params, coef, bOut: bstar }), kernels.effects.workgroupsFor(f.nl * f.q * B));
      });
      const params = uniform({});
      kernels.response.dispatch(pass, kernels.response.bind({ params, rows: design.rows, codes: design.codes, factors: design.factorInfo, coef, bIn: bstar, yOut: ystar }), kernels.response.workgroupsFor(n * B));
      for (const pl of plans) {
        const f = factors[pl.factor];
        const nseg = f.segLevel.length;
        const u = uniform({ nseg, col0: pl.col0, ncols: pl.ncols, pOff: pl.pOff * B });
        kernels.sums.dispatch(pass, kernels.sums.bind({ params: u, rows: design.rows, yIn: ystar, perm: f.perm, segStart: f.segStart, partials }), kernels.sums.workgroupsFor(nseg * pl.ncols * B));
      }
      pass.end();
      ctx.device.queue.submit([enc.finish()]);
      return new Float32Array(await readBuffer(ctx, partials));
    } finally {
      for (const b of temp) b.destroy();
    }
  }

  /** The sub-batch's partial sums (replicates r0 … r0 + Bs − 1 of a batch of B) added per level and overall in float64. */
  private addPartials(out: Float32Array, Bs: number, r0: number, B: number, AZy: Float64Array[], AXy: Float64Array, yy: Float64Array): void {
    const { factors, plans, p } = this;
    plans.forEach((pl, d) => {
      const f = factors[pl.factor];
      const base = pl.pOff * Bs;
      f.segLevel.forEach((g, s) => {
        for (let c = 0; c < pl.ncols; c++) {
          const o = base + (s * pl.ncols + c) * Bs;
          if (d < factors.length) {
            const a = AZy[d], e = (g * f.q + c) * B + r0;
            for (let r = 0; r < Bs; r++) a[e + r] += out[o + r];
          } else if (c < p) {
            const e = c * B + r0;
            for (let r = 0; r < Bs; r++) AXy[e + r] += out[o + r];
          } else {
            for (let r = 0; r < Bs; r++) yy[r0 + r] += out[o + r];
          }
        }
      });
    });
  }

  dispose(): void {
    for (const b of Object.values(this.design)) b.destroy();
    for (const f of this.factors) { f.perm.destroy(); f.segStart.destroy(); }
  }
}
