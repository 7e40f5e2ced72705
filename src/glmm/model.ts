/**
 * A GLMM's structure: the mixed model (src/model/mixedModel.ts, with the response read by the
 * family and θ centred and scaled as src/model/reparam.ts says) plus the family and the data PIRLS
 * works on.
 */
import type * as arrow from 'apache-arrow';
import type { Formula } from '../formula/types.js';
import { type ModelFrame, type ModelFrameOptions, buildModelFrame } from '../frame/modelFrame.js';
import { type MixedModel, type RelmatOptions, buildMixedModel, mixedFormula } from '../model/mixedModel.js';
import { type FamilyName, type GlmFamily, type LinkName, makeFamily } from './family.js';
import type { PirlsModel } from './pirls.js';
import { checkGlmmStructures } from './structured.js';
import type { RowSource } from '../lmm/model.js';

export interface GlmmModelOptions extends ModelFrameOptions, RelmatOptions {
  family: FamilyName;
  link?: LinkName;
  /** the negative binomial's size θ (fixed); glmer estimates it when it is not given (glmer.nb) */
  theta?: number;
  /** prior weights: a column name or one value per input row */
  weights?: string | ArrayLike<number>;
  /**
   * glmer's nAGQ: above 1 the random effects keep lme4's basis (no centring, src/model/reparam.ts),
   * the one the product-rule quadrature of a vector term is defined in (src/glmm/agqVector.ts)
   */
  nAGQ?: number;
}

export interface GlmmModel extends MixedModel {
  family: GlmFamily;
  /** the name of the weights column, when weights were given by name */
  weightsName?: string;
  /** the data PIRLS works on (its blocks are the internal blocks, Z M; its θ the internal θ) */
  pirls: PirlsModel;
  /** set when the rows are in an engine (src/gram/glmm.ts): PIRLS ran on its passes, the rows are there, not here */
  source?: Pick<RowSource, 'engine' | 'name' | 'rowsScanned' | 'rowsReplayed' | 'queries' | 'usedRows'>;
}

/** formula text + data → GLMM structure */
export function buildGlmm(formula: string | Formula, data: arrow.Table, options: GlmmModelOptions): GlmmModel {
  const family = makeFamily(options.family, options.link, options.theta);
  const f = mixedFormula(formula, data);
  const knownCovarianceGroups = Object.keys(options.relmat ?? {});
  const frame = buildModelFrame(f, data, { factors: options.factors, knownCovarianceGroups, naAction: options.naAction, contrasts: options.contrasts }, { family: options.family, link: options.link, weights: options.weights });
  return glmmFromFrame(f, frame, family, { factors: options.factors, ...(options.contrasts ? { contrasts: options.contrasts } : {}) }, typeof options.weights === 'string' ? options.weights : undefined, options.relmat, (options.nAGQ ?? 1) <= 1);
}

/**
 * A model frame (its response already read by the family) → GLMM structure: the mixed model and
 * PIRLS's data. Also builds a model from a fit's frame with another fixed part (the null model of
 * Nakagawa's R², src/inference/nullModel.ts) without reading the data again.
 */
export function glmmFromFrame(
  f: Formula, frame: ModelFrame, family: GlmFamily, frameOptions: ModelFrameOptions, weightsName?: string, relmat?: RelmatOptions['relmat'], centre = true,
): GlmmModel {
  const mixed = buildMixedModel(f, frame, frameOptions, { scale: true, centre }, relmat);
  // glmmTMB's structures: binomial and Poisson with their canonical links (src/glmm/structured.ts)
  checkGlmmStructures(mixed.covariance, family);
  const n = frame.n;
  const pirls: PirlsModel = {
    n, X: frame.X, p: frame.p, blocks: mixed.internalBlocks, theta: mixed.theta, family,
    y: frame.y,
    weights: mixed.weights ?? new Float64Array(n).fill(1),
    trials: frame.trials ?? null,
    offset: mixed.offset ?? new Float64Array(n),
    ...(mixed.known.some((k) => k) ? { known: mixed.known.map((k) => k?.factor() ?? null) } : {}),
  };
  return Object.assign(mixed, { family, weightsName, pirls });
}
