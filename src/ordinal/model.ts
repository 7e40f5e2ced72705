/**
 * A cumulative link mixed model's structure (ordinal's clmm.frames, getREterms and makeThresholds):
 *
 *   P(Y_i ≤ j) = F(Θ_j − x_iᵀβ − z_iᵀb),   b = Λ(θ) u,  u ~ N(0, I),   Θ = J_Θ α
 *
 * built from the formula and the data: the ordered response (response.ts) as codes 0 … J − 1 of the
 * categories used (an empty category is dropped, as clmm drops it), the model frame of lmer's
 * formula syntax with X's intercept column removed (the thresholds take its place), the
 * random-effects blocks with Λ's template in lme4's θ (src/model/lambda.ts), the thresholds'
 * parametrization (thresholds.ts) and the link (links.ts).
 *
 * The parameters the fit optimizes are clmm's: (α, β, ψ), with ψ = log SD for one random
 * intercept (clmm's "ssr" path, its `tau`) and otherwise clmm's ST entries per term (the
 * diagonal of Λ's template first, then its lower triangle by columns), which are lme4's θ reordered.
 * (clmm's "ssr" path is one random intercept, (1 | g); a single (0 + x | g) has the ST entry.)
 */
import * as arrow from 'apache-arrow';
import { DataError, ModelError, OptionError } from '../errors/errors.js';
import type { Formula } from '../formula/types.js';
import { type ModelFrame, type ModelFrameOptions, buildModelFrame } from '../frame/modelFrame.js';
import { type RandomBlock, type ThetaLayout, buildRandomBlocks } from '../model/lambda.js';
import { mixedFormula } from '../model/mixedModel.js';
import { type ClmmLink, type OrdinalLink, ordinalLink } from './links.js';
import { readOrdinalResponse } from './response.js';
import { readPriorWeights } from '../frame/glmResponse.js';
import { type ClmmThreshold, type Thresholds, makeThresholds } from './thresholds.js';

export interface ClmmModelOptions {
  /** the link (default 'logit') */
  link?: ClmmLink;
  /** the thresholds' parametrization (default 'flexible') */
  threshold?: ClmmThreshold;
  /** the response's categories in order (else the Arrow dictionary's order, or a numeric response's values) */
  levels?: string[];
  /** numeric columns to treat as factors */
  factors?: string[];
  /** contrasts of fixed-effects factors (as lmer's) */
  contrasts?: ModelFrameOptions['contrasts'];
  /** prior (frequency) weights, > 0: a column name or one value per input row (clmm's `weights`) */
  weights?: string | ArrayLike<number>;
}

export interface ClmmModel {
  formula: Formula;
  frame: ModelFrame;
  /** the options the frame was built with (new data are read the same way) */
  frameOptions: ModelFrameOptions;
  n: number;
  /** the categories used, in order (J of them) */
  levels: string[];
  /** each observation's category, 0 … J − 1 */
  y: Int32Array;
  /** prior weights (ones when none were given) */
  weights: Float64Array;
  /** Σ weights: clmm's nobs */
  nobs: number;
  /** X without the intercept, n × p column-major */
  X: Float64Array;
  p: number;
  xnames: string[];
  blocks: RandomBlock[];
  /** lme4's θ layout (names, bounds) */
  theta: ThetaLayout;
  thresholds: Thresholds;
  link: OrdinalLink;
  /** one random intercept (1 | g): ψ = log SD (clmm's ssr path), else ψ = clmm's ST entries */
  ssr: boolean;
  /** the number of α, β and ψ parameters */
  nAlpha: number;
  nPsi: number;
  /** for each ψ entry, the index of lme4's θ it is (the identity order of clmm's ST entries mapped) */
  psiToTheta: Int32Array;
  /** for each ψ entry, whether it is a diagonal entry of a template (bounded below by 0 when not ssr) */
  psiDiagonal: boolean[];
  /** notes for the user (dropped rows and categories, dropped columns) */
  messages: string[];
  /** how the categories' order was found */
  order: string;
}

/** formula + data → the model. */
export function buildClmmModel(formula: string | Formula, data: arrow.Table, options: ClmmModelOptions = {}): ClmmModel {
  const f = mixedFormula(formula, data);
  const response = f.response;
  if (response.kind !== 'expr' || response.expr.type !== 'var') {
    throw new ModelError(`the response of a cumulative link model is one column of ordered categories, not '${response.label}'`);
  }
  const yname = response.expr.name;
  if (f.offsets.length > 0) throw new ModelError("offset() terms are not available for clmm here (ordinal's clmm takes them; not implemented)");
  const resp = readOrdinalResponse(data, yname, options.levels);
  // the response replaced by its category codes (missing: NaN, which the frame drops and counts)
  const table = data.setChild(yname, arrow.makeVector(resp.codes));
  const frameOptions: ModelFrameOptions = {
    ...(options.factors ? { factors: options.factors } : {}),
    ...(options.contrasts ? { contrasts: options.contrasts } : {}),
  };
  // a random effect per observation is allowed by the frame (clmm checks the total below)
  // prior weights: checked here with clmm's words, then read by the frame (a missing weight drops its row)
  const prior = readPriorWeights(options.weights, data);
  if (prior.values) {
    prior.values.forEach((w, i) => {
      if (!Number.isNaN(w) && !(w > 0 && Number.isFinite(w))) {
        throw new DataError(`weights: '${prior.label}' is ${w} in row ${i + 1}: clmm's weights must be positive and finite (drop a row rather than give it weight 0)`, { column: prior.label, row: i + 1 });
      }
    });
  }
  const frame = buildModelFrame(f, table, { ...frameOptions, observationLevel: true, ...(prior.values ? { weights: prior.values } : {}) });
  const n = frame.n;
  const messages = [...frame.messages];
  // the categories used among the rows kept; empty ones are dropped, as clmm does (droplevels)
  const counts = new Array<number>(resp.levels.length).fill(0);
  for (let i = 0; i < n; i++) counts[frame.y[i]]++;
  const weights = frame.weights ? Float64Array.from(frame.weights) : new Float64Array(n).fill(1);
  const nobs = weights.reduce((a, b) => a + b, 0);
  const usedIndex = new Int32Array(resp.levels.length).fill(-1);
  const levels: string[] = [];
  resp.levels.forEach((l, k) => { if (counts[k] > 0) { usedIndex[k] = levels.length; levels.push(l); } });
  const empty = resp.levels.filter((_, k) => counts[k] === 0);
  if (levels.length < 2) {
    throw new DataError(
      `the response '${yname}' has ${levels.length} categor${levels.length === 1 ? 'y' : 'ies'} with observations (${levels.join(', ') || 'none'}${empty.length ? `; empty: ${empty.join(', ')}` : ''}): a cumulative link model needs at least 2 ordered categories`,
      { column: yname },
    );
  }
  // two categories: one threshold, which ordinal fits as flexible only
  const threshold = options.threshold ?? 'flexible';
  if (levels.length === 2 && threshold !== 'flexible') {
    throw new OptionError('threshold', `${threshold} thresholds are only meaningful for responses with 3 or more levels (ordinal's message): the response '${yname}' has 2 (${levels.join(', ')}); use threshold 'flexible'`);
  }
  if (empty.length > 0) {
    messages.push(`categor${empty.length === 1 ? 'y' : 'ies'} ${empty.map((l) => `'${l}'`).join(', ')} of '${yname}' ha${empty.length === 1 ? 's' : 've'} no observations and ${empty.length === 1 ? 'was' : 'were'} dropped (as clmm drops empty levels)`);
  }
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = usedIndex[frame.y[i]];
  // X without its intercept: the thresholds take its place
  if (frame.xnames[0] !== '(Intercept)') {
    throw new ModelError(`a cumulative link model's formula keeps its intercept (the thresholds take its place): remove '0 +' / '- 1' from '${f.text}'`);
  }
  const p = frame.p - 1;
  const X = frame.X.slice(n, n * frame.p);
  const xnames = frame.xnames.slice(1);
  const { blocks, theta } = buildRandomBlocks(frame.reTerms);
  for (const b of blocks) {
    // clmm stops unless every grouping factor has more than 2 levels
    if (b.nl <= 2) throw new ModelError(`grouping factor '${b.group}' has ${b.nl} levels: clmm needs more than 2 levels per grouping factor to estimate its variance`);
  }
  const q = blocks.reduce((s, b) => s + b.nl * b.q, 0);
  if (q >= n) {
    throw new ModelError(`the model has ${q} random effects for ${n} observations: the random effects must be fewer than the observations (clmm: "no. random effects >= no. observations")`);
  }
  const thresholds = makeThresholds(levels, threshold);
  // clmm's "ssr" path: one random intercept, (1 | g) (a single (0 + x | g) takes the ST path there too)
  const ssr = frame.reTerms.length === 1 && frame.reTerms[0].q === 1 && frame.reTerms[0].cnames[0] === '(Intercept)';
  // ψ in clmm's order: per term (lme4's order), the template's diagonal, then its lower triangle by columns
  const psiToTheta: number[] = [];
  const psiDiagonal: boolean[] = [];
  let off = 0;
  for (const t of frame.reTerms) {
    // lme4's θ of the term: column-major lower triangle, (i, j) at off + j q − j(j − 1)/2 + (i − j)
    const at = (i: number, j: number) => off + j * t.q - (j * (j - 1)) / 2 + (i - j);
    for (let j = 0; j < t.q; j++) { psiToTheta.push(at(j, j)); psiDiagonal.push(true); }
    for (let j = 0; j < t.q; j++) for (let i = j + 1; i < t.q; i++) { psiToTheta.push(at(i, j)); psiDiagonal.push(false); }
    off += (t.q * (t.q + 1)) / 2;
  }
  return {
    formula: f, frame, frameOptions, n, levels, y, weights, nobs, X, p, xnames, blocks, theta, thresholds,
    link: ordinalLink(options.link ?? 'logit'), ssr, nAlpha: thresholds.nAlpha, nPsi: theta.length,
    psiToTheta: Int32Array.from(psiToTheta), psiDiagonal, messages, order: resp.order,
  };
}

/** lme4's θ from the parameter vector's ψ part (ssr: θ = exp(ψ)). */
export function thetaOfPsi(model: ClmmModel, psi: ArrayLike<number>): Float64Array {
  const theta = new Float64Array(model.nPsi);
  if (model.ssr) { theta[0] = Math.exp(psi[0]); return theta; }
  for (let k = 0; k < model.nPsi; k++) theta[model.psiToTheta[k]] = psi[k];
  return theta;
}
