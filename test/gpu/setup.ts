/**
 * Shared by the GPU test files. Call `const gpu = await gpuOrSkip();` at the top level of a test
 * file, then put the GPU tests in `describe.skipIf(!gpu)(gpuSuiteName(gpu, '...'), { timeout: GPU_TIMEOUT }, ...)`.
 *
 * - One device per test file (vitest runs each file in its own process with pool 'forks'), kept
 *   alive across the file's tests and destroyed after them.
 * - No adapter under CI (env CI set): gpuOrSkip throws, so the file FAILS with the reason.
 * - No adapter locally: it warns on stderr, the suite name says "NO WEBGPU ADAPTER" and its tests
 *   are reported as skipped.
 */
import { afterAll } from 'vitest';
import { acquireGpu, gpuUnavailableReason, releaseGpu, type GpuContext } from '../../src/backend/webgpu/device.js';

/** Per-test timeout for GPU tests: SwiftShader is slow, and a hung dispatch must not hang the run. */
export const GPU_TIMEOUT = 60_000;

let acquired: Promise<GpuContext | null> | undefined;

const isCI = (): boolean => {
  const v = process.env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
};

export async function gpuOrSkip(): Promise<GpuContext | null> {
  if (!acquired) {
    acquired = acquireGpu();
    const ctx = await acquired;
    if (ctx) afterAll(() => releaseWhenIdle(ctx));
  }
  const ctx = await acquired;
  if (ctx) return ctx;
  const why = gpuUnavailableReason() ?? 'unknown reason';
  if (isCI()) throw new Error(`no WebGPU adapter: CI requires one — is SwiftShader/libvulkan1 installed? (${why})`);
  console.warn(`[gpu tests] SKIPPED: no WebGPU adapter — ${why}. Install chromium-common and libvulkan1 (SwiftShader), or set VK_ICD_FILENAMES to a Vulkan driver.`);
  return null;
}

/**
 * Dawn's device.destroy() blocks the thread until the GPU's queued work is done: after a dispatch
 * that timed out it would hang the test worker (vitest could not even report the timeout). So
 * destroy only once the queue is idle; otherwise leave the device (vitest ends the worker process).
 */
async function releaseWhenIdle(ctx: GpuContext, waitMs = 5_000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const idle = await Promise.race([
    ctx.device.queue.onSubmittedWorkDone().then(() => true, () => true),
    new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), waitMs); }),
  ]);
  clearTimeout(timer);
  if (idle) releaseGpu(ctx);
  else console.warn(`[gpu tests] the GPU is still busy ${waitMs / 1000} s after the tests (a timed-out dispatch?): not destroying the device`);
}

/** A suite name that shows the adapter, or that the suite was skipped for the lack of one. */
export function gpuSuiteName(gpu: GpuContext | null, name: string): string {
  return gpu ? `${name} [${gpu.adapterName}]` : `${name} [SKIPPED: NO WEBGPU ADAPTER]`;
}
