/**
 * nlme's corNatural(form = ~ 1 | g) and corNatural(form = ~ t | g): corSymm's general correlation within
 * each group (the same positions, corSymm.ts generalPositions), in nlme's "natural" parametrization: one
 * unconstrained parameter per correlation, its Fisher z (times 2),
 *   x_k = log((1 + ρ_k)/(1 − ρ_k)),   ρ_k = (eˣ − 1)/(eˣ + 1) = tanh(x_k / 2)
 * (nlme's coef.corNatural, nat_fullCorr), the pairs in corSymm's order (the lower triangle column by
 * column). The same model as corSymm's, the same MLE; unlike the spherical parametrization, an x may give
 * a matrix that is not positive definite: the criterion is +∞ there (denseFactor). intervals() works on
 * x itself (nlme's natural scale for corSymm too), each end mapped to a correlation on its own.
 */
import { type CorContext, type CorStructure } from './correlation.js';
import { generalFactor, generalPositions, initialCorrelations } from './corSymm.js';
import type { StructCall } from './structSpec.js';
import { formText } from './varFunction.js';

/** ρ_k = tanh(x_k / 2) of each natural parameter. */
export function naturalCorrelations(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v) => Math.tanh(v / 2));
}

export function corNatural(call: StructCall, ctx: CorContext): CorStructure {
  const at = generalPositions(call, ctx);
  const { K, labels, names } = at;
  const nPar = (K * (K - 1)) / 2;
  const value = initialCorrelations(call, K);
  // nlme's start: the given correlations' log((1 + ρ)/(1 − ρ)), or 0 (the identity)
  const start = value === null ? new Float64Array(nPar) : Float64Array.from(value, (r) => Math.log((1 + r) / (1 - r)));
  return {
    text: call.text,
    structure: 'General',
    formula: formText(call.covariate, at.group),
    nPar,
    start,
    groups: at.groups,
    group: at.group,
    factor: (x) => generalFactor(at, naturalCorrelations(x)),
    estimates: (x) => ({ names, values: Array.from(naturalCorrelations(x)), matrix: labels }),
  };
}
