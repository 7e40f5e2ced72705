/**
 * Adjusted predictions of lmer and glmer fits as ggeffects 1.2.0 computes them (ggpredict, ggemmeans;
 * 1.2.0 has no ggaverage):
 *
 * ggpredict — predictions at a data grid: the focal terms at their representative values (x fastest
 * in ggeffects's table order: x, then group, then facet), every other fixed-part variable at a
 * typical value (a covariate's mean — weighted by an lmer fit's prior weights —, or median with
 * `typical: 'median'`; a factor's first level, its
 * reference), grouping factors at population level (ggeffects's "0 (population-level)"), `condition`
 * where given. With x the grid row's model-matrix row (predict's design of new data):
 *   η = xᵀβ̂,   SE = √(xᵀ V x)  (V = vcov(fit), ggeffects's .vcov_helper),
 *   predicted = g⁻¹(η),   CI = g⁻¹(η ∓ c·SE)  (glmer: on the link scale, then back-transformed),
 * c the t quantile on insight's "wald" df — lmer: lme4's df.residual n − (p + length(θ) + 1); glmer: ∞ —.
 * type 'random' (ggeffects's "re"): the same η (grouping factors at population level) with
 *   SE² = xᵀVx + σ²  where σ² = insight::get_sigma(fit)² > 1e-4 (lmer: σ̂²; binomial and Poisson: 1),
 * and the intervals are prediction intervals (ggeffects 1.2.0 adds no random-effect variance). A
 * grouping factor among the terms (type 'random' only) gives each of its levels' predictions with
 * their conditional modes (lme4's predict with re.form = NULL; the other grouping factors at population
 * level), the SE unchanged.
 *
 * ggemmeans — emmeans's estimated marginal means (src/inference/emmeans.ts) over a grid of the focal
 * terms' values, the other covariates at their typical value (`at`), the other factors averaged with
 * equal weights; mode "asymptotic" for lmer (z intervals), the link scale for glmer, then g⁻¹. type
 * 'random' moves the interval's ends by c·σ (c on the wald df above: emmeans's interval ∓ c σ, as
 * ggeffects's .ggemmeans_add_confint) and reports SE = √(SE² + σ²).
 *
 * An lmer response log(y), log1p(y), log10(y), log2(y) or sqrt(y) is back-transformed (predicted and
 * interval; the SE stays on the model's scale), as ggeffects's .back_transform_response.
 */
import * as arrow from 'apache-arrow';
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { fixedVariables } from '../frame/covariates.js';
import type { Column } from '../frame/columns.js';
import type { ModelFrame, ReTerm } from '../frame/modelFrame.js';
import { newDataDesign, predictLinear } from '../results/predict.js';
import { qnorm, qt } from '../stats/distributions.js';
import { emmeans } from './emmeans.js';
import type { GridValue } from './referenceGrid.js';
import { type FocalTerm, itemNumber, parseTerms } from './ggTerms.js';
import { type ValueSummary, prettyRangeOf, summarizeValues, valuesAtOf } from './prettyRange.js';
import { formatGgEffects } from './ggPrint.js';

/** 'fixed' and 'random' for every fit; glmmTMB fits also 'zero_inflated' and 'zi_random' (ggeffects's "fe.zi", "re.zi": src/zeroinfl/ggpredict.ts) */
export type GgType = 'fixed' | 'random' | 'zero_inflated' | 'zi_random';

export interface GgOptions {
  /** 'fixed' (ggeffects's default "fe"): confidence intervals; 'random' ("re"): prediction intervals with the residual variance */
  type?: GgType;
  /** confidence level (ggeffects's ci.lvl, default 0.95) */
  level?: number;
  /** the non-focal covariates' typical value: 'mean' (default) or 'median' */
  typical?: 'mean' | 'median';
  /** values of non-focal variables (ggeffects's condition): a covariate's number or a factor's level */
  condition?: Record<string, number | string>;
}

/** One row of ggeffects's data frame. */
export interface GgRow {
  x: GridValue;
  predicted: number;
  /** on the link (lmer: the model's) scale */
  std_error: number;
  conf_low: number;
  conf_high: number;
  /** the second and third terms' values (absent with fewer terms) */
  group?: GridValue;
  facet?: GridValue;
}

/** A non-focal variable's value as ggeffects's "Adjusted for" lists it. */
export interface ConstantValue { name: string; value: number | string; population: boolean }

/** The pure stage: predictions from the grid's design rows, β̂, V and the interval's parts. */
export interface PredictionStage {
  /** rows × p, row-major */
  X: Float64Array;
  rows: number;
  beta: ArrayLike<number>;
  /** p × p, row-major */
  V: ArrayLike<number>;
  /** the added variance (σ², type random) or 0 */
  addVariance: number;
  /** the interval's quantile */
  crit: number;
  linkinv(eta: number): number;
}

/**
 * Stage: η = xᵀβ̂, SE = √(xᵀVx + addVariance), and g⁻¹ of η and of η ∓ c·SE, for each grid row
 * (ggeffects's get_predictions_merMod and .safe_se_from_vcov).
 */
export function predictionsAt(s: PredictionStage): { eta: number; predicted: number; se: number; low: number; high: number }[] {
  const p = s.beta.length;
  const out = [];
  for (let r = 0; r < s.rows; r++) {
    let eta = 0, v = 0;
    for (let a = 0; a < p; a++) {
      const xa = s.X[r * p + a];
      eta += xa * s.beta[a];
      if (xa === 0) continue;
      let t = 0;
      for (let b = 0; b < p; b++) t += s.V[a * p + b] * s.X[r * p + b];
      v += xa * t;
    }
    const se = Math.sqrt(v + s.addVariance);
    out.push({ eta, predicted: s.linkinv(eta), se, low: s.linkinv(eta - s.crit * se), high: s.linkinv(eta + s.crit * se) });
  }
  return out;
}

const isLmm = (fit: LmmFit | GlmmFit): fit is LmmFit => !('family' in fit.model);

/** Adjusted predictions: ggeffects's data frame, its attributes and printout. */
export class GgEffects {
  constructor(
    /** 'ggpredict' or 'ggemmeans' */
    readonly method: 'ggpredict' | 'ggemmeans',
    /** the focal terms' names (x, group, facet) */
    readonly terms: string[],
    readonly rows: GgRow[],
    /** "Predicted values of Reaction", "Predicted probabilities of …", "Predicted counts of …" */
    readonly title: string,
    readonly constantValues: ConstantValue[],
    readonly type: GgType,
    readonly level: number,
    /** whether the intervals are prediction intervals (ggpredict, type random, σ² > 1e-4) */
    readonly predictionInterval: boolean,
    /** the df of the interval's quantile (∞: normal; ggemmeans: emmeans's asymptotic intervals) */
    readonly df: number,
    /** notes (a back-transformed response) */
    readonly messages: string[],
    /** how "Adjusted for" names a grouping factor's population level: '0' (lme4 fits) or 'NA' (glmmTMB fits, whose grid holds NA) */
    readonly populationLabel: '0' | 'NA' = '0',
  ) {}

  toString(): string { return formatGgEffects(this); }

  toJSON(): Record<string, unknown> {
    return {
      method: this.method, terms: this.terms, type: this.type, level: this.level, df: this.df === Infinity ? 'Inf' : this.df,
      title: this.title, prediction_interval: this.predictionInterval,
      adjusted_for: Object.fromEntries(this.constantValues.map((c) => [c.name, c.population ? `${this.populationLabel} (population-level)` : c.value])),
      rows: this.rows.map((r) => ({ x: r.x, predicted: r.predicted, std_error: r.std_error, conf_low: r.conf_low, conf_high: r.conf_high, ...(r.group !== undefined ? { group: r.group } : {}), ...(r.facet !== undefined ? { facet: r.facet } : {}) })),
      messages: this.messages,
    };
  }
}

/**
 * What an engine's scans over the rows a fit used gave (./ggRows.ts), for a fit whose rows are not in
 * memory: per covariate, the summary its representative values read, and with prior weights its
 * weighted mean.
 */
export interface GgRowFacts {
  summaries: Map<string, ValueSummary>;
  weightedMeans: Map<string, number>;
}

/**
 * What the grid reads of a model: the frames of its fixed parts (an lme4 fit's one; a glmmTMB fit's
 * conditional, zero-inflation and dispersion models, whose variables all enter ggeffects's grid), its
 * random-effects terms and an lmer fit's prior weights (a typical value's weighted mean), or null. A fit
 * whose rows are in an engine: its source (for messages), whether its typical mean is weighted (a weights
 * column), and the facts its scans gave (null: none asked, as the synchronous calls).
 */
export interface GgModel {
  frames: ModelFrame[];
  reTerms: ReTerm[];
  weights: ArrayLike<number> | null;
  engine?: { source: { engine: string; name: string }; weighted: boolean; facts: GgRowFacts | null };
}

/** an lmer or glmer fit's GgModel (`facts`: an engine fit's scans, ./ggRows.ts) */
export function ggModelOf(fit: LmmFit | GlmmFit, facts: GgRowFacts | null = null): GgModel {
  const { frame } = fit.model;
  const src = fit.model.source;
  return {
    frames: [frame], reTerms: frame.reTerms, weights: isLmm(fit) && frame.weights && frame.weights.some((v) => v !== 1) ? frame.weights : null,
    ...(src ? { engine: { source: { engine: src.engine, name: src.name }, weighted: isLmm(fit) && frame.weightsName !== undefined, facts } } : {}),
  };
}

/** the fixed parts' variables, the first frame's first */
function modelVariables(m: GgModel): string[] {
  return [...new Set(m.frames.flatMap((f) => fixedVariables(f.formula)))];
}

/** What is known of a fixed-part variable: a factor's levels, or a covariate's values over the rows used (their summary). */
interface VariableInfo { name: string; kind: 'factor' | 'covariate'; levels: string[]; values: ValueSummary | null; mean: number; weightedMean: (() => number) | null }

function variableInfo(m: GgModel, name: string): VariableInfo {
  // the first frame whose fixed part reads the variable
  const frame = m.frames.find((f) => fixedVariables(f.formula).includes(name)) ?? m.frames[0];
  const col: Column | undefined = frame.columns.get(name);
  if (col?.kind === 'factor') {
    // the levels that occur in the rows used (droplevels); a fit whose rows are in an engine keeps the
    // levels its first pass saw, and no codes
    if (!col.codes || col.codes.length !== frame.n) return { name, kind: 'factor', levels: [...col.levels], values: null, mean: NaN, weightedMean: null };
    const seen = new Uint8Array(col.levels.length);
    for (let i = 0; i < col.codes.length; i++) if (col.codes[i] >= 0) seen[col.codes[i]] = 1;
    return { name, kind: 'factor', levels: col.levels.filter((_, k) => seen[k]), values: null, mean: NaN, weightedMean: null };
  }
  const c = frame.covariates?.get(name);
  if (!c) throw new ModelError(`ggeffects: '${name}' is in the fixed part through an expression whose grid this model cannot rebuild (a factor read through relevel() or a comparison): refit with the variable itself`);
  if (m.engine) {
    // the engine's scans over the rows used (none: the synchronous calls)
    const w = m.engine.facts?.weightedMeans.get(name);
    return { name, kind: 'covariate', levels: [], values: m.engine.facts?.summaries.get(name) ?? null, mean: c.mean, weightedMean: w === undefined ? null : () => w };
  }
  const x = col?.kind === 'numeric' && col.values?.length === frame.n ? col.values : null;
  const w = m.weights;
  return { name, kind: 'covariate', levels: [], values: x ? summarizeValues(x) : null, mean: c.mean, weightedMean: x && w ? () => weightedMean(x, w) : null };
}

/** a covariate's values over the rows used (their summary), for the choices that read them */
function valuesOf(m: GgModel, v: VariableInfo, what: string): ValueSummary {
  if (!v.values) {
    if (m.engine) throw new ModelError(`ggeffects: ${what} of '${v.name}' need its values over the rows used, which are in ${m.engine.source.engine} (${m.engine.source.name}): use ggpredictAsync or ggemmeansAsync, which scan them there, or give its values in brackets, as '${v.name} [1, 2, 3]'`);
    throw new ModelError(`ggeffects: ${what} of '${v.name}' need its values over the rows used, which this fit does not keep ('${v.name}' enters the model only inside an expression): give its values in brackets, as '${v.name} [1, 2, 3]'`);
  }
  return v.values;
}

/** a grouping factor as a focal term: its levels in the fit (a factor of one variable only) */
function groupingInfo(m: GgModel, term: FocalTerm): VariableInfo {
  const re = m.reTerms.find((t) => t.term.group.length === 1 && t.term.group[0] === term.name);
  if (!re) throw new OptionError('terms', `term '${term.text}': '${term.name}' is part of an interaction grouping factor (${m.reTerms.map((t) => t.group).join(', ')}); only a grouping factor of one variable can be a focal term`);
  return { name: term.name, kind: 'factor', levels: [...re.levels], values: null, mean: NaN, weightedMean: null };
}

/** ggeffects's .prettify_data and .get_representative_values: a focal term's values. */
function focalValues(m: GgModel, term: FocalTerm, v: VariableInfo, position: number): GridValue[] {
  const spec = term.values;
  if (v.kind === 'factor') {
    if (spec.kind === 'default' || (spec.kind === 'valuesAt' && spec.how === 'all')) return [...v.levels];
    if (spec.kind !== 'list') throw new OptionError('terms', `term '${term.text}': '${term.name}' is a factor; give some of its levels in brackets (its levels: ${v.levels.slice(0, 10).join(', ')}${v.levels.length > 10 ? ', …' : ''})`);
    for (const l of spec.items) if (!v.levels.includes(l)) throw new OptionError('terms', `term '${term.text}': '${l}' is not a level of '${term.name}' in the rows used (its levels: ${v.levels.slice(0, 10).join(', ')}${v.levels.length > 10 ? ', …' : ''})`);
    return [...new Set(spec.items)];
  }
  let values: number[];
  switch (spec.kind) {
    case 'default': {
      const x = valuesOf(m, v, 'the default representative values');
      const nd = x.nDistinct;
      // the group or facet with ≥ 10 distinct values: mean ± sd; fewer than 20: all; else pretty_range
      if (position > 0 && nd >= 10) values = valuesAtOf(x, 'meansd');
      else if (nd < 20) values = [...x.distinct!];
      else values = prettyRangeOf(x);
      break;
    }
    case 'pretty': values = prettyRangeOf(valuesOf(m, v, 'pretty values'), spec.n); break;
    case 'valuesAt': values = valuesAtOf(valuesOf(m, v, `the values '${spec.how}'`), spec.how); break;
    case 'seq': {
      // R's seq(from, to, by)
      const n = Math.floor((spec.to - spec.from) / spec.by + 1e-10);
      values = Array.from({ length: n + 1 }, (_, i) => spec.from + i * spec.by);
      break;
    }
    case 'list': values = spec.items.map((s) => {
      const x = itemNumber(s);
      if (x === null) {
        throw new OptionError('terms', `term '${term.text}': '${s}' is not a number, and '${term.name}' is a numeric variable (values such as [1, 5, 10], or one of ${['pretty', 'n = 5', 'minmax', 'meansd', 'zeromax', 'quart', 'quart2', 'fivenum', 'terciles', 'terciles2', 'all'].join(', ')}; ggeffects's function names and variables of the R session are not offered)`);
      }
      return x;
    });
  }
  // a numeric term's values in increasing order (ggeffects's table is sorted by x, then group)
  return [...new Set(values)].sort((a, b) => a - b);
}

export interface Setup {
  focal: { term: FocalTerm; info: VariableInfo; values: GridValue[] }[];
  /** non-focal fixed variables' grid values (ggpredict's: covariates' typical value, factors' first level; condition's) */
  constants: Map<string, GridValue>;
  /** non-focal covariates' typical values (ggemmeans's `at`), condition's values */
  listed: ConstantValue[];
  condition: Map<string, GridValue>;
}

export function checkOptions(options: unknown, types: readonly GgType[] = ['fixed', 'random']): Required<Pick<GgOptions, 'type' | 'level' | 'typical'>> & { condition: Record<string, number | string> } {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new OptionError('options', `ggeffects options must be an object, not ${showValue(options)}`);
  const o = options as GgOptions;
  for (const k of Object.keys(o)) if (!['type', 'level', 'typical', 'condition'].includes(k)) throw new OptionError(k, `unknown option '${k}' (options: type, level, typical, condition)`);
  const type = o.type ?? 'fixed';
  if (!types.includes(type)) throw new OptionError('type', `type must be ${types.slice(0, -1).map((t) => `'${t}'`).join(', ')} or '${types[types.length - 1]}' (ggeffects's ${types.map((t) => ({ fixed: '"fe"', random: '"re"', zero_inflated: '"fe.zi"', zi_random: '"re.zi"' })[t]).join(types.length > 2 ? ', ' : ' and ')}), not ${showValue(type)}`);
  const level = o.level ?? 0.95;
  if (typeof level !== 'number' || !(level > 0 && level < 1)) throw new OptionError('level', `level must be a number between 0 and 1 (such as 0.95), not ${showValue(level)}`);
  const typical = o.typical ?? 'mean';
  if (typical !== 'mean' && typical !== 'median') throw new OptionError('typical', `typical must be 'mean' or 'median', not ${showValue(typical)}`);
  const condition = o.condition ?? {};
  if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) throw new OptionError('condition', `condition must be an object of values such as { x: 2 }, not ${showValue(condition)}`);
  return { type, level, typical, condition };
}

/** the focal terms, the non-focal variables' values and what "Adjusted for" lists */
export function setup(m: GgModel, terms: unknown, typical: 'mean' | 'median', condition: Record<string, number | string>, groupingFocal: 'ggpredict-random' | 'refuse'): Setup {
  if (m.frames.some((f) => f.formula.offsets.length > 0)) throw new ModelError("ggeffects: a model with an offset is not supported here (ggeffects holds the offset's variable at a typical value and warns that predictions may not be correct)");
  const parsed = parseTerms(terms);
  const names = modelVariables(m);
  const grouping = [...new Set(m.reTerms.flatMap((t) => t.term.group))];
  const focal = parsed.map((term, position) => {
    if (!names.includes(term.name)) {
      if (grouping.includes(term.name)) {
        // ggpredict's type "re" at a grouping factor's levels: the predictions with their conditional modes
        if (groupingFocal === 'refuse') {
          throw new OptionError('terms', `term '${term.text}': '${term.name}' groups random effects; predictions at its levels are ggpredict's with type 'random' (ggemmeans averages the random effects out, and ggpredict's type 'fixed' ignores them)`);
        }
        return { term, info: groupingInfo(m, term), values: focalValues(m, term, groupingInfo(m, term), position) };
      }
      throw new OptionError('terms', `term '${term.text}': '${term.name}' is not a variable of the model's fixed part (its variables: ${names.join(', ') || 'none'})`);
    }
    const info = variableInfo(m, term.name);
    return { term, info, values: focalValues(m, term, info, position) };
  });
  const cond = new Map<string, GridValue>();
  for (const [k, v] of Object.entries(condition)) {
    if (parsed.some((t) => t.name === k)) throw new OptionError('condition', `condition: '${k}' is a focal term; give its values in the term's brackets`);
    if (!names.includes(k)) throw new OptionError('condition', `condition: '${k}' is not a variable of the model's fixed part (its variables: ${names.join(', ') || 'none'})`);
    const info = variableInfo(m, k);
    if (info.kind === 'factor') {
      if (!info.levels.includes(String(v))) throw new OptionError('condition', `condition: '${String(v)}' is not a level of '${k}' in the rows used (its levels: ${info.levels.slice(0, 10).join(', ')})`);
      cond.set(k, String(v));
    } else {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new OptionError('condition', `condition: '${k}' is a numeric variable; give a finite number, not ${showValue(v)}`);
      cond.set(k, v);
    }
  }
  const constants = new Map<string, GridValue>();
  const listed: ConstantValue[] = [];
  // an lmer fit's prior weights (not all 1; an engine fit: a weights column): ggeffects's typical "mean" is then their weighted mean
  const weighted = m.weights !== null || m.engine?.weighted === true;
  for (const name of names) {
    if (parsed.some((t) => t.name === name)) continue;
    if (cond.has(name)) { constants.set(name, cond.get(name)!); continue; }
    const info = variableInfo(m, name);
    if (info.kind === 'factor') {
      constants.set(name, info.levels[0]);
      listed.push({ name, value: info.levels[0], population: false });
    } else {
      // the median, or the weighted mean, or the mean
      const value = typical === 'median' ? valuesOf(m, info, 'the median').quantiles([0.5])[0] : weighted ? weightedMeanOf(m, info) : info.mean;
      constants.set(name, value);
      listed.push({ name, value, population: false });
    }
  }
  for (const g of grouping) if (!parsed.some((t) => t.name === g)) listed.push({ name: g, value: 0, population: true });
  return { focal, constants, listed, condition: cond };
}

/** a covariate's weighted mean (the values it needs, or the refusal that names them) */
function weightedMeanOf(m: GgModel, info: VariableInfo): number {
  if (!info.weightedMean) valuesOf(m, { ...info, values: null }, 'the weighted mean (the fit has prior weights)');
  return info.weightedMean!();
}

/** R's weighted.mean: Σ w x / Σ w */
function weightedMean(x: ArrayLike<number>, w: ArrayLike<number>): number {
  let sw = 0, swx = 0;
  for (let i = 0; i < x.length; i++) { sw += w[i]; swx += w[i] * x[i]; }
  return swx / sw;
}

/** ggeffects's title: Predicted values / probabilities / counts of the response */
function titleOf(fit: LmmFit | GlmmFit): string {
  // insight's find_response: a function of one variable (log(y)) is named by the variable; cbind(…) as written
  const r = fit.model.formula.response;
  const y = r.kind === 'expr' && r.expr.type === 'call' && r.expr.fn !== 'cbind' && r.expr.args.length === 1 && r.expr.args[0].type === 'var' ? r.expr.args[0].name : fit.model.frame.yname;
  if (isLmm(fit)) return `Predicted values of ${y}`;
  const fam = fit.model.family.family;
  const what = fam === 'binomial' ? 'probabilities' : fam === 'poisson' || fam === 'negative.binomial' ? 'counts' : 'values';
  return `Predicted ${what} of ${y}`;
}

/** the residual variance ggeffects 1.2.0 adds for type random: insight::get_sigma(fit)² */
function residualVariance(fit: LmmFit | GlmmFit): number {
  if (isLmm(fit)) return fit.sigma * fit.sigma;
  const fam = fit.model.family.family;
  if (fam === 'binomial' || fam === 'poisson') return 1;
  throw new ModelError(`ggeffects: type 'random' of a ${fam} glmer fit is not offered (its residual variance, insight's get_sigma, is defined here for lmer, binomial and Poisson fits)`);
}

/** the interval's df: insight's "wald" df — lmer: n − (p + length(θ) + 1), lme4's df.residual; glmer: ∞ */
function waldDf(fit: LmmFit | GlmmFit): number {
  return isLmm(fit) ? fit.nobs - fit.df : Infinity;
}

/** the lmer response's transformation that ggeffects back-transforms (log, log1p, log10, log2, sqrt), or null */
function responseTransform(fit: LmmFit | GlmmFit): { name: string; inverse(x: number): number } | null {
  if (!isLmm(fit)) return null;
  const r = fit.model.formula.response;
  if (r.kind !== 'expr' || r.expr.type !== 'call') return null;
  const inv: Record<string, (x: number) => number> = { log: Math.exp, log1p: Math.expm1, log10: (x) => Math.pow(10, x), log2: (x) => Math.pow(2, x), sqrt: (x) => x * x };
  const f = inv[r.expr.fn];
  if (!f) return null;
  if (r.expr.args.length !== 1 || r.expr.args[0].type !== 'var') throw new ModelError(`ggeffects: the response '${fit.model.frame.yname}' is back-transformed only as ${r.expr.fn}(y) of a column; compute the response before the fit`);
  return { name: r.expr.fn, inverse: f };
}

/** the grid: every combination of the focal values in ggeffects's table order (sorted by x, then group, then facet: the facet varies fastest) */
export function combinations(focal: Setup['focal']): GridValue[][] {
  const out: GridValue[][] = [];
  const rec = (k: number, acc: GridValue[]) => {
    if (k === focal.length) { out.push(acc); return; }
    for (const v of focal[k].values) rec(k + 1, [...acc, v]);
  };
  rec(0, []);
  return out;
}

/** The grid as new data: focal values and constants, factors as strings (and, with a grouping factor among the terms, the other grouping factors at a level none of theirs). */
export function gridTable(m: GgModel, s: Setup, combos: GridValue[][]): arrow.Table {
  const vectors: Record<string, arrow.Vector> = {};
  const n = combos.length;
  const column = (name: string, kind: 'factor' | 'covariate', value: (r: number) => GridValue) => {
    vectors[name] = kind === 'factor'
      ? arrow.vectorFromArray(Array.from({ length: n }, (_, r) => String(value(r))), new arrow.Utf8())
      : arrow.makeVector(Float64Array.from({ length: n }, (_, r) => value(r) as number));
  };
  s.focal.forEach((f, k) => column(f.term.name, f.info.kind, (r) => combos[r][k]));
  for (const [name, v] of s.constants) column(name, typeof v === 'string' ? 'factor' : 'covariate', () => v);
  // with a grouping factor among the terms, the other grouping factors at population level (a level
  // that is none of theirs: ggeffects's 0, lme4's new level)
  if (s.focal.some((f) => isGrouping(m, f.term.name))) {
    for (const t of m.reTerms) for (const g of t.term.group) {
      if (vectors[g]) continue;
      const none = unusedLevel(m, g);
      column(g, 'factor', () => none);
    }
  }
  if (Object.keys(vectors).length === 0) vectors['(grid)'] = arrow.makeVector(new Float64Array(n));
  return new arrow.Table(vectors);
}

const isGrouping = (m: GgModel, name: string) => !modelVariables(m).includes(name) && m.reTerms.some((t) => t.term.group.includes(name));

/** a level name no grouping factor of `g` has ('0', as ggeffects's, unless that is one) */
function unusedLevel(m: GgModel, g: string): string {
  const levels = new Set(m.reTerms.filter((t) => t.term.group.includes(g)).flatMap((t) => t.levels.flatMap((l) => l.split(':'))));
  let v = '0';
  while (levels.has(v)) v = `${v}_`;
  return v;
}

export function rowOf(values: GridValue[], r: { predicted: number; se: number; low: number; high: number }): GgRow {
  const row: GgRow = { x: values[0], predicted: r.predicted, std_error: r.se, conf_low: r.low, conf_high: r.high };
  if (values.length > 1) row.group = values[1];
  if (values.length > 2) row.facet = values[2];
  return row;
}

function backTransform(fit: LmmFit | GlmmFit, rows: GgRow[], messages: string[]): void {
  const t = responseTransform(fit);
  if (!t) return;
  for (const r of rows) { r.predicted = t.inverse(r.predicted); r.conf_low = t.inverse(r.conf_low); r.conf_high = t.inverse(r.conf_high); }
  messages.push(`Model has ${t.name === 'sqrt' ? 'sqrt' : 'log'}-transformed response. Back-transforming predictions to original response scale. Standard errors are still on the ${t.name === 'sqrt' ? 'sqrt' : 'log'}-scale.`);
}

/** ggeffects::ggpredict(fit, terms, type, ci.lvl, typical, condition) of an lmer or glmer fit. */
export function ggpredict(fit: LmmFit | GlmmFit, terms: string | string[], options: GgOptions = {}): GgEffects {
  return ggpredictWith(fit, terms, options, null);
}

/** ggpredict with an engine's facts about the rows used (./ggRows.ts) in place of the rows. */
export function ggpredictWith(fit: LmmFit | GlmmFit, terms: string | string[], options: GgOptions, facts: GgRowFacts | null): GgEffects {
  const o = checkOptions(options);
  const m = ggModelOf(fit, facts);
  const s = setup(m, terms, o.typical, o.condition, o.type === 'random' ? 'ggpredict-random' : 'refuse');
  const combos = combinations(s.focal);
  const table = gridTable(m, s, combos);
  const design = newDataDesign({ model: fit.model }, table, { groups: false });
  const p = fit.model.frame.p, n = combos.length;
  // the design's rows, row-major
  const X = new Float64Array(n * p);
  for (let j = 0; j < p; j++) for (let r = 0; r < n; r++) X[r * p + j] = design.X[j * n + r];
  const df = waldDf(fit);
  const crit = df === Infinity ? qnorm(1 - (1 - o.level) / 2) : qt(1 - (1 - o.level) / 2, df);
  const s2 = o.type === 'random' ? residualVariance(fit) : 0;
  // ggeffects adds σ² only above 1e-4 (its prediction intervals)
  const addVariance = s2 > 1e-4 ? s2 : 0;
  const linkinv = isLmm(fit) ? (x: number) => x : (x: number) => fit.model.family.linkinv(x);
  let pred = predictionsAt({ X, rows: n, beta: fit.beta, V: Float64Array.from(fit.vcov.flat()), addVariance, crit, linkinv });
  if (s.focal.some((f) => isGrouping(m, f.term.name))) {
    // a grouping factor among the terms (type random): η with its levels' conditional modes (lme4's
    // predict, re.form = NULL, other grouping factors at population level); the SE stays ggeffects's
    // √(xᵀVx + σ²)
    const etaC = predictLinear(fit, table, { allowNewLevels: true });
    pred = pred.map((r, i) => ({ ...r, eta: etaC[i], predicted: linkinv(etaC[i]), low: linkinv(etaC[i] - crit * r.se), high: linkinv(etaC[i] + crit * r.se) }));
  }
  const rows = pred.map((r, i) => rowOf(combos[i], r));
  const messages: string[] = [];
  backTransform(fit, rows, messages);
  return new GgEffects('ggpredict', s.focal.map((f) => f.term.name), rows, titleOf(fit), s.listed, o.type, o.level, addVariance > 0, df, messages);
}

/** ggeffects::ggemmeans(fit, terms, type, ci.lvl, typical, condition) of an lmer or glmer fit. */
export function ggemmeans(fit: LmmFit | GlmmFit, terms: string | string[], options: GgOptions = {}): GgEffects {
  return ggemmeansWith(fit, terms, options, null);
}

/** ggemmeans with an engine's facts about the rows used (./ggRows.ts) in place of the rows. */
export function ggemmeansWith(fit: LmmFit | GlmmFit, terms: string | string[], options: GgOptions, facts: GgRowFacts | null): GgEffects {
  const o = checkOptions(options);
  const s = setup(ggModelOf(fit, facts), terms, o.typical, o.condition, 'refuse');
  // emmeans's `at`: the focal values, the other covariates' typical values, condition's values
  const at: Record<string, GridValue | GridValue[]> = {};
  for (const f of s.focal) at[f.term.name] = f.values;
  for (const [name, v] of s.constants) if (typeof v === 'number' || s.condition.has(name)) at[name] = v;
  const names = s.focal.map((f) => f.term.name);
  // lmer: emmeans's mode "asymptotic" (z intervals); glmer: the link scale
  const grid = emmeans(fit, names, { at, level: o.level, ...(isLmm(fit) ? { ddf: 'asymptotic' as const } : {}) });
  const df = waldDf(fit);
  const sigma = o.type === 'random' ? Math.sqrt(residualVariance(fit)) : 0;
  const crit = df === Infinity ? qnorm(1 - (1 - o.level) / 2) : qt(1 - (1 - o.level) / 2, df);
  const linkinv = isLmm(fit) ? (x: number) => x : (x: number) => fit.model.family.linkinv(x);
  const byKey = new Map(grid.rows.map((r) => [JSON.stringify(names.map((nm) => r.levels[nm])), r]));
  const rows = combinations(s.focal).map((values) => {
    const e = byKey.get(JSON.stringify(values));
    if (!e) throw new Error(`internal: no mean at ${JSON.stringify(values)}`);
    // type random: emmeans's interval ∓ c·σ, SE² + σ² (ggeffects's .ggemmeans_add_confint)
    return rowOf(values, { predicted: linkinv(e.emmean), se: Math.sqrt(e.SE * e.SE + sigma * sigma), low: linkinv(e.lower - crit * sigma), high: linkinv(e.upper + crit * sigma) });
  });
  const messages: string[] = [];
  backTransform(fit, rows, messages);
  // "Adjusted for": the non-focal covariates (factors are averaged over)
  const listed = s.listed.filter((c) => !c.population && typeof c.value === 'number');
  // (the means' intervals are emmeans's asymptotic ones: df ∞)
  return new GgEffects('ggemmeans', names, rows, titleOf(fit), listed, o.type, o.level, false, Infinity, messages);
}
