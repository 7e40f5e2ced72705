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
import { throwIfAborted } from '../model/control.js';
import { zeroinAsync } from '../optim/zeroin.js';
import { qchisq } from '../inference/distributions.js';
import { qnorm } from '../stats/distributions.js';
import { termCovariance, termParameterCount } from './covariance.js';
import { type TmbParm, fullParameterNames, parameterPositions, trivialDisp } from './parameterNames.js';
import { ZiLaplace } from './laplace.js';
import { profileObjective } from './profileObjective.js';
import { type TmbProfile, profileGlmmTmb } from './profile.js';
import { type ProfileEnd, type TmbNaReason, profileInterval } from './profileConfint.js';
import { checkProfileEnd } from './profileGuard.js';
import { sigmaScale } from './predict.js';
import { formatR, printMatrix } from '../results/rFormat.js';
import type { ZeroInflatedFit } from './zeroInflatedFit.js';

export { fullParameterNames } from './parameterNames.js';

export const TMB_CONFINT_METHODS = ['wald', 'uniroot', 'profile'] as const;
export type TmbConfintMethod = (typeof TMB_CONFINT_METHODS)[number];
export const TMB_CONFINT_COMPONENTS = ['all', 'cond', 'zi', 'other'] as const;
export type TmbConfintComponent = (typeof TMB_CONFINT_COMPONENTS)[number];

export interface TmbConfintOptions {
  /**
   * the parameters (glmmTMB's parm): 'theta_' (the variance parameters), 'beta_' (the fixed effects),
   * 'disp_' or 'sigma' (the dispersion model's), names of vcov(fit, full = TRUE) ('(Intercept)',
   * 'zi~minedyes', 'theta_1|site.1'), or their 1-based positions
   */
  parm?: TmbParm;
  /** default 0.95 */
  level?: number;
  /** 'wald' (default; 'Wald' accepted), 'uniroot' or 'profile' */
  method?: TmbConfintMethod | 'Wald';
  /** the components' rows (wald): 'all' (default), 'cond', 'zi', 'other' (sigma, dispersion model, power) */
  component?: TmbConfintComponent | TmbConfintComponent[];
  /** the Estimate column (default true) */
  estimate?: boolean;
  /** the sigma row with no parm (wald), the dispersion parameter with no parm (uniroot) */
  full?: boolean;
  /** stops the profile's optimizations (uniroot, profile) */
  signal?: AbortSignal;
  /**
   * uniroot, profile: called before each parameter's profile (done: the parameters finished, name: the one now
   * profiled, as the rows name it) and once at the end (done = total, name '')
   */
  onProgress?: (p: { done: number; total: number; name: string }) => void;
  /**
   * profile: called with glmmTMB's profile(fit, parm, level_max = level) once it is computed, before the
   * intervals are taken from it (so also where that fails: a half not monotone, too few points), e.g. to plot it
   */
  onProfile?: (profile: TmbProfile) => void;
}

export interface TmbConfintRow {
  name: string;
  lower: number;
  upper: number;
  /** NaN without the Estimate column */
  estimate: number;
  /** per end, why it is NA (profileConfint.ts's TmbNaReason); null where the end is a number */
  naReason: { lower: TmbNaReason | null; upper: TmbNaReason | null };
}

export interface TmbConfint {
  method: TmbConfintMethod;
  level: number;
  rows: TmbConfintRow[];
  /** R's column names: "2.5 %", "97.5 %" (and "Estimate") */
  columns: string[];
  /** uniroot, profile: the profile's evaluations (each an optimization over the other parameters) */
  profileEvaluations: number;
  /** why an end is NA where the reason is ours, not glmmTMB's (profile: the walk's worse local minimum, profileGuard.ts) */
  notes: string[];
  /** R's matrix printout, then the notes */
  print(): string;
}

/** R's format.perc(a, 3): paste(format(100 * a, trim = TRUE, scientific = FALSE, digits = 3), "%") */
function percentLabel(a: number): string {
  const v = 100 * a;
  return `${Number(v.toPrecision(3))} %`;
}

interface NamedInterval {
  name: string;
  lower: number;
  upper: number;
  estimate: number;
  /** where an end is NA: why (left out: 'not-evaluated', the only reason of a Wald row) */
  naReason?: { lower: TmbNaReason | null; upper: TmbNaReason | null };
}

/** an end's reason: the one given, or 'not-evaluated' for an NA end without one */
const reasonOf = (v: number, given: TmbNaReason | null | undefined): TmbNaReason | null => (Number.isNaN(v) ? (given ?? 'not-evaluated') : null);

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
 * profile has not risen by the target at the bracket's end ('not-reached') or cannot be evaluated there ('not-evaluated')
 */
async function profileRoots(fit: ZeroInflatedFit, lap: ZiLaplace, k: number, target: number, counter: { n: number }, signal?: AbortSignal): Promise<[ProfileEnd, ProfileEnd]> {
  const xhat = fit.par;
  const { se, slope, at } = profileObjective(fit, lap, k, counter, signal);
  if (!(se > 0 && Number.isFinite(se))) return [{ end: NaN, naReason: 'not-evaluated' }, { end: NaN, naReason: 'not-evaluated' }];
  // the start at each t: the others' optimum under the Gaussian approximation, E(x_o | x_k) = x̂_o + Σ_ok/Σ_kk t
  // (tmbroot starts at x̂, continuation = FALSE; this start is a function of t alone, as that one, but nearer
  // the optimum; a start from the previous t's optimum can follow a path into another local minimum,
  // zinb2_mined's log φ)
  const profile = async (t: number): Promise<number> => (await at(t, Float64Array.from(slope, (b) => b * t))).value;
  const v0 = await profile(0);
  const g = async (t: number) => (await profile(t)) - v0 - target;
  const root = async (end: number): Promise<ProfileEnd> => {
    const ge = await g(end);
    if (Number.isNaN(ge)) return { end: NaN, naReason: 'not-evaluated' };
    if (ge < 0) return { end: NaN, naReason: 'not-reached' };
    // Brent's zeroin on the bracket between 0 (g = −target) and its end, to 1e-8 SE
    const t = await zeroinAsync(Math.min(0, end), Math.max(0, end), end < 0 ? ge : -target, end < 0 ? -target : ge, async (s) => {
      const v = await g(s);
      return Number.isNaN(v) ? Infinity : v;
    }, 1e-8 * se, 1000);
    return { end: xhat[k] + t, naReason: null };
  };
  return [await root(-7 * se), await root(7 * se)];
}

const COMPONENT_CHECK = (v: unknown): TmbConfintComponent[] => {
  const l = Array.isArray(v) ? v : [v];
  if (l.length === 0) throw new OptionError('component', 'confint: component names none of ' + TMB_CONFINT_COMPONENTS.map((c) => `'${c}'`).join(', '));
  for (const c of l) if (typeof c !== 'string' || !(TMB_CONFINT_COMPONENTS as readonly string[]).includes(c)) throw new OptionError('component', `confint: unknown component ${showValue(c)} (glmmTMB's: ${TMB_CONFINT_COMPONENTS.map((x) => `'${x}'`).join(', ')})`);
  return l as TmbConfintComponent[];
};

interface CheckedOptions {
  level: number; method: TmbConfintMethod; components: Set<TmbConfintComponent>; estimate: boolean; full: boolean; columns: string[];
}

/** the options checked, with the columns' names */
function checkOptions(options: TmbConfintOptions): CheckedOptions {
  const known = new Set(['parm', 'level', 'method', 'component', 'estimate', 'full', 'signal', 'onProgress', 'onProfile']);
  for (const key of Object.keys(options)) if (!known.has(key)) throw new OptionError(key, `confint: unknown option '${key}' (${[...known].join(', ')})`);
  const level = options.level ?? 0.95;
  if (typeof level !== 'number' || !(level > 0 && level < 1)) throw new OptionError('level', `confint: level must be a number between 0 and 1 (exclusive), not ${showValue(level)}`);
  const methodIn = options.method ?? 'wald';
  if (typeof methodIn !== 'string' || !(TMB_CONFINT_METHODS as readonly string[]).includes(methodIn.toLowerCase())) {
    throw new OptionError('method', `confint: method ${showValue(methodIn)} is not one of ${TMB_CONFINT_METHODS.map((m) => `'${m}'`).join(', ')}`);
  }
  const method = methodIn.toLowerCase() as TmbConfintMethod;
  const components = new Set(COMPONENT_CHECK(options.component ?? 'all'));
  const estimate = options.estimate ?? true;
  const full = options.full ?? false;
  for (const [k, v] of [['estimate', estimate], ['full', full]] as const) if (typeof v !== 'boolean') throw new OptionError(k, `confint: ${k} must be true or false, not ${showValue(v)}`);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new OptionError('onProgress', `confint: onProgress must be a function, not ${showValue(options.onProgress)}`);
  if (options.onProfile !== undefined && typeof options.onProfile !== 'function') throw new OptionError('onProfile', `confint: onProfile must be a function, not ${showValue(options.onProfile)}`);
  const a = (1 - level) / 2;
  // profile: confint.profile.glmmTMB's two columns, whatever estimate is
  return { level, method, components, estimate: estimate && method !== 'profile', full, columns: [percentLabel(a), percentLabel(1 - a), ...(estimate && method !== 'profile' ? ['Estimate'] : [])] };
}

/** the result: the "cond." prefix dropped where every row has it (glmmTMB's last step), the Estimate column kept or not */
function result(rows: NamedInterval[], o: CheckedOptions, evaluations: number, notes: string[] = []): TmbConfint {
  const named = rows.length > 0 && rows.every((r) => r.name.startsWith('cond.')) ? rows.map((r) => ({ ...r, name: r.name.slice(5) })) : rows;
  const out: TmbConfintRow[] = named.map((r) => ({
    name: r.name, lower: r.lower, upper: r.upper, estimate: o.estimate ? r.estimate : NaN,
    naReason: { lower: reasonOf(r.lower, r.naReason?.lower), upper: reasonOf(r.upper, r.naReason?.upper) },
  }));
  return {
    method: o.method, level: o.level, rows: out, columns: o.columns, profileEvaluations: evaluations, notes,
    print: () => printConfint(out, o.columns) + notes.map((n) => `Note: ${n}\n`).join(''),
  };
}

/**
 * glmmTMB's confint(fit, parm, level, method = "wald", component, estimate, full), at once (broom.mixed's
 * tidy.glmmTMB binds its theta_ rows: src/broom/tidyTmb.ts)
 */
export function confintWald(fit: ZeroInflatedFit, options: Omit<TmbConfintOptions, 'method' | 'signal' | 'onProgress' | 'onProfile'> = {}): TmbConfint {
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
    const { signal: _s, method: _m, onProgress: _p, onProfile: _f, ...rest } = options;
    return confintWald(fit, rest);
  }
  if (o.method === 'profile') return confintProfile(fit, options, o);
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
    rows.push({ name: names[k], lower: lower.end, upper: upper.end, estimate: fit.par[k], naReason: { lower: lower.naReason, upper: upper.naReason } });
  }
  options.onProgress?.({ done: pos.length, total: pos.length, name: '' });
  return result(rows, o, counter.n);
}

/**
 * method 'profile': glmmTMB's profile(fit, parm, level_max = level) of the parameters getParms(parm, full) selects,
 * then confint.profile.glmmTMB's interval of each (profileConfint.ts); rows named as vcov(fit, full = TRUE),
 * on the internal scale (as uniroot's), two columns
 */
async function confintProfile(fit: ZeroInflatedFit, options: TmbConfintOptions, o: CheckedOptions): Promise<TmbConfint> {
  if (fit.REML) throw new ModelError("confint: profile intervals (method 'profile') of a REML fit are not available (glmmTMB: \"can't compute profiles for REML models at the moment\"); refit with REML = false");
  const pos = parameterPositions(fit, options.parm, o.full);
  const pr = await profileGlmmTmb(fit, {
    parm: pos.map((k) => k + 1), levelMax: o.level,
    ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  options.onProfile?.(pr);
  const intervals = profileIntervals(pr, o.level);
  const counter = { n: 0 };
  const notes = await guardProfileEnds(fit, pr, intervals, counter, options.signal);
  return result(intervals, o, pr.evaluations + counter.n, notes);
}

/**
 * profileGuard.ts's check of each finite end: the end NA, with a note, where the profile objective minimized
 * afresh there (uniroot's start) is below the walk's branch by more than PROFILE_GUARD_TOL
 */
async function guardProfileEnds(fit: ZeroInflatedFit, pr: TmbProfile, intervals: NamedInterval[], counter: { n: number }, signal?: AbortSignal): Promise<string[]> {
  const lap = new ZiLaplace(fit.model, false);
  const qval = 0.5 * qchisq(pr.levelMax, 1);
  const notes: string[] = [];
  for (const [i, p] of pr.parameters.entries()) {
    const k = p.position - 1;
    const idx = pr.rows.flatMap((r, j) => (r.position === p.position && !Number.isNaN(r.value) ? [j] : []));
    if (idx.length === 0) continue;
    // the least point (profileInterval's split: the first of the least)
    const m = idx.reduce((a, j) => (pr.rows[j].value < pr.rows[a].value ? j : a), idx[0]);
    const fm = pr.rows[m].focal;
    const obj = profileObjective(fit, lap, k, counter, signal);
    for (const side of ['lower', 'upper'] as const) {
      const e = intervals[i][side];
      if (Number.isNaN(e)) continue;
      // the half's point next to e towards the least point: the walk's start for e
      const inner = idx.filter((j) => (side === 'lower' ? pr.rows[j].focal >= e && pr.rows[j].focal <= fm : pr.rows[j].focal <= e && pr.rows[j].focal >= fm));
      const nb = inner.reduce((a, j) => (Math.abs(pr.rows[j].focal - e) < Math.abs(pr.rows[a].focal - e) ? j : a), inner[0] ?? m);
      const c = await checkProfileEnd(obj, fit.par[k], e, pr.optima[nb], p.minimum, qval);
      if (!c.worse) continue;
      intervals[i][side] = NaN;
      intervals[i].naReason = { lower: intervals[i].naReason?.lower ?? null, upper: intervals[i].naReason?.upper ?? null, [side]: 'local-minimum' };
      notes.push(`${p.name}: the ${side} end ${formatR([e], 7)[0].trim()} is NA: the profile walk reached a worse local minimum of the other parameters' optimization, so its spline crosses q = ${formatR([qval], 7)[0].trim()} where the profile does not (there −log L is ${formatR([c.warm - p.minimum], 7)[0].trim()} above the least point minimized from the walk's start, ${formatR([c.fresh - p.minimum], 7)[0].trim()} from the Gaussian approximation's); use method 'uniroot'`);
    }
  }
  return notes;
}

/** confint(profile, level): each parameter's interval from its profile (glmmTMB's confint.profile.glmmTMB) */
export function profileIntervals(pr: TmbProfile, level = 0.95): NamedInterval[] {
  const qval = 0.5 * qchisq(level, 1);
  return pr.parameters.map((p) => {
    const [lower, upper] = profileInterval(p.name, pr.rows.filter((r) => r.position === p.position), qval);
    return { name: p.name, lower: lower.end, upper: upper.end, estimate: NaN, naReason: { lower: lower.naReason, upper: upper.naReason } };
  });
}

/** glmmTMB's confint(profile, level): the intervals of a profile's parameters (two columns) */
export function confintOfProfile(pr: TmbProfile, level = 0.95): TmbConfint {
  if (typeof level !== 'number' || !(level > 0 && level < 1)) throw new OptionError('level', `confint: level must be a number between 0 and 1 (exclusive), not ${showValue(level)}`);
  const a = (1 - level) / 2;
  const o: CheckedOptions = { level, method: 'profile', components: new Set(['all']), estimate: false, full: true, columns: [percentLabel(a), percentLabel(1 - a)] };
  return result(profileIntervals(pr, level), o, pr.evaluations);
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
