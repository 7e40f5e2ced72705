/**
 * Likelihood profiles and profile confidence intervals, as lme4's profile.merMod and confint.thpr:
 * for each parameter, the signed square root of the deviance increase
 *   ζ(x) = sign(x − x̂) √(d(x) − d̂),   d(x) = min over the other parameters with this one fixed at x,
 * on a grid that steps away from the estimate until |ζ| passes √χ²(1 − 0.01, npar) (or a bound),
 * each step sized to change ζ by a fixed amount (lme4's nextpar); the interval's ends are where the
 * inverse of the interpolating spline of ζ reaches the normal quantiles (spline.ts). A bound the
 * spline does not reach is the parameter's lower/upper limit (0 for a standard deviation, ±1 for a
 * correlation), or null ("NA") where there is none.
 *
 * The model-specific part is a `ProfileProblem`: the fits at a fixed value (lmmProfile.ts).
 */
import { FitError, OptionError } from '../errors/errors.js';
import { qnorm } from '../stats/distributions.js';
import { qchisq } from './distributions.js';
import { backSpline, evalPolySpline, interpSpline } from './spline.js';

/**
 * lme4's "profiling detected new, lower deviance": a refit of the profile went below the fit's
 * deviance by more than devtol; `point` is where (a better start for the fit).
 */
export class LowerDevianceError extends FitError {
  constructor(message: string, readonly point: ProfilePoint) {
    super(message);
    this.name = 'LowerDevianceError';
  }
}

/** One point of a profile: the parameter vector after re-optimizing the others. */
export interface ProfilePoint {
  /** all parameters: the variance parameters (sd/cor/σ), then the fixed effects */
  par: Float64Array;
  /** the deviance there */
  deviance: number;
  /** the refit's optimizer message when it stopped short of convergence (an evaluation limit) */
  notConverged?: string;
}

export interface ProfileProblem {
  /** lme4's names (oldNames = FALSE): sd_…, cor_…, sigma, then the fixed effects */
  names: string[];
  /** the parameters at the (ML) optimum */
  opt: Float64Array;
  /** number of variance parameters (first in `names`) */
  nvp: number;
  /** bounds of the variance parameters */
  lower: Float64Array;
  upper: Float64Array;
  /** the deviance at the optimum */
  base: number;
  /** standard errors of the fixed effects (the first step of a fixed effect's profile is δ·SE) */
  stderr: Float64Array;
  /**
   * the fit with variance parameter w fixed at x, started from `start` (the variance parameters);
   * `warm`: the start is extrapolated from the profile's last two points (close: a small first step)
   */
  fixVariance(w: number, x: number, start: Float64Array, warm?: boolean): ProfilePoint;
  /** the fit with fixed effect j fixed at v; started from `start` (the variance parameters) where given, as fixVariance */
  fixFixed(j: number, v: number, start?: Float64Array, warm?: boolean): ProfilePoint;
}

export interface ProfileOptions {
  /** which parameters (indices into names; default all) */
  which?: number[];
  /** lme4's alphamax (0.01), maxpts (100), delta.cutoff (1/8), maxmult (10), devtol (1e-9) */
  alphamax?: number;
  maxpts?: number;
  deltaCutoff?: number;
  maxmult?: number;
  devtol?: number;
  /** called before each parameter's profile */
  onParameter?: (name: string, index: number) => void;
  signal?: AbortSignal;
}

/** A parameter's profile: the points (sorted by the parameter), their ζ, and warnings. */
export interface ParameterProfile {
  name: string;
  index: number;
  /** parameter values, increasing */
  values: Float64Array;
  zeta: Float64Array;
  /** the other parameters at each point (rows of `par`) */
  points: Float64Array[];
}

export interface Profile {
  problem: ProfileProblem;
  profiles: ParameterProfile[];
  warnings: string[];
}

/** lme4's profile.merMod on a ProfileProblem. */
export function profileModel(problem: ProfileProblem, options: ProfileOptions = {}): Profile {
  const { names, opt, nvp, base } = problem;
  const nptot = names.length;
  const alphamax = options.alphamax ?? 0.01;
  const maxpts = options.maxpts ?? 100;
  const maxmult = options.maxmult ?? 10;
  const devtol = options.devtol ?? 1e-9;
  const cutoff = Math.sqrt(qchisq(1 - alphamax, nptot));
  const delta = cutoff * (options.deltaCutoff ?? 1 / 8);
  const which = options.which ?? names.map((_, k) => k);
  const warnings: string[] = [];
  const profiles: ParameterProfile[] = [];

  type Row = { zeta: number; par: Float64Array };
  const zetaOf = (w: number, x: number, point: ProfilePoint, signed = true): Row => {
    let devdiff = point.deviance - base;
    // a refit that stopped short of its optimum has too high a deviance, so too large a |ζ|: said, not hidden
    if (point.notConverged) warnings.push(`${names[w]}: the refit at ${x.toPrecision(6)} did not converge (${point.notConverged}): its ζ may be too large`);
    if (w < nvp) {
      if (devdiff < -devtol) throw new LowerDevianceError(`profiling ${names[w]} detected a new, lower deviance (${point.deviance} < ${base}): the fit had not reached its optimum`, point);
      if (devdiff < 0) warnings.push(`slightly lower deviances (diff=${devdiff.toPrecision(3)}) detected for ${names[w]}`);
      devdiff = Math.max(0, devdiff);
    }
    const zeta = signed ? Math.sign(x - opt[w]) * Math.sqrt(devdiff) : Math.sqrt(devdiff);
    return { zeta, par: point.par };
  };

  /** lme4's nextpar: the next value, sized so ζ changes by about `delta` (from the last two rows) */
  const nextpar = (rows: Row[], w: number, lower: number, upper: number): number => {
    const r = rows.length - 1;
    const p0 = rows[r - 1].par[w], p1 = rows[r].par[w];
    const num = p1 - p0;
    const denom = rows[r].zeta - rows[r - 1].zeta;
    let step: number;
    if (Number.isNaN(denom) || denom === 0) {
      warnings.push(`${names[w]}: last two rows have identical or NA ζ values: using minstep`);
      step = 1e-6;
    } else {
      step = (delta * num) / denom;
      if (step < 0) {
        warnings.push(`${names[w]}: unexpected decrease in profile: using minstep`);
        step = 1e-6;
      } else if (Math.abs(step) > maxmult * Math.abs(num)) {
        // lme4 caps every step (its `if (r > 1)` is on 1-based rows, r ≥ 2 from the first step on),
        // the first one after the 1% shift of a variance parameter included
        step = Math.sign(step) * maxmult * Math.abs(num);
      }
    }
    return Math.min(upper, Math.max(lower, p1 + Math.sign(num) * step));
  };

  /**
   * The start of the refit at x: the other variance parameters extrapolated linearly in parameter w
   * from the last two rows (the profile trace is smooth, so the error is second order in the step),
   * where it stays within their bounds; a parameter whose extrapolation leaves its bounds starts
   * at its value at the last point instead (as lme4's refits start from the last optimum). Clamped
   * to the bound it started a GLMM's refit on an SD of 0, where the Laplace deviance is flat (even
   * in the SD) and can have a local minimum: random GLMM g006's profile of sd_x|g stopped there
   * 26 above the profile and its interval lost the lower bound 0
   * (test/inference/randomGlmmInference.test.ts).
   */
  const extrapolate = (rows: Row[], w: number, x: number): Float64Array => {
    const a = rows[rows.length - 2].par, b = rows[rows.length - 1].par;
    const dx = b[w] - a[w];
    const f = dx !== 0 && Number.isFinite(dx) ? (x - b[w]) / dx : 0;
    return Float64Array.from({ length: nvp }, (_, k) => {
      const v = b[k] + f * (b[k] - a[k]);
      return v >= problem.lower[k] && v <= problem.upper[k] ? v : b[k];
    });
  };

  /** lme4's fillmat: steps from the last two rows until |ζ| > cutoff, a bound, or maxpts */
  const fill = (rows: Row[], w: number, lower: number, upper: number, next: (x: number, start: Float64Array) => Row) => {
    while (rows.length < maxpts) {
      const last = rows[rows.length - 1];
      const v = last.par[w];
      if (!(v > lower && v < upper)) break;
      if (!(Number.isNaN(last.zeta) || Math.abs(last.zeta) <= cutoff)) break;
      if (options.signal?.aborted) throw abortError();
      const x = nextpar(rows, w, lower, upper);
      rows.push(next(x, extrapolate(rows, w, x)));
    }
  };

  for (const w of which) {
    options.onParameter?.(names[w], w);
    const optimum: Row = { zeta: 0, par: opt };
    let rows: Row[];
    if (w < nvp) {
      const pw = opt[w];
      const lower = problem.lower[w], upper = problem.upper[w];
      const at = (x: number, start: Float64Array, warm: boolean) => zetaOf(w, x, problem.fixVariance(w, x, start, warm));
      // lme4's 1% shift, but inside the bounds: a correlation estimated within 1% of ±1 (random
      // GLMM g014: −0.99988) was shifted past it (−1.0099, as lme4 does) and the refit there, at no
      // valid Σ, gave a ζ that misplaced the profile's steps; it is shifted halfway to the bound
      let sx = pw === 0 ? 0.001 : pw * 1.01;
      if (pw > lower && pw < upper && (sx < lower || sx > upper)) sx = (pw + (sx < lower ? lower : upper)) / 2;
      const shifted = at(sx, opt.slice(0, nvp), false);
      // upwards: [optimum, shifted, …]; downwards: [shifted, optimum, …]
      const up = [optimum, shifted];
      fill(up, w, lower, upper, (x, start) => at(x, start, true));
      const down = [shifted, optimum];
      if (pw > lower) fill(down, w, lower, upper, (x, start) => at(x, start, true));
      rows = [...up, ...down.slice(2)];
    } else {
      const j = w - nvp;
      const est = opt[w];
      const at = (v: number, start?: Float64Array) => zetaOf(w, v, problem.fixFixed(j, v, start, start !== undefined));
      const shifted = at(est + delta * problem.stderr[j]);
      const up = [optimum, shifted];
      fill(up, w, -Infinity, Infinity, at);
      const down = [shifted, optimum];
      fill(down, w, -Infinity, Infinity, at);
      rows = [...up, ...down.slice(2)];
    }
    // unique rows, sorted by the parameter
    rows.sort((a, b) => a.par[w] - b.par[w]);
    const uniq = rows.filter((r, k) => k === 0 || r.par[w] !== rows[k - 1].par[w] || r.zeta !== rows[k - 1].zeta);
    profiles.push({
      name: names[w], index: w,
      values: Float64Array.from(uniq, (r) => r.par[w]),
      zeta: Float64Array.from(uniq, (r) => r.zeta),
      points: uniq.map((r) => r.par),
    });
  }
  return { problem, profiles, warnings };
}

export interface ProfileInterval {
  name: string;
  /** null where lme4 reports NA */
  lower: number | null;
  upper: number | null;
}

/** lme4's confint.thpr: the interval from each profile's inverse spline (non.mono.tol 0.01). */
export function profileIntervals(profile: Profile, level = 0.95): { intervals: ProfileInterval[]; warnings: string[] } {
  if (!(level > 0 && level < 1)) throw new OptionError('level', `level must be between 0 and 1, got ${level}`);
  const a = (1 - level) / 2;
  const zs = [qnorm(a), qnorm(1 - a)];
  const warnings: string[] = [];
  const { nvp, lower, upper } = profile.problem;
  const intervals = profile.profiles.map((pr) => {
    let bounds: number[] = [NaN, NaN];
    let bad = false;
    let back = null;
    try {
      back = backSpline(interpSpline(pr.values, pr.zeta));
    } catch {
      back = null;
    }
    if (back) {
      bounds = zs.map((z) => evalPolySpline(back!, z));
    } else {
      const finite = Array.from(pr.zeta).filter((z) => !Number.isNaN(z));
      if (finite.length === 0) {
        bad = true;
        warnings.push(`bad profile for ${pr.name}`);
      } else if (nonMonotonic(pr.zeta)) {
        bad = true;
        warnings.push(`non-monotonic profile for ${pr.name}`);
      } else {
        warnings.push(`bad spline fit for ${pr.name}: falling back to linear interpolation`);
        bounds = zs.map((z) => linearInterpolate(pr.zeta, pr.values, z));
      }
    }
    if (!bad) {
      if (Number.isNaN(bounds[0]) && pr.index < nvp) bounds[0] = lower[pr.index];
      if (Number.isNaN(bounds[1]) && pr.index < nvp) bounds[1] = upper[pr.index];
    }
    const clean = (v: number) => (Number.isFinite(v) ? v : null);
    const out = { name: pr.name, lower: clean(bounds[0]), upper: clean(bounds[1]) };
    (['lower', 'upper'] as const).forEach((side, k) => {
      if (out[side] === null && !bad) {
        const reach = k === 0 ? Math.min(...Array.from(pr.zeta).filter((z) => !Number.isNaN(z))) : Math.max(...Array.from(pr.zeta).filter((z) => !Number.isNaN(z)));
        warnings.push(`the profile of ${pr.name} does not reach ζ = ${zs[k].toFixed(3)} on its ${side} side (it reaches ${reach.toFixed(3)}): its ${side} bound is null (lme4: NA)`);
      }
    });
    return out;
  });
  return { intervals, warnings };
}

/**
 * lme4's confint.thpr test `min(diff(zeta) < (-non.mono.tol), na.rm = TRUE)`: the minimum of a
 * logical vector, so a profile is "non-monotonic" (NA bounds) only where every step of ζ falls by
 * more than 0.01 (or there is no step), and otherwise falls back to linear interpolation. Testing
 * any one step (as before) gave null bounds where lme4 interpolates: random GLMM g061's correlation,
 * lme4 [−1, 1] (test/inference/randomGlmmInference.test.ts).
 */
function nonMonotonic(zeta: ArrayLike<number>): boolean {
  const steps: number[] = [];
  for (let k = 1; k < zeta.length; k++) if (!Number.isNaN(zeta[k]) && !Number.isNaN(zeta[k - 1])) steps.push(zeta[k] - zeta[k - 1]);
  return steps.every((d) => d < -0.01);
}

/** R's approxfun(x, y)(v): linear interpolation, NA outside (x sorted by the caller's ζ). */
function linearInterpolate(x: ArrayLike<number>, y: ArrayLike<number>, v: number): number {
  const idx = Array.from({ length: x.length }, (_, i) => i).filter((i) => !Number.isNaN(x[i])).sort((a, b) => x[a] - x[b]);
  for (let k = 0; k + 1 < idx.length; k++) {
    const i = idx[k], j = idx[k + 1];
    if (v >= x[i] && v <= x[j]) return x[j] === x[i] ? y[i] : y[i] + ((v - x[i]) * (y[j] - y[i])) / (x[j] - x[i]);
  }
  return NaN;
}

function abortError(): Error {
  const e = new Error('the profile was cancelled');
  e.name = 'AbortError';
  return e;
}
