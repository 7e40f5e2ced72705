/**
 * coxme: mixed-effects Cox models (Therneau's R package coxme) on the CPU —
 *   coxme('Surv(time, status) ~ x + (1 | centre)', data, { ties: 'efron' })
 * the options checked (every one has a rule; unknown ones are refused), the data as an Arrow table,
 * then the model (model.ts), θ̂ and the estimates (fit.ts) and the fit (coxmeFit.ts).
 */
import { OptionError, showValue } from '../errors/errors.js';
import { CONTRAST_NAMES } from '../frame/contrasts.js';
import { type DataInput, toArrowTable } from '../io/dataInput.js';
import { type Schema, checkObject, columnNames, integer, oneOf, string } from '../options/rules.js';
import { CoxmeFit } from './coxmeFit.js';
import { estimateCoxme } from './fit.js';
import { type CoxTies, buildCoxmeModel } from './model.js';

export interface CoxmeOptions {
  /** tied event times: 'efron' (default, as coxme) or 'breslow' */
  ties?: CoxTies;
  /** numeric columns to treat as factors */
  factors?: string[];
  /** contrasts of fixed-effects factors ({ a: 'contr.sum' }) */
  contrasts?: Record<string, string>;
  /** θ (lme4's layout: per term, its template's lower triangle by columns) to start the optimization from */
  start?: number[];
  /** θ held fixed (no optimization of the variances; coxme's vfixed, given as θ = standard deviations) */
  fixedTheta?: number[];
  /** the most IPL evaluations (default 1000) */
  maxfun?: number;
  /** the data's name, printed as coxme prints `Data:` */
  dataName?: string;
}

const thetaVector = (v: unknown, at: string) => {
  if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    throw new OptionError(at, `${at} must be an array of finite numbers (θ in lme4's layout), not ${showValue(v)}`);
  }
};

const COXME_OPTIONS: Schema = {
  ties: oneOf('efron', 'breslow'),
  factors: columnNames,
  contrasts: (v, at) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((c) => !(CONTRAST_NAMES as readonly unknown[]).includes(c))) {
      throw new OptionError('contrasts', `${at} must be an object of contrast names by factor ({ a: 'contr.sum' }; ${CONTRAST_NAMES.join(', ')}), not ${showValue(v)}`);
    }
  },
  start: thetaVector,
  fixedTheta: thetaVector,
  maxfun: integer(1),
  dataName: string,
};

/**
 * Fits a mixed-effects Cox model: hazard λ0(t) exp(xβ + zb), b ~ N(0, Σ(θ)), θ by the Laplace
 * approximation of the integrated partial likelihood. `input`: an Arrow table, an array of row
 * objects or an object of columns.
 */
export function coxme(formula: string, input: DataInput, options: CoxmeOptions = {}): CoxmeFit {
  if (typeof formula !== 'string') throw new OptionError('formula', `coxme: the formula must be a string such as 'Surv(time, status) ~ x + (1 | g)', not ${showValue(formula)}`);
  checkObject(options, 'coxme options', COXME_OPTIONS);
  const data = toArrowTable(input);
  const model = buildCoxmeModel(formula, data, {
    ...(options.ties ? { ties: options.ties } : {}),
    ...(options.factors ? { factors: options.factors } : {}),
    ...(options.contrasts ? { contrasts: options.contrasts as never } : {}),
  });
  const est = estimateCoxme(model, {
    ...(options.start ? { start: options.start } : {}),
    ...(options.fixedTheta ? { fixedTheta: options.fixedTheta } : {}),
    ...(options.maxfun ? { maxfun: options.maxfun } : {}),
  });
  return new CoxmeFit(est, options.dataName);
}
