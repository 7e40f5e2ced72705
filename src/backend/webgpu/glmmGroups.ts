/**
 * Host of shaders/glmmGroups.wgsl: the per-group updates of PIRLS on the device, for a GLMM with one
 * grouping factor (q ≤ MAX_Q, q + p + 1 ≤ MAX_W: limits.ts) whose pass (glmmPass.ts) runs in the group layout. Per
 * iteration: `factor` (per-group Cholesky factors, the step's right-hand side and the groups'
 * shares of the Schur complement, summed over chunks of groups with compensation) reads back
 * 2(1 + p(p+1)/2 + p) floats per chunk of GROUP_CHUNK groups; the host solves the p × p system for
 * Δβ in float64; `update` forms u,
 * b = Λu (into the pass's coefficients, where the next reweight reads them) and reads back ‖u‖² and
 * the bound on the change of η per chunk. u stays on the device (f32) between iterations and
 * between PIRLS runs (the warm start); `readU` fetches it.
 *
 * The state is two vectors of ngroups × q: u_acc (the accepted iterate) and u (the candidate);
 * the passes with and without X (β free / fixed) share them.
 */
import { type RandomBlock, columnMaxAbs } from '../../model/lambda.js';
import type { GpuContext } from './device.js';
import { groupShaderLimit } from './limits.js';
import type { GlmmPassGpu } from './glmmPass.js';
import { ComputeKernel, packUniform, structLayout } from './kernel.js';
import { createStorage, createUniform, readBuffer, writeBuffer } from './buffers.js';
import { shaderSource } from './shaders.generated.js';

/** Groups summed by one thread of the reductions. */
export const GROUP_CHUNK = 256;

/** Whether a block and p fit the shader's per-thread arrays. */
export function groupUpdatesSupported(q: number, p: number): boolean {
  return q >= 1 && groupShaderLimit(q, p) === null;
}

/** The update of u: the Newton step from u_acc (0), the halved step (1), u = u_acc (2). */
export type UpdateMode = 0 | 1 | 2;

interface SharedState {
  uAcc: GPUBuffer;
  uCand: GPUBuffer;
  T: GPUBuffer;
  zmax: GPUBuffer;
  kernels: { factor: ComputeKernel; reduce: ComputeKernel; update: ComputeKernel; updateSums: ComputeKernel };
}

export class GlmmGroupsGpu {
  readonly ngroups: number;
  readonly q: number;
  readonly p: number;
  readonly nchunks: number;
  private readonly R: number;
  private readonly ctx: GpuContext;
  private readonly shared: SharedState;
  private readonly factorBind: GPUBindGroup;
  private readonly reduceBind: GPUBindGroup;
  private readonly updateBinds: GPUBindGroup[];
  private readonly sumsBind: GPUBindGroup;
  private readonly partials: GPUBuffer;
  private readonly partialsU: GPUBuffer;
  private readonly dbeta: GPUBuffer;
  private readonly buffers: GPUBuffer[];

  private constructor(ctx: GpuContext, pass: GlmmPassGpu, shared: SharedState, owns: GPUBuffer[]) {
    const groups = pass.groups;
    if (!groups) throw new Error('internal: the per-group updates need a pass in the group layout');
    this.ctx = ctx;
    this.shared = shared;
    const { q, p, nl } = groups;
    this.q = q;
    this.p = p;
    this.ngroups = nl;
    this.nchunks = Math.ceil(nl / GROUP_CHUNK);
    this.R = 1 + (p * (p + 1)) / 2 + p;
    const F = (q * (q + 1)) / 2 + p * q + q;
    const code = shaderSource('glmmGroups');
    const layout = structLayout(code, 'Params');
    const params = ([0, 1, 2] as const).map((mode) => createUniform(ctx, packUniform(layout, {
      ngroups: nl, q, p, E: groups.E, R: this.R, F, chunk: GROUP_CHUNK, nchunks: this.nchunks, mode,
    }), `glmm groups params ${mode}`));
    const segments = createStorage(ctx, groups.segments, 'glmm group segments');
    const perGroup = createStorage(ctx, nl * this.R * 4, 'glmm group S');
    const factorBuf = createStorage(ctx, nl * F * 4, 'glmm group factors');
    this.partials = createStorage(ctx, this.nchunks * this.R * 2 * 4, 'glmm group partials');
    this.dbeta = createStorage(ctx, Math.max(16, p * 4), 'glmm Δβ');
    const perGroupU = createStorage(ctx, nl * 2 * 4, 'glmm group u sums');
    this.partialsU = createStorage(ctx, this.nchunks * 3 * 4, 'glmm group u partials');
    const { partial, coef } = pass.deviceBuffers;
    const k = shared.kernels;
    this.factorBind = k.factor.bind({ params: params[0], partial, segments, T: shared.T, uNow: shared.uCand, perGroup, factorOut: factorBuf });
    this.reduceBind = k.reduce.bind({ params: params[0], perGroup, partials: this.partials });
    this.updateBinds = params.map((pr) => k.update.bind({
      params: pr, T: shared.T, uAcc: shared.uAcc, factorIn: factorBuf, dbeta: this.dbeta, uCand: shared.uCand, coef, zmax: shared.zmax, perGroupU,
    }));
    this.sumsBind = k.updateSums.bind({ params: params[0], perGroupUIn: perGroupU, partialsU: this.partialsU });
    this.buffers = [...params, segments, perGroup, factorBuf, this.partials, this.dbeta, perGroupU, this.partialsU, ...owns];
  }

  /**
   * The per-group updates for `pass` (group layout) of `block`; `share`: the instance of the other
   * pass (β free / fixed), whose state (u_acc, u, T) and pipelines this one uses.
   */
  static async create(ctx: GpuContext, pass: GlmmPassGpu, block: RandomBlock, share?: GlmmGroupsGpu): Promise<GlmmGroupsGpu> {
    if (share) return new GlmmGroupsGpu(ctx, pass, share.shared, []);
    const code = shaderSource('glmmGroups');
    const [factor, reduce, update, updateSums] = await Promise.all(['factor', 'reduce', 'update', 'updateSums'].map((e) =>
      ComputeKernel.create(ctx, code, e, { label: `glmmGroups.${e}` })));
    const { q, nl } = block;
    const zmax = Float32Array.from(columnMaxAbs(block));
    const shared: SharedState = {
      uAcc: createStorage(ctx, nl * q * 4, 'glmm u accepted'),
      uCand: createStorage(ctx, nl * q * 4, 'glmm u'),
      T: createStorage(ctx, Math.max(16, q * q * 4), 'glmm T'),
      zmax: createStorage(ctx, zmax, 'glmm max |Z|'),
      kernels: { factor, reduce, update, updateSums },
    };
    return new GlmmGroupsGpu(ctx, pass, shared, [shared.uAcc, shared.uCand, shared.T, shared.zmax]);
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
    const { ctx, p, R, nchunks } = this;
    const k = this.shared.kernels;
    const enc = ctx.device.createCommandEncoder({ label: 'glmm group factor' });
    const pass = enc.beginComputePass({ label: 'glmm group factor' });
    k.factor.dispatch(pass, this.factorBind, k.factor.workgroupsFor(this.ngroups));
    pass.end();
    const pass2 = enc.beginComputePass({ label: 'glmm group reduce' });
    k.reduce.dispatch(pass2, this.reduceBind, k.reduce.workgroupsFor(nchunks));
    pass2.end();
    ctx.device.queue.submit([enc.finish()]);
    // (sum, compensation) per chunk and entry, added in float64
    const part = new Float32Array(await readBuffer(ctx, this.partials, 0, nchunks * R * 2 * 4));
    const sums = new Float64Array(R);
    for (let c = 0; c < nchunks; c++) for (let e = 0; e < R; e++) sums[e] += part[2 * (c * R + e)] + part[2 * (c * R + e) + 1];
    const SXX = new Float64Array(p * p);
    let e = 1;
    for (let r = 0; r < p; r++) for (let s = 0; s <= r; s++) { SXX[r * p + s] = sums[e]; SXX[s * p + r] = sums[e]; e++; }
    return { ldL2: sums[0], SXX, SXr: sums.slice(e, e + p) };
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
    pass.end();
    const pass2 = enc.beginComputePass({ label: 'glmm group update sums' });
    k.updateSums.dispatch(pass2, this.sumsBind, k.updateSums.workgroupsFor(nchunks));
    pass2.end();
    ctx.device.queue.submit([enc.finish()]);
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
