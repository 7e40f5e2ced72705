/**
 * The response of a GLMM, read as R's `binomial()$initialize` and `poisson()$initialize` read it:
 *   binomial: a 0/1 (or logical) vector; a factor (the first level is failure, every other level
 *             success); proportions in [0, 1] with `weights` (the numbers of trials); or
 *             `cbind(successes, failures)`, which becomes the proportion s/(s+f) with prior weight
 *             s+f (times any `weights`);
 *   poisson, negative.binomial: non-negative integer counts (with an `offset()` for exposure);
 *   Gamma, inverse.gaussian: positive finite numbers (R's Gamma()$initialize: "non-positive values not
 *             allowed for the 'Gamma' family"; inverse.gaussian()'s: "positive values only are allowed");
 *   gaussian: finite numbers, positive with the log link and non-zero with the inverse link (R's
 *             gaussian()$initialize: "cannot find valid starting values: please specify some").
 * Bad values stop the fit with an error that names the column and the first offending row (its
 * 1-based row number in the input).
 */
import type * as arrow from 'apache-arrow';
import { DataError } from '../errors/errors.js';
import type { Response } from '../formula/types.js';
import { type Column, type ColumnSource, columnFromArrow, evalExpr } from './columns.js';

export interface GlmResponseSpec {
  family: 'binomial' | 'poisson' | 'negative.binomial' | 'Gamma' | 'inverse.gaussian' | 'gaussian';
  /** the link (gaussian: R's gaussian()$initialize checks the response against it) */
  link?: string;
  /** prior weights: a column of the data, or one value per input row */
  weights?: string | ArrayLike<number>;
}

/** The response pieces evaluated on every input row (before rows with missing values are dropped). */
export interface RawGlmResponse {
  spec: GlmResponseSpec;
  label: string;
  kind: 'cbind' | 'factor' | 'numeric';
  /** cbind: successes and failures; numeric: the response */
  values: Float64Array[];
  /** the labels of `values` (the cbind arguments or the response) */
  labels: string[];
  /** factor response: codes (−1 missing) and levels */
  codes?: Int32Array;
  levels?: string[];
  weights: Float64Array | null;
  weightsLabel: string;
}

/** The GLMM response after row filtering. */
export interface GlmResponse {
  /** binomial: proportion of successes; poisson: counts */
  y: Float64Array;
  /** prior weights (binomial cbind: the number of trials times any `weights`) */
  weights: Float64Array;
  /** binomial: R's `n` (trials for cbind, else 1), used by the log-likelihood; null for poisson */
  trials: Float64Array | null;
  /** warnings (as R's: non-integer counts) */
  messages: string[];
}

/** Evaluates the response and weights on all input rows. */
export function evalGlmResponse(response: Response, source: ColumnSource, table: arrow.Table, spec: GlmResponseSpec): RawGlmResponse {
  const nInput = table.numRows;
  const { values: weights, label: weightsLabel } = readPriorWeights(spec.weights, table);
  const base = { spec, label: response.label, weights, weightsLabel };
  if (response.kind === 'cbind') {
    if (spec.family !== 'binomial') throw new DataError(`the response '${response.label}' (cbind) is for the binomial family, not ${spec.family}`);
    const s = evalExpr(response.successes, source, `${response.label} (successes)`, nInput);
    const f = evalExpr(response.failures, source, `${response.label} (failures)`, nInput);
    const [sl, fl] = cbindLabels(response.label);
    if (s.kind !== 'numeric') throw new DataError(`the successes '${sl}' in '${response.label}' are a factor; cbind needs counts`);
    if (f.kind !== 'numeric') throw new DataError(`the failures '${fl}' in '${response.label}' are a factor; cbind needs counts`);
    return { ...base, kind: 'cbind', values: [s.values, f.values], labels: [sl, fl] };
  }
  const c = evalExpr(response.expr, source, response.label, nInput);
  if (c.kind === 'factor') {
    if (spec.family !== 'binomial') throw new DataError(`the response '${response.label}' is a factor; a ${spec.family} model needs ${spec.family === 'Gamma' || spec.family === 'inverse.gaussian' ? 'positive numbers' : spec.family === 'gaussian' ? 'numbers' : 'counts'}`);
    return { ...base, kind: 'factor', values: [], labels: [response.label], codes: c.codes, levels: c.levels };
  }
  if (c.kind === 'matrix') throw new DataError(`the response '${response.label}' is a matrix; a GLMM's response is one column or cbind(successes, failures)`);
  return { ...base, kind: 'numeric', values: [c.values], labels: [response.label] };
}

/**
 * Prior weights on every input row: a numeric column of the data (by name) or one value per input
 * row (null/undefined read as missing). `values` is null when no weights were given.
 */
export function readPriorWeights(spec: string | ArrayLike<number> | undefined, table: arrow.Table): { values: Float64Array | null; label: string } {
  if (spec === undefined) return { values: null, label: 'weights' };
  const nInput = table.numRows;
  if (typeof spec === 'string') {
    if (!table.getChild(spec)) throw new DataError(`weights: column '${spec}' not found in the data (columns: ${table.schema.fields.map((f) => f.name).join(', ')})`);
    const c: Column = columnFromArrow(table, spec);
    if (c.kind !== 'numeric') throw new DataError(`weights: column '${spec}' is not numeric`);
    return { values: c.values, label: spec };
  }
  if (spec.length !== nInput) throw new DataError(`weights: ${spec.length} values for ${nInput} rows of data`);
  return { values: Float64Array.from(spec, (v) => (v === null || v === undefined ? NaN : Number(v))), label: 'weights' };
}

/** Marks rows with a missing (NA, NaN) response piece or weight (ok[i] = 0); an infinite value is not missing. */
export function markMissingGlm(raw: RawGlmResponse, ok: Int32Array): void {
  for (const v of raw.values) for (let i = 0; i < ok.length; i++) if (Number.isNaN(v[i])) ok[i] = 0;
  if (raw.codes) for (let i = 0; i < ok.length; i++) if (raw.codes[i] < 0) ok[i] = 0;
  if (raw.weights) for (let i = 0; i < ok.length; i++) if (Number.isNaN(raw.weights[i])) ok[i] = 0;
}

/** The response after dropping rows: y, prior weights and trials, checked. `rows`: the input row of each kept row (null: all). */
export function finishGlmResponse(raw: RawGlmResponse, rows: Int32Array | null, n: number): GlmResponse {
  const at = (i: number) => (rows ? rows[i] : i);
  const rowText = (i: number) => `row ${at(i) + 1}`;
  const pick = (v: Float64Array) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = v[at(i)];
    return out;
  };
  const messages: string[] = [];
  const prior = raw.weights ? pick(raw.weights) : null;
  if (prior) {
    for (let i = 0; i < n; i++) {
      if (prior[i] < 0) throw new DataError(`weights: '${raw.weightsLabel}' is negative (${prior[i]}) in ${rowText(i)}; prior weights must be ≥ 0`);
    }
  }
  const y = new Float64Array(n);
  const weights = new Float64Array(n);
  let trials: Float64Array | null = null;
  if (raw.spec.family === 'Gamma' || raw.spec.family === 'inverse.gaussian') {
    const v = pick(raw.values[0]);
    for (let i = 0; i < n; i++) {
      if (!(v[i] > 0 && Number.isFinite(v[i]))) throw new DataError(`the response '${raw.label}' is ${v[i]} in ${rowText(i)}: the ${raw.spec.family} family needs positive finite values (y > 0)`);
    }
    y.set(v);
    if (prior) weights.set(prior); else weights.fill(1);
    return { y, weights, trials, messages };
  }
  if (raw.spec.family === 'gaussian') {
    const v = pick(raw.values[0]);
    const link = raw.spec.link;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(v[i])) throw new DataError(`the response '${raw.label}' is ${v[i]} in ${rowText(i)}: the gaussian family needs finite values`);
      if ((link === 'log' && v[i] <= 0) || (link === 'inverse' && v[i] === 0)) {
        throw new DataError(`the response '${raw.label}' is ${v[i]} in ${rowText(i)}: the gaussian family's ${link} link starts from μ = y and needs ${link === 'log' ? 'y > 0' : 'y ≠ 0'} (R's gaussian()$initialize: "cannot find valid starting values: please specify some")`);
      }
    }
    y.set(v);
    if (prior) weights.set(prior); else weights.fill(1);
    return { y, weights, trials, messages };
  }
  if (raw.spec.family !== 'binomial') {
    const v = pick(raw.values[0]);
    const fam = raw.spec.family === 'poisson' ? 'poisson' : 'negative binomial';
    for (let i = 0; i < n; i++) {
      if (v[i] < 0) throw new DataError(`the response '${raw.label}' is negative (${v[i]}) in ${rowText(i)}: the ${fam} family needs counts ≥ 0`);
      if (v[i] !== Math.round(v[i])) throw new DataError(`the response '${raw.label}' is not a whole number (${v[i]}) in ${rowText(i)}: the ${fam} family needs integer counts`);
    }
    if (raw.spec.family === 'negative.binomial' && prior && prior.some((w) => w !== 1)) {
      throw new DataError(`weights: prior weights other than 1 are not supported for the negative binomial family ('${raw.weightsLabel}' has ${prior.find((w) => w !== 1)}): lme4 1.1-31 weights only one term of its log-likelihood, so there is no reference to agree with`);
    }
    y.set(v);
    if (prior) weights.set(prior); else weights.fill(1);
    return { y, weights, trials, messages };
  }
  // binomial
  trials = new Float64Array(n).fill(1);
  if (raw.kind === 'cbind') {
    const s = pick(raw.values[0]);
    const f = pick(raw.values[1]);
    let nonInteger = -1;
    for (let i = 0; i < n; i++) {
      if (s[i] < 0) throw new DataError(`the successes '${raw.labels[0]}' of '${raw.label}' are negative (${s[i]}) in ${rowText(i)}: counts must be ≥ 0`);
      if (f[i] < 0) throw new DataError(`the failures '${raw.labels[1]}' of '${raw.label}' are negative (${f[i]}) in ${rowText(i)}: counts must be ≥ 0 (are the successes larger than the trials?)`);
      if (nonInteger < 0 && (Math.abs(s[i] - Math.round(s[i])) > 0.001 || Math.abs(f[i] - Math.round(f[i])) > 0.001)) nonInteger = i;
      const t = s[i] + f[i];
      trials[i] = t;
      y[i] = t === 0 ? 0 : s[i] / t;
      weights[i] = t * (prior ? prior[i] : 1);
    }
    if (nonInteger >= 0) messages.push(`non-integer counts in a binomial glm! (first in ${rowText(nonInteger)} of '${raw.label}')`);
    return { y, weights, trials, messages };
  }
  if (raw.kind === 'factor') {
    const levels = raw.levels!;
    for (let i = 0; i < n; i++) y[i] = raw.codes![at(i)] > 0 ? 1 : 0;
    if (levels.length > 2) messages.push(`the response '${raw.label}' has ${levels.length} levels: '${levels[0]}' is failure, all others success`);
  } else {
    const v = pick(raw.values[0]);
    for (let i = 0; i < n; i++) {
      if (!(v[i] >= 0 && v[i] <= 1)) {
        throw new DataError(`the response '${raw.label}' is ${v[i]} in ${rowText(i)}: a binomial response must be 0/1, a proportion in [0, 1] with weights (the numbers of trials), or cbind(successes, failures)`);
      }
    }
    y.set(v);
  }
  if (prior) {
    weights.set(prior);
    let nonInteger = -1;
    for (let i = 0; i < n && nonInteger < 0; i++) if (Math.abs(prior[i] * y[i] - Math.round(prior[i] * y[i])) > 0.001) nonInteger = i;
    if (nonInteger >= 0) messages.push(`non-integer #successes in a binomial glm! (weights × '${raw.label}' in ${rowText(nonInteger)})`);
  } else {
    weights.fill(1);
    let nonInteger = -1;
    for (let i = 0; i < n && nonInteger < 0; i++) if (y[i] !== 0 && y[i] !== 1) nonInteger = i;
    if (nonInteger >= 0) {
      throw new DataError(`the response '${raw.label}' is ${y[nonInteger]} in ${rowText(nonInteger)}: a proportion needs weights (the numbers of trials), or use cbind(successes, failures)`);
    }
  }
  return { y, weights, trials, messages };
}

/** The texts of cbind's two arguments, from its label `cbind(a, b)` (split at the top-level comma). */
function cbindLabels(label: string): [string, string] {
  const inner = label.replace(/^\s*cbind\s*\(/, '').replace(/\)\s*$/, '');
  let depth = 0;
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) return [inner.slice(0, i).trim(), inner.slice(i + 1).trim()];
  }
  return ['successes', 'failures'];
}
