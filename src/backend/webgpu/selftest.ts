/**
 * Host for shaders/selftest.wgsl: y = a x + b over n elements, checked against float64. Exercises
 * reflection, bind-by-name, uniform packing, the 2-D dispatch (n / 64 workgroups: n = 5M needs
 * 78,125 > 65,535) and readback.
 */
import type { GpuContext } from './device.js';
import { ComputeKernel, packUniform, structLayout, gridFor } from './kernel.js';
import { createStorage, createUniform, readBuffer } from './buffers.js';
import { shaderSource } from './shaders.generated.js';

export interface SelfTestOptions {
  /** elements (default 5,000,000: 20 MB per buffer, more workgroups than one grid dimension holds) */
  n?: number;
  a?: number;
  b?: number;
}

export interface SelfTestResult {
  ok: boolean;
  /** largest |y_gpu - (a x + b)| (Infinity when an element was not written) */
  maxError: number;
  adapter: string;
  n: number;
  workgroups: number;
  /** the dispatched grid [x, y] */
  grid: [number, number];
  /** ms for upload + dispatch + readback, and for the dispatch alone (submit to queue idle) */
  ms: { total: number; dispatch: number };
}

export async function runSelfTest(ctx: GpuContext, opts: SelfTestOptions = {}): Promise<SelfTestResult> {
  const { device } = ctx;
  const n = opts.n ?? 5_000_000;
  const a = opts.a ?? 1.5;
  const b = opts.b ?? 0.25;
  if (!Number.isInteger(n) || n < 1) throw new Error(`runSelfTest: n must be a positive integer, got ${n}`);
  const code = shaderSource('selftest');
  const t0 = performance.now();
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  let scopes = 2;
  const buffers: GPUBuffer[] = [];
  try {
    const kernel = await ComputeKernel.create(ctx, code, 'main', { label: 'selftest' });
    const x = new Float32Array(n);
    // values that depend on i (a misplaced write shows), and a x + b never 0 (an unwritten element shows)
    for (let i = 0; i < n; i++) x[i] = 1 + (i % 9973) / 9973;
    const params = createUniform(ctx, packUniform(structLayout(code, 'Params'), { a, b, n }), 'selftest params');
    const xBuf = createStorage(ctx, x, 'selftest x');
    const yBuf = createStorage(ctx, n * 4, 'selftest y');
    buffers.push(params, xBuf, yBuf);
    const bindGroup = kernel.bind({ params, x: xBuf, y: yBuf });
    const workgroups = kernel.workgroupsFor(n);
    const enc = device.createCommandEncoder({ label: 'selftest' });
    const pass = enc.beginComputePass();
    kernel.dispatch(pass, bindGroup, workgroups);
    pass.end();
    await device.queue.onSubmittedWorkDone(); // uploads done: time the dispatch alone
    const t1 = performance.now();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    const t2 = performance.now();
    const y = new Float32Array(await readBuffer(ctx, yBuf, 0, n * 4));
    const t3 = performance.now();
    let maxError = 0;
    for (let i = 0; i < n; i++) {
      const err = Math.abs(y[i] - (a * x[i] + b));
      if (!(err <= maxError)) maxError = Number.isNaN(err) ? Infinity : err;
    }
    scopes--;
    const oom = await device.popErrorScope();
    scopes--;
    const invalid = await device.popErrorScope();
    const gpuError = invalid ?? oom;
    if (gpuError) throw new Error(`runSelfTest: WebGPU error: ${gpuError.message}`);
    // f32 result of magnitude < 4: a few ulp (2^-22 ~ 2.4e-7 each)
    const ok = maxError <= 2e-6;
    return {
      ok, maxError, adapter: ctx.adapterName, n, workgroups,
      grid: gridFor(workgroups, device.limits.maxComputeWorkgroupsPerDimension),
      ms: { total: t3 - t0, dispatch: t2 - t1 },
    };
  } catch (e) {
    // leave the error scopes balanced for the caller
    for (; scopes > 0; scopes--) await device.popErrorScope().catch(() => null);
    throw e;
  } finally {
    for (const buf of buffers) buf.destroy();
  }
}
