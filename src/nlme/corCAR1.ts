/**
 * nlme's corCAR1(form = ~ t | g): the continuous-time AR(1), Cor(ε_i, ε_j) = φ^|t_i − t_j|, 0 < φ < 1;
 * unconstrained x = log(φ/(1 − φ)); nlme's start φ = 0.2. Times must be distinct within a group.
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { type CorContext, type CorStructure, corGroups, refuseTies } from './correlation.js';
import { markovFactor } from './markov.js';
import { checkArgs, numberArg, type StructCall } from './structSpec.js';
import { formText } from './varFunction.js';

export function corCAR1(call: StructCall, ctx: CorContext): CorStructure {
  checkArgs(call, ['value'], 'correlation');
  if (call.covariate === null) throw new OptionError('correlation', `correlation: '${call.text}': corCAR1 needs a time covariate, as form = ~ time | g`);
  const phi0 = numberArg(call, 'value', 'correlation', 0.2);
  if (!(phi0 > 0 && phi0 < 1)) throw new ModelError(`correlation ${call.text}: value must be in (0, 1), got ${phi0}`);
  const { groups, group, time } = corGroups(call, ctx);
  refuseTies(call, groups, time!, ctx.frame.rows);
  const lags = groups.map((g) => {
    const lag = new Float64Array(g.length);
    for (let j = 1; j < g.length; j++) lag[j] = time![g[j]] - time![g[j - 1]];
    return lag;
  });
  return {
    text: call.text,
    structure: 'Continuous AR(1)',
    formula: formText(call.covariate, group),
    nPar: 1,
    start: Float64Array.of(Math.log(phi0 / (1 - phi0))),
    groups,
    group,
    factor(x) {
      const phi = 1 / (1 + Math.exp(-x[0]));
      return markovFactor(groups, (g, j) => Math.pow(phi, lags[g][j]));
    },
    estimates(x) { return { names: ['Phi'], values: [1 / (1 + Math.exp(-x[0]))] }; },
  };
}
