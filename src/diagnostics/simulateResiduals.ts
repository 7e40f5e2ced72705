/**
 * DHARMa's simulateResiduals(fit, n = nsim, simulateREs, refit = FALSE, integerResponse, seed) for lmer and
 * glmer fits (DHARMa 0.5.0, method "PIT"):
 *   simulations  nsim responses from lme4's simulate (src/inference/simulate.ts), conditional on the fitted
 *                random effects by default (DHARMa 0.5.0's simulateREs = "conditional": lme4's re.form = NULL,
 *                our useU) or with new random effects ("unconditional": re.form = NA);
 *   observed     the fit's response (a binomial's as counts of successes: the proportion times the trials,
 *                as DHARMa's getObservedResponse; the simulations likewise);
 *   fitted       the population-level fitted response g⁻¹(offset + X β̂) (getFitted: predict(type =
 *                "response", re.form = ~0));
 *   residuals    the randomized PIT (scaledResiduals.ts);
 *   integerResponse  true for binomial, Poisson and negative binomial fits (DHARMa's family rule) unless given.
 * One residual per observation used by the fit (rows dropped for missing values have none).
 */
import { ModelError, OptionError } from '../errors/errors.js';
import type { GlmFamily } from '../glmm/family.js';
import { type Schema, bool, checkObject, integer, oneOf } from '../options/rules.js';
import { predictLinear } from '../results/predict.js';
import { type SimulateSource, simulateFit } from '../inference/simulate.js';
import { refuseEngineRows } from '../inference/knownCovariance.js';
import { type DharmaResiduals, createDharma } from './dharma.js';

export interface SimulateResidualsOptions {
  /** simulations (DHARMa's n; default 250; at least 2) */
  nsim?: number;
  /** the seed of the simulations and of the residuals' randomization (default 123, DHARMa's) */
  seed?: number;
  /** DHARMa's integerResponse (default from the family: binomial, Poisson, negative binomial); it chooses testOutliers's default type */
  integerResponse?: boolean;
  /** 'conditional' (default, DHARMa 0.5.0: on the fitted random effects) or 'unconditional' (new random effects) */
  simulateREs?: 'conditional' | 'unconditional';
  /** lme4's name for the same choice: useU true is 'conditional', false 'unconditional' */
  useU?: boolean;
  /** DHARMa's refit: only false (the parametric bootstrap's refits are not done here) */
  refit?: boolean;
}

const OPTIONS: Schema = {
  nsim: integer(2, 1e7), seed: integer(-(2 ** 53), 2 ** 53), integerResponse: bool,
  simulateREs: oneOf('conditional', 'unconditional'), useU: bool, refit: bool,
};

/** what simulateResiduals reads of a fit */
export type DharmaSource = SimulateSource;

export function simulateResiduals(fit: DharmaSource, options: SimulateResidualsOptions = {}): DharmaResiduals {
  const nsim = options.nsim ?? 250;
  if (typeof nsim !== 'number' || !Number.isInteger(nsim) || nsim < 2) {
    throw new OptionError('nsim', `simulateResiduals: nsim must be a whole number of simulations, at least 2 (DHARMa: n > 1 is required to calculate scaled residuals), not ${JSON.stringify(options.nsim)}`);
  }
  checkObject(options, 'simulateResiduals', OPTIONS);
  if (options.refit === true) throw new OptionError('refit', "simulateResiduals: refit = TRUE (DHARMa's residuals from refits to each simulation) is not supported; use refit: false (the default)");
  const fromREs = options.simulateREs === undefined ? undefined : options.simulateREs === 'conditional';
  if (fromREs !== undefined && options.useU !== undefined && fromREs !== options.useU) {
    throw new OptionError('useU', `simulateResiduals: useU: ${options.useU} contradicts simulateREs: '${options.simulateREs}' (useU true is 'conditional'); give one of them`);
  }
  const useU = fromREs ?? options.useU ?? true;
  const seed = options.seed ?? 123;
  const { model } = fit;
  const family: GlmFamily | undefined = model.family;
  if (family && family.family !== 'binomial' && family.family !== 'poisson' && family.family !== 'negative.binomial') {
    throw new ModelError(`simulateResiduals: a ${family.family} GLMM's response cannot be simulated here (lme4 1.1-31's simulate draws a Gamma response with shape sigma(fit) instead of 1/sigma(fit)^2, and an inverse Gaussian one by statmod); scaled residuals need the simulations: binomial, Poisson and negative binomial glmer fits and lmer fits only`);
  }
  refuseEngineRows(model, 'simulateResiduals');
  const sim = simulateFit(fit, nsim, { seed, useU });
  const { frame } = model;
  const n = frame.n;
  // a binomial's proportions k/m to counts k (m the trials: the prior weights)
  const w = family?.family === 'binomial' ? frame.weights ?? null : null;
  const counts = (y: Float64Array) => y.map((v, i) => Math.round(v * w![i]));
  const observed = w ? counts(frame.y) : Float64Array.from(frame.y);
  // the simulations are the result's own arrays: converted where they are proportions, else kept
  const simulated = w ? sim.y.map(counts) : sim.y;
  // predict(type = "response", re.form = ~0): g⁻¹(offset + X β̂)
  const eta = predictLinear(fit, null, { groups: false });
  const fitted = family ? eta.map((e) => family.linkinv(e)) : eta;
  const integerResponse = options.integerResponse ?? family !== undefined;
  const messages = [...sim.messages];
  if (!family && frame.weights) messages.push('the fit has prior weights: the simulations draw the residuals with variance sigma^2/w (DHARMa warns that lme4 1.1-31 ignores the weights when simulating)');
  if (n !== observed.length) throw new ModelError('simulateResiduals: the response and the model frame differ in length');
  return createDharma(simulated, observed, fitted, integerResponse, seed, messages);
}
