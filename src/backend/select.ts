/**
 * Which backend a fit runs on — one rule for lmer, glmer, the CLI and the browser app — and the one
 * place that loads the WebGPU code (dynamic imports: a CPU fit never loads it).
 *
 *   'cpu' (default)  the CPU, float64;
 *   'webgpu'         the WebGPU adapter: the host's `device`, or the process's shared one; an error
 *                    when there is none;
 *   'auto'           WebGPU when an adapter is found and it is a hardware GPU, and one evaluation on
 *                    each says that the WebGPU fit with its float64 polish is the faster (an LMM:
 *                    deviceIsFaster; a GLMM: a PIRLS run with β fixed, glmmDeviceIsFaster); otherwise
 *                    the CPU, and the fit's messages say why. A software
 *                    adapter (SwiftShader, llvmpipe, WARP) is several times slower than the CPU
 *                    backend: 'webgpu' uses it anyway.
 *
 * The rule does not look at the model's size: every LMM and GLMM runs on the WebGPU backend (no
 * limit on p or q: src/backend/webgpu/blockdiag.ts, glmmPass.ts; a GLMM's per-group updates run in
 * the shaders where glmmSide.ts says, on the CPU in float64 otherwise), except a GLMM with a known
 * covariance matrix (relmat), whose PIRLS runs on the CPU ('webgpu' refuses it, 'auto' says why).
 * The parametric bootstrap's data pass (shaders/bootstrapGram.wgsl) has no limit on q, p or the
 * number of grouping factors either; a batch of replicates is split to fit the storage bindings.
 *
 * A model over the adapter's buffer limits (a buffer larger than maxStorageBufferBindingSize or
 * maxBufferSize; an LMM's groups are split into slabs within them first) is a ModelError naming the
 * buffer, its size and the limit under 'webgpu', and a CPU fit with that reason under 'auto'.
 *
 * A WebGPU fit optimizes on the device and is checked and polished in float64 on the CPU
 * (src/model/fitObjective.ts), so its numbers are float64 numbers either way.
 */
import { ModelError, OptionError } from '../errors/errors.js';
import type { CpuBackend } from './cpu/cpuBackend.js';
import type { GpuContext } from './webgpu/device.js';
import type { LmmBackend } from '../lmm/deviance.js';
import type { LmmModel } from '../lmm/model.js';
import type { GlmmModel } from '../glmm/model.js';
import type { GlmmDevice, GlmmGpuOptions } from '../glmm/objectives.js';
import type { PirlsEngine } from '../glmm/pirls.js';

export const BACKENDS = ['cpu', 'webgpu', 'auto'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

export interface BackendOptions {
  /** which backend evaluates the objective: 'cpu' (default), 'webgpu', or 'auto' (see src/backend/select.ts) */
  backend?: BackendChoice;
  /** a GPUDevice from the host application for the WebGPU backend (the host keeps owning it) */
  device?: GPUDevice;
}

/**
 * The GPU context a fit runs on, or null for the CPU (the rule above). For 'auto', `messages` gets
 * the reason for a CPU fit.
 */
export async function chooseDevice(options: BackendOptions, messages: string[]): Promise<GpuContext | null> {
  const want: string = options.backend ?? 'cpu';
  if (want === 'cpu') return null;
  if (want !== 'webgpu' && want !== 'auto') throw new OptionError('backend', `unknown backend '${want}' (choose one of ${BACKENDS.join(', ')})`);
  const { acquireGpu, gpuUnavailableReason, sharedGpu } = await import('./webgpu/device.js');
  const ctx = options.device ? await acquireGpu({ device: options.device }) : await sharedGpu();
  if (!ctx) {
    const reason = gpuUnavailableReason();
    if (want === 'webgpu') {
      throw new OptionError('backend', `backend 'webgpu': no WebGPU adapter is available${reason ? ` (${reason})` : ''}: in Node, the webgpu package with a Vulkan driver; on a machine without a GPU, SwiftShader (see README)`);
    }
    messages.push(`backend auto: CPU (no WebGPU adapter${reason ? `: ${reason}` : ''})`);
    return null;
  }
  if (want === 'auto' && ctx.isSoftware) {
    messages.push(`backend auto: CPU (the WebGPU adapter, ${ctx.adapterName}, is a software implementation, slower than the CPU backend; choose backend 'webgpu' to use it anyway)`);
    return null;
  }
  return ctx;
}

/**
 * A model this WebGPU path cannot take (`why`, null when it can): 'webgpu' throws, naming the reason;
 * 'auto' puts it in `messages` and answers true (fit on the CPU); false otherwise.
 */
function refuseModel(options: BackendOptions, why: string | null, messages: string[]): boolean {
  if (!why || (options.backend !== 'webgpu' && options.backend !== 'auto')) return false;
  if (options.backend === 'webgpu') throw new ModelError(`the WebGPU backend cannot fit this model: ${why}`);
  messages.push(`backend auto: CPU (${why})`);
  return true;
}

/** A device backend of an LMM fit, to be disposed of after the fit. */
export type DeviceLmmBackend = LmmBackend & { dispose(): void };

/**
 * The LMM's backend by the rule: null for the CPU (the float64 `reference` is then the backend),
 * or the WebGPU backend on the reference's Gram matrix (its first block uploaded, its pipelines
 * compiled). Every LMM fits the WebGPU shaders (no size limits; see src/backend/webgpu/blockdiag.ts).
 */
export async function lmmBackend(
  model: LmmModel, reference: CpuBackend, options: BackendOptions & { denseOnGpu?: boolean },
  messages: string[], timings: Record<string, number>,
): Promise<DeviceLmmBackend | null> {
  const t = performance.now();
  const ctx = await chooseDevice(options, messages);
  if (!ctx) return null;
  const { WebGpuBackend, GPU_DENSE_MIN_ROWS } = await import('./webgpu/webgpuBackend.js');
  let backend: Awaited<ReturnType<typeof WebGpuBackend.create>>;
  try {
    backend = await WebGpuBackend.create(ctx, model, reference.chol.gram, { denseOnGpu: options.denseOnGpu });
  } catch (e) {
    // a model over the device's buffer limits (one group's block over a binding): 'webgpu' says so, 'auto' fits on the CPU
    if (!(e instanceof ModelError)) throw e;
    refuseModel(options, e.message, messages);
    return null;
  }
  if (backend.denseNote) messages.push(`WebGPU backend: ${backend.denseNote}`);
  else if (backend.denseBlocksOn === 'mixed') {
    messages.push(`WebGPU backend: the crossed factors' dense blocks of ${GPU_DENSE_MIN_ROWS} rows or more (${backend.denseGroups('gpu').join(', ')}) are factored on the GPU (f32), the smaller (${backend.denseGroups('cpu').join(', ')}) on the CPU (float64)`);
  } else if (backend.denseBlocksOn !== 'none') {
    const what = model.known.some((k) => k) ? 'the dense blocks (crossed factors, known covariances)' : 'the crossed factors\' dense blocks';
    messages.push(`WebGPU backend: ${what} are factored on the ${backend.denseBlocksOn === 'gpu' ? 'GPU (f32)' : 'CPU (float64)'}`);
  }
  timings.gpuSetupMs = performance.now() - t;
  Object.assign(timings, { gpuUploadMs: backend.timings.uploadMs, gpuUploadBytes: backend.timings.uploadBytes, gpuCompileMs: backend.timings.compileMs });
  if (options.backend === 'auto') {
    // 'auto': one evaluation on each (the better of two: the first warms up) decides which fits faster
    const theta = model.theta.start;
    const time = async (f: () => unknown): Promise<number> => {
      let best = Infinity;
      for (let k = 0; k < 2; k++) {
        const t0 = performance.now();
        await f();
        best = Math.min(best, performance.now() - t0);
      }
      return best;
    };
    let deviceMs: number;
    try {
      deviceMs = await time(() => backend.evaluate(theta));
    } catch (e) {
      // a device lost (or failing) at its first evaluation: 'auto' fits on the CPU and says why
      messages.push(`backend auto: CPU (the WebGPU evaluation failed: ${(e as Error).message})`);
      backend.dispose();
      return null;
    }
    const cpuMs = await time(() => reference.evaluate(theta));
    timings.autoProbeMs = performance.now() - t - timings.gpuSetupMs;
    if (!deviceIsFaster(deviceMs, cpuMs, theta.length)) {
      messages.push(`backend auto: CPU (an evaluation of this model takes ${cpuMs.toPrecision(3)} ms on the CPU and ${deviceMs.toPrecision(3)} ms on WebGPU (${ctx.adapterName}): with the float64 polish a WebGPU fit would take longer)`);
      backend.dispose();
      return null;
    }
  }
  return backend;
}

/**
 * 'auto''s rule for an LMM, from one evaluation on each (`deviceMs`, `cpuMs`) with n = |θ|: the WebGPU
 * fit's optimization (N evaluations) plus its float64 check and Newton polish (about 4n + n(n − 1)/2
 * device and 3n + 3 float64 evaluations: src/model/fitObjective.ts) against N float64 evaluations on
 * the CPU, N ≈ 15n + 20 (BOBYQA's usual count on these models).
 */
export function deviceIsFaster(deviceMs: number, cpuMs: number, n: number): boolean {
  const N = 15 * n + 20;
  const device = (N + 4 * n + (n * (n - 1)) / 2) * deviceMs + (3 * n + 3) * cpuMs;
  return device < N * cpuMs;
}

/**
 * 'auto''s rule for a GLMM, from one PIRLS run with β fixed on each (`deviceMs`, `cpuMs`; warm, as
 * stage 2's and the polish's runs), n = |θ| + p, m = |θ|. The WebGPU fit: stage 1 (N1 ≈ 15m runs, β
 * free) and stage 2 (about the CPU's N2 ≈ 15n + 20 runs: its final radius is larger, 1e-3, but its f32
 * objective is noisy) on the device, then the float64 polish on glmer's Hessian stencil (about 2n² + n
 * runs on the CPU, src/model/polish.ts); the CPU's fit: stage 1 (a run with β free costs about two
 * with β fixed), stage 2, and the Hessian's n(n + 1) runs. Counts from bench/RESULTS.md's glmm1m
 * (m = 1, n = 4): CPU 13, 85–92 and 20; WebGPU's stage 2 67 on SwiftShader, 161 on the H200 with the
 * earlier final radius of 1e-6, and its polish 36.
 */
export function glmmDeviceIsFaster(deviceMs: number, cpuMs: number, nTheta: number, p: number): boolean {
  const n = nTheta + p;
  const N1 = 15 * nTheta, N2 = 15 * n + 20;
  const device = (N1 + N2) * deviceMs + (2 * n * n + n) * cpuMs;
  const cpu = (2 * N1 + N2 + n * (n + 1)) * cpuMs;
  return device < cpu;
}

/**
 * The GLMM's device by the rule: null for the CPU (PIRLS's float64 engine then runs the whole fit),
 * or PIRLS on the WebGPU backend's passes. For 'auto', after the device's set-up, one run with β fixed
 * on each decides (glmmDeviceIsFaster) where `cpu`, the fit's float64 engine, is given; both engines
 * are reset after it (its time: timings.autoProbeMs).
 */
export async function glmmDevice(
  model: GlmmModel, options: BackendOptions & GlmmGpuOptions, nAGQ: number, messages: string[], cpu?: PirlsEngine, timings?: Record<string, number>,
): Promise<GlmmDevice | null> {
  const relmat = model.known.some((k) => k);
  if (refuseModel(options, relmat ? 'a GLMM with a known covariance matrix (relmat) runs PIRLS on the CPU (its dense block is transformed at every iteration)' : null, messages)) return null;
  const ctx = await chooseDevice(options, messages);
  if (!ctx) return null;
  const { createGlmmDevice } = await import('./webgpu/glmmSide.js');
  let device: GlmmDevice;
  try {
    device = await createGlmmDevice(ctx, model, options, nAGQ);
  } catch (e) {
    // a buffer over the device's limits (src/backend/webgpu/buffers.ts): 'webgpu' says so, 'auto' fits on the CPU
    if (!(e instanceof ModelError)) throw e;
    refuseModel(options, e.message.replace(/^the WebGPU backend cannot fit this model: /, ''), messages);
    return null;
  }
  if (options.backend !== 'auto' || !cpu) return device;
  let ms: { deviceMs: number; cpuMs: number } | null;
  const t0 = performance.now();
  try {
    ms = await glmmProbe(device, cpu, model.theta.start);
    if (timings) timings.autoProbeMs = performance.now() - t0;
  } catch (e) {
    // a device lost (or failing) at its first runs: 'auto' fits on the CPU and says why
    messages.push(`backend auto: CPU (the WebGPU evaluation failed: ${(e as Error).message})`);
    device.dispose();
    return null;
  }
  if (ms && !glmmDeviceIsFaster(ms.deviceMs, ms.cpuMs, model.theta.length, model.frame.p)) {
    messages.push(`backend auto: CPU (a PIRLS run of this model takes ${ms.cpuMs.toPrecision(3)} ms on the CPU and ${ms.deviceMs.toPrecision(3)} ms on WebGPU (${ctx.adapterName}): with the float64 polish a WebGPU fit would take longer)`);
    device.dispose();
    return null;
  }
  return device;
}

/**
 * The probe of 'auto' for a GLMM at the starting θ (internal): β from a run with β free on the CPU,
 * then runs with β fixed there and at β moved by 1e-3 (relative), on each engine, warm; the better of
 * two on each. Null when PIRLS fails there on the CPU (the fit's first run then says why). Both
 * engines are reset after it, so the fit starts as it would without it.
 */
async function glmmProbe(device: GlmmDevice, cpu: PirlsEngine, theta: Float64Array): Promise<{ deviceMs: number; cpuMs: number } | null> {
  const { PirlsError } = await import('../glmm/pirls.js');
  try {
    let beta: Float64Array;
    try {
      cpu.run(theta, null);
      beta = Float64Array.from(cpu.beta);
    } catch (e) {
      if (e instanceof PirlsError) return null;
      throw e;
    }
    const moved = beta.map((b) => b + 1e-3 * (1 + Math.abs(b)));
    const timed = async (f: () => unknown): Promise<number> => {
      const t0 = performance.now();
      await f();
      return performance.now() - t0;
    };
    const dev = device.engine;
    await device.guard(() => dev.runAsync(theta, beta));
    const deviceMs = Math.min(await timed(() => device.guard(() => dev.runAsync(theta, moved))), await timed(() => device.guard(() => dev.runAsync(theta, beta))));
    const cpuMs = Math.min(await timed(() => cpu.run(theta, moved)), await timed(() => cpu.run(theta, beta)));
    return { deviceMs, cpuMs };
  } finally {
    cpu.reset();
    device.engine.reset();
  }
}

/** A source of the bootstrap's batched Gram parts on the device, to be disposed of after the bootstrap. */
export interface DeviceBootstrapGram {
  batch(input: import('./cpu/bootstrapGram.js').BootstrapGramInput): Promise<import('./cpu/bootstrapGram.js').BootstrapGramBatch>;
  dispose(): void;
  device: string;
}

/**
 * The bootstrap's data pass by the same rule (shaders/bootstrapGram.wgsl: any grouping factors, q and p), or
 * null for the CPU pass; `messages` gets why an 'auto' choice stayed on the CPU.
 */
export async function bootstrapGramBackend(model: LmmModel, options: BackendOptions, messages: string[]): Promise<DeviceBootstrapGram | null> {
  if ((options.backend ?? 'cpu') === 'cpu') return null;
  const { BootstrapGramGpu } = await import('./webgpu/bootstrapGram.js');
  const rows = model.rows;
  if (refuseModel(options, BootstrapGramGpu.unsupported({ blocks: rows.blocks, p: rows.p }), messages)) return null;
  const ctx = await chooseDevice(options, messages);
  if (!ctx) return null;
  const g = await BootstrapGramGpu.create(ctx, { n: rows.n, p: rows.p, X: rows.X, blocks: rows.blocks });
  return { batch: (input) => g.batch(input), dispose: () => g.dispose(), device: ctx.adapterName };
}
