/**
 * Priors and a fixed σ on the WebGPU backend (SwiftShader in CI): a covariance prior (blmer's default
 * Wishart) and a fixed residual σ (a multilevel meta-analysis: weights 1/v, σ = 1) change only the
 * criterion computed from log|L|², log|R_X|² and r², which the GPU supplies; the f32 optimum is
 * checked and polished in float64 and must reach the CPU fit's posterior mode (blme's best,
 * test/prior/blmer.test.ts) and metafor's σ² (test/meta/meta.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { lmer } from '../../src/fit/lmer.js';
import { loadBlme, loadMetaData, loadRma, numericColumn, relDiff } from '../helpers/metaReference.js';
import { loadData } from '../helpers/reference.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';

const gpu = await gpuOrSkip();

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'priors and a fixed σ on the WebGPU backend'), { timeout: GPU_TIMEOUT * 2 }, () => {
  it("blmer's default prior (sleepstudy, random slopes)", async () => {
    const ref = loadBlme('sleepstudy_default');
    const fit = await lmer(ref.formula, loadData({ data: 'sleepstudy.csv' }), { factors: ['Subject'], prior: 'blme', backend: 'webgpu' });
    expect(fit.backend.name).toBe('webgpu');
    const j = fit.toJSON() as Record<string, any>;
    expect(j.penalized_objective).toBeLessThanOrEqual(ref.best.objective + 1e-6);
    expect(Math.max(...ref.best.theta.map((t, k) => Math.abs(fit.theta[k] - t)))).toBeLessThan(1e-4);
    console.log(`sleepstudy blme on WebGPU: GPU objective error ${fit.gpuCheck!.objectiveError.toExponential(2)}, polish ${fit.gpuCheck!.polishEvaluations} evaluations`);
  });
  it('σ fixed at 1: the three-level meta-analysis', async () => {
    const ko = loadMetaData('konstantopoulos2011');
    const w = Float64Array.from(numericColumn(ko, 'vi'), (v) => 1 / v);
    const fit = await lmer('yi ~ 1 + (1 | district/school)', ko, { weights: w, sigma: 1, factors: ['district', 'school'], backend: 'webgpu' });
    expect(fit.backend.name).toBe('webgpu');
    const ref = loadRma('konstantopoulos_reml');
    // lme4's θ order: school:district (56 levels), then district (11)
    expect(relDiff(fit.theta[1] ** 2, ref.sigma2![0])).toBeLessThan(1e-5);
    expect(relDiff(fit.theta[0] ** 2, ref.sigma2![1])).toBeLessThan(1e-5);
  });
});
