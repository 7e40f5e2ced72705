/**
 * The mixed model that lmer and glmer both build (lme4's lFormula; MixedModels.jl's
 * LinearMixedModel, which its GeneralizedLinearMixedModel holds): the model frame, the
 * random-effects blocks with Λ(θ)'s template, θ's layout and bounds, the internal parametrization
 * the optimizer works in, the fixed-effects transform, prior weights and offset.
 *
 *   formula → mixedFormula → buildModelFrame (src/frame) → buildMixedModel
 *
 * An LMM (src/lmm/model.ts) adds REML and the weighted rows its Gram matrix is formed from; a GLMM
 * (src/glmm/model.ts) adds the family and the data PIRLS works on. Each extends the object in place,
 * so the lazily computed fixed-effects transform is computed only when a model uses it.
 */
import { ModelError } from '../errors/errors.js';
import { parseFormula } from '../formula/parse.js';
import type { Formula } from '../formula/types.js';
import type { ModelFrame, ModelFrameOptions } from '../frame/modelFrame.js';
import { type FixedTransform, fixedTransform } from './fixedTransform.js';
import { type RandomBlock, type ThetaLayout, buildRandomBlocks } from './lambda.js';
import { type BlockTransform, type ReparamOptions, blockTransforms, transformBlock } from './reparam.js';
import { type KnownBlock, type RelmatSpec, attachKnownCovariances } from '../relmat/blocks.js';
import { type CovParameters, covParameters } from './covStructure.js';

/** Random effects with a known covariance matrix (relatedness: kinship, pedigree, phylogeny). */
export interface RelmatOptions {
  /**
   * for a grouping factor, its known covariance matrix K (b ~ N(0, σ_b² K)): a matrix with level
   * names ({ levels, matrix }, or phyloVcv(newick)), a sparse one ({ kind: 'sparse', levels, i, j, x })
   * or a pedigree (pedigree(table, { id, sire, dam }))
   */
  relmat?: RelmatSpec;
}

export interface MixedModel {
  formula: Formula;
  frame: ModelFrame;
  /** the options the frame was built with (new data are read the same way) */
  frameOptions: ModelFrameOptions;
  /** the random-effects blocks, with Z as the formula defines it (Λ's template in lme4's θ) */
  blocks: RandomBlock[];
  /** θ's names, lower bounds and start, in lme4's order */
  theta: ThetaLayout;
  /** the internal parametrization (src/model/reparam.ts): M per block, null for the identity */
  transforms: (BlockTransform | null)[];
  /** the blocks with Z M in place of Z, whose θ is the internal θ: what the objectives see */
  internalBlocks: RandomBlock[];
  /**
   * per block, its known covariance (relmat): the factor F over the block's levels (Z (F ⊗ I) in
   * place of Z, b = (F ⊗ I) Λ u; src/relmat), or null. Such blocks come after the others.
   */
  known: (KnownBlock | null)[];
  /**
   * the variance parameters when a term has a covariance structure (glmmTMB's `ar1(…)`, `cs(…)`,
   * `diag(…)`, `toep(…)`; src/model/covStructure.ts): the optimizer's x and θ(x); null for lme4's
   * unstructured terms only, whose parameters are θ itself
   */
  covariance: CovParameters | null;
  /** the fixed-effects transform (centred X, y − offset − X_c β₀; see fixedTransform.ts), computed on first use */
  readonly fixed: FixedTransform;
  /** prior weights (one per observation used), or null */
  weights: Float64Array | null;
  /** the offset, or null */
  offset: Float64Array | null;
}

/**
 * The formula of a mixed model: parsed, with at least one random-effects term. `data`: the table it is
 * fitted to, whose columns a `.` on the right-hand side stands for.
 */
export function mixedFormula(formula: string | Formula, data?: { schema: { fields: { name: string }[] } }): Formula {
  const f = typeof formula === 'string' ? parseFormula(formula, data ? { dataColumns: data.schema.fields.map((c) => c.name) } : {}) : formula;
  if (f.random.length === 0) throw new ModelError(`no random-effects terms in '${f.text}': a mixed model needs at least one term such as (1 | group)`);
  return f;
}

/** Stage: model frame → mixed model (random blocks, θ layout, internal parametrization). */
export function buildMixedModel(formula: Formula, frame: ModelFrame, frameOptions: ModelFrameOptions, reparam: ReparamOptions, relmat?: RelmatSpec): MixedModel {
  const built = buildRandomBlocks(frame.reTerms);
  const theta = built.theta;
  // known covariances: levels matched to K's, the factor F, those blocks last (src/relmat/blocks.ts)
  const { blocks, known } = attachKnownCovariances(built.blocks, relmat);
  const transforms = blockTransforms(blocks, reparam);
  const covariance = covParameters(frame, theta);
  if (covariance) {
    const s = covariance.structured.find((t) => known.some((k) => k !== null && k.group === t.group));
    if (s) throw new ModelError(`term ${s.text}: a covariance structure and a known covariance matrix (relmat) on the same grouping factor '${s.group}' are not supported together`);
  }
  let fixed: FixedTransform | undefined;
  return {
    formula, frame, frameOptions, blocks, theta, transforms, known, covariance,
    internalBlocks: blocks.map((b, k) => transformBlock(b, transforms[k])),
    get fixed() { return (fixed ??= fixedTransform(frame)); },
    weights: frame.weights ?? null,
    offset: frame.offset,
  };
}
