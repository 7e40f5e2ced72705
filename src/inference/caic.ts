/**
 * cAIC4's conditional AIC (cAIC4 1.0, `cAIC(object)`) of lmer fits and of Poisson and Bernoulli glmer
 * fits: cAIC = −2 ℓ(y | β̂, b̂) + 2 ρ, the conditional log-likelihood and a bias correction ρ:
 *   - lmer (Greven & Kneib 2010): ρ from src/inference/caicGaussian.ts, plus cAIC4's sigma.penalty
 *     (1: σ estimated) — the analytic correction for the estimated variance parameters, REML or ML;
 *   - glmer Poisson (Säfken, Kneib, van Waveren & Greven 2014, Electron. J. Stat. 8): ρ = Σ_{y_i > 0}
 *     y_i (η̂_i(y) − η̂_i(y − e_i)), one refit per positive count with that count lowered by 1;
 *   - glmer Bernoulli (ibid.): ρ = Σ_i μ̂_i (1 − μ̂_i) (1 − 2y_i) (logit μ̂_i(y with y_i → 1 − y_i) −
 *     logit μ̂_i(y)), one refit per row with its response flipped.
 * Every refit starts at θ̂ (lme4's refit). cAIC4 1.0's biasCorrectionBernoulli passes the flipped
 * response as `nresp`, which refit.merMod ignores ("additional arguments to refit.merMod ignored"), so
 * its Bernoulli df is the refits' optimizer noise around 0; ours is the correction the function means
 * (test/oracle/caic.R checks it against refits in R with the argument named as refit names it).
 *
 * deleteZeroComponents (cAIC4's rule): where a diagonal entry of a term's template T is exactly 0 at θ̂
 * the model is refitted without that term's column (lmer and glmer: refitFrame.ts, from the fit's model
 * frame), and cAIC is that model's (`new`, `reducedModel`);
 * where every θ is 0 the model is the linear model without random effects: df = rank(X) (without the σ
 * penalty, as cAIC4 returns lm's rank) and the log-likelihood the original fit's (lmer; for a glmer fit
 * cAIC4 stops there, and so do we, by name).
 * Refused by name: other families, prior weights, offsets (lmer), covariance structures, known
 * covariances, engine fits, binomial responses with more than one trial (cAIC4 returns −Inf there: its
 * getcondLL takes the binomial size as the number of distinct responses − 1). A term whose template has some
 * but not all diagonal entries at 0 keeps its other columns (cAIC4's cnms2formula); a kept column that is not
 * a variable of the data (a factor's, a transformation's) is refused by name.
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { abortError } from '../model/control.js';
import { thetaToInternal } from '../model/reparam.js';
import { fitGlmm } from '../glmm/fit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { PirlsEngine } from '../glmm/pirls.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import type { Formula, RandomTerm } from '../formula/types.js';
import { parseRandomForm } from '../formula/parse.js';
import type { MixedModel } from '../model/mixedModel.js';
import { dbinomLog, dpoisLog } from '../glmm/rmath.js';
import { gaussianBiasCorrection } from './caicGaussian.js';
import { lme4Lambdat, lme4Z } from './getME.js';
import { refuseEngineRows, refuseKnownCovariance } from './knownCovariance.js';
import { refitGlmmWithFormula, refitWithFormula } from './refitFrame.js';
import { updatedFormulaText } from './ranova.js';
import { withResponse } from './glmmBootstrap.js';
import { formatR, roundR } from '../results/rFormat.js';

export interface CaicOptions {
  /** cAIC4's sigma.penalty: added to an lmer fit's df for the estimated σ (default 1; 0 for none) */
  sigmaPenalty?: number;
  /** glmer fits: called after each refit */
  onProgress?: (p: { done: number; total: number }) => void;
  signal?: AbortSignal;
  /**
   * glmer fits: the refits' BOBYQA settings (src/glmm/fit.ts GlmmFitOptions.optimizer; default the
   * fit's defaults, rhoend 1e-5, as lme4's refit keeps its control). ρ sums differences of refits' η̂,
   * so a smaller rhoend (with a fit as tight) makes it more accurate at the cost of longer refits.
   */
  optimizer?: { rhoend?: number; maxfun?: number };
}

/** cAIC4's cAIC object */
export interface CaicResult {
  /** the conditional log-likelihood log p(y | β̂, b̂) */
  loglikelihood: number;
  /** the bias correction ρ (cAIC4's df) */
  df: number;
  /** the refitted model's formula when zero variance components were removed, else null */
  reducedModel: string | null;
  new: boolean;
  /** −2 loglikelihood + 2 df */
  caic: number;
  family: 'gaussian' | 'poisson' | 'binomial';
  /** glmer fits: the number of refits */
  refits: number;
  messages: string[];
}

/** the Gaussian conditional log-likelihood Σ log φ(y_i; ŷ_i, σ²), ŷ = y − e (cAIC4's getcondLL) */
export function gaussianCondLogLik(e: ArrayLike<number>, sigma: number): number {
  let s = 0;
  for (let i = 0; i < e.length; i++) s += e[i] * e[i];
  return -0.5 * e.length * Math.log(2 * Math.PI * sigma * sigma) - s / (2 * sigma * sigma);
}

/** Σ log dpois(y_i; μ_i) (R's dpois, as cAIC4's getcondLL calls it) */
export function poissonCondLogLik(y: ArrayLike<number>, mu: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += dpoisLog(y[i], mu[i]);
  return s;
}

/** Σ log dbinom(y_i; 1, μ_i) (R's dbinom) */
export function bernoulliCondLogLik(y: ArrayLike<number>, mu: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += dbinomLog(y[i], 1, mu[i]);
  return s;
}

/** the Gaussian bias correction and the residuals of an lmer model at θ (lme4's parametrization) */
export function lmmCaicAt(model: MixedModel & { reml: boolean }, theta: ArrayLike<number>) {
  const { Lambdat, Lind } = lme4Lambdat(model, theta);
  const { X, p, y } = model.frame;
  const first = model.frame.reTerms[0];
  return gaussianBiasCorrection({
    Z: lme4Z(model), Lambdat, Lind, m: theta.length, X, p, y, REML: model.reml,
    firstBlock: { size: first.q, count: first.levels.length },
  });
}

/** the diagonal θ of each term's template: which are exactly 0 (cAIC4's diag(ST) == 0) */
function zeroDiagonals(model: MixedModel, theta: ArrayLike<number>): boolean[][] {
  let off = 0;
  return model.frame.reTerms.map((t) => {
    const z: boolean[] = [];
    for (let j = 0; j < t.q; j++) z.push(theta[off + j * t.q - (j * (j - 1)) / 2] === 0);
    off += (t.q * (t.q + 1)) / 2;
    return z;
  });
}

function sigmaPenaltyOf(options: CaicOptions): number {
  const s = options.sigmaPenalty ?? 1;
  if (!Number.isFinite(s) || s < 0) throw new OptionError('sigmaPenalty', `sigmaPenalty must be a number ≥ 0, got ${s}`);
  return s;
}

function refuseCommon(fit: LmmFit | GlmmFit): void {
  const model = fit.model;
  refuseEngineRows(model, 'cAIC');
  refuseKnownCovariance(model, 'cAIC', 'cAIC4 supports lme4\'s unstructured terms only');
  if (model.covariance) throw new ModelError('cAIC: not available for a model with covariance structures (ar1, cs, diag, toep, …): cAIC4 supports lme4\'s unstructured terms only');
}

/**
 * The reduced model by cAIC4's deleteZeroComponents: `null` when no diagonal θ is 0, 'lm' when every θ
 * is 0, else the formula without the columns whose diagonal θ is 0 — a term loses the whole of itself when
 * every diagonal is 0, else those columns only, rewritten as cAIC4's cnms2formula writes the kept ones:
 * `(1 + x | g)` when the intercept stays, `(-1 + x | g)` when it goes.
 */
export function reducedFormula(fit: { model: MixedModel; theta: ArrayLike<number> }): Formula | 'lm' | null {
  const model = fit.model;
  if (Array.from(fit.theta).every((t) => t === 0)) return 'lm';
  const zeros = zeroDiagonals(model, fit.theta);
  if (!zeros.some((z) => z.some(Boolean))) return null;
  const terms = model.frame.reTerms;
  const f = model.frame.formula;
  const random = f.random.flatMap((r): RandomTerm[] => {
    const k = terms.findIndex((t) => t.term === r);
    if (k < 0 || !zeros[k].some(Boolean)) return [r];
    if (zeros[k].every(Boolean)) return [];
    const kept = terms[k].cnames.filter((_, j) => !zeros[k][j]);
    // cnms2formula writes the kept columns' names as variables: a factor's or a transformation's column
    // (e.g. 'fB', 'I(x^2)') is not one, and R's update would stop on it too
    const notVariable = kept.find((c) => c !== '(Intercept)' && !model.frame.columns.has(c));
    if (notVariable !== undefined) {
      throw new ModelError(`cAIC: the term ${r.text} has a zero variance on some of its columns; cAIC4 refits it with the others (${kept.join(', ')}), but its column '${notVariable}' is not a variable of the data: refit without the zero columns and call cAIC again`);
    }
    const lhs = kept[0] === '(Intercept)' ? ['1', ...kept.slice(1)] : ['-1', ...kept];
    return parseRandomForm(`~ (${lhs.join(' + ')} | ${r.groupLabel})`);
  });
  if (random.length === 0) throw new ModelError('cAIC: every random-effects term has zero variances on its diagonal while some θ is not 0; cAIC4 cannot build its reduced model here either');
  return { ...f, random, text: updatedFormulaText(f, random) };
}

/** cAIC4's cAIC for an lmer fit */
export async function caicLmm(fit: LmmFit, options: CaicOptions = {}): Promise<CaicResult> {
  const sigmaPenalty = sigmaPenaltyOf(options);
  refuseCommon(fit);
  const frame = fit.model.frame;
  if (frame.weights && frame.weights.some((w) => w !== 1)) throw new ModelError('cAIC: not available for an lmer fit with prior weights (cAIC4\'s weighted Gaussian correction is not ported)');
  if (frame.offset && frame.offset.some((o) => o !== 0)) throw new ModelError('cAIC: not available for an lmer fit with an offset (cAIC4 takes yᵀe with the response, offset included)');
  if (fit.sigmaFixed) throw new ModelError('cAIC: not available for an lmer fit with σ fixed (cAIC4 assumes σ estimated)');
  const messages: string[] = [];
  let current = fit;
  let isNew = false;
  for (;;) {
    const reduced = reducedFormula(current);
    if (reduced === 'lm') {
      // cAIC4: the linear model's rank as df, the original fit's log-likelihood
      messages.push('Model has no random effects variance components larger than zero.');
      const e = residualsOf(fit);
      const ll = gaussianCondLogLik(e, fit.sigma);
      const df = fit.model.frame.p;
      return { loglikelihood: ll, df, reducedModel: null, new: false, caic: -2 * ll + 2 * df, family: 'gaussian', refits: 0, messages };
    }
    if (!reduced) break;
    current = await refitWithFormula(current, reduced, 'cAIC');
    isNew = true;
  }
  const bc = lmmCaicAt(current.model, current.theta);
  const df = bc.rho + (sigmaPenalty ? sigmaPenalty : 0);
  const ll = gaussianCondLogLik(bc.e, current.sigma);
  return {
    loglikelihood: ll, df, reducedModel: isNew ? current.model.frame.formula.text : null, new: isNew,
    caic: -2 * ll + 2 * df, family: 'gaussian', refits: 0, messages,
  };
}

/** y − μ̂ of an lmer fit (its conditional fitted values) */
function residualsOf(fit: LmmFit): Float64Array {
  const { y } = fit.model.frame;
  const mu = fit.mu;
  return Float64Array.from(y, (v, i) => v - mu[i]);
}

/** cAIC4's cAIC for a Poisson or Bernoulli glmer fit */
export async function caicGlmm(fit: GlmmFit, options: CaicOptions = {}): Promise<CaicResult> {
  if (options.sigmaPenalty !== undefined) sigmaPenaltyOf(options);
  refuseCommon(fit);
  const model = fit.model;
  const family = model.family.family;
  if (family !== 'poisson' && family !== 'binomial') {
    throw new ModelError(`cAIC: not available for the ${family} family; cAIC4's bias corrections are for gaussian (lmer), poisson and Bernoulli binomial responses`);
  }
  const y = model.frame.y;
  const w = model.pirls.weights;
  if (family === 'binomial') {
    if (w.some((v) => v !== 1)) throw new ModelError('cAIC: not available for a binomial response with more than one trial (cbind(successes, failures) or weights): cAIC4 returns −Inf there (its conditional log-likelihood takes the size as the number of distinct responses − 1), and its correction is for Bernoulli responses');
    if (y.some((v) => v !== 0 && v !== 1)) throw new ModelError('cAIC: the binomial response must be 0/1 (Bernoulli) for cAIC4\'s correction');
    if (!y.some((v) => v === 0) || !y.some((v) => v === 1)) throw new ModelError('cAIC: the Bernoulli response takes one value only; cAIC4\'s conditional log-likelihood (size = distinct values − 1 = 0) is not defined');
  } else if (w.some((v) => v !== 1)) {
    throw new ModelError('cAIC: not available for a Poisson glmer fit with prior weights (cAIC4: "Weights for family != gaussian not implemented yet")');
  }
  const messages: string[] = [];
  // cAIC4's deleteZeroComponents: refit without the zero variance components until none is left
  let current = fit;
  for (;;) {
    const reduced = reducedFormula(current);
    if (reduced === 'lm') {
      // cAIC4 1.0's deleteZeroComponents returns lm(nobars(formula)) here, not a glm, and its Poisson and
      // Bernoulli corrections then stop ("trying to get slot "resp" from an object (class "lm")")
      throw new ModelError(`cAIC: every variance parameter of ${current === fit ? 'this glmer fit' : `the reduced glmer fit ${current.model.frame.formula.text}`} is 0; cAIC4 stops here (its deleteZeroComponents turns the model into an lm, which its Poisson and Bernoulli corrections cannot use): fit the model without random effects as a GLM instead`);
    }
    if (!reduced) break;
    current = await refitGlmmWithFormula(current, reduced, 'cAIC', { signal: options.signal, ...(options.optimizer ? { optimizer: options.optimizer } : {}) });
  }
  const isNew = current !== fit;
  const cModel = current.model;
  const muHat = current.mu, etaHat = current.linearPredictor;
  const ll = family === 'poisson' ? poissonCondLogLik(y, muHat) : bernoulliCondLogLik(y, muHat);
  const start = thetaToInternal(cModel, current.theta);
  // the refit's η_i with y replaced by y′
  const refitEta = async (yNew: Float64Array, i: number): Promise<number> => {
    const m = withResponse(cModel, yNew, start);
    const g = await fitGlmm(m, new PirlsEngine(m.pirls), current.nAGQ, { vcov: 'RX', signal: options.signal, ...(options.optimizer ? { optimizer: options.optimizer } : {}) }, performance.now(), {});
    return g.linearPredictor[i];
  };
  let rho = 0, refits = 0;
  const rows = family === 'poisson' ? [...y.keys()].filter((i) => y[i] !== 0) : [...y.keys()];
  const logit = (mu: number) => Math.log(mu / (1 - mu));
  for (const i of rows) {
    if (options.signal?.aborted) throw abortError();
    const yNew = Float64Array.from(y);
    if (family === 'poisson') {
      // ρ += y_i (η̂_i(y) − η̂_i(y − e_i))
      yNew[i] = y[i] - 1;
      rho += y[i] * (etaHat[i] - await refitEta(yNew, i));
    } else {
      // ρ += μ̂_i (1 − μ̂_i)(1 − 2y_i)(logit μ̃_i − logit μ̂_i), μ̃ from the fit to y with y_i flipped
      yNew[i] = 1 - y[i];
      const mu = muHat[i];
      const muI = cModel.family.linkinv(await refitEta(yNew, i));
      rho += mu * (1 - mu) * (1 - 2 * y[i]) * (logit(muI) - logit(mu));
    }
    refits++;
    options.onProgress?.({ done: refits, total: rows.length });
  }
  if (family === 'binomial') messages.push('cAIC4 1.0 itself returns a df near 0 for Bernoulli fits (its refits ignore the flipped response: refit(…, nresp =)); this is the correction as Säfken et al. define it');
  return { loglikelihood: ll, df: rho, reducedModel: isNew ? cModel.frame.formula.text : null, new: isNew, caic: -2 * ll + 2 * rho, family, refits, messages };
}

/** cAIC4's print.cAIC (digits = 2): the refit note and its data frame, printed without row or column names */
export function formatCaic(r: CaicResult, digits = 2): string {
  const labels = ['Conditional log-likelihood: ', 'Degrees of freedom: ', 'Conditional Akaike information criterion: '];
  // round(…, digits), then print.data.frame's format of the column (7 significant digits, common decimals)
  const values = formatR([r.loglikelihood, r.df, r.caic].map((x) => roundR(x, digits)), 7);
  const w0 = Math.max(...labels.map((s) => s.length));
  const w1 = Math.max(...values.map((s) => s.length));
  const lines: string[] = [];
  if (r.new) {
    lines.push('The original model was refitted due to zero variance components.');
    lines.push(`Refitted model:  ${r.reducedModel} `);
  }
  // an empty row-name column, then the right-aligned strings and numbers under blank headers
  lines.push(` ${' '.repeat(w0)} ${' '.repeat(w1)}`);
  labels.forEach((s, k) => lines.push(` ${s.padStart(w0)} ${values[k].padStart(w1)}`));
  return lines.join('\n');
}
