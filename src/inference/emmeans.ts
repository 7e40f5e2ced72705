/**
 * Estimated marginal means (emmeans::emmeans) of lmer and glmer fits and their contrasts.
 *
 * An EMM is a linear function of β: the reference grid's model-matrix rows (src/inference/
 * referenceGrid.ts) at the values of the `specs` (and `by`) variables, averaged over the other
 * variables' values with equal weights (or the data's frequencies: proportional, outer, cells, flat),
 *   ℓ_s = Σ_o w_{s,o} x_{s,o},   EMM_s = ℓ_sᵀβ̂ + offset_s,   SE_s = √(ℓ_sᵀ V ℓ_s),
 * with V and the df as emmeans takes them for each fit:
 *   lmer, kenward-roger (REML fits' default): V = Φ_A, pbkrtest's adjusted covariance, and
 *     pbkrtest's Lb_ddf for ℓ (src/inference/contest.ts krDdf);
 *   lmer ML fits, kenward-roger (emmeans's default; needs the REML refit, `remlRefit`): pbkrtest's
 *     vcovAdj refits with REML, so V = the refit's Φ_A and ν = Lb_ddf(ℓ, Var_ML(β̂), Φ_A): the refit's
 *     P_i and W with the ML fit's Var(β̂) as V0; the means ℓᵀβ̂ are the ML fit's;
 *   lmer, satterthwaite (ML fits' default without a REML refit): V = Var(β̂), lmerTest's ν = 2 (ℓᵀVℓ)² / (gᵀ A g);
 *   asymptotic, and every glmer fit: V = Var(β̂), ν = ∞ (z statistics).
 * (emmeans gives up on Kenward–Roger and Satterthwaite above 3,000 observations, pbkrtest.limit and
 * lmerTest.limit; here they are computed at any size.)
 * Intervals are EMM ± c SE with c the t (or z) quantile, or an adjusted one (src/inference/
 * emmAdjust.ts). A contrast is Σ_s c_s EMM_s, tested against 0 within each `by` group with the
 * family's adjustment. A mean whose ℓ is outside the row space of the full model matrix (a fit with
 * aliased columns, e.g. an empty cell) is not estimable: NaN, as emmeans's "nonEst".
 * On the response scale (type 'response': glmer's link, or an lmer response given as log(y), log2,
 * log10, log1p, sqrt or exp, emmeans's response transformations) a mean is g⁻¹(EMM) with SE
 * |dμ/dη| SE_η and the interval's ends transformed; true contrasts of a log or logit scale are
 * ratios (odds ratios) g⁻¹(c), tested on the transformed scale; other contrasts stay on it, as
 * emmeans's (with its note).
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import type { Formula } from '../formula/types.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import type { GlmFamily } from '../glmm/family.js';
import { type DdfContext, contest1D, krDdf } from './contest.js';
import { type AdjustMethod, type Family, adjustPValues, checkAdjust, criticalValues } from './emmAdjust.js';
import { type ContrastMethod, type ContrastMethodOptions, contrastFamily } from './emmContrasts.js';
import { ddfContext } from './fitInference.js';
import { type AtValues, type GridValue, type GridVariable, type ReferenceGrid, digit, gridSizes, isEstimable, referenceGrid } from './referenceGrid.js';
import { termVariables } from '../frame/covariates.js';
import { formatEmmTable } from './emmPrint.js';

export type EmmDdf = 'kenward-roger' | 'satterthwaite' | 'asymptotic';
/**
 * how a grid's df were found: an lmer ddf method, asymptotic (z), a glmmTMB fit's residual df (n −
 * number of parameters, emm_basis.glmmTMB's), or an nlme fit's mode (src/nlme/emmeans.ts: lme's
 * containment, gls's df.error, and lme's df = Inf, which emmeans labels 'fixed')
 */
export type EmmInferenceMethod = EmmDdf | 'residual' | 'containment' | 'df.error' | 'fixed' | RegridMethod;
/** a regridded grid's df method (emmeans's regrid: the means' own df, each contrast's the smallest among its means') */
export type RegridMethod = `inherited from ${EmmDdf | 'residual' | 'containment' | 'df.error' | 'fixed'} when re-gridding`;
export type EmmWeights = 'equal' | 'proportional' | 'outer' | 'cells' | 'flat';

export interface EmmeansOptions {
  /** variables whose levels form separate groups (emmeans's `by`; also `'~ A | B'` in specs; `'~ 1'` is the overall mean) */
  by?: string | string[];
  /** values of some variables of the reference grid: covariates' values, some of a factor's levels */
  at?: AtValues;
  /** how to average over the other variables (default 'equal') */
  weights?: EmmWeights;
  /**
   * lmer's df method (default: kenward-roger for REML fits and for ML fits given their `remlRefit`, as
   * emmeans's default; satterthwaite for ML fits without one); glmer: asymptotic
   */
  ddf?: EmmDdf;
  /**
   * an ML fit's REML refit (`await fit.remlFit()`), for Kenward–Roger's df as emmeans computes them on
   * an ML fit: pbkrtest's vcovAdj refits with REML, so V is the refit's adjusted covariance Φ_A and ν is
   * pbkrtest's Lb_ddf with the ML fit's Var(β̂); the means are the ML fit's
   */
  remlRefit?: LmmFit;
  /** 'link' (default) or 'response': back-transformed means of a glmer link or a transformed lmer response (log(y), sqrt(y), …), ratios of a log or logit scale */
  type?: 'link' | 'response';
  /** confidence level (default 0.95) */
  level?: number;
  /** the multiplicity adjustment of the means' intervals (default 'none') */
  adjust?: AdjustMethod;
  /** a constant offset in place of the reference grid's (emmeans's `offset`) */
  offset?: number;
}

/** One estimated marginal mean. */
export interface EmmRow {
  /** the specs' and by variables' values, by name */
  levels: Record<string, GridValue>;
  /** the mean on the link scale (lmer: the response's) */
  emmean: number;
  SE: number;
  df: number;
  lower: number;
  upper: number;
  /** on glmer's response scale: g⁻¹(emmean), its SE and interval (emmeans's prob, rate or response) */
  response?: number;
  responseSE?: number;
  responseLower?: number;
  responseUpper?: number;
}

export interface ContrastRow {
  contrast: string;
  /** the by variables' values */
  by: Record<string, GridValue>;
  estimate: number;
  SE: number;
  df: number;
  lower: number;
  upper: number;
  /** t (or z, df = ∞) ratio and its adjusted p-value */
  ratio: number;
  p: number;
  /** on a ratio scale (glmer, log or logit link, type 'response'): exp(estimate), its SE and interval */
  response?: number;
  responseSE?: number;
  responseLower?: number;
  responseUpper?: number;
}

export interface ContrastOptions extends ContrastMethodOptions {
  adjust?: AdjustMethod;
  level?: number;
  /** override the grid's by variables ([] for none) */
  by?: string | string[];
}

/** What the linear functions' inference needs: V and ν(ℓ). */
export interface Inference {
  method: EmmInferenceMethod;
  V: Float64Array;
  p: number;
  df(l: Float64Array): number;
}

/**
 * The scale of the means: a glmer fit's link, or an lmer fit's transformed response (`log(y)`,
 * `sqrt(y)`, …, emmeans's response transformations); `tran` null where there is none (an identity
 * link, an untransformed response).
 */
export interface Scale {
  /** emmeans's name of the transformation (logit, probit, log, log2, sqrt, 1/mu^2, …), or null */
  tran: string | null;
  /** the inverse transformation and its derivative */
  linkinv(eta: number): number;
  muEta(eta: number): number;
  /** emmeans's label of the response-scale mean: prob, rate or response */
  label: string;
  /** the ratio contrasts of a log or logit scale: their label and the scale they are tested on */
  ratio: { label: string; scale: string } | null;
}

/** emmeans's response transformations of an lmer formula's response (a function of one variable) */
const RESPONSE_TRANSFORMS: Record<string, { linkinv(x: number): number; muEta(x: number): number }> = {
  log: { linkinv: Math.exp, muEta: Math.exp },
  log2: { linkinv: (x) => Math.pow(2, x), muEta: (x) => Math.pow(2, x) * Math.LN2 },
  log10: { linkinv: (x) => Math.pow(10, x), muEta: (x) => Math.pow(10, x) * Math.LN10 },
  log1p: { linkinv: Math.expm1, muEta: Math.exp },
  sqrt: { linkinv: (x) => x * x, muEta: (x) => 2 * x },
  exp: { linkinv: Math.log, muEta: (x) => 1 / x },
};

function toList(x: string | string[] | undefined, what: string): string[] {
  if (x === undefined) return [];
  const list = Array.isArray(x) ? x : [x];
  for (const v of list) if (typeof v !== 'string' || v.length === 0) throw new OptionError(what, `${what} must be variable names, not ${showValue(x)}`);
  return list;
}

/** `'~ A'`, `'~ A * B'`, `'A + B'`, `'~ A | B'` or ['A', 'B'] → the specs and by variables. */
export function parseSpecs(specs: unknown, by: unknown): { specs: string[]; by: string[] } {
  let s: string[], b: string[] = toList(by as string | string[] | undefined, 'by');
  if (Array.isArray(specs)) s = toList(specs as string[], 'specs');
  else if (typeof specs === 'string') {
    const text = specs.trim();
    const tilde = text.indexOf('~');
    if (tilde > 0) throw new OptionError('specs', `specs '${specs}': a left-hand side (emmeans's 'pairwise ~ A') is not taken here: call .pairs() or .contrast('pairwise') on the result of emmeans('~ ${text.slice(tilde + 1).trim()}')`);
    const rhs = tilde === 0 ? text.slice(1) : text;
    const [left, right, extra] = rhs.split('|');
    if (extra !== undefined) throw new OptionError('specs', `specs '${specs}' has more than one '|'`);
    const names = (part: string) => part.split(/[+*:]/).map((x) => x.trim()).filter((x) => x.length > 0);
    s = names(left);
    if (right !== undefined) b = [...names(right), ...b];
    if (s.length === 0) throw new OptionError('specs', `specs '${specs}' names no variable`);
  } else throw new OptionError('specs', `specs must be a formula such as '~ A' or '~ A | B', or an array of variable names, not ${showValue(specs)}`);
  const dup = [...s, ...b].find((v, i, all) => all.indexOf(v) !== i);
  if (dup) throw new OptionError('specs', `'${dup}' is named twice among the specs and by variables`);
  return { specs: s, by: b };
}

const isLmm = (fit: LmmFit | GlmmFit): fit is LmmFit => !('family' in fit.model);

const maxLength = (groups: number[][]) => Math.max(...groups.map((g) => g.length));

/**
 * The family of some estimates for the adjustments: `byRows` indexes `functions` by `by` group, with
 * famSize means in a family and, for Scheffé, each group's rank of its linear functions.
 */
function familyOf(byRows: number[][], functions: LinearFunction[], pairs: boolean, famSize: number, inference: Inference): Family {
  return { famSize, byRows, pairs, schefferRank: byRows.map((rows) => rank(rows.map((r) => functions[r].l))), corr: (rows) => correlationOf(rows.map((r) => functions[r].l), inference) };
}

/** cov2cor(L V Lᵀ) of some linear functions (rows of L), row-major: mvt's correlation (emmeans's corrmat) */
function correlationOf(L: Float64Array[], inference: Inference): Float64Array {
  const m = L.length, p = inference.p, V = inference.V;
  const VL = L.map((l) => {
    const out = new Float64Array(p);
    for (let a = 0; a < p; a++) { let s = 0; for (let b = 0; b < p; b++) s += V[a * p + b] * l[b]; out[a] = s; }
    return out;
  });
  const C = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) { let s = 0; for (let a = 0; a < p; a++) s += L[i][a] * VL[j][a]; C[i * m + j] = s; }
  const d = Array.from({ length: m }, (_, i) => Math.sqrt(C[i * m + i]));
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) C[i * m + j] = i === j ? 1 : C[i * m + j] / (d[i] * d[j]);
  return C;
}

/** the rank of some linear functions (R's qr rank, tolerance 1e-7 of the largest norm; non-estimable ones left out) */
function rank(rows: Float64Array[]): number {
  const basis: Float64Array[] = [];
  const scale = Math.max(1e-300, ...rows.map((r) => Math.sqrt(r.reduce((s, x) => s + x * x, 0))));
  for (const r0 of rows) {
    if (r0.some((x) => Number.isNaN(x))) continue;
    const r = Float64Array.from(r0);
    for (let pass = 0; pass < 2; pass++) for (const b of basis) {
      let d = 0;
      for (let a = 0; a < r.length; a++) d += b[a] * r[a];
      for (let a = 0; a < r.length; a++) r[a] -= d * b[a];
    }
    const nr = Math.sqrt(r.reduce((s, x) => s + x * x, 0));
    if (nr > 1e-7 * scale) basis.push(r.map((x) => x / nr));
  }
  return basis.length;
}

export function inferenceOf(fit: LmmFit | GlmmFit, ddf: EmmDdf | undefined, messages: string[], remlRefit?: LmmFit): Inference {
  const p = fit.model.frame.p;
  const vcov = Float64Array.from(fit.vcov.flat());
  const asymptotic: Inference = { method: 'asymptotic', V: vcov, p, df: () => Infinity };
  if (!isLmm(fit)) {
    if (remlRefit !== undefined) throw new OptionError('remlRefit', 'remlRefit is for ML lmer fits (their Kenward-Roger df); a glmer fit\'s means have asymptotic (z) inference');
    if (ddf !== undefined && ddf !== 'asymptotic') throw new OptionError('ddf', `ddf '${ddf}' is for lmer fits; a glmer fit's means have asymptotic (z) inference`);
    return asymptotic;
  }
  if (ddf !== undefined && !['kenward-roger', 'satterthwaite', 'asymptotic'].includes(ddf)) {
    throw new OptionError('ddf', `ddf must be 'kenward-roger', 'satterthwaite' or 'asymptotic', not ${showValue(ddf)}`);
  }
  if (remlRefit !== undefined) checkRemlRefit(fit, remlRefit);
  const method: EmmDdf = ddf ?? (offCriterion(fit) ? 'asymptotic' : fit.reml || remlRefit ? 'kenward-roger' : 'satterthwaite');
  if (method === 'asymptotic') return asymptotic;
  if (method === 'kenward-roger' && !fit.reml) {
    // emmeans on an ML fit: pbkrtest's vcovAdj refits with REML, and Lb_ddf takes the ML fit's Var(β̂)
    // as V0 beside the refit's P_i and W: V = the refit's Φ_A, ν(ℓ) = Lb_ddf(ℓ, Var_ML(β̂), Φ_A)
    if (!remlRefit) {
      throw new OptionError('ddf', "Kenward-Roger's df of an ML fit come from its REML refit, as emmeans's (pbkrtest's vcovAdj refits the model with REML): pass remlRefit: await fit.remlFit(), or use ddf 'satterthwaite'");
    }
    const { ctx, messages: m } = ddfContext(remlRefit, 'kenward-roger');
    messages.push(...m);
    if (ctx.method !== 'kenward-roger') {
      const sat = ddfContext(fit, 'satterthwaite');
      messages.push(...sat.messages);
      return contextInference(sat.ctx, p);
    }
    const kr = ctx.kr;
    return { method: 'kenward-roger', V: kr.PhiA, p, df: (l) => krDdf(kr, [Array.from(l)], vcov).df2 };
  }
  const { ctx, messages: m } = ddfContext(fit, method);
  messages.push(...m);
  return contextInference(ctx, p);
}

/** fits off lme4's criterion (priors, a fixed σ) have no ddf method: asymptotic unless one is asked for */
const offCriterion = (fit: LmmFit) => fit.sigmaFixed || fit.annotation !== undefined;

/**
 * Whether emmeans's df for this fit and `ddf` come from the model's REML refit: Kenward–Roger, asked
 * for or emmeans's default, on an lmer ML fit on lme4's criterion (pass `remlRefit: await fit.remlFit()`).
 */
export function needsRemlRefit(fit: LmmFit | GlmmFit, ddf: EmmDdf | undefined): boolean {
  return isLmm(fit) && !fit.reml && !offCriterion(fit) && (ddf === undefined || ddf === 'kenward-roger');
}

/** `remlRefit` must be the REML fit of the fit's own model: same formula, rows and fixed effects. */
function checkRemlRefit(fit: LmmFit, reml: unknown): asserts reml is LmmFit {
  const r = reml as LmmFit;
  const why = reml === null || typeof reml !== 'object' || !('model' in reml) || !('reml' in reml) || 'family' in r.model ? 'it is not an lmer fit'
    : !r.reml ? 'it is not a REML fit'
    : fit.reml ? 'the fit is itself a REML fit (leave remlRefit out)'
    : r.model.formula.text !== fit.model.formula.text ? `its formula '${r.model.formula.text}' is not the fit's '${fit.model.formula.text}'`
    : r.model.frame.n !== fit.model.frame.n || r.model.frame.p !== fit.model.frame.p || r.model.frame.xnames.some((x, j) => x !== fit.model.frame.xnames[j]) ? 'its rows or fixed effects are not the fit\'s'
    : null;
  if (why) throw new OptionError('remlRefit', `remlRefit must be the REML fit of the same model (await fit.remlFit()): ${why}`);
}

function contextInference(ctx: DdfContext, p: number): Inference {
  if (ctx.method === 'kenward-roger') return { method: 'kenward-roger', V: ctx.kr.PhiA, p, df: (l) => krDdf(ctx.kr, [Array.from(l)]).df2 };
  return { method: 'satterthwaite', V: ctx.sat.vcovBeta, p, df: (l) => contest1D(ctx, l).df };
}

/** emmeans's ratio contrasts of a transformed scale: odds ratios of a logit, ratios of a log, log2 or log10 */
const ratioOf = (tran: string): Scale['ratio'] => (tran === 'logit' ? { label: 'odds.ratio', scale: 'log odds ratio' } : ['log', 'log2', 'log10'].includes(tran) ? { label: 'ratio', scale: tran } : null);

/** the untransformed scale (an identity link, a response without a transformation) */
export const IDENTITY_SCALE: Scale = { tran: null, linkinv: (x) => x, muEta: () => 1, label: 'response', ratio: null };

/** a grid regridded with transform 'log' (emmeans's tran 'log', inv.lbl 'response'): exp back-transforms, contrasts are ratios */
const LOG_REGRID_SCALE: Scale = { tran: 'log', ...RESPONSE_TRANSFORMS.log, label: 'response', ratio: ratioOf('log') };

/**
 * emmeans's regrid transforms that apply to these grids: 'response' (the default), its synonyms 'unlink'
 * and 'mu' (which differ from it only for a grid with a second transformation, emmeans's tran2, which no
 * grid here has), 'log', and 'none'; true and false as 'response' and 'none', as emmeans takes them.
 */
export type RegridTransform = 'response' | 'unlink' | 'mu' | 'log' | 'none';
export interface RegridOptions {
  /** how the new grid's means are shown (emmeans's predict.type): 'link' or 'response'; default the grid's own type */
  predictType?: 'link' | 'response';
}
const REGRID_TRANSFORMS: readonly string[] = ['response', 'unlink', 'mu', 'log', 'none'];
/** emmeans's other regrid transforms, refused by name */
const REGRID_REFUSED: Record<string, string> = {
  pass: "'pass' returns the grid unchanged: leave regrid out",
  ...Object.fromEntries(['logit', 'probit', 'cauchit', 'cloglog', 'log10', 'log2', 'sqrt', '1/mu^2', 'inverse'].map((l) => [l, `regridding to the '${l}' scale is not supported (of emmeans's links, only 'log' is: ratios of the response-scale means)`])),
};

/** a regrid transform, checked: one of REGRID_TRANSFORMS, or true/false; the others refused by name */
export function checkRegridTransform(transform: unknown): RegridTransform {
  if (transform === true) return 'response';
  if (transform === false) return 'none';
  if (typeof transform === 'string' && REGRID_TRANSFORMS.includes(transform)) return transform as RegridTransform;
  const why = typeof transform === 'string' ? REGRID_REFUSED[transform] : undefined;
  throw new OptionError('transform', `regrid transform ${typeof transform === 'string' ? `'${transform}'` : showValue(transform)}${why ? `: ${why}` : ' is not one of emmeans\'s'}; choose 'response' (the default), 'unlink', 'mu', 'log' or 'none'`);
}

/**
 * The scale of a linear model's means from its formula's response (emmeans's response transformations:
 * `log(y)`, `log2`, `log10`, `log1p`, `sqrt`, `exp` of one variable); the identity otherwise.
 */
export function responseScale(response: Formula['response']): Scale {
  const r = response;
  const t = r.kind === 'expr' && r.expr.type === 'call' && r.expr.args.length === 1 && r.expr.args[0].type === 'var' ? RESPONSE_TRANSFORMS[r.expr.fn] : undefined;
  if (!t || r.kind !== 'expr' || r.expr.type !== 'call') return IDENTITY_SCALE;
  return { tran: r.expr.fn, ...t, label: 'response', ratio: ratioOf(r.expr.fn) };
}

/**
 * The scale of a GLM family's means (emmeans's .std.link.labels): the link as the transformation (none for
 * identity), the mean labelled prob (binomial), rate (poisson) or response.
 */
export function linkScale(fam: Pick<GlmFamily, 'family' | 'link' | 'linkinv' | 'muEta'>): Scale {
  const label = fam.family === 'binomial' ? 'prob' : fam.family === 'poisson' ? 'rate' : 'response';
  const tran = fam.link === 'identity' ? null : fam.link;
  return { tran, linkinv: (x) => fam.linkinv(x), muEta: (x) => fam.muEta(x), label, ratio: tran ? ratioOf(tran) : null };
}

function scaleOf(fit: LmmFit | GlmmFit): Scale {
  return isLmm(fit) ? responseScale(fit.model.formula.response) : linkScale(fit.model.family);
}

/** Σ_ab |ℓ_a V_ab ℓ_b|: the size of ℓᵀVℓ's terms (the scale of its rounding error) */
function quadFormAbs(l: Float64Array, V: Float64Array, p: number): number {
  let s = 0;
  for (let a = 0; a < p; a++) {
    if (l[a] === 0) continue;
    for (let b = 0; b < p; b++) s += Math.abs(l[a] * V[a * p + b] * l[b]);
  }
  return s;
}

export function quadForm(l: Float64Array, V: Float64Array, p: number): number {
  let s = 0;
  for (let a = 0; a < p; a++) {
    if (l[a] === 0) continue;
    let r = 0;
    for (let b = 0; b < p; b++) r += V[a * p + b] * l[b];
    s += l[a] * r;
  }
  return s;
}

/** emmeans's contrast labels: numeric levels prefixed with their variable's name, labels with - + / * in parentheses. */
function contrastLabels(vars: GridVariable[], values: GridValue[][]): string[] {
  const numeric = vars.map((v) => v.values.every((x) => typeof x === 'number' || Number.isFinite(Number(x))));
  return values.map((vals) => {
    const s = vals.map((x, k) => (numeric[k] ? `${vars[k].name}${formatLevel(x)}` : formatLevel(x))).join(' ');
    return /[-+/*]/.test(s) ? `(${s})` : s;
  });
}

/** A grid value as R prints it in a label (numbers with up to 15 significant digits). */
export function formatLevel(x: GridValue): string {
  return typeof x === 'number' ? String(Number(x.toPrecision(15))) : x;
}

/** The estimated marginal means of a fit: emmeans(fit, specs, ...). */
export function emmeans(fit: LmmFit | GlmmFit, specs: string | string[], options: EmmeansOptions = {}): EmmGrid {
  return marginalGrid(fit, specs, options, 'emmeans', null);
}

/** emtrends's options: emmeans's, with the covariate whose slopes are estimated. */
export interface EmtrendsOptions extends Omit<EmmeansOptions, 'type' | 'offset'> {
  /** the numeric variable of the fixed part whose slope (derivative of the linear predictor) is estimated */
  var: string;
  /** the difference step (default 0.001 of the variable's range over the rows used, as emmeans) */
  deltaVar?: number;
}

/**
 * The slopes of a covariate (emmeans::emtrends, max.degree 1): the linear predictor's forward
 * difference (x(v + δ) − x(v))/δ at each reference-grid row, δ = 0.001 of v's range over the rows
 * used, averaged as emmeans averages the means — so a slope through log(z) or an interaction is
 * emmeans's, to its difference quotient.
 */
export function emtrends(fit: LmmFit | GlmmFit, specs: string | string[], options: EmtrendsOptions): EmmGrid {
  if (options === null || typeof options !== 'object' || typeof options.var !== 'string') throw new OptionError('var', 'emtrends needs options.var, the numeric variable whose slopes are estimated');
  const { var: name, deltaVar, ...rest } = options;
  const c = fit.model.frame.covariates?.get(name);
  if (!c) throw new OptionError('var', `'${name}' is not a numeric variable of the model's fixed part (its covariates: ${[...(fit.model.frame.covariates?.keys() ?? [])].join(', ') || 'none'})`);
  const delta = deltaVar ?? 0.001 * (c.max - c.min);
  if (!(typeof delta === 'number' && Number.isFinite(delta) && delta !== 0)) throw new OptionError('deltaVar', `emtrends's step for '${name}' is ${showValue(delta)}: give a nonzero deltaVar (the variable is constant in the rows used)`);
  return marginalGrid(fit, specs, rest, 'emtrends', { name, delta });
}

/**
 * The settings of a grid that every fit's emmeans shares (lmer's and glmer's here, clmm's and glmmTMB's
 * in their folders), checked, with their defaults: level 0.95, equal weights, the link scale, no
 * adjustment; an offset, where given, a finite number.
 */
export function gridOptions(options: { level?: unknown; weights?: unknown; type?: unknown; adjust?: unknown; offset?: unknown }): { level: number; weights: EmmWeights; type: 'link' | 'response'; adjust: AdjustMethod } {
  const level = checkLevel(options.level);
  const weights = options.weights ?? 'equal';
  if (!(['equal', 'proportional', 'outer', 'cells', 'flat'] as unknown[]).includes(weights)) throw new OptionError('weights', `weights must be 'equal', 'proportional', 'outer', 'cells' or 'flat', not ${showValue(weights)}`);
  const type = options.type ?? 'link';
  if (type !== 'link' && type !== 'response') throw new OptionError('type', `type must be 'link' or 'response', not ${showValue(type)}`);
  if (options.offset !== undefined && !(typeof options.offset === 'number' && Number.isFinite(options.offset))) throw new OptionError('offset', `offset must be a finite number, not ${showValue(options.offset)}`);
  const adjust = options.adjust === undefined ? 'none' : checkAdjust(options.adjust);
  return { level, weights: weights as EmmWeights, type, adjust };
}

function marginalGrid(fit: LmmFit | GlmmFit, specs: string | string[], options: EmmeansOptions, what: 'emmeans' | 'emtrends', trend: { name: string; delta: number } | null): EmmGrid {
  if (options === null || typeof options !== 'object') throw new OptionError('options', `${what} options must be an object, not ${showValue(options)}`);
  const known = ['by', 'at', 'weights', 'ddf', 'remlRefit', 'type', 'level', 'adjust', 'offset'].filter((k) => !trend || (k !== 'type' && k !== 'offset'));
  for (const k of Object.keys(options)) if (!known.includes(k)) throw new OptionError(k, `unknown ${what} option '${k}' (options: ${[...known, ...(trend ? ['var', 'deltaVar'] : [])].join(', ')})`);
  const parsed = parseSpecs(specs, options.by);
  const { level, weights, type, adjust } = gridOptions(options);
  const base = referenceGrid(fit.model, options.at);
  const grid = trend ? trendGrid(base, referenceGrid(fit.model, options.at, trend), trend.delta) : base;
  const names = grid.variables.map((v) => v.name);
  for (const v of [...parsed.specs, ...parsed.by]) {
    if (names.includes(v) || (v === '1' && parsed.specs.includes(v))) continue;
    const grouping = fit.model.frame.reTerms.some((t) => t.term.group.includes(v));
    throw new OptionError('specs', `'${v}' is not a variable of the model's fixed part (its variables: ${names.join(', ') || 'none'})${grouping ? `; it groups random effects, which estimated marginal means average out (for its levels' predictions use predict or coef)` : ''}`);
  }
  const messages: string[] = [];
  const inference = inferenceOf(fit, options.ddf, messages, options.remlRefit);
  return new EmmGrid(fit.model.frame.formula, grid, parsed.specs, parsed.by, {
    weights, level, type, adjust, offset: options.offset, inference, scale: scaleOf(fit), messages, beta: fit.beta, dfNote: isLmm(fit),
    estName: trend ? `${trend.name}.trend` : null, trend: trend?.name ?? null,
  });
}

/** emtrends's grid: the base grid's rows with (x(v + δ) − x(v))/δ as model-matrix rows and no offset. */
export function trendGrid(base: ReferenceGrid, shifted: ReferenceGrid, delta: number): ReferenceGrid {
  const diff = (a: Float64Array, b: Float64Array) => a.map((v, i) => (b[i] - v) / delta);
  return {
    ...base,
    X: diff(base.X, shifted.X),
    offset: new Float64Array(base.rows),
    estimability: base.estimability && { ...base.estimability, Xfull: diff(base.estimability.Xfull, shifted.estimability!.Xfull) },
  };
}

export function checkLevel(level: unknown): number {
  if (level === undefined) return 0.95;
  if (typeof level !== 'number' || !(level > 0 && level < 1)) throw new OptionError('level', `level must be a number between 0 and 1 (such as 0.95), not ${showValue(level)}`);
  return level;
}

/**
 * How a grid's means are computed and reported: lmer's and glmer's from marginalGrid below, a clmm
 * fit's from its mode's basis (src/ordinal/emmBasis.ts: β̂ and V of the thresholds and coefficients, or
 * of the regridded probabilities).
 */
export interface GridSettings {
  weights: EmmWeights;
  level: number;
  type: 'link' | 'response';
  adjust: AdjustMethod;
  offset: number | undefined;
  inference: Inference;
  scale: Scale;
  messages: string[];
  /** the fit's β̂ */
  beta: Float64Array;
  /** emtrends: the estimate's name (`x.trend`), and the variable; a clmm mode's name (prob, cumprob, mean.class) */
  estName: string | null;
  trend: string | null;
  /** whether the notes name the df method (lmer's) */
  dfNote: boolean;
  /** the variables a regridded grid's means were averaged over before (its note, as emmeans keeps it) */
  averaged?: string[];
}

/** One mean's linear function: in the fit's β coordinates, in the full model matrix's, and its offset. */
export interface LinearFunction {
  l: Float64Array;
  full: Float64Array | null;
  offset: number;
  estimable: boolean;
}

/** Estimated marginal means (emmeans's emmGrid): the means' table, their contrasts and pairwise comparisons. */
export class EmmGrid {
  /** the specs' and by variables, specs first */
  readonly variables: GridVariable[];
  readonly specs: string[];
  readonly by: string[];
  readonly ddf: EmmInferenceMethod;
  readonly level: number;
  readonly type: 'link' | 'response';
  /** emmeans's notes (averaging, df method, scale, confidence level), the interaction NOTE and the fit's warnings */
  readonly messages: string[];
  /** the notes emmeans prints below the table (its annotations: messages less the NOTE and warnings) */
  readonly annotations: string[];
  private readonly functions: LinearFunction[];
  private readonly values: GridValue[][];
  private readonly settings: GridSettings;
  private readonly estimability: ReferenceGrid['estimability'];
  private readonly formula: Pick<Formula, 'fixed'>;
  /** the means, one row per combination of the specs and by variables (the first varying fastest) */
  readonly rows: EmmRow[];

  /** `formula`: the fit's, for emmeans's note on variables involved in interactions */
  constructor(formula: Pick<Formula, 'fixed'>, grid: ReferenceGrid, specs: string[], by: string[], settings: GridSettings) {
    this.specs = specs;
    this.by = by;
    this.settings = settings;
    this.level = settings.level;
    this.type = settings.type;
    this.ddf = settings.inference.method;
    this.estimability = grid.estimability;
    this.formula = formula;
    // '~ 1': the overall mean (emmeans's variable "1" at "overall"; by groups, the groups alone)
    const use = [...specs, ...by].filter((v) => v !== '1').map((v) => grid.variables.findIndex((g) => g.name === v));
    const overall = specs.includes('1') && use.length === 0;
    const OVERALL: GridVariable = { name: '1', kind: 'factor', values: ['overall'], counted: false };
    this.variables = [...(overall ? [OVERALL] : []), ...use.map((k) => grid.variables[k])];
    const avgd = grid.variables.map((_, k) => k).filter((k) => !use.includes(k) && grid.variables[k].values.length > 1);
    const { functions, values } = averageGrid(grid, use, avgd, settings.weights, settings.offset);
    this.functions = functions;
    this.values = overall ? values.map((v) => ['overall', ...v]) : values;
    const notes: string[] = [];
    const averaged = [...(settings.averaged ?? []), ...avgd.map((k) => grid.variables[k].name)];
    if (averaged.length > 0) notes.push(`Results are averaged over the levels of: ${averaged.join(', ')}`);
    if (involvedInInteraction(formula, [...specs.filter((v) => v !== '1'), ...by, ...(settings.trend ? [settings.trend] : [])])) notes.push('NOTE: Results may be misleading due to involvement in interactions');
    if (settings.dfNote) notes.push(`Degrees-of-freedom method: ${this.ddf}`);
    // a transformed scale (emmeans's tran; emtrends drops it)
    const tran = settings.trend ? null : settings.scale.tran;
    if (tran && this.type === 'link') notes.push(`Results are given on the ${tran} (not the response) scale.`);
    notes.push(`Confidence level used: ${this.level}`);
    if (tran && this.type === 'response') notes.push(`Intervals are back-transformed from the ${tran} scale`);
    // the means and their intervals (adjusted within each by group as `adjust` asks)
    const est = this.functions.map((f) => this.evaluate(f));
    const groups = this.groups();
    const cvs = criticalValues(this.level, est.map((e) => e.df), settings.adjust, familyOf(groups, this.functions, false, maxLength(groups), settings.inference));
    if (cvs.line) notes.push(cvs.line);
    this.messages = [...settings.messages, ...notes];
    // emmeans's annotations (its printout's notes): the interaction NOTE and the fit's warnings are
    // R messages and warnings, not part of the printout
    this.annotations = notes.filter((m) => !m.startsWith('NOTE: Results may be misleading'));
    const { scale } = settings;
    this.rows = est.map((e, r) => {
      const row: EmmRow = { levels: this.levelsOf(r), emmean: e.estimate, SE: e.se, df: e.df, lower: e.estimate - cvs.cv[r] * e.se, upper: e.estimate + cvs.cv[r] * e.se };
      if (this.backTransformed) {
        const a = scale.linkinv(row.lower), b = scale.linkinv(row.upper);
        Object.assign(row, { response: scale.linkinv(e.estimate), responseSE: Math.abs(scale.muEta(e.estimate)) * e.se, responseLower: Math.min(a, b), responseUpper: Math.max(a, b) });
      }
      return row;
    });
  }

  private levelsOf(r: number): Record<string, GridValue> {
    const out: Record<string, GridValue> = {};
    this.variables.forEach((v, k) => { out[v.name] = this.values[r][k]; });
    return out;
  }

  /** estimate, SE and df of a linear function (NaN where it is not estimable) */
  private evaluate(f: LinearFunction): { estimate: number; se: number; df: number } {
    if (!f.estimable) return { estimate: NaN, se: NaN, df: NaN };
    const { inference, beta } = this.settings;
    let estimate = f.offset;
    for (let j = 0; j < inference.p; j++) estimate += f.l[j] * beta[j];
    // (a variance that rounding leaves a hair below 0, such as a regridded sum of probabilities, is 0)
    // and one that cancels to rounding error of its terms, |ℓᵀVℓ| < 1e-14 Σ_ab |ℓ_a V_ab ℓ_b|, is 0 (emmeans's
    // G V Gᵀ of a sum of probabilities cancels to 0 exactly; ours leaves ~1e-20)
    const v = quadForm(f.l, inference.V, inference.p);
    const size = quadFormAbs(f.l, inference.V, inference.p);
    return { estimate, se: v < 1e-14 * size ? 0 : Math.sqrt(v), df: inference.df(f.l) };
  }

  /** the rows of each by group, in order */
  private groups(byNames: string[] = this.by): number[][] {
    const byIdx = byNames.map((b) => this.variables.findIndex((v) => v.name === b));
    const map = new Map<string, number[]>();
    this.values.forEach((vals, r) => {
      const key = JSON.stringify(byIdx.map((k) => vals[k]));
      let list = map.get(key);
      if (!list) map.set(key, (list = []));
      list.push(r);
    });
    return [...map.values()];
  }

  /**
   * Contrasts of the means within each by group (emmeans's contrast): a method of
   * src/inference/emmContrasts.ts or named coefficient vectors, with its default adjustment unless
   * `adjust` is given.
   */
  contrast(method: ContrastMethod | Record<string, number[]> = 'eff', options: ContrastOptions = {}): EmmContrasts {
    if (options === null || typeof options !== 'object') throw new OptionError('options', `contrast options must be an object, not ${showValue(options)}`);
    const level = options.level === undefined ? this.level : checkLevel(options.level);
    const byNames = options.by === undefined ? this.by : toList(options.by, 'by');
    for (const b of byNames) if (!this.variables.some((v) => v.name === b)) throw new OptionError('by', `by: '${b}' is not one of the means' variables (${this.variables.map((v) => v.name).join(', ')})`);
    const groups = this.groups(byNames);
    const inner = this.variables.map((_, k) => k).filter((k) => !byNames.includes(this.variables[k].name));
    const innerVars = inner.map((k) => this.variables[k]);
    const labels = contrastLabels(innerVars, this.values.map((vals) => inner.map((k) => vals[k])));
    // each group's contrasts, and their indices among all (the adjustments' by groups)
    const rows: { fam: ReturnType<typeof contrastFamily>; group: number[]; c: number }[] = [];
    const byRows: number[][] = [];
    let fam0: ReturnType<typeof contrastFamily> | null = null;
    for (const g of groups) {
      const fam = contrastFamily(method, g.map((r) => labels[r]), options);
      fam0 ??= fam;
      byRows.push(fam.names.map((_, c) => rows.length + c));
      fam.names.forEach((_, c) => rows.push({ fam, group: g, c }));
    }
    if (!fam0) throw new ModelError('contrast: there are no means to contrast');
    let adjust: AdjustMethod;
    if (options.adjust !== undefined) adjust = checkAdjust(options.adjust);
    else adjust = fam0.adjust;
    // each contrast's linear function: Σ c_s ℓ_s (β and full coordinates), its offset and estimability
    const p = this.settings.inference.p;
    const functions: LinearFunction[] = rows.map(({ fam, group, c }) => {
      const coef = fam.coef[c];
      const l = new Float64Array(p);
      const pf = this.estimability?.pFull ?? 0;
      const full = this.estimability ? new Float64Array(pf) : null;
      let offset = 0, estimable = true;
      group.forEach((r, i) => {
        const w = coef[i];
        if (w === 0) return;
        const f = this.functions[r];
        if (!f.estimable) estimable = false;
        for (let j = 0; j < p; j++) l[j] += w * f.l[j];
        if (full) for (let j = 0; j < pf; j++) full[j] += w * f.full![j];
        offset += w * f.offset;
      });
      if (estimable && full && this.estimability) estimable = isEstimable(this.estimability.nullBasis, full);
      return { l, full, offset, estimable };
    });
    const est = functions.map((f) => this.evaluate(f));
    const familyInfo = familyOf(byRows, functions, fam0.pairs, maxLength(groups), this.settings.inference);
    const df = est.map((e) => e.df);
    const tRatio = est.map((e) => e.estimate / e.se);
    const pv = adjustPValues(tRatio, df, adjust, familyInfo);
    const cvs = criticalValues(level, df, adjust, familyInfo);
    const scale = this.settings.scale;
    const sumZero = rows.every(({ fam, c }) => Math.abs(fam.coef[c].reduce((s, x) => s + x, 0)) < 1e-8);
    // emmeans: true contrasts (coefficients summing to 0) of a log or logit scale are ratios (odds
    // ratios), shown back-transformed with type 'response'; other contrasts of a transformed scale
    // stay on it, with its note
    const tran = this.settings.trend ? null : scale.tran;
    const ratioScale = tran && scale.ratio && sumZero ? scale.ratio : null;
    const ratio = this.type === 'response' ? ratioScale : null;
    // a ratio's back-transformation: exp for log and logit (log odds ratios), 2^d and 10^d for log2, log10
    const inv = (d: number) => (tran === 'logit' ? Math.exp(d) : scale.linkinv(d));
    const dinv = (d: number) => (tran === 'logit' ? Math.exp(d) : scale.muEta(d));
    const byVars = this.variables.filter((v) => byNames.includes(v.name));
    const out: ContrastRow[] = rows.map(({ fam, group, c }, i) => {
      const e = est[i];
      const name = fam.names[c];
      const by: Record<string, GridValue> = {};
      for (const v of byVars) by[v.name] = this.values[group[0]][this.variables.indexOf(v)];
      const row: ContrastRow = {
        contrast: ratio ? name.replaceAll(' - ', ' / ') : name, by, estimate: e.estimate, SE: e.se, df: e.df,
        lower: e.estimate - cvs.cv[i] * e.se, upper: e.estimate + cvs.cv[i] * e.se, ratio: tRatio[i], p: pv.p[i],
      };
      if (ratio) Object.assign(row, { response: inv(e.estimate), responseSE: dinv(e.estimate) * e.se, responseLower: inv(row.lower), responseUpper: inv(row.upper) });
      return row;
    });
    // emmeans's notes, in its order
    const notes = [...new Set([...pv.notes, ...cvs.notes])];
    notes.push(...this.messages.filter((m) => m.startsWith('Results are averaged') || m.startsWith('NOTE')));
    if (tran && !ratioScale) notes.push(`Note: contrasts are still on the ${tran} scale`);
    notes.push(...this.messages.filter((m) => m.startsWith('Degrees-of-freedom')));
    if (ratioScale && !ratio) notes.push(`Results are given on the ${ratioScale.scale} (not the response) scale.`);
    notes.push(`Confidence level used: ${level}`);
    if (cvs.line) notes.push(cvs.line);
    if (ratio) notes.push(`Intervals are back-transformed from the ${ratio.scale} scale`);
    if (pv.line) notes.push(pv.line);
    if (ratio) notes.push(`Tests are performed on the ${ratio.scale} scale`);
    return new EmmContrasts(out, byVars.map((v) => v.name), ratio?.label ?? null, pv.adjust, level, notes, this.ddf, byVars);
  }

  /**
   * emmeans's regrid(grid, transform): the means become the grid's coordinates, so that further means
   * and contrasts are linear in them. With transform 'response' (the default; 'unlink' and 'mu' are the
   * same here, where no grid has a second transformation) the means on the response scale:
   *   β* = g⁻¹(η̂) (η̂_r = ℓ_rᵀβ̂ + offset_r, the rows' means), V* = D (L V Lᵀ) D with D = diag(μ′(η̂_r)),
   * the rows' X = I, the intervals β* ± t SE*, symmetric on the response scale, contrasts their differences
   * (of probabilities, not odds ratios). With 'log', those response-scale means then logged (emmeans's way
   * to ratios of probabilities), the grid's transformation 'log' and its response label 'response':
   *   β** = log β*, V** = D⁻¹ V* D⁻¹ with D = diag(β*) (d log μ = dμ / μ),
   * a mean β* ≤ 0 flagged as not estimable (emmeans's message); shown back-transformed (exp, asymmetric
   * intervals) and contrasts as ratios with type 'response'. With 'none', the means on their own scale
   * (β* = η̂, V* = L V Lᵀ) and the transformation kept. A grid without a transformation is regridded with
   * g the identity. df are inherited: every mean's where they agree within 0.01 (their average), else each
   * linear function k's smallest among the means it involves (|k_r| above 1e-7 of the largest),
   * "inherited from kenward-roger when re-gridding". A mean that is not estimable stays so. The new grid
   * shows its means as this one does (type), unless options.predictType says otherwise (emmeans's
   * predict.type).
   */
  regrid(transform: RegridTransform | boolean = 'response', options: RegridOptions = {}): EmmGrid {
    const t = checkRegridTransform(transform);
    if (options === null || typeof options !== 'object') throw new OptionError('options', `regrid options must be an object, not ${showValue(options)}`);
    for (const k of Object.keys(options)) if (k !== 'predictType') throw new OptionError(k, `unknown regrid option '${k}' (options: predictType)`);
    const predictType = options.predictType ?? this.type;
    if (predictType !== 'link' && predictType !== 'response') throw new OptionError('predictType', `predictType must be 'link' or 'response', not ${showValue(predictType)}`);
    const { scale, inference } = this.settings;
    if (this.settings.trend) throw new ModelError('regrid: the grid holds emtrends\'s slopes, which have no response scale to regrid to');
    const tran = scale.tran;
    // emmeans back-transforms unless transform is 'none' (a grid without a transformation: g the identity)
    const back = t !== 'none' && tran !== null;
    const est = this.functions.map((f) => this.evaluate(f));
    const r = est.length;
    const estimable = this.functions.map((f) => f.estimable);
    // β* = g⁻¹(η̂_r), D_r = μ′(η̂_r); a non-estimable mean: 0, with a unit vector of the null basis
    const beta = Float64Array.from(est, (e, i) => (estimable[i] ? (back ? scale.linkinv(e.estimate) : e.estimate) : 0));
    const D = est.map((e, i) => (estimable[i] ? (back ? scale.muEta(e.estimate) : 1) : 0));
    // 'log': β** = log β*, D_r ← D_r / β*_r (V** = D⁻¹ V* D⁻¹); β* outside (0, ∞), log's range, flagged
    const messages = [...this.settings.messages];
    if (t === 'log') {
      let flagged = false;
      for (let i = 0; i < r; i++) {
        if (!estimable[i]) continue;
        if (beta[i] > 0 && beta[i] < Infinity) { D[i] /= beta[i]; beta[i] = Math.log(beta[i]); }
        else { estimable[i] = false; beta[i] = 0; D[i] = 0; flagged = true; }
      }
      if (flagged) messages.push('Invalid response predictions are flagged as non-estimable');
    }
    // V* = D L V Lᵀ D
    const p = inference.p;
    const VL = this.functions.map((f, i) => {
      const out = new Float64Array(p);
      if (!estimable[i]) return out;
      for (let a = 0; a < p; a++) { let s = 0; for (let b = 0; b < p; b++) s += inference.V[a * p + b] * f.l[b]; out[a] = s; }
      return out;
    });
    const V = new Float64Array(r * r);
    for (let i = 0; i < r; i++) for (let j = i; j < r; j++) {
      if (D[i] === 0 || D[j] === 0) continue;
      let s = 0;
      for (let a = 0; a < p; a++) s += this.functions[i].l[a] * VL[j][a];
      V[i * r + j] = V[j * r + i] = D[i] * s * D[j];
    }
    // the df (emmeans: of the means estimable before the log's flagging): the estimable means' own where
    // they agree within 0.01 (or any is NaN or ∞), else the smallest involved
    const dfs = est.map((e) => e.df);
    const edf = dfs.filter((_, i) => this.functions[i].estimable);
    const constant = edf.length === 0 || edf.some((d) => Number.isNaN(d / d)) || Math.max(...edf) - Math.min(...edf) < 0.01;
    const mean = edf.length === 0 ? NaN : edf.reduce((s, d) => s + d, 0) / edf.length;
    const method = (this.ddf.startsWith('inherited') ? this.ddf : `inherited from ${this.ddf} when re-gridding`) as RegridMethod;
    const regridded: Inference = {
      method, V, p: r,
      df: constant ? () => mean : (k) => {
        const big = Math.max(...Array.from(k, Math.abs));
        let m = Infinity, any = false;
        for (let i = 0; i < r; i++) if (Math.abs(k[i]) > 1e-7 * big && !Number.isNaN(dfs[i])) { m = Math.min(m, dfs[i]); any = true; }
        return any ? m : NaN;
      },
    };
    // the new reference grid: the means' variables ('~ 1''s overall row aside), one row per mean, X = I
    const variables = this.variables.filter((v, k) => !(k === 0 && v.name === '1' && this.specs.includes('1')));
    const X = new Float64Array(r * r);
    for (let i = 0; i < r; i++) X[i * r + i] = 1;
    const nullBasis = estimable.flatMap((ok, i) => (ok ? [] : [Float64Array.from({ length: r }, (_, j) => (j === i ? 1 : 0))]));
    const grid: ReferenceGrid = {
      variables, rows: r, X, offset: new Float64Array(r), counts: new Float64Array(r).fill(1),
      estimability: nullBasis.length > 0 ? { nullBasis, Xfull: X, pFull: r, kept: Array.from({ length: r }, (_, i) => i) } : null,
    };
    const averaged = this.annotations.find((m) => m.startsWith('Results are averaged over the levels of: '));
    // the new grid's scale: 'log' (labelled 'response'), the transformation kept ('none'), or none; its
    // estimate's name: the back-transformed means' label (prob, rate, response) where they were back-transformed
    const newScale = t === 'log' ? LOG_REGRID_SCALE : t === 'none' ? scale : IDENTITY_SCALE;
    return new EmmGrid(this.formula, grid, this.specs, this.by, {
      weights: 'equal', level: this.level, type: predictType, adjust: this.settings.adjust, offset: undefined, inference: regridded,
      scale: newScale, messages,
      beta, estName: back ? scale.label : this.settings.estName, trend: null, dfNote: this.settings.dfNote,
      averaged: averaged ? averaged.slice('Results are averaged over the levels of: '.length).split(', ') : undefined,
    });
  }

  /** Pairwise comparisons (emmeans's pairs): contrast('pairwise' or 'revpairwise'). */
  pairs(options: ContrastOptions & { reverse?: boolean } = {}): EmmContrasts {
    const { reverse, ...rest } = options;
    return this.contrast(reverse ? 'revpairwise' : 'pairwise', rest);
  }

  toString(): string { return formatEmmTable(this, formatLevel); }

  toJSON(): Record<string, unknown> {
    return {
      specs: this.specs, by: this.by, ddf: this.ddf, level: this.level, type: this.type,
      ...(this.backTransformed ? { response_label: this.settings.scale.label } : {}),
      rows: this.rows.map((r) => ({ ...r.levels, [this.estimateName]: r.emmean, SE: r.SE, df: jsonDf(r.df), lower: r.lower, upper: r.upper,
        ...(r.response !== undefined ? { [this.settings.scale.label]: r.response, response_SE: r.responseSE, response_lower: r.responseLower, response_upper: r.responseUpper } : {}) })),
      messages: this.messages,
    };
  }

  /** the response-scale label (prob, rate, response) */
  get responseLabel(): string { return this.settings.scale.label; }

  /** whether the means are back-transformed (type 'response' on a transformed scale; not emtrends's slopes) */
  get backTransformed(): boolean { return this.type === 'response' && this.settings.scale.tran !== null && !this.settings.trend; }

  /** the estimate's name: emmean, or emtrends's `x.trend` */
  get estimateName(): string { return this.settings.estName ?? 'emmean'; }
}

/** df in JSON: "Inf" for asymptotic (z) inference; null (as every number of the row) where not estimable */
const jsonDf = (df: number): number | string | null => (df === Infinity ? 'Inf' : Number.isNaN(df) ? null : df);

/** Contrasts of estimated marginal means: their table and notes. */
export class EmmContrasts {
  constructor(
    readonly rows: ContrastRow[],
    readonly by: string[],
    /** 'odds.ratio' or 'ratio' where the contrasts are back-transformed */
    readonly ratioLabel: string | null,
    readonly adjust: AdjustMethod,
    readonly level: number,
    readonly messages: string[],
    readonly ddf: EmmInferenceMethod,
    /** the by variables (their kinds and levels, for the printout's blocks) */
    readonly byVariables: GridVariable[] = [],
  ) {}

  toString(): string { return formatEmmTable(this, formatLevel); }

  toJSON(): Record<string, unknown> {
    return {
      by: this.by, adjust: this.adjust, level: this.level, ddf: this.ddf, ...(this.ratioLabel ? { ratio_label: this.ratioLabel } : {}),
      rows: this.rows.map((r) => ({ contrast: r.contrast, ...r.by, estimate: r.estimate, SE: r.SE, df: jsonDf(r.df), lower: r.lower, upper: r.upper,
        [Number.isFinite(r.df) ? 't_ratio' : 'z_ratio']: r.ratio, p_value: r.p,
        ...(r.response !== undefined ? { [this.ratioLabel!]: r.response, response_SE: r.responseSE, response_lower: r.responseLower, response_upper: r.responseUpper } : {}) })),
      messages: this.messages,
    };
  }
}

/**
 * The means' linear functions: for each combination of the `use` variables (the first fastest), the
 * grid rows' model-matrix rows averaged over the `avgd` variables' values with the weights.
 */
export function averageGrid(grid: ReferenceGrid, use: number[], avgd: number[], weights: EmmWeights, offsetValue: number | undefined): { functions: LinearFunction[]; values: GridValue[][] } {
  const p = grid.X.length / Math.max(grid.rows, 1);
  const pf = grid.estimability?.pFull ?? 0;
  const dims = gridSizes(grid);
  const nUse = use.reduce((s, k) => s * dims[k], 1);
  const nAvg = avgd.reduce((s, k) => s * dims[k], 1);
  // emmeans: all-zero frequencies count as equal
  const counts = grid.counts.every((c) => c === 0) ? grid.counts.map(() => 1) : grid.counts;
  // the combined index of some variables' values in grid row r (the first fastest)
  const indexOf = (r: number, ks: number[]) => ks.reduce((acc, k, i) => acc + digit(r, dims, k) * ks.slice(0, i).reduce((s, kk) => s * dims[kk], 1), 0);
  const avgdSizes = avgd.map((k) => dims[k]);
  const members: number[][] = Array.from({ length: nUse }, () => []);
  for (let r = 0; r < grid.rows; r++) {
    // the variables neither used nor averaged have one value
    members[indexOf(r, use)].push(r);
  }
  // the averaged combinations' weights for equal, proportional and outer (the same for every mean)
  const margin = new Float64Array(nAvg);
  for (let r = 0; r < grid.rows; r++) margin[indexOf(r, avgd)] += counts[r];
  let common: Float64Array | null = null;
  if (weights === 'equal') common = new Float64Array(nAvg).fill(1);
  else if (weights === 'proportional') common = margin;
  else if (weights === 'outer') {
    const total = margin.reduce((s, x) => s + x, 0);
    const marginals = avgd.map((k) => {
      const m = new Float64Array(dims[k]);
      for (let o = 0; o < nAvg; o++) m[digit(o, avgdSizes, avgd.indexOf(k))] += margin[o];
      return m;
    });
    common = new Float64Array(nAvg).map((_, o) => avgd.reduce((s, _k, i) => (s * marginals[i][digit(o, avgdSizes, i)]) / total, total));
  }
  const functions = members.map((rows) => {
    const w = rows.map((r) => (common ? common[indexOf(r, avgd)] : weights === 'cells' ? counts[r] : counts[r] > 0 ? 1 : 0));
    const wsum = w.reduce((s, x) => s + x, 0);
    const l = new Float64Array(p);
    const full = grid.estimability ? new Float64Array(pf) : null;
    let offset = 0;
    if (!(wsum > 1e-8)) return { l: l.fill(NaN), full, offset: NaN, estimable: false };
    rows.forEach((r, i) => {
      const a = w[i] / wsum;
      if (a === 0) return;
      for (let j = 0; j < p; j++) l[j] += a * grid.X[r * p + j];
      if (full) for (let j = 0; j < pf; j++) full[j] += a * grid.estimability!.Xfull[r * pf + j];
      offset += a * grid.offset[r];
    });
    if (offsetValue !== undefined) offset = offsetValue;
    const estimable = full ? isEstimable(grid.estimability!.nullBasis, full) : true;
    return { l, full, offset, estimable };
  });
  const values = members.map((rows) => use.map((k) => grid.variables[k].values[digit(rows[0], dims, k)]));
  return { functions, values };
}

/** emmeans's note: some fixed-effects term holds every named variable and more. */
function involvedInInteraction(formula: Pick<Formula, 'fixed'>, names: string[]): boolean {
  // ('~ 1', the overall mean, names none)
  if (names.length === 0) return false;
  return formula.fixed.terms.some((t) => {
    const vars = termVariables(t);
    return names.every((n) => vars.has(n)) && vars.size > names.length;
  });
}
