/**
 * broom.mixed 0.2.9.4's augment.lme: the data's rows (the data the model was fitted to; without it,
 * the model frame's variables) with
 *   .fitted   fitted(fit): Xβ̂ + Z b̂, the innermost level's (nlme's fitted(fit, level = Q))
 *   .resid    residuals(fit): y − .fitted (the response residual, innermost level)
 *   .fixed    predict(fit, level = 0): Xβ̂, the population's
 * (broom's augment_columns with se.fit = NULL: no .se.fit; then .fixed).
 */
import type { LmeFit } from '../nlme/lmeFit.js';
import { augmentTable, dataVariables, frameVariables, type AugmentOptions } from './augment.js';
import type { TidyTable } from './table.js';

/** augment.lme's columns, each of the rows used */
export function augmentLmeColumns(fit: LmeFit): Record<string, Float64Array> {
  return {
    '.fitted': fit.fitted(fit.Q),
    '.resid': fit.residuals({ level: fit.Q, type: 'response' }),
    '.fixed': fit.fitted(0),
  };
}

/** broom.mixed's augment(fit, data) of an lme fit: one row per observation used, the data's columns then augment's. */
export function augmentLme(fit: LmeFit, options: AugmentOptions = {}): TidyTable {
  const vars = options.data ? dataVariables(fit, options.data) : frameVariables(fit);
  return augmentTable(vars, augmentLmeColumns(fit), fit.model.frame.n);
}
