/**
 * lmer with prior weights on the WebGPU backend (SwiftShader in CI): the weighted rows (√w X_c,
 * √w y_c, √w Z_c, see src/lmm/model.ts weightRows) are what the backend uploads, so the f32 GPU
 * objective, checked and polished in float64, must reach lme4's weighted fit (test/weights.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { lmer } from '../../src/fit/lmer.js';
import { loadData } from '../helpers/reference.js';
import { checkAgainstReference, loadTight } from '../helpers/parity.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';

const gpu = await gpuOrSkip();

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'weighted lmer on the WebGPU backend matches lme4'), { timeout: GPU_TIMEOUT * 2 }, () => {
  it('sleepstudy_weighted_reml', async () => {
    const ref = loadTight('sleepstudy_weighted_reml');
    const fit = await lmer('Reaction ~ Days + (Days | Subject)', loadData({ data: 'sleepstudy_weighted.csv' }), {
      factors: ['Subject'], weights: 'w', backend: 'webgpu',
    });
    expect(fit.backend.name).toBe('webgpu');
    expect(fit.converged).toBe(true);
    checkAgainstReference(fit, ref);
    const check = fit.gpuCheck!;
    const relErr = Math.abs(check.objectiveError) / Math.abs(check.float64AtGpuOptimum);
    console.log(`sleepstudy_weighted_reml: GPU objective error ${check.objectiveError.toExponential(2)} (relative ${relErr.toExponential(2)}), polish ${check.polishEvaluations} evaluations, Δθ ${check.thetaChange.toExponential(2)}`);
    expect(relErr).toBeLessThan(1e-5);
  });
});
