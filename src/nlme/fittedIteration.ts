/**
 * nlme's variance covariate fitted(.) (`varPower()`, `varExp(form = ~ fitted(.) | s)`, …): the
 * alternation of optimizing with the covariate fixed and updating it from the fit (lme.ts, gls.ts).
 */
import { FitError } from '../errors/errors.js';
import { minimizeScanned } from './optimize.js';
import type { VarFunction } from './varFunction.js';

export interface Optimum { x: Float64Array; feval: number; converged: boolean; message: string }

/** The iteration's rules (fittedIteration's header): their defaults are nlme's tolerance and this file's floor and patience. */
export interface FittedIterationOptions {
  tolerance?: number;
  maxIter?: number;
  floor?: number;
  patience?: number;
  /** a structure's starts over a parameter (optimize.ts, corSpher's and corLin's range) for the first round */
  scan?: { index: number; values: number[] } | null;
}

/**
 * nlme's iteration for a variance covariate of the fitted values (lme.formula's and gls's loop around
 * needUpdate): with the covariate v fixed, all parameters x are optimized; the fit at the optimum
 * gives new fitted values (lme: the innermost level's, Xβ̂ + Zb̂; gls: Xβ̂), which become v; this is
 * repeated until the fitted values stop changing,
 *   max_i |v_i^(k+1) − v_i^(k)| / max(|v_i^(k+1)|, 1e-8 max_j |v_j^(k+1)|) ≤ tolerance (1e-7),
 * at most `maxIter` times. The optimum is then a fixed point: x̂ maximizes the likelihood with
 * v = fitted(x̂) (not the maximum of the likelihood with v tied to x). nlme's rule is on the
 * parameters instead: it stops when its inner optimizer no longer moves them by more than
 * lmeControl's `tolerance` (1e-6) relative, in its own parametrization, and nlminb may stop there
 * before the fixed point (Orthodont's varPower(): nlme's power 1.10600, the fixed point's 1.106395,
 * found by nlme's own fits iterated in test/oracle/nlme2.R). A rule on our parameters would not do:
 * a parameter that barely moves the likelihood (a random-effects correlation near 0) is found by
 * BOBYQA to ~1e-5 relative only, round after round, while the fitted values settle to ~1e-8. The fit
 * returned is the last optimization's, with the covariate it was fitted at (nlme keeps that fit, and
 * the updated covariate for its weights).
 *
 * Where the fitted values cannot settle to `tolerance` — the optimum x̂(v) is found to ~1e-6 relative
 * in flat directions, and a fitted value far from the heavily weighted rows (a varPower of fitted values
 * spanning two orders of magnitude weights rows 10¹⁰ apart) moves with it — the change falls to that
 * floor and then wanders: Soybean's `lme(weight ~ Time, random = ~ 1 | Plot, weights = varPower())`
 * falls from 27 to 2.5e-6 in 24 rounds, then stays between 2e-6 and 2e-5 (the power between 2.507860
 * and 2.507873, nlme's 2.507864). When the smallest change so far is at most `floor` (1e-5) and
 * `patience` (5) rounds have not lowered it, the iteration stops at the round of that smallest change
 * (its fit, with the covariate it was fitted at) and says so in the fit's messages.
 */
export async function fittedIteration<F extends { messages: string[] }>(
  f: (x: Float64Array) => number, x0: Float64Array, lower: Float64Array, upper: Float64Array, maxfun: number,
  at: (x: Float64Array, opt: Optimum) => F, fitted: (fit: F) => Float64Array, vf: VarFunction,
  options: FittedIterationOptions = {},
): Promise<F> {
  const { tolerance = 1e-7, maxIter = 50, floor = 1e-5, patience = 5, scan = null } = options;
  let x = x0;
  let feval = 0;
  let v: Float64Array | null = null;
  let best: { fit: F; change: number; iter: number; covariate: Float64Array | null } | null = null;
  for (let iter = 1; ; iter++) {
    // (corSpher, corLin: the first round from the range profile's starts too, optimize.ts minimizeScanned;
    // the later rounds start at the optimum before)
    const opt = await minimizeScanned(f, x, lower, upper, maxfun, iter === 1 ? scan : null);
    feval += opt.feval;
    const fit = at(opt.x, { ...opt, feval });
    const vNew = fitted(fit);
    let change = Infinity;
    if (v) {
      let scale = 0;
      for (let i = 0; i < vNew.length; i++) scale = Math.max(scale, Math.abs(vNew[i]));
      change = 0;
      for (let i = 0; i < vNew.length; i++) change = Math.max(change, Math.abs(vNew[i] - v[i]) / Math.max(Math.abs(vNew[i]), 1e-8 * scale));
    }
    if (change <= tolerance) return fit;
    if (best === null || change < best.change) {
      best = { fit, change, iter, covariate: v };
    } else if (best.change <= floor && iter - best.iter >= patience) {
      // (the fit of that round was made with the covariate v of the round before it)
      if (best.covariate) vf.setCovariate!(best.covariate);
      best.fit.messages.push(`weights ${vf.text}: the fitted values' covariate settled to a relative change of ${best.change.toExponential(2)} between rounds (round ${best.iter}), not ${tolerance}: ${patience} more rounds did not lower it (the optimizer's precision); the fit is that round's`);
      return best.fit;
    }
    if (iter >= maxIter) {
      throw new FitError(`weights ${vf.text}: the iteration of the fitted values' covariate did not converge in ${maxIter} rounds (the last relative change of the fitted values: ${change.toExponential(2)})`);
    }
    v = vNew;
    vf.setCovariate!(vNew);
    x = opt.x;
  }
}
