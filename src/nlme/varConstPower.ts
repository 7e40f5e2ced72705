/**
 * nlme's varConstPower(form = ~ v [| s]): g_i = c + |v_i|^δ (c, δ per stratum); unconstrained
 * parameters (log c, δ) per stratum, nlme's start (log 0.1, 0).
 */
import { checkArgs, type StructCall } from './structSpec.js';
import { covariateStrata, setFittedCovariate } from './varStrata.js';
import type { VarContext, VarFunction } from './varFunction.js';

export function varConstPower(call: StructCall, ctx: VarContext): VarFunction {
  checkArgs(call, [], 'weights');
  const cs = covariateStrata(call, ctx);
  const { strata, levels, nStrata } = cs;
  const start = new Float64Array(2 * nStrata);
  for (let s = 0; s < nStrata; s++) start[s] = Math.log(0.1);
  return {
    text: call.text,
    structure: `Constant plus power of variance covariate${levels.length ? ', different strata' : ''}`,
    formula: cs.formula,
    usesFitted: cs.fitted,
    setCovariate(v) { setFittedCovariate(cs, v, call.text); },
    nPar: 2 * nStrata,
    start,
    sd(x, out) {
      const v = cs.v;
      // x = (log c_1, …, log c_S, δ_1, …, δ_S)
      for (let i = 0; i < v.length; i++) out[i] = Math.exp(x[strata[i]]) + Math.pow(Math.abs(v[i]), x[nStrata + strata[i]]);
    },
    estimates(x) {
      if (!levels.length) return { names: ['const', 'power'], values: [Math.exp(x[0]), x[1]] };
      return {
        names: [...levels.map((l) => `const.${l}`), ...levels.map((l) => `power.${l}`)],
        values: [...levels.map((_, s) => Math.exp(x[s])), ...levels.map((_, s) => x[nStrata + s])],
      };
    },
  };
}
