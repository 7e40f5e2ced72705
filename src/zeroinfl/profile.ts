/**
 * glmmTMB 1.1.5's profile(fitted, parm, level_max = 0.99, npts = 8, stepfac = 1/4, stderr): each parameter's
 * likelihood profile by TMB's tmbprofile, as a data frame (.par, .focal, value).
 *
 * tmbprofile(obj, name = x_k, h = SE_k × stepfac, ytol = χ²₁(level_max), ystep = ytol / npts) walks a line from
 * the optimum, up (h) then down (−h), each walk from t = 0 with the other parameters at x̂:
 *   y_0 = f(0);  for it = 1 … ⌈5 ytol / ystep⌉:
 *     t_next = t_cur + h,  y_next = f(t_next)  (kept, then: stop where y_next is NA or |y_next − y_0| > ytol)
 *     |y_next − y_cur| > ystep                                → h ← h / 2
 *     |y_next − y_cur| < ystep / 4 (y_next ≥ y_0; else ystep / 8) → h ← 2 h
 * f(t) = min over the others of −log L(x̂_k + t, x_o) (profileObjective.ts), TMB's nlminb warm-started from the
 * previous point's optimum; ours is BOBYQA from the same warm start. The two walks are bound and ordered by x̂_k + t (the two t = 0 rows both kept,
 * the upward walk's first), and profile.glmmTMB's value is y − min(y) over the parameter's rows (the −log L
 * difference: ½ the deviance's).
 * glmmTMB 1.1.5 passes h = SE/4 whatever stepfac is (its FUN's tmbprofile(…, h = s/4)); ours is SE × stepfac, the
 * same at glmmTMB's documented default 1/4.
 * REML fits are refused (glmmTMB: "can't compute profiles for REML models").
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import { throwIfAborted } from '../model/control.js';
import { qchisq } from '../inference/distributions.js';
import { ZiLaplace } from './laplace.js';
import { type TmbParm, fullParameterNames, parameterPositions } from './parameterNames.js';
import { profileObjective } from './profileObjective.js';
import type { ZeroInflatedFit } from './zeroInflatedFit.js';

export interface TmbProfileOptions {
  /** glmmTMB's parm (as confint's, with full = TRUE: every parameter by default) */
  parm?: TmbParm;
  /** the profile's reach: the walk stops where −log L has risen by χ²₁(levelMax) (default 0.99) */
  levelMax?: number;
  /** points per ytol: ystep = ytol / npts (default 8) */
  npts?: number;
  /** the first step, in SEs (default 1/4) */
  stepfac?: number;
  /** glmmTMB's stderr: the SEs the steps are built from, one for all or one per parameter (NaN keeps the fit's) */
  stderr?: number | number[];
  signal?: AbortSignal;
  /** called before each parameter's profile (done: those finished) and once at the end (done = total, name '') */
  onProgress?: (p: { done: number; total: number; name: string }) => void;
}

export interface TmbProfileRow {
  /** the parameter's name as vcov(fit, full = TRUE) gives it */
  par: string;
  /** its 1-based position in the full parameter vector (names can repeat: two `theta_1|site.1`) */
  position: number;
  /** the parameter's value x̂_k + t */
  focal: number;
  /** −log L_prof(focal) − min over the parameter's rows (NaN where the optimization failed) */
  value: number;
}

export interface TmbProfile {
  levelMax: number;
  npts: number;
  stepfac: number;
  /**
   * the parameters profiled: name, 1-based position, the SE the steps were built from, and `minimum`, the least
   * −log L_prof over its points (what its rows' values are relative to)
   */
  parameters: { name: string; position: number; se: number; minimum: number }[];
  /** glmmTMB's data frame, parameter by parameter */
  rows: TmbProfileRow[];
  /** per row, the other parameters' offsets z = x_o − x̂_o at its optimum (the walk's start for the next point) */
  optima: Float64Array[];
  /** the profile's optimizations */
  evaluations: number;
  /** the data frame as CSV (.par, .focal, value; NA for NaN) */
  toCsv(): string;
}

/** one line walked from t = 0 in steps starting at h: tmbprofile's evalAlongLine */
export async function evalAlongLine(f: (t: number) => Promise<number>, h: number, ytol: number, ystep: number): Promise<{ t: number[]; y: number[] }> {
  const maxit = Math.ceil((5 * ytol) / ystep);
  const t = [0];
  const y = [await f(0)];
  for (let it = 1; it <= maxit; it++) {
    const yinit = y[0];
    const tcur = t[t.length - 1], ycur = y[y.length - 1];
    const tnext = tcur + h;
    const ynext = await f(tnext);
    t.push(tnext);
    y.push(ynext);
    if (Number.isNaN(ynext)) break;
    if (Math.abs(ynext - yinit) > ytol) break;
    // the step halves where y moved more than ystep, doubles where it moved less than ystep/4 (ystep/8 below y_0)
    const speedMax = ystep;
    const speedMin = ynext >= yinit ? ystep / 4 : ystep / 8;
    if (Math.abs(ynext - ycur) > speedMax) h /= 2;
    if (Math.abs(ynext - ycur) < speedMin) h *= 2;
  }
  return { t, y };
}

/** the options checked */
function checkProfileOptions(options: TmbProfileOptions): { levelMax: number; npts: number; stepfac: number } {
  const known = new Set(['parm', 'levelMax', 'npts', 'stepfac', 'stderr', 'signal', 'onProgress']);
  for (const key of Object.keys(options)) if (!known.has(key)) throw new OptionError(key, `profile: unknown option '${key}' (${[...known].join(', ')})`);
  const levelMax = options.levelMax ?? 0.99;
  if (typeof levelMax !== 'number' || !(levelMax > 0 && levelMax < 1)) throw new OptionError('levelMax', `profile: levelMax must be a number between 0 and 1 (exclusive), not ${showValue(levelMax)}`);
  const npts = options.npts ?? 8;
  if (typeof npts !== 'number' || !(npts > 0 && Number.isFinite(npts))) throw new OptionError('npts', `profile: npts must be a positive number, not ${showValue(npts)}`);
  const stepfac = options.stepfac ?? 1 / 4;
  if (typeof stepfac !== 'number' || !(stepfac > 0 && Number.isFinite(stepfac))) throw new OptionError('stepfac', `profile: stepfac must be a positive number, not ${showValue(stepfac)}`);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new OptionError('onProgress', `profile: onProgress must be a function, not ${showValue(options.onProgress)}`);
  return { levelMax, npts, stepfac };
}

/** glmmTMB's stderr: one value for all, or one per parameter (NaN/null keeps the fit's SE) */
function stepSes(fit: ZeroInflatedFit, pos: number[], stderr: TmbProfileOptions['stderr']): number[] {
  const nx = fit.par.length;
  const sds = pos.map((k) => Math.sqrt(fit.vcov[k * nx + k]));
  if (stderr === undefined) return sds;
  const list = Array.isArray(stderr) ? stderr : [stderr];
  for (const v of list) if (!(v === null || typeof v === 'number')) throw new OptionError('stderr', `profile: stderr must be numbers, not ${showValue(v)}`);
  if (list.length !== sds.length) {
    if (list.length === 1) return sds.map(() => list[0]);
    throw new OptionError('stderr', `profile: length(stderr) should equal 1 or number of parameters (${pos.length}), got ${list.length}`);
  }
  return sds.map((s, i) => (list[i] === null || Number.isNaN(list[i]) ? s : list[i]));
}

/** glmmTMB's profile(fit, parm, level_max, npts, stepfac, stderr) */
export async function profileGlmmTmb(fit: ZeroInflatedFit, options: TmbProfileOptions = {}): Promise<TmbProfile> {
  const o = checkProfileOptions(options);
  throwIfAborted(options.signal);
  if (fit.REML) throw new ModelError("profile: likelihood profiles of a REML fit are not available (glmmTMB: \"can't compute profiles for REML models at the moment\"); refit with REML = false");
  const names = fullParameterNames(fit);
  const pos = parameterPositions(fit, options.parm, true);
  const sds = stepSes(fit, pos, options.stderr);
  const ytol = qchisq(o.levelMax, 1);
  const ystep = ytol / o.npts;
  const lap = new ZiLaplace(fit.model, false);
  const counter = { n: 0 };
  const rows: TmbProfileRow[] = [];
  const optima: Float64Array[] = [];
  const minima: number[] = [];
  for (const [done, k] of pos.entries()) {
    options.onProgress?.({ done, total: pos.length, name: names[k] });
    const h = sds[done] * o.stepfac;
    if (!(h > 0 && Number.isFinite(h))) throw new ModelError(`profile: parameter ${names[k]} has no finite positive standard error (${sds[done]}) to build its steps from; give stderr`);
    const { slope, at } = profileObjective(fit, lap, k, counter, options.signal);
    // each walk starts at x̂ (z = 0) and warm-starts each point from the previous point's optimum z (TMB's
    // start <<- ans$par). Not extrapolated by the Gaussian approximation's slope × the step: the steps double
    // where the profile flattens (a correlation parameter's reach 10⁷), and the extrapolation there throws the
    // start far from the optimum (sleep_gauss's theta_Days|Subject.3: a local minimum 70 above glmmTMB's)
    const walk = async (step: number) => {
      let z: Float64Array = new Float64Array(slope.length);
      const zs: Float64Array[] = [];
      const line = await evalAlongLine(async (t) => {
        const r = await at(t, Float64Array.from(z));
        if (!Number.isNaN(r.value)) z = r.z;
        zs.push(r.z);
        return r.value;
      }, step, ytol, ystep);
      return { ...line, zs };
    };
    const up = await walk(h);
    const down = await walk(-h);
    // rbind(up, down) ordered by x (stable: the upward walk's t = 0 first)
    const that = fit.par[k];
    const pts = [...up.t.map((t, i) => ({ x: t + that, y: up.y[i], z: up.zs[i], i })), ...down.t.map((t, i) => ({ x: t + that, y: down.y[i], z: down.zs[i], i: up.t.length + i }))];
    pts.sort((a, b) => a.x - b.x || a.i - b.i);
    // value − min(value, na.rm = TRUE)
    const ymin = Math.min(...pts.filter((p) => !Number.isNaN(p.y)).map((p) => p.y));
    for (const p of pts) {
      rows.push({ par: names[k], position: k + 1, focal: p.x, value: p.y - ymin });
      optima.push(p.z);
    }
    minima.push(ymin);
  }
  options.onProgress?.({ done: pos.length, total: pos.length, name: '' });
  const parameters = pos.map((k, i) => ({ name: names[k], position: k + 1, se: sds[i], minimum: minima[i] }));
  return { ...o, parameters, rows, optima, evaluations: counter.n, toCsv: () => profileCsv(rows) };
}

/** R's write.csv(profile, row.names = FALSE): the name quoted, numbers to 15 significant digits, NA */
function profileCsv(rows: TmbProfileRow[]): string {
  const num = (v: number) => (Number.isNaN(v) ? 'NA' : String(Number(v.toPrecision(15))));
  return ['".par",".focal","value"', ...rows.map((r) => `"${r.par.replace(/"/g, '""')}",${num(r.focal)},${num(r.value)}`)].join('\n') + '\n';
}
