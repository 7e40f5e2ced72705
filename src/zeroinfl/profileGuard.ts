/**
 * A check of confint(method = 'profile')'s ends (not glmmTMB's: glmmTMB returns the walk's spline end as it is).
 * tmbprofile's walk (profile.ts) starts each point's inner optimization from the previous point's optimum, so it
 * can follow a path onto a worse local minimum of −log L over the other parameters: its values there are above
 * the profile's, and its spline can cross q = ½ χ²₁(level) where the profile does not (zinb2_mined's
 * zi~minedyes: an upper end of 70.8 where the profile stays below q; method 'uniroot' gives NA).
 * At an end e = x̂_k + t of a half, where the walk's spline says −log L_prof(e) − min = q, the profile objective is
 * minimized again (profileObjective.ts) from two starts:
 *   warm   the optimum z of the half's point next to e on the side of the least point (the walk's start there)
 *   fresh  the Gaussian approximation's E(x_o | x_k) − x̂_o = Σ_ok/Σ_kk t (uniroot's start, confint.ts)
 * The end is NA (with a note) where both
 *   |f_warm(t) − f_fresh(t)| > tol                the inner problem has two local minima at e (the walk can be on
 *                                                 either), and
 *   min(f_warm, f_fresh)(t) − min < q − tol       the profile at e (the lesser minimum) has not risen to q: the
 *                                                 walk's values that cross q there are a worse local minimum's
 *                                                 (zinb2_mined's zi~minedyes at 70.8: 0.522 from the warm start,
 *                                                 3.636 from the fresh one, q = 1.921).
 * tol = 1e-4 (−log L units): the inner BOBYQA stops at a trust radius of 1e-7 in the offsets, and the two starts'
 * minima on one branch agree within 5e-8 at the well-behaved ends seen (zinb2_mined's), within a few 1e-6 of glmmTMB's nlminb on
 * the flattest profiles (zinb2_mined's plateaus: 2.7e-6). On a single-minimum profile the first condition fails, so
 * the check never moves a well-behaved end (the spline's own error at e, up to 2.3e-4 in the cases seen, plays no
 * part there).
 */
import type { ProfileObjective } from './profileObjective.js';

/** the least difference f_warm − f_fresh at an end taken as another local minimum (−log L units) */
export const PROFILE_GUARD_TOL = 1e-4;

export interface EndCheck {
  /** −log L_prof at e from the walk's warm start */
  warm: number;
  /** −log L_prof at e from the Gaussian approximation's start */
  fresh: number;
  /** two local minima at e and the lesser below q by more than tol: the walk's crossing of q at e is spurious */
  worse: boolean;
}

/**
 * The check at the end e of one half: `xk` is x̂_k, `neighbour` the optimum offsets z of the half's point next to
 * e towards the least point (the walk's warm start), `minimum` the walk's least −log L_prof, q = ½ χ²₁(level)
 */
export async function checkProfileEnd(obj: ProfileObjective, xk: number, e: number, neighbour: Float64Array, minimum: number, q: number): Promise<EndCheck> {
  const t = e - xk;
  const warm = (await obj.at(t, Float64Array.from(neighbour))).value;
  // the start of uniroot's path: z = Σ_ok/Σ_kk t
  const fresh = (await obj.at(t, Float64Array.from(obj.slope, (b) => b * t))).value;
  if (Number.isNaN(warm) || Number.isNaN(fresh)) return { warm, fresh, worse: false };
  const twoMinima = Math.abs(warm - fresh) > PROFILE_GUARD_TOL;
  // the profile at e: the lesser of the two minima
  const belowQ = Math.min(warm, fresh) - minimum < q - PROFILE_GUARD_TOL;
  return { warm, fresh, worse: twoMinima && belowQ };
}
