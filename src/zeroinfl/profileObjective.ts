/**
 * TMB's profile objective of one parameter (tmbroot's and tmbprofile's f): with x_k = x̂_k + t,
 *   −log L_prof(t) = min over the other parameters x_o of −log L(x̂_k + t, x_o)
 * (the Laplace objective of glmmTMB's fit), minimized by BOBYQA over the others' offsets z = x_o − x̂_o from a
 * start the caller gives; TMB minimizes the same by nlminb on TMB's gradient. The Gaussian approximation's
 * regression of the others on x_k, E(x_o | x_k) = x̂_o + Σ_ok/Σ_kk t (Σ = Var(x̂)), is `slope`: the start
 * tmbroot's path takes (a function of t alone); tmbprofile's walk starts each point from the previous one's
 * optimum instead (profile.ts).
 */
import { Evaluations } from '../model/control.js';
import { bobyqaAsync } from '../optim/bobyqa.js';
import type { ZiLaplace } from './laplace.js';
import type { ZeroInflatedFit } from './zeroInflatedFit.js';

/** BOBYQA's first and final trust radii in the profile's optimizations */
const RHOBEG = 0.2;
const RHOEND = 1e-7;

export interface ProfileObjective {
  /** the parameter's SE, √Σ_kk */
  se: number;
  /** Σ_ok/Σ_kk per other parameter (0 where not finite) */
  slope: Float64Array;
  /** −log L_prof(t) from the others' offsets `start` (NaN where the optimization fails), and the offsets it ends at */
  at(t: number, start: Float64Array): Promise<{ value: number; z: Float64Array }>;
}

/**
 * The profile objective of parameter k (0-based in fit.par); `counter.n` counts its optimizations; `signal`
 * aborts one between evaluations (a turn for the event loop every 50 ms)
 */
export function profileObjective(fit: ZeroInflatedFit, lap: ZiLaplace, k: number, counter: { n: number }, signal?: AbortSignal): ProfileObjective {
  const nx = fit.par.length;
  const xhat = fit.par;
  const se = Math.sqrt(fit.vcov[k * nx + k]);
  const others = Array.from({ length: nx }, (_, j) => j).filter((j) => j !== k);
  // x = x̂ + t e_k + Σ_o z_o e_o
  const point = (t: number, z: ArrayLike<number>) => {
    const x = Float64Array.from(xhat);
    x[k] += t;
    others.forEach((j, a) => { x[j] += z[a]; });
    return x;
  };
  const slope = Float64Array.from(others, (j) => {
    const b = fit.vcov[j * nx + k] / fit.vcov[k * nx + k];
    return Number.isFinite(b) ? b : 0;
  });
  // a turn for the event loop every 50 ms (timers, an abort)
  const evals = new Evaluations({ signal });
  const at = async (t: number, start: Float64Array): Promise<{ value: number; z: Float64Array }> => {
    counter.n++;
    try {
      if (others.length === 0) return { value: lap.evaluate(point(t, [])), z: new Float64Array(0) };
      const objective = async (z: Float64Array) => {
        await evals.pause();
        const v = lap.evaluate(point(t, z));
        return Number.isFinite(v) ? v : Infinity;
      };
      const bounds = { lower: new Float64Array(others.length).fill(-Infinity), upper: new Float64Array(others.length).fill(Infinity) };
      const res = await bobyqaAsync(objective, start, { ...bounds, rhobeg: RHOBEG, rhoend: RHOEND, maxfun: 20000 });
      return { value: Number.isFinite(res.fval) ? res.fval : NaN, z: Float64Array.from(res.x) };
    } catch (e) {
      if (signal?.aborted) throw e;
      return { value: NaN, z: Float64Array.from(start) };
    }
  };
  return { se, slope, at };
}
