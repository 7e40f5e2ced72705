/**
 * glmmTMB 1.1.5's predict(fit, newdata, type, re.form, allow.new.levels) for a glmmTMB fit (zero-inflated,
 * hurdle, beta, gaussian), at the fitted parameters:
 *   η = xᵀβ̂ + o + zᵀb̃   (b̃ the conditional modes of the group seen in the fit; a new level's b = 0 with
 *                        allowNewLevels, else an error naming it; `groups: false` is re.form = NA: η = xᵀβ̂ + o),
 *   logit p = x_ziᵀγ̂ (+ z_ziᵀb̃_zi on the fit's rows where the zero model has random effects: glmmTMB's
 *   zprob at the modes; `groups: false` drops them too),   log φ = x_dᵀδ̂,
 *   'link' η, 'zlink' logit p, 'zprob' p, 'conditional' the conditional model's mean (μ = g⁻¹(η): e^η,
 *   logit⁻¹ η, η; a hurdle's zero-truncated mean μ / (1 − f(0; μ, φ))), 'response' (1 − p) × the
 *   conditional mean (the mean of y), 'disp' the dispersion on glmmTMB's sigma() scale (φ; gaussian √φ = σ;
 *   1 for Poisson).
 * The new data are read as the fit read its data (the fitted factor levels, contrasts, poly/ns bases:
 * src/results/predict.ts's newDataDesign, once for each of the conditional, zero and dispersion models);
 * a row missing a variable a type needs gives NaN (na.pass). Without new data: the fit's own rows.
 * New data for a model with random effects in its zero model are refused (not implemented here).
 */
import type * as arrow from 'apache-arrow';
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import { type DataInput, toArrowTable } from '../io/dataInput.js';
import { type Schema, bool, checkObject, oneOf } from '../options/rules.js';
import { type PredictSource, predictLinear } from '../results/predict.js';
import { compoisLogLambda } from './compois.js';
import { condFixed, ziLinear } from './laplace.js';
import type { ZeroInflatedModel } from './model.js';

export type ZiPredictType = 'response' | 'conditional' | 'zprob' | 'link' | 'zlink' | 'disp';
export const ZI_PREDICT_TYPES: readonly ZiPredictType[] = ['response', 'conditional', 'zprob', 'link', 'zlink', 'disp'];

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
  /** the dispersion model's coefficients δ̂ */
  delta: Float64Array;
  /** φ_i per row of the fit (the kernel's: NB size, NB1 φ, beta precision, gaussian σ²; NaN for Poisson) */
  disp: Float64Array;
  /** η per row of the fit (at the modes) */
  eta: Float64Array;
  /** b̃ of block k (level-major) */
  conditionalModes(k: number): Float64Array;
  /** logit p per row of the fit at the modes (the zero model's random effects included) */
  etaZi?: Float64Array;
}

/**
 * log f(0; μ, φ) of a count distribution: Poisson −μ, NB2 −φ log(1 + μ/φ), NB1 −(μ/φ) log(1 + φ), genpois −μ/√φ,
 * compois −log Z(λ, 1/φ) with λ solved from the mean μ (compois.ts)
 */
export function logZeroProbability(dist: ZeroInflatedModel['dist'], mu: number, phi: number): number {
  if (dist === 'nbinom2') return -phi * Math.log1p(mu / phi);
  if (dist === 'nbinom1') return -(mu / phi) * Math.log1p(phi);
  if (dist === 'genpois') return -mu / Math.sqrt(phi);
  if (dist === 'compois') return -compoisLogLambda(Math.log(mu), 1 / phi).logZ;
  return -mu;
}

/**
 * The conditional model's mean at η: μ = g⁻¹(η) (e^η, logit⁻¹ η, η), or a hurdle's μ / (1 − f(0; μ, φ))
 * with f(0) = e^g (logZeroProbability); φ per row.
 */
export function ziConditionalMean(model: Pick<ZeroInflatedModel, 'dist' | 'hurdle' | 'link'>, phi: ArrayLike<number>, eta: ArrayLike<number>): Float64Array {
  return Float64Array.from(eta, (e, i) => {
    if (model.link === 'identity') return e;
    if (model.link === 'logit') return 1 / (1 + Math.exp(-e));
    const m = Math.exp(e);
    if (!model.hurdle) return m;
    return m / -Math.expm1(logZeroProbability(model.dist, m, phi[i]));
  });
}

/**
 * glmmTMB's predict(type = "disp") (and sigma()) from the kernel's φ: σ = √φ for gaussian, 1/√φ for Gamma
 * (its coefficient of variation: Var = μ²/φ), φ otherwise, 1 without a dispersion parameter
 */
export function sigmaScale(model: Pick<ZeroInflatedModel, 'dist' | 'pd'>, phi: ArrayLike<number>): Float64Array {
  return Float64Array.from(phi, (v) => (model.pd === 0 ? 1 : model.dist === 'gaussian' ? Math.sqrt(v) : model.dist === 'gamma' ? 1 / Math.sqrt(v) : v));
}

/** predict(fit, newdata (or null: the fit's rows), options) (see the header). */
export function predictZeroInflated(fit: ZiPredictSource, newdata: DataInput | null | undefined, options: ZiPredictOptions = {}): Float64Array {
  checkObject(options, 'predict', OPTIONS);
  const type = options.type ?? 'response';
  const groups = options.groups !== false;
  const { model } = fit;
  let table: arrow.Table | null = null;
  if (newdata !== undefined && newdata !== null) {
    if (model.ziRandom) throw new ModelError(`predict: new data for a model with random effects in its zero-inflation model (ziformula '${model.ziText}') are not implemented here; predict the fit's own rows (newdata null)`);
    table = toArrowTable(newdata, 'newdata');
  }
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
    if (model.pz === 0 && !model.ziRandom) return new Float64Array(table ? table.numRows : model.n).fill(-Infinity);
    if (!table) return groups && model.ziRandom && fit.etaZi ? Float64Array.from(fit.etaZi) : ziLinear(model, fit.gamma);
    const src: PredictSource = {
      model: { formula: model.ziFormula, frame: model.ziFrame, blocks: [], frameOptions: model.frameOptions },
      beta: fit.gamma,
      conditionalModes: () => new Float64Array(0),
    };
    return predictLinear(src, table, { groups: false });
  };
  const zprob = () => Float64Array.from(zlink(), (e) => 1 / (1 + Math.exp(-e)));
  // the dispersion model's φ (the kernel's scale)
  const phi = (): Float64Array => {
    const rows = table ? table.numRows : model.n;
    if (model.pd === 0) return new Float64Array(rows).fill(NaN);
    if (!table) return Float64Array.from(fit.disp);
    if (model.dispConstant) return new Float64Array(rows).fill(Math.exp(fit.delta[0]));
    const src: PredictSource = {
      model: { formula: model.dispFormula, frame: model.dispFrame, blocks: [], frameOptions: model.frameOptions },
      beta: fit.delta,
      conditionalModes: () => new Float64Array(0),
    };
    return Float64Array.from(predictLinear(src, table, { groups: false }), Math.exp);
  };
  switch (type) {
    case 'link': return eta();
    case 'zlink': return zlink();
    case 'zprob': return zprob();
    case 'disp': return sigmaScale(model, phi());
    case 'conditional': return ziConditionalMean(model, phi(), eta());
    case 'response': {
      const c = ziConditionalMean(model, phi(), eta());
      const p = zprob();
      return Float64Array.from(c, (m, i) => (1 - p[i]) * m);
    }
    default: throw new OptionError('type', `predict: type ${showValue(type)} is not one of ${ZI_PREDICT_TYPES.join(', ')}`);
  }
}
