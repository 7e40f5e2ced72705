/**
 * nlme's corAR1(form = ~ t | g): Cor(ε_i, ε_j) = φ^|t_i − t_j| for integer times (rows' positions with
 * form = ~ 1 | g), |φ| < 1; unconstrained x = log((1 + φ)/(1 − φ)), φ = tanh(x/2).
 */
import { ModelError } from '../errors/errors.js';
import { type CorContext, type CorStructure, corGroups, refuseTies } from './correlation.js';
import { markovFactor } from './markov.js';
import { checkArgs, numberArg, type StructCall } from './structSpec.js';
import { formText } from './varFunction.js';

export function corAR1(call: StructCall, ctx: CorContext): CorStructure {
  checkArgs(call, ['value'], 'correlation');
  const phi0 = numberArg(call, 'value', 'correlation', 0);
  if (!(Math.abs(phi0) < 1)) throw new ModelError(`correlation ${call.text}: value must be in (−1, 1), got ${phi0}`);
  const { groups, group, time } = corGroups(call, ctx);
  // lags between consecutive rows: 1 by position, or the difference of the integer times
  const lags = groups.map((g) => {
    const lag = new Float64Array(g.length);
    for (let j = 1; j < g.length; j++) lag[j] = time ? time[g[j]] - time[g[j - 1]] : 1;
    return lag;
  });
  if (time) {
    refuseTies(call, groups, time, ctx.frame.rows);
    for (let i = 0; i < time.length; i++) {
      if (!Number.isInteger(time[i])) throw new ModelError(`correlation ${call.text}: corAR1's covariate '${call.covariate}' must be integer valued, got ${time[i]} (corCAR1 takes continuous times)`);
    }
  }
  return {
    text: call.text,
    structure: 'AR(1)',
    formula: formText(call.covariate, group),
    nPar: 1,
    start: Float64Array.of(Math.log((1 + phi0) / (1 - phi0))),
    groups,
    group,
    factor(x) {
      const phi = Math.tanh(x[0] / 2);
      return markovFactor(groups, (g, j) => Math.pow(phi, lags[g][j]));
    },
    estimates(x) { return { names: ['Phi'], values: [Math.tanh(x[0] / 2)] }; },
  };
}
