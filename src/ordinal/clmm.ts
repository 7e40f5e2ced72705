/**
 * clmm: cumulative link mixed models for ordered responses (the R package ordinal's `clmm`), on
 * the CPU: the options checked (every one has a rule; unknown ones are refused), the data as an
 * Arrow table, then the fit (fit.ts). Also ordinal's likelihood-ratio `anova` of two fits.
 */
import { ModelError } from '../errors/errors.js';
import type { Formula } from '../formula/types.js';
import { type DataInput, toArrowTable } from '../io/dataInput.js';
import { pchisqUpper } from '../stats/distributions.js';
import { type Schema, abortSignal, checkObject, columnNames, fn, integer, oneOf, string, weights } from '../options/rules.js';
import { OptionError, showValue } from '../errors/errors.js';
import { CONTRAST_NAMES } from '../frame/contrasts.js';
import type { ClmmFit } from './clmmFit.js';
import { type ClmmOptions, fitClmm } from './fit.js';
import { CLMM_LINKS } from './links.js';
import { CLMM_THRESHOLDS } from './thresholds.js';

const CLMM_OPTIONS: Schema = {
  link: oneOf(...CLMM_LINKS),
  threshold: oneOf(...CLMM_THRESHOLDS),
  nAGQ: (v, at) => {
    integer(1, 25)(v, at);
  },
  levels: (v, at) => {
    if (!Array.isArray(v) || v.length === 0 || v.some((l) => typeof l !== 'string')) {
      throw new OptionError('levels', `${at} must be the response's categories in order, an array of strings (['low', 'mid', 'high']), not ${showValue(v)}`);
    }
  },
  factors: columnNames,
  contrasts: (v, at) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((c) => !(CONTRAST_NAMES as readonly unknown[]).includes(c))) {
      throw new OptionError('contrasts', `${at} must be an object of contrast names by factor ({ a: 'contr.sum' }; ${CONTRAST_NAMES.join(', ')}), not ${showValue(v)}`);
    }
  },
  backend: (v, at) => {
    if (v === 'webgpu') throw new OptionError('backend', `${at}: clmm runs on the CPU only; the WebGPU backend has no cumulative link model (use backend 'cpu')`);
    oneOf('cpu', 'auto')(v, at);
  },
  maxfun: integer(1),
  weights,
  dataName: string,
  signal: abortSignal,
  onProgress: fn,
};

/**
 * Fits a cumulative link mixed model (ordinal's `clmm`): P(Y ≤ j) = F(Θ_j − xᵀβ − zᵀb) with lme4's
 * random-effects terms. `input`: an Arrow table, an array of row objects or an object of columns.
 */
export async function clmm(formula: string | Formula, input: DataInput, options: ClmmOptions = {}): Promise<ClmmFit> {
  if (typeof formula !== 'string' && (formula === null || typeof formula !== 'object')) throw new OptionError('formula', `clmm: the formula must be a string such as 'rating ~ temp + (1 | judge)', not ${showValue(formula)}`);
  checkObject(options, 'clmm options', CLMM_OPTIONS);
  const data = toArrowTable(input);
  return fitClmm(formula, data, options);
}

/** One row of the likelihood-ratio table. */
export interface ClmmAnovaRow { formula: string; link: string; threshold: string; noPar: number; AIC: number; logLik: number; LRstat: number; df: number; p: number }

/**
 * ordinal's anova(fit0, fit1): the fits ordered by their number of parameters, LR = 2(ℓ₁ − ℓ₀),
 * df the difference of the parameters' numbers, Pr(>Chisq) the χ²_df upper tail. The fits must be of
 * the same observations (the same number of them).
 */
export function clmmAnova(a: ClmmFit, b: ClmmFit): ClmmAnovaRow[] {
  if (a.nobs !== b.nobs) throw new ModelError(`anova: the fits have ${a.nobs} and ${b.nobs} observations: models compared by a likelihood-ratio test are fitted to the same observations`);
  const [m0, m1] = a.edf <= b.edf ? [a, b] : [b, a];
  const lr = 2 * (m1.logLik - m0.logLik);
  const df = m1.edf - m0.edf;
  const row = (m: ClmmFit) => ({ formula: m.formula, link: m.link, threshold: m.threshold, noPar: m.edf, AIC: m.AIC, logLik: m.logLik });
  return [
    { ...row(m0), LRstat: NaN, df: NaN, p: NaN },
    { ...row(m1), LRstat: lr, df, p: df > 0 ? pchisqUpper(lr, df) : NaN },
  ];
}
