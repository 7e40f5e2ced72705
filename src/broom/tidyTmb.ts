/**
 * broom.mixed 0.2.9.4's tidy.glmmTMB and glance.glmmTMB for our glmmTMB fits (ZeroInflatedFit): one
 * row per estimate, in blocks bound in this order whatever the order of `effects`:
 *   fixed     coef(summary(fit))[component]: per component (cond, then zi; the dispersion model's
 *             table is never shown, as broom.mixed: "only works for conditional and (partly for)
 *             zero-inflation components") estimate, std.error, z statistic, its normal p.value
 *   ran_pars  as.data.frame(VarCorr(fit)[[component]]) — lme4's default order, cov.last: per term the
 *             SDs (variances) of its columns, then its correlations (covariances) in lower.tri order,
 *             cor__x_j.x_i for j < i — then, where glmmTMB's VarCorr has a scale (gaussian: useSc),
 *             the residual's row sd__Observation = σ̂ (NA with a dispersion model)
 *   ran_vals  as.data.frame(ranef(fit, condVar = TRUE)): per component, per grouping factor, per
 *             term, per level the conditional mode b̂ and condsd = √condVar (glmmTMB's condVar: the
 *             Laplace's (LLᵀ)⁻¹ plus the parameters' uncertainty, src/zeroinfl/ranefVariance.ts)
 * Intervals (conf.int, Wald only):
 *   fixed     confint.glmmTMB: x̂ ± z_{(1+level)/2} SE
 *   ran_pars  confint(fit, parm = "theta_") bound column-wise (confintWald, src/zeroinfl/confint.ts): glmmTMB's
 *             .CI_univariate_monotone, every SD and correlation f(ψ) at ψ̂ − z SE(ψ̂) and at ψ̂ + z SE(ψ̂) (all of ψ moved at once, SE
 *             the square roots of Var(x̂)'s diagonal), the two sorted: a scalar term's exp(ψ̂ ± z SE),
 *             ψ = log SD (the SD's scale even when scales = 'vcov', as broom.mixed binds them)
 *   ran_vals  b̂ ± z condsd
 * exponentiate (fixed): estimate and bounds exp'd, std.error × exp(estimate) (statistic and p.value kept).
 *
 * glance: broom.mixed's finish_glance — nobs, sigma, logLik, AIC, BIC, deviance, df.residual, each
 * column dropped where glmmTMB 1.1.5's value is NA: deviance always (glmmTMB's deviance() is NA),
 * sigma with a dispersion model.
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import type { ZeroInflatedFit, ZiCoefRow, ZiVarCorrRow } from '../zeroinfl/zeroInflatedFit.js';
import { type Schema, bool, checkObject, oneOf } from '../options/rules.js';
import { qnorm } from '../stats/distributions.js';
import { makeUnique } from '../results/rFormat.js';
import { confintWald } from '../zeroinfl/confint.js';
import type { RanParsScale } from './ranPars.js';
import { type Cell, type TidyTable, bindTidyRows } from './table.js';

/** broom.mixed's effects of a glmmTMB fit */
export const TIDY_TMB_EFFECTS = ['fixed', 'ran_pars', 'ran_vals'] as const;
export type TidyTmbEffect = (typeof TIDY_TMB_EFFECTS)[number];
/** the components tidy.glmmTMB shows: the conditional model's, the zero model's */
export const TIDY_TMB_COMPONENTS = ['cond', 'zi'] as const;
export type TidyTmbComponent = (typeof TIDY_TMB_COMPONENTS)[number];

export interface TidyTmbOptions {
  /** the blocks of rows (default ['ran_pars', 'fixed']) */
  effects?: TidyTmbEffect | TidyTmbEffect[];
  /** the models whose rows are shown (default ['cond', 'zi']; those the fit has) */
  component?: TidyTmbComponent | TidyTmbComponent[];
  scales?: RanParsScale;
  ranPrefix?: [string, string] | null;
  confInt?: boolean;
  confLevel?: number;
  /** 'Wald' only (glmmTMB's profile and uniroot intervals are not implemented here) */
  confMethod?: 'Wald';
  exponentiate?: boolean;
}

const list = (name: string, allowed: readonly string[]): Schema[string] => (v, at) => {
  const l = Array.isArray(v) ? v : [v];
  if (l.length === 0) throw new OptionError(name, `${at} must name at least one of ${allowed.map((e) => `'${e}'`).join(', ')}`);
  for (const e of l) if (typeof e !== 'string' || !allowed.includes(e)) throw new OptionError(name, `${at}: unknown ${name === 'effects' ? 'effect type' : 'component'} ${showValue(e)} (broom.mixed's for a glmmTMB fit: ${allowed.map((x) => `'${x}'`).join(', ')})`);
};

const TMB_SCHEMA: Schema = {
  effects: list('effects', TIDY_TMB_EFFECTS),
  component: list('component', TIDY_TMB_COMPONENTS),
  scales: oneOf('sdcor', 'vcov'),
  ranPrefix: (v, at) => {
    if (v !== null && !(Array.isArray(v) && v.length === 2 && v.every((s) => typeof s === 'string'))) throw new OptionError('ranPrefix', `${at} must be two strings (the prefix of a variance parameter of one variable, then of two), or null, not ${showValue(v)}`);
  },
  confInt: bool,
  confLevel: (v, at) => { if (typeof v !== 'number' || !(v > 0 && v < 1)) throw new OptionError('confLevel', `${at} must be a number between 0 and 1 (exclusive), not ${showValue(v)}`); },
  confMethod: (v, at) => { if (v !== 'Wald') throw new OptionError('confMethod', `${at}: only 'Wald' intervals are implemented for glmmTMB fits, not ${showValue(v)}`); },
  exponentiate: bool,
};

/** glmmTMB's VarCorr has a residual scale: gaussian (useSc = family == "gaussian" && !zeroDisp) */
function useScale(fit: ZeroInflatedFit): boolean {
  return fit.family === 'gaussian';
}

interface RanPar {
  component: TidyTmbComponent; group: string; vars: string[]; sdcor: number; vcov: number;
}

/** as.data.frame(VarCorr.merMod) of each component's terms (cov.last order) */
function ranParRows(fit: ZeroInflatedFit, components: readonly TidyTmbComponent[]): RanPar[] {
  const m = fit.model;
  const out: RanPar[] = [];
  for (const comp of components) {
    let rowAt = 0;
    const vc = fit.varCorr;
    const rows: RanPar[] = [];
    // VarCorr's names of the component's terms: R's make.unique of the grouping factors (site, site.1)
    const inComp = (k: number) => (k >= m.nCondTerms ? 'zi' : 'cond') === comp;
    const compTerms = m.reTerms.flatMap((t, k) => (inComp(k) ? [k] : []));
    const names = makeUnique(compTerms.map((k) => m.reTerms[k].group));
    m.reTerms.forEach((t, k) => {
      const termRows: ZiVarCorrRow[] = vc.slice(rowAt, rowAt + t.q);
      rowAt += t.q;
      const q = t.q;
      if (!inComp(k)) return;
      const group = names[compTerms.indexOf(k)];
      // the SDs of the term's columns: √Σ_jj
      termRows.forEach((r, j) => rows.push({ component: comp, group, vars: [r.name], sdcor: r.sd, vcov: r.variance }));
      // then the correlations ρ_ij = Σ_ij / √(Σ_ii Σ_jj), j < i, column-major below the diagonal; Σ_ij = ρ_ij sd_i sd_j
      for (let j = 0; j < q; j++) {
        for (let i = j + 1; i < q; i++) {
          const rho = termRows[i].corr![j];
          rows.push({ component: comp, group, vars: [termRows[j].name, termRows[i].name], sdcor: rho, vcov: rho * termRows[i].sd * termRows[j].sd });
        }
      }
    });
    if (termsOf(fit, comp) && useScale(fit)) rows.push({ component: comp, group: 'Residual', vars: [], sdcor: fit.sigma, vcov: fit.sigma * fit.sigma });
    out.push(...rows);
  }
  return out;
}

function termsOf(fit: ZeroInflatedFit, comp: TidyTmbComponent): boolean {
  const m = fit.model;
  return comp === 'cond' ? m.nCondTerms > 0 : m.reTerms.length > m.nCondTerms;
}

/** NaN (glmmTMB's NA) as null */
const na = (v: number): Cell => (Number.isNaN(v) ? null : v);

/** broom.mixed's tidy(fit) of a glmmTMB fit: effects, component, scales, ran_prefix, conf.int, conf.level, exponentiate. */
export function tidyGlmmTmb(fit: ZeroInflatedFit, options: TidyTmbOptions = {}): TidyTable & { messages: string[] } {
  checkObject(options, 'tidy', TMB_SCHEMA);
  const effects = new Set<TidyTmbEffect>(options.effects === undefined ? ['ran_pars', 'fixed'] : Array.isArray(options.effects) ? options.effects : [options.effects]);
  const asked = options.component === undefined ? TIDY_TMB_COMPONENTS : Array.isArray(options.component) ? options.component : [options.component];
  // component ∩ names(coef(summary(fit))) with its empty tables dropped: zi only with a zero model
  const components = TIDY_TMB_COMPONENTS.filter((c) => asked.includes(c) && (c === 'cond' || fit.zi.length > 0));
  const level = options.confLevel ?? 0.95;
  const confInt = options.confInt === true;
  const z = qnorm((1 + level) / 2);
  const blocks: Record<string, Cell>[][] = [];
  // the columns of a ran_pars block without rows (broom.mixed's empty tibble: component, group, term, estimate)
  const alsoColumns: string[] = [];

  if (effects.has('fixed')) {
    const rows: Record<string, Cell>[] = [];
    const tables: Record<TidyTmbComponent, ZiCoefRow[]> = { cond: fit.cond, zi: fit.zi };
    for (const comp of components) {
      for (const c of tables[comp]) {
        const row: Record<string, Cell> = { effect: 'fixed', component: comp, term: c.name, estimate: c.estimate, 'std.error': na(c.se), statistic: na(c.z), 'p.value': na(c.p) };
        // confint.glmmTMB(method = "wald"): x̂ ± z SE
        if (confInt) { row['conf.low'] = na(c.estimate - z * c.se); row['conf.high'] = na(c.estimate + z * c.se); }
        rows.push(row);
      }
    }
    if (options.exponentiate) {
      for (const r of rows) {
        // mutate_at(estimate, conf.low, conf.high, exp) then std.error × estimate (the delta method)
        const e = Math.exp(r.estimate as number);
        r.estimate = e;
        if (typeof r['std.error'] === 'number') r['std.error'] = r['std.error'] * e;
        for (const c of ['conf.low', 'conf.high']) if (typeof r[c] === 'number') r[c] = Math.exp(r[c] as number);
      }
    }
    blocks.push(rows);
  }

  if (effects.has('ran_pars')) {
    const scale = options.scales ?? 'sdcor';
    const prefix = options.ranPrefix === undefined ? (scale === 'vcov' ? ['var', 'cov'] : ['sd', 'cor']) : options.ranPrefix;
    const pars = ranParRows(fit, components);
    // broom.mixed's ran_pars_name: prefix[#vars]__vars joined by '.', the residual's 'Observation'
    const name = (vars: string[]) => {
      const v = vars.length ? vars : ['Observation'];
      return prefix === null ? v.join('.') : `${prefix[v.length - 1]}__${v.join('.')}`;
    };
    const rows: Record<string, Cell>[] = pars.map((r) => ({ effect: 'ran_pars', component: r.component, group: r.group, term: name(r.vars), estimate: na(scale === 'vcov' ? r.vcov : r.sdcor) }));
    if (confInt) {
      // bind_cols(ret, confint(fit, parm = "theta_")): one interval per θ of every component, row for row
      const nTheta = fit.model.nTheta;
      if (pars.some((r) => r.group === 'Residual') || pars.length !== nTheta) {
        throw new ModelError(`tidy: broom.mixed 0.2.9.4 cannot bind glmmTMB's ${nTheta} interval(s) of theta to these ${pars.length} ran_pars rows (a residual row, or one component of two); ask for effects 'fixed' or 'ran_vals' with confInt, or ran_pars without it`);
      }
      // confint(fit, parm = "theta_", level): glmmTMB's monotone rule (src/zeroinfl/confint.ts)
      const ci = confintWald(fit, { parm: 'theta_', level });
      pars.forEach((_, i) => {
        rows[i]['conf.low'] = na(ci.rows[i].lower);
        rows[i]['conf.high'] = na(ci.rows[i].upper);
      });
    }
    if (rows.length === 0) alsoColumns.push('effect', 'component', 'group', 'term', 'estimate');
    blocks.push(rows);
  }

  if (effects.has('ran_vals')) {
    const rows: Record<string, Cell>[] = [];
    for (const comp of TIDY_TMB_COMPONENTS) {
      for (const g of fit.ranef) {
        if ((g.component ?? 'cond') !== comp) continue;
        const q = g.cnames.length;
        g.cnames.forEach((term, s) => {
          g.levels.forEach((lvl, c) => {
            const estimate = g.values[c * q + s], sd = Math.sqrt(g.condVar[c * q * q + s * q + s]);
            const row: Record<string, Cell> = { effect: 'ran_vals', component: comp, group: g.group, level: lvl, term, estimate, 'std.error': na(sd) };
            // b̂ ± z condsd
            if (confInt) { row['conf.low'] = na(estimate - z * sd); row['conf.high'] = na(estimate + z * sd); }
            rows.push(row);
          });
        });
      }
    }
    blocks.push(rows);
  }
  return { ...bindTidyRows(blocks, undefined, alsoColumns), messages: [] };
}

/** broom.mixed's glance(fit) of a glmmTMB fit: a table of one row. */
export function glanceGlmmTmb(fit: ZeroInflatedFit): TidyTable {
  const all: Record<string, number> = {
    nobs: fit.nobs,
    sigma: fit.sigma,
    logLik: fit.logLik,
    AIC: fit.AIC,
    BIC: fit.BIC,
    'df.residual': fit.dfResid,
  };
  // finish_glance drops the NA columns (sigma with a dispersion model)
  const row = Object.fromEntries(Object.entries(all).filter(([, v]) => !Number.isNaN(v)));
  return { columns: Object.keys(row), rows: [row] };
}
