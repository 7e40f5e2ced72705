/** The WebGPU bootstrap pass (shaders/bootstrapGram.wgsl) against the float64 CPU pass: same draws, f32 sums. */
import { describe, expect, it } from 'vitest';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';
import { buildLmm } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { lmer } from '../../src/fit/lmer.js';
import { BlockedCholesky } from '../../src/linalg/blockedCholesky.js';
import { fillTemplate } from '../../src/linalg/template.js';
import { thetaToInternal } from '../../src/model/reparam.js';
import { solveLmm } from '../../src/lmm/solution.js';
import { CounterNormal } from '../../src/model/random.js';
import { bootstrapGramCpu } from '../../src/backend/cpu/bootstrapGram.js';
import { BootstrapGramGpu } from '../../src/backend/webgpu/bootstrapGram.js';
import { loadDataFile, loadInference } from '../helpers/inference.js';

const gpu = await gpuOrSkip();

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'bootstrap Gram pass on WebGPU'), { timeout: GPU_TIMEOUT }, () => {
  it('matches the CPU pass (sleepstudy, 8 replicates)', async () => {
    const ref = loadInference('sleepstudy_unbalanced');
    const data = loadDataFile(ref.data);
    const fit = await lmer(ref.formula, data, { factors: ref.factors });
    const model = buildLmm(ref.formula, data, { factors: ref.factors });
    const { n, p } = model.frame;
    const chol = new BlockedCholesky(formGram(model), model.theta.length);
    const thetaC = thetaToInternal(model, fit.theta);
    chol.factor(thetaC);
    const sol = solveLmm(chol, n, true);
    const templates = model.internalBlocks.map((b) => { const T = new Float64Array(b.q * b.q); fillTemplate(b, thetaC, T); return T; });
    const input = { n, p, X: model.rows.X, blocks: model.rows.blocks, betaC: sol.beta, templates, sigma: sol.sigma, rng: new CounterNormal(5), replicates: [3, 4, 5, 6, 7, 8, 9, 10] };
    const cpu = bootstrapGramCpu(input);
    const g = await BootstrapGramGpu.create(gpu!, input);
    const got = await g.batch(input);
    g.dispose();
    // f32 sums: |Σ z y| errs by at most about ε₃₂ Σ|z y| ≤ ε₃₂ ‖z_g‖ ‖y‖ (Cauchy–Schwarz), per level and replicate
    const q = model.blocks[0].q, B = input.replicates.length;
    const g0 = formGram(model);
    const Akk = g0.Akk[0];
    cpu.AZy[0].forEach((v, e) => {
      const c = Math.floor(e / B), r = e % B;
      const bound = 1e-5 * Math.sqrt(Akk[Math.floor(c / q) * q * q + (c % q) * q + (c % q)] * cpu.yy[r]);
      expect(Math.abs(got.AZy[0][e] - v)).toBeLessThan(bound);
    });
    cpu.AXy.forEach((v, e) => {
      const j = Math.floor(e / B), r = e % B;
      expect(Math.abs(got.AXy[e] - v)).toBeLessThan(1e-5 * Math.sqrt(g0.AXX[j * (p + 1) + j] * cpu.yy[r]));
    });
    cpu.yy.forEach((v, e) => expect(Math.abs(got.yy[e] - v) / v).toBeLessThan(1e-5));
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
});
