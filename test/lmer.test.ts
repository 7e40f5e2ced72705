/**
 * Parity with lme4 1.1-31 for every Gaussian reference case (CPU backend, float64).
 * Tolerances (issue #2): REML criterion / deviance within 1e-6 absolute of lme4's or lower; fixed
 * effects within 1e-5 relative to max(|estimate|, SE); SEs 1e-4 relative; θ 1e-4 absolute; σ 1e-5
 * relative; conditional modes 1e-4 relative to their scale (the larger of the component's SD and the
 * largest |mode|), conditional SDs 1e-4 relative.
 *
 * Three checks per case:
 *  1. the model at lme4's θ (no optimizer): every quantity against lme4's file, at these tolerances;
 *  2. our optimum's criterion against lme4's file: within 1e-6 or lower;
 *  3. our optimum: every quantity against lme4 run to a tight optimizer tolerance
 *     (test/fixtures/reference-tight, made by test/oracle with the same lme4 1.1-31). lme4's default
 *     stopping rule leaves θ short of the optimum on flat ridges: Penicillin's θ₂ by 1.04e-4 and
 *     InstEval ML's fixed effects by 3e-5 SE, while the criterion there is 8.5e-9 and 5.3e-7 above
 *     the tight optimum (see the tight files). Comparing our optimum with the tight run keeps the
 *     stated tolerances without asking the optimizer to stop where lme4's happened to.
 */
import { describe, expect, it } from 'vitest';
import { assembleFit } from '../src/lmm/assemble.js';
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { lmer } from '../src/fit/lmer.js';
import { CpuBackend } from '../src/backend/cpu/cpuBackend.js';
import { GAUSSIAN_CASES, loadData, loadReference } from './helpers/reference.js';
import { checkAgainstReference, loadTight } from './helpers/parity.js';

describe('the model at lme4\'s θ matches lme4 (no optimizer)', () => {
  for (const name of GAUSSIAN_CASES) {
    it(name, () => {
      const ref = loadReference(name);
      const model = buildLmm(ref.formula, loadData(ref), { REML: ref.reml, factors: ref.factors });
      const cpu = new CpuBackend(formGram(model), model.theta.length);
      const fit = assembleFit(model, cpu, Float64Array.from(ref.theta), {
        feval: 0, converged: true, optimizerMessage: 'fixed θ', messages: [],
        backend: { name: cpu.name, device: cpu.device, precision: cpu.precision }, timings: {}, t0: performance.now(),
      });
      checkAgainstReference(fit, ref);
    });
  }
});

describe('lmer fits match lme4 (CPU backend)', () => {
  for (const name of GAUSSIAN_CASES) {
    it(name, async () => {
      const ref = loadReference(name);
      const fit = await lmer(ref.formula, loadData(ref), { REML: ref.reml, factors: ref.factors });
      const crit = ref.reml ? ref.remlcrit! : ref.deviance!;
      expect(fit.objective).toBeLessThanOrEqual(crit + 1e-6);
      checkAgainstReference(fit, loadTight(name));
      expect(fit.converged).toBe(true);
      expect(fit.backend.name).toBe('cpu');
    });
  }
});

describe('a non-float64 backend is checked and polished in float64', () => {
  const ref = loadReference('sleepstudy_slopes_reml');
  const model = buildLmm(ref.formula, loadData(ref), { REML: true, factors: ref.factors });
  const cpu = new CpuBackend(formGram(model), model.theta.length);

  it('an arithmetic error at the backend\'s optimum is polished away', async () => {
    const { optimizeAndAssemble } = await import('../src/lmm/fit.js');
    // a stand-in device backend whose objective is off by a smooth error, like f32 rounding
    const biased = {
      name: 'biased', device: 'test', precision: 'float32' as const,
      evaluate: (theta: Float64Array) => {
        const parts = cpu.evaluate(theta);
        return { ...parts, ldL2: parts.ldL2 + 1e-4 * Math.sin(7 * theta[0]) };
      },
    };
    const fit = await optimizeAndAssemble(model, biased, cpu, {}, {}, performance.now());
    expect(fit.backend.precision).toBe('float32 (biased) polished in float64');
    expect(Math.abs(fit.gpuCheck!.objectiveError)).toBeGreaterThan(1e-6);
    expect(fit.messages.join('\n')).not.toMatch(/re-optimized/);
    checkAgainstReference(fit, loadTight('sleepstudy_slopes_reml'));
  });

  it('a stalled backend optimization (no arithmetic error) is re-optimized in float64', async () => {
    const { optimizeAndAssemble } = await import('../src/lmm/fit.js');
    // from lme4's start (the moment start, src/lmm/momentStart.ts, is within 2% of θ̂ here) with a
    // budget that stops the backend's run far from the optimum
    const fromOne = buildLmm(ref.formula, loadData(ref), { REML: true, factors: ref.factors, momentStart: false });
    const cpu1 = new CpuBackend(formGram(fromOne), fromOne.theta.length);
    const exact = { name: 'stalled', device: 'test', precision: 'float32' as const, evaluate: (t: Float64Array) => cpu1.evaluate(t) };
    const fit = await optimizeAndAssemble(fromOne, exact, cpu1, {}, { optimizer: { maxfun: 12 } }, performance.now());
    expect(fit.gpuCheck!.objectiveError).toBe(0);
    expect(fit.gpuCheck!.polishImprovement).toBeGreaterThan(1e-3);
    expect(fit.messages.join('\n')).toMatch(/stopped .* above the float64 optimum .* re-optimized in float64/);
  });
});
