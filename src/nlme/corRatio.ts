/**
 * nlme's corRatio(form = ~ x [+ y] | g [, nugget = TRUE]): the rational quadratic correlation
 * h(r) = 1/(1 + r²), Cor = (1 − ν) h(d/ρ); range ρ = exp(x_0).
 */
import type { CorContext, CorStructure } from './correlation.js';
import { corSpatial } from './corSpatial.js';
import type { StructCall } from './structSpec.js';

export function corRatio(call: StructCall, ctx: CorContext): CorStructure {
  return corSpatial(call, ctx, (r) => (1 / (1 + r * r)), 'Rational quadratic spatial correlation');
}
