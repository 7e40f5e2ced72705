/**
 * lme4's `start` on the WebGPU backend (SwiftShader in CI): the device objective starts at the given θ
 * (the objective's start, src/lmm/fit.ts withStart, is shared by both backends): its first evaluation
 * is at the start (to 1e-12: θ → θ_int → θ), and the fit reaches lme4's tight optimum (test/fixtures/update, TIGHT_LMER) at
 * test/update.test.ts's tolerances: criterion within 1e-6, θ within 1e-5·max(1, |θ|).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lmer } from '../../src/fit/lmer.js';
import { readCsv } from '../../src/io/csv.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';

const gpu = await gpuOrSkip();
const fixtures = join(import.meta.dirname, '..', 'fixtures');
const oracle = JSON.parse(readFileSync(join(fixtures, 'update/update.json'), 'utf8'));

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'lmer start on the WebGPU backend'), { timeout: GPU_TIMEOUT * 2 }, () => {
  it('sleepstudy from (2, 0.5, 1): the first evaluation at the start, then the optimum', async () => {
    const sleep = readCsv(readFileSync(join(fixtures, 'data/sleepstudy.csv'), 'utf8')).table;
    // (a start within BOBYQA's initial radius of a bound is moved onto it first, as BOBYQA does: none here)
    const start = [2, 0.5, 1];
    const seen: Float64Array[] = [];
    const fit = await lmer('Reaction ~ Days + (Days | Subject)', sleep, {
      factors: ['Subject'], backend: 'webgpu', start, onProgress: (p) => seen.push(Float64Array.from(p.theta)),
    });
    expect(fit.backend.name).toBe('webgpu');
    start.forEach((t, k) => expect(seen[0][k]).toBeCloseTo(t, 12));
    const tight = oracle.fits.sleep_base.tight as { deviance: number; theta: number[] };
    expect(Math.abs(fit.objective - tight.deviance)).toBeLessThan(1e-6);
    tight.theta.forEach((t, k) => expect(Math.abs(fit.theta[k] - t) / Math.max(1, Math.abs(t))).toBeLessThan(1e-5));
  });
});
