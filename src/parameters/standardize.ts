/**
 * effectsize 0.8.3's standardize_parameters() (parameters 0.20.2's, which effectsize re-exports) of lmer
 * and glmer fits:
 *  - refit: datawizard's standardize(model): every numeric variable of the model frame but the response's
 *    (glmer), the weights and the grouping factors — the response too for lmer — replaced by
 *    (x − mean) / SD over the rows used (weighted by insight's weights where the fit has them), and the model fitted again (lme4's update(data = ·): the fit's
 *    recorded call through fit.update); its model_parameters (Wald) are the standardized coefficients;
 *  - posthoc, smart, basic, pseudo: model_parameters(fit) scaled per coefficient by
 *    Deviation_pred / Deviation_resp (standardizeInfo.ts): Coefficient, SE, CI_low, CI_high × d
 *    (exponentiated: raised to the power d):
 *      basic    Deviation_Basic / Deviation_Response_Basic
 *      posthoc  Deviation_Smart / Deviation_Response_Basic
 *      smart    Deviation_Smart / Deviation_Response_Smart
 *      pseudo   Deviation_Pseudo / Deviation_Response_Pseudo (one grouping factor only; else basic,
 *               with parameters's warning)
 *    the response's deviation is 1 for a glmer fit (include_response is FALSE for non-linear models:
 *    "Response is unstandardized").
 * Refused here (a clear error): posthoc/smart/pseudo with an interaction term (parameters's per-term
 * rules for interactions are not ported); refit with a transformed variable in the formula (datawizard
 * shifts log and sqrt terms) or an offset; pseudo with prior weights (parameters mixes the rows' weights
 * with the levels' means there).
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import { LmmFit } from '../lmm/lmmFit.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import { parseFormula } from '../formula/parse.js';
import { refitWithFormula } from '../inference/refitFrame.js';
import { type Schema, bool, checkObject } from '../options/rules.js';
import { callOf, updateFit } from '../fit/update.js';
import { toArrowTable } from '../io/dataInput.js';
import { type ModelParameters, type ModelParametersOptions, coefficientName, fixedTerms, groupingFactors, modelParameters, parametersFit, requireRows } from './modelParameters.js';
import { pseudoInfo, stdInfo, weightedSd } from './standardizeInfo.js';

export const STANDARDIZE_METHODS = ['refit', 'posthoc', 'smart', 'basic', 'pseudo'] as const;
export type StandardizeMethod = (typeof STANDARDIZE_METHODS)[number];

export interface StandardizeOptions {
  /** effectsize's method (default 'refit') */
  method?: StandardizeMethod;
  /** the intervals' level (default 0.95) */
  ci?: number;
  /** exp() of the coefficients (glmer): the post-hoc methods raise them to the power of the deviations' ratio */
  exponentiate?: boolean;
  /** standardize the response too (lmer; default true; a glmer fit's response never is) */
  includeResponse?: boolean;
}

export interface StandardizedRow {
  Parameter: string;
  Std_Coefficient: number;
  CI: number;
  CI_low: number | null;
  CI_high: number | null;
}

export interface StandardizedParameters {
  /** the method used (pseudo falls back to basic for more than one grouping factor, as parameters) */
  method: StandardizeMethod;
  rows: StandardizedRow[];
  ci: number;
  /** the coefficient column's name: Std_Coefficient, or Std_Odds_Ratio, Std_IRR, … when exponentiated */
  coefficientColumn: string;
  includeResponse: boolean;
  messages: string[];
}

const SCHEMA: Schema = {
  method: (v, at) => {
    if (typeof v === 'string' && (STANDARDIZE_METHODS as readonly string[]).includes(v)) return;
    const hint = v === 'classic' ? " ('classic' is parameters's old name of 'basic')" : '';
    throw new OptionError('method', `${at}: unknown standardization method ${showValue(v)}; effectsize's methods: ${STANDARDIZE_METHODS.map((m) => `'${m}'`).join(', ')}${hint}`);
  },
  ci: (v, at) => { if (typeof v !== 'number' || !(v > 0 && v < 1)) throw new OptionError('ci', `${at} must be a number between 0 and 1 (exclusive), not ${showValue(v)}`); },
  exponentiate: bool,
  includeResponse: bool,
};

/** the names R's all.vars gives of an expression's text that are not calls */
function namesIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/`([^`]+)`|([A-Za-z.][A-Za-z0-9._]*)(\s*\()?/g)) {
    const name = m[1] ?? m[2];
    if (!m[3] && name !== undefined && !out.includes(name)) out.push(name);
  }
  return out;
}

/**
 * datawizard's standardized data of the fit's model frame: the rows used, the formula's variables, each
 * numeric one but the response's (unless `includeResponse`), the weights' and the grouping factors'
 * replaced by (x − mean) / SD (weighted mean and SD with the fit's weights); as columns for lmer/glmer's data.
 */
export function standardizedData(fit: LmmFit | GlmmFit, includeResponse: boolean): Record<string, unknown[] | Float64Array> {
  const call = callOf(fit);
  if (!call) throw new ModelError("standardizeParameters: method 'refit' refits the model on standardized data and needs the fit's call (a fit by lmer or glmer of data in memory); use method 'posthoc', 'smart' or 'basic' for this fit");
  const frame = fit.model.frame;
  // a column's pieces (split at ':') must be variables or a factor's levels: a plain name, or
  // factor()/as.factor() of one (the levels keep their grouping after standardizing)
  const plain = (s: string) => /^[A-Za-z.][A-Za-z0-9._]*$/.test(s) || /^(as\.)?factor\([A-Za-z.][A-Za-z0-9._]*\)$/.test(s);
  const pieceOk = (s: string) => {
    if (s === '(Intercept)') return true;
    const c = frame.columns.get(s);
    if (c) return c.kind === 'numeric' && plain(s);
    for (const [label, col] of frame.columns) if (col.kind === 'factor' && s.startsWith(label) && col.levels.includes(s.slice(label.length))) return plain(label);
    return plain(s);
  };
  const columnsOf = [...frame.xnames, ...frame.reTerms.flatMap((t) => t.cnames)];
  const transformed = [...new Set(columnsOf.filter((name) => !name.split(':').every(pieceOk)))];
  if (transformed.length > 0 || frame.offset) {
    throw new ModelError(`standardizeParameters: method 'refit' with ${frame.offset ? 'an offset' : `the transformed term${transformed.length > 1 ? 's' : ''} ${transformed.map((s) => `'${s}'`).join(', ')}`}: datawizard standardizes the variables before the formula transforms them (shifting log and sqrt terms to start at 1 or 0), which is not implemented here; use method 'basic'`);
  }
  const table = toArrowTable(call.data);
  const response = new Set(namesIn(frame.formula.response.label));
  const groups = new Set(frame.formula.random.flatMap((r) => r.group));
  const weights = typeof call.options.weights === 'string' ? call.options.weights : null;
  const factors = new Set((call.options.factors as string[] | undefined) ?? []);
  const text = frame.formula.text;
  const used = namesIn(text).filter((v) => table.getChild(v) !== null);
  const rows = frame.rows ?? Int32Array.from({ length: frame.n }, (_, i) => i);
  const w = insightWeights(fit);
  const out: Record<string, unknown[] | Float64Array> = {};
  // the formula's variables, the weights' column and the call's factors (lmer and glmer look them up)
  const names = [...new Set([...used, ...(weights ? [weights] : []), ...[...factors].filter((f) => table.getChild(f) !== null)])];
  for (const name of names) {
    const col = table.getChild(name)!;
    const values = Array.from(rows, (i) => col.get(i) as unknown);
    const numeric = values.every((v) => typeof v === 'number' || v === null);
    const keep = !numeric || factors.has(name) || groups.has(name) || name === weights || (!includeResponse && response.has(name));
    if (keep) { out[name] = values.map((v) => (typeof v === 'bigint' ? Number(v) : v)); continue; }
    // (x − mean) / SD over the rows used; with weights (insight's get_weights), datawizard's weighted
    // mean Σ w̃ x and weighted_sd
    const x = Float64Array.from(values as number[]);
    let m = 0;
    if (w) { let sw = 0; for (let i = 0; i < x.length; i++) { m += w[i] * x[i]; sw += w[i]; } m /= sw; }
    else { for (const v of x) m += v; m /= x.length; }
    const sd = weightedSd(x, w);
    out[name] = x.map((v) => (v - m) / sd);
  }
  return out;
}

/** insight::get_weights: lmer's prior weights, a glmer fit's (a binomial cbind response's numbers of trials); null when all are 1 (none given) */
export function insightWeights(fit: LmmFit | GlmmFit): Float64Array | null {
  const w = fit.model.frame.weights ?? null;
  return w && w.some((v) => v !== 1) ? w : null;
}

/**
 * The post-hoc methods' deviations per fixed effect (standardizeInfo.ts): Deviation_pred and
 * Deviation_resp of `method` (pseudo falls back to basic with more than one grouping factor), the
 * response's 1 where it is not standardized.
 */
async function deviations(fit: LmmFit | GlmmFit, methodIn: Exclude<StandardizeMethod, 'refit'>, includeResponse: boolean): Promise<{ method: StandardizeMethod; dPred: number[]; dResp: number[]; messages: string[] }> {
  let method: StandardizeMethod = methodIn;
  const messages: string[] = [];
  const frame = fit.model.frame;
  const groups = groupingFactors(fit);
  if (method === 'pseudo' && groups.length !== 1) {
    messages.push('`pseudo` method only available for 2-level (G)LMMs. Setting method to `basic`.');
    method = 'basic';
  }
  const terms = fixedTerms(fit);
  const other = frame.xnames.filter((_, j) => terms.kind[j] === 'other');
  if (method !== 'basic' && other.length > 0) {
    throw new ModelError(`standardizeParameters: method '${method}' with the term${other.length > 1 ? 's' : ''} ${other.map((s) => `'${s}'`).join(', ')} (an interaction or a transformed variable): parameters's deviations of such terms are not ported here; use method 'basic' or 'refit'`);
  }
  const weights = insightWeights(fit);
  const factorCodes = frame.xnames.map((_, j) => {
    if (terms.kind[j] !== 'factor') return null;
    const c = frame.columns.get(terms.predictors[terms.columnPredictor[j]!].name);
    return c && c.kind === 'factor' ? c.codes : null;
  });
  const input = { y: includeResponse ? frame.y : null, X: frame.X, n: frame.n, p: frame.p, terms, factorCodes, weights };
  const info = stdInfo(input);
  let dPred: number[];
  let dResp: number[];
  if (method === 'basic') { dPred = info.basic; dResp = info.responseBasic; }
  else if (method === 'posthoc') { dPred = info.smart; dResp = info.responseBasic; }
  else if (method === 'smart') { dPred = info.smart; dResp = info.responseSmart; }
  else {
    // the null model y ~ (1 | g) by REML (lme4's lmer default): τ₀ = θσ, σ₀ = σ; glmer: 1 and 1
    let sdWithin = 1, sdBetween = 1;
    if (fit instanceof LmmFit && includeResponse) {
      const g = groups[0].name;
      const m0 = await refitWithFormula(fit, parseFormula(`${frame.formula.response.label} ~ 1 + (1 | ${g})`), 'standardizeParameters (pseudo)', { REML: true });
      sdWithin = m0.sigma;
      sdBetween = m0.theta[0] * m0.sigma;
    }
    const pseudo = pseudoInfo(input, frame.xnames, groups[0], sdWithin, sdBetween);
    if (pseudo.alsoBetween.length > 0) messages.push(`The following within-group terms have between-group variance: ${pseudo.alsoBetween.join(', ')}. This can inflate standardized within-group parameters associated with these terms.`);
    dPred = pseudo.pseudo;
    dResp = pseudo.responsePseudo;
  }
  if (!includeResponse) dResp = dResp.map(() => 1);
  return { method, dPred, dResp, messages };
}

/** effectsize's standardize_parameters(fit, method, ci, include_response) of an lmer or glmer fit. */
export async function standardizeParameters(fitIn: LmmFit | GlmmFit, options: StandardizeOptions = {}): Promise<StandardizedParameters> {
  const fit = parametersFit(fitIn, 'standardizeParameters');
  checkObject(options, 'standardizeParameters', SCHEMA);
  // every method reads the rows: the standardized data, or the SDs of y, X and the variables
  requireRows(fit, `standardizeParameters (method '${options.method ?? 'refit'}')`);
  let method: StandardizeMethod = options.method ?? 'refit';
  const ci = options.ci ?? 0.95;
  const exponentiate = options.exponentiate === true;
  // include_response only for linear models (parameters's .safe_to_standardize_response)
  const includeResponse = (options.includeResponse ?? true) && fit instanceof LmmFit;
  const messages: string[] = [];
  const mpOptions: ModelParametersOptions = { ci, effects: 'fixed', exponentiate };
  const coefficientColumn = (() => {
    const name = coefficientName(fit, exponentiate);
    return ['Odds Ratio', 'Risk Ratio', 'IRR'].includes(name) ? `Std_${name.replace(/ /g, '_')}` : 'Std_Coefficient';
  })();
  const asRows = (rows: { Parameter: string; Coefficient: number; CI_low: number | null; CI_high: number | null }[]): StandardizedRow[] =>
    rows.map((r) => ({ Parameter: r.Parameter, Std_Coefficient: r.Coefficient, CI: ci, CI_low: r.CI_low, CI_high: r.CI_high }));

  if (method === 'refit') {
    const data = standardizedData(fit, includeResponse);
    const refit = await updateFit(fit, { data });
    const mp = await modelParameters(refit, mpOptions);
    return { method, rows: asRows(mp.rows), ci, coefficientColumn, includeResponse, messages: [...messages, ...mp.messages] };
  }

  const dev = await deviations(fit, method, includeResponse);
  method = dev.method;
  messages.push(...dev.messages);
  const { dPred, dResp } = dev;
  const mp = await modelParameters(fit, mpOptions);
  const rows = mp.rows.map((r, j) => {
    // d_j = Deviation_pred / Deviation_resp; x · d (exponentiated: x^d)
    const d = dPred[j] / dResp[j];
    const scale = (x: number | null) => (x === null ? null : exponentiate ? x ** d : x * d);
    return { Parameter: r.Parameter, Std_Coefficient: scale(r.Coefficient)!, CI: ci, CI_low: scale(r.CI_low), CI_high: scale(r.CI_high) };
  });
  return { method, rows, ci, coefficientColumn, includeResponse, messages: [...messages, ...mp.messages] };
}

/**
 * parameters's model_parameters(fit, standardize = method): the fixed effects' table of the refit on
 * standardized data (refit: its coefficients, SEs, intervals, statistics and p-values), or the fit's
 * table with Coefficient, SE, CI_low and CI_high scaled by the deviations' ratio (exponentiated: raised
 * to its power) and the statistics and p-values kept (posthoc, smart, basic, pseudo); the random
 * effects are dropped with parameters's warning.
 */
export async function standardizedParameterTable(fitIn: LmmFit | GlmmFit, method: StandardizeMethod, options: ModelParametersOptions = {}): Promise<ModelParameters> {
  const fit = parametersFit(fitIn, 'modelParameters');
  requireRows(fit, `modelParameters (standardize '${method}')`);
  const messages: string[] = [];
  if ((options.effects ?? 'all') !== 'fixed') messages.push('Standardizing coefficients only works for fixed effects of the mixed model.');
  const base: ModelParametersOptions = { ...options, effects: 'fixed' };
  const includeResponse = fit instanceof LmmFit;
  if (method === 'refit') {
    const refit = await updateFit(fit, { data: standardizedData(fit, includeResponse) });
    const mp = await modelParameters(refit, base);
    return { ...mp, standardize: 'refit', messages: [...messages, ...mp.messages] };
  }
  const dev = await deviations(fit, method, includeResponse);
  const mp = await modelParameters(fit, base);
  const exponentiate = options.exponentiate === true;
  const rows = mp.rows.map((r, j) => {
    // d_j = Deviation_pred / Deviation_resp: Coefficient, SE, CI_low, CI_high × d (exponentiated: ^d)
    const d = dev.dPred[j] / dev.dResp[j];
    const scale = (x: number | null) => (x === null ? null : exponentiate ? x ** d : x * d);
    return { ...r, Coefficient: scale(r.Coefficient)!, SE: scale(r.SE), CI_low: scale(r.CI_low), CI_high: scale(r.CI_high) };
  });
  return { ...mp, rows, standardize: dev.method, messages: [...messages, ...dev.messages, ...mp.messages] };
}
