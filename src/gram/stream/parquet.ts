/**
 * A Parquet file read one row group at a time (hyparquet over a byte source: a File in the browser,
 * a file handle in Node), so memory holds one row group's used columns, not the table. Column kinds
 * as src/io/parquet.ts reads them: numbers numeric, strings and booleans factors ('TRUE'/'FALSE'),
 * dates and timestamps text.
 */
import { parquetMetadataAsync, parquetRead } from 'hyparquet';
import type { ColumnData, FileMetaData, SchemaElement } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { ColumnKind, ColumnSchema } from '../frameSpec.js';
import { type Batch, type BatchSource, type BatchValues, type ByteSource, fromRow, rebatch } from './batch.js';

/** How the in-memory Parquet reader types a flat column (by the values hyparquet decodes it to). */
export function parquetKind(el: SchemaElement): ColumnKind {
  const logical = (el.logical_type as { type?: string } | undefined)?.type;
  const conv = el.converted_type;
  if (el.type === 'BOOLEAN') return 'bool';
  if (conv === 'DECIMAL' || logical === 'DECIMAL') return 'numeric';
  if (el.type === 'BYTE_ARRAY' || el.type === 'FIXED_LEN_BYTE_ARRAY') return 'text';
  if (el.type === 'INT96') return 'text';
  if (conv === 'DATE' || (conv && /^(TIMESTAMP|TIME)_/.test(conv)) || logical === 'DATE' || logical === 'TIMESTAMP' || logical === 'TIME') return 'text';
  return 'numeric';
}

export class ParquetBatchSource implements BatchSource {
  private metadata: FileMetaData | null = null;

  constructor(private readonly file: ByteSource, readonly name: string) {}

  private async meta(): Promise<FileMetaData> {
    if (!this.metadata) {
      try {
        this.metadata = await parquetMetadataAsync(this.file);
      } catch (e) {
        throw new Error(`${this.name}: not a valid Parquet file (${(e as Error).message})`);
      }
    }
    return this.metadata;
  }

  async schema(): Promise<ColumnSchema> {
    const md = await this.meta();
    const out = new Map<string, ColumnKind>();
    const root = md.schema[0];
    let i = 1;
    for (let c = 0; c < (root?.num_children ?? 0); c++) {
      const el = md.schema[i];
      if (!el) break;
      if ((el.num_children ?? 0) > 0) {
        // a nested column: skipped, as the in-memory reader does
        i = skipSubtree(md, i);
        continue;
      }
      out.set(el.name, parquetKind(el));
      i++;
    }
    return out;
  }

  batches(columns: string[], batchSize: number): AsyncIterable<Batch> {
    return rebatch(this.rowGroups(columns), batchSize);
  }

  /** the rows from `from` on: the row groups before it are not read */
  batchesFrom(columns: string[], batchSize: number, from: number): AsyncIterable<Batch> {
    return rebatch(fromRow(this.rowGroups(columns, from), from), batchSize);
  }

  /** the row groups in order, those that end at or before row `skipTo` as empty placeholders (not read) */
  private async *rowGroups(columns: string[], skipTo = 0): AsyncIterable<Batch> {
    const md = await this.meta();
    const kinds = await this.schema();
    let start = 0;
    for (const rg of md.row_groups) {
      const n = Number(rg.num_rows);
      const end = start + n;
      if (end <= skipTo) { yield { n, columns: new Map() }; start = end; continue; }
      const cols = new Map<string, BatchValues>();
      for (const c of columns) cols.set(c, kinds.get(c) === 'numeric' ? new Float64Array(n).fill(NaN) : new Array<string | null>(n).fill(null));
      await parquetRead({
        file: this.file,
        metadata: md,
        columns,
        rowStart: start,
        rowEnd: end,
        compressors,
        onChunk: (chunk: ColumnData) => put(cols.get(chunk.columnName), chunk, start, end),
      });
      yield { n, columns: cols };
      start = end;
    }
  }
}

/** Copies the part of a decoded chunk inside rows [start, end) into a row group's column. */
function put(out: BatchValues | undefined, chunk: ColumnData, start: number, end: number): void {
  if (!out) return;
  const data = chunk.columnData as ArrayLike<unknown>;
  const from = Math.max(start, chunk.rowStart);
  const to = Math.min(end, chunk.rowStart + data.length);
  if (out instanceof Float64Array) {
    for (let r = from; r < to; r++) {
      const v = data[r - chunk.rowStart];
      out[r - start] = v === null || v === undefined ? NaN : typeof v === 'number' ? v : Number(v as bigint);
    }
    return;
  }
  for (let r = from; r < to; r++) {
    const v = data[r - chunk.rowStart];
    out[r - start] = v === null || v === undefined ? null
      : typeof v === 'string' ? v
        : typeof v === 'boolean' ? (v ? 'TRUE' : 'FALSE')
          : v instanceof Date ? v.toISOString() : String(v);
  }
}

function skipSubtree(md: FileMetaData, i: number): number {
  const el = md.schema[i]!;
  let next = i + 1;
  for (let c = 0; c < (el.num_children ?? 0); c++) next = skipSubtree(md, next);
  return next;
}
