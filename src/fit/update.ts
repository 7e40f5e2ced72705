/**
 * lme4's update(fit, ...): the model fitted again with some of its call changed, as R users build
 * model comparisons (`update(m1, . ~ . - x)`, `update(m1, REML = FALSE)`, `update(m1, data = other)`,
 * `update(m1, start = …)`). R re-evaluates the fit's call; here lmer and glmer record theirs (the
 * formula's text, the data as the checked Arrow table, the options) with the fit, and
 * fit.update(changes) calls lmer or glmer again with:
 *   - the formula: R's update.formula of the fit's formula and `changes.formula` (src/formula/update.ts),
 *     the `||` of the fit's formula expanded as lme4's formula(fit) has it (expandDoubleVerts);
 *   - the data: `changes.data`, else the fit's;
 *   - every other option: the fit's, replaced by the changes' (null removes one: R's `weights = NULL`).
 * The recorded call keeps a reference to the data table for as long as the fit lives. A fit that
 * lmer or glmer did not make (a fit of rows in a file or a database engine, an internal refit) has no
 * call: update is refused there, naming why. An `AbortSignal` of the first call is not reused.
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import { updateFormula } from '../formula/update.js';
import type { DataInput } from '../io/dataInput.js';
import { LmmFit } from '../lmm/lmmFit.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import { type LmerOptions, lmer } from './lmer.js';
import { type GlmerOptions, glmer } from './glmer.js';

/** The call that made a fit: the function, the formula's text, the data, the options. */
export interface FitCall {
  fn: 'lmer' | 'glmer';
  formula: string;
  data: DataInput;
  options: Record<string, unknown>;
}

/** What update changes: a formula (update's second argument: `. ~ . - x`), or an object of changes. */
export type UpdateChanges = string | ({ formula?: string; data?: DataInput } & Record<string, unknown>);

const calls = new WeakMap<object, FitCall>();

/** Records the call that made `fit` (lmer and glmer do), for fit.update. The AbortSignal is not kept. */
export function recordCall<F extends object>(fit: F, call: FitCall): F {
  const { signal: _signal, ...options } = call.options;
  calls.set(fit, { ...call, options });
  return fit;
}

/** The call that made `fit`, or null when lmer or glmer did not make it. */
export function callOf(fit: object): FitCall | null {
  return calls.get(fit) ?? null;
}

/**
 * The call of `fit` with `changes` applied (R's update.default: the call's arguments replaced):
 * the new formula, data and options, and which function fits them.
 */
export function updatedCall(fit: LmmFit | GlmmFit, changes: UpdateChanges): FitCall {
  const call = callOf(fit);
  if (!call) {
    throw new ModelError('update: this fit keeps no record of its call (it was not made by lmer or glmer from data in memory, e.g. a fit of rows in a file or a database engine, or an internal refit): fit the changed model with lmer or glmer and its data');
  }
  const c: Record<string, unknown> = typeof changes === 'string' ? { formula: changes } : changes;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) {
    throw new OptionError('changes', `update: changes must be a formula string ('. ~ . - x') or an object of changes ({ formula, REML, data, start, … }), not ${showValue(changes)}`);
  }
  if (c.formula !== undefined && typeof c.formula !== 'string') throw new OptionError('formula', `update: formula must be a formula string such as '. ~ . - x', not ${showValue(c.formula)}`);
  if (call.fn === 'lmer' && c.family !== undefined && c.family !== null) {
    throw new OptionError('family', `update: family on an lmer fit: a generalized linear mixed model is fitted by glmer (lme4's lmer(family = …) is deprecated and calls glmer), not by updating an lmer fit`);
  }
  const { formula, data, ...rest } = c;
  const options = { ...call.options };
  for (const [k, v] of Object.entries(rest)) {
    if (v === null) delete options[k];
    else if (v !== undefined) options[k] = v;
  }
  return {
    fn: call.fn,
    formula: formula === undefined ? call.formula : updateFormula(call.formula, formula as string, { expandDoubleVerts: true }),
    data: data === undefined || data === null ? call.data : (data as DataInput),
    options,
  };
}

/** lme4's update(fit, changes): the fit's call with the changes, fitted again (a new fit). */
export async function updateFit(fit: LmmFit | GlmmFit, changes: UpdateChanges): Promise<LmmFit | GlmmFit> {
  const call = updatedCall(fit, changes);
  return call.fn === 'lmer'
    ? lmer(call.formula, call.data, call.options as LmerOptions)
    : glmer(call.formula, call.data, call.options as unknown as GlmerOptions);
}

declare module '../lmm/lmmFit.js' {
  interface LmmFit {
    /** lme4's update(fit, …): the model fitted again with a changed formula (`. ~ . - x`), data or options (src/fit/update.ts) */
    update(changes: UpdateChanges): Promise<LmmFit>;
  }
}

declare module '../glmm/glmmFit.js' {
  interface GlmmFit {
    /** lme4's update(fit, …): the model fitted again with a changed formula (`. ~ . - x`), data or options (src/fit/update.ts) */
    update(changes: UpdateChanges): Promise<GlmmFit>;
  }
}

LmmFit.prototype.update = function (this: LmmFit, changes: UpdateChanges) {
  return updateFit(this, changes) as Promise<LmmFit>;
};
GlmmFit.prototype.update = function (this: GlmmFit, changes: UpdateChanges) {
  return updateFit(this, changes) as Promise<GlmmFit>;
};
