/**
 * Crossed models with the dense blocks factored on the GPU (shaders/dense.wgsl through
 * GpuDenseSolver): the objective at fixed θ against float64, and fits against lme4 after polishing.
 */
import { describe, expect, it } from 'vitest';
import { buildLmm } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { lmer } from '../../src/fit/lmer.js';
import { CpuBackend } from '../../src/backend/cpu/cpuBackend.js';
import { GPU_DENSE_MIN_ROWS, WebGpuBackend, type WebGpuBackendOptions } from '../../src/backend/webgpu/webgpuBackend.js';
import { profiledDeviance } from '../../src/lmm/deviance.js';
import { thetaToInternal } from '../../src/model/reparam.js';
import { loadData, loadReference } from '../helpers/reference.js';
import { checkAgainstReference, loadTight } from '../helpers/parity.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';
import { roundTrips } from '../../src/backend/webgpu/buffers.js';

const gpu = await gpuOrSkip();

/** InstEval's model and its WebGPU backend with `options`. */
async function instEvalOnGpu(options: WebGpuBackendOptions) {
  const ref = loadReference('insteval_crossed_reml');
  const model = buildLmm(ref.formula, loadData(ref), { REML: true, factors: ref.factors });
  const gram = formGram(model);
  return { ref, model, gram, backend: await WebGpuBackend.create(gpu!, model, gram, options) };
}

/** The backend's objective at lme4's θ values: the CPU's within 1e-8 of lme4's, the backend's within f32 accuracy of the CPU's. */
async function expectObjectiveAtReference(ref: ReturnType<typeof loadReference>, model: ReturnType<typeof buildLmm>, backend: WebGpuBackend): Promise<void> {
  const cpu = new CpuBackend(formGram(model), model.theta.length);
  const { n, p } = model.frame;
  for (const pt of ref.objective_at!) {
    const theta = thetaToInternal(model, pt.theta);
    const g = profiledDeviance(await backend.evaluate(theta), n, p, true);
    const c = profiledDeviance(cpu.evaluate(theta), n, p, true);
    expect(Math.abs(c - pt.value) / pt.value).toBeLessThan(1e-8);
    // f32 log-determinant of the 1128 × 1128 block: |error| ≲ 1e-5 · m (see test/gpu/dense.test.ts)
    expect(Math.abs(g - c)).toBeLessThan(1e-5 * 1128 + 1e-6 * c);
  }
}

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'dense crossed blocks on the GPU'), { timeout: GPU_TIMEOUT * 3 }, () => {
  it('InstEval: the objective at lme4\'s θ values within f32 accuracy of float64', async () => {
    const { ref, model, backend } = await instEvalOnGpu({ denseOnGpu: true });
    expect(backend.denseBlocksOn).toBe('gpu');
    await expectObjectiveAtReference(ref, model, backend);
    // the evaluations split: waits for the device and the host's work (the dense block's upload among it) add up to the whole
    const split = backend.evaluationSplit()!;
    expect(split.evaluations).toBe(ref.objective_at!.length);
    expect(split.waitMs).toBeGreaterThan(0);
    expect(split.denseUploadMs).toBeGreaterThan(0);
    expect(split.hostMs).toBeGreaterThanOrEqual(split.denseUploadMs!);
    expect(split.waitMs + split.hostMs).toBeCloseTo(split.totalMs, 9);
    backend.dispose();
  });

  it('InstEval with the size rule: d\'s 1,128 rows on the GPU, dept:service\'s 28 on the CPU, the same objective', async () => {
    const { ref, model, backend } = await instEvalOnGpu({ denseOnGpu: true, denseMinRows: GPU_DENSE_MIN_ROWS });
    try {
      expect(backend.denseBlocksOn).toBe('mixed');
      expect(backend.denseGroups('gpu')).toEqual(["'d' (1128)"]);
      expect(backend.denseGroups('cpu')).toEqual(["'dept:service' (28)"]);
      await expectObjectiveAtReference(ref, model, backend);
    } finally {
      backend.dispose();
    }
    // every dense block under the rule's size: none on the GPU, and the note says why
    const pen = loadReference('penicillin_crossed_reml');
    const small = buildLmm(pen.formula, loadData(pen), { REML: true, factors: pen.factors });
    const none = await WebGpuBackend.create(gpu!, small, formGram(small), { denseOnGpu: true, denseMinRows: GPU_DENSE_MIN_ROWS });
    expect(none.denseBlocksOn).toBe('cpu');
    expect(none.denseNote).toMatch(/dense blocks \('sample' \(6\)\) are under 256 rows: factored on the CPU/);
    none.dispose();
  });

  it('each GPU dense block factored and solved in one round trip: the separate calls\' values bit for bit, 6 → 3 round trips an evaluation (4 → 2 with the size rule)', async () => {
    const ref = loadReference('insteval_crossed_reml');
    const model = buildLmm(ref.formula, loadData(ref), { REML: true, factors: ref.factors });
    const gram = formGram(model);
    const thetas = ref.objective_at!.slice(0, 2).map((pt) => thetaToInternal(model, pt.theta));
    const run = async (options: WebGpuBackendOptions) => {
      const backend = await WebGpuBackend.create(gpu!, model, gram, options);
      try {
        const parts = [];
        const trips = [];
        for (const theta of thetas) {
          const r0 = roundTrips(gpu!);
          parts.push(await backend.evaluate(theta));
          trips.push(roundTrips(gpu!) - r0);
        }
        return { parts, trips };
      } finally {
        backend.dispose();
      }
    };
    const together = await run({ denseOnGpu: true });
    const apart = await run({ denseOnGpu: true, denseBatched: false });
    expect(together.parts).toEqual(apart.parts);
    // the first block's kernel, then d's factor with dept:service's and [X y]'s solves, then dept:service's factor with [X y]'s
    expect(together.trips).toEqual([3, 3]);
    expect(apart.trips).toEqual([6, 6]);
    const rule = await run({ denseOnGpu: true, denseMinRows: GPU_DENSE_MIN_ROWS });
    const ruleApart = await run({ denseOnGpu: true, denseMinRows: GPU_DENSE_MIN_ROWS, denseBatched: false });
    expect(rule.parts).toEqual(ruleApart.parts);
    expect(rule.trips).toEqual([2, 2]);
    expect(ruleApart.trips).toEqual([4, 4]);
  });

  for (const name of ['penicillin_crossed_reml', 'pastes_nested_reml']) {
    it(`${name}: the fit matches lme4 after polishing`, async () => {
      const ref = loadReference(name);
      const fit = await lmer(ref.formula, loadData(ref), { REML: ref.reml, factors: ref.factors, backend: 'webgpu', denseOnGpu: true });
      const dense = fit.messages.find((m) => m.startsWith('WebGPU backend:'));
      if (name.startsWith('penicillin')) {
        expect(dense).toMatch(/factored on the GPU \(f32\)/);
        expect(fit.timings.gpuDenseUploadMs).toBeGreaterThan(0);
      }
      // the device's evaluations split into its waits and the host's work, ms per evaluation
      expect(fit.timings.gpuEvalWaitMs).toBeGreaterThan(0);
      expect(fit.timings.gpuEvalWaitMs + fit.timings.gpuEvalHostMs).toBeCloseTo(fit.timings.gpuEvalMs, 9);
      expect(fit.objective).toBeLessThanOrEqual(ref.remlcrit! + 1e-6);
      checkAgainstReference(fit, loadTight(name));
    });
  }
});
