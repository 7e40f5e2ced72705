/**
 * blme's prior families, evaluated from its syntax (syntax.ts) with blme's defaults, argument
 * names, checks and parametrization (blme 1.0-5: R/dist.R, dist_*.R):
 *
 *   covariance of a random-effects term (q × q relative factor Λ_k, posterior scale on the common
 *   scale σ by default):
 *     wishart(df = q + 2.5, scale = Inf, common.scale = TRUE, posterior.scale = 'cov')
 *     invwishart(df = q − 0.998, scale = diag(df + 0.1, q), common.scale = TRUE, posterior.scale = 'cov')
 *     gamma(shape = 2.5, rate = 0, common.scale = TRUE, posterior.scale = 'sd')        (q = 1 only)
 *     invgamma(shape = 0.001, scale = shape + 0.05, common.scale = TRUE, posterior.scale = 'var')
 *   (bglmer: invgamma(shape = 0.5, scale = 100, posterior.scale = 'sd'),
 *    invwishart(df = q − 0.5, scale = diag(100/(df + q + 1), q)); common.scale is always TRUE);
 *   fixed effects: normal(sd = c(10, 2.5), cov, common.scale = TRUE), t(df = 3, mean = 0,
 *     scale = c(100, 6.25), common.scale = TRUE) (ML only in blmer); bglmer: common.scale FALSE;
 *   residual variance (blmer): gamma(shape = 0, rate = 0, posterior.scale = 'var'),
 *     invgamma(shape = 0, scale = 0, posterior.scale = 'var'), point(value = 1, posterior.scale = 'sd').
 *
 * Each prior is stored as blme stores it: the Wishart's R⁻¹ with RᵀR = scale, the inverse
 * Wishart's R, the normal's R⁻¹ with RᵀR = cov (all upper triangular, column-major q × q), and
 * log|scale|.
 */
import { OptionError } from '../errors/errors.js';
import { type Arg, type Expr, type PriorEnv, type Value, evalExpr, parsePriorExpr } from './syntax.js';
import { crossprod, invertUpper } from './matrix.js';

export type WishartPrior = { family: 'wishart'; df: number; q: number; RScaleInv: Float64Array; logDetScale: number; posteriorScale: 'cov' | 'sqrt'; commonScale: boolean };
export type InvWishartPrior = { family: 'invwishart'; df: number; q: number; RScale: Float64Array; logDetScale: number; posteriorScale: 'cov' | 'sqrt'; commonScale: boolean };
export type GammaPrior = { family: 'gamma'; shape: number; rate: number; posteriorScale: 'sd' | 'var'; commonScale: boolean };
export type InvGammaPrior = { family: 'invgamma'; shape: number; scale: number; posteriorScale: 'sd' | 'var'; commonScale: boolean };
export type CovPrior = WishartPrior | InvWishartPrior | GammaPrior | InvGammaPrior;
export type NormalPrior = { family: 'normal'; p: number; RCovInv: Float64Array; commonScale: boolean };
export type TPrior = { family: 't'; p: number; df: number; mean: Float64Array; d: number; RScaleInv: Float64Array; commonScale: boolean };
export type FixefPrior = NormalPrior | TPrior;
export type PointPrior = { family: 'point'; value: number };
export type ResidPrior = GammaPrior | InvGammaPrior | PointPrior;

/** A random-effects term as blme sees it (one entry of lme4's cnms). */
export interface PriorTerm {
  /** the grouping factor's name */
  group: string;
  /** number of columns q */
  q: number;
  /** number of levels */
  nl: number;
}

/** What the model tells blme while it evaluates the priors. */
export interface PriorContext {
  terms: PriorTerm[];
  /** number of fixed effects */
  p: number;
  /** fixed-effect names (for the normal prior's named sd) */
  xnames: string[];
  /** number of observations */
  n: number;
  /** a GLMM (bglmer's families) */
  glmm: boolean;
  /** REML (blmer: a t prior needs ML) */
  reml: boolean;
}

/** The priors of one model, per term (null: flat). */
export interface ModelPriors {
  cov: (CovPrior | null)[];
  fixef: FixefPrior | null;
  resid: ResidPrior | null;
  /** the text each was given as (for the record) */
  text: { cov: string | null; fixef: string | null; resid: string | null };
  /** blme's warnings (a gamma prior on a vector-valued term is ignored) */
  messages: string[];
}

/** The user's prior options: blme's strings, or `'blme'` for blmer/bglmer's defaults. */
export interface PriorOptions {
  /** blme's cov.prior (default 'wishart', as blmer); null or 'NULL' for none */
  cov?: string | null;
  /** blme's fixef.prior (default none) */
  fixef?: string | null;
  /** blme's resid.prior (default none; blmer only) */
  resid?: string | null;
}

const COV_FAMILIES = ['wishart', 'invwishart', 'gamma', 'invgamma', 'flat'];
const FIXEF_FAMILIES = ['normal', 't', 'flat'];
const RESID_FAMILIES = ['gamma', 'invgamma', 'point', 'flat'];

/** Evaluates blme's prior arguments for a model (blme's evaluatePriorArguments). */
export function evaluatePriors(options: PriorOptions | 'blme', ctx: PriorContext): ModelPriors {
  const o: PriorOptions = options === 'blme' ? {} : options;
  const covText = o.cov === undefined ? 'wishart' : o.cov;
  const messages: string[] = [];
  if (ctx.glmm && o.resid) throw new OptionError('prior', 'resid.prior applies to linear mixed models only (bglmer has no residual variance)');
  const fixef = o.fixef ? evaluateFixef(o.fixef, ctx) : null;
  if (fixef?.family === 't' && !ctx.glmm && ctx.reml) throw new OptionError('prior', 'fixef.prior t(...): the t distribution for fixed effects is only supported with REML = FALSE (as blme)');
  return {
    cov: evaluateCov(covText, ctx, messages),
    fixef,
    resid: o.resid ? evaluateResid(o.resid, ctx) : null,
    text: { cov: covText, fixef: o.fixef ?? null, resid: o.resid ?? null },
    messages,
  };
}

function normalizeText(text: string): string {
  return text.replace(/inverse\.wishart/g, 'invwishart').replace(/inverse\.gamma/g, 'invgamma');
}

function asCall(e: Expr, context: string, families: string[]): { fn: string; args: Arg[] } {
  if (e.kind === 'name') return { fn: e.name, args: [] };
  if (e.kind === 'call') return { fn: e.fn, args: e.args };
  throw new OptionError('prior', `${context}: expected a distribution such as ${families.filter((f) => f !== 'flat').map((f) => `${f}(...)`).join(', ')}`);
}

function evaluateCov(text: string | null, ctx: PriorContext, messages: string[]): (CovPrior | null)[] {
  const result: (CovPrior | null)[] = ctx.terms.map(() => null);
  if (text === null || text.trim() === 'NULL') return result;
  const e = parsePriorExpr(normalizeText(text));
  const items = e.kind === 'call' && e.fn === 'list' ? e.args.map((a) => a.value) : [e];
  let fallback: Expr | null = null;
  const perGroup = new Map<string, Expr>();
  for (const item of items) {
    if (item.kind === 'formula') {
      if (!ctx.terms.some((t) => t.group === item.lhs)) {
        throw new OptionError('prior', `cov.prior '${text}': grouping factor '${item.lhs}' for covariance prior not in model formula (factors: ${[...new Set(ctx.terms.map((t) => t.group))].join(', ')})`);
      }
      perGroup.set(item.lhs, item.rhs);
    } else {
      if (fallback) messages.push('more than one default covariance prior specified, only using the last one');
      fallback = item;
    }
  }
  ctx.terms.forEach((term, i) => {
    const spec = perGroup.get(term.group) ?? fallback;
    if (!spec || spec.kind === 'null') return;
    const { fn, args } = asCall(spec, `cov.prior '${text}'`, COV_FAMILIES);
    if (!COV_FAMILIES.includes(fn)) throw new OptionError('prior', `cov.prior '${text}': unrecognized ranef covariance distribution '${fn}' (one of ${COV_FAMILIES.join(', ')})`);
    if (fn === 'flat') return;
    const env: PriorEnv = { ...baseEnv(ctx), 'level.dim': term.q, 'q.k': term.q, 'n.grps': term.nl, 'j.k': term.nl };
    const context = `cov.prior ${fn}(...) for the term of '${term.group}'`;
    result[i] = covPrior(fn, args, env, ctx.glmm, context, messages);
    const why = unboundedAtZero(result[i]);
    if (why) throw new OptionError('prior', `${context}: ${why}, so the posterior has no mode (the likelihood stays finite there); blme's optimizer would stop at the boundary`);
  });
  return result;
}

/**
 * Why a covariance prior's density is unbounded as the term's standard deviations go to 0 (its
 * polynomial term −2 log p → −∞ with no exponential barrier), or null: there the penalized
 * objective has no minimum.
 */
function unboundedAtZero(prior: CovPrior | null): string | null {
  if (!prior) return null;
  switch (prior.family) {
    case 'wishart': return prior.df < prior.q + 1 ? `df = ${prior.df} < level.dim + 1 = ${prior.q + 1} makes the density unbounded as the covariance goes to 0 (blme's default df is level.dim + 2.5)` : null;
    case 'invwishart': return prior.logDetScale === -Infinity ? 'a zero scale leaves the density unbounded as the covariance goes to 0' : null;
    case 'gamma': return prior.shape < 1 ? `shape = ${prior.shape} < 1 makes the density unbounded as the standard deviation goes to 0` : null;
    case 'invgamma': return prior.scale === 0 ? 'scale = 0 leaves the density unbounded as the standard deviation goes to 0' : null;
  }
}

function baseEnv(ctx: PriorContext): PriorEnv {
  return { p: ctx.p, 'n.fixef': ctx.p, n: ctx.n, 'n.obs': ctx.n };
}

/** Binds call arguments to a family's formals (R's matching: by name, then by position). */
function bind(fn: string, args: Arg[], formals: string[], context: string): Map<string, Expr> {
  const out = new Map<string, Expr>();
  const positional: Expr[] = [];
  for (const a of args) {
    if (a.name === null) { positional.push(a.value); continue; }
    const matches = formals.filter((f) => f === a.name);
    const partial = matches.length ? matches : formals.filter((f) => f.startsWith(a.name!));
    if (partial.length !== 1) throw new OptionError('prior', `${context}: unused argument '${a.name}' (${fn}() takes ${formals.join(', ')})`);
    out.set(partial[0], a.value);
  }
  for (const f of formals) {
    if (positional.length === 0) break;
    if (!out.has(f)) out.set(f, positional.shift()!);
  }
  if (positional.length) throw new OptionError('prior', `${context}: too many arguments (${fn}() takes ${formals.join(', ')})`);
  return out;
}

/** An argument's value or its default (a function of the arguments bound before it). */
class Args {
  private readonly env: PriorEnv;
  constructor(private readonly bound: Map<string, Expr>, env: PriorEnv, private readonly context: string) {
    this.env = { ...env };
  }
  has(name: string): boolean { return this.bound.has(name); }
  value(name: string, dflt: () => Value): Value {
    const e = this.bound.get(name);
    return e ? evalExpr(e, this.env, `${this.context}, argument ${name}`) : dflt();
  }
  num(name: string, dflt: () => number): number {
    const v = this.value(name, () => ({ kind: 'vec', v: [dflt()] }));
    if (v.kind !== 'vec' || v.v.length !== 1 || Number.isNaN(v.v[0])) throw new OptionError('prior', `${this.context}: ${name} must be a single number`);
    return v.v[0];
  }
  str<T extends string>(name: string, dflt: T, allowed: readonly T[]): T {
    const v = this.value(name, () => ({ kind: 'str', v: dflt }));
    if (v.kind !== 'str' || !allowed.includes(v.v as T)) throw new OptionError('prior', `${this.context}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
    return v.v as T;
  }
  bool(name: string, dflt: boolean): boolean {
    const v = this.value(name, () => ({ kind: 'bool', v: dflt }));
    if (v.kind === 'bool') return v.v;
    if (v.kind === 'str' && /^(true|TRUE)$/.test(v.v)) return true;
    if (v.kind === 'str' && /^(false|FALSE)$/.test(v.v)) return false;
    throw new OptionError('prior', `${this.context}: ${name} must be TRUE or FALSE`);
  }
  /** binds a later default to an evaluated argument (R's lazy default `scale = shape + 0.05`) */
  set(name: string, x: number): void { this.env[name] = x; }
}

function covPrior(fn: string, callArgs: Arg[], env: PriorEnv, glmm: boolean, context: string, messages: string[]): CovPrior | null {
  const q = env['level.dim'];
  const formals: Record<string, string[]> = glmm
    ? { wishart: ['df', 'scale', 'posterior.scale'], invwishart: ['df', 'scale', 'posterior.scale'], gamma: ['shape', 'rate', 'posterior.scale'], invgamma: ['shape', 'scale', 'posterior.scale'] }
    : { wishart: ['df', 'scale', 'common.scale', 'posterior.scale'], invwishart: ['df', 'scale', 'common.scale', 'posterior.scale'], gamma: ['shape', 'rate', 'common.scale', 'posterior.scale'], invgamma: ['shape', 'scale', 'common.scale', 'posterior.scale'] };
  const a = new Args(bind(fn, callArgs, formals[fn], context), env, context);
  const common = glmm ? true : a.bool('common.scale', true);
  switch (fn) {
    case 'wishart': {
      const df = a.num('df', () => q + 2.5);
      if (df <= q - 1) throw new OptionError('prior', `${context}: wishart dists for degrees of freedom less than or equal to (level.dim - 1) are singular or non-existent (df = ${df}, level.dim = ${q})`);
      const scale = a.value('scale', () => ({ kind: 'vec', v: [Infinity] }));
      const posteriorScale = a.str('posterior.scale', 'cov', ['cov', 'sqrt'] as const);
      const { RScaleInv, logDetScale } = wishartScale(scale, q, context);
      return { family: 'wishart', df, q, RScaleInv, logDetScale, posteriorScale, commonScale: common };
    }
    case 'invwishart': {
      const df = a.num('df', () => (glmm ? q - 0.5 : q - 0.998));
      if (df <= q - 1) throw new OptionError('prior', `${context}: inverse wishart dists for degrees of freedom less than or equal to (level.dim - 1) are singular or non-existent (df = ${df}, level.dim = ${q})`);
      const scale = a.value('scale', () => diagValue(q, glmm ? 100 / (df + q + 1) : df + 0.1));
      const posteriorScale = a.str('posterior.scale', 'cov', ['cov', 'sqrt'] as const);
      const { RScale, logDetScale } = invWishartScale(scale, q, context);
      return { family: 'invwishart', df, q, RScale, logDetScale, posteriorScale, commonScale: common };
    }
    case 'gamma': {
      const shape = a.num('shape', () => 2.5);
      const rate = a.num('rate', () => 0);
      const posteriorScale = a.str('posterior.scale', 'sd', ['sd', 'var'] as const);
      if (q > 1) {
        messages.push('gamma prior applied to multivariate grouping level will be ignored');
        return null;
      }
      if (shape < 0) throw new OptionError('prior', `${context}: gamma prior shape must be positive (shape = ${shape})`);
      if (rate < 0) throw new OptionError('prior', `${context}: gamma prior rate must be positive (rate = ${rate})`);
      return { family: 'gamma', shape, rate, posteriorScale, commonScale: common };
    }
    case 'invgamma': {
      const shape = a.num('shape', () => (glmm ? 0.5 : 0.001));
      a.set('shape', shape);
      const scale = a.num('scale', () => (glmm ? 100 : shape + 0.05));
      const posteriorScale = a.str('posterior.scale', glmm ? 'sd' : 'var', ['sd', 'var'] as const);
      if (q > 1) {
        messages.push('inverse gamma prior applied to multivariate grouping level will be ignored');
        return null;
      }
      if (shape < 0) throw new OptionError('prior', `${context}: invgamma prior shape must be positive (shape = ${shape})`);
      if (scale < 0) throw new OptionError('prior', `${context}: invgamma prior scale must be positive (scale = ${scale})`);
      return { family: 'invgamma', shape, scale, posteriorScale, commonScale: common };
    }
  }
  throw new OptionError('prior', `${context}: unrecognized ranef covariance distribution '${fn}'`);
}

function diagValue(q: number, d: number): Value {
  const v = new Array<number>(q * q).fill(0);
  for (let i = 0; i < q; i++) v[i * q + i] = d;
  return { kind: 'mat', n: q, v };
}

/** A q × q matrix (column-major) from a scalar, a diagonal or a full matrix value. */
function scaleMatrix(scale: Value, q: number, context: string, what: string): { full: Float64Array; form: 'scalar' | 'diag' | 'full' } {
  const v = scale.kind === 'vec' || scale.kind === 'mat' ? scale.v : null;
  if (!v) throw new OptionError('prior', `${context}: ${what} must be numeric`);
  const full = new Float64Array(q * q);
  if (v.length === 1) {
    for (let i = 0; i < q; i++) full[i * q + i] = v[0];
    return { full, form: 'scalar' };
  }
  if (v.length === q && scale.kind === 'vec') {
    for (let i = 0; i < q; i++) full[i * q + i] = v[i];
    return { full, form: 'diag' };
  }
  if (v.length !== q * q) throw new OptionError('prior', `${context}: ${what} of improper length ${v.length} (1, ${q} or ${q * q} values for a term with ${q} columns)`);
  full.set(v);
  return { full, form: 'full' };
}

/** Upper-triangular R with RᵀR = M (column-major), or an error. */
function cholUpper(M: Float64Array, q: number, context: string, what: string): Float64Array {
  const R = new Float64Array(q * q);
  for (let j = 0; j < q; j++) {
    for (let i = 0; i <= j; i++) {
      let s = M[j * q + i];
      for (let k = 0; k < i; k++) s -= R[i * q + k] * R[j * q + k];
      if (i === j) {
        if (!(s > 0)) throw new OptionError('prior', `${context}: ${what} is not positive definite`);
        R[j * q + j] = Math.sqrt(s);
      } else {
        R[j * q + i] = s / R[i * q + i];
      }
    }
  }
  return R;
}

function wishartScale(scale: Value, q: number, context: string): { RScaleInv: Float64Array; logDetScale: number } {
  const { full, form } = scaleMatrix(scale, q, context, 'wishart prior scale');
  let RScaleInv: Float64Array = new Float64Array(q * q);
  let logDetScale: number | null = null;
  if (form === 'scalar' || form === 'diag') {
    for (let i = 0; i < q; i++) {
      const s = full[i * q + i];
      if (s < 0) throw new OptionError('prior', `${context}: wishart prior scale negative definite`);
      RScaleInv[i * q + i] = 1 / Math.sqrt(s); // Inf → 0
    }
    if (form === 'scalar' && full[0] === Infinity) logDetScale = Infinity;
  } else if (Array.from(full).every((x) => x === Infinity)) {
    logDetScale = Infinity;
  } else {
    RScaleInv = invertUpper(cholUpper(full, q, context, 'wishart prior scale'), q);
  }
  if (logDetScale === null) {
    let s = 0;
    for (let i = 0; i < q; i++) s += Math.log(RScaleInv[i * q + i]);
    logDetScale = -2 * s;
  }
  return { RScaleInv, logDetScale };
}

function invWishartScale(scale: Value, q: number, context: string): { RScale: Float64Array; logDetScale: number } {
  const { full, form } = scaleMatrix(scale, q, context, 'inverse wishart prior scale');
  let RScale: Float64Array = new Float64Array(q * q);
  if (form === 'scalar' || form === 'diag') {
    for (let i = 0; i < q; i++) {
      const s = full[i * q + i];
      if (s < 0) throw new OptionError('prior', `${context}: inverse wishart prior scale negative definite`);
      RScale[i * q + i] = Math.sqrt(s);
    }
  } else if (!Array.from(full).every((x) => x === 0)) {
    RScale = cholUpper(full, q, context, 'inverse wishart prior scale');
  }
  let s = 0;
  for (let i = 0; i < q; i++) s += Math.log(RScale[i * q + i]);
  return { RScale, logDetScale: 2 * s };
}

function evaluateFixef(text: string, ctx: PriorContext): FixefPrior | null {
  const e = parsePriorExpr(text);
  if (e.kind === 'null') return null;
  const { fn, args } = asCall(e, `fixef.prior '${text}'`, FIXEF_FAMILIES);
  if (!FIXEF_FAMILIES.includes(fn)) throw new OptionError('prior', `fixef.prior '${text}': unrecognized fixef distribution '${fn}' (one of ${FIXEF_FAMILIES.join(', ')})`);
  if (fn === 'flat') return null;
  const p = ctx.p;
  const context = `fixef.prior ${fn}(...)`;
  if (p === 0) throw new OptionError('prior', `${context}: the model has no fixed effects`);
  const env = baseEnv(ctx);
  if (fn === 'normal') {
    const a = new Args(bind(fn, args, ctx.glmm ? ['sd', 'cov'] : ['sd', 'cov', 'common.scale'], context), env, context);
    const common = ctx.glmm ? false : a.bool('common.scale', true);
    let cov: Float64Array;
    if (a.has('cov')) {
      cov = scaleMatrix(a.value('cov', () => ({ kind: 'null' })), p, context, 'normal prior covariance').full;
    } else {
      const sdv = a.value('sd', () => ({ kind: 'vec', v: [10, 2.5] }));
      if (sdv.kind !== 'vec') throw new OptionError('prior', `${context}: sd must be a numeric vector`);
      const sd = sdv.v;
      const vars = sd.length === 1 ? new Array(p).fill(sd[0] ** 2)
        : sd.length === 2 && p > 2 ? [sd[0] ** 2, ...new Array(p - 1).fill(sd[1] ** 2)]
          : Array.from({ length: p }, (_, i) => sd[i % sd.length] ** 2);
      cov = new Float64Array(p * p);
      vars.forEach((v, i) => { cov[i * p + i] = v; });
    }
    for (let i = 0; i < p; i++) for (let j = 0; j < i; j++) if (cov[i * p + j] !== cov[j * p + i]) throw new OptionError('prior', `${context}: normal covariance not symmetric`);
    let RCovInv: Float64Array;
    const diagOnly = (() => { for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) if (i !== j && cov[i * p + j] !== 0) return false; return true; })();
    if (Array.from({ length: p }, (_, i) => cov[i * p + i]).some((x) => x === Infinity)) {
      if (!diagOnly) throw new OptionError('prior', `${context}: normal prior covariance infinite`);
      RCovInv = new Float64Array(p * p);
      for (let i = 0; i < p; i++) RCovInv[i * p + i] = 1 / Math.sqrt(cov[i * p + i]);
    } else {
      RCovInv = invertUpper(cholUpper(cov, p, context, 'normal prior covariance'), p);
    }
    return { family: 'normal', p, RCovInv, commonScale: common };
  }
  const a = new Args(bind(fn, args, ctx.glmm ? ['df', 'mean', 'scale'] : ['df', 'mean', 'scale', 'common.scale'], context), env, context);
  const common = ctx.glmm ? false : a.bool('common.scale', true);
  const df = a.num('df', () => 3);
  if (!(df > 0)) throw new OptionError('prior', `${context}: t prior requires positive degrees of freedom (df = ${df})`);
  const meanV = a.value('mean', () => ({ kind: 'vec', v: [0] }));
  if (meanV.kind !== 'vec') throw new OptionError('prior', `${context}: mean must be numeric`);
  const m = meanV.v;
  let mean: number[];
  if (m.length === 1) mean = new Array(p).fill(m[0]);
  else if (m.length === 2 && p > 1) mean = [m[0], ...new Array(p - 1).fill(m[1])];
  else if (m.length === p) mean = m;
  else throw new OptionError('prior', `${context}: t prior mean of improper length ${m.length} (1, 2 or ${p})`);
  const scaleV = a.value('scale', () => ({ kind: 'vec', v: [100, 6.25] }));
  if (scaleV.kind !== 'vec' && scaleV.kind !== 'mat') throw new OptionError('prior', `${context}: scale must be numeric`);
  const s = scaleV.v;
  const scale = new Float64Array(p * p);
  if (s.length === 1) for (let i = 0; i < p; i++) scale[i * p + i] = s[0];
  else if (s.length === 2 && p > 1 && scaleV.kind === 'vec') for (let i = 0; i < p; i++) scale[i * p + i] = i === 0 ? s[0] : s[1];
  else if (s.length === p && scaleV.kind === 'vec') for (let i = 0; i < p; i++) scale[i * p + i] = s[i];
  else if (s.length === p * p) scale.set(s);
  else throw new OptionError('prior', `${context}: t prior scale of improper length ${s.length}`);
  let RScaleInv: Float64Array;
  let d = p;
  if (Array.from({ length: p }, (_, i) => scale[i * p + i]).some((x) => x === Infinity)) {
    RScaleInv = new Float64Array(p * p);
    d = 0;
    for (let i = 0; i < p; i++) {
      RScaleInv[i * p + i] = 1 / Math.sqrt(scale[i * p + i]);
      if (Number.isFinite(scale[i * p + i])) d++;
    }
  } else {
    RScaleInv = invertUpper(cholUpper(scale, p, context, 't prior scale'), p);
  }
  return { family: 't', p, df, mean: Float64Array.from(mean), d, RScaleInv, commonScale: common };
}

function evaluateResid(text: string, ctx: PriorContext): ResidPrior | null {
  const e = parsePriorExpr(normalizeText(text));
  if (e.kind === 'null') return null;
  const { fn, args } = asCall(e, `resid.prior '${text}'`, RESID_FAMILIES);
  if (!RESID_FAMILIES.includes(fn)) throw new OptionError('prior', `resid.prior '${text}': unrecognized residual variance distribution '${fn}' (one of ${RESID_FAMILIES.join(', ')})`);
  if (fn === 'flat') return null;
  const context = `resid.prior ${fn}(...)`;
  const env = baseEnv(ctx);
  if (fn === 'point') {
    const a = new Args(bind(fn, args, ['value', 'posterior.scale'], context), env, context);
    let value = a.num('value', () => 1);
    const ps = a.str('posterior.scale', 'sd', ['sd', 'var'] as const);
    if (ps === 'var') value = Math.sqrt(value);
    if (!(value > 0)) throw new OptionError('prior', `${context}: residual variance must be positive (value = ${value})`);
    return { family: 'point', value };
  }
  if (fn === 'gamma') {
    const a = new Args(bind(fn, args, ['shape', 'rate', 'posterior.scale'], context), env, context);
    const shape = a.num('shape', () => 0), rate = a.num('rate', () => 0);
    const posteriorScale = a.str('posterior.scale', 'var', ['sd', 'var'] as const);
    if (shape < 0) throw new OptionError('prior', `${context}: gamma prior shape must be positive (shape = ${shape})`);
    if (rate < 0) throw new OptionError('prior', `${context}: gamma prior rate must be positive (rate = ${rate})`);
    return { family: 'gamma', shape, rate, posteriorScale, commonScale: false };
  }
  const a = new Args(bind(fn, args, ['shape', 'scale', 'posterior.scale'], context), env, context);
  const shape = a.num('shape', () => 0), scale = a.num('scale', () => 0);
  const posteriorScale = a.str('posterior.scale', 'var', ['sd', 'var'] as const);
  if (shape < 0) throw new OptionError('prior', `${context}: invgamma prior shape must be positive (shape = ${shape})`);
  if (scale < 0) throw new OptionError('prior', `${context}: invgamma prior scale must be positive (scale = ${scale})`);
  return { family: 'invgamma', shape, scale, posteriorScale, commonScale: false };
}

/** R's round(x, digits) printed as paste() prints a number. */
function rnum(x: number, digits: number): string {
  if (x === Infinity) return 'Inf';
  if (x === -Infinity) return '-Inf';
  const f = 10 ** digits;
  const r = Math.round(x * f) / f;
  const s = String(Number(r.toPrecision(15)));
  return /e/.test(s) ? s.replace(/e([+-])(\d)$/, 'e$10$2') : s;
}

function matString(M: Float64Array, q: number, digits: number): string {
  if (q === 1) return rnum(M[0], digits);
  const vals = Array.from(M).map((x) => rnum(x, digits));
  return q > 2 ? `c(${vals.slice(0, 3).join(', ')}, ...)` : `c(${vals.join(', ')})`;
}

/** blme's toString of a prior (as its summary prints it; digits = 4 there). */
export function priorToString(prior: CovPrior | FixefPrior | ResidPrior, digits = 4, includeCommonScale = true): string {
  switch (prior.family) {
    case 'wishart': {
      const q = prior.q;
      const diag = Array.from({ length: q }, (_, i) => prior.RScaleInv[i * q + i]);
      let scale: string;
      if (diag.some((x) => x === 0)) scale = 'Inf';
      else {
        const inv = invertUpper(prior.RScaleInv, q);
        scale = matString(crossprod(inv, q), q, digits);
      }
      return `wishart(df = ${rnum(prior.df, digits)}, scale = ${scale}, posterior.scale = ${prior.posteriorScale}, common.scale = ${prior.commonScale ? 'TRUE' : 'FALSE'})`;
    }
    case 'invwishart': {
      const q = prior.q;
      const diag = Array.from({ length: q }, (_, i) => prior.RScale[i * q + i]);
      // scale = RᵀR
      const scale = diag.some((x) => x === 0) ? '0' : matString(crossprod(prior.RScale, q), q, digits);
      return `invwishart(df = ${rnum(prior.df, digits)}, scale = ${scale}, posterior.scale = ${prior.posteriorScale}, common.scale = ${prior.commonScale ? 'TRUE' : 'FALSE'})`;
    }
    case 'gamma':
      return `gamma(shape = ${rnum(prior.shape, digits)}, rate = ${rnum(prior.rate, digits)}, posterior.scale = ${prior.posteriorScale}${includeCommonScale ? `, common.scale = ${prior.commonScale ? 'TRUE' : 'FALSE'}` : ''})`;
    case 'invgamma':
      return `invgamma(shape = ${rnum(prior.shape, digits)}, scale = ${rnum(prior.scale, digits)}, posterior.scale = ${prior.posteriorScale}${includeCommonScale ? `, common.scale = ${prior.commonScale ? 'TRUE' : 'FALSE'}` : ''})`;
    case 'point':
      return `point(value = ${rnum(prior.value, digits)})`;
    case 'normal': {
      const p = prior.p;
      const dg = Array.from({ length: p }, (_, i) => prior.RCovInv[i * p + i]);
      let sds: number[], corr: number[];
      if (dg.some((x) => x === 0)) {
        sds = dg.map((x) => 1 / x);
        corr = new Array(Math.max(0, (p * (p - 1)) / 2)).fill(0);
      } else {
        const R = invertUpper(prior.RCovInv, p);
        const cov = crossprod(R, p);
        sds = Array.from({ length: p }, (_, i) => Math.sqrt(cov[i * p + i]));
        corr = [];
        for (let j = 0; j < p; j++) for (let i = j + 1; i < p; i++) corr.push(cov[j * p + i] / (sds[i] * sds[j]));
      }
      const s = sds.map((x) => rnum(x, digits));
      const c = corr.map((x) => rnum(x, digits));
      const covString = p > 2 ? `sd = c(${s.slice(0, 2).join(', ')}, ...), corr = c(${c[0]} ...)`
        : p === 2 ? `sd = c(${s.join(', ')}), corr = ${c[0]}` : `sd = ${s[0]}`;
      return `normal(${covString}, common.scale = ${prior.commonScale ? 'TRUE' : 'FALSE'})`;
    }
    case 't': {
      const p = prior.p;
      const R = prior.d !== p ? null : invertUpper(prior.RScaleInv, p);
      const scale = R ? crossprod(R, p) : Float64Array.from({ length: p * p }, (_, e) => (e % (p + 1) === 0 ? 1 / prior.RScaleInv[e] ** 2 : 0));
      const mean = Array.from(prior.mean).map((x) => rnum(x, digits));
      const meanString = mean.length > 4 ? `mean = c(${mean.slice(0, 4).join(', ')}, ...)` : mean.length === 1 ? `mean = ${mean[0]}` : `mean = c(${mean.join(', ')})`;
      const offDiagZero = Array.from(scale).every((x, e) => e % (p + 1) === 0 || x === 0);
      let scaleString: string;
      if (offDiagZero) {
        const d = Array.from({ length: p }, (_, i) => rnum(scale[i * p + i], digits));
        scaleString = d.length > 4 ? `diag(scale) = c(${d.slice(0, 4).join(', ')}, ...` : d.length === 1 ? `scale = ${d[0]}` : `diag(scale) = c(${d.join(', ')})`;
      } else {
        const v = Array.from(scale).map((x) => rnum(x, digits));
        scaleString = p > 2 ? `scale = c(${v.slice(0, 4).join(', ')}, ...)` : `scale = c(${v.join(', ')})`;
      }
      return `t(df = ${prior.df}, ${meanString}, ${scaleString}, common.scale = ${prior.commonScale ? 'TRUE' : 'FALSE'})`;
    }
  }
}

/**
 * The lines blme's summary prints before the model (printPriors): one per grouping factor with a
 * prior (the terms of one factor share it: blme assigns priors by factor name), the fixed effects'
 * and the residual's.
 */
export function priorLines(priors: ModelPriors, terms: PriorTerm[], digits = 4): string[] {
  const seen = new Set<string>();
  const cov = priors.cov.flatMap((p, i) => {
    if (seen.has(terms[i].group)) return [];
    seen.add(terms[i].group);
    return p ? [`${terms[i].group} ~ ${priorToString(p, digits)}`] : [];
  });
  const lines = cov.map((s, i) => (i === 0 ? `Cov prior  : ${s}` : `           : ${s}`));
  if (priors.fixef) lines.push(`Fixef prior: ${priorToString(priors.fixef, digits)}`);
  if (priors.resid) lines.push(`Resid prior: ${priorToString(priors.resid, digits, false)}`);
  return lines;
}

