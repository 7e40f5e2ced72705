/**
 * lmer: fitting a linear mixed model, lme4's pipeline (lFormula → mkLmerDevfun → optimizeLmer →
 * mkMerMod) as stages that can each be run alone:
 *   buildLmm (formula → frame → mixed model, src/lmm/model.ts) → formGram (A on the CPU, in float64)
 *   → lmmBackend (the backend rule, src/backend/select.ts) → optimizeAndAssemble (the LMM's objective
 *   through the one fit driver, src/lmm/fit.ts) → LmmFit.
 */
import type * as arrow from 'apache-arrow';
import type { Formula } from '../formula/types.js';
import { CpuBackend } from '../backend/cpu/cpuBackend.js';
import { referenceGram } from '../backend/cpu/gram.js';
import { type BackendOptions, lmmBackend } from '../backend/select.js';
import { macrotask, throwIfAborted } from '../model/control.js';
import { type LmmFitOptions, type LmmObjectiveChange, optimizeAndAssemble } from '../lmm/fit.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import { type LmmModel, type LmmModelOptions, buildLmm } from '../lmm/model.js';
import { fixedSigmaCriterion, lmmObjective } from '../lmm/deviance.js';
import { type PriorOptions, evaluatePriors } from '../prior/distributions.js';
import { blmeLmmChange, priorTerms } from '../prior/lmmPrior.js';
import type { DataInput } from '../io/dataInput.js';
import { checkLmerCall } from './checks.js';
import { checkStart } from '../model/start.js';
import { rowPassesReady } from '../linalg/rowChunks.js';
import { recordCall } from './update.js';
import { structuredChange } from '../lmm/structured.js';
import { OptionError } from '../errors/errors.js';
// the inference methods of the fits (fit.coefficients, fit.anova, fit.confint, …)
import '../inference/methods.js';
import '../checks/methods.js';
// fit.allFit() (lme4's allFit: refits by each optimizer)
import './allFit.js';
// fit.simulateResiduals() (DHARMa's scaled residuals)
import '../diagnostics/methods.js';

export interface LmerOptions extends LmmModelOptions, LmmFitOptions, BackendOptions {
  /**
   * WebGPU backend: factor crossed factors' dense blocks on the GPU too (default: on hardware GPUs;
   * on software adapters such as SwiftShader the CPU's float64 SIMD kernels are faster)
   */
  denseOnGpu?: boolean;
  /**
   * fix the residual SD at this value instead of estimating it: the criterion's σ profile is
   * replaced by the fixed σ (REML and ML). A meta-analysis is weights 1/v_i with sigma 1.
   */
  sigma?: number;
  /**
   * priors on the variance components (and β, σ), blme's blmer: `'blme'` for blmer's defaults (a
   * Wishart(q + 2.5, scale = Inf) on every term), or blme's `cov.prior`, `fixef.prior`,
   * `resid.prior` strings (`{ cov: "gamma(shape = 2.5, rate = 0, posterior.scale = 'sd')" }`); the
   * fit is the posterior mode. A prior on β needs the CPU backend.
   */
  prior?: 'blme' | PriorOptions;
}

/** lmer's `sigma`: the criterion with the residual SD fixed at `sigma` (REML and ML), and the fit's σ that one. */
export function fixedSigmaChange(model: LmmModel, sigma: number): LmmObjectiveChange {
  const criterion = fixedSigmaCriterion(model, sigma);
  return {
    objective: (backend, reference) => lmmObjective(model, backend, reference, criterion),
    atOptimum: (x, reference) => ({ sigma, sigmaFixed: true, criterion: criterion(reference.evaluate(x)) }),
  };
}

/** The change of objective that `sigma` or `prior` asks for, or the model's covariance structures (null: lme4's criterion). */
function objectiveChange(model: LmmModel, options: LmerOptions): LmmObjectiveChange | null {
  if (model.covariance) {
    const terms = model.covariance.structured.map((s) => s.text).join(', ');
    const other = options.sigma !== undefined ? 'sigma' : options.prior !== undefined ? 'prior' : options.start !== undefined ? 'start' : null;
    if (other) throw new OptionError(other, `lmer: ${other} is not available with a covariance structure (${terms}): its optimizer works in the structure's parameters, not θ`);
    return structuredChange(model);
  }
  // sigma and prior together are refused by checkLmerCall
  if (options.sigma !== undefined) return fixedSigmaChange(model, options.sigma);
  if (options.prior === undefined) return null;
  const priors = evaluatePriors(options.prior, {
    terms: priorTerms(model), p: model.frame.p, xnames: model.frame.xnames, n: model.frame.n, glmm: false, reml: model.reml,
  });
  model.frame.messages.push(...priors.messages);
  return blmeLmmChange(model, priors);
}

/** The fixed σ of the options (sigma, or blme's point prior), for the frame's checks. */
function sigmaIsFixed(options: LmerOptions): boolean {
  if (options.sigma !== undefined) return true;
  const r = typeof options.prior === 'object' ? options.prior.resid : null;
  return typeof r === 'string' && /^\s*point\b/.test(r);
}

/** Fits a linear mixed model (lme4's `lmer`). `input`: an Arrow table, an array of row objects or an object of columns. */
export async function lmer(formula: string | Formula, input: DataInput, options: LmerOptions = {}): Promise<LmmFit> {
  const data = checkLmerCall(formula, input, options);
  const fit = await fitLmer(formula, data, options);
  // the call, for fit.update (src/fit/update.ts): the data as the checked Arrow table, kept with the fit
  return recordCall(fit, { fn: 'lmer', formula: typeof formula === 'string' ? formula : formula.text, data, options: { ...options } });
}

/** lmer without the record of its call, on the table checkLmerCall checked. */
async function fitLmer(formula: string | Formula, data: arrow.Table, options: LmerOptions = {}): Promise<LmmFit> {
  const t0 = performance.now();
  throwIfAborted(options.signal);
  // the frame's passes on the row threads (src/linalg/rowChunks.ts): their helpers started first
  await rowPassesReady(data.numRows);
  const model = buildLmm(formula, data, { ...options, observationLevel: options.observationLevel ?? sigmaIsFixed(options) });
  const change = objectiveChange(model, options);
  // lme4's start, checked against the model before the passes over the data (used by optimizeAndAssemble)
  if (options.start !== undefined && !model.covariance) checkStart(options.start, model.theta, model.frame.xnames, 'lmer');
  const t1 = performance.now();
  const timings: Record<string, number> = { frameMs: t1 - t0 };
  const messages: string[] = [];
  // the float64 reference: the whole fit on the CPU, or the check and polish of a GPU fit (with known
  // covariances, A transformed by their factors: src/relmat/gram.ts)
  const reference = new CpuBackend(referenceGram(model), model.theta.length, undefined, () => referenceGram(model));
  timings.gramMs = performance.now() - t1;
  // a turn for the event loop after the passes over the data (an abort that came meanwhile stops here)
  await macrotask();
  throwIfAborted(options.signal);
  // a prior on β changes the float64 decomposition itself: the CPU backend
  const cpuOnly = change && typeof options.prior === 'object' && !!options.prior.fixef && options.prior.fixef.trim() !== 'NULL';
  if (cpuOnly && options.backend === 'webgpu') throw new Error('a prior on the fixed effects (fixef.prior) needs the CPU backend');
  const device = cpuOnly ? null : await lmmBackend(model, reference, options, messages, timings);
  try {
    return await optimizeAndAssemble(model, device ?? reference, reference, timings, options, t0, messages, change ?? undefined);
  } finally {
    device?.dispose();
  }
}
