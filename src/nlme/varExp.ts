/** nlme's varExp(form = ~ v [| s]): g_i = exp(δ v_i) (δ per stratum), δ unconstrained. */
import { checkArgs, type StructCall } from './structSpec.js';
import { covariateStrata } from './varStrata.js';
import { type VarContext, type VarFunction, formText } from './varFunction.js';

export function varExp(call: StructCall, ctx: VarContext): VarFunction {
  checkArgs(call, [], 'weights');
  const { v, strata, levels, nStrata } = covariateStrata(call, ctx);
  return {
    text: call.text,
    structure: `Exponential of variance covariate${levels.length ? ', different strata' : ''}`,
    formula: formText(call.covariate, call.group),
    nPar: nStrata,
    start: new Float64Array(nStrata),
    sd(x, out) {
      for (let i = 0; i < v.length; i++) out[i] = Math.exp(x[strata[i]] * v[i]);
    },
    estimates(x) {
      return { names: levels.length ? levels : ['expon'], values: Array.from(x) };
    },
  };
}
