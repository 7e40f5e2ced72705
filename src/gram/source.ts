/**
 * A Gram source: the one place where rows become A = [Z X y]ᵀ W [Z X y] (src/model/gram.ts) and
 * the model's shape (levels, columns, the fixed-effects transform). Implementations: the in-memory
 * Arrow table (src/model/fitLmm.ts's path), streamed record batches (./stream/), an SQL engine (./sql/).
 */
import type { AssembledGram } from './assemble.js';
import type { FrameSpec } from './frameSpec.js';
import type { FrameSummary } from './moments.js';
import type { QueryTiming } from './sql/engine.js';

export type { QueryTiming } from './sql/engine.js';

export interface GramSourceResult extends AssembledGram {
  /** 'duckdb', 'clickhouse', 'stream' */
  engine: string;
  spec: FrameSpec;
  summary: FrameSummary;
  /** input rows read over all passes */
  rowsScanned: number;
  /** each query or pass with its time */
  queries: QueryTiming[];
}
