/**
 * nlme's variance covariate fitted(.) (`varPower()`, `varExp(form = ~ fitted(.) | s)`, …): the
 * alternation of optimizing with the covariate fixed and updating it from the fit (lme.ts, gls.ts).
 */
import { FitError } from '../errors/errors.js';
import { minimize } from './optimize.js';
import type { VarFunction } from './varFunction.js';

export interface Optimum { x: Float64Array; feval: number; converged: boolean; message: string }

/**
 * nlme's iteration for a variance covariate of the fitted values (lme.formula's and gls's loop around
 * needUpdate): with the covariate v fixed, all parameters x are optimized; the fit at the optimum
 * gives new fitted values (lme: the innermost level's, Xβ̂ + Zb̂; gls: Xβ̂), which become v; this is
 * repeated until the optimum moves by at most `tolerance` relative to each parameter,
 *   max_k |x_k^(i−1) − x_k^(i)| / |x_k^(i)| ≤ tolerance   (|x_k^(i)| taken as 1 when x_k^(i) = 0),
 * at most `maxIter` times. The optimum is then a fixed point: x̂ maximizes the likelihood with
 * v = fitted(x̂) (not the maximum of the likelihood with v tied to x). nlme stops when its inner
 * optimizer no longer moves the parameters by more than lmeControl's `tolerance` (1e-6) in its own
 * parametrization; nlminb may stop there before the fixed point (Orthodont's varPower(): nlme's
 * power 1.10600, the fixed point's 1.106395, found by nlme's own fits iterated in
 * test/oracle/nlme2.R): here 1e-8 in ours, so that the point is the fixed point. The fit returned is
 * the last optimization's, with the covariate it was fitted at (nlme keeps that fit, and the updated
 * covariate for its weights).
 */
export async function fittedIteration<F>(
  f: (x: Float64Array) => number, x0: Float64Array, lower: Float64Array, upper: Float64Array, maxfun: number,
  at: (x: Float64Array, opt: Optimum) => F, fitted: (fit: F) => Float64Array, vf: VarFunction,
  tolerance = 1e-8, maxIter = 50,
): Promise<F> {
  let x = x0;
  let feval = 0;
  for (let iter = 1; ; iter++) {
    const opt = await minimize(f, x, lower, upper, maxfun);
    feval += opt.feval;
    const fit = at(opt.x, { ...opt, feval });
    let change = 0;
    for (let k = 0; k < x.length; k++) change = Math.max(change, Math.abs(x[k] - opt.x[k]) / (opt.x[k] === 0 ? 1 : Math.abs(opt.x[k])));
    if (change <= tolerance) return fit;
    if (iter >= maxIter) {
      throw new FitError(`weights ${vf.text}: the iteration of the fitted values' covariate did not converge in ${maxIter} steps (the last relative change of the parameters: ${change.toExponential(2)})`);
    }
    vf.setCovariate!(fitted(fit));
    x = opt.x;
  }
}
