/**
 * parameters 0.20.2's model_parameters() of nlme's fits (model_parameters.lme, and of gls through its
 * default method):
 *
 *   lme  fixed    summary(fit)$tTable: β̂, SE, t = β̂ / SE, df_error nlme's containment df (the level at
 *                 which each column varies, src/nlme/fixDF.ts), p = 2 P(T_df > |t|); the interval
 *                 nlme's intervals(fit)$fixed, β̂ ∓ qt((1 + ci)/2, df) SE · √((N − p)/N) for an ML fit
 *                 (intervals.lme takes σ̂²_ML where summary's SE has N/(N − p)), · 1 for REML
 *        random   VarCorr(fit) of the one level of grouping: the intercept's SD, the slopes' SDs, the
 *                 correlations ("Cor (Intercept~age)"), then "SD (Observations)" = σ̂ (Group 'Residual');
 *                 no SE and no interval (parameters gives NA). parameters reads them from VarCorr's
 *                 printed strings (SDs to 7 significant digits, correlations to 3 decimals); here they
 *                 are the fit's values themselves.
 *   gls  fixed    β̂, SE, t, df_error the residual df n − p, the t interval and p-value; ci_method
 *                 'normal': z intervals and p-values, df_error Inf
 * exponentiate: the fixed rows (exp β̂, exp of the interval, SE · exp β̂); the coefficient keeps its name.
 *
 * ci_method (parameters 0.20.2):
 *   lme  wald, residual   implemented (the two are the same: t with the containment df)
 *        ml1, betwithin   parameters's rules (dof.ts, as for lmer: modelParameters.ts's ruleDof on lme's
 *                         model frame); betwithin's intervals by ml1's df, as 0.20.2
 *        normal           refused: parameters labels the table "Wald normal" but computes the t(df) intervals
 *                         and p-values of 'wald' (its numbers are wald's)
 *        satterthwaite    not implemented (parameters takes it from lavaSearch2's sCorrect)
 *        kenward          parameters fails ("no applicable method for 'getME' applied to an object of class lme")
 *        profile, boot    parameters refuses them ("'arg' should be one of wald, normal, residual,
 *                         betwithin, ml1, satterthwaite")
 *   gls  wald, residual, normal   implemented
 *        satterthwaite, kenward   refused: parameters warns ("ci_method must be one of …; using wald")
 *        ml1, betwithin           parameters fails ("Model must be a mixed model")
 *        profile                  refused: parameters 0.20.2 gives the Wald t intervals with normal p-values
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { GlsFit } from '../nlme/glsFit.js';
import type { LmeFit } from '../nlme/lmeFit.js';
import { exponentiateRows, frameTerms, waldFixedRows } from './fixedRows.js';
import type { ModelParameters, ModelParametersOptions, ParameterRow } from './modelParameters.js';

const LME_REFUSED: Record<string, string> = {
  normal: "parameters 0.20.2 labels the table 'Wald normal' but computes the t intervals and p-values of nlme's containment df (the numbers of 'wald'): refused rather than mislabelled; use 'wald'",
  satterthwaite: "it is not implemented for lme fits (parameters takes it from lavaSearch2's small-sample correction); use 'wald'",
  kenward: "parameters 0.20.2 fails on an lme fit with it (\"no applicable method for 'getME' applied to an object of class lme\"); use 'wald'",
  profile: "parameters 0.20.2 refuses it for an lme fit (\"'arg' should be one of wald, normal, residual, betwithin, ml1, satterthwaite\"); use 'wald'",
};

const GLS_REFUSED: Record<string, string> = {
  satterthwaite: "parameters 0.20.2 does not compute it for a gls fit (it warns \"ci_method must be one of residual, wald, normal, profile, boot, uniroot, betwithin or ml1\" and uses 'wald'); use 'wald'",
  kenward: "parameters 0.20.2 does not compute it for a gls fit (it warns \"ci_method must be one of residual, wald, normal, profile, boot, uniroot, betwithin or ml1\" and uses 'wald'); use 'wald'",
  ml1: 'parameters 0.20.2 fails on a gls fit with it ("Model must be a mixed model")',
  betwithin: 'parameters 0.20.2 fails on a gls fit with it ("Model must be a mixed model")',
  profile: "it is not implemented for gls fits (parameters 0.20.2 gives the Wald t intervals with normal p-values under that name); use 'wald'",
};

function common(options: ModelParametersOptions, what: 'lme' | 'gls', ruleDf: RuleDf | undefined): void {
  const ciMethod = options.ciMethod ?? 'wald';
  const refused = what === 'lme' ? LME_REFUSED : GLS_REFUSED;
  if ((ciMethod === 'ml1' || ciMethod === 'betwithin') && what === 'lme' && !ruleDf) throw new ModelError(`modelParameters: ci_method '${ciMethod}' of an lme fit needs its rule's df (modelParameters computes them: call it)`);
  if (ciMethod in refused) throw new OptionError('ciMethod', `modelParameters: ci_method '${ciMethod}' of ${what === 'lme' ? 'an lme' : 'a gls'} fit: ${refused[ciMethod]}`);
  if (options.standardize !== undefined) throw new OptionError('standardize', `modelParameters: standardize of ${what === 'lme' ? 'an lme' : 'a gls'} fit is not implemented (effectsize's standardize_parameters is implemented for lmer and glmer fits)`);
  if (options.component !== undefined) throw new OptionError('component', `modelParameters: component is for glmmTMB fits (their conditional, zero-inflation and dispersion models), not ${what === 'lme' ? 'an lme' : 'a gls'} fit`);
}

/** the random rows of an lme fit: VarCorr's SDs (intercepts, then slopes), correlations, then σ̂ */
function lmeRandomRows(fit: LmeFit, ci: number): ParameterRow[] {
  if (fit.Q > 1) throw new ModelError(`modelParameters: the random rows of an lme fit with ${fit.Q} levels of grouping (${fit.levels.map((l) => l.name).join(', ')}) are not implemented; ask for effects 'fixed'`);
  const [lv] = fit.varCorrLevels;
  const q = lv.names.length;
  if (q > 1 && lv.pd !== 'pdLogChol' && lv.pd !== 'pdSymm') throw new ModelError(`modelParameters: the random rows of an lme fit whose Ψ is ${lv.pd} are not implemented (a general Ψ, pdSymm, or one random effect); ask for effects 'fixed'`);
  const bare = (s: string) => (s === '(Intercept)' ? 'Intercept' : s);
  const row = (Parameter: string, Coefficient: number, Group: string): ParameterRow => ({ Parameter, Coefficient, SE: null, CI: ci, CI_low: null, CI_high: null, statistic: null, df_error: null, p: null, Effects: 'random', Group });
  const sds = lv.names.map((n, i) => ({ n, r: row(`SD (${bare(n)})`, lv.stdDev[i], lv.level) }));
  const rows = [...sds.filter((s) => s.n === '(Intercept)'), ...sds.filter((s) => s.n !== '(Intercept)')].map((s) => s.r);
  // ρ_ij, j < i, down the columns: "Cor (c_j~c_i)"
  for (let j = 0; j < q; j++) for (let i = j + 1; i < q; i++) rows.push(row(`Cor (${bare(lv.names[j])}~${bare(lv.names[i])})`, lv.corr[i][j], lv.level));
  rows.push(row('SD (Observations)', fit.sigma, 'Residual'));
  return rows;
}

/** an lme fit's df by parameters's ml1 or betwithin rule (modelParameters.ts's ruleDof): the df column's and p-values', and the intervals' */
export interface RuleDf { shown: number[]; ci: number[] }

/** parameters's model_parameters(fit, ci, ci_method, effects, exponentiate) of an lme or gls fit */
export function nlmeParameters(fit: LmeFit | GlsFit, options: ModelParametersOptions, ruleDf?: RuleDf): ModelParameters {
  const gls = fit instanceof GlsFit;
  common(options, gls ? 'gls' : 'lme', ruleDf);
  const ciMethod = options.ciMethod ?? 'wald';
  const ci = options.ci ?? 0.95;
  const effects = options.effects ?? (gls ? 'fixed' : 'all');
  if (gls && effects === 'random') throw new OptionError('effects', "modelParameters: a gls fit has no random effects; ask for effects 'fixed'");
  const frame = gls ? fit.frame : fit.model.frame;
  const tTable = fit.tTable;
  const rows: ParameterRow[] = [];
  if (effects !== 'random') {
    // lme: nlme's containment df (or the ml1 / betwithin rule's); gls: n − p, or none (z) for ci_method 'normal'
    const df = ruleDf ? ruleDf.shown : tTable.map((r) => (gls ? (ciMethod === 'normal' ? Infinity : frame.n - frame.p) : r.DF));
    // nlme's intervals() (wald, residual): an ML lme fit's SE without summary's N/(N − p) (as
    // src/broom/tidyLme.ts); the ml1 and betwithin intervals are parameters's own, β̂ ∓ q SE
    const ml = !gls && !ruleDf && (fit as LmeFit).method === 'ML';
    const shrink = ml ? Math.sqrt((frame.n - frame.p) / frame.n) : 1;
    const fixed = waldFixedRows({
      names: tTable.map((r) => r.name), beta: tTable.map((r) => r.Value), SE: tTable.map((r) => r.StdError),
      statistic: tTable.map((r) => r.Value / r.StdError), dfShown: df, dfUsed: df,
      ...(ml ? { seCi: tTable.map((r) => r.StdError * shrink) } : {}),
      // betwithin: 0.20.2's intervals by ml1's df (its ci_betwithin calls dof_ml1)
      ...(ruleDf ? { dfCi: ruleDf.ci } : {}),
    }, ci);
    if (options.exponentiate) exponentiateRows(fixed);
    rows.push(...fixed);
  }
  if (!gls && effects !== 'fixed') rows.push(...lmeRandomRows(fit as LmeFit, ci));
  const terms = frameTerms(frame);
  return {
    rows, statistic: 't', ciMethod, ci, effects, exponentiate: options.exponentiate === true,
    coefficientName: 'Coefficient',
    prettyNames: Object.fromEntries(frame.xnames.map((n, j) => [n, terms.pretty[j]])),
    logLink: false,
    messages: [],
    modelClass: gls ? 'gls' : 'lme',
  };
}
