/**
 * Device loss mid-fit (issue 15): the WebGPU device is destroyed from a progress hook after k
 * evaluations — during an LMM's device optimization, in a GLMM's first and second stage — and the fit continues on the CPU in float64 from the best θ the
 * device reached, says so in its messages, and ends at the CPU fit's optimum: the same assertions
 * against lme4's tight references as the CPU suites (test/lmer.test.ts, test/glmm.test.ts), and the
 * CPU backend's fit of the same model within those tolerances.
 *
 * And a model over the adapter's buffer limits: a ModelError naming the buffer (or block), the size and
 * the limit (select.ts turns it into a CPU fit with that reason under 'auto').
 * A loss during the float64 polish's device Hessian is tested on the fit driver (test/polish.test.ts).
 * Each test destroys a device of its own (acquireGpu), never the file's shared one.
 */
import { describe, expect, it } from 'vitest';
import { lmer } from '../../src/fit/lmer.js';
import { glmer } from '../../src/fit/glmer.js';
import { acquireGpu, releaseGpu } from '../../src/backend/webgpu/device.js';
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import type { GlmmFit } from '../../src/glmm/glmmFit.js';
import { loadData, loadReference } from '../helpers/reference.js';
import { checkAgainstReference, loadTight } from '../helpers/parity.js';
import { checkEstimates, checkRandomAndFitted, loadTight as loadGlmmTight, optionsOf, rel } from '../helpers/glmmParity.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';
import type { GpuContext } from '../../src/backend/webgpu/device.js';
import { createGlmmDevice } from '../../src/backend/webgpu/glmmSide.js';
import { WebGpuBackend } from '../../src/backend/webgpu/webgpuBackend.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { buildGlmm } from '../../src/glmm/model.js';
import { buildLmm } from '../../src/lmm/model.js';
import { ModelError } from '../../src/errors/errors.js';

const gpu = await gpuOrSkip();

/** A device of the test's own and a progress hook that destroys it at the k-th evaluation. */
async function doomedDevice(k: number): Promise<{ device: GPUDevice; onProgress: () => void; destroyedAt: () => number }> {
  const ctx = await acquireGpu();
  if (!ctx) throw new Error('a second WebGPU device could not be acquired');
  let count = 0;
  let at = 0;
  return {
    device: ctx.device,
    onProgress: () => {
      if (++count === k) { at = count; releaseGpu(ctx); }
    },
    destroyedAt: () => at,
  };
}

const LOST = /the WebGPU device \(.+\) was lost \(destroyed.*\) during (the optimization|the float64 polish) after \d+ evaluations?: the fit continued on the CPU in float64 from the best θ the device reached/;

/** the CPU backend's fit and this one agree within the reference suites' tolerances */
function sameAsCpuLmm(fit: LmmFit, cpu: LmmFit): void {
  expect(Math.abs(fit.objective - cpu.objective)).toBeLessThan(1e-6);
  fit.theta.forEach((t, i) => expect(Math.abs(t - cpu.theta[i])).toBeLessThan(1e-4));
  for (const [name, v] of Object.entries(cpu.fixef)) expect(rel(fit.fixef[name], v, Math.max(Math.abs(v), cpu.se[name]))).toBeLessThan(1e-5);
}

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'a fit whose WebGPU device is lost continues on the CPU'), { timeout: GPU_TIMEOUT * 2 }, () => {
  for (const name of ['sleepstudy_slopes_reml', 'penicillin_crossed_reml']) {
    it(`lmer ${name}: lost during the optimization`, async () => {
      const ref = loadReference(name);
      const options = { REML: ref.reml, factors: ref.factors };
      const cpu = await lmer(ref.formula, loadData(ref), options);
      const d = await doomedDevice(8);
      const fit = await lmer(ref.formula, loadData(ref), { ...options, backend: 'webgpu', device: d.device, onProgress: d.onProgress });
      expect(d.destroyedAt()).toBe(8);
      const note = fit.messages.find((m) => LOST.test(m));
      expect(note, fit.messages.join('\n')).toBeDefined();
      expect(note).toContain('during the optimization after 8 evaluations');
      expect(fit.backend.name).toBe('cpu');
      expect(fit.backend.precision).toBe('float64');
      expect(fit.gpuCheck).toBeUndefined();
      expect(fit.converged).toBe(true);
      checkAgainstReference(fit, loadTight(name));
      sameAsCpuLmm(fit, cpu);
    });
  }

  // cbpp: one grouping factor (the per-group updates on the device); grouseticks: nested factors
  for (const [name, stage] of [['cbpp_binomial', 1], ['cbpp_binomial', 2], ['grouseticks_poisson', 2]] as const) {
    it(`glmer ${name}: lost in stage ${stage}`, async () => {
      const t = loadGlmmTight(name);
      const cpu = await glmer(t.formula, loadData(t), optionsOf(t));
      // stage 1 of the CPU fit takes as many evaluations as the device's, give or take: lose the device
      // 5 evaluations into stage 1, or 10 into stage 2 (counted from an undisturbed WebGPU fit)
      let k = 5;
      if (stage === 2) {
        let stage1 = 0;
        await glmer(t.formula, loadData(t), { ...optionsOf(t), backend: 'webgpu', device: gpu!.device, onProgress: (p) => { if (p.stage === 1) stage1 = p.feval; } });
        k = stage1 + 10;
      }
      const d = await doomedDevice(k);
      const fit: GlmmFit = await glmer(t.formula, loadData(t), { ...optionsOf(t), backend: 'webgpu', device: d.device, onProgress: d.onProgress });
      expect(d.destroyedAt()).toBe(k);
      const note = fit.messages.find((m) => LOST.test(m));
      expect(note, fit.messages.join('\n')).toContain('during the optimization');
      expect(fit.backend.name).toBe('cpu');
      expect(fit.converged).toBe(true);
      // the CPU suite's assertions against the tight reference (test/glmm.test.ts)
      expect(Math.abs(fit.objective - t.deviance_laplace)).toBeLessThan(1e-7);
      expect(Math.abs(fit.logLik - t.loglik)).toBeLessThan(1e-7);
      checkEstimates(fit, t);
      checkRandomAndFitted(fit, t, 1e-4);
      // and the CPU backend's fit
      expect(Math.abs(fit.objective - cpu.objective)).toBeLessThan(1e-7);
      fit.theta.forEach((v, i) => expect(Math.abs(v - cpu.theta[i])).toBeLessThan(1e-4));
      for (const [b, v] of Object.entries(cpu.fixef)) expect(rel(fit.fixef[b], v)).toBeLessThan(1e-4);
    });
  }
});

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'a model over the adapter\'s buffer limits is a clear error'), { timeout: GPU_TIMEOUT }, () => {
  /** the file's device with smaller limits, as an adapter with less memory per binding would report */
  const limited = (bytes: number): GpuContext => ({
    ...gpu!,
    limits: { maxBufferSize: gpu!.limits.maxBufferSize, maxStorageBufferBindingSize: bytes, maxUniformBufferBindingSize: gpu!.limits.maxUniformBufferBindingSize } as GPUSupportedLimits,
  });

  it('glmer\'s passes: a ModelError naming the buffer, its size and the limit', async () => {
    const t = loadGlmmTight('cbpp_binomial');
    const model = buildGlmm(t.formula, loadData(t), optionsOf(t));
    // cbpp: 56 rows × (X 4 + z + Z 1) f32 columns = 1,344 bytes
    const err = await createGlmmDevice(limited(1000), model, {}, 1).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as Error).message).toBe("buffer 'glmm cols': 1344 bytes (1.3 KiB) exceeds this device's maxStorageBufferBindingSize of 1000 bytes (1000 B)");
  });

  it('lmer\'s first block: a group larger than a binding is a ModelError naming the size needed', async () => {
    const ref = loadReference('sleepstudy_slopes_reml');
    const model = buildLmm(ref.formula, loadData(ref), { REML: true, factors: ref.factors });
    const err = await WebGpuBackend.create(limited(8), model, formGram(model)).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as Error).message).toBe("the first random-effects block ('Subject') needs 24 bytes per group (q = 2, p + 1 = 3) in one storage binding; this device's limit is 8 bytes (maxStorageBufferBindingSize)");
  });
});
