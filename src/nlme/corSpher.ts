/**
 * nlme's corSpher(form = ~ x [+ y] | g [, nugget = TRUE]): the spherical correlation
 * h(r) = 1 − 1.5 r + 0.5 r³ for r < 1, 0 beyond, Cor = (1 − ν) h(d/ρ); range ρ = d_min + exp(x_0) as nlme's.
 */
import type { CorContext, CorStructure } from './correlation.js';
import { corSpatial } from './corSpatial.js';
import type { StructCall } from './structSpec.js';

export function corSpher(call: StructCall, ctx: CorContext): CorStructure {
  return corSpatial(call, ctx, (r) => (r < 1 ? 1 - 1.5 * r + 0.5 * r * r * r : 0), 'Spherical spatial correlation', true);
}
