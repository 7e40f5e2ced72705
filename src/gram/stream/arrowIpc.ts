/**
 * An Arrow IPC stream (or file) read record batch by record batch (apache-arrow's RecordBatchReader
 * over a byte stream), each batch typed as the in-memory frame reads an Arrow table
 * (src/frame/columns.ts columnFromArrow). Browser-safe: the caller opens the bytes (a Blob's
 * stream(), a Node read stream), once per pass.
 */
import * as arrow from 'apache-arrow';
import { columnFromArrow } from '../../frame/columns.js';
import { LEVEL_ORDER_KEY } from '../../io/csvColumn.js';
import type { ColumnKind, ColumnSchema } from '../frameSpec.js';
import { type Batch, type BatchSource, type BatchValues, fromRow, rebatch } from './batch.js';

/** Something apache-arrow can read an IPC stream from. */
export type ArrowBytes = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> | NodeJS.ReadableStream;

export function arrowKind(type: arrow.DataType): ColumnKind {
  if (arrow.DataType.isBool(type)) return 'bool';
  if (arrow.DataType.isInt(type) || arrow.DataType.isFloat(type) || arrow.DataType.isDecimal(type)) return 'numeric';
  return 'text';
}

export class ArrowBatchSource implements BatchSource {
  constructor(private readonly open: () => ArrowBytes, readonly name: string) {}

  private async reader(): Promise<arrow.RecordBatchReader> {
    try {
      const r = await arrow.RecordBatchReader.from(this.open() as AsyncIterable<Uint8Array>);
      return await r.open();
    } catch (e) {
      throw new Error(`${this.name}: not a valid Arrow IPC stream or file (${(e as Error).message})`);
    }
  }

  async schema(): Promise<ColumnSchema> {
    const r = await this.reader();
    const out = new Map<string, ColumnKind>(r.schema.fields.map((f: arrow.Field) => [f.name, arrowKind(f.type)] as const));
    await r.cancel();
    return out;
  }

  /** 'C' where a text field carries readCsv's C-order mark (as the in-memory frame reads it: columns.ts columnFromArrow) */
  async levelOrder(): Promise<'C' | 'locale'> {
    const r = await this.reader();
    const c = r.schema.fields.some((f: arrow.Field) => arrowKind(f.type) === 'text' && f.metadata.get(LEVEL_ORDER_KEY) === 'C');
    await r.cancel();
    return c ? 'C' : 'locale';
  }

  batches(columns: string[], batchSize: number): AsyncIterable<Batch> {
    return rebatch(this.records(columns), batchSize);
  }

  /** the rows from `from` on: the record batches before it are not converted */
  batchesFrom(columns: string[], batchSize: number, from: number): AsyncIterable<Batch> {
    return rebatch(fromRow(this.records(columns, from), from), batchSize);
  }

  /** the record batches in order, those that end at or before row `skipTo` as empty placeholders (not converted) */
  private async *records(columns: string[], skipTo = 0): AsyncIterable<Batch> {
    const r = await this.reader();
    let start = 0;
    for await (const rb of r) {
      start += rb.numRows;
      if (start <= skipTo) { yield { n: rb.numRows, columns: new Map() }; continue; }
      const table = new arrow.Table(rb);
      const cols = new Map<string, BatchValues>();
      for (const name of columns) {
        const c = columnFromArrow(table, name);
        cols.set(name, c.kind === 'numeric' ? c.values : Array.from(c.codes, (k) => (k < 0 ? null : c.levels[k])));
      }
      yield { n: rb.numRows, columns: cols };
    }
  }
}
