/**
 * A structured covariance (glmmTMB's ar1, src/lmm/structured.ts) on the WebGPU backend (SwiftShader in
 * CI): the optimizer works in the structure's parameters on the device objective, composed with ψ → θ
 * as on the CPU, and the float64 polish settles the optimum: the criterion equals the CPU fit's to
 * 1e-9 relative (observed 1.3e-15 on SwiftShader), σ̂ and ρ̂ to 1e-5 relative. glmer's (src/glmm/structured.ts):
 * both stages in ψ on the device's PIRLS, polished in float64 by the (ψ, β) Hessian stencil: −2ℓ equals
 * the CPU fit's to 1e-9 relative, β and ρ̂ to 1e-5 (absolute), the SEs to 1e-4 relative.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lmer } from '../../src/fit/lmer.js';
import { glmer } from '../../src/fit/glmer.js';
import { readCsv } from '../../src/io/csv.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';

const gpu = await gpuOrSkip();
const fixtures = join(import.meta.dirname, '..', 'fixtures');

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'covariance structures on the WebGPU backend'), { timeout: GPU_TIMEOUT * 2 }, () => {
  it('ar1(0 + factor(time) | subject): the device fit polished to the CPU fit', async () => {
    const sim = readCsv(readFileSync(join(fixtures, 'data/structcov.csv'), 'utf8')).table;
    const formula = 'y_toep ~ time + x + ar1(0 + factor(time) | subject)';
    const cpu = await lmer(formula, sim);
    const dev = await lmer(formula, sim, { backend: 'webgpu' });
    expect(dev.backend.name).toBe('webgpu');
    expect(dev.backend.precision).toMatch(/float64/);
    expect(Math.abs(dev.objective - cpu.objective) / cpu.objective).toBeLessThanOrEqual(1e-9);
    expect(Math.abs(dev.sigma - cpu.sigma) / cpu.sigma).toBeLessThanOrEqual(1e-5);
    expect(Math.abs(dev.structures[0].rho[0] - cpu.structures[0].rho[0]) / cpu.structures[0].rho[0]).toBeLessThanOrEqual(1e-5);
    expect(dev.df).toBe(cpu.df);
  });
  it('glmer, Poisson ar1(0 + factor(time) | subject) + (1 | site): the device fit polished to the CPU fit', async () => {
    const sim = readCsv(readFileSync(join(fixtures, 'data/glmer_structcov.csv'), 'utf8')).table;
    const formula = 'y_ar1 ~ time + x + ar1(0 + factor(time) | subject) + (1 | site)';
    const cpu = await glmer(formula, sim, { family: 'poisson' });
    const dev = await glmer(formula, sim, { family: 'poisson', backend: 'webgpu' });
    expect(dev.backend.name).toBe('webgpu');
    expect(Math.abs(dev.objective - cpu.objective) / cpu.objective).toBeLessThanOrEqual(1e-9);
    dev.beta.forEach((b, j) => expect(Math.abs(b - cpu.beta[j])).toBeLessThanOrEqual(1e-5));
    dev.coefficients.forEach((r, j) => expect(Math.abs(r.se - cpu.coefficients[j].se) / cpu.coefficients[j].se).toBeLessThanOrEqual(1e-4));
    expect(Math.abs(dev.structures[0].rho[0] - cpu.structures[0].rho[0])).toBeLessThanOrEqual(1e-5);
    expect(dev.df).toBe(cpu.df);
  });
});
