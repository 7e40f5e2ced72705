/**
 * insight 0.19.0's null model of a glmer fit (`null_model`, `.null_model_mixed`): the model refitted
 * with the fixed part reduced to an intercept, `y ~ (random-effects terms)`, the same family (a
 * negative binomial's size θ held at the fit's, as R's update of a glmer.nb fit does), the same nAGQ,
 * on the fit's rows. Its intercept β₀ gives μ₀ = exp(β₀) of the lognormal approximation of the
 * distribution-specific variance (distributionVariance.ts).
 *
 * The model is built from the fit's model frame (X replaced by a column of 1; response, weights and
 * random-effects terms shared), not from the data again, and fitted by the same glmer driver on the
 * CPU in float64.
 */
import { ModelError } from '../errors/errors.js';
import type { Formula } from '../formula/types.js';
import type { ModelFrame } from '../frame/modelFrame.js';
import { fitGlmm } from '../glmm/fit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { glmmFromFrame } from '../glmm/model.js';
import { PirlsEngine } from '../glmm/pirls.js';

/** the null model's formula as R's reformulate writes it: `TICKS ~ (1 | BROOD) + (1 | LOCATION)` */
export function nullFormulaText(formula: Formula): string {
  return `${formula.response.label} ~ ${formula.random.map((r) => r.text).join(' + ')}`;
}

/** Fits insight's null model of a glmer fit; `what` names the caller in errors. */
export async function fitNullModel(fit: GlmmFit, what: string): Promise<GlmmFit> {
  const model = fit.model;
  const frame = model.frame;
  refuseNullModelRefit(frame, what);
  const formula: Formula = { ...model.formula, fixed: { intercept: true, terms: [] }, removedVars: undefined, text: nullFormulaText(model.formula) };
  const nullFrame: ModelFrame = { ...frame, formula, X: new Float64Array(frame.n).fill(1), p: 1, xnames: ['(Intercept)'], covariates: undefined, messages: [] };
  const nullModel = glmmFromFrame(formula, nullFrame, model.family, model.frameOptions, model.weightsName, undefined, fit.nAGQ <= 1);
  return fitGlmm(nullModel, new PirlsEngine(nullModel.pirls), fit.nAGQ, { vcov: 'RX' }, performance.now(), {});
}

/**
 * The fits whose null model insight's refit would not reproduce from the fit's rows: rows dropped for
 * missing values (the refit re-reads the data with fewer variables) and an offset (passed on or not
 * depending on how it is written).
 */
export function refuseNullModelRefit(frame: Pick<ModelFrame, 'nDropped' | 'offset'>, what: string): void {
  if (frame.nDropped > 0) {
    throw new ModelError(`${what}: the model dropped ${frame.nDropped} row${frame.nDropped > 1 ? 's' : ''} with missing values; insight's null model (the refit with an intercept only) re-reads the data and could use more rows: remove the rows with missing values from the data first`);
  }
  if (frame.offset) {
    throw new ModelError(`${what}: not available for a model with an offset: insight 0.19.0 passes the offset to its null model by reading it from the formula's text, which works or fails depending on where offset() is written, so there is no one answer to match`);
  }
}
