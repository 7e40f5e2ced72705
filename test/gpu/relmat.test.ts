/**
 * Known covariance (relmat) on the WebGPU backend (SwiftShader in CI): the dense block's Cholesky
 * factorizations and solves for each θ in shaders/dense.wgsl (f32), the fit checked and polished in
 * float64, so the numbers meet the CPU tests' tolerances against lme4 (test/relmat.test.ts):
 * criterion ≤ lme4's + 1e-6, θ 1e-4, β 1e-5 relative, modes and SDs 1e-4.
 *  - phylogeny, one block (the first block is dense: no per-group shaders);
 *  - pedigree with a crossed herd factor (the herd block on the per-group shaders, the animal
 *    block dense on the GPU).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../../src/io/csv.js';
import { lmer } from '../../src/fit/lmer.js';
import { namedMatrixFromTable } from '../../src/relmat/matrixTable.js';
import { pedigree } from '../../src/relmat/pedigree.js';
import { checkModes } from '../helpers/relmat.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';

const gpu = await gpuOrSkip();
const dir = join(import.meta.dirname, '..', 'fixtures', 'relmat');
const json = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8'));
const csv = (f: string) => readCsv(readFileSync(join(dir, f), 'utf8')).table;
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'relmat on WebGPU'), { timeout: GPU_TIMEOUT }, () => {
  const cases = [
    ['phylo_reml', () => ({ species: namedMatrixFromTable(csv('phylo_K.csv')) })],
    ['pedigree_herd_reml', () => ({ animal: pedigree(csv('pedigree.csv')) })],
  ] as const;
  it.each(cases)('%s', async (name, relmat) => {
    const ref = json(`${name}.json`);
    const fit = await lmer(ref.formula, csv(ref.data), { REML: ref.reml, relmat: relmat(), backend: 'webgpu', denseOnGpu: true });
    expect(fit.backend.name).toBe('webgpu');
    expect(fit.backend.precision).toBe('float32 (webgpu) polished in float64');
    expect(fit.messages.join('\n')).toMatch(/the dense blocks \(crossed factors, known covariances\) are factored on the GPU/);
    expect(fit.objective).toBeLessThan(ref.criterion + 1e-6);
    ref.theta.forEach((t: number, k: number) => expect(Math.abs(fit.theta[k] - t)).toBeLessThan(1e-4));
    for (const [k, v] of Object.entries(ref.fixef as Record<string, number>)) expect(rel(fit.fixef[k], v)).toBeLessThan(1e-5);
    checkModes(fit, ref.ranef, 1e-4);
    // the f32 objective's error at its optimum, before the float64 polish
    expect(Math.abs(fit.gpuCheck!.objectiveError)).toBeLessThan(1e-2);
  });
});
