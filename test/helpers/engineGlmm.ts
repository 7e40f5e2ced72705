/**
 * An engine's glmer fit against the in-memory glmer fit of the same rows (test/gram/glmer.test.ts,
 * glmerLinks.test.ts, glmerClickhouse.test.ts): the Laplace deviance within 1e-7 relative, θ and β
 * within 1e-5 (relative to max(1, |v|)), standard errors within 1e-4 and the conditional modes within
 * 1e-5 of the largest — both are float64 PIRLS to the same tight tolerances, so they differ by the
 * optimizer's path only.
 */
import { expect } from 'vitest';
import type { GlmmFit } from '../../src/glmm/glmmFit.js';

export const DEV_TOL = 1e-7;
export const EST_TOL = 1e-5;

export const near = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

/** the engine's fit equals the in-memory fit of the same rows (the tolerances above) */
export function expectSameFit(ours: GlmmFit, memory: GlmmFit): void {
  expect(ours.nobs).toBe(memory.nobs);
  expect(ours.ngroups).toEqual(memory.ngroups);
  expect(ours.model.frame.xnames).toEqual(memory.model.frame.xnames);
  expect(Math.abs(ours.objective - memory.objective) / Math.abs(memory.objective)).toBeLessThan(DEV_TOL);
  expect(Math.abs(ours.deviance - memory.deviance) / Math.abs(memory.deviance)).toBeLessThan(1e-6);
  ours.theta.forEach((t, k) => expect(near(t, memory.theta[k])).toBeLessThan(EST_TOL));
  ours.beta.forEach((b, j) => expect(near(b, memory.beta[j])).toBeLessThan(EST_TOL));
  for (const [name, se] of Object.entries(memory.se)) expect(Math.abs(ours.se[name] - se) / se).toBeLessThan(1e-4);
  const mine = ours.ranef;
  memory.ranef.forEach((g, k) => {
    expect(mine[k].levels).toEqual(g.levels);
    for (const [col, values] of Object.entries(g.values)) {
      const scale = Math.max(...values.map(Math.abs));
      mine[k].values[col].forEach((v, i) => expect(Math.abs(v - values[i]) / scale).toBeLessThan(EST_TOL));
    }
  });
}

