/**
 * glmer with the links the GPU's reweight kernel does not have (binomial cauchit and log, poisson
 * identity and sqrt, gaussian log and inverse: shaders/glmmPass.wgsl, gpuReweightSupported) on the
 * WebGPU backend (SwiftShader in CI): the rows (η, μ, w, z and the deviance) stay on the CPU in float64,
 * as for Gamma (test/gpu/gamma.test.ts), while the weighted Gram passes run on the device; the fit is
 * checked and polished in float64. Tolerances of the CPU test (test/links.test.ts) against lme4's exact
 * optimum: −2ℓ 1e-6, β 1e-5 relative of max(1, |β|), SE 1e-4 relative. gaussian(inverse) is refused
 * ('webgpu': ModelError; 'auto': the CPU, saying why): its Fisher-step PIRLS did not converge at one of
 * the float32 optimizer's trial points (src/backend/select.ts deviceFamilyRefusal).
 * Adaptive quadrature (nAGQ > 1) with these links: the quadrature's rows term needs the rows on the
 * device (glmmPass.ts agqOnDevice), so it runs on the CPU in float64 (PirlsEngine.agqAsync's fallback)
 * beside the device's Gram passes; the fit against lme4's exact AGQ optimum (test/oracle/links_agq.R) at
 * the CPU test's tolerances (test/linksAgq.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { glmer } from '../../src/fit/glmer.js';
import { readCsv } from '../../src/io/csv.js';
import { makeFamily } from '../../src/glmm/family.js';
import { gpuReweightSupported } from '../../src/backend/webgpu/glmmPass.js';
import { deviceFamilyRefusal } from '../../src/backend/select.js';
import type { GlmmFit } from '../../src/glmm/glmmFit.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';

const gpu = await gpuOrSkip();
const dir = join(import.meta.dirname, '..', 'fixtures', 'links');
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('the new links have no case in the reweight kernel', () => {
  it('gpuReweightSupported is false for each', () => {
    for (const [f, l] of [['binomial', 'cauchit'], ['binomial', 'log'], ['poisson', 'identity'], ['poisson', 'sqrt'], ['gaussian', 'log'], ['gaussian', 'inverse']] as const) {
      expect(gpuReweightSupported(makeFamily(f, l))).toBe(false);
      expect(deviceFamilyRefusal(makeFamily(f, l))).toEqual(l === 'inverse' ? expect.stringMatching(/inverse link runs on the CPU only/) : null);
    }
  });
});

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'the rest of the links on WebGPU'), { timeout: GPU_TIMEOUT * 2 }, () => {
  it.each(['binomial_cauchit', 'binomial_log', 'poisson_identity', 'poisson_sqrt', 'gaussian_log'])('%s: the device\'s Gram passes, the rows on the CPU, the float64 optimum', async (name) => {
    const ref = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
    const table = readCsv(readFileSync(join(dir, ref.data), 'utf8')).table;
    const options = { family: ref.family, link: ref.link, factors: ['g'], ...(ref.weights ? { weights: ref.weights } : {}) };
    const fit = (await glmer(ref.formula, table, { ...options, backend: 'webgpu', device: gpu!.device } as never)) as GlmmFit;
    expect(fit.backend.name).toBe('webgpu');
    expect(fit.timings.gpuPasses).toBeGreaterThan(0);
    expect(fit.timings.gpuGroupFactors).toBe(0);
    const t = ref.tight;
    expect(Math.abs(fit.objective - t.deviance_laplace)).toBeLessThan(1e-6);
    Object.values(t.fixef as Record<string, number>).forEach((v, j) => expect(Math.abs(fit.beta[j] - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v))));
    Object.values(t.se as Record<string, number>).forEach((v, j) => expect(rel(fit.coefficients[j].se, v)).toBeLessThan(1e-4));
  });
  it('gaussian(inverse): webgpu refuses, naming the reason; auto fits on the CPU and says why', async () => {
    const ref = JSON.parse(readFileSync(join(dir, 'gaussian_inverse.json'), 'utf8'));
    const table = readCsv(readFileSync(join(dir, ref.data), 'utf8')).table;
    const options = { family: ref.family, link: ref.link, factors: ['g'], weights: ref.weights };
    await expect(glmer(ref.formula, table, { ...options, backend: 'webgpu', device: gpu!.device } as never)).rejects.toThrow(/the WebGPU backend cannot fit this model: a gaussian GLMM with the inverse link runs on the CPU only/);
    const auto = (await glmer(ref.formula, table, { ...options, backend: 'auto', device: gpu!.device } as never)) as GlmmFit;
    expect(auto.backend.name).toBe('cpu');
    expect(auto.messages.join('\n')).toMatch(/backend auto: CPU \(a gaussian GLMM with the inverse link runs on the CPU only/);
    expect(Math.abs(auto.objective - ref.tight.deviance_laplace)).toBeLessThan(1e-6);
  });
});

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'the rest of the links with adaptive quadrature on WebGPU'), { timeout: GPU_TIMEOUT * 2 }, () => {
  it.each([['binomial_cauchit', 9], ['poisson_identity', 5], ['poisson_sqrt', 25], ['cbpp_cauchit', 9]] as const)('%s, nAGQ = %i: the device\'s Gram passes, the rows and the quadrature on the CPU, the float64 optimum', async (name, nAGQ) => {
    const ref = JSON.parse(readFileSync(join(dir, '..', 'links_agq', `${name}.json`), 'utf8'));
    const table = readCsv(readFileSync(join(dir, '..', ref.data), 'utf8')).table;
    const options = { family: ref.family, link: ref.link, factors: ref.factors, nAGQ };
    const fit = (await glmer(ref.formula, table, { ...options, backend: 'webgpu', device: gpu!.device } as never)) as GlmmFit;
    expect(fit.backend.name).toBe('webgpu');
    expect(fit.timings.gpuPasses).toBeGreaterThan(0);
    expect(fit.nAGQ).toBe(nAGQ);
    const t = ref.fits.find((f: { nAGQ: number }) => f.nAGQ === nAGQ).tight;
    expect(Math.abs(fit.objective - t.deviance)).toBeLessThan(1e-6);
    fit.theta.forEach((v, i) => expect(Math.abs(v - t.theta[i])).toBeLessThan(1e-5));
    Object.values(t.fixef as Record<string, number>).forEach((v, j) => expect(Math.abs(fit.beta[j] - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v))));
    Object.values(t.se as Record<string, number>).forEach((v, j) => expect(rel(fit.coefficients[j].se, v)).toBeLessThan(1e-4));
  });
});
