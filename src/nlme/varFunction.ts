/**
 * nlme's variance functions (varFunc): Var(ε_ij) = σ² g_ij², g the relative standard deviation of each
 * row (nlme's 1/varWeights), with parameters in nlme's unconstrained parametrization. One file per
 * function (varIdent.ts, varPower.ts, varExp.ts, varConstPower.ts, varFixed.ts; varComb.ts their
 * product); this one reads the call.
 */
import type * as arrow from 'apache-arrow';
import { OptionError } from '../errors/errors.js';
import type { FrameRows } from './covariates.js';
import { parseStructCall } from './structSpec.js';
import { varIdent } from './varIdent.js';
import { varPower } from './varPower.js';
import { varExp } from './varExp.js';
import { varConstPower } from './varConstPower.js';
import { varFixed } from './varFixed.js';
import { varComb } from './varComb.js';

export interface VarFunction {
  /** the call as written */
  text: string;
  /** nlme's "Structure:" line */
  structure: string;
  /** nlme's "Formula:" line (`~1 | Sex`) */
  formula: string;
  /** number of free parameters */
  nPar: number;
  /** starting values (unconstrained) */
  start: Float64Array;
  /** the relative standard deviations g_i of the rows at x (unconstrained) */
  sd(x: Float64Array, out: Float64Array): void;
  /**
   * whether the covariate is nlme's fitted(.): the fit then sets it to the fitted values
   * (setCovariate) and iterates as nlme does (lme.ts, gls.ts)
   */
  usesFitted?: boolean;
  /** sets the covariate of a fitted(.) variance function (the fitted values, in the frame's rows) */
  setCovariate?(v: Float64Array): void;
  /**
   * the parameter estimates nlme prints (constrained), by name; a varComb's also per function
   * (`parts`) and the places of its free parameters among the values (`free`: varIdent's first
   * stratum is not free)
   */
  estimates(x: Float64Array): { names: string[]; values: number[]; parts?: { structure: string; formula: string; names: string[]; values: number[] }[]; free?: number[] };
}

/** What a variance function reads: the data, the frame's rows and the order strata are named in. */
export interface VarContext {
  table: arrow.Table;
  frame: FrameRows;
  /** the rows in nlme's order (lme: sorted by group), for the strata's order */
  order?: Int32Array;
}

export const VAR_FUNCTIONS = ['varIdent', 'varPower', 'varExp', 'varConstPower', 'varFixed', 'varComb'];

/** Reads `weights = 'varIdent(form = ~ 1 | Sex)'` and friends. */
export function varFunction(text: string, ctx: VarContext): VarFunction {
  if (/^\s*varComb\s*\(/.test(text)) return varComb(text, ctx, varFunction);
  const call = parseStructCall(text, 'weights');
  switch (call.name) {
    case 'varIdent': return varIdent(call, ctx);
    case 'varPower': return varPower(call, ctx);
    case 'varExp': return varExp(call, ctx);
    case 'varConstPower': return varConstPower(call, ctx);
    case 'varFixed': return varFixed(call, ctx);
    default:
      throw new OptionError('weights', `weights: unknown variance function '${call.name}' in '${text}' (available: ${VAR_FUNCTIONS.join(', ')})`);
  }
}

/** `~cov | g` as nlme prints a formula (`~fitted(.) | Sex`). */
export function formText(covariate: string | null, group: string | null): string {
  return `~${covariate ?? '1'}${group ? ` | ${group}` : ''}`;
}
