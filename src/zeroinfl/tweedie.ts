/**
 * The Tweedie density's series (Dunn and Smyth 2005, "Series evaluation of Tweedie exponential dispersion
 * model densities", eq. 2 and §4), as glmmTMB's dtweedie (TMB's, after the cplm package) sums it, for
 * 1 < p < 2 (a compound Poisson–gamma distribution):
 *
 *   log f(y; μ, φ, p) = −μ^(2−p) / (φ(2−p))                                          (y = 0)
 *   log f(y; μ, φ, p) = log W(y, φ, p) − log y + (1/φ)(y μ^(1−p)/(1−p) − μ^(2−p)/(2−p))  (y > 0)
 *
 *   W = Σ_{j≥1} w_j,   log w_j = j log z − log Γ(1 + j) − log Γ(−a j),
 *   a = −(2−p)/(p−1) (< 0),   log z = −a log y − log φ/(p−1) + a log(p−1) − log(2−p).
 *
 * The terms in j are unimodal with their largest near j_max = max(1, y^(2−p)/(φ(2−p))); the sum runs
 * over the j where log w_j is within 37 of the largest term (e^−37 ≈ 1e-16 relative: each bound is found
 * by stepping out from j_max in steps of 5 until j (c − log j/(p−1)) falls 37 below j_max/(p−1), the
 * bound on log w_j of Stirling's formula, with c = log z + 1/(p−1) + a log(−a)), at most 20000 terms,
 * summed as e^{log w_j − max} (log-sum-exp). Only W depends on the series; it is a per-row constant of
 * (y, φ, p), so the row kernel's derivatives in μ are those of the exponential-family part.
 */
import { lgamma } from '../glmm/rmath.js';

/** a term more than this far below the largest (on the log scale) is dropped */
const DROP = 37;
/** the step in j while the series' bounds are located */
const STEP = 5;
/** the most terms summed */
const MAX_TERMS = 20000;

/** log W(y, φ, p) of Dunn and Smyth's series for y > 0, 1 < p < 2 (NaN outside) */
export function tweedieLogW(y: number, phi: number, p: number): number {
  if (!(y > 0 && phi > 0 && p > 1 && p < 2)) return NaN;
  const p1 = p - 1, p2 = 2 - p;
  const a = -p2 / p1, a1 = 1 / p1;
  const logz = -a * Math.log(y) - a1 * Math.log(phi) + a * Math.log(p1) - Math.log(p2);
  const jmax = Math.max(1, y ** p2 / (phi * p2));
  // Stirling's bound on log w_j: j (c − log j / (p − 1)), largest (= j_max/(p − 1)) at j_max
  const c = logz + a1 + a * Math.log(-a);
  const top = a1 * jmax;
  let j = jmax;
  for (;;) { j += STEP; if (j * (c - a1 * Math.log(j)) < top - DROP) break; }
  const jh = Math.ceil(j);
  j = jmax;
  for (;;) { j -= STEP; if (j < 1 || j * (c - a1 * Math.log(j)) < top - DROP) break; }
  const jl = Math.max(1, Math.floor(j));
  const nterms = Math.min(jh - jl + 1, MAX_TERMS);
  const w = new Float64Array(nterms);
  let wmax = -Infinity;
  for (let k = 0; k < nterms; k++) {
    const jj = k + jl;
    w[k] = jj * logz - lgamma(1 + jj) - lgamma(-a * jj);
    if (w[k] > wmax) wmax = w[k];
  }
  let s = 0;
  for (let k = 0; k < nterms; k++) s += Math.exp(w[k] - wmax);
  return Math.log(s) + wmax;
}

/** glmmTMB's power p = 1 + logit⁻¹ ψ from its family parameter ψ (glmmTMB's psi; p in (1, 2)) */
export function tweediePower(psi: number): number {
  return 1 + 1 / (1 + Math.exp(-psi));
}
