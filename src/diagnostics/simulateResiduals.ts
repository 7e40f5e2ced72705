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
 *
 * Other fits (glmmTMB's zero-inflated and hurdle models, src/zeroinfl) give their pieces through a
 * DharmaSimulator (their `dharmaSimulator(conditional)`): the observed response, getFitted's fitted
 * response, integerResponse, and replicates first … first + count − 1 of their simulations.
 */
import { ModelError, OptionError } from '../errors/errors.js';
import type { GlmFamily } from '../glmm/family.js';
import { type Schema, bool, checkObject, integer, oneOf } from '../options/rules.js';
import { predictLinear } from '../results/predict.js';
import { type SimulateSource, simulateFit } from '../inference/simulate.js';
import { refuseEngineRows } from '../inference/knownCovariance.js';
import { macrotask, throwIfAborted } from '../model/control.js';
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

/** what simulateResiduals reads of an lmer or glmer fit */
export type DharmaSource = SimulateSource;

/** what simulateResiduals reads of another fit (a zero-inflated one's, src/zeroinfl) */
export interface DharmaSimulator {
  /** the observed response */
  observed: Float64Array;
  /** DHARMa's getFitted: the fitted response without random effects */
  fitted: Float64Array;
  /** DHARMa's integerResponse default for the fit */
  integerResponse: boolean;
  /** replicates first … first + count − 1 (each a pure function of (seed, r)) */
  simulate(count: number, first: number, seed: number): { y: Float64Array[]; messages: string[] };
}

/** a fit that gives its own simulator (duck-typed: src/diagnostics imports nothing of the fits' folders) */
export interface DharmaSimulatorSource {
  dharmaSimulator(conditional: boolean): DharmaSimulator;
}

function hasSimulator(fit: object): fit is DharmaSimulatorSource {
  return typeof (fit as Partial<DharmaSimulatorSource>).dharmaSimulator === 'function';
}

/** what simulateResiduals decided from the fit and the options, before the simulations */
interface Prepared {
  nsim: number;
  seed: number;
  useU: boolean;
  family: GlmFamily | undefined;
  integerResponse: boolean;
}

/** the options every fit shares: nsim, seed, the random effects' choice */
function commonOptions(options: SimulateResidualsOptions): { nsim: number; seed: number; conditional: boolean | undefined } {
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
  return { nsim, seed: options.seed ?? 123, conditional: fromREs ?? options.useU };
}

function prepare(fit: DharmaSource, options: SimulateResidualsOptions): Prepared {
  const { nsim, seed, conditional } = commonOptions(options);
  const { model } = fit;
  const family: GlmFamily | undefined = model.family;
  if (family && family.family !== 'binomial' && family.family !== 'poisson' && family.family !== 'negative.binomial') {
    throw new ModelError(`simulateResiduals: a ${family.family} GLMM's response cannot be simulated here (lme4 1.1-31's simulate draws a Gamma response with shape sigma(fit) instead of 1/sigma(fit)^2, and an inverse Gaussian one by statmod); scaled residuals need the simulations: binomial, Poisson and negative binomial glmer fits and lmer fits only`);
  }
  refuseEngineRows(model, 'simulateResiduals');
  return { nsim, seed, useU: conditional ?? true, family, integerResponse: options.integerResponse ?? family !== undefined };
}

/** a simulator's plan: DHARMa 0.5.0's default simulateREs = "conditional" (its glmmTMB method: simcodes "fix") */
function prepareSimulator(fit: DharmaSimulatorSource, options: SimulateResidualsOptions): { nsim: number; seed: number; integerResponse: boolean; sim: DharmaSimulator } {
  const { nsim, seed, conditional } = commonOptions(options);
  const sim = fit.dharmaSimulator(conditional ?? true);
  return { nsim, seed, integerResponse: options.integerResponse ?? sim.integerResponse, sim };
}

/** the residuals from the simulations `sim` (simulate's result for replicates 0 … nsim − 1) */
function finish(fit: DharmaSource, p: Prepared, sim: { y: Float64Array[]; messages: string[] }): DharmaResiduals {
  const { frame } = fit.model;
  const { family } = p;
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
  const messages = [...sim.messages];
  if (!family && frame.weights) messages.push('the fit has prior weights: the simulations draw the residuals with variance sigma^2/w (DHARMa warns that lme4 1.1-31 ignores the weights when simulating)');
  if (n !== observed.length) throw new ModelError('simulateResiduals: the response and the model frame differ in length');
  return createDharma(simulated, observed, fitted, p.integerResponse, p.seed, messages);
}

export function simulateResiduals(fit: DharmaSource | DharmaSimulatorSource, options: SimulateResidualsOptions = {}): DharmaResiduals {
  if (hasSimulator(fit)) {
    const q = prepareSimulator(fit, options);
    const sim = q.sim.simulate(q.nsim, 0, q.seed);
    return createDharma(sim.y, q.sim.observed, q.sim.fitted, q.integerResponse, q.seed, sim.messages);
  }
  const p = prepare(fit, options);
  return finish(fit, p, simulateFit(fit, p.nsim, { seed: p.seed, useU: p.useU }));
}

/** Simulated values per chunk of the asynchronous form (replicates of n values: about 40 MB) */
const CHUNK_VALUES = 5_000_000;

export interface SimulateResidualsAsyncOptions extends SimulateResidualsOptions {
  /** stops the simulations between chunks: the promise rejects with an AbortError */
  signal?: AbortSignal;
  /** after each chunk of simulations: how many of nsim are done */
  onProgress?: (done: number, nsim: number) => void;
  /** replicates a chunk (default: about CHUNK_VALUES simulated values) */
  chunk?: number;
}

/**
 * simulateResiduals with progress and Cancel (a browser worker's, a long CLI run's): the simulations in
 * chunks of replicates with a macrotask between them. Replicate r is a pure function of (seed, r)
 * (src/inference/simulate.ts), so the result is simulateResiduals's, bit for bit.
 */
export async function simulateResidualsAsync(fit: DharmaSource | DharmaSimulatorSource, options: SimulateResidualsAsyncOptions = {}): Promise<DharmaResiduals> {
  const { signal, onProgress, chunk: perChunk, ...rest } = options;
  throwIfAborted(signal);
  let nsim: number, draw: (count: number, first: number) => { y: Float64Array[]; messages: string[] }, done: (sim: { y: Float64Array[]; messages: string[] }) => DharmaResiduals;
  let nObs: number;
  if (hasSimulator(fit)) {
    const q = prepareSimulator(fit, rest);
    nsim = q.nsim;
    nObs = q.sim.observed.length;
    draw = (count, first) => q.sim.simulate(count, first, q.seed);
    done = (sim) => createDharma(sim.y, q.sim.observed, q.sim.fitted, q.integerResponse, q.seed, sim.messages);
  } else {
    const p = prepare(fit, rest);
    nsim = p.nsim;
    nObs = fit.model.frame.n;
    draw = (count, first) => simulateFit(fit, count, { seed: p.seed, useU: p.useU }, first);
    done = (sim) => finish(fit, p, sim);
  }
  if (perChunk !== undefined && !(Number.isInteger(perChunk) && perChunk >= 1)) throw new OptionError('chunk', `simulateResidualsAsync: chunk must be a whole number of replicates, at least 1, not ${JSON.stringify(perChunk)}`);
  const chunk = perChunk ?? Math.max(1, Math.floor(CHUNK_VALUES / Math.max(1, nObs)));
  const y: Float64Array[] = [];
  let messages: string[] = [];
  for (let first = 0; first < nsim; first += chunk) {
    const count = Math.min(chunk, nsim - first);
    const sim = draw(count, first);
    for (const v of sim.y) y.push(v);
    messages = sim.messages;
    onProgress?.(first + count, nsim);
    await macrotask();
    throwIfAborted(signal);
  }
  return done({ y, messages });
}
