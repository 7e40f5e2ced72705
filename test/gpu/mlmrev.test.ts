/**
 * The mlmRev reference suite (test/mlmrev.test.ts, test/oracle/mlmrev.R) on the WebGPU backend
 * (SwiftShader in CI; under CI a missing adapter fails the file, see ./setup.ts): every case fitted
 * with backend 'webgpu' — the f32 device objective, checked and polished in float64 — against lme4's
 * tight optimum at the CPU backend's tolerances, with the raw device objective's error reported and
 * bounded (relative 1e-5, as test/gpu/lmer.test.ts and test/gpu/glmm.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { lmer } from '../../src/fit/lmer.js';
import { glmer } from '../../src/fit/glmer.js';
import type { GlmmFit } from '../../src/glmm/glmmFit.js';
import { MLMREV_FOLDER as FOLDER, MLMREV_GLMER_CASES, MLMREV_LMER_CASES, loadData, loadReference } from '../helpers/reference.js';
import { checkAgainstReference } from '../helpers/parity.js';
import { checkEstimates, loadTight, optionsOf } from '../helpers/glmmParity.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';
import { buildLmm } from '../../src/lmm/model.js';
import { GpuErrorModel } from '../helpers/hardCases.js';

/**
 * Cases whose f32 objective cannot be carried to 1e-5 relative (test/gpu/precision.test.ts's (a2)):
 * the f32 error bound of the GPU's algorithm (GpuErrorModel, (a1)) at lme4's θ is itself above 1e-5.
 * Oxboys: θ₁₁ = 16.8 (the boys' height SD, 8.0 cm, is 16.8 residual SDs of 0.48 cm) in a q = 3 block of
 * intercept, age and age² (correlations 0.22–0.66); the bound's condition factor is 9.1e3 (≤ 160
 * in the other cases), 5.5e-4 relative; measured on SwiftShader: 8.3e-6 at lme4's θ, 1.6e-5 at the
 * device's optimum. These cases are checked against (a1) only; the polished fit meets every
 * tolerance.
 */
const F32_ILL_CONDITIONED = ['oxboys_quadratic_reml'];

const gpu = await gpuOrSkip();

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'lmer on the WebGPU backend matches lme4 on the mlmRev data'), { timeout: GPU_TIMEOUT * 2 }, () => {
  for (const name of MLMREV_LMER_CASES) {
    it(name, async () => {
      // lme4's fits of these cases are its tight-tolerance optimum (test/oracle/mlmrev.R)
      const ref = loadReference(name, FOLDER);
      const fit = await lmer(ref.formula, loadData(ref), { REML: ref.reml, factors: ref.factors, backend: 'webgpu', device: gpu!.device });
      expect(fit.backend.name).toBe('webgpu');
      expect(fit.backend.device).toContain(gpu!.adapterName);
      expect(fit.backend.precision).toBe('float32 (webgpu) polished in float64');
      checkAgainstReference(fit, ref);
      expect(fit.converged).toBe(true);
      // the raw f32 objective at the device's optimum: (a1) within the f32 bound of the GPU's algorithm
      // (evaluated at lme4's θ, which the device's optimum is within the polish's Δθ of), and (a2)
      // within 1e-5 relative where that bound allows it
      const check = fit.gpuCheck!;
      const relErr = Math.abs(check.objectiveError) / Math.abs(check.float64AtGpuOptimum);
      const bound = new GpuErrorModel(buildLmm(ref.formula, loadData(ref), { REML: ref.reml, factors: ref.factors })).bound(Float64Array.from(ref.theta));
      const boundRel = bound.total / Math.abs(bound.f64);
      console.log(`${name}: GPU objective error ${check.objectiveError.toExponential(2)} (relative ${relErr.toExponential(2)}; f32 bound ${boundRel.toExponential(2)}, condition ${bound.condition.toExponential(2)}), polish ${check.polishEvaluations} evaluations, Δθ ${check.thetaChange.toExponential(2)}`);
      expect(Math.abs(check.objectiveError)).toBeLessThanOrEqual(bound.total);
      if (F32_ILL_CONDITIONED.includes(name)) expect(boundRel).toBeGreaterThan(1e-5);
      else expect(relErr).toBeLessThan(1e-5);
    });
  }
});

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'glmer on the WebGPU backend matches lme4 on the mlmRev data'), { timeout: GPU_TIMEOUT * 2 }, () => {
  for (const name of MLMREV_GLMER_CASES) {
    it(name, async () => {
      const t = loadTight(name, FOLDER);
      const fit: GlmmFit = await glmer(t.formula, loadData(t), { ...optionsOf(t), backend: 'webgpu', device: gpu!.device });
      expect(fit.backend.name).toBe('webgpu');
      expect(fit.converged).toBe(true);
      expect(Math.abs(fit.objective - t.deviance_laplace)).toBeLessThan(1e-7);
      // guImmun's husEdU (0.0146, SE 0.246) at the scale max(|β|, SE): see BETA_NEAR_ZERO in test/mlmrev.test.ts
      if (name === 'guimmun_binomial_crossed') expect(fit.objective).toBeLessThanOrEqual(t.deviance_laplace);
      checkEstimates(fit, t, name === 'guimmun_binomial_crossed' ? 'estimateOrSe' : 'estimate');
      const check = fit.gpuCheck!;
      const relErr = Math.abs(check.objectiveError) / Math.abs(check.float64AtGpuOptimum);
      console.log(`${name}: GPU objective error ${check.objectiveError.toExponential(2)} (relative ${relErr.toExponential(2)}), polish ${check.polishEvaluations} evaluations`);
      expect(relErr).toBeLessThan(1e-5);
    });
  }
});
