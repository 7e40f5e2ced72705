/**
 * Record batches: a table read a slice of rows at a time, never whole. A batch holds the columns a
 * model reads: numeric columns as float64 (NaN: missing), text and boolean columns as keys (strings;
 * 'TRUE'/'FALSE' for booleans; null: missing), typed as the in-memory readers type them
 * (src/io/csv.ts, parquet.ts, arrow.ts). Browser-safe.
 */
import type { ColumnSchema } from '../frameSpec.js';

/** A column of a batch: numbers, or the keys of a text or boolean column. */
export type BatchValues = Float64Array | (string | null)[];

export interface Batch {
  /** rows in the batch */
  n: number;
  columns: Map<string, BatchValues>;
}

/** A table that can be read in batches, once per pass. */
export interface BatchSource {
  /** the file as the user named it */
  readonly name: string;
  /** the columns and their kinds */
  schema(): Promise<ColumnSchema>;
  /** the rows in order, in batches of at most `batchSize` rows, with the named columns only */
  batches(columns: string[], batchSize: number): AsyncIterable<Batch>;
  /**
   * the rows from row `from` on (a row where a batch of `batches` starts), in the batches `batches`
   * gives them in, skipping the rows before without decoding them where the format allows (a
   * Parquet file's row groups, an Arrow stream's record batches); ./batchCache.ts reads the rows
   * after the kept batches so
   */
  batchesFrom?(columns: string[], batchSize: number, from: number): AsyncIterable<Batch>;
  /**
   * the order of text levels the file marks (an Arrow IPC file of a table read with readCsv's
   * `levelOrder: 'C'`: its fields' `mixedgpu.levelOrder` metadata), where it can mark one
   */
  levelOrder?(): Promise<'C' | 'locale'>;
}

/** Bytes that can be read by range: hyparquet's AsyncBuffer (a File, a Blob, a file handle in Node). */
export interface ByteSource {
  byteLength: number;
  slice(start: number, end?: number): ArrayBuffer | Promise<ArrayBuffer>;
}

/** A Blob or File (browser) as a byte source. */
export function blobSource(blob: Blob): ByteSource {
  return { byteLength: blob.size, slice: (start, end) => blob.slice(start, end).arrayBuffer() };
}

/** Rows [from, to) of a batch. */
export function sliceBatch(b: Batch, from: number, to: number): Batch {
  const columns = new Map<string, BatchValues>();
  for (const [k, v] of b.columns) columns.set(k, v instanceof Float64Array ? v.subarray(from, to) : v.slice(from, to));
  return { n: to - from, columns };
}

/**
 * The rows from row `from` on of a stream of batches, as it would be split by rebatch(·, size):
 * batches that end before `from` are dropped, the one across it is cut at `from` (a row where a
 * batch of the split stream starts, so the split batches after it are the same).
 */
export async function* fromRow(batches: AsyncIterable<Batch>, from: number): AsyncIterable<Batch> {
  let start = 0;
  for await (const b of batches) {
    const end = start + b.n;
    if (end > from) yield start >= from ? b : sliceBatch(b, from - start, b.n);
    start = end;
  }
}

/** Splits a stream of batches of any size into batches of at most `size` rows. */
export async function* rebatch(batches: AsyncIterable<Batch>, size: number): AsyncIterable<Batch> {
  for await (const b of batches) {
    if (b.n <= size) { if (b.n > 0) yield b; continue; }
    for (let from = 0; from < b.n; from += size) yield sliceBatch(b, from, Math.min(b.n, from + size));
  }
}
