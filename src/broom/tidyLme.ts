/**
 * broom.mixed 0.2.9.4's tidy.lme and glance.lme for our nlme fits (LmeFit): blocks bound in this order
 * whatever the order of `effects` (default var_model, ran_pars, fixed):
 *   fixed      summary(fit)$tTable: estimate (Value), std.error, df (nlme's containment df), statistic
 *              (t-value), p.value; conf.int: intervals(fit, "fixed"), β̂ ± qt((1 + level)/2, df) SE
 *   ran_pars   getVarCov(fit) = Ψ (one level of grouping only; with several broom.mixed warns and gives
 *              none): its lower triangle with the diagonal, down the columns — a diagonal entry
 *              sd_x = √Ψ_xx (var_x = Ψ_xx, scales 'vcov'), one below cor_y.x = Ψ_yx / √(Ψ_xx Ψ_yy)
 *              (cov_y.x = Ψ_yx) with y the row's name — then the residual's sd_Observation = σ̂ (group
 *              'Residual'); conf.int: intervals(fit, "var-cov")$reStruct matched by name (sd((x)) →
 *              sd_x, cor(x,y) → cor_y.x), the residual's NA
 *   ran_vals   ranef(fit): per term, per group, the conditional mode (no std.error)
 *   ran_coefs  coef(fit): per term (column), per group, β̂ + b̂ (no group column)
 *   var_model  tidy(fit$modelStruct$varStruct): group 'varIdent(1 | Sex)' (the class and the formula's
 *              right side), term each parameter's name, estimate nlme's constrained coefficient
 *              (coef(allCoef = TRUE): a varIdent's reference stratum's 1 included)
 * with tidy.lme's column order (table.ts TIDY_LME_COLUMNS).
 *
 * glance: finish_glance — nobs, sigma, logLik, AIC, BIC, and deviance (−2ℓ) of an ML fit; nlme gives
 * no deviance of a REML fit and no df.residual, so those columns are dropped.
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import type { LmeFit } from '../nlme/lmeFit.js';
import { lmeIntervals } from '../nlme/intervals.js';
import { levelUnits, pdParameterCount } from '../nlme/pdMat.js';
import { type Schema, bool, checkObject, oneOf } from '../options/rules.js';
import { qt } from '../stats/distributions.js';
import type { RanParsScale } from './ranPars.js';
import { type Cell, TIDY_LME_COLUMNS, type TidyTable, bindTidyRows } from './table.js';

/** broom.mixed's effects of an lme fit */
export const TIDY_LME_EFFECTS = ['var_model', 'ran_pars', 'fixed', 'ran_vals', 'ran_coefs'] as const;
export type TidyLmeEffect = (typeof TIDY_LME_EFFECTS)[number];

export interface TidyLmeOptions {
  /** the blocks of rows (default ['var_model', 'ran_pars', 'fixed']) */
  effects?: TidyLmeEffect | TidyLmeEffect[];
  scales?: RanParsScale;
  confInt?: boolean;
  confLevel?: number;
}

const LME_SCHEMA: Schema = {
  effects: (v, at) => {
    const l = Array.isArray(v) ? v : [v];
    if (l.length === 0) throw new OptionError('effects', `${at} must name at least one of ${TIDY_LME_EFFECTS.map((e) => `'${e}'`).join(', ')}`);
    for (const e of l) if (typeof e !== 'string' || !(TIDY_LME_EFFECTS as readonly string[]).includes(e)) throw new OptionError('effects', `${at}: unknown effect type ${showValue(e)} (broom.mixed's for an lme fit: ${TIDY_LME_EFFECTS.map((x) => `'${x}'`).join(', ')})`);
  },
  scales: oneOf('sdcor', 'vcov'),
  confInt: bool,
  confLevel: (v, at) => { if (typeof v !== 'number' || !(v > 0 && v < 1)) throw new OptionError('confLevel', `${at} must be a number between 0 and 1 (exclusive), not ${showValue(v)}`); },
};

/** broom.mixed's trfun: nlme's interval names sd((Intercept)), cor((Intercept),Days) as tidy's terms sd_(Intercept), cor_Days.(Intercept) */
export function lmeIntervalTerm(name: string): string {
  // sub(",", "."), sub(")$", ""), sub("\\(", "_")
  const nm = name.replace(',', '.').replace(/\)$/, '').replace('(', '_');
  // a correlation's two names swapped: _x.y → _y.x (the first '.' that is not inside the first name's parentheses)
  return nm.startsWith('cor') ? nm.replace(/_([^.]+)\.(.+)$/, '_$2.$1') : nm;
}

/** broom.mixed's tidy(fit) of an lme fit: effects, scales, conf.int, conf.level. */
export function tidyLme(fit: LmeFit, options: TidyLmeOptions = {}): TidyTable & { messages: string[] } {
  checkObject(options, 'tidy', LME_SCHEMA);
  const effects = new Set<TidyLmeEffect>(options.effects === undefined ? ['var_model', 'ran_pars', 'fixed'] : Array.isArray(options.effects) ? options.effects : [options.effects]);
  const confInt = options.confInt === true;
  const level = options.confLevel ?? 0.95;
  const messages: string[] = [];
  const blocks: Record<string, Cell>[][] = [];

  if (effects.has('fixed')) {
    const { n, p } = fit.model.frame;
    blocks.push(fit.tTable.map((r) => {
      const row: Record<string, Cell> = { effect: 'fixed', term: r.name, estimate: r.Value, 'std.error': r.StdError, df: r.DF, statistic: r.t, 'p.value': r.p };
      if (confInt) {
        // intervals.lme: β̂ ± qt((1 + level)/2, df) SE, an ML fit's SE without summary's N/(N − p)
        // (src/nlme/intervals.ts)
        const half = qt((1 + level) / 2, r.DF) * r.StdError * (fit.method === 'ML' ? Math.sqrt((n - p) / n) : 1);
        row['conf.low'] = r.Value - half;
        row['conf.high'] = r.Value + half;
      }
      return row;
    }));
  }

  if (effects.has('ran_pars')) {
    const rows: Record<string, Cell>[] = [];
    if (fit.Q > 1) {
      messages.push('ran_pars not yet implemented for multiple levels of nesting (broom.mixed)');
    } else {
      const scale = options.scales ?? 'sdcor';
      const prefix = scale === 'vcov' ? ['var', 'cov'] : ['sd', 'cor'];
      const [lv] = fit.varCorrLevels;
      const q = lv.names.length;
      // tidy.lme names the rows' groups by the pdMat's parameter count (plen) and the terms by Ψ's lower
      // triangle: they agree only for a general Ψ (pdSymm, pdLogChol) or one random effect
      const lev = fit.levels[0], block = fit.model.blocks[lev.block];
      const plen = levelUnits(lev, block).reduce((a, u) => a + pdParameterCount(u, block), 0);
      if (plen !== (q * (q + 1)) / 2) throw new ModelError(`tidy: ran_pars of an lme fit whose ${lev.name} level's Ψ (${lv.pd}) has ${plen} parameter(s) for its ${(q * (q + 1)) / 2} lower-triangle entries: broom.mixed 0.2.9.4's tidy.lme fails on it (a general Ψ, pdSymm, or one random effect only); ask for effects 'fixed', 'var_model', 'ran_vals' or 'ran_coefs'`);
      // lower.tri(Ψ, diag = TRUE) down the columns: (i, j), i ≥ j
      for (let j = 0; j < q; j++) {
        for (let i = j; i < q; i++) {
          const term = i === j ? `${prefix[0]}_${lv.names[i]}` : `${prefix[1]}_${lv.names[i]}.${lv.names[j]}`;
          // Ψ_ij = ρ_ij sd_i sd_j; sdcor: sd_i on the diagonal, ρ_ij below it
          const estimate = scale === 'vcov' ? lv.corr[i][j] * lv.stdDev[i] * lv.stdDev[j] : i === j ? lv.stdDev[i] : lv.corr[i][j];
          rows.push({ effect: 'ran_pars', group: lv.level, term, estimate });
        }
      }
      rows.push({ effect: 'ran_pars', group: 'Residual', term: `${prefix[0]}_Observation`, estimate: scale === 'vcov' ? fit.sigma * fit.sigma : fit.sigma });
      if (confInt) {
        const iv = lmeIntervals(fit, level).reStructLevels ?? [];
        const ci = new Map<string, [number, number]>();
        for (const l of iv) l.table.names.forEach((n, k) => ci.set(`${l.level}\u0000${lmeIntervalTerm(n)}`, [l.table.lower[k], l.table.upper[k]]));
        if (scale !== 'sdcor') messages.push('confidence intervals for ran pars only available on sdcor scale (broom.mixed): NA');
        for (const r of rows) {
          const c = scale === 'sdcor' ? ci.get(`${r.group as string}\u0000${r.term as string}`) : undefined;
          r['conf.low'] = c ? c[0] : null;
          r['conf.high'] = c ? c[1] : null;
        }
      }
    }
    blocks.push(rows);
  }

  if (effects.has('ran_vals')) {
    if (fit.Q > 1) throw new ModelError(`tidy: ran_vals of an lme fit with ${fit.Q} levels of grouping (${fit.levels.map((l) => l.name).join(', ')}) are not implemented (broom.mixed's as.data.frame(ranef) of a list); use fit.ranefLevels`);
    const { levels, values } = fit.ranef;
    const group = fit.levels[0].name;
    const rows: Record<string, Cell>[] = [];
    for (const [term, v] of Object.entries(values)) levels.forEach((lvl, i) => rows.push({ effect: 'ran_vals', group, level: lvl, term, estimate: v[i] }));
    blocks.push(rows);
  }

  if (effects.has('ran_coefs')) {
    // coef.lme at the innermost level: the fixed effects' columns then any random-only column, β̂ + b̂
    const { levels, values } = fit.ranef;
    const fixef = fit.fixef;
    const terms = [...Object.keys(fixef), ...Object.keys(values).filter((t) => !(t in fixef))];
    const rows: Record<string, Cell>[] = [];
    for (const term of terms) levels.forEach((lvl, i) => rows.push({ effect: 'ran_coefs', level: lvl, term, estimate: (fixef[term] ?? 0) + (values[term]?.[i] ?? 0) }));
    blocks.push(rows);
  }

  if (effects.has('var_model')) {
    const vf = fit.rc.vf;
    const vs = fit.varStruct;
    const rows: Record<string, Cell>[] = [];
    if (vf && vs) {
      // tidy.varFunc: group = class(formula's right side), the class being the call's function (varIdent)
      const cls = /^\s*([A-Za-z.]+)\s*\(/.exec(vf.text)?.[1] ?? vf.text;
      if (cls === 'varComb') throw new ModelError(`tidy: var_model of a varComb (${vf.text}) is not implemented (broom.mixed's tidy.varComb binds each function's rows); ask for the other effects`);
      if (vs.names.length === 0) messages.push(`Variance function structure of class ${cls} with no parameters (broom.mixed): no var_model rows`);
      const group = `${cls}(${vs.formula.replace(/^\s*~\s*/, '')})`;
      vs.names.forEach((n, k) => rows.push({ effect: 'var_model', group, term: n, estimate: vs.values[k] }));
    }
    blocks.push(rows);
  }
  // bind_rows of the list in the order tidy.lme fills it: fixed, ran_pars, ran_vals, ran_coefs, var_model
  return { ...bindTidyRows(blocks, TIDY_LME_COLUMNS), messages };
}

/** broom.mixed's glance(fit) of an lme fit: a table of one row. */
export function glanceLme(fit: LmeFit): TidyTable {
  const row: Record<string, number> = { nobs: fit.nobs, sigma: fit.sigma, logLik: fit.logLik, AIC: fit.AIC, BIC: fit.BIC };
  // deviance: −2ℓ of an ML fit (NA for REML: dropped)
  if (fit.method === 'ML') row.deviance = -2 * fit.logLik;
  return { columns: Object.keys(row), rows: [row] };
}
