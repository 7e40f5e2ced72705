/**
 * Apache Arrow helpers (browser-safe): reading Arrow IPC bytes and building the two column kinds the
 * rest of the package works with, directly from typed arrays (no per-row JS objects):
 *
 *  - numeric columns: `Float64` (nullable), and
 *  - factor columns: `Dictionary<Utf8, Int32>` (nullable), the dictionary holding the levels.
 */
import * as arrow from 'apache-arrow';
import { DataError, OptionError, showValue } from '../errors/errors.js';

/** The Arrow type used for factor columns. A fresh dictionary id is allocated per call. */
export function factorType(): arrow.Dictionary<arrow.Utf8, arrow.Int32> {
  return new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32());
}

/** Count the cleared (null) bits among the first `length` bits of an Arrow validity bitmap (LSB order). */
export function countNulls(validity: Uint8Array, length: number): number {
  let valid = 0;
  const fullBytes = length >> 3;
  for (let i = 0; i < fullBytes; i++) valid += POPCOUNT[validity[i]!]!;
  for (let i = fullBytes << 3; i < length; i++) valid += (validity[i >> 3]! >> (i & 7)) & 1;
  return length - valid;
}

const POPCOUNT = (() => {
  const t = new Uint8Array(256);
  for (let i = 1; i < 256; i++) t[i] = (i & 1) + t[i >> 1]!;
  return t;
})();

/** A non-null `Utf8` vector of the given strings, built from one UTF-8 buffer and an offsets array. */
export function makeUtf8Vector(strings: readonly string[]): arrow.Vector<arrow.Utf8> {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = new Array(strings.length);
  const offsets = new Int32Array(strings.length + 1);
  let total = 0;
  for (let i = 0; i < strings.length; i++) {
    const b = enc.encode(strings[i]!);
    parts[i] = b;
    total += b.length;
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < parts.length; i++) data.set(parts[i]!, offsets[i]!);
  return arrow.makeVector(
    arrow.makeData({ type: new arrow.Utf8(), length: strings.length, nullCount: 0, valueOffsets: offsets, data }),
  );
}

/**
 * A `Float64` vector over `values` (not copied). `validity` is an optional Arrow validity bitmap
 * (bit i set = row i present, LSB first); omit it when there are no nulls.
 */
export function makeFloat64Vector(values: Float64Array, validity?: Uint8Array, nullCount?: number): arrow.Vector<arrow.Float64> {
  const length = values.length;
  const nc = validity ? (nullCount ?? countNulls(validity, length)) : 0;
  return arrow.makeVector(
    arrow.makeData({
      type: new arrow.Float64(),
      length,
      nullCount: nc,
      data: values,
      ...(nc > 0 && validity ? { nullBitmap: validity } : {}),
    }),
  );
}

/**
 * A factor column: `Dictionary<Utf8, Int32>` whose indices are `indices` (not copied) into `levels`.
 * `validity` is an optional Arrow validity bitmap (omit when there are no nulls); indices under null
 * slots must still be in range (0 is fine).
 */
export function makeFactorVector(
  indices: Int32Array,
  levels: readonly string[],
  validity?: Uint8Array,
  nullCount?: number,
): arrow.Vector<arrow.Dictionary<arrow.Utf8, arrow.Int32>> {
  const length = indices.length;
  const nc = validity ? (nullCount ?? countNulls(validity, length)) : 0;
  return arrow.makeVector(
    arrow.makeData({
      type: factorType(),
      length,
      nullCount: nc,
      data: indices,
      dictionary: makeUtf8Vector(levels),
      ...(nc > 0 && validity ? { nullBitmap: validity } : {}),
    }),
  );
}

/**
 * Assemble a Table from named vectors, keeping the given column order (an object literal would put
 * integer-like names such as "2020" first). Single-chunk vectors become one record batch; where a
 * vector has several chunks (a column of a multi-batch Arrow file), Arrow's Table splits the columns
 * into batches at every chunk boundary (the schema keeps the order).
 */
export function tableFromColumns(columns: ReadonlyArray<readonly [string, arrow.Vector]>): arrow.Table {
  if (columns.length === 0) return new arrow.Table();
  const length = columns[0]![1].length;
  const fields = columns.map(([name, v]) => new arrow.Field(name, v.type, true));
  const schema = new arrow.Schema(fields);
  for (const [name, v] of columns) {
    if (v.length !== length) throw new Error(`column "${name}" has ${v.length} rows, expected ${length}`);
  }
  if (columns.some(([, v]) => v.data.length !== 1)) {
    return new arrow.Table(schema, Object.fromEntries(columns.map(([name, v]) => [name, v])));
  }
  const children = columns.map(([, v]) => v.data[0]!);
  const struct = arrow.makeData({ type: new arrow.Struct(fields), length, nullCount: 0, children });
  return new arrow.Table(schema, [new arrow.RecordBatch(schema, struct)]);
}

const MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]; // "ARROW1"

function hasMagicAt(bytes: Uint8Array, at: number): boolean {
  if (at < 0 || at + MAGIC.length > bytes.length) return false;
  return MAGIC.every((b, k) => bytes[at + k] === b);
}

/**
 * Read an Arrow IPC buffer (file format, i.e. `.arrow`/Feather v2, or stream format) into a Table.
 * A DataError for empty input, input that is not Arrow IPC, and a file cut short (the file format
 * ends with the magic `ARROW1`; any reader failure is reported as truncated or not Arrow IPC).
 */
export function readArrowIpc(bytes: Uint8Array): arrow.Table {
  if (!(bytes instanceof Uint8Array)) throw new OptionError('bytes', `readArrowIpc: the input must be a Uint8Array of Arrow IPC bytes, not ${showValue(bytes)}`);
  if (bytes.length === 0) throw new DataError('Arrow IPC input is empty');
  const isFile = hasMagicAt(bytes, 0);
  const isStream = bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xff && bytes[2] === 0xff && bytes[3] === 0xff;
  if (!isFile && !isStream) {
    const head = Array.from(bytes.subarray(0, 8), (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    throw new DataError(`not Arrow IPC: the data (${bytes.length} bytes) start with "${head}", not the Arrow file magic ARROW1 or a stream message`);
  }
  if (isFile && !hasMagicAt(bytes, bytes.length - MAGIC.length)) {
    throw new DataError(`the Arrow IPC file is truncated: its ${bytes.length} bytes do not end with the magic ARROW1 that closes an Arrow file`);
  }
  let table: arrow.Table;
  try {
    table = arrow.tableFromIPC(bytes);
  } catch (e) {
    throw new DataError(`the Arrow IPC data (${bytes.length} bytes) are truncated or not Arrow IPC (${(e as Error).message})`);
  }
  if (table.schema.fields.length === 0) {
    throw new DataError('Arrow IPC data has no columns (not an Arrow IPC file/stream, or an empty schema)');
  }
  return table;
}
