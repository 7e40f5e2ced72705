/** nlme's corExp(form = ~ x [+ y] | g [, nugget = TRUE]): h(r) = exp(−r), Cor = (1 − ν) exp(−d/ρ). */
import type { CorContext, CorStructure } from './correlation.js';
import { corSpatial } from './corSpatial.js';
import type { StructCall } from './structSpec.js';

export function corExp(call: StructCall, ctx: CorContext): CorStructure {
  return corSpatial(call, ctx, (r) => Math.exp(-r), 'Exponential spatial correlation');
}
