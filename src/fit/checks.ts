/**
 * lmer's and glmer's arguments, checked before any work (predict's are checked in
 * src/results/predict.ts). Every option has a rule (src/options/rules.ts); a wrong value or an
 * unknown key is an OptionError that names the function, the option, the value and what is
 * allowed. The data are converted to an Arrow table (src/io/dataInput.ts: tables, arrays of row
 * objects, objects of columns).
 *
 * (A new option of lmer or glmer needs its rule here: an option without one is refused as unknown.)
 */
import type * as arrow from 'apache-arrow';
import { FormulaError, ModelError, OptionError, showValue } from '../errors/errors.js';
import { parseFormula, usesDot } from '../formula/parse.js';
import type { Formula } from '../formula/types.js';
import { FAMILY_LINKS, GAUSSIAN_IDENTITY } from '../glmm/family.js';
import { agqStructureRefusal } from '../glmm/structured.js';
import { BACKENDS } from '../backend/select.js';
import { toArrowTable } from '../io/dataInput.js';
import { CONTRAST_NAMES } from '../frame/contrasts.js';
import { startParts } from '../model/start.js';
import { OPTIMIZER_METHODS } from '../optim/minimizers.js';
import {
  type Rule, type Schema, abortSignal, bool, checkObject, columnNames, fn, gpuDevice, integer, nested, oneOf, positiveNumber, string, weights,
} from '../options/rules.js';

const OPTIMIZER: Schema = { rhobeg: positiveNumber, rhoend: positiveNumber, maxfun: integer(1), method: oneOf(...OPTIMIZER_METHODS) };

/** One of blme's prior strings ("gamma(shape = 2.5)"), or null for none. */
const priorText: Rule = (v, at) => {
  if (v !== null && typeof v !== 'string') {
    throw new OptionError('prior', `${at} must be one of blme's prior strings (such as "gamma(shape = 2.5, rate = 0)") or null, not ${showValue(v)}`);
  }
};

/** `prior`: 'blme' (blme's defaults) or an object of blme's prior strings with these keys. */
function prior(keys: readonly ('cov' | 'fixef' | 'resid')[], glmm: boolean): Rule {
  return (v, at) => {
    if (v === 'blme') return;
    if (glmm && v && typeof v === 'object' && Object.hasOwn(v, 'resid')) {
      throw new OptionError('prior', `${at}.resid: resid.prior applies to linear mixed models only (bglmer has no residual variance)`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw new OptionError('prior', `${at} must be 'blme' or an object of blme's prior strings { ${keys.join(', ')} }, not ${typeof v === 'string' ? `the string ${showValue(v)}` : showValue(v)}`);
    }
    checkObject(v, at, Object.fromEntries(keys.map((k) => [k, priorText])));
  };
}

/**
 * `relmat`: for each grouping factor named, its known covariance (a matrix with level names, a sparse
 * matrix or a pedigree); their contents are checked where they are read (src/relmat/knownCovariance.ts).
 */
const relmat: Rule = (v, at) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new OptionError('relmat', `${at} must be an object of known covariance matrices by grouping factor ({ group: { levels, matrix } }, a sparse matrix or pedigree(...)), not ${showValue(v)}`);
  }
  for (const [g, k] of Object.entries(v)) {
    if (k === null || typeof k !== 'object') {
      throw new OptionError('relmat', `${at}.${g} must be a known covariance matrix ({ levels, matrix }, { kind: 'sparse', levels, i, j, x }, phyloVcv(newick) or pedigree(...)), not ${showValue(k)}`);
    }
  }
};

/**
 * `contrasts`: R's contrast function per factor (lme4's `contrasts = list(a = "contr.sum")`), each a
 * name of src/frame/contrasts.ts's list; that each names a factor of the fixed part is checked with
 * the data (src/frame/modelFrame.ts's frameContrasts).
 */
const contrasts: Rule = (v, at) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new OptionError('contrasts', `${at} must be an object of contrast names by factor ({ a: 'contr.sum' }), not ${showValue(v)}`);
  }
  for (const [f, name] of Object.entries(v)) {
    if (typeof name !== 'string' || !(CONTRAST_NAMES as readonly string[]).includes(name)) {
      const near = typeof name === 'string' ? CONTRAST_NAMES.find((c) => c.toLowerCase() === name.toLowerCase() || c === `contr.${name}`) : undefined;
      throw new OptionError('contrasts', `${at}.${f}: unknown contrast ${typeof name === 'string' ? `'${name}'` : showValue(name)}${near ? ` (did you mean '${near}'?)` : ''}: use ${CONTRAST_NAMES.join(', ')} (R's stats contrasts)`);
    }
  }
};

/**
 * `naAction`: lme4's na.action, 'omit' (na.omit, the default) or 'exclude' (na.exclude: per-row results
 * padded to the input's rows). R's other actions are refused: na.fail and na.pass are not offered
 * (lme4 stops on missing values with either).
 */
const naAction: Rule = (v, at) => {
  if (v === 'omit' || v === 'exclude') return;
  const r = typeof v === 'string' ? /^na\.(omit|exclude)$/.exec(v) : null;
  const hint = r ? ` (R's ${v} is '${r[1]}')` : typeof v === 'string' && /^(na\.)?(fail|pass)$/.test(v) ? ' (na.fail and na.pass are not offered: rows with missing values are dropped, as na.omit)' : '';
  throw new OptionError('naAction', `${at} must be 'omit' or 'exclude' (lme4's na.action = na.omit or na.exclude), not ${showValue(v)}${hint}`);
};

const FAMILIES = "'binomial', 'poisson', 'negative.binomial', 'Gamma', 'inverse.gaussian' or 'gaussian' (link 'log' or 'inverse')";

/** lmer's options (LmerOptions in src/fit/lmer.ts). */
export const LMER_OPTIONS: Schema = {
  REML: bool,
  factors: columnNames,
  weights,
  backend: oneOf(...BACKENDS),
  device: gpuDevice,
  denseOnGpu: bool,
  optimizer: nested(OPTIMIZER),
  onProgress: fn,
  signal: abortSignal,
  yieldEveryMs: positiveNumber,
  dataName: string,
  sigma: positiveNumber,
  prior: prior(['cov', 'fixef', 'resid'], false),
  observationLevel: bool,
  relmat,
  momentStart: bool,
  calcDerivs: bool,
  naAction,
  contrasts,
  start: (v) => void startParts(v, 'lmer'),
};

/** glmer's options (GlmerOptions in src/fit/glmer.ts). */
export const GLMER_OPTIONS: Schema = {
  family: (v, at) => {
    if (typeof v !== 'string' || !Object.hasOwn(FAMILY_LINKS, v)) {
      // R's spelling (Gamma with a capital G) where only the case differs
      const near = typeof v === 'string' ? Object.keys(FAMILY_LINKS).find((f) => f.toLowerCase() === v.toLowerCase()) : undefined;
      throw new OptionError('family', `${at}: family ${typeof v === 'string' ? `'${v}'` : showValue(v)} is not supported: ${near ? `did you mean '${near}' (R's name)? ` : ''}use ${FAMILIES} (a Gaussian model with the identity link is fitted by lmer)`);
    }
  },
  link: oneOf(...new Set(Object.values(FAMILY_LINKS).flat())),
  nAGQ: integer(0, 25),
  weights,
  factors: columnNames,
  vcov: oneOf('hessian', 'RX'),
  calcDerivs: bool,
  naAction,
  optimizer: nested(OPTIMIZER),
  pirlsMaxIter: integer(1),
  onProgress: fn,
  signal: abortSignal,
  yieldEveryMs: positiveNumber,
  dataName: string,
  backend: oneOf(...BACKENDS),
  device: gpuDevice,
  gpuReweight: bool,
  gpuGroups: bool,
  prior: prior(['cov', 'fixef'], true),
  theta: (v, at) => {
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new OptionError('theta', `${at}: the negative binomial size theta must be a positive number, got ${showValue(v)}`);
  },
  relmat,
  contrasts,
  start: (v) => void startParts(v, 'glmer'),
};

/** glmerNb's options (GlmerNbOptions in src/fit/glmerNb.ts): glmer's but the family, plus the search's. */
export const GLMER_NB_OPTIONS: Schema = {
  ...Object.fromEntries(Object.entries(GLMER_OPTIONS).filter(([k]) => k !== 'family' && k !== 'link' && k !== 'theta')),
  tol: positiveNumber,
  interval: (v, at) => {
    if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x)) || !(v[0] < v[1])) {
      throw new OptionError('interval', `${at} must be [lower, upper] with finite lower < upper (an interval for log θ), not ${showValue(v)}`);
    }
  },
};

/** The formula argument: text (parsed here, so that a FormulaError comes first) or a parsed Formula. */
function checkFormula(formula: unknown, at: string, data?: unknown): Formula {
  // `.`: the data's columns (read only for a formula that has one, so that a formula's error comes first)
  if (typeof formula === 'string') return parseFormula(formula, usesDot(formula) ? { dataColumns: toArrowTable(data).schema.fields.map((c) => c.name) } : {});
  const f = formula as Partial<Formula> | null;
  if (f && typeof f === 'object' && f.fixed && Array.isArray(f.random) && f.response) return f as Formula;
  throw new FormulaError(`${at}: the formula must be a string such as 'y ~ x + (1 | g)' (or a parsed Formula), not ${showValue(formula)}`, '', 0);
}

function noRandomTerms(f: Formula): ModelError {
  return new ModelError(`no random-effects terms in '${f.text}': a mixed model needs at least one term such as (1 | group)`);
}

function checkOptimizerOrder(options: { optimizer?: { rhobeg?: number; rhoend?: number; method?: string } } | undefined, at: string): void {
  const o = options?.optimizer;
  if (o?.method !== undefined && o.method !== 'bobyqa' && (o.rhobeg !== undefined || o.rhoend !== undefined)) {
    throw new OptionError('optimizer', `${at}: optimizer.${o.rhobeg !== undefined ? 'rhobeg' : 'rhoend'} is BOBYQA's trust-region radius: the method '${o.method}' takes only maxfun`);
  }
  if (o?.rhobeg !== undefined && o.rhoend !== undefined && o.rhoend > o.rhobeg) {
    throw new OptionError('optimizer', `${at}: optimizer.rhoend (${o.rhoend}) must not exceed optimizer.rhobeg (${o.rhobeg})`);
  }
}

/** lmer(formula, data, options): the checked data as an Arrow table. */
export function checkLmerCall(formula: unknown, data: unknown, options: unknown): arrow.Table {
  checkObject(options, 'lmer', LMER_OPTIONS);
  checkOptimizerOrder(options as never, 'lmer');
  const o = options as { sigma?: number; prior?: unknown } | undefined;
  if (o?.sigma !== undefined && o.prior !== undefined) {
    throw new OptionError('sigma', "lmer: give sigma or prior, not both (blme's resid.prior = 'point(value = σ)' fixes σ with a prior)");
  }
  const f = checkFormula(formula, 'lmer', data);
  if (f.random.length === 0) throw noRandomTerms(f);
  return toArrowTable(data);
}

/** glmer(formula, data, options): the checked data as an Arrow table. */
export function checkGlmerCall(formula: unknown, data: unknown, options: unknown): arrow.Table {
  if (options === undefined || options === null) {
    throw new OptionError('family', "glmer needs options with a family: glmer(formula, data, { family: 'binomial' }) or { family: 'poisson' } (a Gaussian model is fitted by lmer)");
  }
  checkObject(options, 'glmer', GLMER_OPTIONS);
  const o = options as { family?: string; link?: string; nAGQ?: number; factors?: string[] };
  if (o.family === undefined) {
    throw new OptionError('family', `glmer: family is required: ${FAMILIES} (a Gaussian model with the identity link is fitted by lmer)`);
  }
  const family = o.family as keyof typeof FAMILY_LINKS;
  if (family === 'gaussian' && (o.link === undefined || o.link === 'identity')) throw new OptionError('link', `glmer: ${GAUSSIAN_IDENTITY}`);
  if (o.link !== undefined && !(FAMILY_LINKS[family] as string[]).includes(o.link)) {
    throw new OptionError('link', `glmer: link '${o.link}' is not available for the ${family} family (available: ${FAMILY_LINKS[family].join(', ')})`);
  }
  checkOptimizerOrder(options as never, 'glmer');
  const f = checkFormula(formula, 'glmer', data);
  if (f.random.length === 0) throw noRandomTerms(f);
  const table = toArrowTable(data);
  // lme4 1.1-31 runs nAGQ > 1 for these families, but its quadrature sums the deviance residuals
  // without the family's aic (the dispersion's normalizing terms), so its value is not on the Laplace's
  // scale (test/oracle/gamma.R: −2 log L 87.98 at nAGQ = 5 against 753.4 at nAGQ = 1): refused here
  if ((o.nAGQ ?? 1) > 1 && (family === 'Gamma' || family === 'inverse.gaussian' || family === 'gaussian')) {
    throw new ModelError(`nAGQ > 1 is not available for the ${family} family: lme4's adaptive quadrature for a family with a dispersion leaves out the family's normalizing terms, so its log-likelihood is not comparable with the Laplace approximation's (use nAGQ = 1)`);
  }
  if ((o.nAGQ ?? 1) > 1) checkAgqTerms(f, o.nAGQ!);
  return table;
}

/** glmerNb(formula, data, options): the checked data as an Arrow table. */
export function checkGlmerNbCall(formula: unknown, data: unknown, options: unknown): arrow.Table {
  checkObject(options, 'glmerNb', GLMER_NB_OPTIONS);
  checkOptimizerOrder(options as never, 'glmerNb');
  const f = checkFormula(formula, 'glmerNb', data);
  if (f.random.length === 0) throw noRandomTerms(f);
  return toArrowTable(data);
}

/**
 * nAGQ > 1: the random effects of ONE grouping factor (a scalar term, src/glmm/agq.ts, or a vector
 * term such as `(1 + x | g)` or `(x || g)`, src/glmm/agqVector.ts's product rule): the quadrature
 * separates by level only then. Several grouping factors and glmmTMB's structures are refused.
 */
function checkAgqTerms(f: Formula, nAGQ: number): void {
  const groups = [...new Set(f.random.map((t) => t.groupLabel))];
  if (groups.length > 1) {
    throw new ModelError(`nAGQ > 1 is only available for models whose random effects have a single grouping factor (this model has ${f.random.map((t) => t.text).join(' + ')}: the factors ${groups.join(', ')}): with several factors the levels are not independent, so the quadrature does not separate by level; use nAGQ = 1 (the Laplace approximation)`);
  }
  const structured = f.random.filter((t) => t.structure !== undefined && t.structure !== 'us');
  if (structured.length) throw agqStructureRefusal(nAGQ, structured.map((t) => t.text).join(', '));
}
