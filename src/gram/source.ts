/**
 * A Gram source: the one place where rows become A = [Z X y]ᵀ W [Z X y] (src/model/gram.ts) and
 * the model's shape (levels, columns, the fixed-effects transform). Implementations: the in-memory
 * Arrow table (src/model/fitLmm.ts's path), streamed record batches (./stream/), an SQL engine (./sql/).
 */
import type { AssembledGram } from './assemble.js';
import type { FrameSpec } from './frameSpec.js';
import type { FrameSummary } from './moments.js';
import type { CellCounts, CovariateSummary } from '../frame/covariates.js';

/** How long a query took and how many rows it returned. */
export interface QueryTiming {
  stage: string;
  ms: number;
  rows: number;
}

/** An engine's failure, with the stage of the fit it happened in: `engine: stage: cause`. */
export class EngineError extends Error {
  constructor(readonly engine: string, readonly stage: string, cause: unknown) {
    super(`${engine}: ${stage}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'EngineError';
  }
}

/** Runs a step of a fit, naming the engine and the stage in any error it throws. */
export async function inStage<T>(engine: string, stage: string, step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    if (e instanceof EngineError || (e as Error)?.name === 'AbortError') throw e;
    throw new EngineError(engine, stage, e);
  }
}

export interface GramSourceResult extends AssembledGram {
  /** 'duckdb', 'clickhouse', 'stream' */
  engine: string;
  spec: FrameSpec;
  summary: FrameSummary;
  /**
   * input rows read from the source over all passes and queries: an SQL engine's, each query's scan
   * (nInput per query); the stream's, the rows the file handed out (batches replayed from the cache
   * between passes, cacheBytes, are not read again: ./stream/batchCache.ts)
   */
  rowsScanned: number;
  /**
   * the stream's rows replayed from its cache instead of read (rowsScanned + rowsReplayed: the rows
   * the passes processed, less any read and dropped by a source that cannot skip); absent (0) for
   * the SQL engines, whose every query scans
   */
  rowsReplayed?: number;
  /** each query or pass with its time */
  queries: QueryTiming[];
  /**
   * SQL engines: per numeric factor column, the raw values whose level key differs (doubles with
   * one 15-digit label, levels.ts numericLevelKey), raw → key; the residual queries map them so
   */
  keyAliases?: ReadonlyMap<string, ReadonlyMap<number, number>>;
  /** what emmeans's reference grid reads of the rows, from the first pass (./gridCells.ts) */
  grid?: { covariates: Map<string, CovariateSummary>; cellCounts: CellCounts };
}

/** The estimates that post-fit passes (fitted values, residuals) need, on the model's scale. */
export interface FitValues {
  /** β̂ in the order of the summary's X columns */
  beta: Float64Array;
  /** b̂ per random-effects block (the blocks' order): level-major nl × q, uncentred */
  b: Float64Array[];
  sigma: number;
}
