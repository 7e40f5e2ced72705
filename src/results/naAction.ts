/**
 * lme4's `na.action` after the fit: with na.exclude, the per-row results of the rows used (fitted
 * values, residuals, predictions without new data) are padded back to the input's rows with a missing
 * value (NaN) at each row dropped for missing values — R's naresid.exclude / napredict.exclude, which
 * residuals.merMod, fitted.merMod and predict.merMod call with the model frame's na.action; with
 * na.omit (the default) they are returned for the rows used only.
 */
import type { ModelFrame } from '../frame/modelFrame.js';

export type { NaAction } from '../frame/modelFrame.js';

/**
 * naresid/napredict: `x` (one value per row used, in the frame's order) as the caller sees it: itself
 * under na.omit (or when no row was dropped), else x[k] at input row frame.rows[k] of a vector of the
 * input's length with NaN at the dropped rows (naresid.exclude: `keep[-omit] <- 1:n; x[keep]`).
 */
export function naPad(frame: Pick<ModelFrame, 'naAction' | 'rows' | 'nInput' | 'n'>, x: Float64Array): Float64Array {
  if (frame.naAction !== 'exclude' || !frame.rows) return x;
  if (x.length !== frame.n) throw new Error(`internal: ${x.length} values for the ${frame.n} rows used`);
  const out = new Float64Array(frame.nInput).fill(NaN);
  const rows = frame.rows;
  for (let k = 0; k < rows.length; k++) out[rows[k]] = x[k];
  return out;
}
