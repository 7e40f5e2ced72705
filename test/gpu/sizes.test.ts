/**
 * The WebGPU backend without size limits (issue 15): the objective at fixed θ against the float64
 * CPU backend for p = 4 … 201 fixed effects and q = 1 … 32 random-effects columns, both factor
 * kernels (one thread per group; one workgroup per group with blocked updates), the groups split
 * into slabs (a binding limit smaller than the model), several grouping factors; and whole fits
 * with p > 16 and q > 8, polished, against the CPU fit.
 */
import { describe, expect, it } from 'vitest';
import type * as arrow from 'apache-arrow';
import { buildLmm } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { CpuBackend } from '../../src/backend/cpu/cpuBackend.js';
import { WebGpuBackend, type WebGpuBackendOptions } from '../../src/backend/webgpu/webgpuBackend.js';
import { profiledDeviance } from '../../src/lmm/deviance.js';
import { lmer } from '../../src/fit/lmer.js';
import { Rng } from '../../bench/synth.js';
import { sizedLmmData, sizedLmmTable as sizedTable } from '../../bench/sized.js';
import { glmer } from '../../src/fit/glmer.js';
import { makeFactorVector, makeFloat64Vector, tableFromColumns } from '../../src/io/arrow.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';

const gpu = await gpuOrSkip();

/** θ values: the start, and a random lower-triangular perturbation of it */
function thetas(layout: { start: Float64Array; lower: Float64Array }, rng: Rng): Float64Array[] {
  const pert = Float64Array.from(layout.start, (t, k) => (layout.lower[k] === 0 ? 0.3 + 0.7 * rng.uniform() : 0.2 * rng.normal()));
  return [Float64Array.from(layout.start), pert];
}

async function compare(label: string, table: arrow.Table, formula: string, options: WebGpuBackendOptions = {}, tol = 2e-6): Promise<WebGpuBackend> {
  const model = buildLmm(formula, table, { REML: true });
  const gram = formGram(model);
  const cpu = new CpuBackend(gram, model.theta.length);
  const backend = await WebGpuBackend.create(gpu!, model, gram, options);
  const { n, p } = model.frame;
  const rng = new Rng(99);
  try {
    for (const theta of thetas(model.theta, rng)) {
      const g = profiledDeviance(await backend.evaluate(theta), n, p, true);
      const c = profiledDeviance(cpu.evaluate(theta), n, p, true);
      const rel = Math.abs(g - c) / Math.abs(c);
      console.log(`${label}: p = ${p}, q = ${model.blocks[0].q}, ${model.blocks.map((b) => `${b.group} ${b.nl}`).join(', ')}: ${backend.kernel!.factorVariant} factor, ${backend.kernel!.slabs.length} slab(s); GPU ${g.toFixed(6)} CPU ${c.toFixed(6)} rel ${rel.toExponential(2)}`);
      expect(rel).toBeLessThan(tol);
    }
  } finally {
    backend.dispose();
  }
  return backend;
}

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'the WebGPU backend has no size limits'), { timeout: GPU_TIMEOUT * 2 }, () => {
  it('p = 4 … 201 (q = 2): the objective at fixed θ equals float64 within f32 accuracy', async () => {
    for (const levels of [1, 7, 67]) {
      const { table, formula } = sizedTable({ n: 6000, groups: 60, levels, q: 2, seed: levels });
      await compare(`levels ${levels}`, table, formula);
    }
  });

  it('q = 1, 3, 8 (one thread per group) and 9, 20, 32 (one workgroup per group on a hardware adapter)', async () => {
    for (const q of [1, 3, 8, 9, 20, 32]) {
      const { table, formula } = sizedTable({ n: 40 * Math.max(60, 4 * q), groups: 40, levels: 1, q, seed: 100 + q });
      const b = await compare(`q ${q}`, table, formula);
      expect(b.kernel!.factorVariant).toBe(q <= 8 || gpu!.isSoftware ? 'thread' : 'group');
    }
  });

  it('both factor kernels agree; p = 201 with q = 20', async () => {
    const { table, formula } = sizedTable({ n: 8000, groups: 40, levels: 67, q: 20, seed: 7 });
    await compare('thread, q 20, p 201', table, formula, { factor: 'thread' }, 1e-5);
    await compare('group, q 20, p 201', table, formula, { factor: 'group' }, 1e-5);
    const small = sizedTable({ n: 3000, groups: 300, levels: 1, q: 3, seed: 8 });
    await compare('group, q 3', small.table, small.formula, { factor: 'group' });
  });

  it('groups in slabs when a binding holds fewer groups than the model has', async () => {
    const { table, formula } = sizedTable({ n: 20000, groups: 2000, levels: 7, q: 2, seed: 9 });
    // A_Xz: (p + 1) q = 22 × 2 floats (176 bytes) per group: 250 groups per 44 KB binding
    const b = await compare('slabs', table, formula, { maxBindingBytes: 44_000 });
    expect(b.kernel!.slabs.length).toBe(8);
  });

  it('several grouping factors (a crossed one) with p = 21 and q = 9', async () => {
    const { table, formula } = sizedTable({ n: 9000, groups: 90, levels: 7, q: 9, crossed: 30, seed: 10 });
    await compare('crossed', table, formula, {}, 1e-5);
  });

  it('fits with p > 16 and q > 8 equal the CPU fit after the float64 polish', async () => {
    for (const [levels, q, groups] of [[7, 2, 80], [1, 10, 30]] as const) {
      const { table, formula } = sizedTable({ n: 3000, groups, levels, q, seed: 200 + q });
      const cpu = await lmer(formula, table, { backend: 'cpu', optimizer: { maxfun: 20000 } });
      const gpuFit = await lmer(formula, table, { backend: 'webgpu', optimizer: { maxfun: 20000 } });
      const dObj = gpuFit.objective - cpu.objective;
      const dTheta = Math.max(...Array.from(gpuFit.theta, (t, k) => Math.abs(t - cpu.theta[k])));
      console.log(`fit p = ${cpu.model.frame.p}, q = ${q}: cpu ${cpu.objective.toFixed(6)} (${cpu.feval} evals), webgpu − cpu ${dObj.toExponential(2)}, max |Δθ| ${dTheta.toExponential(2)}, GPU error at its optimum ${gpuFit.gpuCheck!.objectiveError.toExponential(2)}, polish ${gpuFit.gpuCheck!.polishEvaluations} evaluations`);
      expect(gpuFit.backend.precision).toBe('float32 (webgpu) polished in float64');
      expect(dObj).toBeLessThan(1e-6 * Math.abs(cpu.objective));
    }
  }, GPU_TIMEOUT * 6);

  it('glmer with p = 21 and two grouping factors (crossed) on WebGPU equals the CPU fit', async () => {
    const d = sizedLmmData({ n: 2000, groups: 40, levels: 7, q: 1, crossed: 15, seed: 400 });
    const y = d.numeric[0][1];
    const cols: [string, arrow.Vector][] = [
      ['y01', makeFloat64Vector(Float64Array.from(y, (v) => (v > 1 ? 1 : 0)))],
      ...d.numeric.slice(1).map(([name, v]): [string, arrow.Vector] => [name, makeFloat64Vector(v)]),
      ...d.factors.map(([name, codes, levels]): [string, arrow.Vector] => [name, makeFactorVector(codes, levels)]),
    ];
    const table = tableFromColumns(cols);
    const formula = d.formula.replace(/^y ~/, 'y01 ~');
    expect(formula).toBe('y01 ~ f * (x + z) + (1 | g) + (1 | h)');
    const cpu = await glmer(formula, table, { family: 'binomial', backend: 'cpu' });
    const gpuFit = await glmer(formula, table, { family: 'binomial', backend: 'webgpu', device: gpu!.device });
    expect(cpu.model.frame.p).toBe(21);
    expect(gpuFit.backend.name).toBe('webgpu');
    expect(gpuFit.converged).toBe(true);
    const dObj = gpuFit.objective - cpu.objective;
    const se = cpu.coefficients.map((c) => c.se);
    const dBeta = Math.max(...Array.from(gpuFit.beta, (b, k) => Math.abs(b - cpu.beta[k]) / se[k]));
    console.log(`glmer p = 21, (1 | g) + (1 | h): cpu ${cpu.objective.toFixed(6)}, webgpu − cpu ${dObj.toExponential(2)}, max |Δβ|/se ${dBeta.toExponential(2)}, GPU error at its optimum ${gpuFit.gpuCheck!.objectiveError.toExponential(2)}, polish ${gpuFit.gpuCheck!.polishEvaluations} evaluations`);
    expect(Math.abs(dObj)).toBeLessThan(1e-6 * Math.abs(cpu.objective));
    expect(dBeta).toBeLessThan(1e-3);
  }, GPU_TIMEOUT * 6);
});
