/** nlme's varFixed(~ v): Var(ε_i) = σ² v_i, g_i = √v_i; no parameters; v must be positive. */
import { DataError, OptionError } from '../errors/errors.js';
import { numericColumn } from './covariates.js';
import { checkArgs, type StructCall } from './structSpec.js';
import type { VarContext, VarFunction } from './varFunction.js';

export function varFixed(call: StructCall, ctx: VarContext): VarFunction {
  checkArgs(call, ['value'], 'weights');
  const form = call.args.value ?? null;
  if (call.covariate === null || form !== null) throw new OptionError('weights', `weights: '${call.text}': varFixed takes a covariate formula, as varFixed(~ age)`);
  if (call.group !== null) throw new OptionError('weights', `weights: '${call.text}': varFixed takes no strata`);
  const v = numericColumn(ctx.table, call.covariate, ctx.frame, `weights ${call.text}`);
  for (let i = 0; i < v.length; i++) {
    if (!(v[i] > 0)) throw new DataError(`weights ${call.text}: the variance covariate '${call.covariate}' must be positive, got ${v[i]} at observation ${i + 1}`);
  }
  const g = v.map(Math.sqrt);
  return {
    text: call.text,
    structure: 'fixed weights',
    formula: `~${call.covariate}`,
    nPar: 0,
    start: new Float64Array(0),
    sd(_x, out) { out.set(g); },
    estimates() { return { names: [], values: [] }; },
  };
}
