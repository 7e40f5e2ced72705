/**
 * The entry point: `zeroInflated(formula, data, { family, ziformula, dispformula })` (alias `glmmTMB`),
 * glmmTMB's `glmmTMB(formula, ziformula = …, dispformula = …, family = poisson | nbinom1 | nbinom2 |
 * truncated_poisson | truncated_nbinom1 | truncated_nbinom2 | beta_family | gaussian)` on data given as
 * an Arrow table, rows or columns (src/io/dataInput.ts). Its own entry rather than a
 * `ziformula` option of glmer: glmer is lme4's (PIRLS, β profiled in its first stage, lme4's θ and
 * results), while this model is glmmTMB's (every fixed parameter — β, γ, φ, θ — in one outer
 * optimization of the Laplace objective, glmmTMB's parameters and summary).
 * Options are checked first (src/options/rules.ts): an unknown family, a WebGPU backend, a bad
 * ziformula or dispformula are errors that name the option.
 */
import { OptionError, showValue } from '../errors/errors.js';
import type { Formula } from '../formula/types.js';
import { CONTRAST_NAMES } from '../frame/contrasts.js';
import { type DataInput, toArrowTable } from '../io/dataInput.js';
import { type Schema, abortSignal, bool, checkObject, columnNames, fn, integer, oneOf, string, weights } from '../options/rules.js';
import { type ZeroInflatedOptions, fitZeroInflated } from './fit.js';
import { ZI_FAMILIES, ZI_FAMILY_ALIASES } from './model.js';
import type { ZeroInflatedFit } from './zeroInflatedFit.js';

const ZI_OPTIONS: Schema = {
  family: (v, at) => {
    if (typeof v !== 'string' || !((ZI_FAMILIES as readonly string[]).includes(v) || v in ZI_FAMILY_ALIASES)) {
      throw new OptionError('family', `${at}: ${showValue(v)} is not a glmmTMB family offered here; use one of ${ZI_FAMILIES.join(', ')} ('beta' is beta_family)`);
    }
  },
  ziformula: (v, at) => {
    if (typeof v !== 'string' || !v.trim().startsWith('~')) throw new OptionError('ziformula', `${at} must be a one-sided formula string such as '~ 1' or '~ x', not ${showValue(v)}`);
  },
  dispformula: (v, at) => {
    if (typeof v !== 'string' || !v.trim().startsWith('~')) throw new OptionError('dispformula', `${at} must be a one-sided formula string such as '~ 1' or '~ x', not ${showValue(v)}`);
  },
  weights,
  factors: columnNames,
  contrasts: (v, at) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((c) => !(CONTRAST_NAMES as readonly unknown[]).includes(c))) {
      throw new OptionError('contrasts', `${at} must be an object of contrast names by factor ({ a: 'contr.sum' }; ${CONTRAST_NAMES.join(', ')}), not ${showValue(v)}`);
    }
  },
  backend: (v, at) => {
    if (v === 'webgpu') throw new OptionError('backend', `${at}: zero-inflated and hurdle models run on the CPU only; the WebGPU backend has no zero-inflated likelihood (use backend 'cpu')`);
    oneOf('cpu', 'auto')(v, at);
  },
  maxfun: integer(1),
  REML: bool,
  dataName: string,
  signal: abortSignal,
  onProgress: fn,
};

/**
 * Fits a glmmTMB model on the CPU: a zero-inflated or hurdle count GLMM (glmmTMB's ziformula), a beta or
 * gaussian GLMM, each with glmmTMB's dispformula.
 */
export async function zeroInflated(formula: string | Formula, input: DataInput, options: ZeroInflatedOptions = {}): Promise<ZeroInflatedFit> {
  if (typeof formula !== 'string' && (formula === null || typeof formula !== 'object')) throw new OptionError('formula', `zeroInflated: the formula must be a string such as 'count ~ mined + (1 | site)', not ${showValue(formula)}`);
  checkObject(options, 'zeroInflated options', ZI_OPTIONS);
  return fitZeroInflated(formula, toArrowTable(input), options);
}

/**
 * glmmTMB's own call, `glmmTMB(formula, data, { family, ziformula, dispformula })`, with glmmTMB 1.1.5's
 * defaults: family gaussian and ziformula `~ 0` (no zero model unless one is given). zeroInflated's
 * defaults are a zero-inflated Poisson (family poisson, a zero model `~ 1` for counts): the same call
 * without a family or ziformula must not silently fit another model than glmmTMB's.
 */
export async function glmmTMB(formula: string | Formula, input: DataInput, options: ZeroInflatedOptions = {}): Promise<ZeroInflatedFit> {
  if (options === null || typeof options !== 'object') return zeroInflated(formula, input, options);
  return zeroInflated(formula, input, { ...options, family: options.family ?? 'gaussian', ziformula: options.ziformula ?? '~ 0' });
}
