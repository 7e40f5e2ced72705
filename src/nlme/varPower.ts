/** nlme's varPower(form = ~ v [| s]): g_i = |v_i|^δ (δ per stratum), δ unconstrained. */
import { checkArgs, type StructCall } from './structSpec.js';
import { covariateStrata } from './varStrata.js';
import { type VarContext, type VarFunction, formText } from './varFunction.js';

export function varPower(call: StructCall, ctx: VarContext): VarFunction {
  checkArgs(call, [], 'weights');
  const { v, strata, levels, nStrata } = covariateStrata(call, ctx);
  return {
    text: call.text,
    structure: `Power of variance covariate${levels.length ? ', different strata' : ''}`,
    formula: formText(call.covariate, call.group),
    nPar: nStrata,
    start: new Float64Array(nStrata),
    sd(x, out) {
      for (let i = 0; i < v.length; i++) out[i] = Math.pow(Math.abs(v[i]), x[strata[i]]);
    },
    estimates(x) {
      return { names: levels.length ? levels : ['power'], values: Array.from(x) };
    },
  };
}
