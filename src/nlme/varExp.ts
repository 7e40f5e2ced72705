/** nlme's varExp(form = ~ v [| s]): g_i = exp(δ v_i) (δ per stratum), δ unconstrained. */
import { checkArgs, type StructCall } from './structSpec.js';
import { covariateStrata, setFittedCovariate } from './varStrata.js';
import type { VarContext, VarFunction } from './varFunction.js';

export function varExp(call: StructCall, ctx: VarContext): VarFunction {
  checkArgs(call, [], 'weights');
  const cs = covariateStrata(call, ctx);
  const { strata, levels, nStrata } = cs;
  return {
    text: call.text,
    structure: `Exponential of variance covariate${levels.length ? ', different strata' : ''}`,
    formula: cs.formula,
    usesFitted: cs.fitted,
    setCovariate(v) { setFittedCovariate(cs, v, call.text); },
    nPar: nStrata,
    start: new Float64Array(nStrata),
    sd(x, out) {
      const v = cs.v;
      for (let i = 0; i < v.length; i++) out[i] = Math.exp(x[strata[i]] * v[i]);
    },
    estimates(x) {
      return { names: levels.length ? levels : ['expon'], values: Array.from(x) };
    },
  };
}
