/**
 * Diagonal scaling of an optimizer's variables to unit curvature: s_k = √(f''_kk / 2), so that in
 * the variables s_k x_k a quadratic model of f has second derivatives near 2, as ‖δ‖² has.
 *
 * glmer's second stage optimizes over (θ, β) where β enters through δ = R_X (β − β̂), whose
 * curvature is 2 by construction, but the deviance's curvature in θ grows with the number of groups
 * (~1e5 at 50k groups), and a derivative-free trust-region method then spends hundreds of
 * evaluations on the ill-conditioned valley. The second difference
 *   f''_kk ≈ (f(x + h e_k) − 2 f(x) + f(x − h e_k)) / h²
 * (one-sided, f(x) − 2 f(x + h) + f(x + 2h), where x − h is below the lower bound) costs two
 * evaluations per scaled variable.
 */

/** Scales s_k for the variables `which` of x (1 for the others, and where f'' is not positive or not finite). */
export async function curvatureScales(
  f: (x: Float64Array) => number | Promise<number>, x: Float64Array, fx: number, which: number[], lower: ArrayLike<number>,
  options: { relStep?: number; minStep?: number; range?: [number, number] } = {},
): Promise<Float64Array> {
  const { relStep = 1e-2, minStep = 1e-2, range = [1e-3, 1e4] } = options;
  const s = new Float64Array(x.length).fill(1);
  for (const k of which) {
    const h = Math.max(relStep * Math.abs(x[k]), minStep);
    const at = async (d: number) => { const y = Float64Array.from(x); y[k] += d; return f(y); };
    let d2: number;
    if (x[k] - h >= lower[k]) d2 = ((await at(h)) - 2 * fx + (await at(-h))) / (h * h);
    else d2 = (fx - 2 * (await at(h)) + (await at(2 * h))) / (h * h);
    if (Number.isFinite(d2) && d2 > 0) s[k] = Math.min(range[1], Math.max(range[0], Math.sqrt(d2 / 2)));
  }
  return s;
}
