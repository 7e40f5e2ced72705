/** Checks a fit against an lme4 reference at the tolerances of issue #2 (see test/lmer.test.ts). */
import { expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import type { ReferenceCase } from './reference.js';

function rel(a: number, b: number, scale = Math.abs(b)): number {
  return Math.abs(a - b) / (scale || 1);
}

/** lme4 1.1-31 run to tight optimizer tolerances (test/oracle). */
export function loadTight(name: string): ReferenceCase {
  return JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'reference-tight', `${name}_tight.json`), 'utf8'));
}

/**
 * Every quantity of a fit against a reference at the stated tolerances; `withRows` false for a fit
 * whose rows are elsewhere (a stream, an SQL engine: no fitted values or residuals in memory).
 */
export function checkAgainstReference(fit: LmmFit, ref: ReferenceCase, withRows = true): void {
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
  if (!withRows) return;
  const fitted = fit.fitted;
  const resid = fit.residuals();
  ref.fitted_head.forEach((v, i) => expect(Math.abs(fitted[i] - v)).toBeLessThan(1e-4 * ref.sigma));
  ref.resid_head.forEach((v, i) => expect(Math.abs(resid[i] - v)).toBeLessThan(1e-4 * ref.sigma));
}

