/**
 * broom.mixed 0.2.9.4's tidy.merMod for lmer and glmer fits: one row per estimate, in blocks
 *   fixed      coef(summary(fit)): estimate, std.error, statistic (t or z), with df and p.value where
 *              the summary has them (lmerTest's Satterthwaite or Kenward–Roger df: `ddf`; glmer's
 *              normal p-value)
 *   ran_pars   as.data.frame(VarCorr(fit), order = "lower.tri") named sd__x, cor__x.y (ranPars.ts)
 *   ran_vals   ranef(fit, condVar = TRUE): each level's conditional mode and its conditional SD
 *   ran_coefs  coef(fit): each level's β̂ + b̂, gathered by term
 * bound in that order whatever the order of `effects` (dplyr's bind_rows of broom.mixed's list), with
 * broom.mixed's column order (table.ts). Intervals (cifun):
 *   fixed, with `ddf`:  β̂ ± qt((1 + level)/2, ν) SE, whatever confMethod (broom.mixed warns and
 *                       keeps the t interval)
 *   fixed, else:        lme4's confint(fit, parm = "beta_", method): Wald β̂ ± z SE, profile, boot
 *   ran_pars:           confint(fit, parm = "theta_", method): NA for Wald, the profile's or the
 *                       bootstrap's intervals of the SDs and correlations (sdcor scale; as broom.mixed,
 *                       bound row by row, also when scales is 'vcov')
 *   ran_vals:           Wald only: b̂ ± z condsd
 *   ran_coefs:          none (NA, with broom.mixed's warning)
 * exponentiate (fixed only): estimate and the bounds exp'd, std.error × exp(estimate) (the delta method).
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import { LmmFit } from '../lmm/lmmFit.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import { type ConfintResult, type Ddf, checkDdf, coefficientTable, confintGlmm, confintLmm } from '../inference/fitInference.js';
import { varianceParameterNames } from '../inference/lmmProfile.js';
import type { BootType } from '../inference/bootCi.js';
import type { ProfileOptions } from '../inference/profile.js';
import { qnorm, qt } from '../stats/distributions.js';
import { type Schema, bool, checkObject, integer, nested, oneOf } from '../options/rules.js';
import { type RanParsScale, defaultRanPrefix, ranParsRows } from './ranPars.js';
import { type Cell, type TidyTable, bindTidyRows } from './table.js';
import { ZeroInflatedFit } from '../zeroinfl/zeroInflatedFit.js';
import { LmeFit } from '../nlme/lmeFit.js';
import { type TidyTmbOptions, tidyGlmmTmb } from './tidyTmb.js';
import { type TidyLmeOptions, tidyLme } from './tidyLme.js';

/** broom.mixed's effects of a merMod */
export const TIDY_EFFECTS = ['fixed', 'ran_pars', 'ran_vals', 'ran_coefs'] as const;
export type TidyEffect = (typeof TIDY_EFFECTS)[number];
/** broom.mixed's conf.method values (lme4's confint methods) */
export const TIDY_CONF_METHODS = ['Wald', 'profile', 'boot'] as const;
export type TidyConfMethod = (typeof TIDY_CONF_METHODS)[number];

export interface TidyOptions {
  /** the blocks of rows (default ['ran_pars', 'fixed'], broom.mixed's) */
  effects?: TidyEffect | TidyEffect[];
  /** the scale of ran_pars: 'sdcor' (default) or 'vcov' (broom.mixed's scales for the ran_pars effect) */
  scales?: RanParsScale;
  /** the two prefixes of ran_pars's terms (one variable, two); null: none (broom.mixed's ran_prefix = NA) */
  ranPrefix?: [string, string] | null;
  /** add conf.low and conf.high (broom.mixed's conf.int) */
  confInt?: boolean;
  /** their level (default 0.95) */
  confLevel?: number;
  /** 'Wald' (default), 'profile' or 'boot' (lme4's confint methods) */
  confMethod?: TidyConfMethod;
  /**
   * an lmer fit as lmerTest's (an lmerModLmerTest): its fixed effects' df and p.value by
   * 'Satterthwaite' (lmerTest's default) or 'Kenward-Roger' (broom.mixed's ddf.method)
   */
  ddf?: string;
  /** exp() of the fixed effects and their bounds (the delta method's std.error) */
  exponentiate?: boolean;
  /** confMethod 'boot': lme4's nsim (default 500), the seed, boot.ci's type (default 'perc', as lme4) */
  boot?: { nsim?: number; seed?: number; type?: BootType };
  /** confMethod 'profile': lme4's profile settings */
  profile?: ProfileOptions;
}

export interface TidyResult extends TidyTable {
  /** warnings and notes (broom.mixed's and the intervals' own) */
  messages: string[];
}

const effectList: Schema[string] = (v, at) => {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) throw new OptionError('effects', `${at} must name at least one of ${TIDY_EFFECTS.map((e) => `'${e}'`).join(', ')}`);
  for (const e of list) {
    if (typeof e !== 'string' || !(TIDY_EFFECTS as readonly string[]).includes(e)) {
      throw new OptionError('effects', `${at}: unknown effect type ${showValue(e)} (broom.mixed's effects: ${TIDY_EFFECTS.map((x) => `'${x}'`).join(', ')})`);
    }
  }
};

const confLevel: Schema[string] = (v, at) => {
  if (typeof v !== 'number' || !(v > 0 && v < 1)) throw new OptionError('confLevel', `${at} must be a number between 0 and 1 (exclusive), not ${showValue(v)}`);
};

const ranPrefix: Schema[string] = (v, at) => {
  if (v === null) return;
  if (!Array.isArray(v) || v.length !== 2 || !v.every((s) => typeof s === 'string')) {
    throw new OptionError('ranPrefix', `${at} must be two strings (the prefix of a variance parameter of one variable, then of two), or null, not ${showValue(v)}`);
  }
};

const TIDY_SCHEMA: Schema = {
  effects: effectList,
  scales: oneOf('sdcor', 'vcov'),
  ranPrefix,
  confInt: bool,
  confLevel,
  confMethod: oneOf(...TIDY_CONF_METHODS),
  ddf: (v, at) => { if (typeof v !== 'string') throw new OptionError('ddf', `${at} must be 'Satterthwaite' or 'Kenward-Roger', not ${showValue(v)}`); checkDdf(v); },
  exponentiate: bool,
  boot: nested({ nsim: integer(1), seed: integer(0), type: oneOf('perc', 'basic', 'norm', 'bca') }),
  profile: (v, at) => { if (typeof v !== 'object' || v === null) throw new OptionError('profile', `${at} must be an object of lme4's profile settings`); },
};

/** The fit as tidy() takes it: an lmer or glmer fit, or an error naming what it is. */
export function broomFit(fit: unknown, what: string): LmmFit | GlmmFit {
  if (fit instanceof LmmFit || fit instanceof GlmmFit) return fit;
  const name = typeof fit === 'object' && fit !== null ? fit.constructor?.name ?? 'an object' : showValue(fit);
  throw new ModelError(`${what}: broom.mixed's methods are implemented for lmer, glmer, glmmTMB and lme fits (LmmFit, GlmmFit, ZeroInflatedFit, LmeFit), not ${name}; nlme's gls, clmm and nlmer fits have their own summaries and JSON`);
}

/**
 * broom.mixed's tidy(fit, ...), dispatching on the fit's class: tidy.merMod (lmer, glmer: effects,
 * scales, ran_prefix, conf.int, conf.level, conf.method, ddf.method, exponentiate), tidy.glmmTMB
 * (ZeroInflatedFit: tidyTmb.ts, with component) or tidy.lme (LmeFit: tidyLme.ts, with var_model).
 */
export async function tidy(fit: ZeroInflatedFit, options?: TidyTmbOptions): Promise<TidyResult>;
export async function tidy(fit: LmeFit, options?: TidyLmeOptions): Promise<TidyResult>;
export async function tidy(fit: LmmFit | GlmmFit, options?: TidyOptions): Promise<TidyResult>;
export async function tidy(fitIn: LmmFit | GlmmFit | ZeroInflatedFit | LmeFit, options: TidyOptions | TidyTmbOptions | TidyLmeOptions = {}): Promise<TidyResult> {
  if (fitIn instanceof ZeroInflatedFit) return tidyGlmmTmb(fitIn, options as TidyTmbOptions);
  if (fitIn instanceof LmeFit) return tidyLme(fitIn, options as TidyLmeOptions);
  return tidyMerMod(fitIn, options as TidyOptions);
}

/** broom.mixed's tidy.merMod(fit, effects, scales, ran_prefix, conf.int, conf.level, conf.method, ddf.method, exponentiate). */
async function tidyMerMod(fitIn: LmmFit | GlmmFit, options: TidyOptions = {}): Promise<TidyResult> {
  const fit = broomFit(fitIn, 'tidy');
  checkObject(options, 'tidy', TIDY_SCHEMA);
  const effects = new Set<TidyEffect>(options.effects === undefined ? ['ran_pars', 'fixed'] : Array.isArray(options.effects) ? options.effects : [options.effects]);
  const level = options.confLevel ?? 0.95;
  const method = options.confMethod ?? 'Wald';
  const confInt = options.confInt === true;
  const ddf: Ddf | null = options.ddf === undefined ? null : checkDdf(options.ddf);
  if (ddf && !(fit instanceof LmmFit)) throw new OptionError('ddf', "tidy: ddf (lmerTest's Satterthwaite or Kenward-Roger df) is for lmer fits; a glmer fit's fixed effects get z tests");
  if (confInt && method !== 'Wald' && effects.has('ran_vals')) throw new OptionError('confMethod', 'tidy: only Wald intervals are available for conditional modes (ran_vals), as broom.mixed');
  const messages: string[] = [];
  const blocks = new Map<TidyEffect, Record<string, Cell>[]>();

  // lme4's confint for the methods that need more than the fit (profile, boot), computed once for both blocks
  let ci: ConfintResult | null = null;
  const confint = async (): Promise<ConfintResult> => {
    if (ci) return ci;
    const o = { method: method.toLowerCase() as 'wald' | 'profile' | 'boot', level, nsim: options.boot?.nsim, seed: options.boot?.seed, type: options.boot?.type, profile: options.profile };
    ci = fit instanceof LmmFit ? await confintLmm(fit, o) : await confintGlmm(fit, o);
    messages.push(...ci.messages.filter((m) => !m.startsWith('Wald intervals are not available')));
    return ci;
  };

  if (effects.has('fixed')) {
    const rows: Record<string, Cell>[] = [];
    if (fit instanceof LmmFit && ddf) {
      // lmerTest's coef(summary(fit, ddf)): Estimate, Std. Error, df, t value, Pr(>|t|)
      const table = coefficientTable(fit, { ddf });
      messages.push(...table.messages);
      for (const r of table.rows) rows.push({ effect: 'fixed', group: null, term: r.name, estimate: r.estimate, 'std.error': r.se, statistic: r.t, df: r.df, 'p.value': r.p });
      if (confInt) {
        if (method !== 'Wald') messages.push('ddf.method ignored when conf.method != "Wald" (broom.mixed): the fixed effects\' intervals are the t intervals with these df');
        // cifun: β̂ ± qt((1 + level)/2, ν) SE
        for (const r of rows) {
          const half = qt((1 + level) / 2, r.df as number) * (r['std.error'] as number);
          r['conf.low'] = (r.estimate as number) - half;
          r['conf.high'] = (r.estimate as number) + half;
        }
      }
    } else {
      const se = fit.se;
      for (const [term, estimate] of Object.entries(fit.fixef)) {
        // lme4's summary: t value = estimate / SE (lmer), z value and its normal p-value (glmer)
        const row: Record<string, Cell> = { effect: 'fixed', group: null, term, estimate, 'std.error': se[term], statistic: estimate / se[term] };
        rows.push(row);
      }
      if (fit instanceof GlmmFit) fit.coefficients.forEach((c, j) => { rows[j].statistic = c.z; rows[j]['p.value'] = c.p; });
      if (confInt) {
        if (method === 'Wald') {
          // confint.merMod(method = "Wald"): β̂ ± z_{(1+level)/2} SE
          const z = qnorm((1 + level) / 2);
          for (const r of rows) { r['conf.low'] = (r.estimate as number) - z * (r['std.error'] as number); r['conf.high'] = (r.estimate as number) + z * (r['std.error'] as number); }
        } else {
          const { intervals } = await confint();
          for (const r of rows) { const [lo, hi] = intervals[r.term as string] ?? [null, null]; r['conf.low'] = lo; r['conf.high'] = hi; }
        }
      }
    }
    if (options.exponentiate) {
      for (const r of rows) {
        const e = Math.exp(r.estimate as number);
        r.estimate = e;
        // mutate(std.error = std.error * estimate), after estimate was exp'd
        r['std.error'] = (r['std.error'] as number) * e;
        for (const c of ['conf.low', 'conf.high']) if (typeof r[c] === 'number') r[c] = Math.exp(r[c] as number);
      }
    }
    blocks.set('fixed', rows);
  }

  if (effects.has('ran_pars')) {
    const scale = options.scales ?? 'sdcor';
    const prefix = options.ranPrefix === undefined ? defaultRanPrefix(scale) : options.ranPrefix;
    const useScale = fit instanceof LmmFit || fit.model.family.hasScale === true;
    const pars = ranParsRows(fit.model.frame.reTerms, fit.theta, fit.sigma, useScale, scale, prefix);
    const rows: Record<string, Cell>[] = pars.map((r) => ({ effect: 'ran_pars', group: r.group, term: r.term, estimate: r.estimate }));
    if (confInt) {
      if (method === 'Wald') {
        // lme4's Wald intervals of the variance parameters are NA
        for (const r of rows) { r['conf.low'] = null; r['conf.high'] = null; }
      } else {
        // confint(fit, parm = "theta_") in θ's order then σ: the rows' order (ranPars.ts)
        const { intervals } = await confint();
        const names = varianceParameterNames(fit.model.frame.reTerms);
        rows.forEach((r, i) => { const [lo, hi] = intervals[names[i]] ?? [null, null]; r['conf.low'] = lo; r['conf.high'] = hi; });
      }
    }
    blocks.set('ran_pars', rows);
  }

  if (effects.has('ran_vals')) {
    const rows: Record<string, Cell>[] = [];
    const z = qnorm((1 + level) / 2);
    // as.data.frame(ranef(fit, condVar = TRUE)): per grouping factor, per term, per level
    for (const g of fit.ranef) {
      for (const term of Object.keys(g.values)) {
        g.levels.forEach((lvl, i) => {
          const estimate = g.values[term][i], sd = g.condsd[term][i];
          const row: Record<string, Cell> = { effect: 'ran_vals', group: g.group, level: lvl, term, estimate, 'std.error': sd };
          if (confInt) { row['conf.low'] = estimate - z * sd; row['conf.high'] = estimate + z * sd; }
          rows.push(row);
        });
      }
    }
    blocks.set('ran_vals', rows);
  }

  if (effects.has('ran_coefs')) {
    const rows: Record<string, Cell>[] = [];
    // coef(fit) per grouping factor, gathered (tidyr's gather(term, estimate, -level)): column by column
    for (const g of fit.coef) {
      for (const term of Object.keys(g.values)) {
        g.levels.forEach((lvl, i) => {
          const row: Record<string, Cell> = { effect: 'ran_coefs', group: g.group, level: lvl, term, estimate: g.values[term][i] };
          if (confInt) { row['conf.low'] = null; row['conf.high'] = null; }
          rows.push(row);
        });
      }
    }
    if (confInt) messages.push('CIs not available for random-effects coefficients: returning NA (broom.mixed)');
    blocks.set('ran_coefs', rows);
  }

  // bind_rows(.id = "effect") of broom.mixed's list: fixed, ran_pars, ran_vals, ran_coefs
  return { ...bindTidyRows(TIDY_EFFECTS.map((e) => blocks.get(e) ?? [])), messages };
}
