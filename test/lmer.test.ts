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
import { assembleFit, buildLmm, formGram, lmer } from '../src/model/fitLmm.js';
import { CpuBackend } from '../src/backend/cpu/cpuBackend.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LmmFit } from '../src/results/lmmFit.js';
import { GAUSSIAN_CASES, type ReferenceCase, loadData, loadReference } from './helpers/reference.js';

function rel(a: number, b: number, scale = Math.abs(b)): number {
  return Math.abs(a - b) / (scale || 1);
}

function loadTight(name: string): ReferenceCase {
  return JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'reference-tight', `${name}_tight.json`), 'utf8'));
}

/** Every quantity of a fit against a reference at the stated tolerances. */
export function checkAgainstReference(fit: LmmFit, ref: ReferenceCase): void {
  const crit = ref.reml ? ref.remlcrit! : ref.deviance!;
  expect(Math.abs(fit.objective - crit)).toBeLessThan(1e-6);
  expect(fit.nobs).toBe(ref.nobs);
  expect(fit.ngroups).toEqual(ref.ngroups);
  expect(fit.model.theta.names).toEqual(ref.theta_names);
  fit.theta.forEach((t, k) => expect(Math.abs(t - ref.theta[k])).toBeLessThan(1e-4));
  expect(rel(fit.sigma, ref.sigma)).toBeLessThan(1e-5);
  expect(Object.keys(fit.fixef)).toEqual(Object.keys(ref.fixef));
  for (const [name, v] of Object.entries(ref.fixef)) {
    expect(rel(fit.fixef[name], v, Math.max(Math.abs(v), ref.se[name]))).toBeLessThan(1e-5);
    expect(rel(fit.se[name], ref.se[name])).toBeLessThan(1e-4);
  }
  fit.vcov.forEach((row, r) => row.forEach((v, s) => {
    const scale = Math.sqrt(ref.vcov[r][r] * ref.vcov[s][s]);
    expect(rel(v, ref.vcov[r][s], scale)).toBeLessThan(1e-4);
  }));
  const vc = fit.varCorr;
  expect(vc.map((r) => [r.group, r.var1, r.var2])).toEqual(ref.varcorr.map((r) => [r.group, r.var1, r.var2]));
  vc.forEach((r, k) => {
    const want = ref.varcorr[k];
    if (r.var2 === null) expect(Math.abs(r.sdcor - want.sdcor)).toBeLessThan(1e-4 * Math.max(ref.sigma, want.sdcor));
    else expect(Math.abs(r.sdcor - want.sdcor)).toBeLessThan(1e-3);
  });
  expect(Math.abs(fit.logLik - ref.loglik)).toBeLessThan(1e-6);
  expect(Math.abs(fit.AIC - ref.aic)).toBeLessThan(1e-6);
  expect(Math.abs(fit.BIC - ref.bic)).toBeLessThan(1e-6);
  expect(fit.singular).toBe(ref.singular);
  const ours = fit.ranef;
  expect(ours.map((g) => g.group)).toEqual(ref.ranef.map((g) => g.group));
  ref.ranef.forEach((g, k) => {
    expect(ours[k].levels).toEqual(g.levels);
    for (const [col, values] of Object.entries(g.values)) {
      const sd = ref.varcorr.find((r) => r.var1 === col && r.var2 === null && r.group.split('.')[0] === g.group)?.sdcor ?? 0;
      const scale = Math.max(sd, ...values.map(Math.abs), 1e-12);
      ours[k].values[col].forEach((v, i) => expect(Math.abs(v - values[i]) / scale).toBeLessThan(1e-4));
      if (g.condsd) {
        const want = g.condsd[col];
        const cscale = Math.max(...want, 1e-12);
        ours[k].condsd[col].forEach((v, i) => expect(Math.abs(v - want[i]) / cscale).toBeLessThan(1e-4));
      }
    }
  });
  const fitted = fit.fitted;
  const resid = fit.residuals;
  ref.fitted_head.forEach((v, i) => expect(Math.abs(fitted[i] - v)).toBeLessThan(1e-4 * ref.sigma));
  ref.resid_head.forEach((v, i) => expect(Math.abs(resid[i] - v)).toBeLessThan(1e-4 * ref.sigma));
}

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
