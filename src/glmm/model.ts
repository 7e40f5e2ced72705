/**
 * A GLMM's structure: formula → model frame (with the response read by the family) → random blocks
 * and θ layout (as lmer) → the data PIRLS works on.
 */
import type * as arrow from 'apache-arrow';
import { parseFormula } from '../formula/parse.js';
import type { Formula } from '../formula/types.js';
import { type ModelFrame, type ModelFrameOptions, buildModelFrame } from '../frame/modelFrame.js';
import { type RandomBlock, type ThetaLayout, buildRandomBlocks } from '../model/lambda.js';
import { type FamilyName, type GlmFamily, type LinkName, makeFamily } from './family.js';
import type { PirlsModel } from './pirls.js';
import { type BlockTransform, blockTransforms, transformBlock } from './reparam.js';

export interface GlmmModelOptions extends ModelFrameOptions {
  family: FamilyName;
  link?: LinkName;
  /** prior weights: a column name or one value per input row */
  weights?: string | ArrayLike<number>;
}

export interface GlmmModel {
  formula: Formula;
  frame: ModelFrame;
  blocks: RandomBlock[];
  theta: ThetaLayout;
  family: GlmFamily;
  /** the options the frame was built with (new data are read the same way) */
  frameOptions: ModelFrameOptions;
  /** the name of the weights column, when weights were given by name */
  weightsName?: string;
  /** the internal parametrization of each block (src/glmm/reparam.ts): PIRLS and the optimizer work in it */
  transforms: (BlockTransform | null)[];
  /** the data PIRLS works on (its blocks' Z is Z M, its θ the internal θ) */
  pirls: PirlsModel;
}

/** formula text + data → GLMM structure */
export function buildGlmm(formula: string | Formula, data: arrow.Table, options: GlmmModelOptions): GlmmModel {
  const family = makeFamily(options.family, options.link);
  const f = typeof formula === 'string' ? parseFormula(formula) : formula;
  if (f.random.length === 0) throw new Error(`no random-effects terms in '${f.text}': a mixed model needs at least one term such as (1 | group)`);
  const frame = buildModelFrame(f, data, { factors: options.factors }, { family: options.family, weights: options.weights });
  const { blocks, theta } = buildRandomBlocks(frame.reTerms);
  const n = frame.n;
  const transforms = blockTransforms(blocks);
  const pirls: PirlsModel = {
    n, X: frame.X, p: frame.p, blocks: blocks.map((b, k) => transformBlock(b, transforms[k])), theta, family,
    y: frame.y,
    weights: frame.weights ?? new Float64Array(n).fill(1),
    trials: frame.trials ?? null,
    offset: frame.offset ?? new Float64Array(n),
  };
  return {
    formula: f, frame, blocks, theta, family, frameOptions: { factors: options.factors },
    weightsName: typeof options.weights === 'string' ? options.weights : undefined, transforms, pirls,
  };
}
