/**
 * The negative binomial GLMM with its size θ estimated, as lme4's glmer.nb (lme4 R/nbinom.R):
 *
 *   1. a Poisson GLMM; θ₀ = MASS's theta.ml(y, μ̂) from its fitted means (limit 20, eps 2·tol);
 *   2. the NB2(θ₀) GLMM;
 *   3. Brent's minimization (R's optimize, src/optim/fmin.ts) of −2 log L over log θ on
 *      log θ₀ ± 3 with tol 5e-5, each evaluation a GLMM fit at that θ (glmer with the family's θ
 *      fixed: θ_re and β re-optimized), then the fit at the minimizer (optimize's last
 *      evaluation), which is the result.
 *
 * −2 log L(θ) is the Laplace deviance profiled over (θ_re, β). Every fit is an ordinary glmer fit
 * (src/fit/glmer.ts: the one fit driver); only the last computes the Hessian for Var(β̂), which, as
 * glmer.nb's vcov, treats θ as known. The fit counts θ in its degrees of freedom.
 */
import { ModelError, OptionError } from '../errors/errors.js';
import type * as arrow from 'apache-arrow';
import type { Formula } from '../formula/types.js';
import type { GlmmFit, NbThetaEstimation } from '../glmm/glmmFit.js';
import { thetaMl } from '../glmm/thetaMl.js';
import { buildGlmm } from '../glmm/model.js';
import { fminAsync } from '../optim/fmin.js';
import { type GlmerOptions, glmer } from './glmer.js';
import type { DataInput } from '../io/dataInput.js';
import { checkGlmerNbCall } from './checks.js';

export interface GlmerNbOptions extends Omit<GlmerOptions, 'family' | 'link' | 'theta'> {
  /** the tolerance of the minimization over log θ (glmer.nb's tol, default 5e-5) */
  tol?: number;
  /** the interval for log θ (default log θ₀ ± 3, as glmer.nb) */
  interval?: [number, number];
}

/** Fits a negative binomial GLMM with θ estimated (lme4's glmer.nb). `input`: an Arrow table, an array of row objects or an object of columns. */
export async function glmerNb(formula: string | Formula, input: DataInput, options: GlmerNbOptions = {}): Promise<GlmmFit> {
  const data = checkGlmerNbCall(formula, input, options);
  return fitGlmerNb(formula, data, options);
}

/** glmerNb on checked arguments (also glmer's path for family 'negative.binomial' without theta). */
export async function fitGlmerNb(formula: string | Formula, data: arrow.Table, allOptions: GlmerNbOptions & Partial<Pick<GlmerOptions, 'family'>>): Promise<GlmmFit> {
  // tol and interval are the search's own; glmer is given the others
  const { tol: tolOption, interval, ...options } = allOptions;
  const t0 = performance.now();
  const nAGQ = options.nAGQ ?? 1;
  if (nAGQ !== 1) throw new OptionError('nAGQ', `the negative binomial GLMM with θ estimated is fitted with the Laplace approximation (nAGQ = 1), as glmer.nb; got nAGQ = ${nAGQ}`);
  const tol = tolOption ?? 5e-5;
  if (!(tol > 0)) throw new OptionError('tol', `glmer.nb: tol must be positive, got ${tol}`);
  const steps: { theta: number; deviance: number }[] = [];
  const fitAt = async (theta: number, final: boolean): Promise<GlmmFit> => {
    // the θ search needs only −2 log L; Var(β̂) (the Hessian) only at the end
    const fit = await glmer(formula, data, { ...options, family: 'negative.binomial', theta, vcov: final ? options.vcov : 'RX' });
    steps.push({ theta, deviance: fit.objective });
    return fit;
  };
  // the data read as the negative binomial reads them (its errors name this family), then
  // 1. the Poisson fit and theta.ml from its fitted means
  buildGlmm(formula, data, { ...options, family: 'negative.binomial', theta: 1 });
  const pois = await glmer(formula, data, { ...options, family: 'poisson', vcov: 'RX' });
  const est = thetaMl(pois.model.pirls.y, pois.mu, { weights: pois.model.pirls.weights, limit: 20, eps: 2 * tol });
  const theta0 = est.theta;
  if (!(theta0 > 0 && Number.isFinite(theta0))) {
    throw new ModelError(`glmer.nb: the starting value of the negative binomial size from the Poisson fit is ${theta0} (theta.ml${est.warning ? `: ${est.warning}` : ''}): the counts show no overdispersion to estimate; fit family 'poisson'`);
  }
  // 2. the NB fit at θ₀, then 3. Brent over log θ
  await fitAt(theta0, false);
  const [lo, hi] = interval ?? [Math.log(theta0) - 3, Math.log(theta0) + 3];
  if (!(lo < hi)) throw new OptionError('interval', `glmer.nb: the interval for log(theta) [${lo}, ${hi}] is empty`);
  const logTheta = await fminAsync(async (t) => (await fitAt(Math.exp(t), false)).objective, lo, hi, tol);
  const theta = Math.exp(logTheta);
  const fit = await fitAt(theta, true);
  const estimation: NbThetaEstimation = {
    theta0, theta0Warning: est.warning, interval: [lo, hi], tol, steps, evaluations: steps.length,
    boundary: Math.abs(logTheta - lo) < 10 * tol || Math.abs(logTheta - hi) < 10 * tol,
  };
  fit.recordThetaEstimation(estimation);
  if (estimation.boundary) {
    fit.messages.push(`glmer.nb: the estimate of theta (${theta.toPrecision(5)}) is at the end of its search interval exp([${lo.toFixed(3)}, ${hi.toFixed(3)}]): widen 'interval'${logTheta >= hi - 10 * tol ? ', or the counts may not be overdispersed (a Poisson model)' : ''}`);
  }
  fit.timings.nbTotalMs = performance.now() - t0;
  return fit;
}
