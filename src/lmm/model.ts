/**
 * A linear mixed model: the mixed model (src/model/mixedModel.ts, θ centred as reparam.ts says)
 * plus REML or ML and the rows [Z X y] its Gram matrix A is formed from: Z M, the centred X and
 * y − offset − X_c β₀ of the fixed-effects transform, each row scaled by √w_i for prior weights.
 */
import type * as arrow from 'apache-arrow';
import type { Formula } from '../formula/types.js';
import type { UsedRowsScan } from '../frame/covariates.js';
import { type ModelFrame, type ModelFrameOptions, buildModelFrame } from '../frame/modelFrame.js';
import type { GramInput, GramMatrix } from '../linalg/gram.js';
import { FRAME_CHUNK, rowFloat64, rowJobs } from '../linalg/rowChunks.js';
import { type RowArrays, registerRowKernel, sharedFloat64 } from '../linalg/rowThreads.js';
import type { ColumnSquares } from './thetaProblem.js';
import { type MixedModel, type RelmatOptions, buildMixedModel, mixedFormula } from '../model/mixedModel.js';

/**
 * Where the rows are when A came from elsewhere (#14: an SQL engine, a stream of record batches,
 * src/gram/): the model then holds no rows (its frame's arrays are empty), and what the fit would
 * have computed from them comes from the source.
 */
export interface RowSource {
  /** 'duckdb', 'clickhouse', 'stream' */
  engine: string;
  /** the file, glob or table as the user named it */
  name: string;
  /** input rows read from the source over all passes (src/gram/source.ts GramSourceResult.rowsScanned) */
  rowsScanned: number;
  /** the stream's rows replayed from its cache between passes, not read again (absent: none; SQL engines) */
  rowsReplayed?: number;
  /** each query or pass with its time */
  queries: { stage: string; ms: number; rows: number }[];
  /** Σ (y − ȳ)² of the response: the scale of the exact-fit check (assemble.ts) */
  responseSS: number;
  /** per block column: Σ (Z M)_s² and the count over rows where Z_s ≠ 0 (thetaProblem.ts) */
  zSquares: ColumnSquares[];
  /**
   * A = [Z X y]ᵀ[Z X y] as the source formed it (set by the fit, src/gram/fit.ts): inference that needs
   * only A (the ddf methods, anova's hypotheses from A's XᵀX block, profiles, ML refits) works from it.
   * It holds A, never rows; not enumerable, so that copies and JSON of the source leave it out.
   */
  gram?: GramMatrix;
  /**
   * Scans over the rows the fit used, set by the engines' fits (src/gram/usedRows.ts): what ggeffects's
   * default values of a covariate read (its distinct values, sd, quantiles). Not enumerable, like gram.
   */
  usedRows?: UsedRowsScan;
}

export interface LmmModelOptions extends ModelFrameOptions, RelmatOptions {
  /** REML (default, as lme4) or maximum likelihood */
  REML?: boolean;
  /**
   * also start the optimizer from moment estimates (src/lmm/momentStart.ts; default true); a fit
   * whose rows are in an engine or a file has none (they backfit over the rows)
   */
  momentStart?: boolean;
}

/** The model structure shared by the objective and the results. */
export interface LmmModel extends MixedModel {
  reml: boolean;
  /** Σ log w_i of the prior weights (0 without weights): the criteria gain −Σ log w_i */
  sumLogW: number;
  /**
   * the rows the backends form A = [Z X y]ᵀ[Z X y] from: the internal blocks' Z M, the centred X and
   * y − Xβ₀ of the fixed-effects transform; with prior weights, every row scaled by √w_i
   */
  rows: GramInput;
  /** set when A came from an SQL engine or a stream (src/gram/): the rows are there, not here */
  source?: RowSource;
  /**
   * the scale Σ (y − ȳ)² of the rows' own response, where it is not frame.y's (nlme's lme: the rows
   * whitened by R⁻¹ᐟ², src/nlme): the exact-fit check judges pwrss against it (src/lmm/assemble.ts)
   */
  rowsResponseSS?: number;
  /** false: the optimizer starts from lme4's start only (no moment estimates) */
  momentStart?: boolean;
}

/** Stage: formula text + data → model (frame, random blocks, θ layout, the rows of A). */
export function buildLmm(formula: string | Formula, data: arrow.Table, options: LmmModelOptions = {}): LmmModel {
  const f = mixedFormula(formula, data);
  const relmatGroups = Object.keys(options.relmat ?? {});
  // the caller's known-covariance groups and relmat's
  const frame = buildModelFrame(f, data, { ...options, knownCovarianceGroups: [...(options.knownCovarianceGroups ?? []), ...relmatGroups] });
  return lmmFromFrame(f, frame, options);
}

/**
 * Stage: a model frame → model (random blocks, θ layout, the rows of A); buildLmm's second half, also
 * run on a frame whose random-effects terms were changed (ranova's reduced models, src/inference/ranova.ts).
 */
export function lmmFromFrame(f: Formula, frame: ModelFrame, options: LmmModelOptions = {}): LmmModel {
  const mixed = buildMixedModel(f, frame, { factors: options.factors }, { scale: false }, options.relmat);
  const { Xc, yc } = mixed.fixed;
  const rows: GramInput = { n: frame.n, X: Xc, p: frame.p, y: yc, blocks: mixed.internalBlocks };
  const sumLogW = mixed.weights ? weightRows(mixed.weights, rows) : 0;
  return Object.assign(mixed, { reml: options.REML ?? true, sumLogW, rows, ...(options.momentStart === false ? { momentStart: false } : {}) });
}

/**
 * Prior weights (lme4's weighted LMM): the rows of X_c, y_c and each block's Z scaled by √w_i, so
 * that either backend forms the weighted Gram matrix [Z X y]ᵀ W [Z X y]. The transform's β₀ and
 * centring stay valid (any β₀ and any unit-triangular C are). New arrays: the fixed-effects
 * transform and the blocks keep the unweighted ones. Returns Σ log w_i. A row job
 * (src/linalg/rowChunks.ts): Σ log w_i per chunk of FRAME_CHUNK rows, the chunks added in order (as
 * the stream engine's exact pass adds them, src/gram/stream/exact.ts).
 */
function weightRows(w: Float64Array, rows: GramInput): number {
  const { n, p } = rows;
  const chunks = Math.max(1, Math.ceil(n / FRAME_CHUNK));
  const wParams = sharedFloat64(4 + rows.blocks.length);
  wParams.set([n, p, FRAME_CHUNK, rows.blocks.length, ...rows.blocks.map((b) => b.q)]);
  // on shared memory, as the unweighted rows
  const arrays: RowArrays = { w, X: rows.X, y: rows.y, Xw: rowFloat64(n * p, n), yw: rowFloat64(n), wLog: sharedFloat64(chunks), wParams };
  rows.blocks.forEach((blk, k) => { arrays[`Z${k}`] = blk.Z; arrays[`Zw${k}`] = rowFloat64(n * blk.q, n); });
  rowJobs(arrays, arrays).run(WEIGHT_ROWS, chunks);
  const logs = arrays.wLog as Float64Array;
  let sumLogW = logs[0];
  for (let c = 1; c < chunks; c++) sumLogW += logs[c];
  rows.X = arrays.Xw as Float64Array;
  rows.y = arrays.yw as Float64Array;
  rows.blocks = rows.blocks.map((blk, k) => ({ ...blk, Z: arrays[`Zw${k}`] as Float64Array }));
  return sumLogW;
}

/**
 * Chunk c of weightRows: on the chunk's rows, √w_i times X's columns, y and each block's Z (Z0, Z1, …)
 * into Xw, yw, Zw0, Zw1, …, and Σ log w_i into wLog[c]. wParams = [n, p, rows per chunk, blocks, q_0, q_1, …].
 */
export function weightRowsChunk(A: RowArrays, c: number): void {
  const P = A.wParams as Float64Array;
  const n = P[0], p = P[1], i0 = c * P[2], i1 = Math.min(n, i0 + P[2]);
  const w = A.w as Float64Array, X = A.X as Float64Array, Xw = A.Xw as Float64Array, y = A.y as Float64Array, yw = A.yw as Float64Array;
  let logs = 0;
  for (let i = i0; i < i1; i++) logs += Math.log(w[i]);
  (A.wLog as Float64Array)[c] = logs;
  for (let i = i0; i < i1; i++) yw[i] = y[i] * Math.sqrt(w[i]);
  for (let j = 0; j < p; j++) {
    const o = j * n;
    for (let i = i0; i < i1; i++) Xw[o + i] = X[o + i] * Math.sqrt(w[i]);
  }
  for (let k = 0; k < P[3]; k++) {
    const q = P[4 + k], Z = A[`Z${k}`] as Float64Array, Zw = A[`Zw${k}`] as Float64Array;
    for (let i = i0; i < i1; i++) {
      const sw = Math.sqrt(w[i]);
      for (let s = 0; s < q; s++) Zw[i * q + s] = Z[i * q + s] * sw;
    }
  }
}

const WEIGHT_ROWS = registerRowKernel('weightRows', weightRowsChunk);

/** The response minus the offset: the LMM's working response. */
export function workingResponse(frame: ModelFrame): Float64Array {
  if (!frame.offset) return frame.y;
  const y = new Float64Array(frame.n);
  for (let i = 0; i < frame.n; i++) y[i] = frame.y[i] - frame.offset[i];
  return y;
}
