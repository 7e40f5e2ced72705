/**
 * glmmTMB 1.1.5's predict(fit, newdata, type, re.form, allow.new.levels) for a zero-inflated or hurdle
 * fit, at the fitted parameters:
 *   η = xᵀβ̂ + o + zᵀb̃   (b̃ the conditional modes of the group seen in the fit; a new level's b = 0 with
 *                        allowNewLevels, else an error naming it; `groups: false` is re.form = NA: η = xᵀβ̂ + o),
 *   logit p = x_ziᵀγ̂,
 *   'link' η, 'zlink' logit p, 'zprob' p, 'conditional' the count model's mean (μ = e^η; a hurdle's
 *   zero-truncated mean μ / (1 − f(0; μ))), 'response' (1 − p) × the conditional mean (the mean of y).
 * The new data are read as the fit read its data (the fitted factor levels, contrasts, poly/ns bases:
 * src/results/predict.ts's newDataDesign, once for the conditional model and once for the zero model);
 * a row missing a variable a type needs gives NaN (na.pass). Without new data: the fit's own rows.
 */
import type * as arrow from 'apache-arrow';
import { OptionError, showValue } from '../errors/errors.js';
import { type DataInput, toArrowTable } from '../io/dataInput.js';
import { type Schema, bool, checkObject, oneOf } from '../options/rules.js';
import { type PredictSource, predictLinear } from '../results/predict.js';
import { condFixed, ziLinear } from './laplace.js';
import type { ZeroInflatedModel } from './model.js';

export type ZiPredictType = 'response' | 'conditional' | 'zprob' | 'link' | 'zlink';
export const ZI_PREDICT_TYPES: readonly ZiPredictType[] = ['response', 'conditional', 'zprob', 'link', 'zlink'];

export interface ZiPredictOptions {
  /** glmmTMB's type (default 'response') */
  type?: ZiPredictType;
  /** include the random effects (default true); false is glmmTMB's re.form = NA */
  groups?: boolean;
  /** new data's levels not seen in the fit are predicted at b = 0 (default false: an error, as glmmTMB) */
  allowNewLevels?: boolean;
}

const OPTIONS: Schema = { type: oneOf(...ZI_PREDICT_TYPES), groups: bool, allowNewLevels: bool };

/** what a prediction reads of a fit */
export interface ZiPredictSource {
  model: ZeroInflatedModel;
  beta: Float64Array;
  gamma: Float64Array;
  /** the NB size (1 for Poisson) */
  sigma: number;
  /** η per row of the fit (at the modes) */
  eta: Float64Array;
  /** b̃ of block k (level-major) */
  conditionalModes(k: number): Float64Array;
}

/** The count model's mean at η: μ = e^η, or a hurdle's μ / (1 − f(0; μ)) with f(0; μ) = e^g, Poisson g = −μ, NB2 g = −φ log(1 + μ/φ). */
export function ziConditionalMean(model: Pick<ZeroInflatedModel, 'nb' | 'hurdle'>, phi: number, eta: ArrayLike<number>): Float64Array {
  return Float64Array.from(eta, (e) => {
    const m = Math.exp(e);
    if (!model.hurdle) return m;
    const g = model.nb ? -phi * Math.log1p(m / phi) : -m;
    return m / -Math.expm1(g);
  });
}

/** predict(fit, newdata (or null: the fit's rows), options) (see the header). */
export function predictZeroInflated(fit: ZiPredictSource, newdata: DataInput | null | undefined, options: ZiPredictOptions = {}): Float64Array {
  checkObject(options, 'predict', OPTIONS);
  const type = options.type ?? 'response';
  const groups = options.groups !== false;
  const { model } = fit;
  let table: arrow.Table | null = null;
  if (newdata !== undefined && newdata !== null) table = toArrowTable(newdata, 'newdata');
  else if (options.allowNewLevels !== undefined) throw new OptionError('allowNewLevels', 'predict: allowNewLevels is for new data; without newdata the fit\'s own rows are predicted');
  // the conditional model's η
  const eta = (): Float64Array => {
    if (!table) return groups ? Float64Array.from(fit.eta) : condFixed(model, fit.beta);
    const src: PredictSource = {
      model: { formula: model.formula, frame: model.frame, blocks: model.blocks, frameOptions: model.frameOptions },
      beta: fit.beta,
      conditionalModes: (k) => fit.conditionalModes(k),
    };
    return predictLinear(src, table, { groups, ...(options.allowNewLevels !== undefined ? { allowNewLevels: options.allowNewLevels } : {}) });
  };
  // the zero model's logit p
  const zlink = (): Float64Array => {
    // no zero model ('~ 0'): p = 0
    if (model.pz === 0) return new Float64Array(table ? table.numRows : model.n).fill(-Infinity);
    if (!table) return ziLinear(model, fit.gamma);
    const src: PredictSource = {
      model: { formula: model.ziFormula, frame: model.ziFrame, blocks: [], frameOptions: model.frameOptions },
      beta: fit.gamma,
      conditionalModes: () => new Float64Array(0),
    };
    return predictLinear(src, table, { groups: false });
  };
  const zprob = () => Float64Array.from(zlink(), (e) => 1 / (1 + Math.exp(-e)));
  switch (type) {
    case 'link': return eta();
    case 'zlink': return zlink();
    case 'zprob': return zprob();
    case 'conditional': return ziConditionalMean(model, fit.sigma, eta());
    case 'response': {
      const c = ziConditionalMean(model, fit.sigma, eta());
      const p = zprob();
      return Float64Array.from(c, (m, i) => (1 - p[i]) * m);
    }
    default: throw new OptionError('type', `predict: type ${showValue(type)} is not one of ${ZI_PREDICT_TYPES.join(', ')}`);
  }
}
