/**
 * performance 0.10.2's r2_nakagawa (r2), icc and model_performance of a glmmTMB fit, from insight 0.19.0's
 * get_variance of the conditional model (the zero-inflation and dispersion models enter only through σ²_d):
 *
 *   σ²_f = var(X β̂)                          X, β̂ the conditional model's
 *   σ²_α = Σ_k (1/n) Σ_i z_ik Σ_k z_ikᵀ      over the conditional model's terms (VarCorr(fit)$cond), Σ_k from ψ̂
 *   σ²_ε = σ²_d + σ²_e                        σ²_d src/zeroinfl/distributionVariance.ts
 *
 * and the ratios of src/inference/r2Nakagawa.ts (one set of formulas with lmer and glmer:
 * src/inference/varianceComponents.ts). insight's singularity rule for glmmTMB: a variance of a conditional
 * term below the tolerance (1e-5), not θ. insight's null model of a glmmTMB fit is update(fit, y ~ (random
 * terms)): the zero-inflation and dispersion formulas, the family and REML kept; it is built from the fit's
 * model (X replaced by a column of 1) and fitted by the same optimizer (fit.ts's fitZeroInflatedModel).
 *
 * model_performance: AIC, AICc, BIC from −2ℓ = 2 × the objective and the number of parameters (glmmTMB's
 * logLik; REML fits refused: performance's estimator there has no reference here), R², ICC (left out with
 * the reason where refused), RMSE of y − predict(type = "response"), Sigma = sigma(fit) (left out where NA),
 * Log_loss (binomial), Score_log and Score_spherical (binomial and count families; src/checks/scoringRules.ts):
 * performance's zero-inflated and hurdle forms with p = predict(type = "zprob"), its NB size exp(χ²/rdf) of
 * a fit without a zero model, and exp(ψ) — glmmTMB's getME(fit, "theta"), the random effect's log SD — of a
 * negative binomial with one (performance's .dispersion_parameter: kept; with more than one random-effects
 * parameter, or with the SD at its boundary — exp(ψ̂) is then wherever the optimizer stopped — the columns
 * are left out with the reason).
 */
import { ModelError, OptionError } from '../errors/errors.js';
import type { Formula } from '../formula/types.js';
import { rowMoments } from '../inference/designMoments.js';
import { nullFormulaText, refuseNullModelRefit } from '../inference/nullModel.js';
import {
  type FitComponents, type IccOptions, type IccOutcome, NO_RANDOM_MESSAGE, type R2Options, type R2Result,
  cachedComponents, checkByGroup, checkTolerance, iccResult, r2Result, randomSlopesInFixed,
} from '../inference/r2Nakagawa.js';
import { tmbSingular, varianceComponents } from '../inference/varianceComponents.js';
import { type ModelPerformance, informationCriteria, rmse } from '../checks/modelPerformance.js';
import { overdispersion } from '../checks/overdispersion.js';
import { type ScoreFamily, type ScoreZero, logLoss, scoringRules } from '../checks/scoringRules.js';
import { termCovariance, termParameterCount } from './covariance.js';
import { checkTmbDistribution, needsNullModel, tmbDistributionVariance } from './distributionVariance.js';
import { fitZeroInflatedModel } from './fit.js';
import { splitParameters } from './laplace.js';
import type { ZeroInflatedModel } from './model.js';
import type { ZeroInflatedFit } from './zeroInflatedFit.js';

const WHAT = "Nakagawa's R2 and the ICC";

/** Fits insight's null model of a glmmTMB fit (the header); `what` names the caller in errors. */
export async function fitTmbNullModel(fit: ZeroInflatedFit, what: string): Promise<ZeroInflatedFit> {
  const model = fit.model;
  refuseNullModelRefit(model.frame, what);
  const formula: Formula = { ...model.formula, fixed: { intercept: true, terms: [] }, removedVars: undefined, text: nullFormulaText(model.formula) };
  const ones = new Float64Array(model.n).fill(1);
  const xnames = ['(Intercept)'];
  const nullModel: ZeroInflatedModel = {
    ...model, formula, X: ones, p: 1, xnames, nPar: model.nPar - model.p + 1, messages: [],
    frame: { ...model.frame, formula, X: ones, p: 1, xnames, covariates: undefined, messages: [] },
  };
  return fitZeroInflatedModel(nullModel, { REML: fit.REML });
}

/** the conditional model's terms' covariances Σ_k (q × q row-major) from ψ̂ (VarCorr(fit)$cond) */
export function conditionalCovariances(fit: ZeroInflatedFit): Float64Array[] {
  const { model } = fit;
  const { psi } = splitParameters(model, fit.par);
  const out: Float64Array[] = [];
  let off = 0;
  for (let k = 0; k < model.nCondTerms; k++) {
    const q = model.reTerms[k].q;
    const { sd, corr } = termCovariance(q, psi, off);
    off += termParameterCount(q);
    // Σ = D C D, D = diag(sd)
    out.push(Float64Array.from({ length: q * q }, (_, r) => sd[Math.floor(r / q)] * sd[r % q] * (q === 1 ? 1 : corr[r])));
  }
  return out;
}

/** the refusals before any work: several terms on one grouping factor, the families of checkTmbDistribution */
function checkFit(fit: ZeroInflatedFit): void {
  const groups = new Map<string, number>();
  for (const t of fit.model.frame.reTerms) groups.set(t.group, (groups.get(t.group) ?? 0) + 1);
  for (const [g, count] of groups) {
    if (count > 1) throw new ModelError(`${WHAT}: the grouping factor '${g}' has ${count} random-effects terms in the conditional model; insight 0.19.0 counts only the first of them in the random-effect variance (it looks VarCorr's '${g}' up, not '${g}.1'), so performance's values leave a variance out: write one term per grouping factor, e.g. (x | ${g})`);
  }
  checkTmbDistribution(fit, WHAT);
}

const cache = new WeakMap<ZeroInflatedFit, Map<number, Promise<FitComponents>>>();

/** insight's get_variance of a glmmTMB fit (the header), computed once per fit and tolerance */
export function tmbVarianceComponents(fit: ZeroInflatedFit, tolerance: number): Promise<FitComponents> {
  return cachedComponents(cache, fit, tolerance, async () => {
    checkFit(fit);
    const { model } = fit;
    const nullIntercept = needsNullModel(fit) ? (await fitTmbNullModel(fit, WHAT)).beta[0] : undefined;
    const terms = model.frame.reTerms;
    const Sigma = conditionalCovariances(fit);
    const v = varianceComponents({
      moments: rowMoments(model.X, model.n, model.p, model.xnames), beta: fit.beta, terms, Sigma,
      singular: tmbSingular(Sigma, terms.map((t) => t.q), tolerance),
      distribution: tmbDistributionVariance(fit, nullIntercept), linear: model.dist === 'gaussian',
      randomSlopesInFixed: randomSlopesInFixed(model.formula),
    });
    return nullIntercept === undefined ? v : { ...v, nullIntercept };
  });
}

/** performance's r2(fit) (r2_nakagawa) of a glmmTMB fit */
export async function tmbR2(fit: ZeroInflatedFit, options: R2Options = {}): Promise<R2Result> {
  return r2Result(await tmbVarianceComponents(fit, checkTolerance(options.tolerance)));
}

/** performance's icc(fit) and icc(fit, by_group = TRUE) of a glmmTMB fit */
export async function tmbIcc(fit: ZeroInflatedFit, options: IccOptions = {}): Promise<IccOutcome> {
  const byGroup = checkByGroup(options);
  return iccResult(await tmbVarianceComponents(fit, checkTolerance(options.tolerance)), byGroup, fit.model.formula);
}

export interface TmbPerformanceOptions {
  /** performance's estimator: a glmmTMB fit by ML reports its log-likelihood for either */
  estimator?: 'REML' | 'ML';
}

const CANT_LOGLOSS = "Can't calculate log-loss.";
const CANT_SCORE = "Can't calculate proper scoring rules for models without integer response values.";

/** a binomial response of one trial per row */
const bernoulli = (fit: ZeroInflatedFit) => fit.model.binomial && fit.model.frame.formula.response.kind !== 'cbind' && fit.model.size!.every((m) => m === 1);

/** performance's score family of a glmmTMB fit (its prob_fun's order of tests), or the reason there is none */
function scoreFamily(fit: ZeroInflatedFit): { family: ScoreFamily; zero?: ScoreZero } | string | null {
  const { model } = fit;
  if (model.binomial) return bernoulli(fit) ? { family: { family: 'binomial' } } : CANT_SCORE;
  // insight's model_info reads compois as no count family: performance reports no scores
  if (!model.count || model.dist === 'compois') return null;
  const zi = model.pz > 0 || model.ziRandom;
  // insight's is_poisson holds for poisson and genpois, is_negbin for nbinom1, nbinom2 and genpois
  const poisson = model.dist === 'poisson' || model.dist === 'genpois';
  if (!zi) {
    if (poisson) return { family: { family: 'poisson' } };
    // a fit without a zero model: size exp(χ²_Pearson / rdf)
    return { family: { family: 'negative.binomial', size: Math.exp(overdispersion(fit.residuals('pearson'), fit.dfResid).ratio) } };
  }
  if (model.hurdle && model.dist === 'genpois') return `Score_log and Score_spherical not computed: performance's scoring rule for a ${fit.family} fit has no reference here`;
  const zero: ScoreZero = { zero: model.hurdle ? 'hurdle' : 'inflated', pi: fit.zprob };
  if (poisson) return { family: { family: 'poisson' }, zero };
  // a negative binomial with a zero model: size exp(getME(fit, "theta")), the random-effects parameters
  if (model.nTheta !== 1) return `Score_log and Score_spherical not computed: performance uses exp(getME(fit, "theta")) — glmmTMB's ${model.nTheta} random-effects parameters, recycled along the rows — as the negative binomial's size, which has no meaning with more than one`;
  const { psi } = splitParameters(model, fit.par);
  // an SD at its boundary (log SD → −∞, fit.ts): its ψ̂ is wherever the optimizer stopped, and so is the size
  const k = model.p + model.pz + model.pd;
  if (psi[0] < -5 && Number.isNaN(fit.vcov[k * model.nPar + k])) return `Score_log and Score_spherical not computed: performance uses exp(getME(fit, "theta")) — the random effect's log SD — as the negative binomial's size, and that SD is at its boundary (log SD ${psi[0].toFixed(1)} → −∞), where its value is wherever the optimizer stopped (glmmTMB's and ours differ), so there is no one answer`;
  return { family: { family: 'negative.binomial', size: Math.exp(psi[0]) }, zero };
}

/** performance's model_performance(fit) of a glmmTMB fit (the header) */
export async function tmbModelPerformance(fit: ZeroInflatedFit, options: TmbPerformanceOptions = {}): Promise<ModelPerformance & { messages: string[] }> {
  const estimator = options.estimator ?? 'REML';
  if (estimator !== 'REML' && estimator !== 'ML') throw new OptionError('estimator', `estimator must be 'REML' or 'ML', not ${String(estimator)}`);
  if (fit.REML) throw new ModelError("model_performance: not available for a glmmTMB fit by REML (REML: true): performance's AIC and BIC of it (insight's get_loglikelihood with its estimator) have no reference here; fit by maximum likelihood");
  const messages: string[] = [];
  let r2Columns: Pick<ModelPerformance, 'R2_conditional' | 'R2_marginal' | 'ICC'> = {};
  try {
    const r2 = await tmbR2(fit);
    const icc = await tmbIcc(fit);
    r2Columns = { R2_conditional: r2.conditional, R2_marginal: r2.marginal, ...(icc.icc ? { ICC: icc.icc.adjusted } : {}) };
    // model_performance suppresses insight's warnings but not r2's printed note on a singular fit
    if (r2.messages.includes(NO_RANDOM_MESSAGE)) messages.push(NO_RANDOM_MESSAGE);
  } catch (e) {
    if (!(e instanceof ModelError)) throw e;
    messages.push(`R2 and ICC not available: ${e.message}`);
  }
  // −2ℓ = deviance, k = the number of parameters, n observations
  const out: ModelPerformance = { ...informationCriteria(fit.deviance, fit.df, fit.nobs), ...r2Columns, RMSE: rmse(fit.residuals('response')), Sigma: fit.sigma };
  if (Number.isNaN(fit.sigma)) delete (out as Partial<ModelPerformance>).Sigma;
  const y = fit.model.y;
  const mu = fit.predict('response');
  if (fit.model.binomial) {
    if (bernoulli(fit)) out.Log_loss = logLoss(y, mu);
    else { out.Log_loss = null; messages.push(CANT_LOGLOSS); }
  }
  const sf = scoreFamily(fit);
  if (typeof sf === 'string') messages.push(sf);
  else if (sf) {
    const s = scoringRules(y, mu, sf.family, sf.zero);
    if (!Number.isNaN(s.logarithmic)) out.Score_log = s.logarithmic;
    if (!Number.isNaN(s.spherical)) out.Score_spherical = s.spherical;
  }
  return { ...out, messages };
}
