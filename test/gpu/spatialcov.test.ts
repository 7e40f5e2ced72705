/**
 * glmmTMB's spatial structures (exp, mat; src/model/covStructure.ts) on the WebGPU backend (SwiftShader
 * in CI), as test/gpu/structcov.test.ts checks ar1: the optimizer works in ψ on the device objective,
 * composed with ψ → θ as on the CPU, and the float64 polish settles the optimum: the criterion equals
 * the CPU fit's to 1e-9 relative, σ̂, the SD and the range to 1e-5 relative. glmer (Poisson exp): both
 * stages in ψ on the device's PIRLS, polished in float64: −2ℓ the CPU fit's to 1e-9 relative, β to 1e-5
 * (absolute), the SEs to 1e-4 relative.
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
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'spatial covariance structures on the WebGPU backend'), { timeout: GPU_TIMEOUT * 2 }, () => {
  const sim = () => readCsv(readFileSync(join(fixtures, 'data/spatialcov.csv'), 'utf8')).table;
  for (const formula of ['y_exp ~ x + exp(0 + numFactor(xc, yc) | plot)', 'y_mat ~ x + mat(0 + pos | plot)']) {
    it(`${formula}: the device fit polished to the CPU fit`, async () => {
      const d = sim();
      const cpu = await lmer(formula, d);
      const dev = await lmer(formula, d, { backend: 'webgpu' });
      expect(dev.backend.name).toBe('webgpu');
      expect(rel(dev.objective, cpu.objective)).toBeLessThanOrEqual(1e-9);
      expect(rel(dev.sigma, cpu.sigma)).toBeLessThanOrEqual(1e-5);
      expect(rel(dev.structures[0].sd[0], cpu.structures[0].sd[0])).toBeLessThanOrEqual(1e-5);
      expect(rel(dev.structures[0].range!, cpu.structures[0].range!)).toBeLessThanOrEqual(1e-5);
      expect(dev.df).toBe(cpu.df);
    });
  }
  it('glmer, Poisson exp(0 + numFactor(xc, yc) | plot): the device fit polished to the CPU fit', async () => {
    const d = sim();
    const formula = 'y_pois ~ x + exp(0 + numFactor(xc, yc) | plot)';
    const cpu = await glmer(formula, d, { family: 'poisson' });
    const dev = await glmer(formula, d, { family: 'poisson', backend: 'webgpu' });
    expect(dev.backend.name).toBe('webgpu');
    expect(rel(dev.objective, cpu.objective)).toBeLessThanOrEqual(1e-9);
    dev.beta.forEach((b, j) => expect(Math.abs(b - cpu.beta[j])).toBeLessThanOrEqual(1e-5));
    dev.coefficients.forEach((r, j) => expect(rel(r.se, cpu.coefficients[j].se)).toBeLessThanOrEqual(1e-4));
    expect(dev.df).toBe(cpu.df);
  });
});
