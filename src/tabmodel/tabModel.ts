/**
 * sjPlot 2.8.12's tab_model(m1, m2, …) of lmer and glmer fits: the regression table of one or several
 * mixed models side by side, assembled from what the library computes already —
 *   - the fixed effects by parameters's model_parameters(ci_method = df.method, effects = "fixed")
 *     (src/parameters/modelParameters.ts; sjPlot's default df.method is "wald": t(df.residual) for
 *     lmer, z for glmer), exponentiated (`transform = "exp"`, the default for a non-identity link:
 *     Odds Ratios, Incidence Rate Ratios) as sjPlot does it: exp(β̂), exp(CI ends), SE · exp(β̂);
 *   - the random-effects summary from insight's get_variance (src/inference/varianceComponents.ts):
 *     σ² = var.residual (an lmer's σ̂²; a glmer's distribution-specific variance, π²/3 for logit),
 *     τ00 = var.intercept per grouping factor, τ11 = var.slope, ρ01 = cor.slope_intercept (VarCorr),
 *     ICC = var.random / (var.random + var.residual) (performance's adjusted ICC),
 *     Marginal / Conditional R² (Nakagawa: src/inference/r2Nakagawa.ts), N per grouping factor,
 *     Observations; optionally the deviance (lme4's devcomp "dev", for a REML lmer the ML deviance at
 *     the REML estimates: log|L|² + n (1 + log(2π r²/n))), AIC (performance_aic: −2ℓ + 2 df, ℓ an
 *     lmer's REML log-likelihood even for an ML fit; a glmer's Laplace ℓ) and the log-likelihood (the
 *     fit's own criterion).
 * The cells are sjPlot's texts (its rounding, minus sign, <strong> p-values, stars); the table renders
 * as sjPlot's HTML (html.ts) or as plain text (text.ts).
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import { LmmFit } from '../lmm/lmmFit.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import { profiledDeviance } from '../lmm/deviance.js';
import { type Schema, bool, checkObject, integer, oneOf, string } from '../options/rules.js';
import { type CiMethod, modelParameters } from '../parameters/modelParameters.js';
import { fitVarianceComponents, r2FromComponents } from '../inference/r2Nakagawa.js';
import { termCovariance } from '../results/components.js';
import { makeUnique } from '../results/rFormat.js';
import { formatThreshold, minusSign, pCell, pStars, sprintfFixed, wordWrap } from './format.js';
import { renderHtml, renderPage } from './html.js';
import { renderText } from './text.js';

/** sjPlot's df.method (p.val) values; 'kr' is kenward */
export const TAB_DF_METHODS = ['wald', 'profile', 'kenward', 'kr', 'satterthwaite', 'ml1', 'betwithin', 'residual', 'normal'] as const;
export type TabDfMethod = (typeof TAB_DF_METHODS)[number];
export const P_STYLES = ['numeric', 'stars', 'numeric_stars'] as const;
export type PStyle = (typeof P_STYLES)[number];

export interface TabModelOptions {
  /** 'exp' or null (log-odds, log-mean); default: 'exp' for a non-identity link, else null */
  transform?: 'exp' | null;
  showIntercept?: boolean;
  /** the intervals' level, or false for no CI column (sjPlot's show.ci, default 0.95) */
  showCi?: number | false;
  showSe?: boolean;
  showStat?: boolean;
  showDf?: boolean;
  showP?: boolean;
  showIcc?: boolean;
  showR2?: boolean;
  showReVar?: boolean;
  showNgroups?: boolean;
  showObs?: boolean;
  showAic?: boolean;
  showLoglik?: boolean;
  showDev?: boolean;
  /** sjPlot's df.method: model_parameters's ci_method (default 'wald') */
  dfMethod?: TabDfMethod;
  pStyle?: PStyle;
  /** the thresholds of *, ** and *** (default 0.05, 0.01, 0.001) */
  pThreshold?: [number, number, number];
  emphP?: boolean;
  digits?: number;
  digitsP?: number;
  digitsRe?: number;
  digitsRsq?: number;
  /** one label per model (default: the response as R deparses it, wrapped at wrapLabels) */
  dvLabels?: string[];
  /** the predictors' labels: one per row in order, or by term name ('(Intercept)', 'f [b]' is 'fb') */
  predLabels?: string[] | Record<string, string>;
  title?: string;
  wrapLabels?: number;
  collapseCi?: boolean;
  collapseSe?: boolean;
  stringPred?: string;
  stringEst?: string;
  stringCi?: string;
  stringSe?: string;
  stringP?: string;
  stringDf?: string;
  stringStat?: string;
  stringIntercept?: string;
}

/** sjPlot options that exist but are not implemented here, refused by name */
const NOT_IMPLEMENTED: Record<string, string> = {
  showStd: 'show.std (standardized coefficients)', showCi50: 'show.ci50 (Bayesian models)', showZeroinf: 'show.zeroinf',
  showFstat: 'show.fstat', showAicc: 'show.aicc', showReflvl: 'show.reflvl', showEst: 'show.est',
  terms: 'terms', rmTerms: 'rm.terms', orderTerms: 'order.terms', keep: 'keep', drop: 'drop',
  bootstrap: 'bootstrap', robust: 'robust', vcovFun: 'vcov.fun', pAdjust: 'p.adjust', prefixLabels: 'prefix.labels',
  colOrder: 'col.order', css: 'CSS', strings: 'strings', stringStd: 'string.std', autoLabel: 'auto.label', linebreak: 'linebreak',
  ciHyphen: 'ci.hyphen', minusSign: 'minus.sign', case: 'case', bpe: 'bpe',
};

const level: Schema[string] = (v, at) => {
  if (v !== false && (typeof v !== 'number' || !(v > 0 && v < 1))) throw new OptionError('showCi', `${at} must be a level between 0 and 1 (exclusive) or false, not ${showValue(v)}`);
};
const stringList: Schema[string] = (v, at) => {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new OptionError(at.split(': ').pop()!, `${at} must be an array of strings, not ${showValue(v)}`);
};
const labels: Schema[string] = (v, at) => {
  if (Array.isArray(v)) return stringList(v, at);
  if (typeof v !== 'object' || v === null || Object.values(v).some((s) => typeof s !== 'string')) throw new OptionError('predLabels', `${at} must be an array of strings or an object of strings by term, not ${showValue(v)}`);
};
const thresholds: Schema[string] = (v, at) => {
  if (!Array.isArray(v) || v.length !== 3 || v.some((x) => typeof x !== 'number' || !(x > 0 && x < 1))) throw new OptionError('pThreshold', `${at} must be three numbers between 0 and 1 (for *, ** and ***), not ${showValue(v)}`);
};
const transformRule: Schema[string] = (v, at) => {
  if (v !== null && v !== 'exp') throw new OptionError('transform', `${at} must be 'exp' or null (no transformation); other functions are not implemented, not ${showValue(v)}`);
};

const SCHEMA: Schema = {
  transform: transformRule, showIntercept: bool, showCi: level, showSe: bool, showStat: bool, showDf: bool, showP: bool,
  showIcc: bool, showR2: bool, showReVar: bool, showNgroups: bool, showObs: bool, showAic: bool, showLoglik: bool, showDev: bool,
  dfMethod: oneOf(...TAB_DF_METHODS), pStyle: oneOf(...P_STYLES), pThreshold: thresholds, emphP: bool,
  digits: integer(0, 15), digitsP: integer(1, 15), digitsRe: integer(0, 15), digitsRsq: integer(0, 15),
  dvLabels: stringList, predLabels: labels, title: string, wrapLabels: integer(0),
  collapseCi: bool, collapseSe: bool,
  stringPred: string, stringEst: string, stringCi: string, stringSe: string, stringP: string, stringDf: string, stringStat: string, stringIntercept: string,
};

/** A column of the table's body: which model and which of sjPlot's columns */
export interface TabColumn {
  /** 1-based model index */
  model: number;
  key: 'estimate' | 'std.error' | 'conf.int' | 'statistic' | 'p.value' | 'df.error';
  header: string;
}

/** A row of the fixed effects: the term's name, its label, a cell per column (sjPlot's HTML text; '' where a model lacks the term) */
export interface TabRow {
  term: string;
  label: string;
  cells: string[];
}

/** A row of the summary part: its label and one cell per model spanning that model's columns */
export interface TabSummaryRow {
  kind: 'sigma2' | 'tau00' | 'tau11' | 'rho01' | 'icc' | 'ngroups' | 'nobs' | 'r2' | 'deviance' | 'aic' | 'loglik';
  label: string;
  cells: { text: string; colspan: number }[];
  /** sjPlot's firstsumrow class (the first summary row after the random effects) */
  firstSumRow: boolean;
}

export interface TabModel {
  title: string | null;
  /** the header above each model's columns (empty: none) */
  dvLabels: string[];
  /** the header of the predictors' column */
  predictorsHeader: string;
  columns: TabColumn[];
  rows: TabRow[];
  /** whether the "Random Effects" heading is shown (show.re.var) */
  randomHeading: boolean;
  summary: TabSummaryRow[];
  footnote: string | null;
  nModels: number;
  /** notes of parameters and insight on the fits (each once) */
  messages: string[];
  /** sjPlot's page.content: the HTML table */
  html(): string;
  /** sjPlot's page.complete: the page with its CSS */
  page(): string;
  /** the same cells as plain text in columns, for a terminal */
  text(): string;
}

type Fit = LmmFit | GlmmFit;

/** one model's part of the table, before the models are joined */
interface ModelPart {
  columns: TabColumn['key'][];
  headers: string[];
  terms: string[];
  cells: Map<string, string[]>;
  pretty: Record<string, string>;
  variance: VarianceSummary | null;
  nGroups: { name: string; n: number }[] | null;
  nObs: number | null;
  /** marginal and conditional R² (conditional null: NA, a singular fit) */
  r2: [number, number | null] | null;
  deviance: number | null;
  aic: number | null;
  logLik: number | null;
  /** parameters's and insight's notes */
  messages: string[];
}

/** insight's get_variance as sjPlot reads it */
interface VarianceSummary {
  residual: number;
  /** null for a singular fit (insight's var.random absent) */
  random: number | null;
  intercept: { name: string; value: number }[];
  slope: { name: string; value: number }[];
  cor: { name: string; value: number }[];
}

const WHAT = 'tabModel';

function checkFits(fits: unknown): Fit[] {
  const list = Array.isArray(fits) ? fits : [fits];
  if (list.length === 0) throw new ModelError(`${WHAT}: no model given`);
  list.forEach((f, i) => {
    if (!(f instanceof LmmFit || f instanceof GlmmFit)) throw new ModelError(`${WHAT}: model ${i + 1} is not an lmer or glmer fit (LmmFit, GlmmFit): sjPlot's tab_model is implemented here for mixed models`);
  });
  return list as Fit[];
}

/** sjPlot's estimate_axis_title: the estimate column's name by family and transform */
function estimateTitle(fit: Fit, transform: 'exp' | null): string {
  if (!(fit instanceof GlmmFit)) return 'Estimates';
  const fam = fit.family;
  const binomial = fam === 'binomial';
  const count = fam === 'poisson' || fam === 'negative.binomial';
  if (transform === null) return binomial ? 'Log-Odds' : count ? 'Log-Mean' : 'Estimates';
  if (count) return 'Incidence Rate Ratios';
  if (binomial) return fit.link === 'logit' ? 'Odds Ratios' : 'Risk Ratios';
  return 'Estimates';
}

/** insight's get_variance of the fit, as sjPlot reads it */
async function varianceSummary(fit: Fit): Promise<VarianceSummary & { messages: string[] }> {
  // (a singular fit: insight gives no var.random — sjPlot: no ICC, R² conditional NA — but the other components)
  const v = await fitVarianceComponents(fit, 1e-5);
  const s2 = fit instanceof LmmFit ? fit.sigma * fit.sigma : 1;
  const terms = fit.model.frame.reTerms;
  // lme4's VarCorr: Σ_k = σ² T_k T_kᵀ per term, named by its grouping factor (make.unique: `Subject`, `Subject.1`)
  const names = makeUnique(terms.map((t) => t.group));
  const vc = terms.map((t, k) => ({ name: names[k], cnames: t.cnames, S: termCovariance(terms, fit.theta, k, s2) }));
  const intercept = Object.entries(v.intercept).map(([name, value]) => ({ name, value }));
  return { residual: v.residual, random: v.random, intercept, slope: randomSlopeVariance(vc), cor: slopeInterceptCorrelation(vc), messages: v.messages };
}

interface VarCorrTerm { name: string; cnames: string[]; S: Float64Array | number[] }

const diagOf = (t: VarCorrTerm) => t.cnames.map((_, i) => t.S[i * t.cnames.length + i]);

/**
 * insight 0.19.0's .random_slope_variance of a merMod, step for step: the variances of each term's columns
 * after its first (`unlist(lapply(vc, function(x) diag(x)[-1]))`, named `group.column`); terms without an
 * intercept add every column (all of them when no term has one; otherwise named by their factor, its
 * make.unique suffix dropped, and their columns, after dropping an earlier entry of the same value (within 1e-4)
 * whose name holds the column's name)
 */
function randomSlopeVariance(vc: VarCorrTerm[]): { name: string; value: number }[] {
  // unlist's names: `list.element` (one unnamed value: `list`; several unnamed: `list1`, `list2`, …)
  let out = vc.flatMap((t) => diagOf(t).slice(1).map((value, i) => ({ name: `${t.name}.${t.cnames[i + 1]}`, value })));
  const nonIntercept = vc.filter((t) => !t.cnames[0].startsWith('(Intercept)'));
  if (nonIntercept.length === vc.length) return vc.flatMap((t) => diagOf(t).map((value, i) => ({ name: `${t.name}.${t.cnames[i]}`, value })));
  if (nonIntercept.length === 0) return out;
  const dn = nonIntercept.flatMap((t) => t.cnames);
  const unlisted = nonIntercept.flatMap((t) => {
    const d = diagOf(t);
    return d.map((value, i) => ({ name: d.length === 1 ? t.name : `${t.name}${i + 1}`, value }));
  });
  const slopes = unlisted.map((e, i) => ({ name: `${e.name.replace(/^(.*)\.\d+$/, '$1')}.${dn[i]}`, value: e.value }));
  const names = new Set(slopes.map((e) => e.name));
  if (out.some((e) => !names.has(e.name))) {
    // (R's grepl(dn[the_same], …) reads the first match when several values agree)
    out = out.filter((e) => {
      const same = slopes.findIndex((r) => Math.abs(e.value - r.value) < 1e-4);
      return !(same >= 0 && e.name.includes(dn[same]));
    });
    return [...out, ...slopes];
  }
  return slopes;
}

/**
 * insight 0.19.0's .random_slope_intercept_corr of a merMod: per term whose first column is the intercept,
 * the correlations of its other columns with it (`i[-1, 1]`: unnamed for one slope, named by the columns for
 * several), through sapply and unlist — all terms one value: named by the term; all the same length above one:
 * a matrix, whose entries sjPlot reads unnamed; otherwise `term` and `term.column`. A zero variance's NaN stays
 * (sjPlot shows no value).
 */
function slopeInterceptCorrelation(vc: VarCorrTerm[]): { name: string; value: number }[] {
  const per = vc.map((t) => {
    const q = t.cnames.length;
    if (t.cnames[0] !== '(Intercept)') return { t, values: [] as number[], isNull: true };
    const values = t.cnames.slice(1).map((_, i) => t.S[(i + 1) * q] / Math.sqrt(t.S[0] * t.S[(i + 1) * q + i + 1]));
    return { t, values, isNull: false };
  });
  const lengths = new Set(per.map((p) => p.values.length));
  const common = lengths.size === 1 ? per[0].values.length : -1;
  if (common === 1) return per.map((p) => ({ name: p.t.name, value: p.values[0] }));
  if (common > 1) return per.flatMap((p) => p.values.map((value) => ({ name: '', value })));
  return per.flatMap((p) => (p.values.length === 1 ? [{ name: p.t.name, value: p.values[0] }] : p.values.map((value, i) => ({ name: `${p.t.name}.${p.t.cnames[i + 1]}`, value }))));
}

/**
 * insight's find_random(split_nested = TRUE, flatten = TRUE) with each variable's number of distinct values
 * over the rows used, as sjPlot counts them: the grouping factors in the formula's order, interactions
 * (`cask:batch`, lme4's expansion of `batch/cask`) split into their variables, each once. A variable seen
 * only inside an interaction is counted from the interaction's levels (R's `a:b` labels, split at ':').
 */
function groupCounts(fit: Fit): { name: string; n: number }[] {
  const out: { name: string; n: number }[] = [];
  const reTerms = fit.model.frame.reTerms;
  for (const term of fit.model.formula.random) {
    term.group.forEach((name, j) => {
      if (out.some((g) => g.name === name)) return;
      if (/[()]/.test(name)) throw new ModelError(`${WHAT}: the grouping factor '${term.groupLabel}' is an expression: sjPlot's count of its groups reads a data column of that name (insight strips the parentheses), which is not implemented here; set showNgroups to false`);
      const alone = reTerms.find((t) => t.group === name);
      if (alone) { out.push({ name, n: alone.levels.length }); return; }
      const re = reTerms.find((t) => t.group === term.groupLabel);
      if (!re) throw new ModelError(`${WHAT}: the grouping factor '${term.groupLabel}' is not among the fit's random-effects terms`);
      const parts = re.levels.map((l) => l.split(':'));
      if (parts.some((p) => p.length !== term.group.length)) throw new ModelError(`${WHAT}: a level of '${term.groupLabel}' holds a ':' of its own, so the levels of '${name}' cannot be read from it; set showNgroups to false`);
      out.push({ name, n: new Set(parts.map((p) => p[j])).size });
    });
  }
  return out;
}

/** lme4's devcomp "dev": an ML fit's deviance; a REML lmer's ML deviance at the REML estimates; a glmer's −2ℓ (Laplace) */
function devianceOf(fit: Fit): number {
  if (fit instanceof GlmmFit) return -2 * fit.logLik;
  if (!fit.reml) return fit.objective;
  const frame = fit.model.frame;
  // −2ℓ_ML(θ̂_REML) = log|L|² − Σ log w + n (1 + log(2π r²/n))  (lme4's devCrit with REML = FALSE)
  const sumLogW = frame.weights ? frame.weights.reduce((a, w) => a + Math.log(w), 0) : 0;
  return profiledDeviance(fit.parts, frame.n, frame.p, false, sumLogW);
}

/**
 * performance 0.10.2's performance_aic as sjPlot calls it: for an lmer (performance_aic.lmerMod, its
 * estimator "REML") AIC = −2ℓ_REML + 2 df with ℓ_REML lme4's logLik(fit, REML = TRUE) — for an ML fit the
 * REML criterion at the ML estimates, log|L|² + log|R_X|² − Σ log w + (n − p)(1 + log(2π r²/(n − p)));
 * for a glmer (performance_aic.default, ML) lme4's AIC, −2ℓ + 2 df
 */
function aicOf(fit: Fit): number {
  if (fit instanceof GlmmFit || fit.reml) return fit.AIC;
  const frame = fit.model.frame;
  const sumLogW = frame.weights ? frame.weights.reduce((a, w) => a + Math.log(w), 0) : 0;
  return profiledDeviance(fit.parts, frame.n, frame.p, true, sumLogW) + 2 * fit.df;
}

/** performance's AIC adjusts for a transformed response (its Jacobian): not ported */
function refuseTransformedResponse(fit: Fit): void {
  const r = fit.model.formula.response;
  if (r.kind === 'expr' && r.expr.type !== 'var') throw new ModelError(`${WHAT}: the AIC of a fit with a transformed response (${r.label}): performance adds the transformation's Jacobian to it, which is not ported here; leave showAic out`);
}

function refuseWeighted(fit: Fit, what: string): void {
  const { weights: w, trials } = fit.model.frame;
  // (a binomial response's weights are its numbers of trials: prior weights are what differs from them)
  const prior = w !== undefined && (trials ? Array.from(w).some((x, i) => x !== trials[i]) : Array.from(w).some((x) => x !== 1));
  if (prior) throw new ModelError(`${WHAT}: ${what} of a fit with prior weights is not implemented here (sjPlot's value for it was not checked); leave it out`);
}

interface Resolved {
  transform: 'exp' | null | undefined;
  ci: number | false;
  dfMethod: CiMethod;
  stars: boolean;
  numeric: boolean;
  thresholds: [number, number, number];
  emphP: boolean;
  digits: number;
  digitsP: number;
  o: TabModelOptions;
}

/** one model's cells (sjPlot's tab_model, per model: tidy_model, transform, format_p_values, collapse) */
async function modelPart(fit: Fit, r: Resolved): Promise<ModelPart> {
  const o = r.o;
  const transform = r.transform !== undefined ? r.transform : fit instanceof LmmFit || fit.link === 'identity' ? null : 'exp';
  const mp = await modelParameters(fit, { ciMethod: r.dfMethod, effects: 'fixed', ci: r.ci === false ? 0.95 : r.ci });
  const digits = r.digits;
  const f = (x: number | null) => sprintfFixed(x, digits);
  const cells = new Map<string, string[]>();
  const terms: string[] = [];
  // the columns sjPlot keeps (remove_unwanted), in its col.order
  const keys: TabColumn['key'][] = ['estimate'];
  if (o.showSe === true && o.collapseSe !== true) keys.push('std.error');
  if (r.ci !== false && o.collapseCi !== true) keys.push('conf.int');
  if (o.showStat === true) keys.push('statistic');
  if (r.numeric && o.showP !== false) keys.push('p.value');
  if (o.showDf === true) keys.push('df.error');
  for (const row of mp.rows) {
    let est = row.Coefficient;
    let lo = row.CI_low;
    let hi = row.CI_high;
    let se = row.SE;
    if (transform === 'exp') {
      // sjPlot: exp() of the estimate and the interval's ends; the SE times exp(β̂)
      est = Math.exp(est);
      lo = lo === null ? null : Math.exp(lo);
      hi = hi === null ? null : Math.exp(hi);
      se = se === null ? null : se * est;
    }
    const ci = `${f(lo)}&nbsp;&ndash;&nbsp;${f(hi)}`;
    let estimate = r.stars ? `${f(est)} <sup>${pStars(row.p, r.thresholds)}</sup>` : f(est);
    const seCell = f(se);
    if (o.collapseCi === true && r.ci !== false) estimate = `${estimate}<br>(${ci})`;
    if (o.collapseSe === true) estimate = `${estimate}<br>(${seCell})`;
    const all: Record<TabColumn['key'], string> = {
      estimate, 'std.error': seCell, 'conf.int': ci, statistic: f(row.statistic),
      'p.value': pCell(row.p, r.digitsP, r.emphP && mp.rows.some((x) => x.p !== null)), 'df.error': f(row.df_error),
    };
    const na = new Set(['NA', 'NA&nbsp;&ndash;&nbsp;NA']);
    const term = row.Parameter === '(Intercept)' && o.stringIntercept !== undefined ? o.stringIntercept : row.Parameter;
    terms.push(term);
    cells.set(term, keys.map((k) => {
      const c = minusSign(all[k]);
      return na.has(c) ? '' : c;
    }));
  }
  const headers = keys.map((k) => {
    switch (k) {
      case 'estimate': return o.stringEst ?? estimateTitle(fit, transform);
      case 'std.error': return o.stringSe ?? 'std. Error';
      case 'conf.int': return o.stringCi ?? 'CI';
      case 'statistic': return o.stringStat ?? 'Statistic';
      case 'p.value': return o.stringP ?? 'p';
      case 'df.error': return o.stringDf ?? 'df';
    }
  });
  const pretty: Record<string, string> = { ...mp.prettyNames };
  if (o.stringIntercept !== undefined) pretty[o.stringIntercept] = o.stringIntercept;
  const wantVars = o.showIcc !== false || o.showReVar !== false || o.showR2 !== false;
  const vars = wantVars ? await varianceSummary(fit) : null;
  let r2: [number, number | null] | null = null;
  if (o.showR2 !== false && vars) {
    const c = await fitVarianceComponents(fit, 1e-5);
    const x = r2FromComponents(c);
    r2 = [x.marginal, x.conditional];
  }
  if (o.showDev === true || o.showAic === true || o.showLoglik === true) refuseWeighted(fit, 'the deviance, AIC or log-likelihood');
  if (o.showAic === true) refuseTransformedResponse(fit);
  return {
    messages: [...mp.messages, ...(vars?.messages ?? [])],
    columns: keys, headers, terms, cells, pretty, variance: vars,
    nGroups: o.showNgroups !== false ? groupCounts(fit) : null,
    nObs: o.showObs !== false ? fit.nobs : null,
    r2,
    deviance: o.showDev === true ? devianceOf(fit) : null,
    aic: o.showAic === true ? aicOf(fit) : null,
    logLik: o.showLoglik === true ? fit.logLik : null,
  };
}

/**
 * sjPlot's tab_model(fits…, options): the table of one fit or several side by side (the predictors'
 * rows joined in order of appearance).
 */
export async function tabModel(fits: Fit | Fit[], options: TabModelOptions = {}): Promise<TabModel> {
  const list = checkFits(fits);
  if (options !== null && typeof options === 'object') {
    for (const k of Object.keys(options)) {
      if (NOT_IMPLEMENTED[k]) throw new OptionError(k, `${WHAT}: sjPlot's ${NOT_IMPLEMENTED[k]} is not implemented here`);
    }
  }
  checkObject(options, WHAT, SCHEMA);
  const o = options;
  const pStyle = o.pStyle ?? 'numeric';
  const dfMethod: CiMethod = o.dfMethod === undefined ? 'wald' : o.dfMethod === 'kr' ? 'kenward' : o.dfMethod;
  const r: Resolved = {
    transform: o.transform, ci: o.showCi ?? 0.95, dfMethod,
    stars: pStyle !== 'numeric', numeric: pStyle !== 'stars',
    thresholds: o.pThreshold ?? [0.05, 0.01, 0.001], emphP: o.emphP ?? true,
    digits: o.digits ?? 2, digitsP: o.digitsP ?? 3, o,
  };
  if (o.collapseCi === true && r.ci === false) throw new OptionError('collapseCi', `${WHAT}: collapseCi puts the CI under the estimate, and showCi is false: drop one of them`);
  if (o.dvLabels !== undefined && o.dvLabels.length !== list.length && !(o.dvLabels.length <= 1 && (o.dvLabels[0] ?? '') === '')) {
    throw new OptionError('dvLabels', `${WHAT}: dvLabels has ${o.dvLabels.length} labels for ${list.length} models: give one per model (or [''] for none)`);
  }
  const parts: ModelPart[] = [];
  for (const fit of list) parts.push(await modelPart(fit, r));

  // the predictors' rows: dplyr's full_join by term, in order of first appearance
  const termOrder: string[] = [];
  for (const p of parts) for (const t of p.terms) if (!termOrder.includes(t)) termOrder.push(t);
  let terms = termOrder;
  if (o.showIntercept === false) terms = terms.filter((t) => !t.includes('(Intercept'));
  const columns: TabColumn[] = parts.flatMap((p, i) => p.columns.map((key, k) => ({ model: i + 1, key, header: p.headers[k] })));
  const wrap = o.wrapLabels ?? 25;
  // labels: parameters's format_parameters of each model (first model's name wins), wrapped; or the user's
  const pretty: Record<string, string> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.pretty)) if (!(k in pretty)) pretty[k] = v;
  let labelOf: (t: string, k: number) => string = (t) => (t in pretty ? wordWrap(pretty[t], wrap) : t);
  if (Array.isArray(o.predLabels)) {
    const given = o.predLabels;
    if (given.length !== terms.length) throw new OptionError('predLabels', `${WHAT}: predLabels has ${given.length} labels for ${terms.length} rows (${terms.join(', ')}): give one per row, or an object of labels by term`);
    labelOf = (_t, k) => given[k];
  } else if (o.predLabels !== undefined) {
    const named = o.predLabels;
    for (const k of Object.keys(named)) if (!terms.includes(k)) throw new OptionError('predLabels', `${WHAT}: predLabels names the term '${k}', which is in no model; the terms are ${terms.join(', ')}`);
    labelOf = (t) => (t in named ? wordWrap(named[t], wrap) : t);
  }
  const rows: TabRow[] = terms.map((term, k) => ({
    term,
    label: labelOf(term, k),
    cells: parts.flatMap((p) => p.cells.get(term) ?? p.columns.map(() => '')),
  }));
  const dvLabels = o.dvLabels !== undefined
    ? (o.dvLabels.length <= 1 && (o.dvLabels[0] ?? '') === '' ? [] : o.dvLabels)
    : list.map((fit) => wordWrap(fit.model.formula.response.label, wrap));

  const summary = summaryRows(parts, columns, o);
  const footnote = r.stars
    ? `* p&lt;${formatThreshold(r.thresholds[0])}&nbsp;&nbsp;&nbsp;** p&lt;${formatThreshold(r.thresholds[1])}&nbsp;&nbsp;&nbsp;*** p&lt;${formatThreshold(r.thresholds[2])}`
    : null;
  const table: TabModel = {
    title: o.title ?? null, dvLabels, predictorsHeader: o.stringPred ?? 'Predictors', columns, rows,
    randomHeading: o.showReVar !== false && parts.some((p) => p.variance !== null),
    summary, footnote, nModels: list.length,
    messages: [...new Set(parts.flatMap((p) => p.messages))],
    html: () => renderHtml(table).content,
    page: () => renderPage(table),
    text: () => renderText(table),
  };
  return table;
}

/** the summary rows of tab_model_df, in its order */
function summaryRows(parts: ModelPart[], columns: TabColumn[], o: TabModelOptions): TabSummaryRow[] {
  const n = parts.length;
  const digitsRe = o.digitsRe ?? 2;
  const digitsRsq = o.digitsRsq ?? 3;
  // a model's colspan: the whole width for one model, else the columns named `_i` (sjPlot's string_ends_with)
  const span = (i: number) => (n === 1 ? columns.length : columns.filter((c) => `_${c.model}`.endsWith(`_${i + 1}`)).length);
  const out: TabSummaryRow[] = [];
  // create_random_effects: a row per entry; with one model the label names the entry, with several each cell does
  // (oneToZero: the τ and ρ rows, whose count is the longest model's; with none in any model R's
  // `for (i in 1:rv.len)` runs over 1:0, two rows of empty cells)
  const entries = (kind: TabSummaryRow['kind'], head: string, get: (p: ModelPart) => { name: string; value: number }[] | null, text: (v: number) => string, oneToZero = false) => {
    const lists = parts.map(get);
    const len = Math.max(...lists.map((l) => l?.length ?? 0));
    const ks = len === 0 && oneToZero ? [0, -1] : Array.from({ length: len }, (_, k) => k);
    for (const k of ks) {
      const first = lists[0]?.[k];
      const label = n === 1 && first && first.name !== '' ? `${head} <sub>${first.name}</sub>` : k > 0 ? '' : head;
      out.push({
        kind, label, firstSumRow: false,
        cells: lists.map((l, i) => {
          const e = l?.[k];
          if (!e || Number.isNaN(e.value)) return { text: '&nbsp;', colspan: span(i) };
          return { text: `${text(e.value)}${n > 1 && e.name !== '' ? ` <sub>${e.name}</sub>` : ''}`, colspan: span(i) };
        }),
      });
    }
  };
  const fixedRe = (v: number) => sprintfFixed(v, digitsRe);
  if (o.showReVar !== false && parts.some((p) => p.variance !== null)) {
    out.push({ kind: 'sigma2', label: '&sigma;<sup>2</sup>', firstSumRow: false, cells: parts.map((p, i) => ({ text: p.variance ? fixedRe(p.variance.residual) : '&nbsp;', colspan: span(i) })) });
    entries('tau00', '&tau;<sub>00</sub>', (p) => p.variance?.intercept ?? null, fixedRe, true);
    if (parts.some((p) => (p.variance?.slope.length ?? 0) > 0)) {
      entries('tau11', '&tau;<sub>11</sub>', (p) => (p.variance && p.variance.slope.length > 0 ? p.variance.slope : null), fixedRe, true);
      entries('rho01', '&rho;<sub>01</sub>', (p) => (p.variance && p.variance.cor.length > 0 ? p.variance.cor : null), fixedRe, true);
    }
  }
  if (o.showIcc !== false && parts.some((p) => p.variance !== null)) {
    // ICC = var.random / (var.random + var.residual)
    // (none for a singular fit: insight's var.random is absent)
    entries('icc', 'ICC', (p) => (p.variance && p.variance.random !== null ? [{ name: '', value: p.variance.random / (p.variance.random + p.variance.residual) }] : null), fixedRe);
  }
  if (parts.some((p) => p.nGroups !== null)) entries('ngroups', 'N', (p) => p.nGroups?.map((g) => ({ name: g.name, value: g.n })) ?? null, (v) => String(v));
  let first = true;
  const stat = (kind: TabSummaryRow['kind'], label: string, get: (p: ModelPart) => string | null) => {
    out.push({ kind, label, firstSumRow: first, cells: parts.map((p, i) => ({ text: get(p) ?? '&nbsp;', colspan: span(i) })) });
    first = false;
  };
  if (parts.some((p) => p.nObs !== null)) stat('nobs', 'Observations', (p) => (p.nObs === null ? 'NA' : String(p.nObs)));
  if (parts.some((p) => p.r2 !== null)) {
    stat('r2', 'Marginal R<sup>2</sup> / Conditional R<sup>2</sup>', (p) => (p.r2 === null ? 'NA' : `${sprintfFixed(p.r2[0], digitsRsq)} / ${sprintfFixed(p.r2[1], digitsRsq)}`));
  }
  if (parts.some((p) => p.deviance !== null)) stat('deviance', 'Deviance', (p) => (p.deviance === null ? null : sprintfFixed(p.deviance, 3)));
  if (parts.some((p) => p.aic !== null)) stat('aic', 'AIC', (p) => (p.aic === null ? null : sprintfFixed(p.aic, 3)));
  if (parts.some((p) => p.logLik !== null)) stat('loglik', 'log-Likelihood', (p) => (p.logLik === null ? null : sprintfFixed(p.logLik, 3)));
  return out;
}
