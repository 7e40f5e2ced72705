/**
 * glmmTMB 1.1.5's confint() of a glmmTMB fit (confint.glmmTMB), methods "wald" and "uniroot":
 *
 *   wald     the rows, in glmmTMB's order, of each component asked for ("cond", "zi", "other"):
 *              cond.β_j, zi.γ_j                x̂ ± z_{(1+level)/2} SE (SE² the diagonal of Var(x̂))
 *              disp.δ_j (a dispersion model)    likewise, on the log scale
 *              sigma (dispformula ~ 1)          glmmTMB's .CI_univariate_monotone: sigma(x̂ ∓ z SE), every
 *                                               parameter moved at once, the two ends sorted
 *              cond./zi.Std.Dev.c|g, Cor.c2.c1|g  the same of each term's SDs and correlations (VarCorr)
 *            then the rows selected: with `parm`, by glmmTMB's getParms — parameter positions in the full
 *            vector (β, γ, δ, θ, θ_zi, ψ), which index these rows as glmmTMB does (ci[parm, ]); without
 *            it, every row but sigma (unless `full`)
 *   uniroot  TMB's tmbroot per parameter (on its internal scale: log SD, the correlation parameters,
 *            log φ): the profile −log L(t) = min over the other parameters with x_k = x̂_k + t (BOBYQA from
 *            x̂), the ends the roots of −log L(t) − (−log L(0)) = ½ χ²₁(level) in [−7 SE, 0] and
 *            [0, 7 SE] (NA where −log L has not risen by the target at ±7 SE); rows named as glmmTMB's
 *            vcov(fit, full = TRUE) ("(Intercept)", "zi~minedyes", "d~fb", "theta_Days|Subject.1").
 *            Our roots are Brent's to 1e-8 of the parameter's SE; glmmTMB's uniroot stops at its default
 *            tol (1.2e-4 absolute), so the two agree to about that.
 * The row names lose their "cond." prefix when every row has it (glmmTMB's last step).
 * REML fits: uniroot is refused (glmmTMB: "can't compute profiles for REML models").
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import { macrotask, throwIfAborted } from '../model/control.js';
import { bobyqaAsync } from '../optim/bobyqa.js';
import { zeroinAsync } from '../optim/zeroin.js';
import { qchisq } from '../inference/distributions.js';
import { qnorm } from '../stats/distributions.js';
import { termCovariance, termParameterCount } from './covariance.js';
import { ZiLaplace } from './laplace.js';
import { sigmaScale } from './predict.js';
import { formatR, printMatrix } from '../results/rFormat.js';
import type { ZeroInflatedFit } from './zeroInflatedFit.js';

export const TMB_CONFINT_METHODS = ['wald', 'uniroot'] as const;
export const TMB_CONFINT_COMPONENTS = ['all', 'cond', 'zi', 'other'] as const;
export type TmbConfintComponent = (typeof TMB_CONFINT_COMPONENTS)[number];

export interface TmbConfintOptions {
  /**
   * the parameters (glmmTMB's parm): 'theta_' (the variance parameters), 'beta_' (the fixed effects),
   * 'disp_' or 'sigma' (the dispersion model's), names of vcov(fit, full = TRUE) ('(Intercept)',
   * 'zi~minedyes', 'theta_1|site.1'), or their 1-based positions
   */
  parm?: string | string[] | number | number[];
  /** default 0.95 */
  level?: number;
  /** 'wald' (default; 'Wald' accepted) or 'uniroot' */
  method?: 'wald' | 'Wald' | 'uniroot';
  /** the components' rows (wald): 'all' (default), 'cond', 'zi', 'other' (sigma, dispersion model, power) */
  component?: TmbConfintComponent | TmbConfintComponent[];
  /** the Estimate column (default true) */
  estimate?: boolean;
  /** the sigma row with no parm (wald), the dispersion parameter with no parm (uniroot) */
  full?: boolean;
  /** stops the profile's optimizations (uniroot) */
  signal?: AbortSignal;
  /**
   * uniroot: called before each parameter's profile (done: the parameters finished, name: the one now
   * profiled, as the rows name it) and once at the end (done = total, name '')
   */
  onProgress?: (p: { done: number; total: number; name: string }) => void;
}

export interface TmbConfintRow {
  name: string;
  lower: number;
  upper: number;
  /** NaN without the Estimate column */
  estimate: number;
}

export interface TmbConfint {
  method: 'wald' | 'uniroot';
  level: number;
  rows: TmbConfintRow[];
  /** R's column names: "2.5 %", "97.5 %" (and "Estimate") */
  columns: string[];
  /** uniroot: the profile's evaluations (each an optimization over the other parameters) */
  profileEvaluations: number;
  print(): string;
}

/** R's format.perc(a, 3): paste(format(100 * a, trim = TRUE, scientific = FALSE, digits = 3), "%") */
function percentLabel(a: number): string {
  const v = 100 * a;
  return `${Number(v.toPrecision(3))} %`;
}

/** glmmTMB's trivialDisp: dispformula ~ 1 (a single log φ, or none) */
function trivialDisp(fit: ZeroInflatedFit): boolean {
  return fit.model.dispConstant || fit.model.pd === 0;
}

/** the parameters' names as glmmTMB's vcov(fit, full = TRUE) gives them (getEstParnames(full = TRUE)) */
export function fullParameterNames(fit: ZeroInflatedFit): string[] {
  const m = fit.model;
  const thetaNames = (terms: typeof m.reTerms) => terms.flatMap((t) => {
    // names(reStruc): the term as findbars deparses it, spaces removed
    const label = t.text.replace(/^\(/, '').replace(/\)$/, '').replace(/\s+/g, '');
    return Array.from({ length: termParameterCount(t.q) }, (_, k) => `theta_${label}.${k + 1}`);
  });
  return [
    ...m.xnames,
    ...m.zinames.map((v) => `zi~${v}`),
    ...m.dispnames.slice(0, m.pd).map((v) => `d~${v}`),
    ...thetaNames(m.reTerms.slice(0, m.nCondTerms)),
    ...thetaNames(m.reTerms.slice(m.nCondTerms)),
    ...(m.dist === 'tweedie' ? ['Tweedie power'] : []),
  ];
}

/** glmmTMB's getParms: 0-based positions in the full parameter vector */
function parameterPositions(fit: ZeroInflatedFit, parm: TmbConfintOptions['parm'], full: boolean): number[] {
  const m = fit.model;
  const names = fullParameterNames(fit);
  const nx = names.length;
  const dispStart = m.p + m.pz, thetaStart = dispStart + m.pd;
  const all = Array.from({ length: nx }, (_, k) => k);
  if (parm === undefined) return !full && trivialDisp(fit) ? all.filter((k) => k < dispStart || k >= thetaStart) : all;
  const list = Array.isArray(parm) ? parm : [parm];
  if (list.length === 0) throw new OptionError('parm', 'confint: parm names no parameter');
  if (list.every((v) => typeof v === 'number')) {
    for (const v of list as number[]) {
      if (!(Number.isInteger(v) && v >= 1 && v <= nx)) throw new OptionError('parm', `confint: parm ${showValue(v)} is not a parameter's position (1 to ${nx})`);
    }
    return (list as number[]).map((v) => v - 1);
  }
  if (list.length === 1) {
    const p = list[0];
    if (p === 'theta_') return all.filter((k) => k >= thetaStart && k < thetaStart + m.nTheta);
    if (p === 'beta_') return trivialDisp(fit) ? all.filter((k) => k < dispStart) : all.filter((k) => k < thetaStart);
    if (p === 'disp_' || p === 'sigma') return all.filter((k) => k >= dispStart && k < thetaStart);
  }
  return list.map((v) => {
    const k = typeof v === 'string' ? names.indexOf(v) : -1;
    if (k < 0) throw new OptionError('parm', `confint: unrecognized parameter name ${showValue(v)} (glmmTMB's names: ${names.map((s) => `'${s}'`).join(', ')}; or 'theta_', 'beta_', 'disp_')`);
    return k;
  });
}

interface NamedInterval { name: string; lower: number; upper: number; estimate: number }

/**
 * glmmTMB's .CI_univariate_monotone: f at x̂ − q SE and at x̂ + q SE (q = √χ²₁(level) = z_{(1+level)/2},
 * every parameter moved at once, SE the square roots of Var(x̂)'s diagonal), the two ends sorted
 */
function monotoneIntervals(fit: ZeroInflatedFit, q: number, f: (x: Float64Array) => number[], names: string[]): NamedInterval[] {
  const nx = fit.par.length;
  const lo = Float64Array.from(fit.par, (v, k) => v - q * Math.sqrt(fit.vcov[k * nx + k]));
  const hi = Float64Array.from(fit.par, (v, k) => v + q * Math.sqrt(fit.vcov[k * nx + k]));
  const a = f(lo), b = f(hi), e = f(Float64Array.from(fit.par));
  return names.map((name, i) => {
    const bad = Number.isNaN(a[i]) || Number.isNaN(b[i]);
    return { name, lower: bad ? NaN : Math.min(a[i], b[i]), upper: bad ? NaN : Math.max(a[i], b[i]), estimate: e[i] };
  });
}

/** each term's SDs, then its correlations (lower.tri order: Cor.c_i.c_j for j < i), of a component at x */
function varCorrIntervals(fit: ZeroInflatedFit, comp: 'cond' | 'zi', q: number): NamedInterval[] {
  const m = fit.model;
  const thetaStart = m.p + m.pz + m.pd;
  const names: string[] = [];
  const parts: { at: number; q: number; sdOnly: boolean }[] = [];
  let off = 0;
  m.reTerms.forEach((t, k) => {
    const at = off;
    off += termParameterCount(t.q);
    if ((k >= m.nCondTerms ? 'zi' : 'cond') !== comp) return;
    for (const c of t.cnames) names.push(`${comp}.Std.Dev.${c}|${t.group}`);
    // outer(colnames, rownames, paste, sep = ".")[lower.tri]: "c_i.c_j", i > j, column by column
    for (let j = 0; j < t.q; j++) for (let i = j + 1; i < t.q; i++) names.push(`${comp}.Cor.${t.cnames[i]}.${t.cnames[j]}|${t.group}`);
    parts.push({ at, q: t.q, sdOnly: t.q === 1 });
  });
  if (names.length === 0) return [];
  return monotoneIntervals(fit, q, (x) => {
    const psi = x.subarray(thetaStart);
    return parts.flatMap(({ at, q: qt }) => {
      const { sd, corr } = termCovariance(qt, psi, at);
      const out = Array.from(sd.slice(0, qt));
      for (let j = 0; j < qt; j++) for (let i = j + 1; i < qt; i++) out.push(corr[i * qt + j]);
      return out;
    });
  }, names);
}

/** glmmTMB's Wald rows of the components asked for, in its order (before parm's selection) */
function waldRows(fit: ZeroInflatedFit, components: Set<TmbConfintComponent>, level: number): NamedInterval[] {
  const m = fit.model;
  const has = (c: TmbConfintComponent) => components.has(c) || components.has('all');
  const z = qnorm((1 + level) / 2);
  const rows: NamedInterval[] = [];
  const table = (prefix: string, coef: typeof fit.cond) => {
    for (const c of coef) rows.push({ name: `${prefix}.${c.name}`, lower: c.estimate - z * c.se, upper: c.estimate + z * c.se, estimate: c.estimate });
  };
  if (has('cond') && fit.cond.length > 0) table('cond', fit.cond);
  if (has('zi') && fit.zi.length > 0) table('zi', fit.zi);
  if (has('other')) {
    if (m.pd > 0) {
      if (!trivialDisp(fit)) table('disp', fit.dispersion);
      else {
        const dispStart = m.p + m.pz;
        rows.push(...monotoneIntervals(fit, z, (x) => [sigmaScale(m, [Math.exp(x[dispStart])])[0]], ['sigma']));
      }
    }
    // glmmTMB 1.1.5's family_params() is empty for tweedie here: no Tweedie.power row (its power's ψ is
    // a parameter of uniroot's)
  }
  if (has('cond')) rows.push(...varCorrIntervals(fit, 'cond', z));
  if (has('zi')) rows.push(...varCorrIntervals(fit, 'zi', z));
  return rows;
}

/**
 * TMB's tmbroot for parameter k: the ends x̂_k + t of the profile likelihood interval, t the roots of
 * −log L_prof(x̂_k + t) − (−log L_prof(x̂_k)) − ½ χ²₁(level) in [−7 SE, 0] and [0, 7 SE]; NaN where the
 * profile has not risen by the target at the bracket's end (or cannot be evaluated there)
 */
async function profileRoots(fit: ZeroInflatedFit, lap: ZiLaplace, k: number, target: number, counter: { n: number }, signal?: AbortSignal): Promise<[number, number]> {
  const nx = fit.par.length;
  const xhat = fit.par;
  const se = Math.sqrt(fit.vcov[k * nx + k]);
  if (!(se > 0 && Number.isFinite(se))) return [NaN, NaN];
  const others = Array.from({ length: nx }, (_, j) => j).filter((j) => j !== k);
  const at = (t: number, z: ArrayLike<number>) => {
    const x = Float64Array.from(xhat);
    x[k] += t;
    others.forEach((j, a) => { x[j] += z[a]; });
    return x;
  };
  let last = performance.now();
  // the others' optimum at x_k = x̂_k + t under the Gaussian approximation, E(x_o | x_k) = x̂_o + Σ_ok/Σ_kk t:
  // the profile's start (tmbroot starts at x̂, continuation = FALSE; this start is a function of t alone,
  // as that one, but nearer the optimum; a start from the previous t's optimum can follow a path into
  // another local minimum, zinb2_mined's log φ)
  const slope = others.map((j) => fit.vcov[j * nx + k] / fit.vcov[k * nx + k]);
  const start = (t: number) => Float64Array.from(slope, (b) => (Number.isFinite(b) ? b * t : 0));
  // −log L with x_k = x̂_k + t, minimized over the others
  const profile = async (t: number): Promise<number> => {
    counter.n++;
    try {
      if (others.length === 0) return lap.evaluate(at(t, []));
      const res = await bobyqaAsync(async (z) => {
        // a turn for the event loop every 50 ms (timers, an abort)
        if (performance.now() - last > 50) {
          await macrotask();
          throwIfAborted(signal);
          last = performance.now();
        }
        const v = lap.evaluate(at(t, z));
        return Number.isFinite(v) ? v : Infinity;
      }, start(t), {
        lower: new Float64Array(others.length).fill(-Infinity), upper: new Float64Array(others.length).fill(Infinity),
        rhobeg: RHOBEG, rhoend: RHOEND, maxfun: 20000,
      });
      if (!Number.isFinite(res.fval)) return NaN;
      return res.fval;
    } catch (e) {
      if (signal?.aborted) throw e;
      return NaN;
    }
  };
  const v0 = await profile(0);
  const g = async (t: number) => (await profile(t)) - v0 - target;
  const root = async (end: number): Promise<number> => {
    const ge = await g(end);
    if (Number.isNaN(ge) || ge < 0) return NaN;
    // Brent's zeroin on the bracket between 0 (g = −target) and its end, to 1e-8 SE
    const t = await zeroinAsync(Math.min(0, end), Math.max(0, end), end < 0 ? ge : -target, end < 0 ? -target : ge, async (s) => {
      const v = await g(s);
      return Number.isNaN(v) ? Infinity : v;
    }, 1e-8 * se, 1000);
    return xhat[k] + t;
  };
  return [await root(-7 * se), await root(7 * se)];
}

/** BOBYQA's first and final trust radii in the profile's optimizations */
const RHOBEG = 0.2;
const RHOEND = 1e-7;

const COMPONENT_CHECK = (v: unknown): TmbConfintComponent[] => {
  const l = Array.isArray(v) ? v : [v];
  if (l.length === 0) throw new OptionError('component', 'confint: component names none of ' + TMB_CONFINT_COMPONENTS.map((c) => `'${c}'`).join(', '));
  for (const c of l) if (typeof c !== 'string' || !(TMB_CONFINT_COMPONENTS as readonly string[]).includes(c)) throw new OptionError('component', `confint: unknown component ${showValue(c)} (glmmTMB's: ${TMB_CONFINT_COMPONENTS.map((x) => `'${x}'`).join(', ')})`);
  return l as TmbConfintComponent[];
};

interface CheckedOptions {
  level: number; method: 'wald' | 'uniroot'; components: Set<TmbConfintComponent>; estimate: boolean; full: boolean; columns: string[];
}

/** the options checked, with the columns' names */
function checkOptions(options: TmbConfintOptions): CheckedOptions {
  const known = new Set(['parm', 'level', 'method', 'component', 'estimate', 'full', 'signal', 'onProgress']);
  for (const key of Object.keys(options)) if (!known.has(key)) throw new OptionError(key, `confint: unknown option '${key}' (${[...known].join(', ')})`);
  const level = options.level ?? 0.95;
  if (typeof level !== 'number' || !(level > 0 && level < 1)) throw new OptionError('level', `confint: level must be a number between 0 and 1 (exclusive), not ${showValue(level)}`);
  const methodIn = options.method ?? 'wald';
  if (typeof methodIn !== 'string' || !['wald', 'uniroot'].includes(methodIn.toLowerCase())) {
    throw new OptionError('method', `confint: method ${showValue(methodIn)} is not one of 'wald', 'uniroot' (glmmTMB's 'profile', a spline through tmbprofile's points, is not implemented: 'uniroot' finds the same profile likelihood's ends by root finding)`);
  }
  const method = methodIn.toLowerCase() as 'wald' | 'uniroot';
  const components = new Set(COMPONENT_CHECK(options.component ?? 'all'));
  const estimate = options.estimate ?? true;
  const full = options.full ?? false;
  for (const [k, v] of [['estimate', estimate], ['full', full]] as const) if (typeof v !== 'boolean') throw new OptionError(k, `confint: ${k} must be true or false, not ${showValue(v)}`);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new OptionError('onProgress', `confint: onProgress must be a function, not ${showValue(options.onProgress)}`);
  const a = (1 - level) / 2;
  return { level, method, components, estimate, full, columns: [percentLabel(a), percentLabel(1 - a), ...(estimate ? ['Estimate'] : [])] };
}

/** the result: the "cond." prefix dropped where every row has it (glmmTMB's last step), the Estimate column kept or not */
function result(rows: NamedInterval[], o: CheckedOptions, evaluations: number): TmbConfint {
  const named = rows.length > 0 && rows.every((r) => r.name.startsWith('cond.')) ? rows.map((r) => ({ ...r, name: r.name.slice(5) })) : rows;
  const out: TmbConfintRow[] = named.map((r) => ({ name: r.name, lower: r.lower, upper: r.upper, estimate: o.estimate ? r.estimate : NaN }));
  return { method: o.method, level: o.level, rows: out, columns: o.columns, profileEvaluations: evaluations, print: () => printConfint(out, o.columns) };
}

/**
 * glmmTMB's confint(fit, parm, level, method = "wald", component, estimate, full), at once (broom.mixed's
 * tidy.glmmTMB binds its theta_ rows: src/broom/tidyTmb.ts)
 */
export function confintWald(fit: ZeroInflatedFit, options: Omit<TmbConfintOptions, 'method' | 'signal' | 'onProgress'> = {}): TmbConfint {
  const o = checkOptions(options);
  const all = waldRows(fit, o.components, o.level);
  if (options.parm === undefined) return result(o.full ? all : all.filter((r) => r.name !== 'sigma'), o, 0);
  // ci[parm, ]: the parameters' positions index the rows (glmmTMB's alignment: one row per parameter)
  const pos = parameterPositions(fit, options.parm, o.full);
  return result(pos.map((k) => {
    if (k >= all.length) throw new OptionError('parm', `confint: parameter ${k + 1} has no Wald row (glmmTMB: "subscript out of bounds"; ${all.length} rows for the components asked for)`);
    return all[k];
  }), o, 0);
}

/** glmmTMB's confint(fit, parm, level, method, component, estimate, full) */
export async function confintGlmmTmb(fit: ZeroInflatedFit, options: TmbConfintOptions = {}): Promise<TmbConfint> {
  const o = checkOptions(options);
  throwIfAborted(options.signal);
  if (o.method === 'wald') {
    const { signal: _s, method: _m, onProgress: _p, ...rest } = options;
    return confintWald(fit, rest);
  }
  if (fit.REML) throw new ModelError("confint: profile intervals (method 'uniroot') of a REML fit are not available (glmmTMB: \"can't compute profiles for REML models at the moment\"); refit with REML = false");
  const names = fullParameterNames(fit);
  const pos = parameterPositions(fit, options.parm, o.full);
  const lap = new ZiLaplace(fit.model, false);
  const target = qchisq(o.level, 1) / 2;
  const counter = { n: 0 };
  const rows: NamedInterval[] = [];
  for (const [done, k] of pos.entries()) {
    options.onProgress?.({ done, total: pos.length, name: names[k] });
    const [lower, upper] = await profileRoots(fit, lap, k, target, counter, options.signal);
    rows.push({ name: names[k], lower, upper, estimate: fit.par[k] });
  }
  options.onProgress?.({ done: pos.length, total: pos.length, name: '' });
  return result(rows, o, counter.n);
}

/** R's print of the numeric matrix: each column formatted with 7 significant digits (NA for NaN) */
function printConfint(rows: TmbConfintRow[], columns: string[]): string {
  const cols = columns.map((_, c) => {
    const v = rows.map((r) => [r.lower, r.upper, r.estimate][c]);
    const finite = v.filter((x) => !Number.isNaN(x));
    const f = formatR(finite, 7);
    let i = 0;
    return v.map((x) => (Number.isNaN(x) ? 'NA' : f[i++].trim()));
  });
  return printMatrix(cols, rows.map((r) => r.name), columns, true).join('\n') + '\n';
}
