/**
 * Host of shaders/blockdiag.wgsl: per θ, the first grouping factor's block of the factor on the GPU
 * in f32, for any q and p (no size limits): per group L_g and L_X,g, and by chunks of groups the
 * compensated partial sums of log|L_g|² and L_X,g L_X,gᵀ, which the host finishes in float64.
 *
 * Once per model: the first block's entries of the float64 Gram matrix (A_zz,g and A_Xz,g per
 * group) go up in f32 — O(groups · q (q + p)) floats, not the rows — with the pipelines and bind
 * groups. Per evaluation: T (q × q) is written, one submission runs the factor, the solve and the
 * sums and copies the partials (and, for models with more grouping factors, L_g and L_X,g) into one
 * staging buffer, and one map reads them back.
 *
 * Sizes come from the adapter's limits and the WGSL, read by reflection:
 *  - the groups are split into slabs whose per-group buffers each fit maxStorageBufferBindingSize
 *    (and maxBufferSize), every slab a dispatch of each kernel (a model larger than one binding
 *    runs in pieces; only a single group too large for one binding is refused, naming the limit);
 *  - the sums' output tile is the `sums` kernel's workgroup (TILE × TILE = its invocations, as
 *    reflected), and a chunk holds enough groups that the partials read back stay within
 *    READBACK_FLOATS (at least MIN_CHUNK groups);
 *  - the factor runs one thread per group up to THREAD_MAX_Q, one workgroup per group (blocked
 *    right-looking updates) above (on a hardware adapter; a software one runs one thread per group); every kernel's invocations are checked against
 *    maxComputeInvocationsPerWorkgroup, and grids beyond maxComputeWorkgroupsPerDimension go 2-D.
 */
import { ModelError } from '../../errors/errors.js';
import type { GramMatrix } from '../../linalg/gram.js';
import type { GpuContext } from './device.js';
import { ComputeKernel, type StructLayout, packUniform, structLayout } from './kernel.js';
import { checkBufferSize, createStorage, createUniform, readRanges, writeBuffer } from './buffers.js';
import { shaderSource } from './shaders.generated.js';

/** Largest q factored one thread per group; larger blocks take one workgroup per group. */
export const THREAD_MAX_Q = 8;
/** Fewest groups per chunk of the sums. */
export const MIN_CHUNK = 256;
/** Most floats of partial sums read back per evaluation (across slabs, before the float64 finish). */
export const READBACK_FLOATS = 1 << 19;

export type FactorVariant = 'thread' | 'group';

export interface BlockDiagOptions {
  /** also read back L_g and L_X,g (models with more grouping factors: the CPU continues from them) */
  withFactor?: boolean;
  /** force a factor kernel (tests; default by q) */
  factor?: FactorVariant;
  /** a smaller binding limit than the device's (tests of the slabs) */
  maxBindingBytes?: number;
}

export interface BlockDiagResult {
  /** Σ_g log|L_g|² */
  ldL2: number;
  /** Σ_g L_X,g L_X,gᵀ, (p+1) × (p+1) row-major, symmetric, float64 sums of the f32 partials */
  LXLXt: Float64Array;
  /** with `withFactor`: L_00 (per group q × q, row-major lower) and L_X0 ((p+1) × G q, row-major), f32 values */
  factor: { L0: Float64Array; LX0: Float64Array } | null;
}

/** Per-evaluation timings, summed (see WebGpuBackend.profile). */
export interface EvalTimings {
  evaluations: number;
  /** CPU: writing T, encoding and submitting */
  submitMs: number;
  /** submission to the work's completion (GPU execution and queue latency); profiled evaluations only */
  dispatchMs: number;
  /** to the readback's arrival: mapping and copying out (with dispatchMs when not profiled) */
  readbackMs: number;
  /** CPU: the float64 finish of the sums (and the later blocks, for several grouping factors) */
  cpuMs: number;
  /** bytes read back */
  readbackBytes: number;
}

/**
 * The kernels of shaders/blockdiag.wgsl for one block (compiled once per model): the factor (one
 * thread or one workgroup per group), the solve for L_X and the tiled sums, with the sums' tile
 * (TILE × TILE = the `sums` kernel's invocations, as reflected) and the Params layout. The LMM's
 * BlockDiagKernel and the GLMM's per-group updates (glmmGroups.ts) both run their factor on these.
 */
export interface GroupFactorKernels {
  variant: FactorVariant;
  factor: ComputeKernel;
  solve: ComputeKernel;
  sums: ComputeKernel;
  /** the sums' output tile side */
  tile: number;
  layout: StructLayout;
  compileMs: number;
}

/** The factor kernel a block of q columns takes on `ctx` (or the forced one). */
export function factorVariantFor(ctx: GpuContext, q: number, forced?: FactorVariant): FactorVariant {
  // on a software adapter (SwiftShader: workgroups run on CPU threads, barriers are dear) one thread
  // per group is the faster at every q (measured there, 200 groups: q = 2 4.5×, q = 9 3–17×)
  return forced ?? (q <= THREAD_MAX_Q || ctx.isSoftware ? 'thread' : 'group');
}

/** Compiles blockdiag.wgsl's kernels for `variant`, checking their workgroups against the adapter's limits. */
export async function groupFactorKernels(ctx: GpuContext, variant: FactorVariant): Promise<GroupFactorKernels> {
  const code = shaderSource('blockdiag');
  const t0 = performance.now();
  const fname = variant === 'thread' ? 'factorThread' : 'factorGroup';
  const [factor, solve, sums] = await Promise.all([
    ComputeKernel.create(ctx, code, fname, { label: `blockdiag.${fname}` }),
    ComputeKernel.create(ctx, code, 'solveLX', { label: 'blockdiag.solveLX' }),
    ComputeKernel.create(ctx, code, 'sums', { label: 'blockdiag.sums' }),
  ]);
  for (const k of [factor, solve, sums]) {
    if (k.invocationsPerWorkgroup > ctx.limits.maxComputeInvocationsPerWorkgroup) {
      throw new Error(`${k.label}: ${k.invocationsPerWorkgroup} invocations per workgroup exceed this device's maxComputeInvocationsPerWorkgroup of ${ctx.limits.maxComputeInvocationsPerWorkgroup}`);
    }
  }
  // the sums' tile: TILE × TILE entries, one per invocation of its workgroup
  const tile = Math.round(Math.sqrt(sums.invocationsPerWorkgroup));
  if (tile * tile !== sums.invocationsPerWorkgroup) throw new Error(`blockdiag.sums: its workgroup (${sums.invocationsPerWorkgroup} invocations) is not a square tile`);
  return { variant, factor, solve, sums, tile, layout: structLayout(code, 'Params'), compileMs: performance.now() - t0 };
}

/** Pairs of TILE × TILE tiles in the lower triangle of the (p+1) × (p+1) sums. */
export function tilePairsFor(k: GroupFactorKernels, p1: number): number {
  const ntiles = Math.ceil(p1 / k.tile);
  return (ntiles * (ntiles + 1)) / 2;
}

/** Groups per chunk of the sums: at least MIN_CHUNK, and within READBACK_FLOATS of partials (E entries a chunk) over `nslabs` slabs. */
export function chunkFor(G: number, E: number, nslabs: number): number {
  const maxChunks = Math.max(nslabs, Math.floor(READBACK_FLOATS / (2 * E)));
  return Math.max(MIN_CHUNK, Math.ceil(G / maxChunks));
}

/** One slab of groups: its working buffers (L_g, log|L_g|², L_X,g, the partials) and bind groups. */
export interface GroupFactorSlab {
  g0: number;
  ngroups: number;
  nchunks: number;
  chunk: number;
  /** the buffers this slab owns (for disposal) */
  buffers: GPUBuffer[];
  L: GPUBuffer;
  LX: GPUBuffer;
  partials: GPUBuffer;
  bind: { factor: GPUBindGroup; solve: GPUBindGroup; sums: GPUBindGroup };
}

/**
 * The working buffers and bind groups of one slab of `ngroups` groups whose A_zz,g (q × q) and
 * A_Xz,g ((p+1) × q) are in `Azz` and `AXz`; `shift` (q values per group) is subtracted from row
 * `shiftRow` of A_Xz,g T before the solve (the GLMM's ℓ_g; none by default).
 */
export function groupFactorSlab(ctx: GpuContext, k: GroupFactorKernels, s: {
  g0: number; ngroups: number; q: number; p1: number; chunk: number; Azz: GPUBuffer; AXz: GPUBuffer; T: GPUBuffer;
  shift?: { buffer: GPUBuffer; row: number }; label: string;
}): GroupFactorSlab {
  const { ngroups: ng, q, p1, chunk, label } = s;
  const nchunks = Math.ceil(ng / chunk);
  const E = 1 + (p1 * (p1 + 1)) / 2;
  const ntiles = Math.ceil(p1 / k.tile);
  checkBufferSize(ctx, ng * Math.max(q * q, p1 * q) * 4, `${label} L`, 'storage');
  checkBufferSize(ctx, nchunks * E * 8, `${label} partials`, 'storage');
  const params = createUniform(ctx, packUniform(k.layout, {
    ngroups: ng, q, p1, chunk, nchunks, ntiles, tilePairs: (ntiles * (ntiles + 1)) / 2, E, shiftRow: s.shift ? s.shift.row : p1,
  }), `${label} params`);
  const L = createStorage(ctx, ng * q * q * 4, `${label} L`);
  const logdet = createStorage(ctx, ng * 4, `${label} logdet`);
  const LX = createStorage(ctx, ng * p1 * q * 4, `${label} LX`);
  const partials = createStorage(ctx, nchunks * E * 2 * 4, `${label} partials`);
  const buffers = [params, L, logdet, LX, partials];
  let shift = s.shift?.buffer;
  if (!shift) { shift = createStorage(ctx, 16, `${label} no shift`); buffers.push(shift); }
  return {
    g0: s.g0, ngroups: ng, nchunks, chunk, L, LX, partials, buffers,
    bind: {
      factor: k.factor.bind({ params, Azz: s.Azz, T: s.T, L, logdet }),
      solve: k.solve.bind({ params, AXz: s.AXz, T: s.T, L, LX, shift }),
      sums: k.sums.bind({ params, logdet, LX, partials }),
    },
  };
}

/** Records a slab's factor, solve and sums into `pass`. */
export function encodeGroupFactor(pass: GPUComputePassEncoder, k: GroupFactorKernels, slab: GroupFactorSlab, p1: number): void {
  k.factor.dispatch(pass, slab.bind.factor, k.variant === 'thread' ? k.factor.workgroupsFor(slab.ngroups) : slab.ngroups);
  k.solve.dispatch(pass, slab.bind.solve, k.solve.workgroupsFor(slab.ngroups * p1));
  k.sums.dispatch(pass, slab.bind.sums, tilePairsFor(k, p1) * slab.nchunks);
}

/** Adds a slab's partials (per chunk and entry: sum, compensation; E entries) into `sums` in float64. */
export function addPartials(data: ArrayBuffer, nchunks: number, E: number, sums: Float64Array): void {
  const part = new Float32Array(data);
  for (let c = 0; c < nchunks; c++) {
    const o = 2 * c * E;
    for (let e = 0; e < E; e++) sums[e] += part[o + 2 * e] + part[o + 2 * e + 1];
  }
}

/** The symmetric (p+1) × (p+1) matrix of the packed lower triangle in `sums` from entry `from` (1 after Σ log|L_g|²). */
export function unpackSums(sums: Float64Array, p1: number, from = 1): Float64Array {
  const M = new Float64Array(p1 * p1);
  for (let a = 0, e = from; a < p1; a++) for (let b = 0; b <= a; b++, e++) { M[a * p1 + b] = sums[e]; M[b * p1 + a] = sums[e]; }
  return M;
}

export class BlockDiagKernel {
  readonly G: number;
  readonly q: number;
  readonly p1: number;
  /** entries per chunk's partials: 1 + p1 (p1 + 1) / 2 */
  readonly E: number;
  readonly factorVariant: FactorVariant;
  readonly withFactor: boolean;
  readonly slabs: readonly GroupFactorSlab[];
  /** bytes uploaded once (the first block's A entries) */
  readonly uploadBytes: number;
  /** ms: compiling the pipelines; converting and uploading the A entries */
  readonly compileMs: number;
  readonly uploadMs: number;
  private readonly ctx: GpuContext;
  private readonly kernels: GroupFactorKernels;
  private readonly T: GPUBuffer;
  private readonly inputs: GPUBuffer[];
  private readonly T32: Float32Array;

  private constructor(ctx: GpuContext, init: {
    G: number; q: number; p1: number; withFactor: boolean; slabs: GroupFactorSlab[]; uploadBytes: number;
    uploadMs: number; kernels: GroupFactorKernels; T: GPUBuffer; inputs: GPUBuffer[];
  }) {
    this.ctx = ctx;
    this.G = init.G; this.q = init.q; this.p1 = init.p1; this.E = 1 + (init.p1 * (init.p1 + 1)) / 2;
    this.factorVariant = init.kernels.variant; this.withFactor = init.withFactor; this.slabs = init.slabs;
    this.uploadBytes = init.uploadBytes;
    this.compileMs = init.kernels.compileMs;
    this.uploadMs = init.uploadMs;
    this.kernels = init.kernels;
    this.T = init.T; this.inputs = init.inputs;
    this.T32 = new Float32Array(init.q * init.q);
  }

  /** every buffer (for disposal) */
  get buffers(): GPUBuffer[] {
    return [this.T, ...this.inputs, ...this.slabs.flatMap((s) => s.buffers)];
  }

  /** Compiles the pipelines and uploads the first block's entries of `gram` (A_zz,g, A_Xz,g per group). */
  static async create(ctx: GpuContext, gram: GramMatrix, options: BlockDiagOptions = {}): Promise<BlockDiagKernel> {
    const b0 = gram.blocks[0];
    const q = b0.q, G = b0.nl, p1 = gram.p + 1;
    const kernels = await groupFactorKernels(ctx, factorVariantFor(ctx, q, options.factor));
    const t1 = performance.now();
    const E = 1 + (p1 * (p1 + 1)) / 2;
    // slabs of groups within the binding limits
    const limit = Math.min(options.maxBindingBytes ?? Infinity, ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
    const perGroup = Math.max(q * q, p1 * q) * 4;
    if (perGroup > limit) {
      throw new ModelError(`the first random-effects block ('${b0.group}') needs ${perGroup} bytes per group (q = ${q}, p + 1 = ${p1}) in one storage binding; this device's limit is ${limit} bytes (maxStorageBufferBindingSize)`);
    }
    const slabGroups = Math.max(1, Math.floor(limit / perGroup));
    const nslabs = Math.ceil(G / slabGroups);
    const chunk = chunkFor(G, E, nslabs);
    const T = createStorage(ctx, Math.max(16, q * q * 4), 'blockdiag T');
    const { Akk, AXk } = gram;
    const m = G * q;
    const slabs: GroupFactorSlab[] = [];
    const inputs: GPUBuffer[] = [];
    let uploadBytes = 0;
    for (let g0 = 0; g0 < G; g0 += slabGroups) {
      const ng = Math.min(slabGroups, G - g0);
      if (Math.ceil(ng / chunk) * E * 8 > limit) throw new Error(`blockdiag: the partial sums of ${Math.ceil(ng / chunk)} chunks × ${E} entries exceed the binding limit of ${limit} bytes`);
      const Azz = Float32Array.from(Akk[0].subarray(g0 * q * q, (g0 + ng) * q * q));
      // A_Xz,g row r = A_Xk[0] row r, columns of group g (A_Xk is (p+1) × G q)
      const AXz = new Float32Array(ng * p1 * q);
      for (let g = 0; g < ng; g++) for (let r = 0; r < p1; r++) for (let t = 0; t < q; t++) AXz[(g * p1 + r) * q + t] = AXk[0][r * m + (g0 + g) * q + t];
      const AzzBuf = createStorage(ctx, Azz, `blockdiag Azz ${g0}`);
      const AXzBuf = createStorage(ctx, AXz, `blockdiag AXz ${g0}`);
      inputs.push(AzzBuf, AXzBuf);
      uploadBytes += Azz.byteLength + AXz.byteLength;
      slabs.push(groupFactorSlab(ctx, kernels, { g0, ngroups: ng, q, p1, chunk, Azz: AzzBuf, AXz: AXzBuf, T, label: `blockdiag ${g0}` }));
    }
    await ctx.device.queue.onSubmittedWorkDone();
    return new BlockDiagKernel(ctx, {
      G, q, p1, withFactor: options.withFactor ?? false, slabs, uploadBytes,
      uploadMs: performance.now() - t1, kernels, T, inputs });
  }

  /** Records every slab's factor, solve and sums into `pass`. */
  private encode(pass: GPUComputePassEncoder): void {
    for (const s of this.slabs) encodeGroupFactor(pass, this.kernels, s, this.p1);
  }

  /**
   * The block at the template T (q × q row-major, lower triangular): one submission, one readback.
   * `timings` (when given) gets this evaluation's parts added; `profile` also waits for the work's
   * completion before mapping, to time the dispatch and the readback apart.
   */
  async evaluate(Tq: Float64Array, timings?: EvalTimings, profile = false): Promise<BlockDiagResult> {
    const { ctx, q, p1, E } = this;
    const t0 = performance.now();
    for (let e = 0; e < q * q; e++) this.T32[e] = Tq[e];
    writeBuffer(ctx, this.T, this.T32);
    const enc = ctx.device.createCommandEncoder({ label: 'blockdiag' });
    const pass = enc.beginComputePass({ label: 'blockdiag' });
    this.encode(pass);
    pass.end();
    const ranges = this.slabs.map((s) => ({ buffer: s.partials, size: s.nchunks * E * 2 * 4 }));
    if (this.withFactor) for (const s of this.slabs) ranges.push({ buffer: s.L, size: s.ngroups * q * q * 4 }, { buffer: s.LX, size: s.ngroups * p1 * q * 4 });
    let t1 = performance.now();
    let t2 = t1;
    let data: ArrayBuffer[];
    if (profile) {
      ctx.device.queue.submit([enc.finish()]);
      t1 = performance.now();
      await ctx.device.queue.onSubmittedWorkDone();
      t2 = performance.now();
      data = await readRanges(ctx, ranges);
    } else {
      const read = readRanges(ctx, ranges, enc);
      t1 = t2 = performance.now();
      data = await read;
    }
    const t3 = performance.now();
    // finish the sums in float64: Σ over chunks of (sum + compensation)
    const sums = new Float64Array(E);
    this.slabs.forEach((s, k) => addPartials(data[k], s.nchunks, E, sums));
    const LXLXt = unpackSums(sums, p1);
    let factor: BlockDiagResult['factor'] = null;
    if (this.withFactor) {
      const G = this.G, m = G * q;
      const L0 = new Float64Array(G * q * q);
      const LX0 = new Float64Array(p1 * m);
      this.slabs.forEach((s, k) => {
        const L = new Float32Array(data[this.slabs.length + 2 * k]);
        const LX = new Float32Array(data[this.slabs.length + 2 * k + 1]);
        for (let g = 0; g < s.ngroups; g++) {
          const o = (s.g0 + g) * q * q;
          // the lower triangle (the strict upper one is the kernels' scratch)
          for (let a = 0; a < q; a++) for (let b = 0; b <= a; b++) L0[o + a * q + b] = L[g * q * q + a * q + b];
          for (let r = 0; r < p1; r++) for (let t = 0; t < q; t++) LX0[r * m + (s.g0 + g) * q + t] = LX[(g * p1 + r) * q + t];
        }
      });
      factor = { L0, LX0 };
    }
    if (timings) {
      timings.evaluations++;
      timings.submitMs += t1 - t0;
      timings.dispatchMs += t2 - t1;
      timings.readbackMs += t3 - t2;
      timings.readbackBytes += ranges.reduce((a, r) => a + r.size, 0);
    }
    return { ldL2: sums[0], LXLXt, factor };
  }
}
