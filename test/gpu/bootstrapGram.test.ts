/**
 * The WebGPU bootstrap pass (shaders/bootstrapGram.wgsl) against the float64 CPU pass: same draws, f32
 * sums. No size limits (issue 15): q = 12 with p = 21 (q + p + 1 = 34), three grouping factors (a
 * slope term, a crossed and a nested one), and batches split into sub-batches by a small binding limit.
 */
import { describe, expect, it } from 'vitest';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';
import { type LmmModel, buildLmm } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { lmer } from '../../src/fit/lmer.js';
import { CounterNormal } from '../../src/model/random.js';
import { type BootstrapGramInput, bootstrapGramCpu } from '../../src/backend/cpu/bootstrapGram.js';
import { BootstrapGramGpu } from '../../src/backend/webgpu/bootstrapGram.js';
import { loadDataFile, loadInference, solutionAt } from '../helpers/inference.js';
import { sizedLmmTable } from '../../bench/sized.js';

const gpu = await gpuOrSkip();

/** The batch's input at θ (lme4's), replicates 3 … 3 + B − 1. */
function batchInput(model: LmmModel, theta: ArrayLike<number>, B: number, seed: number): BootstrapGramInput {
  const { sol, templates } = solutionAt(model, formGram(model), theta);
  const replicates = Array.from({ length: B }, (_, r) => 3 + r);
  return { n: model.frame.n, p: model.frame.p, X: model.rows.X, blocks: model.rows.blocks, betaC: sol.beta, templates, sigma: sol.sigma, rng: new CounterNormal(seed), replicates };
}

/**
 * The device's batch against the CPU's: f32 sums err by at most about ε₃₂ Σ|z y| ≤ ε₃₂ ‖z‖ ‖y‖
 * (Cauchy–Schwarz), per level, column and replicate; the bound is 1e-5 ‖z‖ ‖y‖.
 */
function expectBatch(model: LmmModel, input: BootstrapGramInput, got: Awaited<ReturnType<BootstrapGramGpu['batch']>>): void {
  const cpu = bootstrapGramCpu(input);
  const gram = formGram(model);
  const B = input.replicates.length, p = input.p;
  expect(got.B).toBe(B);
  expect(got.AZy.length).toBe(cpu.AZy.length);
  cpu.AZy.forEach((AZy, k) => {
    const q = gram.blocks[k].q;
    const Akk = gram.Akk[k];
    AZy.forEach((v, e) => {
      const c = Math.floor(e / B), r = e % B;
      const bound = 1e-5 * Math.sqrt(Akk[Math.floor(c / q) * q * q + (c % q) * q + (c % q)] * cpu.yy[r]);
      expect(Math.abs(got.AZy[k][e] - v)).toBeLessThanOrEqual(bound);
    });
  });
  cpu.AXy.forEach((v, e) => {
    const j = Math.floor(e / B), r = e % B;
    expect(Math.abs(got.AXy[e] - v)).toBeLessThanOrEqual(1e-5 * Math.sqrt(gram.AXX[j * (p + 1) + j] * cpu.yy[r]));
  });
  cpu.yy.forEach((v, e) => expect(Math.abs(got.yy[e] - v) / v).toBeLessThan(1e-5));
}

async function deviceBatch(model: LmmModel, input: BootstrapGramInput, maxBindingBytes?: number) {
  const g = await BootstrapGramGpu.create(gpu!, input, { maxBindingBytes });
  try {
    return await g.batch(input);
  } finally {
    g.dispose();
  }
}

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'bootstrap Gram pass on WebGPU'), { timeout: GPU_TIMEOUT }, () => {
  it('matches the CPU pass (sleepstudy, 8 replicates)', async () => {
    const ref = loadInference('sleepstudy_unbalanced');
    const data = loadDataFile(ref.data);
    const fit = await lmer(ref.formula, data, { factors: ref.factors });
    const model = buildLmm(ref.formula, data, { factors: ref.factors });
    const input = batchInput(model, fit.theta, 8, 5);
    expectBatch(model, input, await deviceBatch(model, input));
  });

  it('has no size limits: q = 12 with p = 21 (q + p + 1 = 34)', async () => {
    const { table, formula } = sizedLmmTable({ n: 3000, groups: 60, levels: 7, q: 12, seed: 11 });
    const model = buildLmm(formula, table);
    expect(model.frame.p).toBe(21);
    expect(model.blocks[0].q).toBe(12);
    const input = batchInput(model, model.theta.start, 6, 7);
    expectBatch(model, input, await deviceBatch(model, input));
  });

  it('takes several grouping factors: slopes, a crossed and a nested factor', async () => {
    const { table, formula } = sizedLmmTable({ n: 4000, groups: 80, levels: 3, q: 2, crossed: 25, nested: 3, seed: 12 });
    const model = buildLmm(formula, table);
    expect(model.blocks.length).toBe(3);
    const input = batchInput(model, model.theta.start, 5, 9);
    expectBatch(model, input, await deviceBatch(model, input));
  });

  it('splits a batch that does not fit one binding into sub-batches, with the same sums', async () => {
    const { table, formula } = sizedLmmTable({ n: 2000, groups: 50, levels: 2, q: 2, crossed: 10, seed: 13 });
    const model = buildLmm(formula, table);
    const input = batchInput(model, model.theta.start, 16, 3);
    const whole = await deviceBatch(model, input);
    // y* takes 4 n bytes per replicate: a binding of 3 replicates' y* makes sub-batches of 3, 3, …, 1
    const split = await deviceBatch(model, input, 4 * 2000 * 3 + 8);
    expect(split).toEqual(whole);
    expectBatch(model, input, split);
  });

  it('names the limit when one replicate does not fit', async () => {
    const { table, formula } = sizedLmmTable({ n: 2000, groups: 50, levels: 2, q: 2, seed: 13 });
    const model = buildLmm(formula, table);
    const input = batchInput(model, model.theta.start, 2, 3);
    await expect(deviceBatch(model, input, 1000)).rejects.toThrow(/8000 bytes per replicate .* limit is 1000 bytes \(maxStorageBufferBindingSize\)/);
  });

  it('fit.bootstrap({ backend: "webgpu" }) agrees with the CPU pass', async () => {
    const ref = loadInference('sleepstudy');
    const fit = await lmer(ref.formula, loadDataFile(ref.data), { factors: ref.factors });
    // the CPU's row pass, which the kernel reproduces (the CPU's default for one grouping factor draws
    // the levels' sufficient statistics instead: the same distribution, other draws)
    const cpu = await fit.bootstrap({ nsim: 8, seed: 4, gramSource: bootstrapGramCpu });
    const g = await fit.bootstrap({ nsim: 8, seed: 4, backend: 'webgpu' });
    expect(g.messages.join(' ')).toMatch(/ran on WebGPU/);
    cpu.t.forEach((row, r) => row.forEach((v, k) => expect(Math.abs(g.t[r][k] - v)).toBeLessThan(1e-3 * Math.max(1, Math.abs(cpu.t0[k])))));
  });

  it('fit.bootstrap({ backend: "webgpu" }) with crossed factors (Penicillin) agrees with the CPU pass', async () => {
    const ref = loadInference('penicillin');
    const fit = await lmer(ref.formula, loadDataFile(ref.data), { factors: ref.factors });
    expect(fit.model.blocks.length).toBe(2);
    const cpu = await fit.bootstrap({ nsim: 6, seed: 8 });
    const g = await fit.bootstrap({ nsim: 6, seed: 8, backend: 'webgpu' });
    expect(g.messages.join(' ')).toMatch(/ran on WebGPU/);
    cpu.t.forEach((row, r) => row.forEach((v, k) => expect(Math.abs(g.t[r][k] - v)).toBeLessThan(1e-3 * Math.max(1, Math.abs(cpu.t0[k])))));
  });
});
