/** nlme's corGaus(form = ~ x [+ y] | g [, nugget = TRUE]): h(r) = exp(−r²), Cor = (1 − ν) exp(−(d/ρ)²). */
import type { CorContext, CorStructure } from './correlation.js';
import { corSpatial } from './corSpatial.js';
import type { StructCall } from './structSpec.js';

export function corGaus(call: StructCall, ctx: CorContext): CorStructure {
  return corSpatial(call, ctx, (r) => Math.exp(-r * r), 'Gaussian spatial correlation');
}
