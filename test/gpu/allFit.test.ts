/**
 * allFit on the WebGPU backend (SwiftShader in CI): each method runs on the device objective and the
 * fit's float64 polish finishes it, as for any device fit (src/model/fitObjective.ts); every row reaches
 * lme4's tight optimum of sleepstudy (test/fixtures/allfit/sleepstudy.json) at test/allFit.test.ts's
 * tolerances for BOBYQA: logLik within 1e-6, θ within 1e-6 (the float64 polish settles each row).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lmer } from '../../src/fit/lmer.js';
import { readCsv } from '../../src/io/csv.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';

const gpu = await gpuOrSkip();
const fixtures = join(import.meta.dirname, '..', 'fixtures');
const oracle = JSON.parse(readFileSync(join(fixtures, 'allfit/sleepstudy.json'), 'utf8')) as { tight: { llik: number; theta: number[] } };

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'allFit on the WebGPU backend'), { timeout: GPU_TIMEOUT * 4 }, () => {
  it('sleepstudy: BOBYQA, Nelder_Mead and the quasi-Newton on the device, each polished to lme4\'s tight optimum', async () => {
    const sleep = readCsv(readFileSync(join(fixtures, 'data/sleepstudy.csv'), 'utf8')).table;
    const fit = await lmer('Reaction ~ Days + (Days | Subject)', sleep, { factors: ['Subject'], backend: 'webgpu' });
    const all = await fit.allFit();
    expect(all.rows.map((r) => r.method)).toEqual(['bobyqa', 'nelderMead', 'quasiNewton']);
    for (const row of all.rows) {
      expect(row.ok, row.optimizer).toBe(true);
      expect(row.fit!.backend.name).toBe('webgpu');
      expect(Math.abs(row.logLik - oracle.tight.llik), row.optimizer).toBeLessThan(1e-6);
      oracle.tight.theta.forEach((t, k) => expect(Math.abs(row.theta[k] - t), `${row.optimizer} θ${k + 1}`).toBeLessThan(1e-6));
    }
  });
});
