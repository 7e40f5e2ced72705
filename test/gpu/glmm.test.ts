/**
 * GLMMs on the WebGPU backend (SwiftShader in CI):
 *  (1) the GPU weighted Gram pass (shaders/glmmPass.wgsl) at fixed (β, b) equals the float64
 *      WeightedGramCpu.form entry by entry within GLMM_PASS_REL_BOUND · Σ|w a b| (f32 partial sums
 *      of ≤ 256 rows finished in float64; the bound is (256 + 3) · 2⁻²⁴ ≈ 1.5e-5);
 *  (2) a state evaluated on the device (evaluateAsync: η, μ, w, the working residual and the
 *      deviance in the reweight shader, the products, the fitted part added in float64) equals the
 *      float64 pass at the same state: A(w) within the pass's bound plus the rounding of the
 *      weights from an f32 η, the deviance within DEVICE_DEVIANCE_NOISE;
 *  (3) PIRLS with the per-group updates on the device (glmmGroups.wgsl: the first grouping factor) at
 *      lme4's fixed (θ, β) and θ alone: the Laplace deviance against lme4's within the f32
 *      objective's stated error, and the modes u and β̂ against the float64 engine;
 *  (3b) adaptive quadrature's rows pass on the device (glmmPass.wgsl agqRows) at lme4's (θ, β): the
 *      AGQ deviance against lme4's and the float64 engine's, and the rows term itself;
 *  (4) the reference fits with backend 'webgpu' (f32 GPU pass in the optimizer, checked and
 *      polished in float64) pass the CPU suite's assertions, and the raw GPU objective error at
 *      the GPU optimum is reported and bounded, and the per-group path asserted; also probit, an offset, proportions with weights,
 *      and the weights computed on the CPU (gpuReweight: false).
 */
import { describe, expect, it } from 'vitest';
import { buildGlmm } from '../../src/glmm/model.js';
import { F32_PASS_TOLERANCES, PirlsEngine } from '../../src/glmm/pirls.js';
import { agqRowSums } from '../../src/glmm/agq.js';
import { ghRule } from '../../src/glmm/rmath.js';
import { GlmmGroupsGpu } from '../../src/backend/webgpu/glmmGroups.js';
import { DEVICE_PIRLS_TOLERANCES } from '../../src/backend/webgpu/glmmSide.js';
import { roundTrips } from '../../src/backend/webgpu/buffers.js';
import { thetaToInternal } from '../../src/model/reparam.js';
import { WeightedGramCpu, addFittedPart } from '../../src/glmm/weightedGram.js';
import type { GramMatrix } from '../../src/linalg/gram.js';
import { GLMM_PASS_REL_BOUND, GlmmPassGpu } from '../../src/backend/webgpu/glmmPass.js';
import { glmer, type GlmerOptions } from '../../src/fit/glmer.js';
import type { GlmmFit } from '../../src/glmm/glmmFit.js';
import { DATASETS_FOLDER, DATASET_GLMER_CASES, loadData, loadReference } from '../helpers/reference.js';
import { CONVERGED_DEFAULTS, EXTRA_CASES, GLMM_CASES, checkEstimates, checkRandomAndFitted, loadNbTight, loadTight, optionsOf, rel } from '../helpers/glmmParity.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';
import { ComputeKernel, packUniform, structLayout } from '../../src/backend/webgpu/kernel.js';
import { createStorage, createUniform, readBuffer } from '../../src/backend/webgpu/buffers.js';
import { shaderSource } from '../../src/backend/webgpu/shaders.generated.js';
import { Rand } from '../fuzz/fuzz.js';
import { toArrowTable } from '../../src/io/dataInput.js';

const gpu = await gpuOrSkip();

/** The raw f32 objective's error at the GPU's optimum, relative to float64 there. */
function relativeGpuError(fit: GlmmFit): number {
  const check = fit.gpuCheck!;
  return Math.abs(check.objectiveError) / Math.abs(check.float64AtGpuOptimum);
}

function arrays(g: GramMatrix): Float64Array[] {
  const out = [g.AXX, ...g.Akk, ...g.AXk];
  for (let j = 1; j < g.Ajk.length; j++) for (let k = 0; k < j; k++) out.push(g.Ajk[j][k].values);
  return out;
}

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'the GLMM weighted Gram pass on the GPU'), { timeout: GPU_TIMEOUT }, () => {
  for (const name of ['cbpp_binomial', 'grouseticks_poisson', 'verbagg_binomial_crossed']) {
    it(`${name}: equals WeightedGramCpu.form within the f32 bound`, async () => {
      const t = loadTight(name);
      const model = buildGlmm(t.formula, loadData(t), optionsOf(t));
      const { n, X, p, blocks, family, y, weights } = model.pirls;
      // (β, b) from a PIRLS run at the starting θ: the weights and working response there
      const engine = new PirlsEngine(model.pirls);
      engine.run(model.theta.start, null);
      const w = new Float64Array(n), z = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const me = family.muEta(engine.eta[i]);
        w[i] = (weights[i] * me * me) / family.variance(engine.mu[i]);
        z[i] = engine.eta[i] - model.pirls.offset[i] + (y[i] - engine.mu[i]) / me;
      }
      for (const pp of [p, 0]) {
        const input = { n, X: pp ? X : new Float64Array(0), p: pp, blocks };
        const cpu = new WeightedGramCpu(input).form(w, z);
        const abs = new WeightedGramCpu({ ...input, X: input.X.map(Math.abs), blocks: blocks.map((b) => ({ ...b, Z: b.Z.map(Math.abs) })) }).form(w, z.map(Math.abs));
        const pass = await GlmmPassGpu.create(gpu!, input);
        try {
          const g = await pass.formAsync(w, z);
          const [A, B, S] = [arrays(g), arrays(cpu), arrays(abs)];
          let worst = 0;
          A.forEach((a, m) => a.forEach((v, e) => {
            const err = Math.abs(v - B[m][e]);
            expect(err).toBeLessThanOrEqual(GLMM_PASS_REL_BOUND * S[m][e] + 1e-30);
            if (S[m][e] > 0) worst = Math.max(worst, err / S[m][e]);
          }));
          expect(g.yty).toBe(g.AXX[pp * (pp + 1) + pp]);
          console.log(`${name} (p = ${pp}): ${pass.tasks} tasks, largest error / Σ|w a b| ${worst.toExponential(2)} (bound ${GLMM_PASS_REL_BOUND.toExponential(2)})`);
        } finally {
          pass.dispose();
        }
      }
    });
  }
});

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'the compensated chunk sums of the deviance'), { timeout: GPU_TIMEOUT }, () => {
  it('keep what a plain f32 sum loses (the compiler kept the compensation)', async () => {
    // per chunk of 256: 1, then 255 × 1e-8 (each below half an ulp of 1: a plain f32 sum stays 1)
    const n = 512;
    const x = new Float32Array(n).fill(1e-8);
    x[0] = 1; x[256] = 1;
    const code = shaderSource('glmmPass');
    const k = await ComputeKernel.create(gpu!, code, 'chunkSums', { label: 'chunkSums test' });
    const sumParams = createUniform(gpu!, packUniform(structLayout(code, 'SumParams'), { n, nchunks: 2 }), 'params');
    const devIn = createStorage(gpu!, x, 'x');
    const chunkOut = createStorage(gpu!, 4 * 4, 'out');
    const enc = gpu!.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    k.dispatch(pass, k.bind({ sumParams, devIn, chunkOut }), 1);
    pass.end();
    gpu!.device.queue.submit([enc.finish()]);
    const out = new Float32Array(await readBuffer(gpu!, chunkOut));
    const exact = 1 + 255 * Math.fround(1e-8);
    for (const c of [0, 1]) expect(Math.abs(out[2 * c] + out[2 * c + 1] - exact)).toBeLessThan(1e-12);
    for (const b of [sumParams, devIn, chunkOut]) b.destroy();
  });
});

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'a PIRLS state evaluated on the device'), { timeout: GPU_TIMEOUT }, () => {
  for (const name of ['cbpp_binomial', 'cbpp_probit', 'cbpp_cloglog', 'grouseticks_offset', 'verbagg_binomial_crossed', 'grouseticks_nb']) {
    it(`${name}: the deviance and A(w) of [Z X z] equal the float64 pass at the state`, async () => {
      const t = name.endsWith('_nb') ? loadNbTight(name) : loadTight(name);
      const model = buildGlmm(t.formula, loadData(t), optionsOf(t));
      const { n, X, p, blocks, family, y, weights, offset } = model.pirls;
      // a state: PIRLS at the starting θ, then the coefficients moved off the mode
      const engine = new PirlsEngine(model.pirls);
      engine.run(model.theta.start, null);
      const beta = engine.beta.map((v, j) => v + 0.05 * (j + 1));
      const b = engine.conditionalModes().map((bk) => bk.map((v, e) => v * 0.9 + 0.01 * Math.sin(e)));
      // float64: η, μ, w, z = η − offset + r, the deviance; sη = |offset| + Σ|x β| + Σ|z b|, the
      // scale of η's rounding in f32 (p + Σq + 1 terms)
      const eta = Float64Array.from(offset);
      const sEta = offset.map(Math.abs);
      for (let j = 0; j < p; j++) for (let i = 0; i < n; i++) { eta[i] += X[j * n + i] * beta[j]; sEta[i] += Math.abs(X[j * n + i] * beta[j]); }
      blocks.forEach((bl, k) => { for (let i = 0; i < n; i++) for (let s = 0; s < bl.q; s++) { const v = bl.Z[i * bl.q + s] * b[k][bl.codes[i] * bl.q + s]; eta[i] += v; sEta[i] += Math.abs(v); } });
      const nterms = p + blocks.reduce((a, bl) => a + bl.q, 0) + 1;
      const w = new Float64Array(n), z = new Float64Array(n), r = new Float64Array(n), wRho = new Float64Array(n), rAbs = new Float64Array(n);
      let dev = 0;
      for (let i = 0; i < n; i++) {
        const mu = family.linkinv(eta[i]), me = family.muEta(eta[i]);
        w[i] = (weights[i] * me * me) / family.variance(mu);
        r[i] = (y[i] - mu) / me;
        z[i] = eta[i] - offset[i] + r[i];
        dev += family.devResid(y[i], mu, weights[i]);
        // the relative error of w from η's rounding (|d log w / dη| ≤ 2(1 + |η|) for these links)
        // and the f32 exp/log (a few ulps, growing with |η|); r's absolute error ≤ ρ (1 + |r|)
        const rho = 2 ** -24 * (1 + Math.abs(eta[i])) * (4 * nterms * sEta[i] + 16);
        wRho[i] = w[i] * rho;
        rAbs[i] = 1 + 2 * Math.abs(r[i]);
      }
      const input = { n, X, p, blocks };
      const cpu = new WeightedGramCpu(input).form(w, z);
      // the scale of each entry's rounding: Σ |w a b| of the residual form plus |A| |c| (the
      // products in f32), and the same with the weights' error w ρ (the reweight in f32)
      const absInput = { ...input, X: X.map(Math.abs), blocks: blocks.map((bl) => ({ ...bl, Z: bl.Z.map(Math.abs) })) };
      const absC = [b.map((bk) => bk.map(Math.abs)), beta.map(Math.abs)] as const;
      const abs = new WeightedGramCpu(absInput).form(w, r.map(Math.abs));
      addFittedPart(abs, absC[0], absC[1]);
      const absRho = new WeightedGramCpu(absInput).form(wRho, rAbs);
      addFittedPart(absRho, absC[0], absC[1]);
      const pass = await GlmmPassGpu.create(gpu!, input, undefined, { family, y, weights, offset });
      try {
        expect(pass.rowsOnDevice).toBe(true);
        const devGpu = await pass.evaluateAsync({ beta, b, base: offset, full: true });
        expect(Math.abs(devGpu - dev)).toBeLessThan(1e-6 * dev);
        const [A, B, S, R] = [arrays(pass.gram), arrays(cpu), arrays(abs), arrays(absRho)];
        let worst = 0;
        A.forEach((a, m) => a.forEach((v, e) => {
          const err = Math.abs(v - B[m][e]);
          const bound = GLMM_PASS_REL_BOUND * S[m][e] + R[m][e];
          expect(err).toBeLessThanOrEqual(bound + 1e-30);
          if (bound > 0) worst = Math.max(worst, err / bound);
        }));
        console.log(`${name}: deviance ${devGpu.toFixed(6)} vs ${dev.toFixed(6)} (relative ${(Math.abs(devGpu - dev) / dev).toExponential(2)}); A(w): largest error / its bound ${worst.toExponential(2)}`);
      } finally {
        pass.dispose();
      }
    });
  }
});

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'the logit deviance of 0/1 responses on the device'), { timeout: GPU_TIMEOUT }, () => {
  it('is unbiased: its sum over 200,000 rows is within its rounding noise of float64\'s (the device\'s own exp and log are not)', async () => {
    // η exact in f32 (offsets of Math.fround values, no coefficients): what remains is the shader's
    // exp, log1p and the sums. Each row's −log μ or −log(1 − μ) has an RMS error of about 3e-8 and no
    // bias: the sum's noise is about 2·√n·3e-8 = 3e-5. With SwiftShader's builtins the sum was 1.1e-3
    // off (a bias of about 6e-9 a row), with the builtin exp in the deviance alone 3.2e-3.
    const n = 200_000;
    const r = new Rand(11);
    const o = Array.from({ length: n }, () => Math.fround((r.uniform() - 0.3) * 12));
    const yv = o.map((eta) => (r.uniform() < 1 / (1 + Math.exp(-eta)) ? 1 : 0));
    const model = buildGlmm('y ~ 0 + offset(o) + (1 | g)', toArrowTable({ y: yv, o, g: o.map((_, i) => (i % 2 ? 'a' : 'b')) }), { family: 'binomial' });
    const { X, p, blocks, family, y, weights, offset } = model.pirls;
    let dev = 0;
    for (let i = 0; i < n; i++) dev += family.devResid(y[i], family.linkinv(offset[i]), weights[i]);
    const pass = await GlmmPassGpu.create(gpu!, { n, X, p, blocks }, undefined, { family, y, weights, offset });
    try {
      const devGpu = await pass.evaluateAsync({ beta: new Float64Array(0), b: [new Float64Array(2)], base: offset, full: false });
      expect(Math.abs(devGpu - dev)).toBeLessThan(1e-4);
    } finally {
      pass.dispose();
    }
  });
});

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'PIRLS with the per-group updates on the device'), { timeout: GPU_TIMEOUT }, () => {
  it('β fixed: the warm start and the first Newton step in one round trip (the look-ahead) equal the general path bit for bit', async () => {
    const t = loadTight('cbpp_binomial');
    const model = buildGlmm(t.formula, loadData(t), optionsOf(t));
    const { n, X, p, blocks, family, y, weights, offset } = model.pirls;
    const rowData = { family, y, weights, offset };
    const made: { dispose(): void }[] = [];
    const engine = async (lookAhead: boolean) => {
      const full = await GlmmPassGpu.create(gpu!, { n, X, p, blocks }, undefined, rowData, { groupLayout: true });
      const u = await GlmmPassGpu.create(gpu!, { n, X: new Float64Array(0), p: 0, blocks }, full, rowData, { groupLayout: true });
      const gFull = await GlmmGroupsGpu.create(gpu!, full, blocks[0]);
      const gU = await GlmmGroupsGpu.create(gpu!, u, blocks[0], gFull);
      gU.lookAhead = lookAhead;
      made.push(full, u, gU, gFull);
      return new PirlsEngine(model.pirls, { grams: { full, u }, groups: { full: gFull, u: gU }, tolerances: DEVICE_PIRLS_TOLERANCES });
    };
    try {
      const [ahead, general] = [await engine(true), await engine(false)];
      // stage 2's sequence: β̂ at the start θ (β free), then runs with β fixed, each warm-started from the one before
      const theta0 = thetaToInternal(model, t.objective_at[0].theta);
      const points = t.objective_at.flatMap((o) => [0, 0.05, -0.02].map((d) => ({ theta: thetaToInternal(model, o.theta.map((v) => v * (1 + d))), beta: o.beta.map((b) => b + d) })));
      const trips: number[] = [];
      const values: number[][] = [];
      for (const e of [ahead, general]) {
        const r0 = roundTrips(gpu!);
        const v = [(await e.runAsync(theta0, null)).laplace];
        for (const pt of points) v.push((await e.runAsync(pt.theta, pt.beta)).laplace);
        trips.push(roundTrips(gpu!) - r0);
        values.push(v);
      }
      values[0].forEach((v, k) => expect(v).toBe(values[1][k]));
      // one round trip fewer per run with β fixed
      expect(trips[0]).toBe(trips[1] - points.length);
      console.log(`look-ahead: ${points.length + 1} runs, ${trips[0]} round trips against ${trips[1]}, the same deviances`);
    } finally {
      for (const x of made) x.dispose();
    }
  });

  for (const name of ['cbpp_binomial', 'cbpp_probit', 'cbpp_cloglog', 'cbpp_slope', 'grouseticks_nb']) {
    it(`${name}: the Laplace deviance at lme4's (θ, β) and at θ, and the modes, equal the float64 engine's`, async () => {
      const t = name.endsWith('_nb') ? loadNbTight(name) : loadTight(name);
      const model = buildGlmm(t.formula, loadData(t), optionsOf(t));
      const { n, X, p, blocks, family, y, weights, offset } = model.pirls;
      const rowData = { family, y, weights, offset };
      const full = await GlmmPassGpu.create(gpu!, { n, X, p, blocks }, undefined, rowData, { groupLayout: true });
      const u = await GlmmPassGpu.create(gpu!, { n, X: new Float64Array(0), p: 0, blocks }, full, rowData, { groupLayout: true });
      const gFull = await GlmmGroupsGpu.create(gpu!, full, blocks[0]);
      const gU = await GlmmGroupsGpu.create(gpu!, u, blocks[0], gFull);
      try {
        const dev = new PirlsEngine(model.pirls, { grams: { full, u }, groups: { full: gFull, u: gU }, tolerances: F32_PASS_TOLERANCES });
        expect(dev.groups).not.toBeNull();
        const cpu = new PirlsEngine(model.pirls);
        const internal = (theta: number[]) => thetaToInternal(model, theta);
        let worst = 0;
        for (const [pt, beta] of [...t.objective_at.map((o) => [o, o.beta] as const), ...t.objective0_at.map((o) => [o, null] as const)]) {
          for (const e of [dev, cpu]) e.reset();
          const rd = await dev.runAsync(internal(pt.theta), beta);
          const rc = cpu.run(internal(pt.theta), beta);
          expect(Math.abs(rc.laplace - pt.value)).toBeLessThan(1e-8);
          // the f32 objective: the deviance sums (DEVICE_DEVIANCE_NOISE) and log|L|² in f32
          const err = Math.abs(rd.laplace - pt.value) / Math.abs(pt.value);
          worst = Math.max(worst, err);
          expect(err).toBeLessThan(1e-6);
          // the modes: u (read from the device) and, with β free, β̂
          await dev.syncU();
          const uc = cpu.u[0], ud = dev.u[0];
          const uScale = Math.max(1, ...Array.from(uc, Math.abs));
          uc.forEach((v, j) => expect(Math.abs(ud[j] - v)).toBeLessThan(1e-4 * uScale));
          if (!beta) cpu.beta.forEach((v, j) => expect(Math.abs(dev.beta[j] - v)).toBeLessThan(1e-4 * Math.max(1, Math.abs(v))));
        }
        console.log(`${name}: Laplace deviance on the device, largest relative error ${worst.toExponential(2)} over ${t.objective_at.length + t.objective0_at.length} points`);
      } finally {
        for (const x of [full, u, gU, gFull]) x.dispose();
      }
    });
  }
});

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'adaptive quadrature\'s rows pass on the device (nAGQ > 1)'), { timeout: GPU_TIMEOUT }, () => {
  it('cbpp_binomial_agq: the AGQ deviance at lme4\'s (θ, β) equals lme4\'s and the float64 engine\'s within the f32 objective\'s error, for 9 and 25 nodes', async () => {
    const t = loadTight('cbpp_binomial_agq');
    const model = buildGlmm(t.formula, loadData(t), optionsOf(t));
    const { n, X, p, blocks, family, y, weights, offset } = model.pirls;
    const rowData = { family, y, weights, offset };
    const full = await GlmmPassGpu.create(gpu!, { n, X, p, blocks }, undefined, rowData);
    const u = await GlmmPassGpu.create(gpu!, { n, X: new Float64Array(0), p: 0, blocks }, full, rowData);
    try {
      expect(u.agqOnDevice).toBe(true);
      const dev = new PirlsEngine(model.pirls, { grams: { full, u }, tolerances: F32_PASS_TOLERANCES });
      expect(dev.rowsOnDevice).toBe(true);
      const cpu = new PirlsEngine(model.pirls);
      let worst = 0;
      for (const nodes of [t.nAGQ, 25]) {
        const rule = ghRule(nodes);
        for (const pt of t.objective_at) {
          for (const e of [dev, cpu]) e.reset();
          const theta = thetaToInternal(model, pt.theta);
          await dev.runAsync(theta, pt.beta);
          cpu.run(theta, pt.beta);
          const vc = cpu.agq(rule);
          if (nodes === t.nAGQ) expect(Math.abs(vc - pt.value)).toBeLessThan(1e-8);
          const vd = await dev.agqAsync(rule);
          // the f32 objective (deviance sums and the modes from f32 passes; the rows term's sums in f32)
          const err = Math.abs(vd - vc) / Math.abs(vc);
          worst = Math.max(worst, err);
          expect(err).toBeLessThan(1e-6);
          // the device's rows term at the float64 engine's state against the float64 one's (η, μ and L
          // of that state: a run by levels leaves them behind until asked for)
          cpu.syncRows();
          const L = cpu.cholU.Lkk[0];
          const tt = Float64Array.from(L, (l) => (cpu as unknown as { T: Float64Array[] }).T[0][0] / l);
          const base = Float64Array.from(offset);
          for (let i = 0; i < n; i++) for (let r = 0; r < p; r++) base[i] += X[r * n + i] * pt.beta[r];
          const bOfU = Float64Array.from(cpu.u[0], (v) => v * (cpu as unknown as { T: Float64Array[] }).T[0][0]);
          const rowsD = await u.agqRowSums({ beta: new Float64Array(0), b: [bOfU], base, full: false }, tt, rule.z);
          const rowsC = agqRowSums({ model: model.pirls, L, ldL2: cpu.cholU.ldL2, u: cpu.u[0], t: (cpu as unknown as { T: Float64Array[] }).T[0][0], eta: cpu.eta, mu: cpu.mu }, rule);
          const scale = Math.max(1, ...Array.from(rowsC, Math.abs));
          rowsC.forEach((v, j) => expect(Math.abs(rowsD[j] - v)).toBeLessThan(1e-4 * scale));
        }
      }
      console.log(`cbpp_binomial_agq: AGQ deviance with the rows pass on the device, largest relative error ${worst.toExponential(2)} (nAGQ ${t.nAGQ} and 25, ${t.objective_at.length} points)`);
    } finally {
      for (const x of [full, u]) x.dispose();
    }
  });
});

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'glmer on the WebGPU backend matches lme4'), { timeout: GPU_TIMEOUT * 2 }, () => {
  for (const name of GLMM_CASES) it(name, () => checkReference(name));
  // the several-factor cases with the first factor's per-group updates on the device (the default on a
  // hardware adapter; on a software one they stay on the CPU, measured faster there: bench/RESULTS.md)
  for (const name of ['grouseticks_poisson', 'verbagg_binomial_crossed']) {
    it(`${name} (gpuGroups: true)`, () => checkReference(name, { gpuGroups: true }));
  }
});

/** A reference case fitted on WebGPU against the CPU suite's assertions, its per-group path asserted. */
async function checkReference(name: string, extra: Partial<GlmerOptions> = {}): Promise<void> {
  const t = loadTight(name);
  const t0 = performance.now();
  const fit: GlmmFit = await glmer(t.formula, loadData(t), { ...optionsOf(t), backend: 'webgpu', device: gpu!.device, ...extra });
  const ms = performance.now() - t0;
  expect(fit.backend.name).toBe('webgpu');
  expect(fit.backend.device).toContain(gpu!.adapterName);
  expect(fit.backend.precision).toBe('float32 (webgpu) polished in float64');
  // the path: with the Laplace approximation PIRLS's per-group factors of the first grouping factor
  // ran on the device for one factor, and for several (crossed: verbagg; grouseticks: two factors)
  // on a hardware adapter or when asked; adaptive quadrature keeps them on the CPU (it reads the
  // factor there)
  const several = fit.model.blocks.length > 1;
  if (t.nAGQ <= 1 && (!several || !gpu!.isSoftware || extra.gpuGroups === true)) expect(fit.timings.gpuGroupFactors).toBeGreaterThan(0);
  else expect(fit.timings.gpuGroupFactors).toBe(0);
  // the CPU suite's assertions (test/glmm.test.ts)
  const ref = loadReference(name);
  expect(fit.objective).toBeLessThanOrEqual(-2 * ref.loglik + 1e-4);
  expect(fit.converged).toBe(true);
  expect(fit.vcovMethod).toBe('hessian');
  expect(Math.abs(fit.objective - t.deviance_laplace)).toBeLessThan(1e-7);
  expect(Math.abs(fit.logLik - t.loglik)).toBeLessThan(1e-7);
  expect(rel(fit.deviance, t.deviance!)).toBeLessThan(1e-6);
  checkEstimates(fit, t);
  checkRandomAndFitted(fit, t, 1e-4);
  const pr = fit.residuals('pearson');
  t.pearson_head.forEach((v, i) => expect(Math.abs(pr[i] - v)).toBeLessThan(1e-4 * Math.max(1, Math.abs(v))));
  if (CONVERGED_DEFAULTS.includes(name)) {
    expect(Math.abs(fit.objective + 2 * ref.loglik)).toBeLessThan(1e-4);
    checkEstimates(fit, ref);
    checkRandomAndFitted(fit, ref, 1e-3);
  }
  // the raw f32 objective at the GPU's optimum, relative to float64 there: reported, and bounded
  const check = fit.gpuCheck!;
  const relErr = relativeGpuError(fit);
  const tm = fit.timings;
  console.log(`${name}${extra.gpuGroups ? ' (gpuGroups: true)' : ''}: GPU objective error ${check.objectiveError.toExponential(2)} (relative ${relErr.toExponential(2)}), polish ${check.polishEvaluations} evaluations (gain ${check.polishImprovement.toExponential(2)}), Δθ ${check.thetaChange.toExponential(2)}; ${tm.gpuPasses} GPU passes ${tm.gpuPassMs.toFixed(0)} ms; fit ${ms.toFixed(0)} ms (stage 1 ${tm.stage1Ms.toFixed(0)}, stage 2 ${tm.stage2Ms.toFixed(0)} incl. polish ${tm.polishMs.toFixed(0)}, Hessian ${tm.hessianMs.toFixed(0)})`);
  expect(relErr).toBeLessThan(1e-5);
  // the float64 polish for n ≤ 6 variables (θ, β): Newton steps on glmer's Hessian stencil (src/model/
  // polish.ts stencilPolish): the check, at each centre the step's stencil (n(n + 3)/2 evaluations)
  // and the step, and at the optimum the rest of glmer's stencil (n(n − 1)/2 more), which is the fit's
  // Hessian for Var(β̂): the Hessian takes no evaluations of its own. One step from the device's
  // optimum (cbpp, n = 5: 1 + 20 + 1 + 30 = 52 float64 evaluations; before, 29 in the polish and 30 in
  // the Hessian). For larger n (verbagg, n = 8) the polish and the Hessian as before
  const n = fit.model.theta.length + fit.model.frame.p;
  const hessianEvaluations = fit.feval - fit.stage1.feval - fit.feval2;
  if (n <= 6) {
    const newton = check.newton!;
    expect(newton.hessian).toBe('stencil');
    expect(newton.ok, newton.reason).toBe(true);
    expect(newton.steps).toBe(1);
    expect(check.polishEvaluations).toBe(1 + (newton.steps + 1) * ((n * (n + 3)) / 2) + newton.steps + (n * (n - 1)) / 2);
    expect(hessianEvaluations).toBe(0);
  } else {
    expect(check.newton?.hessian).not.toBe('stencil');
    expect(hessianEvaluations).toBe(n * n + n);
  }
}

/** A WebGPU fit of a tight-reference case against that reference, with its raw f32 objective error reported and bounded. */
async function checkGpuFit(name: string, extra: Partial<GlmerOptions> = {}, label = name, folder?: string): Promise<void> {
  const t = loadTight(name, folder);
  const fit: GlmmFit = await glmer(t.formula, loadData(t), { ...optionsOf(t), backend: 'webgpu', device: gpu!.device, ...extra });
  expect(fit.backend.name).toBe('webgpu');
  expect(fit.converged).toBe(true);
  expect(Math.abs(fit.objective - t.deviance_laplace)).toBeLessThan(1e-7);
  checkEstimates(fit, t);
  const check = fit.gpuCheck!;
  const relErr = relativeGpuError(fit);
  console.log(`${label}: GPU objective error ${check.objectiveError.toExponential(2)} (relative ${relErr.toExponential(2)}), polish ${check.polishEvaluations} evaluations`);
  expect(relErr).toBeLessThan(1e-5);
}

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'glmer on the WebGPU backend: other links, an offset, proportions with weights'), { timeout: GPU_TIMEOUT * 2 }, () => {
  for (const name of EXTRA_CASES) it(name, () => checkGpuFit(name));
});

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'glmer on the WebGPU backend: more data sets (Arabidopsis, bacteria, epil)'), { timeout: GPU_TIMEOUT * 2 }, () => {
  for (const name of DATASET_GLMER_CASES) it(name, () => checkGpuFit(name, {}, name, DATASETS_FOLDER));
});

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'glmer with the weights and working residual computed on the CPU (gpuReweight: false)'), { timeout: GPU_TIMEOUT }, () => {
  it('grouseticks_poisson', () => checkGpuFit('grouseticks_poisson', { gpuReweight: false }, 'grouseticks_poisson (gpuReweight: false)'));
});
