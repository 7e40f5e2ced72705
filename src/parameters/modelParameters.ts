/**
 * parameters 0.20.2's model_parameters() of lmer and glmer fits (model_parameters.merMod): one row per
 * fixed effect, then the random effects' SDs and correlations and the residual SD, with parameters's
 * columns Parameter, Coefficient, SE, CI, CI_low, CI_high, t or z, df_error, p, Effects, Group.
 *
 * ci_method (what 0.20.2 computes for each; SE = √diag Var(β̂) but for kenward, statistic = β̂ / SE):
 *   lmer  wald, residual   t(ν) intervals and p-values, ν = df.residual = n − (p + #θ + 1)
 *         normal           z intervals and normal p-values; df_error still reports df.residual
 *         satterthwaite    lmerTest's Satterthwaite ν_j per coefficient
 *         kenward          pbkrtest's Kenward–Roger ν_j, with the adjusted SE √diag Φ_A (and its t)
 *         ml1, betwithin   the df rules of dof.ts (betwithin's intervals use ml1's df: 0.20.2's
 *                          ci_betwithin calls dof_ml1; its df column and p-values are betwithin's)
 *         profile          lme4's profile intervals; p-values by t(df.residual)
 *   glmer wald, normal     z intervals and normal p-values; df_error Inf
 *         residual         t(df.residual) intervals and p-values, with df_error reported Inf (0.20.2's
 *                          .ci_dof and .p_value_dof use df.residual; its df column shows Inf)
 *         ml1, betwithin   t(ν) intervals and p-values, ν by dof.ts; the statistic keeps the name z
 *         profile          lme4's profile intervals; normal p-values
 *         satterthwaite, kenward: refused (parameters: "only available for linear mixed models")
 * The intervals:  CI_low, CI_high = β̂ ∓ q SE, q = qt((1 + ci)/2, ν) (qnorm for ν = ∞); p = 2 P(T_ν > |β̂/SE|).
 * exponentiate: Coefficient, CI_low, CI_high → exp(·), SE → SE · exp(β̂) (the delta method); the
 * random rows stay on their scale.
 * Random rows (effects "random" or "all"): Wald intervals of the SDs need merDeriv (not in R here, and
 * not implemented): NA, as parameters without merDeriv; ci_method profile gives lme4's profile intervals.
 *
 * glmmTMB fits (ZeroInflatedFit) are tabled by tmb.ts, nlme's lme and gls fits by nlme.ts; the three share
 * this file's types and fixedRows.ts's Wald rows, exponentiate and pretty names.
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import { LmmFit } from '../lmm/lmmFit.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import { coefficientTable, confintGlmm, confintLmm } from '../inference/fitInference.js';
import { varianceParameterNames } from '../inference/lmmProfile.js';
import type { ProfileOptions } from '../inference/profile.js';
import { type Schema, bool, checkObject, oneOf } from '../options/rules.js';
import { varCorrRows } from '../results/components.js';
import { ZeroInflatedFit } from '../zeroinfl/zeroInflatedFit.js';
import { LmeFit } from '../nlme/lmeFit.js';
import { GlsFit } from '../nlme/glsFit.js';
import { type GroupingFactor, betwithinDof, ml1Dof } from './dof.js';
import { TMB_PARAMETER_COMPONENTS, type TmbParameterComponent, tmbParameters } from './tmb.js';
import { nlmeParameters } from './nlme.js';
import { type FixedTerms, type ParameterComponent, exponentiateRows, frameTerms, waldFixedRows } from './fixedRows.js';

/** parameters's ci_method values for merMod fits, as implemented here */
export const CI_METHODS = ['wald', 'normal', 'residual', 'satterthwaite', 'kenward', 'ml1', 'betwithin', 'profile'] as const;
export type CiMethod = (typeof CI_METHODS)[number];
export const PARAMETER_EFFECTS = ['fixed', 'random', 'all'] as const;
export type ParameterEffects = (typeof PARAMETER_EFFECTS)[number];

export interface ModelParametersOptions {
  /** parameters's ci_method (default 'wald') */
  ciMethod?: CiMethod;
  /** the intervals' level (parameters's ci, default 0.95) */
  ci?: number;
  /** 'fixed', 'random' or 'all' (default, as model_parameters.merMod) */
  effects?: ParameterEffects;
  /** exp() of the fixed effects (glmer with a log or logit link, or any fit) */
  exponentiate?: boolean;
  /** ciMethod 'profile': lme4's profile settings */
  profile?: ProfileOptions;
  /**
   * parameters's standardize: the fixed effects standardized by effectsize's method (standardize.ts's
   * standardizedParameterTable): the refit's table, or the post-hoc methods' scaled Coefficient, SE and
   * interval with the fit's statistics and p-values
   */
  standardize?: 'refit' | 'posthoc' | 'smart' | 'basic' | 'pseudo';
  /** glmmTMB fits: the rows of one model — 'all' (default), 'conditional', 'zi' ('zero_inflated'), 'dispersion' (tmb.ts) */
  component?: TmbParameterComponent;
}

export interface ParameterRow {
  Parameter: string;
  Coefficient: number;
  SE: number | null;
  CI: number;
  CI_low: number | null;
  CI_high: number | null;
  /** the t or z statistic (the table's `statistic` names it) */
  statistic: number | null;
  /** the df the table reports (Infinity: none; see the header for glmer's residual) */
  df_error: number | null;
  p: number | null;
  Effects: 'fixed' | 'random';
  /** the grouping factor of a random row ('Residual' for σ), '' for a fixed row */
  Group: string;
  /** glmmTMB fits: the row's model (parameters's Component column) */
  Component?: ParameterComponent;
}

export interface ModelParameters {
  rows: ParameterRow[];
  /** the statistic's column name: 't' (lmer) or 'z' (glmer) */
  statistic: 't' | 'z';
  ciMethod: CiMethod;
  ci: number;
  effects: ParameterEffects;
  exponentiate: boolean;
  /** the coefficient column's name in the printout (parameters's coefficient_name: Log-Odds, Odds Ratio, Log-Mean, IRR) */
  coefficientName: string;
  /** each fixed effect's printed name (parameters's pretty_names: `f [b]`) */
  prettyNames: Record<string, string>;
  /** whether the fit's link is log or logit (the footer's note when not exponentiated) */
  logLink: boolean;
  /** the standardization method of the table (parameters's standardize), or absent */
  standardize?: string;
  /** notes for the user */
  messages: string[];
  /** the fit's class as parameters's printout and footer tell them apart (absent: an lmer or glmer fit) */
  modelClass?: 'merMod' | 'glmmTMB' | 'lme' | 'gls';
  /** glmmTMB: the zero-inflation model's coefficient name (parameters's zi_coefficient_name: Log-Odds, Odds Ratio) */
  ziCoefficientName?: string;
}

const ciLevel: Schema[string] = (v, at) => {
  if (typeof v !== 'number' || !(v > 0 && v < 1)) throw new OptionError('ci', `${at} must be a number between 0 and 1 (exclusive), not ${showValue(v)}`);
};

const ciMethodRule: Schema[string] = (v, at) => {
  if (typeof v === 'string' && (CI_METHODS as readonly string[]).includes(v)) return;
  const hint = v === 'boot' || v === 'bootstrap'
    ? " ('boot' — parameters's bootstrapped intervals by lme4's bootMer — is not implemented here: use fit.confint({ method: 'boot' }))"
    : v === 'kr' ? " ('kr' is written 'kenward' here)" : '';
  throw new OptionError('ciMethod', `${at}: unknown ci_method ${showValue(v)}; parameters's ci_method for lmer/glmer fits: ${CI_METHODS.map((m) => `'${m}'`).join(', ')}${hint}`);
};

const SCHEMA: Schema = {
  ciMethod: ciMethodRule,
  ci: ciLevel,
  effects: oneOf(...PARAMETER_EFFECTS),
  exponentiate: bool,
  standardize: oneOf('refit', 'posthoc', 'smart', 'basic', 'pseudo'),
  profile: (v, at) => { if (typeof v !== 'object' || v === null) throw new OptionError('profile', `${at} must be an object of lme4's profile settings`); },
  component: oneOf(...TMB_PARAMETER_COMPONENTS),
};

/** The fit model_parameters takes: an lmer or glmer fit. */
export function parametersFit(fit: unknown, what: string): LmmFit | GlmmFit {
  if (fit instanceof LmmFit || fit instanceof GlmmFit) return fit;
  const name = typeof fit === 'object' && fit !== null ? fit.constructor?.name ?? 'an object' : showValue(fit);
  throw new ModelError(`${what}: parameters's tables are implemented for lmer and glmer fits (LmmFit, GlmmFit), not ${name}`);
}

/** parameters's coefficient_name: the family's and link's name of β (exponentiated: of exp β). */
export function coefficientName(fit: LmmFit | GlmmFit, exponentiate: boolean): string {
  if (fit instanceof GlmmFit) {
    const { family, link } = fit.model.family;
    if (family === 'binomial' && link === 'logit') return exponentiate ? 'Odds Ratio' : 'Log-Odds';
    if (family === 'binomial' && link === 'log') return exponentiate ? 'Risk Ratio' : 'Log-Risk';
    if ((family === 'poisson' || family === 'negative.binomial') && link === 'log') return exponentiate ? 'IRR' : 'Log-Mean';
  }
  return exponentiate ? 'exp(Coefficient)' : 'Coefficient';
}

export type { FixedTerms } from './fixedRows.js';

/** the fixed terms of an lmer or glmer fit's X (fixedRows.ts's frameTerms) */
export function fixedTerms(fit: LmmFit | GlmmFit): FixedTerms {
  return frameTerms(fit.model.frame);
}

/** an error for what reads the fit's rows (the predictors' columns, X, y) when they are in an engine or a file */
export function requireRows(fit: LmmFit | GlmmFit, what: string): void {
  if (fit.rowsSource) throw new ModelError(`${what} reads the predictors' columns and the grouping factors of the rows, and the rows of this fit are in ${fit.rowsSource}, not in memory: refused (ci_method 'wald', 'normal', 'residual', 'satterthwaite' and 'kenward' need the fit alone)`);
}

/** the grouping factors of the random part (each once), as insight::get_random gives them */
export function groupingFactors(fit: LmmFit | GlmmFit | LmeFit): GroupingFactor[] {
  const seen = new Map<string, GroupingFactor>();
  for (const t of fit.model.frame.reTerms) {
    if (!seen.has(t.group)) seen.set(t.group, { name: t.group, codes: t.codes, levels: t.levels.length });
  }
  return [...seen.values()];
}

/** insight::n_obs(disaggregate = TRUE): the rows, or a binomial cbind() response's total number of trials */
function nObsDisaggregated(fit: LmmFit | GlmmFit | LmeFit): number {
  const frame = fit.model.frame;
  if (fit instanceof GlmmFit && frame.formula.response.kind !== 'cbind' && frame.weights && frame.weights.some((w) => w !== 1)) {
    // a proportion with weights: insight's n_obs(disaggregate = TRUE) rules for it are not ported
    throw new ModelError("ci_method 'betwithin' of a glmer fit with prior weights and a response that is not cbind(): the number of observations its rule counts (insight's n_obs(disaggregate = TRUE)) is not ported for it; refused — write the response as cbind(successes, failures)");
  }
  if (fit instanceof GlmmFit && frame.formula.response.kind === 'cbind' && frame.weights) {
    let s = 0;
    for (let i = 0; i < frame.n; i++) s += frame.weights[i];
    return s;
  }
  return frame.n;
}

/**
 * the ddf of each fixed effect by parameters's ml1 or betwithin rule (dof.ts), or an error naming what the
 * rule cannot assign; of an lmer, glmer or lme fit (lme's model frame holds the random part as lme4's terms)
 */
export function ruleDof(fit: LmmFit | GlmmFit | LmeFit, rule: 'ml1' | 'betwithin'): number[] {
  if (!(fit instanceof LmeFit)) requireRows(fit, `ci_method '${rule}'`);
  const terms = frameTerms(fit.model.frame);
  const xn = fit.model.frame.xnames;
  const hasIntercept = xn.includes('(Intercept)');
  const groups = groupingFactors(fit);
  if (rule === 'ml1') {
    const other = xn.filter((_, j) => terms.kind[j] === 'other');
    if (other.length > 0) {
      throw new ModelError(`ci_method 'ml1': the fixed effect${other.length > 1 ? 's' : ''} ${other.map((s) => `'${s}'`).join(', ')} ${other.length > 1 ? 'are' : 'is'} not a variable or a factor's level; parameters's ml1 rule assigns df per variable and, for such a term, recycles the variables' df over the columns (a df that belongs to no term): refused`);
    }
    // a predictor written as a call (factor(x), log(x)): parameters reads the variable x itself, whose
    // values (not the call's) decide within against between
    const called = terms.predictors.filter((x) => !/^[A-Za-z.][A-Za-z0-9._]*$/.test(x.name)).map((x) => x.name);
    if (called.length > 0) {
      throw new ModelError(`ci_method 'ml1': the term${called.length > 1 ? 's' : ''} ${called.map((s) => `'${s}'`).join(', ')} ${called.length > 1 ? 'are calls' : 'is a call'} on a variable; parameters's ml1 rule reads the variable's raw values (insight's get_data), which the model frame does not keep: refused — give the column with factors: [...] instead of factor()`);
    }
    return ml1Dof(terms.predictors, groups, terms.columnPredictor, hasIntercept);
  }
  // insight::find_random_slopes: the random terms' columns other than the intercept
  const slopes = new Set<string>();
  for (const t of fit.model.frame.reTerms) for (const c of t.cnames) if (c !== '(Intercept)') slopes.add(c);
  const unmatched = [...slopes].filter((s) => !xn.includes(s));
  if (unmatched.length > 0) {
    throw new ModelError(`ci_method 'betwithin': the random slope${unmatched.length > 1 ? 's' : ''} ${unmatched.map((s) => `'${s}'`).join(', ')} ${unmatched.length > 1 ? 'are' : 'is'} not a column of the fixed part; parameters's rule matches random slopes to fixed effects by name: refused`);
  }
  return betwithinDof(fit.model.frame.p, nObsDisaggregated(fit), groups.map((g) => g.levels), xn.map((s) => slopes.has(s)), hasIntercept);
}

/** the random rows: lme4's VarCorr in parameters's order and names, with each row's name among lme4's variance parameters (for the profile's intervals) */
export function randomRows(fit: LmmFit | GlmmFit): { Parameter: string; Group: string; Coefficient: number; name: string }[] {
  const useScale = fit instanceof LmmFit || fit.model.family.hasScale === true;
  const vc = varCorrRows(fit.model.frame.reTerms, fit.theta, fit.sigma, useScale);
  const names = varianceParameterNames(fit.model.frame.reTerms);
  // "(Intercept)" written "Intercept" inside parameters's parentheses
  const bare = (s: string) => (s === '(Intercept)' ? 'Intercept' : s);
  // as.data.frame(VarCorr, order = "lower.tri"): each column's SD, then its correlations with later columns (θ's order, lme4's names)
  const lowerTri: { Parameter: string; Group: string; Coefficient: number; kind: number }[] = [];
  for (const v of vc) {
    if (v.var2 !== null) continue;
    if (v.var1 === null) { lowerTri.push({ Parameter: 'SD (Observations)', Group: 'Residual', Coefficient: v.sdcor, kind: 3 }); continue; }
    lowerTri.push({ Parameter: `SD (${bare(v.var1)})`, Group: v.group, Coefficient: v.sdcor, kind: v.var1 === '(Intercept)' ? 0 : 1 });
    for (const c of vc) {
      if (c.group === v.group && c.var2 !== null && c.var1 === v.var1) lowerTri.push({ Parameter: `Cor (${bare(c.var1)}~${bare(c.var2)})`, Group: c.group, Coefficient: c.sdcor, kind: 2 });
    }
  }
  // parameters's order: the intercepts' SDs, the slopes' SDs, the correlations, the residual SD
  // (stable within each kind)
  const rows = lowerTri.map((r, i) => ({ ...r, name: names[i] }));
  return [0, 1, 2, 3].flatMap((k) => rows.filter((r) => r.kind === k)).map(({ kind: _k, ...r }) => r);
}

/**
 * parameters's model_parameters(fit, ci, ci_method, effects, exponentiate) of an lmer or glmer fit, of a
 * glmmTMB fit (tmb.ts, with component) or of an nlme lme or gls fit (nlme.ts).
 */
export async function modelParameters(fitIn: LmmFit | GlmmFit | ZeroInflatedFit | LmeFit | GlsFit, options: ModelParametersOptions = {}): Promise<ModelParameters> {
  if (fitIn instanceof ZeroInflatedFit || fitIn instanceof LmeFit || fitIn instanceof GlsFit) {
    // glmmTMB (tmb.ts), lme and gls (nlme.ts)
    checkObject(options, 'modelParameters', SCHEMA);
    if (fitIn instanceof ZeroInflatedFit) return tmbParameters(fitIn, options);
    // lme's ml1 and betwithin rules: dof.ts's, as for lmer (the intervals of betwithin by ml1's df, as 0.20.2)
    const rule = fitIn instanceof LmeFit && (options.ciMethod === 'ml1' || options.ciMethod === 'betwithin') ? options.ciMethod : null;
    if (rule && (fitIn as LmeFit).Q > 1) throw new ModelError(`modelParameters: ci_method '${rule}' of an lme fit with ${(fitIn as LmeFit).Q} levels of grouping is not implemented (insight's grouping factors of nested lme levels were not checked); use 'wald'`);
    return nlmeParameters(fitIn, options, rule ? { shown: ruleDof(fitIn as LmeFit, rule), ci: ruleDof(fitIn as LmeFit, 'ml1') } : undefined);
  }
  if (!(fitIn instanceof LmmFit || fitIn instanceof GlmmFit)) {
    const name = typeof fitIn === 'object' && fitIn !== null ? (fitIn as object).constructor?.name ?? 'an object' : showValue(fitIn);
    throw new ModelError(`modelParameters: parameters's tables are implemented for lmer and glmer fits (LmmFit, GlmmFit), glmmTMB fits (ZeroInflatedFit) and nlme's lme and gls fits (LmeFit, GlsFit), not ${name}`);
  }
  const fit = fitIn;
  checkObject(options, 'modelParameters', SCHEMA);
  if (options.component !== undefined) throw new OptionError('component', "modelParameters: component is for glmmTMB fits (their conditional, zero-inflation and dispersion models), not an lmer or glmer fit");
  if (options.standardize !== undefined) {
    // a thin call into standardize.ts (loaded here when asked: it imports this module)
    const { standardize, ...rest } = options;
    return (await import('./standardize.js')).standardizedParameterTable(fit, standardize, rest);
  }
  const ciMethod = options.ciMethod ?? 'wald';
  const ci = options.ci ?? 0.95;
  const effects = options.effects ?? 'all';
  const exponentiate = options.exponentiate === true;
  const lmm = fit instanceof LmmFit;
  if (!lmm && (ciMethod === 'satterthwaite' || ciMethod === 'kenward')) {
    throw new OptionError('ciMethod', `modelParameters: ci_method '${ciMethod}' is for linear mixed models (lmer fits): a glmer fit has no ${ciMethod === 'kenward' ? 'Kenward-Roger' : 'Satterthwaite'} df (parameters 0.20.2 warns "only available for linear mixed models" and then fails); use 'wald', 'normal', 'residual', 'ml1', 'betwithin' or 'profile'`);
  }
  if (lmm && ciMethod === 'kenward' && !fit.reml) {
    throw new OptionError('ciMethod', "modelParameters: ci_method 'kenward' needs a REML fit (pbkrtest's rule; parameters refits the model by REML with a warning): fit with REML: true");
  }
  const messages: string[] = [];
  const rows: ParameterRow[] = [];
  const xn = fit.model.frame.xnames;
  const beta = fit.beta;
  const se = xn.map((n) => fit.se[n]);
  // lme4's df.residual: n − npar, npar = p + #θ (+ 1 for σ)
  const dfResidual = fit.nobs - fit.df;
  let profileIntervals: Record<string, [number | null, number | null]> | null = null;
  if (ciMethod === 'profile') {
    const o = { method: 'profile' as const, level: ci, profile: options.profile };
    const r = lmm ? await confintLmm(fit, o) : await confintGlmm(fit as GlmmFit, o);
    profileIntervals = r.intervals;
    messages.push(...r.messages);
  }

  if (effects !== 'random') {
    // per column: the SE, the statistic, the df reported, the df used by the interval and the p-value
    let SE = se.slice();
    let stat = xn.map((_, j) => beta[j] / SE[j]);
    let dfShown: number[];
    let dfUsed: number[];
    let ciDf: number[] | null = null;
    if (ciMethod === 'satterthwaite' || ciMethod === 'kenward') {
      const table = coefficientTable(fit as LmmFit, { ddf: ciMethod === 'kenward' ? 'kenward-roger' : 'satterthwaite' });
      messages.push(...table.messages);
      // Kenward–Roger: the adjusted SE √diag Φ_A and t = β̂ / SE (pbkrtest), as parameters's se_kenward
      SE = table.rows.map((r) => r.se);
      stat = table.rows.map((r) => r.t);
      dfShown = dfUsed = table.rows.map((r) => r.df);
    } else if (ciMethod === 'ml1') {
      dfShown = dfUsed = ruleDof(fit, 'ml1');
    } else if (ciMethod === 'betwithin') {
      // the df column and the p-values by the betwithin rule; the intervals by ml1's df (0.20.2's
      // ci_betwithin calls dof_ml1)
      dfShown = ruleDof(fit, 'betwithin');
      dfUsed = dfShown;
      ciDf = ruleDof(fit, 'ml1');
    } else if (lmm) {
      // wald, residual, profile: t(df.residual); normal: z, with df.residual in the df column
      dfShown = xn.map(() => dfResidual);
      dfUsed = xn.map(() => (ciMethod === 'normal' ? Infinity : dfResidual));
    } else {
      // glmer: z; residual: t(df.residual) for the interval and p, Inf in the df column (0.20.2)
      dfShown = xn.map(() => Infinity);
      dfUsed = xn.map(() => (ciMethod === 'residual' ? dfResidual : Infinity));
    }
    const fixed = waldFixedRows({ names: xn, beta, SE, statistic: stat, dfShown, dfUsed, ...(ciDf ? { dfCi: ciDf } : {}) }, ci);
    if (profileIntervals) {
      for (const r of fixed) [r.CI_low, r.CI_high] = profileIntervals[r.Parameter] ?? [null, null];
    }
    if (exponentiate) exponentiateRows(fixed);
    rows.push(...fixed);
  }
  if (effects !== 'fixed') {
    const random = randomRows(fit);
    if (!profileIntervals) messages.push("no intervals for the random effects' SDs and correlations: parameters computes them from merDeriv's Hessian of the variance parameters, which is not implemented here (nor installed with R here); ciMethod 'profile' gives lme4's profile intervals");
    for (const r of random) {
      const [lo, hi] = profileIntervals ? profileIntervals[r.name] ?? [null, null] : [null, null];
      rows.push({ Parameter: r.Parameter, Coefficient: r.Coefficient, SE: null, CI: ci, CI_low: lo, CI_high: hi, statistic: null, df_error: null, p: null, Effects: 'random', Group: r.Group });
    }
  }
  const terms = fixedTerms(fit);
  const link = fit instanceof GlmmFit ? fit.model.family.link : 'identity';
  return {
    rows, statistic: lmm ? 't' : 'z', ciMethod, ci, effects, exponentiate,
    coefficientName: coefficientName(fit, exponentiate),
    prettyNames: Object.fromEntries(xn.map((n, j) => [n, terms.pretty[j]])),
    logLink: link === 'log' || link === 'logit',
    messages,
  };
}
