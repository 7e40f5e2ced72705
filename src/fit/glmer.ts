/**
 * glmer: fitting a generalized linear mixed model, lme4's pipeline (glFormula → mkGlmerDevfun →
 * optimizeGlmer → mkMerMod) as stages that can each be run alone:
 *   buildGlmm (formula → frame → mixed model + family, src/glmm/model.ts) → PirlsEngine (float64)
 *   → glmmDevice (the backend rule, src/backend/select.ts) → fitGlmm (stage 1, stage 2, the fit,
 *   src/glmm/fit.ts) → GlmmFit.
 */
import type * as arrow from 'apache-arrow';
import type { Formula } from '../formula/types.js';
import { type BackendOptions, glmmDevice } from '../backend/select.js';
import { macrotask, throwIfAborted } from '../model/control.js';
import { type GlmmFitOptions, fitGlmm, startOf } from '../glmm/fit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import type { GlmmGpuOptions } from '../glmm/objectives.js';
import { type GlmmModelOptions, buildGlmm } from '../glmm/model.js';
import { PirlsEngine } from '../glmm/pirls.js';
import { checkAgqNodes } from '../glmm/agqVector.js';
import { fitGlmerNb } from './glmerNb.js';
import type { PriorOptions } from '../prior/distributions.js';
import { bglmerPenaltyOf, glmmPriors } from '../prior/glmmPrior.js';
import type { DataInput } from '../io/dataInput.js';
import { checkGlmerCall } from './checks.js';
import { rowPassesReady } from '../linalg/rowChunks.js';
import { recordCall } from './update.js';
import { ModelError, OptionError } from '../errors/errors.js';
import { mixedFormula } from '../model/mixedModel.js';
import { checkGlmmStructures } from '../glmm/structured.js';
// the inference methods of the fits (fit.coefficients, fit.anova, fit.confint, …)
import '../inference/methods.js';
import '../checks/methods.js';
// fit.allFit() (lme4's allFit: refits by each optimizer)
import './allFit.js';
// fit.simulateResiduals() (DHARMa's scaled residuals)
import '../diagnostics/methods.js';

export interface GlmerOptions extends GlmmModelOptions, GlmmFitOptions, BackendOptions, GlmmGpuOptions {
  /** 1 (default): Laplace; 0: stage 1 only (β from PIRLS); > 1: adaptive Gauss–Hermite with that many nodes (one scalar random-effects term) */
  nAGQ?: number;
  /**
   * priors on the variance components (and β), blme's bglmer: `'blme'` for bglmer's defaults (a
   * Wishart(q + 2.5, scale = Inf) on every term) or blme's `cov.prior` and `fixef.prior` strings; the
   * fit is the posterior mode
   */
  prior?: 'blme' | Omit<PriorOptions, 'resid'>;
}

/** Fits a generalized linear mixed model (lme4's `glmer`). `input`: an Arrow table, an array of row objects or an object of columns. */
export async function glmer(formula: string | Formula, input: DataInput, options: GlmerOptions): Promise<GlmmFit> {
  const data = checkGlmerCall(formula, input, options);
  const fit = await fitGlmer(formula, data, options);
  // the call, for fit.update (src/fit/update.ts): the data as the checked Arrow table, kept with the fit
  return recordCall(fit, { fn: 'glmer', formula: typeof formula === 'string' ? formula : formula.text, data, options: { ...options } });
}

/** glmer without the record of its call, on the table checkGlmerCall checked. */
async function fitGlmer(formula: string | Formula, data: arrow.Table, options: GlmerOptions): Promise<GlmmFit> {
  const t0 = performance.now();
  throwIfAborted(options.signal);
  const nAGQ = options.nAGQ ?? 1; // an integer from 0 to 25 (checkGlmerCall)
  // glmmTMB's structures need a canonical link (src/glmm/structured.ts): the negative binomial's log
  // link is not one, refused here before glmer.nb's first (Poisson) fit
  if (options.family === 'negative.binomial') {
    const s = mixedFormula(formula, data).random.find((r) => r.structure !== undefined && r.structure !== 'us');
    if (s) throw new ModelError(`glmer: the covariance structure ${s.text} is not available for the negative binomial family (glmer.nb): its log link is not canonical, so lme4's Laplace approximation (the expected Hessian) is not glmmTMB's (the observed one); structures are fitted for binomial with logit and Poisson with log`);
  }
  // the negative binomial without a size: θ estimated by glmer.nb's alternation (src/fit/glmerNb.ts)
  if (options.family === 'negative.binomial' && options.theta === undefined) return fitGlmerNb(formula, data, options);
  if (options.theta !== undefined && options.family !== 'negative.binomial') throw new OptionError('theta', `glmer: theta is the negative binomial's size; the ${options.family} family has none`);
  // the frame's passes on the row threads (src/linalg/rowChunks.ts): their helpers started first
  await rowPassesReady(data.numRows);
  const model = buildGlmm(formula, data, options);
  if (model.covariance) {
    // glmmTMB's structures: Laplace (or nAGQ = 0) only; the optimizer works in their ψ, not θ
    checkGlmmStructures(model.covariance, model.family, nAGQ);
    const other = options.start !== undefined ? 'start' : options.prior !== undefined ? 'prior' : null;
    if (other) throw new OptionError(other, `glmer: ${other} is not available with a covariance structure (${model.covariance.structured.map((t) => t.text).join(', ')}): its optimizer works in the structure's parameters, not θ`);
  }
  // lme4's start, checked against the model before the fit (used by fitGlmm)
  startOf(model, options.start, nAGQ);
  if (nAGQ > 1 && model.known.some((k) => k)) {
    throw new ModelError('nAGQ > 1 is not available with a known covariance matrix (relmat): its levels are not independent, so the quadrature does not separate by level; use the Laplace approximation (nAGQ = 1)');
  }
  if (nAGQ > 1) {
    // one grouping factor (a scalar term: src/glmm/agq.ts; a vector term: agqVector.ts's product rule
    // of K^q nodes a level, within its node budget)
    if (model.blocks.length !== 1) {
      throw new ModelError(`nAGQ > 1 is only available for models whose random effects have a single grouping factor (this model has ${model.frame.reTerms.map((t) => t.text).join(' + ')}); use nAGQ = 1 (the Laplace approximation)`);
    }
    checkAgqNodes(nAGQ, model.blocks[0].q);
  }
  const timings: Record<string, number> = { frameMs: performance.now() - t0 };
  let penalty;
  if (options.prior !== undefined) {
    // blme's bglmer puts its priors on the σ-scaled covariance of a family with a scale (its common
    // scale); that has not been checked against blme here, so refused rather than guessed
    if (model.family.hasScale) throw new ModelError(`prior: priors (bglmer) are not available for the ${model.family.family} family here (not checked against blme for a family with a scale)`);
    const priors = glmmPriors(model, options.prior);
    model.frame.messages.push(...priors.messages);
    penalty = bglmerPenaltyOf(model, priors);
  }
  const engine = new PirlsEngine(model.pirls);
  timings.setupMs = performance.now() - t0 - timings.frameMs;
  // a turn for the event loop after the model is built (an abort that came meanwhile stops here)
  await macrotask();
  throwIfAborted(options.signal);
  const messages: string[] = [];
  const device = await glmmDevice(model, options, nAGQ, messages, engine, timings);
  if (!device) return fitGlmm(model, engine, nAGQ, options, t0, timings, undefined, messages, penalty);
  timings.gpuSetupMs = device.setupMs;
  try {
    return await fitGlmm(model, engine, nAGQ, options, t0, timings, device, messages, penalty);
  } finally {
    device.dispose();
  }
}
