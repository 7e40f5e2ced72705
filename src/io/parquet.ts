/**
 * Parquet → Apache Arrow table with the same column typing as the CSV reader: numeric columns become
 * nullable Float64, strings and booleans factors (Dictionary<Utf8, Int32>, levels in R's order).
 * Column chunks are written straight into typed arrays (hyparquet, with its compressors); nested
 * columns are skipped with a warning. Browser-safe.
 */
import { DataError, OptionError, showValue } from '../errors/errors.js';
import type * as arrow from 'apache-arrow';
import { parquetMetadata, parquetRead } from 'hyparquet';
import type { ColumnData, FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { makeFactorVector, makeFloat64Vector, tableFromColumns } from './arrow.js';

/** Parquet bytes → Arrow table: numbers to Float64 (nullable), strings and booleans to factors. */
export async function readParquet(buffer: ArrayBuffer): Promise<{ table: arrow.Table; warnings: string[] }> {
  if (!(buffer instanceof ArrayBuffer)) throw new OptionError('buffer', `readParquet: the input must be an ArrayBuffer of Parquet bytes, not ${showValue(buffer)}`);
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(buffer);
  } catch (e) {
    throw new DataError(`not a valid Parquet file (${(e as Error).message})`);
  }
  const n = Number(metadata.num_rows);
  // flat columns: the root's direct children without children of their own
  const root = metadata.schema[0];
  const names: string[] = [];
  const skipped: string[] = [];
  let i = 1;
  for (let c = 0; c < (root?.num_children ?? 0); c++) {
    const el = metadata.schema[i];
    if (!el) break;
    if ((el.num_children ?? 0) > 0) {
      skipped.push(el.name);
      i = skipSubtree(metadata, i);
    } else {
      names.push(el.name);
      i++;
    }
  }
  if (names.length === 0) throw new DataError('the Parquet file has no flat (non-nested) columns');
  const builders = new Map(names.map((nm) => [nm, new ParquetColumn(n)] as const));
  await parquetRead({
    file: buffer,
    metadata,
    columns: names,
    compressors,
    onChunk: (chunk: ColumnData) => {
      builders.get(chunk.columnName)?.put(chunk.rowStart, chunk.columnData as ArrayLike<unknown>);
    },
  });
  const table = tableFromColumns(names.map((nm) => [nm, builders.get(nm)!.finish()] as const));
  const warnings = skipped.length > 0 ? [`Parquet: nested columns skipped: ${skipped.join(', ')}`] : [];
  return { table, warnings };
}

function skipSubtree(metadata: FileMetaData, i: number): number {
  const el = metadata.schema[i]!;
  let next = i + 1;
  for (let c = 0; c < (el.num_children ?? 0); c++) next = skipSubtree(metadata, next);
  return next;
}

class ParquetColumn {
  private kind: 'unknown' | 'numeric' | 'text' = 'unknown';
  private values: Float64Array | null = null;
  private codes: Int32Array | null = null;
  private levels = new Map<string, number>();
  private validity: Uint8Array;
  private nulls = 0;
  constructor(private readonly n: number) {
    this.validity = new Uint8Array((n + 7) >> 3);
  }

  put(start: number, data: ArrayLike<unknown>): void {
    const len = Math.min(data.length, this.n - start);
    if (this.kind === 'unknown') {
      for (let k = 0; k < len; k++) {
        const v = data[k];
        if (v === null || v === undefined) continue;
        this.kind = typeof v === 'number' || typeof v === 'bigint' ? 'numeric' : 'text';
        if (this.kind === 'numeric') this.values = new Float64Array(this.n).fill(NaN);
        else this.codes = new Int32Array(this.n);
        break;
      }
      if (this.kind === 'unknown') return;
    }
    const valid = this.validity;
    if (this.kind === 'numeric') {
      const out = this.values!;
      if (data instanceof Float64Array || data instanceof Float32Array || data instanceof Int32Array || data instanceof Uint32Array) {
        for (let k = 0; k < len; k++) {
          const r = start + k;
          out[r] = data[k]!;
          valid[r >> 3]! |= 1 << (r & 7);
        }
        return;
      }
      for (let k = 0; k < len; k++) {
        const v = data[k];
        if (v === null || v === undefined) continue;
        const r = start + k;
        const x = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : Number(v as string);
        if (Number.isNaN(x)) continue;
        out[r] = x;
        valid[r >> 3]! |= 1 << (r & 7);
      }
      return;
    }
    const codes = this.codes!;
    let last = '';
    let lastCode = -1;
    for (let k = 0; k < len; k++) {
      const v = data[k];
      if (v === null || v === undefined) continue;
      const s = typeof v === 'string' ? v : typeof v === 'boolean' ? (v ? 'TRUE' : 'FALSE') : v instanceof Date ? v.toISOString() : String(v);
      let c: number;
      if (s === last) c = lastCode;
      else {
        const got = this.levels.get(s);
        c = got ?? this.levels.size;
        if (got === undefined) this.levels.set(s, c);
        last = s;
        lastCode = c;
      }
      const r = start + k;
      codes[r] = c;
      valid[r >> 3]! |= 1 << (r & 7);
    }
  }

  finish(): arrow.Vector {
    const n = this.n;
    let valid = 0;
    for (let r = 0; r < n; r++) valid += (this.validity[r >> 3]! >> (r & 7)) & 1;
    this.nulls = n - valid;
    if (this.kind !== 'text') {
      const values = this.values ?? new Float64Array(n).fill(NaN);
      return makeFloat64Vector(values, this.nulls > 0 ? this.validity : undefined, this.nulls);
    }
    // levels in R's order (locale collation); remap codes
    const byCode = [...this.levels.keys()];
    const sorted = byCode.slice().sort(collator.compare);
    const pos = new Map(sorted.map((s, k) => [s, k] as const));
    const perm = Int32Array.from(byCode, (s) => pos.get(s)!);
    const codes = this.codes!;
    for (let r = 0; r < n; r++) codes[r] = (this.validity[r >> 3]! >> (r & 7)) & 1 ? perm[codes[r]!]! : 0;
    return makeFactorVector(codes, sorted, this.nulls > 0 ? this.validity : undefined, this.nulls);
  }
}

const collator = new Intl.Collator('en-US', { sensitivity: 'variant' });
