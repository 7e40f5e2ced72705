/**
 * broom.mixed 0.2.9.4's augment.glmmTMB (broom's augment_columns(fit, data)): the data's rows (the data
 * the model was fitted to; without it, the model frame's variables: the response, the formulas'
 * variables, the grouping factors) with
 *   .fitted   predict(fit): the conditional model's linear predictor η̂ = Xβ̂ + o + Zb̃ (link scale, at the modes)
 *   .se.fit   predict(fit, se.fit = TRUE)$se.fit: TMB's sdreport SE of η̂ (src/zeroinfl/etaVariance.ts)
 *   .resid    residuals(fit): the response residual y − E(y) (the zero model included: glmmTMB's
 *             predict(type = "response"))
 * (glmmTMB 1.1.5 has no influence, cooks.distance or rstandard: broom adds no other column).
 */
import { ModelError } from '../errors/errors.js';
import { etaStandardErrors } from '../zeroinfl/etaVariance.js';
import type { ZeroInflatedFit } from '../zeroinfl/zeroInflatedFit.js';
import { type AugmentOptions, augmentTable, dataVariables, frameVariables } from './augment.js';
import type { Cell, TidyTable } from './table.js';

/** augment.glmmTMB's columns, each of the rows used */
export function augmentTmbColumns(fit: ZeroInflatedFit): Record<string, Float64Array> {
  const m = fit.model;
  if (m.binomial && m.size && m.size.some((s) => s !== 1)) {
    throw new ModelError("augment of a glmmTMB binomial fit with trials (cbind or weights) is not implemented here (glmmTMB's response residuals of a proportion); a 0/1 response is");
  }
  const mean = fit.predict('response');
  return {
    '.fitted': Float64Array.from(fit.eta),
    '.se.fit': etaStandardErrors(m, fit.par, fit.vcov, fit.REML),
    '.resid': Float64Array.from(m.y, (y, i) => y - mean[i]),
  };
}

/** the model frame's variables: the conditional model's (frameVariables), then the zero and dispersion models' others */
function tmbFrameVariables(fit: ZeroInflatedFit): Record<string, Cell[]> {
  const m = fit.model;
  const out = frameVariables(fit);
  for (const frame of [m.ziFrame, m.dispFrame]) {
    for (const [label, col] of frame.columns) {
      if (label in out) continue;
      if (col.kind === 'numeric') out[label] = Array.from(col.values, (v) => (Number.isNaN(v) ? null : v));
      else if (col.kind === 'factor') out[label] = Array.from(col.codes, (c) => (c < 0 ? null : col.levels[c]));
    }
  }
  return out;
}

/** broom.mixed's augment(fit, data) of a glmmTMB fit: one row per observation used, the data's columns then augment's. */
export function augmentTmb(fit: ZeroInflatedFit, options: AugmentOptions = {}): TidyTable {
  const vars = options.data ? dataVariables(fit, options.data) : tmbFrameVariables(fit);
  return augmentTable(vars, augmentTmbColumns(fit), fit.model.frame.n);
}
