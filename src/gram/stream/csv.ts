/**
 * A CSV (or TSV) file read in chunks of bytes, parsed record by record (papaparse on whole records:
 * a chunk is cut after the last line end outside quotes), typed as src/io/csv.ts types the whole
 * file: a column is numeric when every non-missing field is a number, else a factor. The typing
 * needs every row, so a CSV source reads the file once more than a Parquet or Arrow source.
 * Browser-safe (a File's bytes by range).
 */
import Papa from 'papaparse';
import { csvFieldNumber, csvFieldText } from '../../io/csv.js';
import type { ColumnKind, ColumnSchema } from '../frameSpec.js';
import type { Batch, BatchSource, BatchValues, ByteSource } from './batch.js';

const CHUNK_BYTES = 8 << 20;

export class CsvBatchSource implements BatchSource {
  private kinds: ColumnSchema | null = null;
  private header: string[] | null = null;

  constructor(private readonly bytes: ByteSource, readonly name: string, private readonly delimiter = ',') {}

  /** The data records in chunks (the header row is kept in `this.header`). */
  private async *records(): AsyncIterable<string[][]> {
    const decoder = new TextDecoder('utf-8');
    let pending = '';
    let first = true;
    let line = 1;
    const parse = (text: string): string[][] => {
      const res = Papa.parse<string[]>(text, { delimiter: this.delimiter, header: false, dynamicTyping: false, skipEmptyLines: true, fastMode: false });
      const bad = res.errors.find((e) => e.code === 'MissingQuotes');
      if (bad) throw new Error(`${this.name}: quoted field is not terminated (near line ${line + (bad.row ?? 0)})`);
      let rows = res.data;
      if (first) {
        if (rows.length === 0) return [];
        first = false;
        const header = rows[0].map((h, j) => (j === 0 ? h.replace(/^\uFEFF/, '') : h));
        const seen = new Set<string>();
        header.forEach((h, j) => {
          if (h.trim() === '') throw new Error(`${this.name}: CSV column ${j + 1} has an empty name`);
          if (seen.has(h)) throw new Error(`${this.name}: CSV header has duplicate column name "${h}"`);
          seen.add(h);
        });
        this.header = header;
        rows = rows.slice(1);
      }
      const ncol = this.header!.length;
      for (const r of rows) {
        if (r.length !== ncol) throw new Error(`${this.name}: a CSV row near line ${line} has ${r.length} field${r.length === 1 ? '' : 's'}, but the header has ${ncol}`);
      }
      line += rows.length;
      return rows;
    };
    for (let off = 0; off < this.bytes.byteLength; off += CHUNK_BYTES) {
      const buf = await this.bytes.slice(off, Math.min(this.bytes.byteLength, off + CHUNK_BYTES));
      const text = pending + decoder.decode(new Uint8Array(buf), { stream: true });
      // the last line end outside quotes ("" inside a quoted field toggles twice)
      let inQuote = false;
      let cut = -1;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 34) inQuote = !inQuote;
        else if (c === 10 && !inQuote) cut = i;
      }
      if (cut < 0) { pending = text; continue; }
      pending = text.slice(cut + 1);
      const rows = parse(text.slice(0, cut + 1));
      if (rows.length) yield rows;
    }
    pending += decoder.decode();
    if (pending.trim().length) {
      const rows = parse(pending);
      if (rows.length) yield rows;
    }
    if (first) throw new Error(`${this.name}: the CSV file is empty: expected a header row with column names`);
  }

  async schema(): Promise<ColumnSchema> {
    if (this.kinds) return this.kinds;
    let numeric: boolean[] | null = null;
    let rows = 0;
    for await (const chunk of this.records()) {
      numeric ??= this.header!.map(() => true);
      for (const r of chunk) {
        for (let j = 0; j < r.length; j++) if (numeric[j] && csvFieldNumber(r[j]) === undefined) numeric[j] = false;
      }
      rows += chunk.length;
    }
    if (!this.header || rows === 0) throw new Error(`${this.name}: the CSV file has a header but no data rows`);
    const flags = numeric ?? this.header.map(() => true);
    this.kinds = new Map(this.header.map((h, j) => [h, (flags[j] ? 'numeric' : 'text') as ColumnKind] as const));
    return this.kinds;
  }

  async *batches(columns: string[], batchSize: number): AsyncIterable<Batch> {
    const kinds = await this.schema();
    let idx: number[] | null = null;
    let buf: string[][] = [];
    const make = (rows: string[][]): Batch => {
      const cols = new Map<string, BatchValues>();
      columns.forEach((name, c) => {
        const j = idx![c];
        if (kinds.get(name) === 'numeric') {
          cols.set(name, Float64Array.from(rows, (r) => csvFieldNumber(r[j]) ?? NaN));
        } else {
          cols.set(name, rows.map((r) => csvFieldText(r[j])));
        }
      });
      return { n: rows.length, columns: cols };
    };
    for await (const chunk of this.records()) {
      idx ??= columns.map((c) => this.header!.indexOf(c));
      for (const r of chunk) {
        buf.push(r);
        if (buf.length === batchSize) { yield make(buf); buf = []; }
      }
    }
    if (buf.length) yield make(buf);
  }
}
