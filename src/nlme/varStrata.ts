/**
 * The shared part of varPower, varExp and varConstPower: a numeric covariate v and, with
 * `form = ~ v | s`, one set of parameters per stratum of s (nlme's "different strata").
 */
import { factorColumn, numericColumn } from './covariates.js';
import { OptionError } from '../errors/errors.js';
import type { StructCall } from './structSpec.js';
import type { VarContext } from './varFunction.js';

export interface CovariateStrata {
  v: Float64Array;
  /** stratum code of each row (all 0 without strata) */
  strata: Int32Array;
  /** stratum names ([] without strata) */
  levels: string[];
  nStrata: number;
}

export function covariateStrata(call: StructCall, ctx: VarContext): CovariateStrata {
  if (call.covariate === null) throw new OptionError('weights', `weights: '${call.text}': ${call.name} needs a covariate, as form = ~ age`);
  const v = numericColumn(ctx.table, call.covariate, ctx.frame, `weights ${call.text}`);
  if (call.group === null) return { v, strata: new Int32Array(v.length), levels: [], nStrata: 1 };
  const { codes, levels } = factorColumn(ctx.table, call.group, ctx.frame, `weights ${call.text}`, ctx.order);
  return { v, strata: codes, levels, nStrata: levels.length };
}
