/**
 * The profiled objective at fixed θ (no optimizer involved) against lme4's devfun values in the
 * reference files' `objective_at`: 1e-8 relative.
 */
import { describe, expect, it } from 'vitest';
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { CpuBackend } from '../src/backend/cpu/cpuBackend.js';
import { makeObjective } from '../src/lmm/deviance.js';
import { thetaToInternal } from '../src/model/reparam.js';
import { GAUSSIAN_CASES, loadData, loadReference } from './helpers/reference.js';

describe('profiled objective at fixed θ (CPU, float64)', () => {
  for (const name of GAUSSIAN_CASES) {
    it(name, () => {
      const ref = loadReference(name);
      const model = buildLmm(ref.formula, loadData(ref), { REML: ref.reml, factors: ref.factors });
      expect(model.theta.names).toEqual(ref.theta_names);
      const backend = new CpuBackend(formGram(model), model.theta.length);
      const f = makeObjective(backend, model.frame.n, model.frame.p, model.reml);
      for (const pt of ref.objective_at!) {
        // the backends work in the internal (centred) parametrization of θ
        const value = f(thetaToInternal(model, pt.theta));
        expect(Math.abs(value - pt.value) / Math.abs(pt.value)).toBeLessThan(1e-8);
      }
    });
  }
});
