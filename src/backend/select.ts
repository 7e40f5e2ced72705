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
 *                    the CPU, and the fit's messages say why. The CPU's evaluation is timed first:
 *                    a model whose whole CPU fit could gain less from any device than the smallest
 *                    device set-up costs (AUTO_SETUP_FLOOR_MS; lmmGainBound, glmmGainBound) stays on
 *                    the CPU without loading the WebGPU code or acquiring an adapter. A software
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
import type { GlmFamily } from '../glmm/family.js';

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
  // 'auto': the CPU's evaluation first (the least of a few: leastTime); a model too small
  // for any device to pay for its set-up stays on the CPU untouched
  const theta = model.theta.start;
  let cpuMs = 0;
  if (options.backend === 'auto') {
    const t0 = performance.now();
    cpuMs = await leastTime(() => reference.evaluate(theta));
    timings.autoProbeMs = performance.now() - t0;
    if (tooSmall('an evaluation', cpuMs, lmmGainBound(cpuMs, theta.length), messages)) return null;
  }
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
    // 'auto': one evaluation on the device (the better of two) against the CPU's above decides which fits faster
    let deviceMs: number;
    const t0 = performance.now();
    try {
      deviceMs = await bestOfTwo(() => backend.evaluate(theta));
    } catch (e) {
      // a device lost (or failing) at its first evaluation: 'auto' fits on the CPU and says why
      messages.push(`backend auto: CPU (the WebGPU evaluation failed: ${(e as Error).message})`);
      backend.dispose();
      return null;
    }
    timings.autoProbeMs += performance.now() - t0;
    if (!deviceIsFaster(deviceMs, cpuMs, theta.length)) {
      messages.push(`backend auto: CPU (an evaluation of this model takes ${cpuMs.toPrecision(3)} ms on the CPU and ${deviceMs.toPrecision(3)} ms on WebGPU (${ctx.adapterName}): with the float64 polish a WebGPU fit would take longer)`);
      backend.dispose();
      return null;
    }
  }
  return backend;
}

/**
 * Whether `gain`, the most a device could save on the whole fit (ms), is below the set-up floor;
 * then `messages` says so, with the CPU's time for `what` (one evaluation, or one PIRLS run).
 */
function tooSmall(what: string, cpuMs: number, gain: number, messages: string[]): boolean {
  if (gain >= AUTO_SETUP_FLOOR_MS) return false;
  const most = gain > 0 ? `the most a GPU could save on the whole fit, about ${gain.toPrecision(2)} ms, is less than setting one up takes` : 'the float64 polish of a GPU fit alone would take as long as the whole fit on the CPU';
  messages.push(`backend auto: CPU (${what} of this model takes ${cpuMs.toPrecision(3)} ms on the CPU: ${most})`);
  return true;
}

/** The better time (ms) of two calls of `f`: the first warms up. */
async function bestOfTwo(f: () => unknown): Promise<number> {
  return Math.min(await timed(f), await timed(f));
}

/**
 * The least time (ms) of calls of `f` (exported for its tests; `now` is the clock, ms), at most 20:
 * - two, and more while all of them together took less than half the set-up floor;
 * - five while they took less than twice the floor: a cheap evaluation's first calls may run before
 *   the JIT has compiled it (a 0.25 ms evaluation took 5–50 ms in its first ten calls here), or a
 *   loaded machine deschedules them, and two such calls would make a small model look large (one
 *   went on to set up a device on a loaded CI run);
 * - and more while the rest at the least time so far would cost less than half the floor.
 * A model of 100 ms an evaluation still takes two; the calls this adds cost less than the set-up
 * they may save.
 */
export async function leastTime(f: () => unknown, now: () => number = () => performance.now()): Promise<number> {
  const MAX = 20, BUDGET = AUTO_SETUP_FLOOR_MS / 2;
  let best = Infinity, total = 0;
  for (let k = 0; k < MAX && (k < 2 || total < BUDGET || (k < 5 && total < 4 * BUDGET) || best * (MAX - k) < BUDGET); k++) {
    const t0 = now();
    await f();
    const ms = now() - t0;
    best = Math.min(best, ms);
    total += ms;
  }
  return best;
}

/**
 * 'auto''s floor for a device's set-up (ms): acquiring an adapter and device, uploading the model's
 * data and compiling its pipelines. The least measured anywhere: a GLMM's set-up on SwiftShader with
 * the device already acquired in the process and the shaders' reflections kept, 60–76 ms; an LMM's
 * pipelines alone took 187–208 ms there; the H200's whole set-ups took 0.33–0.63 s, and acquiring a
 * device in a fresh process 40–50 ms with the driver probe kept, ~300 ms without (bench/RESULTS.md,
 * "the WebGPU path's fixed costs" and "Real GPU"). A fit that can gain less than this from the
 * fastest device stays on the CPU without a set-up.
 */
export const AUTO_SETUP_FLOOR_MS = 50;

/**
 * The most a device could save on an LMM's fit (ms), n = |θ|: deviceIsFaster's two sides with a
 * device evaluation that costs nothing, N cpuMs − (3n + 3) cpuMs = (12n + 17) cpuMs.
 */
export function lmmGainBound(cpuMs: number, n: number): number {
  const c = lmmCounts(n);
  return (c.cpu - c.polish) * cpuMs;
}

/**
 * The most a device could save on a GLMM's fit (ms): glmmDeviceIsFaster's two sides with a device run
 * that costs nothing, (2 N1 + N2 + n(n + 1)) cpuMs − (2n² + n) cpuMs (n = |θ| + p); zero or less
 * where the float64 polish alone costs as much as the CPU's fit (p ≳ 15).
 */
export function glmmGainBound(cpuMs: number, nTheta: number, p: number): number {
  const c = glmmCounts(nTheta, p);
  return (c.cpu - c.polish) * cpuMs;
}

/**
 * 'auto''s rule for an LMM, from one evaluation on each (`deviceMs`, `cpuMs`) with n = |θ|: the WebGPU
 * fit's optimization (N evaluations) plus its float64 check and Newton polish (about 4n + n(n − 1)/2
 * device and 3n + 3 float64 evaluations: src/model/fitObjective.ts) against N float64 evaluations on
 * the CPU, N ≈ 15n + 20 (BOBYQA's usual count on these models).
 */
export function deviceIsFaster(deviceMs: number, cpuMs: number, n: number): boolean {
  const c = lmmCounts(n);
  return c.device * deviceMs + c.polish * cpuMs < c.cpu * cpuMs;
}

/** deviceIsFaster's evaluation counts: the device's, the WebGPU fit's float64 ones, the CPU fit's. */
function lmmCounts(n: number): { device: number; polish: number; cpu: number } {
  const N = 15 * n + 20;
  return { device: N + 4 * n + (n * (n - 1)) / 2, polish: 3 * n + 3, cpu: N };
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
  const c = glmmCounts(nTheta, p);
  return c.device * deviceMs + c.polish * cpuMs < c.cpu * cpuMs;
}

/** glmmDeviceIsFaster's counts of runs with β fixed: the device's, the WebGPU fit's float64 ones, the CPU fit's. */
function glmmCounts(nTheta: number, p: number): { device: number; polish: number; cpu: number } {
  const n = nTheta + p;
  const N1 = 15 * nTheta, N2 = 15 * n + 20;
  return { device: N1 + N2, polish: 2 * n * n + n, cpu: 2 * N1 + N2 + n * (n + 1) };
}

/**
 * A family and link the device path does not take, with the reason (null: it takes it). The gaussian
 * family's inverse link: its PIRLS takes Fisher's steps (as lme4), which diverge where the observed
 * information exceeds twice the expected (y < μ/2, src/glmm/family.ts gaussianFamily), and the float32
 * optimizer's trial points met such a state (test/gpu/links.test.ts: PIRLS did not converge); fitted on
 * the CPU, where it agrees with lme4.
 */
export function deviceFamilyRefusal(family: Pick<GlmFamily, 'family' | 'link'>): string | null {
  if (family.family === 'gaussian' && family.link === 'inverse') {
    return "a gaussian GLMM with the inverse link runs on the CPU only (PIRLS's Fisher steps can diverge from the float32 optimizer's trial points)";
  }
  return null;
}

/**
 * The GLMM's device by the rule: null for the CPU (PIRLS's float64 engine then runs the whole fit),
 * or PIRLS on the WebGPU backend's passes. For 'auto' where `cpu`, the fit's float64 engine, is given:
 * a PIRLS run with β fixed on the CPU first (a model too small for any device to pay for its set-up
 * stays there untouched: glmmGainBound), then, after the device's set-up, the same runs on it decide
 * (glmmDeviceIsFaster); both engines are reset after them (their time: timings.autoProbeMs).
 */
export async function glmmDevice(
  model: GlmmModel, options: BackendOptions & GlmmGpuOptions, nAGQ: number, messages: string[], cpu?: PirlsEngine, timings?: Record<string, number>,
): Promise<GlmmDevice | null> {
  const relmat = model.known.some((k) => k);
  if (refuseModel(options, relmat ? 'a GLMM with a known covariance matrix (relmat) runs PIRLS on the CPU (its dense block is transformed at every iteration)' : deviceFamilyRefusal(model.family), messages)) return null;
  const theta = model.theta.start;
  let probe: CpuProbe | null = null;
  let probeMs = 0;
  if (options.backend === 'auto' && cpu) {
    const t0 = performance.now();
    probe = await cpuProbe(cpu, theta);
    probeMs = performance.now() - t0;
    if (timings) timings.autoProbeMs = probeMs;
    if (probe && tooSmall('a PIRLS run', probe.cpuMs, glmmGainBound(probe.cpuMs, theta.length, model.frame.p), messages)) return null;
  }
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
  // no comparison: 'webgpu', no engine given, or PIRLS failed at the start on the CPU (the fit's first run says why)
  if (!probe) return device;
  let deviceMs: number;
  const t0 = performance.now();
  try {
    deviceMs = await deviceProbe(device, theta, probe);
    if (timings) timings.autoProbeMs = probeMs + performance.now() - t0;
  } catch (e) {
    // a device lost (or failing) at its first runs: 'auto' fits on the CPU and says why
    messages.push(`backend auto: CPU (the WebGPU evaluation failed: ${(e as Error).message})`);
    device.dispose();
    return null;
  }
  if (!glmmDeviceIsFaster(deviceMs, probe.cpuMs, theta.length, model.frame.p)) {
    messages.push(`backend auto: CPU (a PIRLS run of this model takes ${probe.cpuMs.toPrecision(3)} ms on the CPU and ${deviceMs.toPrecision(3)} ms on WebGPU (${ctx.adapterName}): with the float64 polish a WebGPU fit would take longer)`);
    device.dispose();
    return null;
  }
  return device;
}

/** What the GLMM's CPU probe found: β of a run with β free, β moved, and the least time of runs with β fixed at either. */
interface CpuProbe { beta: Float64Array; moved: Float64Array; cpuMs: number }

/**
 * The CPU half of 'auto''s probe for a GLMM at the starting θ (internal): β from a run with β free,
 * then runs with β fixed there and at β moved by 1e-3 (relative) in turn, warm; the least time
 * (leastTime). Null
 * when PIRLS fails there (the fit's first run then says why). The engine is reset after it, so the
 * fit starts as it would without it.
 */
async function cpuProbe(cpu: PirlsEngine, theta: Float64Array): Promise<CpuProbe | null> {
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
    let k = 0;
    const cpuMs = await leastTime(() => cpu.run(theta, k++ % 2 === 0 ? moved : beta));
    return { beta, moved, cpuMs };
  } finally {
    cpu.reset();
  }
}

/** The device half: the same two runs on the device after one to warm up; the better time. The engine is reset after it. */
async function deviceProbe(device: GlmmDevice, theta: Float64Array, probe: CpuProbe): Promise<number> {
  const dev = device.engine;
  try {
    await device.guard(() => dev.runAsync(theta, probe.beta));
    return Math.min(await timed(() => device.guard(() => dev.runAsync(theta, probe.moved))), await timed(() => device.guard(() => dev.runAsync(theta, probe.beta))));
  } finally {
    dev.reset();
  }
}

/** The time (ms) of one call of `f`. */
async function timed(f: () => unknown): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
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
