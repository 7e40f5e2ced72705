/**
 * GLMMs on the WebGPU backend (SwiftShader in CI):
 *  (1) the GPU weighted Gram pass (shaders/glmmPass.wgsl) at fixed (β, b) equals the float64
 *      WeightedGramCpu.form entry by entry within GLMM_PASS_REL_BOUND · Σ|w a b| (f32 partial sums
 *      of ≤ 256 rows finished in float64; the bound is (256 + 3) · 2⁻²⁴ ≈ 1.5e-5);
 *  (2) the reference fits with backend 'webgpu' (f32 GPU pass in the optimizer, checked and
 *      polished in float64) pass the CPU suite's assertions, and the raw GPU objective error at
 *      the GPU optimum is reported and bounded.
 */
import { describe, expect, it } from 'vitest';
import { buildGlmm } from '../../src/glmm/model.js';
import { PirlsEngine } from '../../src/glmm/pirls.js';
import { WeightedGramCpu } from '../../src/glmm/weightedGram.js';
import type { GramMatrix } from '../../src/model/gram.js';
import { GLMM_PASS_REL_BOUND, GlmmPassGpu } from '../../src/backend/webgpu/glmmPass.js';
import { glmer, type GlmmFitWithCheck } from '../../src/glmm/fitGlmm.js';
import { loadData, loadReference } from '../helpers/reference.js';
import { CONVERGED_DEFAULTS, GLMM_CASES, checkEstimates, checkRandomAndFitted, loadTight, optionsOf, rel } from '../helpers/glmmParity.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';

const gpu = await gpuOrSkip();

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

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'glmer on the WebGPU backend matches lme4'), { timeout: GPU_TIMEOUT * 2 }, () => {
  for (const name of GLMM_CASES) {
    it(name, async () => {
      const t = loadTight(name);
      const t0 = performance.now();
      const fit: GlmmFitWithCheck = await glmer(t.formula, loadData(t), { ...optionsOf(t), backend: 'webgpu', device: gpu!.device });
      const ms = performance.now() - t0;
      expect(fit.backend.name).toBe('webgpu');
      expect(fit.backend.device).toContain(gpu!.adapterName);
      expect(fit.backend.precision).toBe('float32 (webgpu) polished in float64');
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
      const relErr = Math.abs(check.objectiveError) / Math.abs(check.float64AtGpuOptimum);
      const tm = fit.timings;
      console.log(`${name}: GPU objective error ${check.objectiveError.toExponential(2)} (relative ${relErr.toExponential(2)}), polish ${check.polishEvaluations} evaluations (gain ${check.polishImprovement.toExponential(2)}), Δθ ${check.thetaChange.toExponential(2)}; ${tm.gpuPasses} GPU passes ${tm.gpuPassMs.toFixed(0)} ms; fit ${ms.toFixed(0)} ms (stage 1 ${tm.stage1Ms.toFixed(0)}, stage 2 ${tm.stage2Ms.toFixed(0)} incl. polish ${tm.polishMs.toFixed(0)}, Hessian ${tm.hessianMs.toFixed(0)})`);
      expect(relErr).toBeLessThan(1e-5);
    });
  }
});

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'glmer with the weights computed in the shader (gpuReweight, experimental)'), { timeout: GPU_TIMEOUT }, () => {
  it('cbpp_binomial', async () => {
    const t = loadTight('cbpp_binomial');
    const fit: GlmmFitWithCheck = await glmer(t.formula, loadData(t), { ...optionsOf(t), backend: 'webgpu', device: gpu!.device, gpuReweight: true });
    expect(Math.abs(fit.objective - t.deviance_laplace)).toBeLessThan(1e-7);
    checkEstimates(fit, t);
    const check = fit.gpuCheck!;
    const relErr = Math.abs(check.objectiveError) / Math.abs(check.float64AtGpuOptimum);
    console.log(`cbpp_binomial (gpuReweight): GPU objective error ${check.objectiveError.toExponential(2)} (relative ${relErr.toExponential(2)})`);
    expect(relErr).toBeLessThan(1e-5);
  });
});
