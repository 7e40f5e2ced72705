/**
 * The entry point: `zeroInflated(formula, data, { family, ziformula })`, glmmTMB's
 * `glmmTMB(formula, ziformula = …, family = poisson | nbinom2 | truncated_poisson | truncated_nbinom2)`
 * on data given as an Arrow table, rows or columns (src/io/dataInput.ts).
 */
import { type DataInput, toArrowTable } from '../io/dataInput.js';
import type { Formula } from '../formula/types.js';
import { type ZeroInflatedOptions, fitZeroInflated } from './fit.js';
import type { ZeroInflatedFit } from './zeroInflatedFit.js';

/** Fits a zero-inflated or hurdle count GLMM (glmmTMB's ziformula) on the CPU. */
export async function zeroInflated(formula: string | Formula, data: DataInput, options: ZeroInflatedOptions = {}): Promise<ZeroInflatedFit> {
  return fitZeroInflated(formula, toArrowTable(data), options);
}
