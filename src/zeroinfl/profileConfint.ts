/**
 * glmmTMB 1.1.5's confint.profile.glmmTMB: a parameter's profile interval from its profile's points
 * (profile.ts). With q = ½ χ²₁(level) (the −log L difference at the level's ends):
 *   the points with a repeated .focal dropped (the first kept); split at the point of least value into the
 *   lower half (.focal ≤ that point's) and the upper half (.focal > it);
 *   per half: the natural cubic interpolating spline value(.focal) (splines::interpSpline), its inverse
 *   .focal(value) (backSpline: per interval the cubic matching the ends and the reciprocal slopes), at q
 *   (predict: NA outside the half's values — the profile has not risen to q on that side);
 *   an empty half is NA; so is an end outside the half's .focal range (the inverse spline's extrapolation:
 *   glmmTMB returns it, e.g. 8e11 for a lower end).
 * Each NA end carries its reason (TmbNaReason): 'not-reached' (no point of the half at or above q) or 'spline' (the
 * half rose past q, but the inverse spline has no value at q inside its points).
 * glmmTMB stops where a half has a missing value (interpSpline's na.fail), fewer than 4 points, or is not
 * monotone (backSpline's "spline must be monotone"); these are errors here too, naming the parameter and side.
 */
import { ModelError } from '../errors/errors.js';
import { backSpline, evalPolySpline, interpSpline } from '../inference/spline.js';
import type { TmbProfileRow } from './profile.js';

/**
 * Why a profile interval's end is NA (TmbConfintRow.naReason):
 * - 'not-reached': on that side the profile did not rise to the level — uniroot: −log L had not risen by ½ χ²₁(level)
 *   at ±7 SE (tmbroot's bracket); profile: not before tmbprofile's walk ended (no point of that side at or above it)
 * - 'spline' (profile): it rose past the level, but glmmTMB's inverse spline has no value at q inside that side's
 *   points: NA (as glmmTMB's), or a value outside them (an extrapolation glmmTMB 1.1.5 prints)
 * - 'local-minimum' (profile): the spline crosses q where the profile does not, the walk having followed a worse
 *   local minimum of the other parameters' optimization (profileGuard.ts; the result's notes say more)
 * - 'not-evaluated': the objective could not be evaluated there (uniroot: a failed optimization at the bracket's end,
 *   or no finite SE; Wald: the transformation undefined)
 */
export type TmbNaReason = 'not-reached' | 'spline' | 'local-minimum' | 'not-evaluated';

/** an end and, where it is NA, why */
export interface ProfileEnd {
  end: number;
  naReason: TmbNaReason | null;
}

/** one half's end: the inverse spline of value(.focal) at q */
function halfEnd(name: string, side: 'lower' | 'upper', half: TmbProfileRow[], q: number): ProfileEnd {
  if (half.length === 0) return { end: NaN, naReason: 'not-reached' };
  const where = `the ${side} half of ${name}'s profile`;
  if (half.some((r) => Number.isNaN(r.value))) throw new ModelError(`confint: ${where} has a point where the profile's optimization failed (glmmTMB: "missing values in object"); use method 'uniroot'`);
  if (half.length < 4) throw new ModelError(`confint: ${where} has ${half.length} points, its spline needs at least 4 (glmmTMB: "must have at least 'ord'=4 points"); profile with a larger npts`);
  let back;
  try {
    back = backSpline(interpSpline(half.map((r) => r.focal), half.map((r) => r.value)));
  } catch (e) {
    throw new ModelError(`confint: ${where} is not monotone (glmmTMB: "spline must be monotone": ${(e as Error).message}); use method 'uniroot'`);
  }
  // an end outside the half's own .focal range is the inverse spline's extrapolation, not the profile's: NA
  // (glmmTMB returns it: zinb2_mined's zi~(Intercept), a lower end of 8e11 above its upper end)
  const end = evalPolySpline(back, q);
  const lo = Math.min(...half.map((r) => r.focal)), hi = Math.max(...half.map((r) => r.focal));
  if (end >= lo && end <= hi) return { end, naReason: null };
  // NA (q outside the spline's values, or R's NA of the inverse spline) or an extrapolation: why, from the points
  return { end: NaN, naReason: half.some((r) => r.value >= q) ? 'spline' : 'not-reached' };
}

/** the interval [lower, upper] of one parameter's profile rows (in .focal order) at q = ½ χ²₁(level) */
export function profileInterval(name: string, rows: TmbProfileRow[], qval: number): [ProfileEnd, ProfileEnd] {
  const seen = new Set<number>();
  const dd = rows.filter((r) => (seen.has(r.focal) ? false : (seen.add(r.focal), true)));
  // which.min(value): the first of the least (NA skipped)
  let m = -1;
  dd.forEach((r, i) => { if (!Number.isNaN(r.value) && (m < 0 || r.value < dd[m].value)) m = i; });
  if (m < 0) return [{ end: NaN, naReason: 'not-evaluated' }, { end: NaN, naReason: 'not-evaluated' }];
  const fm = dd[m].focal;
  return [halfEnd(name, 'lower', dd.filter((r) => r.focal <= fm), qval), halfEnd(name, 'upper', dd.filter((r) => r.focal > fm), qval)];
}
