/**
 * A zero-inflated fit built at given parameters (glmmTMB's fit$fit$par from a fixture): the Laplace
 * state there (the conditional modes of the inner problem), no optimizer; the Hessian is left zero
 * (no standard errors). For comparisons with glmmTMB at the same parameters (test/zeroinflPredict.test.ts,
 * test/zeroinflChecks.test.ts).
 */
import type * as arrow from 'apache-arrow';
import { buildZeroInflatedModel, type ZiFamily } from '../../src/zeroinfl/model.js';
import { ZiLaplace } from '../../src/zeroinfl/laplace.js';
import { parameterNames } from '../../src/zeroinfl/fit.js';
import { ZeroInflatedFit } from '../../src/zeroinfl/zeroInflatedFit.js';

export function zeroInflatedAt(data: arrow.Table, ref: { formula: string; ziformula: string; dispformula?: string; family: ZiFamily; par: number[] }): ZeroInflatedFit {
  const model = buildZeroInflatedModel(ref.formula, data, { family: ref.family, ziformula: ref.ziformula, ...(ref.dispformula !== undefined ? { dispformula: ref.dispformula } : {}) });
  const lap = new ZiLaplace(model);
  const x = Float64Array.from(ref.par);
  const objective = lap.evaluate(x);
  const k = model.nPar;
  return new ZeroInflatedFit(model, lap, {
    x, objective, hessian: new Float64Array(k * k), gradient: new Float64Array(k), parNames: parameterNames(model),
    evaluations: 1, iterations: lap.iterations, safeguardedSteps: 0, converged: true, messages: [], elapsedMs: 0,
  });
}
