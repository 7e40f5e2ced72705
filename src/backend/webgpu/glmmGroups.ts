/**
 * Host of shaders/glmmGroups.wgsl: the per-group updates of PIRLS on the device for the first
 * grouping factor, whose pass (glmmPass.ts) runs in the group layout, for any q and p (no fixed
 * limits: the working matrices are in storage; only the adapter's binding limits bound them,
 * groupUpdatesFit). The per-group factor is blockdiag.wgsl's (the LMM's, through blockdiag.ts's
 * groupFactorKernels / groupFactorSlab): one implementation, one thread per group for small q and
 * on software adapters, one workgroup per group (blocked updates) for large q on hardware.
 *
 * Per iteration, `factor` (one submission): `gather` sums each group's segment partials into
 * A_zz,g and A_Xz,g; blockdiag's factor, solve (its r row with u subtracted: ℓ_g) and sums; `sumXX`
 * sums A_[Xr][Xr] over chunks of groups; one readback of 2 (1 + (p+1)(p+2)/2) + 2 (p+1)(p+2)/2
 * floats per chunk. The host finishes the sums in float64, S_XX = A_XX − Σ L_X L_Xᵀ and
 * S_Xr = a_X,r − Σ L_X ℓ, and solves the p × p system for Δβ there (src/glmm/pirls.ts). `update`
 * forms u, b = Λu (into the pass's coefficients, where the next reweight reads them) and reads back
 * ‖u‖² and the bound on the change of η per chunk. u stays on the device (f32) between iterations
 * and between PIRLS runs (the warm start); `readU` fetches it.
 *
 * The state is two vectors of ngroups × q: u_acc (the accepted iterate) and u (the candidate);
 * the passes with and without X (β free / fixed) share them.
 */
import { type RandomBlock, columnMaxAbs } from '../../model/lambda.js';
import type { GpuContext } from './device.js';
import type { GlmmPassGpu } from './glmmPass.js';
import { GLMM_SEGMENT } from './glmmPass.js';
import { ComputeKernel, packUniform, structLayout } from './kernel.js';
import { createStorage, createUniform, readBuffer, readRanges, writeBuffer } from './buffers.js';
import { shaderSource } from './shaders.generated.js';
import {
  type FactorVariant, type GroupFactorKernels, type GroupFactorSlab, addPartials, chunkFor, encodeGroupFactor,
  factorVariantFor, groupFactorKernels, groupFactorSlab, unpackSums,
} from './blockdiag.js';

/**
 * Why the per-group updates of a block (q columns, nl levels, `nseg` segments of the pass's group
 * layout) with p fixed effects do not fit this adapter's storage bindings, or null when they do.
 */
export function groupUpdatesFit(ctx: Pick<GpuContext, 'limits'>, q: number, p: number, nl: number, nseg: number): string | null {
  const w = q + p + 1, p1 = p + 1;
  const limit = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  const largest = Math.max(nseg * ((w * (w + 1)) / 2), nl * q * Math.max(q, p1)) * 4;
  if (largest > limit) return `the per-group updates need a ${largest}-byte storage binding (q = ${q}, p = ${p}, ${nl} groups); this device's limit is ${limit} bytes (maxStorageBufferBindingSize)`;
  return null;
}

/** Segments of the pass's group layout for a block: Σ_g ⌈rows of g / GLMM_SEGMENT⌉. */
export function groupSegments(block: Pick<RandomBlock, 'codes' | 'nl'>, n: number): number {
  const count = new Uint32Array(block.nl);
  for (let i = 0; i < n; i++) count[block.codes[i]]++;
  let nseg = 0;
  for (const c of count) nseg += Math.ceil(c / GLMM_SEGMENT);
  return nseg;
}

/** The update of u: the Newton step from u_acc (0), the halved step (1), u = u_acc (2). */
export type UpdateMode = 0 | 1 | 2;

export interface GlmmGroupsOptions {
  /** force the factor kernel (tests: the one-workgroup-per-group factor on a software adapter) */
  factor?: FactorVariant;
}

interface SharedState {
  uAcc: GPUBuffer;
  uCand: GPUBuffer;
  T: GPUBuffer;
  zmax: GPUBuffer;
  kernels: { gather: ComputeKernel; sumXX: ComputeKernel; update: ComputeKernel; updateSums: ComputeKernel };
  factor: GroupFactorKernels;
}

export class GlmmGroupsGpu {
  readonly ngroups: number;
  readonly q: number;
  readonly p: number;
  readonly nchunks: number;
  /** dispatches of this instance's factor and update (the path the fit took, for its timings and tests) */
  readonly counts = { factors: 0, updates: 0 };
  private readonly EX: number;
  private readonly per: number;
  private readonly ctx: GpuContext;
  private readonly shared: SharedState;
  private readonly slab: GroupFactorSlab;
  private readonly gatherBind: GPUBindGroup;
  private readonly sumXXBind: GPUBindGroup;
  private readonly updateBinds: GPUBindGroup[];
  private readonly sumsBind: GPUBindGroup;
  private readonly partialsXX: GPUBuffer;
  private readonly partialsU: GPUBuffer;
  private readonly dbeta: GPUBuffer;
  private readonly buffers: GPUBuffer[];

  private constructor(ctx: GpuContext, pass: GlmmPassGpu, shared: SharedState, owns: GPUBuffer[]) {
    const groups = pass.groups;
    if (!groups) throw new Error('internal: the per-group updates need a pass in the group layout');
    this.ctx = ctx;
    this.shared = shared;
    const { q, p, nl } = groups;
    const p1 = p + 1;
    this.q = q;
    this.p = p;
    this.ngroups = nl;
    this.EX = (p1 * (p1 + 1)) / 2;
    this.per = q * q + p1 * q;
    const chunk = chunkFor(nl, 1 + 2 * this.EX, 1);
    this.nchunks = Math.ceil(nl / chunk);
    const code = shaderSource('glmmGroups');
    const layout = structLayout(code, 'Params');
    const params = ([0, 1, 2] as const).map((mode) => createUniform(ctx, packUniform(layout, {
      ngroups: nl, q, p, E: groups.E, EX: this.EX, chunk, nchunks: this.nchunks, mode,
    }), `glmm groups params ${mode}`));
    const segments = createStorage(ctx, groups.segments, 'glmm group segments');
    const Azz = createStorage(ctx, nl * q * q * 4, 'glmm group Azz');
    const AXz = createStorage(ctx, nl * p1 * q * 4, 'glmm group AXz');
    this.slab = groupFactorSlab(ctx, shared.factor, {
      g0: 0, ngroups: nl, q, p1, chunk, Azz, AXz, T: shared.T, shift: { buffer: shared.uCand, row: p }, label: 'glmm group factor',
    });
    this.partialsXX = createStorage(ctx, this.nchunks * this.EX * 2 * 4, 'glmm group XX partials');
    this.dbeta = createStorage(ctx, Math.max(16, p * 4), 'glmm Δβ');
    const perGroupU = createStorage(ctx, nl * 2 * 4, 'glmm group u sums');
    this.partialsU = createStorage(ctx, this.nchunks * 3 * 4, 'glmm group u partials');
    const { partial, coef } = pass.deviceBuffers;
    const k = shared.kernels;
    this.gatherBind = k.gather.bind({ params: params[0], partial, segments, Azz, AXz });
    this.sumXXBind = k.sumXX.bind({ params: params[0], partial, segments, partialsXX: this.partialsXX });
    this.updateBinds = params.map((pr) => k.update.bind({
      params: pr, T: shared.T, uAcc: shared.uAcc, L: this.slab.L, LX: this.slab.LX, dbeta: this.dbeta, uCand: shared.uCand, coef, zmax: shared.zmax, perGroupU,
    }));
    this.sumsBind = k.updateSums.bind({ params: params[0], perGroupUIn: perGroupU, partialsU: this.partialsU });
    this.buffers = [...params, segments, Azz, AXz, ...this.slab.buffers, this.partialsXX, this.dbeta, perGroupU, this.partialsU, ...owns];
  }

  /**
   * The per-group updates for `pass` (group layout) of `block`; `share`: the instance of the other
   * pass (β free / fixed), whose state (u_acc, u, T) and pipelines this one uses.
   */
  static async create(ctx: GpuContext, pass: GlmmPassGpu, block: RandomBlock, share?: GlmmGroupsGpu, options: GlmmGroupsOptions = {}): Promise<GlmmGroupsGpu> {
    if (share) return new GlmmGroupsGpu(ctx, pass, share.shared, []);
    const code = shaderSource('glmmGroups');
    const [gather, sumXX, update, updateSums] = await Promise.all(['gather', 'sumXX', 'update', 'updateSums'].map((e) =>
      ComputeKernel.create(ctx, code, e, { label: `glmmGroups.${e}` })));
    for (const k of [gather, sumXX, update, updateSums]) {
      if (k.invocationsPerWorkgroup > ctx.limits.maxComputeInvocationsPerWorkgroup) {
        throw new Error(`${k.label}: ${k.invocationsPerWorkgroup} invocations per workgroup exceed this device's maxComputeInvocationsPerWorkgroup of ${ctx.limits.maxComputeInvocationsPerWorkgroup}`);
      }
    }
    const { q, nl } = block;
    const factor = await groupFactorKernels(ctx, factorVariantFor(ctx, q, options.factor));
    const zmax = Float32Array.from(columnMaxAbs(block));
    const shared: SharedState = {
      uAcc: createStorage(ctx, nl * q * 4, 'glmm u accepted'),
      uCand: createStorage(ctx, nl * q * 4, 'glmm u'),
      T: createStorage(ctx, Math.max(16, q * q * 4), 'glmm T'),
      zmax: createStorage(ctx, zmax, 'glmm max |Z|'),
      kernels: { gather, sumXX, update, updateSums },
      factor,
    };
    return new GlmmGroupsGpu(ctx, pass, shared, [shared.uAcc, shared.uCand, shared.T, shared.zmax]);
  }

  /** the factor kernel in use ('thread': one thread per group; 'group': one workgroup per group) */
  get factorVariant(): FactorVariant {
    return this.shared.factor.variant;
  }

  /** The template T = Λ_g at θ (q × q row-major, lower triangular). */
  setTemplate(T: Float64Array): void {
    writeBuffer(this.ctx, this.shared.T, Float32Array.from(T));
  }

  /** u_acc = u = 0 (PIRLS's cold start). */
  reset(): void {
    const zero = new Float32Array(this.ngroups * this.q);
    writeBuffer(this.ctx, this.shared.uAcc, zero);
    writeBuffer(this.ctx, this.shared.uCand, zero);
  }

  /**
   * The factor at the Gram matrix the pass formed last: Σ log|L_g|², and the Schur complement's
   * S_XX (p × p, row-major, symmetric) and S_Xr (p), finished in float64.
   */
  async factor(): Promise<{ ldL2: number; SXX: Float64Array; SXr: Float64Array }> {
    const { ctx, p, nchunks, EX } = this;
    const p1 = p + 1;
    const k = this.shared.kernels;
    const enc = ctx.device.createCommandEncoder({ label: 'glmm group factor' });
    const pass = enc.beginComputePass({ label: 'glmm group factor' });
    k.gather.dispatch(pass, this.gatherBind, k.gather.workgroupsFor(this.ngroups * this.per));
    k.sumXX.dispatch(pass, this.sumXXBind, k.sumXX.workgroupsFor(nchunks * EX));
    encodeGroupFactor(pass, this.shared.factor, this.slab, p1);
    pass.end();
    const E = 1 + EX;
    const [fac, xx] = await readRanges(ctx, [
      { buffer: this.slab.partials, size: nchunks * E * 2 * 4 },
      { buffer: this.partialsXX, size: nchunks * EX * 2 * 4 },
    ], enc);
    this.counts.factors++;
    // (sum, compensation) per chunk and entry, added in float64
    const sums = new Float64Array(E);
    addPartials(fac, nchunks, E, sums);
    const sumsXX = new Float64Array(EX);
    addPartials(xx, nchunks, EX, sumsXX);
    const LL = unpackSums(sums, p1);
    const A = unpackSums(sumsXX, p1, 0);
    // S = A_[Xr][Xr] − Σ_g [L_X,g; ℓ_g][L_X,g; ℓ_g]ᵀ: its XX block and its r column
    const SXX = new Float64Array(p * p);
    const SXr = new Float64Array(p);
    for (let r = 0; r < p; r++) {
      for (let s = 0; s < p; s++) SXX[r * p + s] = A[r * p1 + s] - LL[r * p1 + s];
      SXr[r] = A[p * p1 + r] - LL[p * p1 + r];
    }
    return { ldL2: sums[0], SXX, SXr };
  }

  /** u by `mode` (Δβ for the step), b = Λu into the pass's coefficients; returns ‖u‖² and the bound on max |Δη| from the random effects. */
  private async update(mode: UpdateMode, dbeta?: Float64Array): Promise<{ sqrU: number; etaBound: number }> {
    const { ctx, nchunks } = this;
    const k = this.shared.kernels;
    if (mode === 0 && this.p > 0) {
      if (!dbeta || dbeta.length !== this.p) throw new Error('internal: the step of u needs Δβ');
      writeBuffer(ctx, this.dbeta, Float32Array.from(dbeta));
    }
    const enc = ctx.device.createCommandEncoder({ label: 'glmm group update' });
    const pass = enc.beginComputePass({ label: 'glmm group update' });
    k.update.dispatch(pass, this.updateBinds[mode], k.update.workgroupsFor(this.ngroups));
    k.updateSums.dispatch(pass, this.sumsBind, k.updateSums.workgroupsFor(nchunks));
    pass.end();
    ctx.device.queue.submit([enc.finish()]);
    this.counts.updates++;
    const part = new Float32Array(await readBuffer(ctx, this.partialsU, 0, nchunks * 3 * 4));
    let sqrU = 0;
    let etaBound = 0;
    for (let c = 0; c < nchunks; c++) { sqrU += part[3 * c] + part[3 * c + 1]; etaBound = Math.max(etaBound, part[3 * c + 2]); }
    return { sqrU, etaBound };
  }

  /**
   * One round trip for a new state: the update of u by `mode`, then `evaluate` (the pass at the new
   * state: η, μ, w, r, the deviance and the cross-products, which must submit its work before its
   * first await), then the factor at that state (for the next step, should the state be accepted),
   * all queued before any result is awaited.
   */
  async advance(mode: UpdateMode, dbeta: Float64Array | undefined, evaluate: () => Promise<number>): Promise<{ sqrU: number; etaBound: number; dev: number; factor: { ldL2: number; SXX: Float64Array; SXr: Float64Array } }> {
    const upd = this.update(mode, dbeta);
    const dev = evaluate();
    const factor = this.factor();
    const [u, d, f] = await Promise.all([upd, dev, factor]);
    return { ...u, dev: d, factor: f };
  }

  /** u_acc = u (the candidate accepted). */
  accept(): void {
    const enc = this.ctx.device.createCommandEncoder({ label: 'glmm accept' });
    enc.copyBufferToBuffer(this.shared.uCand, 0, this.shared.uAcc, 0, this.ngroups * this.q * 4);
    this.ctx.device.queue.submit([enc.finish()]);
  }

  /** The accepted u (level-major, ngroups × q). */
  async readU(): Promise<Float32Array> {
    return new Float32Array(await readBuffer(this.ctx, this.shared.uAcc, 0, this.ngroups * this.q * 4));
  }

  /** Frees this instance's buffers (and the shared state, for the instance that made it). */
  dispose(): void {
    for (const b of this.buffers) b.destroy();
  }
}
