/**
 * glmer with the Gamma and inverse.gaussian families on the WebGPU backend (SwiftShader in CI). The
 * reweight shader (shaders/glmmPass.wgsl) has no case for these families, and their aic is not the
 * deviance plus a constant (it depends on μ through the dispersion), so the rows (η, μ, w, z and the
 * deviance) stay on the CPU in float64 (src/glmm/pirls.ts rowsOnDevice) while the weighted Gram
 * passes run on the device (the per-group updates, which need the rows there, on the CPU); the fit is
 * checked and polished in float64. Cases: one scalar term (Gamma, inverse Gaussian), a slope term, two
 * crossed factors with prior weights. Tolerances of the CPU test
 * (test/gamma.test.ts) for the optimum: −2ℓ ≤ lme4's exact optimum + 1e-6, β 1e-5 relative, SE 1e-4,
 * σ̂ 1e-6 relative.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { glmer } from '../../src/fit/glmer.js';
import { readCsv } from '../../src/io/csv.js';
import type { GlmmFit } from '../../src/glmm/glmmFit.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';

const gpu = await gpuOrSkip();
const dir = join(import.meta.dirname, '..', 'fixtures', 'gamma');
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'Gamma and inverse.gaussian GLMMs on WebGPU'), { timeout: GPU_TIMEOUT * 2 }, () => {
  it.each(['gamma_log', 'ig_log', 'gamma_slope', 'gamma_crossed'])('%s: the device\'s Gram passes, the rows on the CPU, the float64 optimum', async (name) => {
    const ref = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
    const table = readCsv(readFileSync(join(dir, ref.data), 'utf8')).table;
    const options = { family: ref.family, link: ref.link, factors: ['g', 'h'], ...(ref.weights ? { weights: ref.weights } : {}) };
    const fit = (await glmer(ref.formula, table, { ...options, backend: 'webgpu', device: gpu!.device } as never)) as GlmmFit;
    expect(fit.backend.name).toBe('webgpu');
    expect(fit.backend.precision).toBe('float32 (webgpu) polished in float64');
    // the Gram passes ran on the device; the per-group updates did not (they need the rows there: pirls.ts `groups`)
    expect(fit.timings.gpuPasses).toBeGreaterThan(0);
    expect(fit.timings.gpuGroupFactors).toBe(0);
    // the f32 passes' objective at the device's optimum, against float64 there (SwiftShader: 8e-6 and 2.5e-5 relative)
    expect(Math.abs(fit.gpuCheck!.objectiveError) / Math.abs(fit.gpuCheck!.float64AtGpuOptimum)).toBeLessThan(1e-4);
    const t = ref.tight;
    expect(fit.objective).toBeLessThan(t.deviance_laplace + 1e-6);
    Object.values(t.fixef as Record<string, number>).forEach((v, j) => expect(rel(fit.beta[j], v)).toBeLessThan(1e-5));
    Object.values(t.se as Record<string, number>).forEach((v, j) => expect(rel(fit.coefficients[j].se, v)).toBeLessThan(1e-4));
    expect(rel(fit.sigma, t.sigma)).toBeLessThan(1e-6);
    // 'auto' takes the device only on a hardware adapter
    const auto = (await glmer(ref.formula, table, { ...options, backend: 'auto' } as never)) as GlmmFit;
    if (gpu!.isSoftware) expect(auto.backend.name).toBe('cpu');
    expect(Math.abs(auto.objective - fit.objective)).toBeLessThan(1e-6);
  });
});
