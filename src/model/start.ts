/**
 * The `start` option of lmer and glmer (lme4's getStart): starting values of θ, in lme4's order
 * (getME(fit, 'theta')), and for glmer of the fixed effects β. Checked against the model: θ's
 * length, finite values, θ's lower bounds (0 on the diagonal of each term's template, as lme4's
 * `lower`); β's length and finite values. lme4's forms: a numeric θ, or { theta } ({ theta, fixef }
 * for glmer); its aliases `par` and `beta` are refused with a pointer to the names used here.
 */
import { OptionError, showValue } from '../errors/errors.js';
import type { ThetaLayout } from './lambda.js';

/** A start as the user gives it: θ alone, or an object with θ and (glmer) β. */
export type StartOption = ArrayLike<number> | { theta?: ArrayLike<number>; fixef?: ArrayLike<number> };

/** A checked start: θ in lme4's order (null: the default start) and β (null: the default). */
export interface CheckedStart {
  theta: Float64Array | null;
  fixef: Float64Array | null;
}

function isNumbers(v: unknown): v is ArrayLike<number> {
  return (Array.isArray(v) || ArrayBuffer.isView(v)) && Array.from(v as ArrayLike<unknown>).every((x) => typeof x === 'number');
}

/** The parts of a `start` option (θ and β), their form checked but not their lengths; `fn` names the function. */
export function startParts(start: unknown, fn: 'lmer' | 'glmer'): { theta: unknown; fixef: unknown } {
  const form = fn === 'glmer' ? 'a numeric θ or { theta, fixef }' : 'a numeric θ or { theta }';
  if (isNumbers(start)) return { theta: start, fixef: undefined };
  if (typeof start !== 'object' || start === null || Array.isArray(start) || ArrayBuffer.isView(start)) {
    throw new OptionError('start', `${fn}: start must be ${form} (lme4's start), not ${showValue(start)}`);
  }
  const names = Object.keys(start);
  const alias: Record<string, string> = { par: 'theta', beta: 'fixef' };
  for (const k of names) {
    if (k === 'theta' || (k === 'fixef' && fn === 'glmer')) continue;
    if (k === 'fixef') throw new OptionError('start', 'lmer: start.fixef is not used by lmer: its fixed effects are profiled out of the criterion (only θ is optimized), so only start.theta is taken');
    throw new OptionError('start', `${fn}: start has an unknown part '${k}'${alias[k] ? ` (lme4's alias of '${alias[k]}': write start.${alias[k]})` : ''}: start must be ${form}`);
  }
  return start as { theta: unknown; fixef: unknown };
}

/**
 * θ of a start, checked against the model's θ: as many values as θ has, each finite and at least
 * its lower bound (0 for a diagonal element of a term's template); names the parameter at fault.
 */
export function checkThetaStart(theta: unknown, layout: Pick<ThetaLayout, 'length' | 'names' | 'lower'>, fn: string): Float64Array {
  if (!isNumbers(theta)) throw new OptionError('start', `${fn}: start.theta must be an array of numbers (θ in lme4's order: ${layout.names.join(', ')}), not ${showValue(theta)}`);
  const t = Float64Array.from(theta);
  if (t.length !== layout.length) {
    throw new OptionError('start', `${fn}: start.theta has ${t.length} value${t.length === 1 ? '' : 's'}, but the model has ${layout.length} variance parameter${layout.length === 1 ? '' : 's'} θ (lme4's getME(fit, 'theta') order: ${layout.names.join(', ')})`);
  }
  for (let k = 0; k < t.length; k++) {
    if (!Number.isFinite(t[k])) throw new OptionError('start', `${fn}: start.theta's ${layout.names[k]} is ${t[k]}: θ must be finite`);
    if (t[k] < layout.lower[k]) {
      throw new OptionError('start', `${fn}: start.theta's ${layout.names[k]} is ${t[k]}, below its lower bound ${layout.lower[k]} (a diagonal element of a term's relative covariance factor is ≥ 0; lme4: "at least one element in x0 < lb")`);
    }
  }
  return t;
}

/** β of a start: p finite values (the fixed effects in the model matrix's column order, `xnames`). */
export function checkFixefStart(fixef: unknown, xnames: readonly string[], fn: string): Float64Array {
  if (!isNumbers(fixef)) throw new OptionError('start', `${fn}: start.fixef must be an array of numbers (β in the order ${xnames.join(', ')}), not ${showValue(fixef)}`);
  const b = Float64Array.from(fixef);
  if (b.length !== xnames.length) {
    throw new OptionError('start', `${fn}: start.fixef has ${b.length} value${b.length === 1 ? '' : 's'}, but the model has ${xnames.length} fixed effect${xnames.length === 1 ? '' : 's'} (${xnames.join(', ')})`);
  }
  for (let k = 0; k < b.length; k++) if (!Number.isFinite(b[k])) throw new OptionError('start', `${fn}: start.fixef's ${xnames[k]} is ${b[k]}: β must be finite`);
  return b;
}

/** A start checked against the model (θ's layout, the fixed effects' names). */
export function checkStart(start: unknown, layout: ThetaLayout, xnames: readonly string[], fn: 'lmer' | 'glmer'): CheckedStart {
  const parts = startParts(start, fn);
  return {
    theta: parts.theta === undefined ? null : checkThetaStart(parts.theta, layout, fn),
    fixef: parts.fixef === undefined ? null : checkFixefStart(parts.fixef, xnames, fn),
  };
}
