/**
 * gamm4's smooths (src/gamm: homdiag terms on one-level factors, src/model/covStructure.ts) on the WebGPU
 * backend (SwiftShader in CI): the device objective composed with ψ → θ as on the CPU, then the float64
 * polish. Against gamm4 0.2-6 (test/fixtures/gamm4, all-cr model, so lme4's criterion is mgcv's exactly):
 * the optimum's criterion within 1e-7 relative of gamm4's, the gam view's fitted values within 1e-5 of the
 * response's SD, the smooths' edf within 1e-4.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gamm4 } from '../../src/gamm/gamm4.js';
import { readCsv } from '../../src/io/csv.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';

const gpu = await gpuOrSkip();
const fixtures = join(import.meta.dirname, '..', 'fixtures');

/** the fit on the device against gamm4's: criterion 1e-7 relative, fitted values 1e-5 of y's SD, edf 1e-4 */
interface GammCase { formula: string; random: string; mer: { criterion: number }; gam: { fitted: number[] }; smooths: { edf: number }[] }
async function expectDeviceFit(c: GammCase, csv: string): Promise<void> {
  const data = readCsv(readFileSync(join(fixtures, 'data', csv), 'utf8')).table;
  const fit = await gamm4(c.formula, data, { random: c.random, backend: 'webgpu' });
  expect(fit.mer.backend.name).toBe('webgpu');
  expect((fit.gam.criterion - c.mer.criterion) / c.mer.criterion).toBeLessThan(1e-7);
  const y = fit.mer.model.frame.y;
  let m = 0;
  for (const v of y) m += v;
  m /= y.length;
  let ss = 0;
  for (const v of y) ss += (v - m) ** 2;
  const ysd = Math.sqrt(ss / (y.length - 1));
  let worst = 0;
  fit.gam.fitted.forEach((f, i) => { worst = Math.max(worst, Math.abs(f - c.gam.fitted[i])); });
  expect(worst / ysd).toBeLessThan(1e-5);
  fit.gam.smooths.forEach((sm, k) => expect(Math.abs(sm.edf - c.smooths[k].edf)).toBeLessThan(1e-4 * Math.max(1, c.smooths[k].edf)));
}

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'gamm4 on the WebGPU backend'), { timeout: GPU_TIMEOUT * 2 }, () => {
  it('y ~ s(x0, bs = "cr") + s(x1, bs = "cr", k = 8) + x2, random ~ (1 | fac)', async () => {
    await expectDeviceFit(JSON.parse(readFileSync(join(fixtures, 'gamm4', 'gamm4.json'), 'utf8')).gamsim_cr, 'gamsim1.csv');
  });

  // by = and t2() (test/oracle/gamm4_by.R): several smooth terms per smooth (a t2's penalties, a factor by's
  // levels) on the device, the same tolerances as above
  for (const name of ['by_factor_cr', 't2_cr']) {
    it(`gamm4_by ${name}`, async () => {
      await expectDeviceFit(JSON.parse(readFileSync(join(fixtures, 'gamm4', 'gamm4_by.json'), 'utf8'))[name], 'gamsim_by.csv');
    });
  }
});
