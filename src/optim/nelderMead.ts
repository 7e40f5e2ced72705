/**
 * Nelder–Mead simplex minimization with bounds, as lme4's `Nelder_Mead` (lme4 1.1-31 src/optimizer.cpp,
 * itself a port of NLopt's nldrmd.c): written here from that description, not copied.
 *
 * The simplex: n + 1 points x_0 = x₀ and x_i = x₀ + xst_i e_i (i = 1..n), each coordinate step pinned
 * into the box — to the upper bound when x₀ is more than 0.1·|xst_i| below it, else the other way,
 * x₀ − |xst_i|; likewise at the lower bound (x₀ + |xst_i|, or half way to the farther bound).
 *
 * Each iteration, with f_l the lowest and f_h the highest value, x_h its point and
 *   c = (Σ_j x_j − x_h) / n                          (the centroid of the face opposite x_h),
 * the reflection x_r = c + α (c − x_h), α = 1, is pinned to the box (Richardson & Kuester 1973):
 *   f_r < f_l:   expansion x_e = c + γ (c − x_h), γ = 2; x_e replaces x_h when f_e < f_h (lme4's rule), else x_r;
 *   f_r < f_h:   x_r replaces x_h;
 *   otherwise:   contraction x_c = c ∓ β (c − x_h), β = 1/2 (inside when f_h ≤ f_r, outside otherwise);
 *                accepted when f_c < f_r and f_c < f_h, else every point but the lowest shrinks towards it,
 *                x_j ← x_l + δ (x_j − x_l), δ = 1/2, and the n + 1 values are evaluated again.
 *
 * Stopping rules (lme4's, which are NLopt's x-tolerance only: lme4's FtolAbs and FtolRel are set but
 * its C++ never tests them):
 *   - converged in x: every coordinate's largest distance from the centroid, max_j |x_j,i − c_i|, is
 *     below xt_i (default xst_i · 5e-4 = 1e-5, lme4's xt), tested before each reflection;
 *   - converged in x: a reflection, expansion, contraction or shrink step whose pinned point coincides
 *     (to 1e-13 relative) with the centroid or with the point it moves (the simplex has collapsed);
 *   - the evaluation budget `maxfun` (default 10,000, lme4's; not converged);
 *   - f below `minfMax` (default −∞), or `shouldStop()`.
 * The result is the lowest point evaluated. Pinning a point to the box can flatten the simplex onto a
 * bound face, where it stops short of a constrained optimum (NLopt's note: "this danger can be
 * ameliorated by restarting"); `restarts` runs it again from the best point with a fresh simplex while
 * that lowers f (not lme4's: its Nelder_Mead runs once).
 */
import type { MinimizeResult } from './types.js';

export interface NelderMeadOptions {
  lower: ArrayLike<number>;
  upper: ArrayLike<number>;
  /** initial step per coordinate (lme4's xst; default 0.02 each) */
  xst?: number | ArrayLike<number>;
  /** absolute x tolerance per coordinate (lme4's xt; default xst · 5e-4) */
  xt?: number | ArrayLike<number>;
  /** relative x tolerance (lme4's XtolRel, default 1e-7; with the x test against 0 it never fires alone) */
  xtolRel?: number;
  /** evaluation budget (lme4's maxfun, default 10,000) */
  maxfun?: number;
  /** stop once f falls below this (lme4's MinfMax, default −∞) */
  minfMax?: number;
  /**
   * restarts from the best point with a fresh simplex after a converged run, while a run lowers f
   * (default 0, lme4's single run): a simplex pinned to a bound can collapse onto it (header)
   */
  restarts?: number;
  shouldStop?: () => boolean;
}

/** NLopt's strategy constants: reflection, contraction, expansion, shrink. */
const ALPHA = 1, BETA = 0.5, GAMMA = 2, DELTA = 0.5;

/** a and b equal to 1e-13 relative (lme4's `close`) */
function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-13 * (Math.abs(a) + Math.abs(b));
}

/** NLopt's relstop(vold, vnew, reltol, abstol) */
function relstop(vold: number, vnew: number, reltol: number, abstol: number): boolean {
  if (!Number.isFinite(vold)) return false;
  const d = Math.abs(vnew - vold);
  return d < abstol || d < (reltol * (Math.abs(vnew) + Math.abs(vold))) / 2 || (reltol > 0 && vnew === vold);
}

function perCoordinate(v: number | ArrayLike<number> | undefined, n: number, dflt: (i: number) => number): Float64Array {
  if (v === undefined) return Float64Array.from({ length: n }, (_, i) => dflt(i));
  if (typeof v === 'number') return new Float64Array(n).fill(v);
  if (v.length !== n) throw new RangeError(`Nelder_Mead: a per-coordinate setting has ${v.length} entries for ${n} variables`);
  return Float64Array.from(v);
}

/** Minimizes f over the box [lower, upper] from x0 by lme4's bounded Nelder–Mead (header), with `restarts`. */
export async function nelderMead(
  f: (x: Float64Array) => number | Promise<number>, x0: ArrayLike<number>, options: NelderMeadOptions,
): Promise<MinimizeResult> {
  let r = await nelderMeadRun(f, x0, options);
  for (let k = 0; k < (options.restarts ?? 0) && r.converged; k++) {
    const again = await nelderMeadRun(f, r.x, { ...options, maxfun: (options.maxfun ?? 10_000) - r.feval });
    const lower = again.fval < r.fval;
    r = { ...(lower ? again : r), feval: r.feval + again.feval, message: `${again.message} (restart ${k + 1})` };
    if (!lower) break;
  }
  return r;
}

/** One run of the simplex from x0 (header). */
async function nelderMeadRun(
  f: (x: Float64Array) => number | Promise<number>, x0: ArrayLike<number>, options: NelderMeadOptions,
): Promise<MinimizeResult> {
  const n = x0.length;
  const { lower, upper } = options;
  if (n === 0) throw new RangeError('Nelder_Mead: no variables');
  if (lower.length !== n || upper.length !== n) throw new RangeError(`Nelder_Mead: bounds of length ${lower.length}/${upper.length} for ${n} variables`);
  const xst = perCoordinate(options.xst, n, () => 0.02);
  if (xst.some((s) => s === 0 || !Number.isFinite(s))) throw new RangeError('Nelder_Mead: every initial step xst must be finite and non-zero');
  const xt = perCoordinate(options.xt, n, (i) => xst[i] * 5e-4);
  const xtolRel = options.xtolRel ?? 1e-7;
  const maxfun = options.maxfun ?? 10_000;
  const minfMax = options.minfMax ?? -Infinity;
  for (let i = 0; i < n; i++) {
    if (!(x0[i] >= lower[i] && x0[i] <= upper[i])) throw new RangeError(`Nelder_Mead: initial x is not feasible (x[${i}] = ${x0[i]} outside [${lower[i]}, ${upper[i]}])`);
  }

  // the initial simplex (header), columns as points
  const pts: Float64Array[] = [Float64Array.from(x0)];
  for (let i = 0; i < n; i++) {
    const p = Float64Array.from(x0);
    const a = Math.abs(xst[i]);
    p[i] += xst[i];
    if (p[i] > upper[i]) p[i] = upper[i] - x0[i] > a * 0.1 ? upper[i] : x0[i] - a;
    if (p[i] < lower[i]) {
      if (x0[i] - lower[i] > a * 0.1) p[i] = lower[i];
      else {
        p[i] = x0[i] + a;
        if (p[i] > upper[i]) p[i] = 0.5 * ((upper[i] - x0[i] > x0[i] - lower[i] ? upper[i] : lower[i]) + x0[i]);
      }
    }
    if (close(p[i], x0[i])) throw new RangeError(`Nelder_Mead: cannot generate a feasible simplex (coordinate ${i})`);
    pts.push(p);
  }

  let feval = 0;
  let best = { x: Float64Array.from(x0), f: Infinity };
  type Stop = { converged: boolean; message: string };
  let stop: Stop | null = null;
  const evaluate = async (x: Float64Array): Promise<number> => {
    const r = f(x);
    const v = typeof r === 'number' ? r : await r;
    feval++;
    const fv = Number.isNaN(v) ? Infinity : v;
    if (fv < best.f) best = { x: Float64Array.from(x), f: fv };
    if (best.f < minfMax) stop = { converged: true, message: 'objective function went below allowed minimum' };
    else if (feval >= maxfun) stop = { converged: false, message: `failure to converge in ${maxfun} evaluations` };
    else if (options.shouldStop?.()) stop = { converged: false, message: 'stopped' };
    return fv;
  };
  /** xnew = c + s (c − xold), pinned to the box; null when it coincides with c or xold */
  const reflect = (c: Float64Array, s: number, xold: Float64Array): Float64Array | null => {
    const x = new Float64Array(n);
    let equalC = true, equalOld = true;
    for (let i = 0; i < n; i++) {
      const v = Math.min(Math.max(c[i] + s * (c[i] - xold[i]), lower[i]), upper[i]);
      equalC &&= close(v, c[i]);
      equalOld &&= close(v, xold[i]);
      x[i] = v;
    }
    return equalC || equalOld ? null : x;
  };
  const XCVG: Stop = { converged: true, message: 'parameter values converged to within tolerance' };
  const done = (s: Stop): MinimizeResult => ({ x: best.x, fval: best.f, feval, converged: s.converged, message: s.message });

  const vals = new Float64Array(n + 1);
  // evaluate all points (the start, and again after a shrink)
  const evaluateAll = async (): Promise<boolean> => {
    for (let j = 0; j <= n; j++) {
      vals[j] = await evaluate(pts[j]);
      if (stop) return false;
    }
    return true;
  };
  if (!(await evaluateAll())) return done(stop!);
  const c = new Float64Array(n);
  for (;;) {
    // lowest and highest vertex, the centroid opposite the highest
    let il = 0, ih = 0;
    for (let j = 1; j <= n; j++) {
      if (vals[j] < vals[il]) il = j;
      if (vals[j] > vals[ih]) ih = j;
    }
    const fl = vals[il], fh = vals[ih];
    c.fill(0);
    for (let j = 0; j <= n; j++) if (j !== ih) for (let i = 0; i < n; i++) c[i] += pts[j][i];
    for (let i = 0; i < n; i++) c[i] /= n;
    // x-convergence: max_j |x_j,i − c_i| < xt_i for every i
    let small = true;
    for (let i = 0; i < n && small; i++) {
      let d = 0;
      for (let j = 0; j <= n; j++) d = Math.max(d, Math.abs(pts[j][i] - c[i]));
      small = relstop(d, 0, xtolRel, xt[i]);
    }
    if (small) return done(XCVG);
    const xh = pts[ih];
    const xr = reflect(c, ALPHA, xh);
    if (!xr) return done(XCVG);
    const fr = await evaluate(xr);
    if (stop) return done(stop);
    if (fr < fl) {
      // new best point: try to expand
      const xe = reflect(c, GAMMA, xh);
      if (!xe) return done(XCVG);
      const fe = await evaluate(xe);
      if (stop) return done(stop);
      // lme4 keeps the expansion when it is below the old worst value f_h (not only below f_r)
      if (fe < fh) { pts[ih] = xe; vals[ih] = fe; } else { pts[ih] = xr; vals[ih] = fr; }
      continue;
    }
    if (fr < fh) {
      pts[ih] = xr;
      vals[ih] = fr;
      continue;
    }
    // contraction: inside when f_r is no better than f_h (f_h ≤ f_r), else outside
    const xc = reflect(c, fh <= fr ? -BETA : BETA, xh);
    if (!xc) return done(XCVG);
    const fc = await evaluate(xc);
    if (stop) return done(stop);
    if (fc < fr && fc < fh) {
      pts[ih] = xc;
      vals[ih] = fc;
      continue;
    }
    // shrink towards the lowest point
    for (let j = 0; j <= n; j++) {
      if (j === il) continue;
      const xs = reflect(pts[il], -DELTA, pts[j]);
      if (!xs) return done(XCVG);
      pts[j] = xs;
    }
    if (!(await evaluateAll())) return done(stop!);
  }
}
