/**
 * parameters 0.20.2's model_parameters() of glmmTMB fits (model_parameters.glmmTMB): one table whose
 * rows carry a Component — 'conditional', 'zero_inflated', 'dispersion' — and Effects:
 *
 *   fixed, conditional     coef(summary(fit))$cond: β̂, SE, z = β̂ / SE, df_error Inf, normal p
 *   fixed, zero_inflated   likewise of $zi (γ̂)
 *   fixed, dispersion      a dispersion model (dispformula other than ~ 1): its log-scale δ̂ likewise;
 *                          dispformula ~ 1 of a family with a dispersion parameter other than gaussian:
 *                          one row "(Intercept)" = sigma(fit) (the NB2 size, NB1's φ) with no SE, z or p,
 *                          its interval glmmTMB's confint row "sigma" (.CI_univariate_monotone), in the
 *                          table of effects 'all' only (parameters's rule)
 *   random                 each component's SDs and correlations (VarCorr), in parameters's order — the
 *                          intercepts' SDs, the slopes' SDs, the correlations — with glmmTMB's Wald
 *                          intervals (confint(fit): ψ̂ ∓ z SE(ψ̂) on the internal scale, log SD and the
 *                          correlation parameters, mapped back: src/zeroinfl/confint.ts confintWald);
 *                          gaussian: then "SD (Observations)", Group 'Residual' = sigma(fit) with confint's
 *                          sigma interval (no value with a dispersion model: σ varies by row)
 *
 * The intervals of the fixed rows: β̂ ∓ z_{(1+ci)/2} SE (ci_method 'wald' and 'normal' give the same).
 * exponentiate: the conditional and zero-inflation rows (not the dispersion model's, nor the random rows).
 * component: 'all' (default), 'conditional', 'zi' (or 'zero_inflated'), 'dispersion' — the rows of
 * that component, fixed and random.
 *
 * ci_method (parameters 0.20.2 for a glmmTMB fit):
 *   wald, normal     implemented
 *   residual, boot   refused by parameters ("'arg' should be one of wald, normal, ml1, betwithin, profile,
 *                    uniroot, robust")
 *   ml1              parameters fails ("undefined columns selected")
 *   satterthwaite, kenward  parameters warns ("only available for linear mixed models") and gives Wald z:
 *                    refused here
 *   betwithin        not implemented (parameters reports betwithin's df = n − G − p − 1 with p all the
 *                    fit's fixed effects but takes the intervals' df from ml1's rule, which fails alone)
 *   profile          not implemented (glmmTMB's confint profile: a spline through tmbprofile's points;
 *                    the library has its uniroot intervals: fit.confint({ method: 'uniroot' }))
 * Families: those whose table was checked against parameters (poisson, nbinom1, nbinom2, binomial,
 * gaussian); the others (their dispersion and extra parameters' rows) are refused by name.
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { confintWald } from '../zeroinfl/confint.js';
import type { ZeroInflatedFit, ZiCoefRow } from '../zeroinfl/zeroInflatedFit.js';
import { type ParameterComponent, exponentiateRows, frameTerms, waldFixedRows } from './fixedRows.js';
import type { ModelParameters, ModelParametersOptions, ParameterRow } from './modelParameters.js';

/** parameters's component argument for a glmmTMB fit */
export const TMB_PARAMETER_COMPONENTS = ['all', 'conditional', 'zi', 'zero_inflated', 'dispersion'] as const;
export type TmbParameterComponent = (typeof TMB_PARAMETER_COMPONENTS)[number];

const CHECKED_FAMILIES = new Set(['poisson', 'nbinom1', 'nbinom2', 'binomial', 'gaussian']);

/** the refusal of a ci_method parameters does not compute (or this library does not) for a glmmTMB fit */
function refuseCiMethod(ciMethod: string): void {
  const why: Record<string, string> = {
    residual: "parameters 0.20.2 refuses it for a glmmTMB fit (\"'arg' should be one of wald, normal, ml1, betwithin, profile, uniroot, robust\")",
    ml1: 'parameters 0.20.2 fails on a glmmTMB fit with it ("undefined columns selected")',
    satterthwaite: 'it is for linear mixed models (lmer fits): parameters 0.20.2 warns "only available for linear mixed models" and gives the Wald z intervals',
    kenward: 'it is for linear mixed models (lmer fits): parameters 0.20.2 warns "only available for linear mixed models" and gives the Wald z intervals',
    betwithin: "it is not implemented for glmmTMB fits (parameters 0.20.2 reports betwithin's df but takes the intervals' df from the ml1 rule, which fails on its own for glmmTMB)",
    profile: "it is not implemented for glmmTMB fits (glmmTMB's confint(method = 'profile'), a spline through tmbprofile's points; fit.confint({ method: 'uniroot' }) gives the profile likelihood's ends by root finding)",
  };
  if (ciMethod in why) throw new OptionError('ciMethod', `modelParameters: ci_method '${ciMethod}' of a glmmTMB fit: ${why[ciMethod]}; use 'wald' or 'normal'`);
}

/** parameters's coefficient_name of a glmmTMB fit's conditional model (exponentiated: of exp β) */
function tmbCoefficientName(fit: ZeroInflatedFit, exponentiate: boolean): string {
  if (fit.family === 'binomial' && fit.link === 'logit') return exponentiate ? 'Odds Ratio' : 'Log-Odds';
  if (['poisson', 'nbinom1', 'nbinom2'].includes(fit.family) && fit.link === 'log') return exponentiate ? 'IRR' : 'Log-Mean';
  return exponentiate ? 'exp(Coefficient)' : 'Coefficient';
}

/** a Wald interval of glmmTMB's confint(fit, full = TRUE) by its name, with or without the "cond." prefix */
function intervalOf(ci: Map<string, { lower: number; upper: number; estimate: number }>, name: string) {
  return ci.get(name) ?? ci.get(name.replace(/^cond\./, '')) ?? null;
}

/** the random rows of one component: SDs of the intercepts, of the slopes, the correlations (VarCorr, parameters's order) */
function randomRows(fit: ZeroInflatedFit, comp: 'cond' | 'zi', ci: Map<string, { lower: number; upper: number; estimate: number }>, level: number): ParameterRow[] {
  const m = fit.model;
  const bare = (s: string) => (s === '(Intercept)' ? 'Intercept' : s);
  const rows: { row: ParameterRow; kind: number }[] = [];
  const component: ParameterComponent = comp === 'cond' ? 'conditional' : 'zero_inflated';
  let at = 0;
  m.reTerms.forEach((t, k) => {
    const vc = fit.varCorr.slice(at, at + t.q);
    at += t.q;
    if ((k >= m.nCondTerms ? 'zi' : 'cond') !== comp) return;
    const make = (Parameter: string, Coefficient: number, name: string, kind: number) => {
      const iv = intervalOf(ci, `${comp}.${name}|${t.group}`);
      if (!iv) throw new ModelError(`modelParameters: glmmTMB's Wald interval '${comp}.${name}|${t.group}' was not found among confint's rows`);
      rows.push({ kind, row: { Parameter, Coefficient, SE: null, CI: level, CI_low: iv.lower, CI_high: iv.upper, statistic: null, df_error: null, p: null, Effects: 'random', Group: t.group, Component: component } });
    };
    // √Σ_jj: the SD of each of the term's columns
    vc.forEach((r, j) => make(`SD (${bare(t.cnames[j])})`, r.sd, `Std.Dev.${t.cnames[j]}`, t.cnames[j] === '(Intercept)' ? 0 : 1));
    // ρ_ij = Σ_ij / √(Σ_ii Σ_jj), j < i: "Cor (c_j~c_i)", confint's Cor.c_i.c_j
    for (let j = 0; j < t.q; j++) for (let i = j + 1; i < t.q; i++) make(`Cor (${bare(t.cnames[j])}~${bare(t.cnames[i])})`, vc[i].corr![j], `Cor.${t.cnames[i]}.${t.cnames[j]}`, 2);
  });
  return [0, 1, 2].flatMap((kind) => rows.filter((r) => r.kind === kind).map((r) => r.row));
}

/** parameters's model_parameters(fit, ci, ci_method, effects, component, exponentiate) of a glmmTMB fit */
export function tmbParameters(fit: ZeroInflatedFit, options: ModelParametersOptions): ModelParameters {
  const ciMethod = options.ciMethod ?? 'wald';
  refuseCiMethod(ciMethod);
  if (options.standardize !== undefined) throw new OptionError('standardize', 'modelParameters: standardize of a glmmTMB fit is not implemented (effectsize\'s standardize_parameters is implemented for lmer and glmer fits)');
  if (!CHECKED_FAMILIES.has(fit.family)) {
    throw new ModelError(`modelParameters: parameters's table of a glmmTMB fit of family '${fit.family}' is not implemented (its dispersion and extra parameters' rows were checked for ${[...CHECKED_FAMILIES].join(', ')} only)`);
  }
  const ci = options.ci ?? 0.95;
  const effects = options.effects ?? 'all';
  const exponentiate = options.exponentiate === true;
  const component = options.component ?? 'all';
  const keep = (c: ParameterComponent) => component === 'all' || c === (component === 'zi' ? 'zero_inflated' : component);
  const m = fit.model;
  // glmmTMB's confint(fit, level = ci, full = TRUE): every Wald row, sigma's included
  const wald = new Map(confintWald(fit, { level: ci, full: true }).rows.map((r) => [r.name, r]));
  const rows: ParameterRow[] = [];
  if (effects !== 'random') {
    const table = (coef: ZiCoefRow[], comp: ParameterComponent) => waldFixedRows({
      names: coef.map((c) => c.name), beta: coef.map((c) => c.estimate), SE: coef.map((c) => c.se), statistic: coef.map((c) => c.z),
      dfShown: coef.map(() => Infinity), dfUsed: coef.map(() => Infinity), component: comp,
    }, ci);
    const cond = keep('conditional') ? table(fit.cond, 'conditional') : [];
    const zi = keep('zero_inflated') ? table(fit.zi, 'zero_inflated') : [];
    if (exponentiate) { exponentiateRows(cond); exponentiateRows(zi); }
    rows.push(...cond, ...zi);
    if (keep('dispersion') && m.pd > 0) {
      if (!m.dispConstant) {
        // a dispersion model: its coefficients on the log scale, with Wald z rows
        rows.push(...table(fit.dispersion, 'dispersion'));
      } else if (fit.family !== 'gaussian' && effects === 'all') {
        // (parameters lists this row with effects 'all' only: neither a fixed effect nor a random one)
        // dispformula ~ 1: sigma(fit), with confint's monotone interval of sigma
        const s = intervalOf(wald, 'sigma')!;
        rows.push({ Parameter: '(Intercept)', Coefficient: fit.sigma, SE: null, CI: ci, CI_low: s.lower, CI_high: s.upper, statistic: null, df_error: null, p: null, Effects: 'fixed', Group: '', Component: 'dispersion' });
      }
    }
  }
  if (effects !== 'fixed') {
    if (keep('conditional')) {
      rows.push(...randomRows(fit, 'cond', wald, ci));
      if (fit.family === 'gaussian') {
        // σ̂ of a gaussian fit: "SD (Observations)"; with a dispersion model σ varies by row: no value
        const s = m.dispConstant ? intervalOf(wald, 'sigma') : null;
        rows.push({ Parameter: 'SD (Observations)', Coefficient: m.dispConstant ? fit.sigma : NaN, SE: null, CI: ci, CI_low: s ? s.lower : null, CI_high: s ? s.upper : null, statistic: null, df_error: null, p: null, Effects: 'random', Group: 'Residual', Component: 'conditional' });
      }
    }
    if (keep('zero_inflated')) rows.push(...randomRows(fit, 'zi', wald, ci));
  }
  const pretty: Record<string, string> = {};
  for (const frame of [m.dispFrame, m.ziFrame, m.frame]) {
    const terms = frameTerms(frame);
    frame.xnames.forEach((n, j) => { pretty[n] = terms.pretty[j]; });
  }
  return {
    rows, statistic: 'z', ciMethod, ci, effects, exponentiate,
    coefficientName: tmbCoefficientName(fit, exponentiate),
    ziCoefficientName: exponentiate ? 'Odds Ratio' : 'Log-Odds',
    prettyNames: pretty,
    logLink: fit.link === 'log' || fit.link === 'logit',
    messages: [],
    modelClass: 'glmmTMB',
  };
}
