/**
 * The shared part of varPower, varExp and varConstPower: a numeric covariate v and, with
 * `form = ~ v | s`, one set of parameters per stratum of s (nlme's "different strata").
 */
import { factorColumn, numericColumn } from './covariates.js';
import { OptionError } from '../errors/errors.js';
import { FITTED, type StructCall } from './structSpec.js';
import { type VarContext, formText } from './varFunction.js';

export interface CovariateStrata {
  /** the covariate (the fitted values' when `fitted`: replaced by setCovariate during the fit) */
  v: Float64Array;
  /** whether the covariate is nlme's fitted(.) */
  fitted: boolean;
  /** nlme's "Formula:" line */
  formula: string;
  /** stratum code of each row (all 0 without strata) */
  strata: Int32Array;
  /** stratum names ([] without strata) */
  levels: string[];
  nStrata: number;
}

/**
 * The covariate and strata of a call. Without a form the covariate is nlme's default, the fitted
 * values (`~ fitted(.)`): until the fit sets them (setCovariate), all ones.
 */
export function covariateStrata(call: StructCall, ctx: VarContext): CovariateStrata {
  const covariate = call.hasForm ? call.covariate : FITTED;
  if (covariate === null) throw new OptionError('weights', `weights: '${call.text}': ${call.name} needs a covariate, as form = ~ age (or no form: nlme's ~ fitted(.))`);
  const fitted = covariate === FITTED;
  const v = fitted ? new Float64Array(ctx.frame.n).fill(1) : numericColumn(ctx.table, covariate, ctx.frame, `weights ${call.text}`);
  const formula = formText(covariate, call.group);
  if (call.group === null) return { v, fitted, formula, strata: new Int32Array(v.length), levels: [], nStrata: 1 };
  const { codes, levels } = factorColumn(ctx.table, call.group, ctx.frame, `weights ${call.text}`, ctx.order);
  return { v, fitted, formula, strata: codes, levels, nStrata: levels.length };
}

/** A covariate of fitted values set: its length checked. */
export function setFittedCovariate(cs: CovariateStrata, v: Float64Array, text: string): void {
  if (!cs.fitted) throw new OptionError('weights', `weights: '${text}': its covariate is a data column, not the fitted values`);
  if (v.length !== cs.v.length) throw new OptionError('weights', `weights: '${text}': ${v.length} fitted values for ${cs.v.length} rows`);
  cs.v = Float64Array.from(v);
}
