/** The joint optimization of (θ, ψ) (lme) or ψ (gls) by the library's BOBYQA (src/optim). */
import { bobyqaAsync } from '../optim/bobyqa.js';

/**
 * BOBYQA from x0, then again from its optimum with a smaller radius (the criterion is flat along some
 * variance parameters); a turn for the event loop every 100 evaluations.
 */
export async function minimize(f: (x: Float64Array) => number, x0: Float64Array, lower: Float64Array, upper: Float64Array, maxfun: number) {
  let count = 0;
  const g = (x: Float64Array): number | Promise<number> => {
    const v = f(x);
    return ++count % 100 === 0 ? new Promise<number>((r) => setTimeout(() => r(v), 0)) : v;
  };
  const first = await bobyqaAsync(g, x0, { lower, upper, rhobeg: 0.2, rhoend: 1e-9, maxfun });
  const second = await bobyqaAsync(g, first.x, { lower, upper, rhobeg: 0.01, rhoend: 1e-10, maxfun });
  const best = second.fval <= first.fval ? second : first;
  return { ...best, feval: first.feval + second.feval, converged: first.converged && second.converged };
}
