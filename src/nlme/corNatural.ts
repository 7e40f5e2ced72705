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
import { generalStructure } from './corSymm.js';
import type { StructCall } from './structSpec.js';

/** ρ_k = tanh(x_k / 2) of each natural parameter. */
export function naturalCorrelations(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v) => Math.tanh(v / 2));
}

export function corNatural(call: StructCall, ctx: CorContext): CorStructure {
  // nlme's start: the given correlations' log((1 + ρ)/(1 − ρ)), or 0 (the identity)
  return generalStructure(call, ctx, (value) => Float64Array.from(value, (r) => Math.log((1 + r) / (1 - r))), naturalCorrelations);
}
