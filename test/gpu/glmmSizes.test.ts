/**
 * The GLMM's per-group PIRLS updates on the WebGPU backend without fixed size limits (issue 15):
 * glmmGroups.wgsl gathers each group's A_zz,g and A_Xz,g from the pass and factors them with
 * blockdiag.wgsl's kernels (the LMM's), so p > 15 and q > 8 run on the device.
 *  (1) PIRLS at fixed θ (the start and a perturbation, β free and fixed) with the per-group updates
 *      on the device against the float64 engine, for p = 42, q = 12, q = 32 and q = 20 (both factor kernels:
 *      one thread per group, and one workgroup per group forced on the software adapter);
 *  (2) whole glmer fits (binomial with p = 42, Poisson with q = 10) on 'webgpu' against the CPU
 *      fit, and the path asserted: the device computed the per-group factors (fit.timings);
 *  (3) several grouping factors, nested and crossed (binomial and Poisson): the first factor's
 *      per-group factor and update of u on the device, the other blocks, the coupling and the step
 *      on the host in float64 (BlockedCholesky from the device's first block): PIRLS at fixed θ and
 *      whole fits against the CPU, the path asserted.
 */
import { describe, expect, it } from 'vitest';
import { buildGlmm } from '../../src/glmm/model.js';
import { F32_PASS_TOLERANCES, PirlsEngine } from '../../src/glmm/pirls.js';
import { GlmmGroupsGpu } from '../../src/backend/webgpu/glmmGroups.js';
import { GlmmPassGpu } from '../../src/backend/webgpu/glmmPass.js';
import type { FactorVariant } from '../../src/backend/webgpu/blockdiag.js';
import { glmer } from '../../src/fit/glmer.js';
import { Rng } from '../../bench/synth.js';
import { sizedGlmmTable } from '../../bench/sized.js';
import type { SizedOptions } from '../../bench/sized.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';

const gpu = await gpuOrSkip();

type Case = SizedOptions & { family: 'binomial' | 'poisson' };

/** PIRLS at fixed θ with the per-group updates on the device against the float64 engine. */
async function compareAtTheta(label: string, c: Case, factor?: FactorVariant): Promise<void> {
  const { table, formula } = sizedGlmmTable(c);
  const model = buildGlmm(formula, table, { family: c.family });
  const { n, X, p, blocks, family, y, weights, offset } = model.pirls;
  const rowData = { family, y, weights, offset };
  const full = await GlmmPassGpu.create(gpu!, { n, X, p, blocks }, undefined, rowData, { groupLayout: true });
  const u = await GlmmPassGpu.create(gpu!, { n, X: new Float64Array(0), p: 0, blocks }, full, rowData, { groupLayout: true });
  const coupled = blocks.length > 1 ? { blocks, nTheta: model.theta.length } : undefined;
  const gFull = await GlmmGroupsGpu.create(gpu!, full, blocks[0], undefined, { factor, coupled });
  const gU = await GlmmGroupsGpu.create(gpu!, u, blocks[0], gFull);
  try {
    const dev = new PirlsEngine(model.pirls, { grams: { full, u }, groups: { full: gFull, u: gU }, tolerances: F32_PASS_TOLERANCES });
    expect(dev.groups).not.toBeNull();
    expect(gFull.factorVariant).toBe(factor ?? 'thread');
    const cpu = new PirlsEngine(model.pirls);
    const rng = new Rng(5);
    const start = Float64Array.from(model.theta.start);
    const pert = Float64Array.from(start, (t, k) => (model.theta.lower[k] === 0 ? t * (0.5 + rng.uniform()) : 0.1 * rng.normal()));
    for (const theta of [start, pert]) {
      for (const e of [dev, cpu]) e.reset();
      // β free (stage 1's PIRLS), then β fixed at the float64 β̂ (stage 2's)
      const rc = cpu.run(theta, null);
      const rd = await dev.runAsync(theta, null);
      const err = Math.abs(rd.laplace - rc.laplace) / Math.abs(rc.laplace);
      const beta = Float64Array.from(cpu.beta);
      dev.beta.forEach((b, j) => expect(Math.abs(b - beta[j])).toBeLessThan(2e-3 * Math.max(1, Math.abs(beta[j]))));
      const rc2 = cpu.run(theta, beta);
      const rd2 = await dev.runAsync(theta, beta);
      const err2 = Math.abs(rd2.laplace - rc2.laplace) / Math.abs(rc2.laplace);
      await dev.syncU();
      const uScale = Math.max(1, ...Array.from(cpu.u[0], Math.abs));
      let du = 0;
      cpu.u[0].forEach((v, j) => { du = Math.max(du, Math.abs(dev.u[0][j] - v) / uScale); });
      console.log(`${label}: p = ${p}, q = ${blocks[0].q}, ${blocks.map((b) => `${b.group} ${b.nl}`).join(', ')}, ${gFull.factorVariant} factor: Laplace rel. error β free ${err.toExponential(2)}, β fixed ${err2.toExponential(2)}; max |Δu| ${du.toExponential(2)}`);
      expect(err).toBeLessThan(1e-6);
      expect(err2).toBeLessThan(1e-6);
      expect(du).toBeLessThan(1e-3);
    }
    // the device did the per-group work (both passes)
    expect(gFull.counts.factors).toBeGreaterThan(0);
    expect(gU.counts.factors).toBeGreaterThan(0);
    expect(gU.counts.updates).toBeGreaterThan(0);
  } finally {
    for (const x of [full, u, gU, gFull]) x.dispose();
  }
}

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'the GLMM\'s per-group updates on the device have no fixed size limits'), { timeout: GPU_TIMEOUT * 2 }, () => {
  it('p = 42 (a 14-level factor × two covariates), binomial: PIRLS at fixed θ equals float64', async () => {
    await compareAtTheta('wide p', { n: 3000, groups: 60, levels: 14, q: 2, seed: 31, family: 'binomial' });
  });

  it('q = 12, Poisson: PIRLS at fixed θ equals float64', async () => {
    await compareAtTheta('q 12', { n: 3000, groups: 50, levels: 1, q: 12, seed: 32, family: 'poisson' });
  });

  it('q = 32, Poisson: PIRLS at fixed θ equals float64', async () => {
    await compareAtTheta('q 32', { n: 2400, groups: 30, levels: 1, q: 32, seed: 34, family: 'poisson' });
  });

  it('q = 20 with p = 21, both factor kernels (one workgroup per group forced on the software adapter)', async () => {
    const c: Case = { n: 3200, groups: 40, levels: 7, q: 20, seed: 33, family: 'poisson' };
    await compareAtTheta('q 20 thread', c, 'thread');
    await compareAtTheta('q 20 group', c, 'group');
  });
});

/** glmer on 'webgpu' against 'cpu', with the per-group path asserted. */
async function compareFits(label: string, c: Case, extra: { gpuGroups?: boolean } = {}): Promise<void> {
  const { table, formula } = sizedGlmmTable(c);
  const t0 = performance.now();
  const cpu = await glmer(formula, table, { family: c.family, backend: 'cpu' });
  const t1 = performance.now();
  const fit = await glmer(formula, table, { family: c.family, backend: 'webgpu', device: gpu!.device, ...extra });
  const t2 = performance.now();
  expect(fit.backend.name).toBe('webgpu');
  expect(fit.backend.precision).toBe('float32 (webgpu) polished in float64');
  expect(fit.converged).toBe(true);
  // the path: PIRLS's per-group factors ran on the device
  expect(fit.timings.gpuGroupFactors).toBeGreaterThan(0);
  const dObj = fit.objective - cpu.objective;
  const se = cpu.coefficients.map((k) => k.se);
  const dBeta = Math.max(...Array.from(fit.beta, (b, k) => Math.abs(b - cpu.beta[k]) / se[k]));
  const dTheta = Math.max(...Array.from(fit.theta, (t, k) => Math.abs(t - cpu.theta[k])));
  console.log(`${label}: ${formula} (${c.family}, p = ${cpu.model.frame.p}, q = ${fit.model.blocks[0].q}): cpu ${cpu.objective.toFixed(6)} (${((t1 - t0) / 1000).toFixed(1)} s), webgpu − cpu ${dObj.toExponential(2)} (${((t2 - t1) / 1000).toFixed(1)} s), max |Δβ|/se ${dBeta.toExponential(2)}, max |Δθ| ${dTheta.toExponential(2)}; ${fit.timings.gpuGroupFactors} device factors, polish ${fit.gpuCheck!.polishEvaluations} evaluations`);
  expect(Math.abs(dObj)).toBeLessThan(1e-6 * Math.abs(cpu.objective));
  expect(dBeta).toBeLessThan(1e-3);
  expect(dTheta).toBeLessThan(1e-3);
}

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'GLMM fits with p > 15 and q > 8 on WebGPU equal the CPU fit'), { timeout: GPU_TIMEOUT * 8 }, () => {
  it('binomial, p = 42', () => compareFits('wide p', { n: 2400, groups: 60, levels: 14, q: 1, seed: 41, family: 'binomial' }));
  it('Poisson, q = 10 (uncorrelated: 10 θ)', () => compareFits('q 10', { n: 2000, groups: 50, levels: 1, q: 10, diagonal: true, seed: 42, family: 'poisson' }));
});

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'several grouping factors: the first one\'s per-group updates on the device'), { timeout: GPU_TIMEOUT * 8 }, () => {
  it('nested (1 | g) + (1 | g:s), binomial, p = 21: PIRLS at fixed θ equals float64', async () => {
    await compareAtTheta('nested', { n: 3000, groups: 60, levels: 7, q: 1, nested: 4, seed: 51, family: 'binomial' });
  });
  it('crossed (x1 | g) + (1 | h), Poisson: PIRLS at fixed θ equals float64', async () => {
    await compareAtTheta('crossed', { n: 3000, groups: 60, levels: 1, q: 2, crossed: 25, seed: 52, family: 'poisson' });
  });
  // (gpuGroups: true: on a software adapter several factors keep their per-group updates on the CPU by default)
  it('fit: nested, binomial', () => compareFits('nested', { n: 2400, groups: 60, levels: 1, q: 1, nested: 4, seed: 53, family: 'binomial' }, { gpuGroups: true }));
  it('fit: crossed, Poisson', () => compareFits('crossed', { n: 2400, groups: 60, levels: 1, q: 1, crossed: 30, seed: 54, family: 'poisson' }, { gpuGroups: true }));
  it('on a software adapter by default the several factors\' per-group updates stay on the CPU', async () => {
    const { table, formula } = sizedGlmmTable({ n: 1200, groups: 30, levels: 1, q: 1, crossed: 10, seed: 55, family: 'poisson' });
    const fit = await glmer(formula, table, { family: 'poisson', backend: 'webgpu', device: gpu!.device });
    expect(fit.backend.name).toBe('webgpu');
    if (gpu!.isSoftware) expect(fit.timings.gpuGroupFactors).toBe(0);
    else expect(fit.timings.gpuGroupFactors).toBeGreaterThan(0);
  });
});
