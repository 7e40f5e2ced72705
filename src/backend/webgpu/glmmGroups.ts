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
 * and between PIRLS runs (the warm start); `readU` fetches it. With β fixed (p = 0, one factor) the
 * warm start's state (`advance(2)`) and the Newton step from it are formed in one round trip: the
 * step needs nothing from the host, and PIRLS always asks for it next (`ahead`).
 *
 * The state is two vectors of ngroups × q: u_acc (the accepted iterate) and u (the candidate);
 * the passes with and without X (β free / fixed) share them.
 *
 * Several grouping factors (`coupled`, the pass in its mixed layout): `factor` also reads back L_00
 * and [L_X0; ℓ_0], and the host finishes the blocked Cholesky from that first block in float64
 * (hostFactor); the other blocks' u live here in float64, and their fitted part A (0, b_1, …, 0) is in
 * the r column (addFittedPart; the first block's share Σ_k A_0k b_k goes up as the gather's `extra`), so
 * the factor's forward solve is the step's for (Δu_0, the other blocks' new u, Δβ). `advance` solves
 * the step by solveLmm's back substitution, sends Δu_0 up (update mode 3), uploads the other blocks'
 * b with the next state and factors there: two round trips an iteration.
 */
import { type RandomBlock, columnMaxAbs } from '../../model/lambda.js';
import { BlockedCholesky, type FirstBlock } from '../../linalg/blockedCholesky.js';
import { applyTemplate, fillTemplate } from '../../linalg/template.js';
import { solveLmm } from '../../lmm/solution.js';
import { addFittedPart } from '../../glmm/weightedGram.js';
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
  /** more grouping factors: all the model's blocks (blocks[0] is this one's) and the length of θ */
  coupled?: { blocks: RandomBlock[]; nTheta: number };
}

/**
 * With more grouping factors, the host's part (float64): blocks k ≥ 1's u (accepted and candidate),
 * their templates and max |Z| per column, at θ.
 */
interface HostBlocks {
  blocks: RandomBlock[];
  nTheta: number;
  theta: Float64Array;
  T: Float64Array[];
  zmax: Float64Array[];
  uAcc: Float64Array[];
  uCand: Float64Array[];
}

interface SharedState {
  uAcc: GPUBuffer;
  uCand: GPUBuffer;
  T: GPUBuffer;
  zmax: GPUBuffer;
  kernels: { gather: ComputeKernel; sumXX: ComputeKernel; update: ComputeKernel; updateSums: ComputeKernel };
  factor: GroupFactorKernels;
  /** coupled: the Δu_0 the host solved (update mode 3) */
  step: GPUBuffer;
  host: HostBlocks | null;
  /**
   * β fixed, one grouping factor: the state one Newton step past the one `advance(2)` returned, formed
   * in the same round trip (see `advance`), for the `advance(0)` that follows it; `back` puts the
   * device at advance(2)'s state again for any other call
   */
  ahead: { owner: GlmmGroupsGpu; result: Promise<Advanced>; back: () => Promise<unknown> } | null;
}

/** A new state's ‖u‖², bound on |Δη| from u, deviance and factor (`advance`). */
type Advanced = { sqrU: number; etaBound: number; dev: number; factor: { ldL2: number; SXX: Float64Array; SXr: Float64Array } };

export class GlmmGroupsGpu {
  readonly ngroups: number;
  readonly q: number;
  readonly p: number;
  readonly nchunks: number;
  /**
   * this instance's factors and updates (the path the fit took, for its timings and tests), the
   * bytes they read back, and with `profile` (bench/glmmCost.ts) the time of each part of a round
   * trip: the update, the pass's evaluation and the factor, each awaited before the next
   */
  readonly counts = { factors: 0, updates: 0, readbackBytes: 0, updateMs: 0, passMs: 0, factorMs: 0 };
  profile = false;
  /** β fixed: form the Newton step from advance(2)'s state in the same round trip (false: the general path, for tests) */
  lookAhead = true;
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
  private readonly pass: GlmmPassGpu;
  /** coupled: the other blocks' fitted part for the gather, and the factor of the whole model */
  private readonly extra: GPUBuffer;
  private readonly chol: BlockedCholesky | null;
  /** coupled: the pass's count when its gram got the other blocks' fitted part */
  private fittedAt = -1;

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
    this.pass = pass;
    const coupled = groups.coupled ? 1 : 0;
    if (groups.coupled !== (shared.host !== null)) throw new Error('internal: a pass with several grouping factors needs the coupled per-group updates');
    const params = ([0, 1, 2, 3] as const).map((mode) => createUniform(ctx, packUniform(layout, {
      ngroups: nl, q, p, E: groups.E, EX: this.EX, chunk, nchunks: this.nchunks, mode, coupled,
    }), `glmm groups params ${mode}`));
    this.extra = createStorage(ctx, Math.max(16, coupled * nl * q * 4), 'glmm group extra');
    this.chol = shared.host ? new BlockedCholesky(pass.gram, shared.host.nTheta) : null;
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
    this.gatherBind = k.gather.bind({ params: params[0], partial, segments, Azz, AXz, extra: this.extra });
    this.sumXXBind = k.sumXX.bind({ params: params[0], partial, segments, partialsXX: this.partialsXX });
    this.updateBinds = params.map((pr) => k.update.bind({
      params: pr, T: shared.T, uAcc: shared.uAcc, L: this.slab.L, LX: this.slab.LX, dbeta: this.dbeta, uCand: shared.uCand, coef, zmax: shared.zmax, perGroupU,
      step: shared.step,
    }));
    this.sumsBind = k.updateSums.bind({ params: params[0], perGroupUIn: perGroupU, partialsU: this.partialsU });
    this.buffers = [...params, segments, Azz, AXz, ...this.slab.buffers, this.partialsXX, this.dbeta, perGroupU, this.partialsU, this.extra, ...owns];
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
    const cp = options.coupled;
    const host: HostBlocks | null = cp ? {
      blocks: cp.blocks, nTheta: cp.nTheta, theta: new Float64Array(cp.nTheta),
      T: cp.blocks.map((b) => new Float64Array(b.q * b.q)),
      zmax: cp.blocks.map((b) => columnMaxAbs(b)),
      uAcc: cp.blocks.map((b) => new Float64Array(b.nl * b.q)),
      uCand: cp.blocks.map((b) => new Float64Array(b.nl * b.q)),
    } : null;
    const shared: SharedState = {
      uAcc: createStorage(ctx, nl * q * 4, 'glmm u accepted'),
      uCand: createStorage(ctx, nl * q * 4, 'glmm u'),
      T: createStorage(ctx, Math.max(16, q * q * 4), 'glmm T'),
      zmax: createStorage(ctx, zmax, 'glmm max |Z|'),
      kernels: { gather, sumXX, update, updateSums },
      factor,
      step: createStorage(ctx, Math.max(16, cp ? nl * q * 4 : 0), 'glmm group host step'),
      host,
      ahead: null,
    };
    return new GlmmGroupsGpu(ctx, pass, shared, [shared.uAcc, shared.uCand, shared.T, shared.zmax, shared.step]);
  }

  /** the factor kernel in use ('thread': one thread per group; 'group': one workgroup per group) */
  get factorVariant(): FactorVariant {
    return this.shared.factor.variant;
  }

  /** The template T = Λ_g at θ (q × q row-major, lower triangular); with more grouping factors θ itself is needed too. */
  setTemplate(T: Float64Array, theta?: ArrayLike<number>): void {
    // a new θ: a new PIRLS run, which starts from a new state (advance(2), or the cold start's factor)
    this.shared.ahead = null;
    writeBuffer(this.ctx, this.shared.T, Float32Array.from(T));
    const h = this.shared.host;
    if (h) {
      if (!theta) throw new Error('internal: the per-group updates with several grouping factors need θ');
      h.theta.set(Array.from(theta));
      h.blocks.forEach((b, k) => fillTemplate(b, h.theta, h.T[k]));
    }
  }

  /** u_acc = u = 0 (PIRLS's cold start). */
  reset(): void {
    this.shared.ahead = null;
    const zero = new Float32Array(this.ngroups * this.q);
    writeBuffer(this.ctx, this.shared.uAcc, zero);
    writeBuffer(this.ctx, this.shared.uCand, zero);
    const h = this.shared.host;
    if (h) for (let k = 1; k < h.blocks.length; k++) { h.uAcc[k].fill(0); h.uCand[k].fill(0); }
  }

  /** coupled: b_k = Λ_k u_k of the candidate (b[0] empty: the device's) */
  private otherModes(h: HostBlocks): Float64Array[] {
    return h.blocks.map((b, k) => (k === 0 ? new Float64Array(b.nl * b.q) : applyTemplate(h.T[k], b.q, b.nl, h.uCand[k])));
  }

  /**
   * The factor at the Gram matrix the pass formed last: Σ log|L_g|², and the Schur complement's
   * S_XX (p × p, row-major, symmetric) and S_Xr (p), finished in float64.
   */
  async factor(): Promise<{ ldL2: number; SXX: Float64Array; SXr: Float64Array }> {
    await this.back();
    return this.factorNow();
  }

  /** `factor`, its work queued before its first await */
  private async factorNow(): Promise<{ ldL2: number; SXX: Float64Array; SXr: Float64Array }> {
    const { ctx, p, nchunks, EX } = this;
    const p1 = p + 1;
    const k = this.shared.kernels;
    const h = this.shared.host;
    const gram = this.pass.gram;
    if (h && this.fittedAt !== this.pass.timings.passes) {
      // the other blocks' fitted part into the cross-products of r (b_0 = 0, β = 0: A (0, b_1, …, 0)),
      // so that the step is solved for their new u: the first block's share goes to the gather
      addFittedPart(gram, this.otherModes(h), p > 0 ? new Float64Array(p) : null);
      this.fittedAt = this.pass.timings.passes;
      const m0 = this.ngroups * this.q;
      writeBuffer(ctx, this.extra, Float32Array.from(gram.AXk[0].subarray(p * m0, p1 * m0)));
    }
    const enc = ctx.device.createCommandEncoder({ label: 'glmm group factor' });
    const pass = enc.beginComputePass({ label: 'glmm group factor' });
    k.gather.dispatch(pass, this.gatherBind, k.gather.workgroupsFor(this.ngroups * this.per));
    k.sumXX.dispatch(pass, this.sumXXBind, k.sumXX.workgroupsFor(nchunks * EX));
    encodeGroupFactor(pass, this.shared.factor, this.slab, p1);
    pass.end();
    const E = 1 + EX;
    const { q, ngroups: G } = this;
    const ranges = [
      { buffer: this.slab.partials, size: nchunks * E * 2 * 4 },
      { buffer: this.partialsXX, size: nchunks * EX * 2 * 4 },
    ];
    // coupled: L_00 and [L_X0; ℓ_0] come back for the host's part of the factor
    if (h) ranges.push({ buffer: this.slab.L, size: G * q * q * 4 }, { buffer: this.slab.LX, size: G * p1 * q * 4 });
    const [fac, xx, Lraw, LXraw] = await readRanges(ctx, ranges, enc);
    this.counts.factors++;
    this.counts.readbackBytes += ranges.reduce((a, r) => a + r.size, 0);
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
    if (h) return this.hostFactor(h, sums[0], A, LL, new Float32Array(Lraw), new Float32Array(LXraw));
    for (let r = 0; r < p; r++) {
      for (let s = 0; s < p; s++) SXX[r * p + s] = A[r * p1 + s] - LL[r * p1 + s];
      SXr[r] = A[p * p1 + r] - LL[p * p1 + r];
    }
    return { ldL2: sums[0], SXX, SXr };
  }

  /**
   * Several grouping factors: the rest of the blocked Cholesky on the host in float64 from the first
   * block's factor on the device (BlockedCholesky.factor with a FirstBlock, as the LMM's backend),
   * the other blocks' cross-products read back by the pass and the r column with their fitted part.
   * Its forward solve is the step's (Δu_0 through ℓ_0, the other blocks' new u, Δβ); the Schur
   * complement for Δβ is S_XX = L_XX L_XXᵀ, S_Xr = L_XX r_yX.
   */
  private hostFactor(h: HostBlocks, ld0: number, A: Float64Array, LL: Float64Array, L: Float32Array, LX: Float32Array): { ldL2: number; SXX: Float64Array; SXr: Float64Array } {
    const { p, q, ngroups: G } = this;
    const p1 = p + 1, m = G * q;
    const gram = this.pass.gram;
    const L0 = new Float64Array(G * q * q);
    const LX0 = new Float64Array(p1 * m);
    for (let g = 0; g < G; g++) {
      const o = g * q * q;
      // the lower triangle (the strict upper one is the kernels' scratch)
      for (let a = 0; a < q; a++) for (let b = 0; b <= a; b++) L0[o + a * q + b] = L[o + a * q + b];
      for (let r = 0; r < p1; r++) for (let t = 0; t < q; t++) LX0[r * m + g * q + t] = LX[(g * p1 + r) * q + t];
    }
    // S_0 = A_[Xr][Xr] − [L_X0; ℓ_0][L_X0; ℓ_0]ᵀ, with the other blocks' fitted part in the r column
    const S0 = new Float64Array(p1 * p1);
    for (let e = 0; e < p1 * p1; e++) S0[e] = A[e] - LL[e];
    for (let r = 0; r < p1; r++) { S0[p * p1 + r] += gram.AXX[p * p1 + r]; if (r < p) S0[r * p1 + p] += gram.AXX[r * p1 + p]; }
    const first: FirstBlock = { L0, LX0, ldL2: ld0, S0 };
    const chol = this.chol!;
    chol.factor(h.theta, first);
    const LXX = chol.LXX;
    const SXX = new Float64Array(p * p);
    const SXr = new Float64Array(p);
    for (let r = 0; r < p; r++) {
      for (let s = 0; s <= r; s++) {
        let acc = 0;
        for (let t = 0; t <= s; t++) acc += LXX[r * p1 + t] * LXX[s * p1 + t];
        SXX[r * p + s] = acc;
        SXX[s * p + r] = acc;
      }
      let acc = 0;
      for (let t = 0; t <= r; t++) acc += LXX[r * p1 + t] * LXX[p * p1 + t];
      SXr[r] = acc;
    }
    return { ldL2: chol.ldL2, SXX, SXr };
  }

  /** u by `mode` (Δβ for the step), b = Λu into the pass's coefficients; returns ‖u‖² and the bound on max |Δη| from the random effects. */
  private async update(mode: UpdateMode | 3, dbeta?: Float64Array): Promise<{ sqrU: number; etaBound: number }> {
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
    this.counts.readbackBytes += nchunks * 3 * 4;
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
  async advance(mode: UpdateMode, dbeta: Float64Array | undefined, evaluate: () => Promise<number>, lookAhead = this.lookAhead): Promise<Advanced> {
    const h = this.shared.host;
    if (h) return this.advanceCoupled(h, mode, dbeta, evaluate);
    const ahead = this.shared.ahead;
    if (mode === 0 && ahead?.owner === this) {
      // the step formed with the last advance(2): the same work, already done (no round trip)
      this.shared.ahead = null;
      return ahead.result;
    }
    await this.back();
    if (this.profile) {
      const c = this.counts;
      const t0 = performance.now();
      const u = await this.update(mode, dbeta);
      const t1 = performance.now();
      const d = await evaluate();
      const t2 = performance.now();
      const f = await this.factorNow();
      c.updateMs += t1 - t0; c.passMs += t2 - t1; c.factorMs += performance.now() - t2;
      return { ...u, dev: d, factor: f };
    }
    const state = (m: UpdateMode): Promise<Advanced> => {
      const upd = this.update(m, dbeta);
      const dev = evaluate();
      const factor = this.factorNow();
      return Promise.all([upd, dev, factor]).then(([u, d, f]) => ({ ...u, dev: d, factor: f }));
    };
    const now = state(mode);
    if (mode === 2 && this.p === 0 && lookAhead) {
      // β fixed: PIRLS's next request is the Newton step from this state (advance(0)), which needs
      // nothing from the host (no Δβ): queue its update, evaluation and factor behind this state's,
      // one round trip for both; any other request first puts this state back (`back`)
      const next = state(0);
      this.shared.ahead = { owner: this, result: next, back: () => state(2) };
      // both settle before this returns (their failures are the caller's, from `now` or advance(0))
      await Promise.allSettled([now, next]);
    }
    return now;
  }

  /**
   * The device at the state advance(2) returned, when it has gone a step ahead (`ahead`) and the
   * caller asks for anything but that step: the state formed again (one round trip; PIRLS never does)
   */
  private async back(): Promise<void> {
    const ahead = this.shared.ahead;
    if (!ahead) return;
    this.shared.ahead = null;
    await ahead.result.catch(() => undefined);
    await ahead.back();
  }

  /**
   * `advance` with several grouping factors: the step of every block from the host's factor (the
   * back substitution of solveLmm: the other blocks' new u, the first block's Δu_0, which goes up
   * for update mode 3), then the update of u_0 on the device, the pass at the new state (the other
   * blocks' b uploaded with it; its cross-products read back) and the factor there: two round trips.
   */
  private async advanceCoupled(h: HostBlocks, mode: UpdateMode, dbeta: Float64Array | undefined, evaluate: () => Promise<number>): Promise<{ sqrU: number; etaBound: number; dev: number; factor: { ldL2: number; SXX: Float64Array; SXr: Float64Array } }> {
    const K = h.blocks.length;
    let devMode: 0 | 1 | 2 | 3 = mode;
    if (mode === 0) {
      if (this.p > 0 && (!dbeta || dbeta.length !== this.p)) throw new Error('internal: the step of u needs Δβ');
      // the back substitution from the factor of the last state (u[0] is Δu_0, u[k ≥ 1] the new u_k)
      const sol = solveLmm(this.chol!, 1, false);
      writeBuffer(this.ctx, this.shared.step, Float32Array.from(sol.u[0]));
      for (let k = 1; k < K; k++) h.uCand[k].set(sol.u[k]);
      devMode = 3;
    } else {
      for (let k = 1; k < K; k++) {
        const c = h.uCand[k], a = h.uAcc[k];
        for (let j = 0; j < c.length; j++) c[j] = mode === 1 ? 0.5 * (c[j] + a[j]) : a[j];
      }
    }
    // the other blocks' ‖u_k‖² and bound on |Δη|: Σ_k max over levels of Σ_s max|Z_ks| |Λ_k Δu_k|_s
    let sqr = 0, bound = 0;
    for (let k = 1; k < K; k++) {
      const b = h.blocks[k], c = h.uCand[k], a = h.uAcc[k], z = h.zmax[k];
      for (const v of c) sqr += v * v;
      const db = applyTemplate(h.T[k], b.q, b.nl, Float64Array.from(c, (v, j) => v - a[j]));
      let worst = 0;
      for (let g = 0; g < b.nl; g++) {
        let s = 0;
        for (let t = 0; t < b.q; t++) s += z[t] * Math.abs(db[g * b.q + t]);
        worst = Math.max(worst, s);
      }
      bound += worst;
    }
    this.pass.setOtherModes(this.otherModes(h));
    const t0 = performance.now();
    const upd = this.update(devMode, dbeta);
    if (this.profile) await upd;
    const t1 = performance.now();
    const dev = await evaluate();
    const t2 = performance.now();
    const u = await upd;
    // (the factor includes the host's part: the other blocks' fitted part, the blocked Cholesky)
    const factor = await this.factorNow();
    if (this.profile) { this.counts.updateMs += t1 - t0; this.counts.passMs += t2 - t1; this.counts.factorMs += performance.now() - t2; }
    return { sqrU: u.sqrU + sqr, etaBound: u.etaBound + bound, dev, factor };
  }

  /** u_acc = u (the candidate accepted). */
  accept(): void {
    // right after advance(2) (a look-ahead pending) the candidate is u_acc itself: nothing to copy,
    // and the device stays a step ahead until `back` (PIRLS never accepts there)
    if (this.shared.ahead) return;
    const enc = this.ctx.device.createCommandEncoder({ label: 'glmm accept' });
    enc.copyBufferToBuffer(this.shared.uCand, 0, this.shared.uAcc, 0, this.ngroups * this.q * 4);
    this.ctx.device.queue.submit([enc.finish()]);
    const h = this.shared.host;
    if (h) for (let k = 1; k < h.blocks.length; k++) h.uAcc[k].set(h.uCand[k]);
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
