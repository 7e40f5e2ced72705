/**
 * The bounded minimizers a fit can run, by name (lmer's and glmer's `optimizer.method`, allFit's rows):
 *
 *   'bobyqa'      Powell's BOBYQA (./bobyqa.ts), the default: rhobeg, rhoend, maxfun
 *   'nelderMead'  lme4's Nelder_Mead (./nelderMead.ts) with lme4's settings: initial step 0.02 and x
 *                 tolerance 1e-5 per coordinate (in the optimizer's x, where θ's start is 1); maxfun
 *   'quasiNewton' projected L-BFGS on finite-difference gradients (./quasiNewton.ts); maxfun, and
 *                 the fit's initial radius rhobeg as its largest steepest-descent step (a first step of
 *                 1 from θ's start at 1 lands on the bound 0, where the criterion is even in θ_jj)
 *
 * rhobeg and rhoend are BOBYQA's trust-region radii; the user sets them for BOBYQA only.
 */
import { bobyqaAsync } from './bobyqa.js';
import { nelderMead } from './nelderMead.js';
import { quasiNewton } from './quasiNewton.js';
import type { BoundedMinimizeOptions, MinimizeResult } from './types.js';

export const OPTIMIZER_METHODS = ['bobyqa', 'nelderMead', 'quasiNewton'] as const;
export type OptimizerMethod = (typeof OPTIMIZER_METHODS)[number];

/** What each method is, in words (allFit's row names). */
export const OPTIMIZER_LABELS: Record<OptimizerMethod, string> = {
  bobyqa: 'bobyqa (mixedgpu)',
  nelderMead: 'Nelder_Mead',
  quasiNewton: 'quasi-Newton (projected L-BFGS)',
};

/** Each method's name in a fit's summary ("optimizer (Nelder_Mead) convergence code: 0"), as lme4 names its own. */
export const OPTIMIZER_NAMES: Record<OptimizerMethod, string> = {
  bobyqa: 'bobyqa',
  nelderMead: 'Nelder_Mead',
  quasiNewton: 'quasi-Newton',
};

/** A bounded minimizer with BOBYQA's interface (an objective that may be asynchronous). */
export type BoundedMinimizer = (
  f: (x: Float64Array) => number | Promise<number>, x0: ArrayLike<number>, options: BoundedMinimizeOptions,
) => Promise<MinimizeResult>;

/** The minimizer of `method` (default BOBYQA). */
export function minimizerOf(method: OptimizerMethod | undefined): BoundedMinimizer {
  switch (method ?? 'bobyqa') {
    case 'bobyqa': return bobyqaAsync;
    case 'nelderMead': return (f, x0, o) => nelderMead(withReport(f, o), x0, { lower: o.lower, upper: o.upper, maxfun: o.maxfun, shouldStop: o.shouldStop });
    case 'quasiNewton': return (f, x0, o) => quasiNewton(withReport(f, o), x0, { lower: o.lower, upper: o.upper, maxfun: o.maxfun, shouldStop: o.shouldStop, ...(o.rhobeg ? { step0: o.rhobeg } : {}) });
    default: throw new RangeError(`unknown optimizer method ${String(method)}`);
  }
}

/** f with the options' onEvaluation called after each evaluation */
function withReport(f: (x: Float64Array) => number | Promise<number>, o: BoundedMinimizeOptions): (x: Float64Array) => Promise<number> {
  let count = 0;
  return async (x) => {
    const v = await f(x);
    o.onEvaluation?.(++count, x, v);
    return v;
  };
}
