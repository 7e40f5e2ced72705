/**
 * The jackknife over the levels of a grouping factor, for BCa's acceleration (bootCi.ts): the model
 * refitted once without each level's rows, t_(−i) = t(data without level i), i = 1…m.
 *
 * Why levels and not rows: the acceleration measures how the statistic's standard error changes
 * with its value through the influence of the independent sampling units; in a mixed model those
 * are the levels of the grouping factor (rows of one level are correlated). boot's alternative,
 * empirical influence values by regression on the resampling frequencies, has no counterpart in a
 * parametric bootstrap (there are no frequencies), so the jackknife is the one estimate available.
 * Its cost is m refits (each warm-started from θ̂), the bootstrap's is R: for m levels ≪ R it is cheap.
 *
 * A refit without level i uses the model's rows with that level's rows left out and keeps the level
 * in the structure with no rows: its random effect then has no data, contributes log|I| = 0 to
 * log|L|² and 0 to the penalized residual sum of squares, so the criterion equals that of the model
 * fitted to the reduced data (where lme4 drops the empty level). Other factors' levels that lose all
 * their rows stay the same way.
 *
 * Data-dependent terms (scale(x), poly(), ns(), bs()) keep the full data's centre and scale,
 * coefficients and knots in these refits: t_(−i) is the statistic in t̂'s (and the replicates')
 * coordinates, which the acceleration's influence values L_i = (m − 1)(t̄ − t_(−i)) compare. boot's
 * BCa over bootMer has no lme4 jackknife to follow; lme4's case-deletion influence (influence.merMod)
 * keeps the terms the same way (its refits use `subset`, applied after R evaluates the terms on the
 * whole data), and influence.ts's refits are these (lmmOnRows, glmmOnRows).
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { CpuBackend } from '../backend/cpu/cpuBackend.js';
import { formGramCpu } from '../backend/cpu/gram.js';
import type { GramRowsBlock } from '../linalg/gram.js';
import { type LmmModel } from '../lmm/model.js';
import { lmmObjective } from '../lmm/deviance.js';
import { LMM_OPTIMIZER } from '../lmm/fit.js';
import { solveLmm } from '../lmm/solution.js';
import { Evaluations, abortError } from '../model/control.js';
import { optimizeObjective } from '../model/fitObjective.js';
import type { MixedModel } from '../model/mixedModel.js';
import type { RandomBlock } from '../model/lambda.js';
import type { GlmmModel } from '../glmm/model.js';

export interface Jackknife {
  /** the grouping factor whose levels were left out one at a time */
  factor: string;
  levels: string[];
  /** the statistics (the bootstrap's, in its order) of the refit without each level */
  t: Float64Array[];
  timeMs: number;
}

/** The block of the grouping factor to leave levels out of: the named one, or the model's only one. */
export function jackknifeBlock(model: MixedModel, factor: string | true): number {
  const groups = model.blocks.map((b) => b.group);
  if (factor === true && groups.length !== 1) {
    throw new OptionError('jackknife', `BCa's jackknife leaves out the levels of one grouping factor; this model has ${groups.length} (${groups.join(', ')}): name one`);
  }
  const k = factor === true ? 0 : groups.indexOf(factor);
  if (k < 0) throw new OptionError('jackknife', `the jackknife's grouping factor '${factor}' is not one of the model's (${groups.join(', ')})`);
  const { group, nl } = model.blocks[k];
  if (nl < 3) throw new OptionError('jackknife', `the jackknife over '${group}' needs at least 3 levels, it has ${nl}`);
  if (model.known[k]) throw new ModelError(`the jackknife over '${group}' would leave out levels of a factor with a known covariance matrix, whose levels are not independent`);
  return k;
}

/** The rows not of the given level, in order. */
function keptRows(codes: Int32Array, level: number): Int32Array {
  let m = 0;
  for (let i = 0; i < codes.length; i++) if (codes[i] !== level) m++;
  const keep = new Int32Array(m);
  for (let i = 0, j = 0; i < codes.length; i++) if (codes[i] !== level) keep[j++] = i;
  return keep;
}

/** The rows `keep` of an n × p column-major matrix. */
function columnRows(X: Float64Array, n: number, p: number, keep: Int32Array): Float64Array {
  const m = keep.length;
  const out = new Float64Array(m * p);
  for (let j = 0; j < p; j++) for (let i = 0; i < m; i++) out[j * m + i] = X[j * n + keep[i]];
  return out;
}

/** a[keep] (a loop: TypedArray.from with a map function goes through the iterator, 50× slower on 100k rows) */
function pick(a: Float64Array, keep: Int32Array): Float64Array {
  const out = new Float64Array(keep.length);
  for (let j = 0; j < keep.length; j++) out[j] = a[keep[j]];
  return out;
}

/** A block's rows `keep` (codes and its row-major n × q Z); levels unchanged. */
function blockRows<B extends RandomBlock | GramRowsBlock>(b: B, keep: Int32Array): B {
  const q = b.q;
  const Z = new Float64Array(keep.length * q);
  const codes = new Int32Array(keep.length);
  for (let r = 0; r < keep.length; r++) {
    const i = keep[r];
    codes[r] = b.codes[i];
    for (let c = 0; c < q; c++) Z[r * q + c] = b.Z[i * q + c];
  }
  return { ...b, codes, Z };
}

/** The LMM on the rows `keep` (the Gram rows, the blocks and n; Σ log w of the kept rows). */
export function lmmOnRows(model: LmmModel, keep: Int32Array): LmmModel {
  const { rows } = model;
  const n = keep.length;
  const subRows = { n, p: rows.p, X: columnRows(rows.X, rows.n, rows.p, keep), y: pick(rows.y, keep), blocks: rows.blocks.map((b) => blockRows(b, keep)) };
  let sumLogW = 0;
  if (model.weights) for (const i of keep) sumLogW += Math.log(model.weights[i]);
  return Object.assign(Object.create(Object.getPrototypeOf(model)), model, {
    frame: { ...model.frame, n },
    blocks: model.blocks.map((b) => blockRows(b, keep)),
    internalBlocks: model.internalBlocks.map((b) => blockRows(b, keep)),
    weights: model.weights ? pick(model.weights, keep) : null,
    rows: subRows, sumLogW, momentStart: false,
  });
}

/** The GLMM on the rows `keep` (PIRLS's data and the frame's n and y). */
export function glmmOnRows(model: GlmmModel, keep: Int32Array): GlmmModel {
  const { pirls } = model;
  const n = keep.length;
  const internalBlocks = model.internalBlocks.map((b) => blockRows(b, keep));
  const y = pick(pirls.y, keep);
  return Object.assign(Object.create(Object.getPrototypeOf(model)), model, {
    frame: { ...model.frame, n, y },
    blocks: model.blocks.map((b) => blockRows(b, keep)),
    internalBlocks,
    pirls: {
      ...pirls, n, y, X: columnRows(pirls.X, pirls.n, pirls.p, keep), blocks: internalBlocks,
      weights: pick(pirls.weights, keep), offset: pick(pirls.offset, keep), trials: pirls.trials ? pick(pirls.trials, keep) : null,
    },
  });
}

/**
 * The jackknife over block k's levels: `refit(the model on the rows without level i)` for each level,
 * in order. A refit that throws or gives a non-finite statistic is an error naming the level.
 */
async function jackknifeLevels<M extends MixedModel>(
  model: M, k: number, onRows: (m: M, keep: Int32Array) => M, refit: (m: M) => Promise<Float64Array>, signal?: AbortSignal,
): Promise<Jackknife> {
  const t0 = performance.now();
  const block = model.blocks[k];
  const t: Float64Array[] = [];
  for (let level = 0; level < block.nl; level++) {
    if (signal?.aborted) throw abortError();
    let row: Float64Array;
    try {
      row = await refit(onRows(model, keptRows(block.codes, level)));
      if (!row.every(Number.isFinite)) throw new Error('its statistics are not finite');
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new ModelError(`the jackknife refit without level '${block.levels[level]}' of ${block.group} failed: ${(e as Error).message}`);
    }
    t.push(row);
  }
  return { factor: block.group, levels: block.levels, t, timeMs: performance.now() - t0 };
}

/**
 * The jackknife of an LMM's statistics: each level of block k left out in turn, the criterion
 * (REML or ML, as the fit) minimized by the core's optimizer from θ̂ (internal θ `thetaC`), then
 * `stats(θ, σ, β_c)`.
 */
export function jackknifeLmm(
  model: LmmModel, k: number, thetaC: Float64Array,
  stats: (th: Float64Array, sigma: number, betaC: Float64Array) => Float64Array, signal?: AbortSignal,
): Promise<Jackknife> {
  return jackknifeLevels(model, k, lmmOnRows, async (sub) => {
    const { opt, x, solution } = await refitLmm(sub, thetaC, LMM_OPTIMIZER, new Evaluations({ signal }));
    if (!Number.isFinite(opt.fval)) throw new Error(`the criterion is ${opt.fval} at the optimum`);
    return stats(x, solution.sigma, solution.beta);
  }, signal);
}

/**
 * An LMM on some of its rows (lmmOnRows) refitted on the CPU in float64: the criterion (REML or ML,
 * as the model) minimized from internal θ `start` (with the model's moment start as a candidate,
 * unless `fromStartOnly`, lme4's refits from θ̂), then the solution (σ, β_c, Var(β_c)) at the optimum.
 */
export async function refitLmm(sub: LmmModel, start: Float64Array, settings: typeof LMM_OPTIMIZER, evaluations: Evaluations, fromStartOnly = false) {
  const backend = new CpuBackend(formGramCpu(sub.rows), sub.theta.length);
  const opt = await optimizeObjective({ ...lmmObjective(sub, backend, backend), start, ...(fromStartOnly ? { startCandidates: undefined } : {}) }, settings, evaluations);
  const x = Float64Array.from(opt.x);
  backend.chol.factor(x);
  return { opt, x, solution: solveLmm(backend.chol, sub.frame.n, sub.reml) };
}

/** The jackknife of a GLMM's statistics: `refit(model without level i)` for each level of block k. */
export function jackknifeGlmm(
  model: GlmmModel, k: number, refit: (m: GlmmModel) => Promise<Float64Array>, signal?: AbortSignal,
): Promise<Jackknife> {
  return jackknifeLevels(model, k, glmmOnRows, refit, signal);
}
