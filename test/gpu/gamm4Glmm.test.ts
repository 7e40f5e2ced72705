/**
 * gamm4 for binomial and Poisson responses on the WebGPU backend (SwiftShader in CI): glmer's PIRLS on the
 * device with the smooths' homdiag terms (glmer's structured path), then the float64 polish. Against gamm4
 * 0.2-6 (test/fixtures/gamm4/gamm4_glmm.json, the all-cr binomial and Poisson models): the Laplace deviance
 * at the optimum within 1e-9 relative of gamm4's (or lower), the gam view's fitted values and the smooths'
 * values on gamm4's grid within 1e-5 of their largest value, the smooths' edf within 1e-4 relative.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gamm4 } from '../../src/gamm/gamm4.js';
import { readCsv } from '../../src/io/csv.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';

const gpu = await gpuOrSkip();
const fixtures = join(import.meta.dirname, '..', 'fixtures');
const cases = JSON.parse(readFileSync(join(fixtures, 'gamm4', 'gamm4_glmm.json'), 'utf8'));
const maxAbs = (a: ArrayLike<number>) => Math.max(...Array.from(a, Math.abs));

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'gamm4 GLMMs on the WebGPU backend'), { timeout: GPU_TIMEOUT * 2 }, () => {
  for (const name of ['binary_cr', 'poisson_cr']) {
    it(`${name}: ${cases[name].formula} (${cases[name].family})`, async () => {
      const c = cases[name];
      const data = readCsv(readFileSync(join(fixtures, 'data/gamsim1_glmm.csv'), 'utf8')).table;
      const fit = await gamm4(c.formula, data, { random: c.random, family: c.family, backend: 'webgpu', optimizer: { rhoend: 1e-7 } });
      expect(fit.mer.backend.name).toBe('webgpu');
      expect((fit.mer.objective - c.mer.m2loglik) / c.mer.m2loglik).toBeLessThan(1e-9);
      let worst = 0;
      fit.gam.fitted.forEach((f, i) => { worst = Math.max(worst, Math.abs(f - c.gam.fitted[i])); });
      expect(worst / maxAbs(c.gam.fitted)).toBeLessThan(1e-5);
      fit.plotData(50).forEach((p, k) => {
        let w = 0;
        p.fit.forEach((f, i) => { w = Math.max(w, Math.abs(f - c.smooths[k].fit[i])); });
        expect(w / maxAbs(c.smooths[k].fit)).toBeLessThan(1e-5);
        expect(Math.abs(fit.gam.smooths[k].edf - c.smooths[k].edf) / c.smooths[k].edf).toBeLessThan(1e-4);
      });
    });
  }
});
