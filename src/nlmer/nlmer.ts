/**
 * lme4 1.1-31's `nlmer(formula, data, start, nAGQ, control)`: the nonlinear mixed model
 * `resp ~ Model(covariates, parameters) ~ fixed | random` (formula.ts) with R's self-starting models
 * (selfStart.ts), fitted by lme4's two stages (fit.ts) on the Laplace deviance (laplace.ts) of
 * penalized nonlinear least squares (pnls.ts). `start` is required, as lme4's (it gives the
 * parameters' names and starting values; nlmer does not call the models' self-start functions).
 * Not offered (refused with the reason): weights, offset, subset, nAGQ > 1 (lme4 stops too).
 */
import { OptionError, showValue } from '../errors/errors.js';
import { type DataInput, toArrowTable } from '../io/dataInput.js';
import { throwIfAborted } from '../model/control.js';
import { abortSignal, fn } from '../options/rules.js';
import { estimateNlmer, type NlmerOptimizer, type NlmerProgress } from './fit.js';
import { parseNlFormula } from './formula.js';
import { buildNlmerModel } from './model.js';
import { NlmerFit } from './nlmerFit.js';

export interface NlmerOptions {
  /** the parameters' starting values by name (required, as lme4's) */
  start: Record<string, number>;
  /** 1: Laplace (default); 0: lme4's first stage only; > 1 refused as lme4 */
  nAGQ?: number;
  /** both stages' optimizer: 'Nelder_Mead' (lme4's nlmerControl default) or 'bobyqa' */
  optimizer?: NlmerOptimizer;
  /** PNLS's convergence tolerance (lme4's nlmerControl tolPwrss, 1e-10) */
  tolPwrss?: number;
  /** the data's name in the printout */
  dataName?: string;
  /** aborts the fit: it rejects with an AbortError (name 'AbortError'), as the library's other fits */
  signal?: AbortSignal;
  /** called after each optimizer evaluation of either stage: { stage, feval, deviance, best, theta, beta, elapsedMs } */
  onProgress?: (p: NlmerProgress) => void;
}

const KNOWN = new Set(['start', 'nAGQ', 'optimizer', 'tolPwrss', 'dataName', 'signal', 'onProgress']);
const REFUSED: Record<string, string> = {
  weights: 'lme4 1.1-31 nlmer does not apply prior weights to the model gradient (its nlsResp), so they are not offered',
  offset: 'an offset is not offered for nlmer',
  subset: 'subset the data before fitting',
  REML: 'nlmer fits by maximum likelihood only (as lme4)',
};

/** Fits lme4's nlmer (header). */
export async function nlmer(formula: string, data: DataInput, options: NlmerOptions): Promise<NlmerFit> {
  if (options === null || typeof options !== 'object') throw new OptionError('start', 'nlmer needs options with start, the parameters\' starting values, e.g. { start: { Asym: 200, xmid: 725, scal: 350 } }');
  for (const key of Object.keys(options)) {
    if (REFUSED[key]) throw new OptionError(key, `nlmer: ${key}: ${REFUSED[key]}`);
    if (!KNOWN.has(key)) throw new OptionError(key, `nlmer: unknown option '${key}' (options: ${[...KNOWN].join(', ')})`);
  }
  const start = options.start;
  if (start === undefined || start === null || typeof start !== 'object' || Array.isArray(start)) {
    throw new OptionError('start', `nlmer: start must give each parameter's starting value by name, e.g. { Asym: 200, xmid: 725, scal: 350 }, not ${showValue(start)} (lme4's nlmer requires it)`);
  }
  if (options.signal !== undefined) abortSignal(options.signal, 'nlmer: signal');
  if (options.onProgress !== undefined) fn(options.onProgress, 'nlmer: onProgress');
  throwIfAborted(options.signal);
  const names = Object.keys(start);
  if (names.length === 0) throw new OptionError('start', 'nlmer: start names no parameter');
  for (const nm of names) {
    const v = start[nm];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new OptionError('start', `nlmer: start value of '${nm}' must be a finite number, not ${showValue(v)}`);
  }
  const f = parseNlFormula(formula, names);
  const model = buildNlmerModel(f, toArrowTable(data));
  const startVec = Float64Array.from(model.params, (p) => start[p]);
  const est = await estimateNlmer(model, startVec, {
    ...(options.nAGQ !== undefined ? { nAGQ: options.nAGQ } : {}),
    ...(options.optimizer !== undefined ? { optimizer: options.optimizer } : {}),
    ...(options.tolPwrss !== undefined ? { tolPwrss: options.tolPwrss } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
  });
  return new NlmerFit(model, est, options.dataName ?? 'data');
}
