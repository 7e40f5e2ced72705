/**
 * nlme's varIdent(form = ~ 1 | s): a standard deviation per stratum, g_i = δ_{s(i)}, δ of the first
 * stratum (in nlme's row order) fixed at 1; unconstrained parameters x_k = log δ_k of the others.
 */
import { DataError, OptionError } from '../errors/errors.js';
import { factorColumn } from './covariates.js';
import { checkArgs, type StructCall } from './structSpec.js';
import type { VarContext, VarFunction } from './varFunction.js';

export function varIdent(call: StructCall, ctx: VarContext): VarFunction {
  checkArgs(call, [], 'weights');
  if (call.group === null) throw new OptionError('weights', `weights: '${call.text}': varIdent needs strata, as form = ~ 1 | Sex`);
  if (call.covariate !== null) throw new OptionError('weights', `weights: '${call.text}': varIdent takes no covariate (form = ~ 1 | ${call.group})`);
  const { codes, levels } = factorColumn(ctx.table, call.group, ctx.frame, `weights ${call.text}`, ctx.order);
  const counts = new Array<number>(levels.length).fill(0);
  for (let i = 0; i < codes.length; i++) counts[codes[i]]++;
  const lonely = levels.findIndex((_, k) => counts[k] < 2);
  if (lonely >= 0) throw new DataError(`weights ${call.text}: the stratum '${levels[lonely]}' of '${call.group}' has one row: its standard deviation cannot be estimated`);
  if (levels.length < 2) throw new DataError(`weights ${call.text}: '${call.group}' has one stratum ('${levels[0]}'): varIdent needs two or more`);
  return {
    text: call.text,
    structure: 'Different standard deviations per stratum',
    formula: `~1 | ${call.group}`,
    nPar: levels.length - 1,
    start: new Float64Array(levels.length - 1),
    sd(x, out) {
      // g_i = exp(x_{s(i)−1}), 1 for the first stratum
      for (let i = 0; i < codes.length; i++) out[i] = codes[i] === 0 ? 1 : Math.exp(x[codes[i] - 1]);
    },
    estimates(x) {
      return { names: levels, values: levels.map((_, k) => (k === 0 ? 1 : Math.exp(x[k - 1]))) };
    },
  };
}
