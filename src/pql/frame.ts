/**
 * glmmPQL's model frame (MASS's `mf` and `fit0`'s data): the fixed formula's response read by the family
 * as R's glm reads it (0/1 or a factor, proportions with `weights`, cbind(successes, failures), counts,
 * positive numbers), its prior weights, offset and fixed-effects design X, on the rows that have every
 * variable of the fixed part, of random, of the correlation structure and the weights (na.omit, as
 * MASS's model.frame of all those variables). The random-effects terms are read (nlme's `random` as lme4
 * terms, randomSpec.ts) only so that the rows are the ones lme will take.
 */
import type * as arrow from 'apache-arrow';
import { OptionError } from '../errors/errors.js';
import { type ModelFrame, buildModelFrame } from '../frame/modelFrame.js';
import type { FamilyName, LinkName } from '../glmm/family.js';
import { mixedFormula } from '../model/mixedModel.js';
import { randomSpec } from '../nlme/randomSpec.js';
import { structureColumns } from '../nlme/structSpec.js';

export interface PqlFrameOptions {
  family: FamilyName;
  link?: LinkName;
  /** prior weights: a column or one value per input row */
  weights?: string | ArrayLike<number>;
  correlation?: string;
  factors?: string[];
}

export interface PqlFrame {
  frame: ModelFrame;
  /** the response on the family's scale (binomial: the proportion) */
  y: Float64Array;
  /** the prior weights a (binomial cbind: the trials times any weights) */
  a: Float64Array;
  /** the offset (0 without one) */
  offset: Float64Array | null;
  /** the fixed formula's right side (`trt + I(week > 2)`, its offset() terms kept) and response as written */
  rhs: string;
  response: string;
}

/** Splits `y ~ x + z` at its `~` (a response expression has none). */
export function splitFixed(fixed: string): { response: string; rhs: string } {
  if (typeof fixed !== 'string') throw new OptionError('fixed', 'glmmPQL: fixed must be a formula as text, e.g. "y ~ trt + week"');
  const k = fixed.indexOf('~');
  if (k < 0 || fixed.slice(0, k).trim() === '') throw new OptionError('fixed', `glmmPQL: the fixed formula '${fixed}' has no response: write it as 'y ~ x'`);
  if (fixed.indexOf('~', k + 1) >= 0) throw new OptionError('fixed', `glmmPQL: the fixed formula '${fixed}' has more than one '~'`);
  if (/\|/.test(fixed)) throw new OptionError('fixed', `glmmPQL: the fixed formula '${fixed}' has a '|' term: give the random effects as random, in nlme's syntax ('~ 1 | g')`);
  const rhs = fixed.slice(k + 1).trim();
  // `.` (every column but the response) would take in the working columns and the response itself in lme's formula
  if (/(^|[^\w.])\.(?![\w.])/.test(rhs)) throw new OptionError('fixed', `glmmPQL: '.' in the fixed formula '${fixed}' is not taken (lme's formula would take the response and the working columns in): name the variables`);
  return { response: fixed.slice(0, k).trim(), rhs };
}

/** Stage: formula, random, data and options → the glm's frame on lme's rows. */
export function pqlFrame(fixed: string, random: string, data: arrow.Table, options: PqlFrameOptions): PqlFrame {
  const { response, rhs } = splitFixed(fixed);
  if (typeof random !== 'string' || random.trim() === '') throw new OptionError('random', "glmmPQL: random is required: nlme's random effects, e.g. '~ 1 | g', '~ x | g', '~ 1 | A/B'");
  const spec = randomSpec(fixed, random);
  const naVariables = [...structureColumns(options.correlation, 'correlation'), ...(typeof options.weights === 'string' ? [options.weights] : [])];
  const f = mixedFormula(spec.formula, data);
  const frame = buildModelFrame(f, data, { factors: options.factors, naVariables }, { family: options.family, link: options.link, weights: options.weights });
  const n = frame.n;
  return { frame, y: frame.y, a: frame.weights ?? new Float64Array(n).fill(1), offset: frame.offset, rhs, response };
}
