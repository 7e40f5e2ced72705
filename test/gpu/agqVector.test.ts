/**
 * Adaptive product-rule quadrature over one factor's vector term (src/glmm/agqVector.ts) under
 * `backend: 'webgpu'`: PIRLS's passes on the device (f32), the product rule on the CPU from η brought
 * back (PirlsEngine.agqAsync falls back to agq: the device's rows pass is for scalar terms), the
 * optimum polished in float64. Against the R oracle's optimum (test/oracle/agq_vector.R, the CPU
 * suite test/agqVector.test.ts): −2ℓ to 1e-6 absolute, θ and β to 1e-5 of max(1, |v|), SEs to 1e-4
 * relative (the float64 polish's Hessian stencil from the device's optimum).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../../src/io/csv.js';
import { glmer } from '../../src/fit/glmer.js';
import type { GlmmFit } from '../../src/glmm/glmmFit.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';

const gpu = await gpuOrSkip();
const dir = join(import.meta.dirname, '..', 'fixtures', 'agq_vector');
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'nAGQ > 1 with a vector term on WebGPU (the product rule on the CPU)'), { timeout: GPU_TIMEOUT }, () => {
  for (const name of ['binary_slopes', 'poisson_slopes']) {
    it(`${name}, nAGQ = 9`, async () => {
      const ref = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
      const f = ref.fits.find((x: { nAGQ: number }) => x.nAGQ === 9);
      const data = readCsv(readFileSync(join(dir, ref.data), 'utf8')).table;
      const fit = (await glmer(ref.formula, data, { family: ref.family, nAGQ: 9, backend: 'webgpu', device: gpu!.device })) as GlmmFit;
      expect(fit.backend.name).toBe('webgpu');
      expect(fit.converged).toBe(true);
      expect(Math.abs(fit.objective - f.deviance)).toBeLessThan(1e-6);
      fit.theta.forEach((v, i) => expect(Math.abs(v - f.theta[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(f.theta[i]))));
      f.beta.forEach((v: number, j: number) => expect(Math.abs(fit.beta[j] - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v))));
      f.se.forEach((v: number, j: number) => expect(rel(fit.coefficients[j].se, v)).toBeLessThan(1e-4));
      console.log(`${name}: WebGPU −2ℓ − oracle ${(fit.objective - f.deviance).toExponential(2)}, θ ${Array.from(fit.theta, (v, i) => (v - f.theta[i]).toExponential(1)).join(' ')}`);
    });
  }
});
