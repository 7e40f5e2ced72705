/**
 * The data the public functions accept, as an Apache Arrow table: an Arrow `Table` (from any copy
 * of apache-arrow: recognised by its shape, not by `instanceof`), and as conveniences an array of
 * row objects (`[{ y: 1.2, g: 'a' }, …]`) or an object of columns (`{ y: [1.2, …], g: ['a', …] }`,
 * arrays or typed arrays), converted with the CSV reader's typing: numbers (and null, undefined,
 * NaN as missing) → Float64; strings → a factor (levels in R's order; null/undefined missing);
 * booleans → a factor FALSE/TRUE. A column mixing numbers and strings, or holding other values
 * (objects, dates, functions), is a DataError naming the column and the first such row.
 */
import type * as arrow from 'apache-arrow';
import { DataError, OptionError, showValue } from '../errors/errors.js';
import { makeFactorVector, makeFloat64Vector, tableFromColumns } from './arrow.js';
import { compareLocale } from './csv.js';

/** A table, an array of row objects, or an object of column arrays. */
export type DataInput =
  | arrow.Table
  | ReadonlyArray<Readonly<Record<string, unknown>>>
  | Readonly<Record<string, ArrayLike<unknown>>>;

/** True for an Arrow Table of any copy of apache-arrow (duck-typed: `getChild`, `schema.fields`, `numRows`). */
export function isArrowTable(x: unknown): x is arrow.Table {
  const t = x as { getChild?: unknown; schema?: { fields?: unknown }; numRows?: unknown } | null;
  return !!t && typeof t === 'object' && typeof t.getChild === 'function' && Array.isArray(t.schema?.fields) && typeof t.numRows === 'number';
}

/** `data` as an Arrow table; `what` names the argument in messages (`data`, `newdata`). */
export function toArrowTable(data: unknown, what = 'data'): arrow.Table {
  const allowed = 'an Apache Arrow Table, an array of row objects ([{ y: 1.5, g: "a" }, …]) or an object of column arrays ({ y: [1.5, …], g: ["a", …] })';
  if (data === null || data === undefined || typeof data !== 'object') {
    throw new OptionError(what, `${what} must be ${allowed}, not ${showValue(data)}`);
  }
  if (isArrowTable(data)) return data;
  if (Array.isArray(data)) return fromRows(data, what);
  if (ArrayBuffer.isView(data) || data instanceof ArrayBuffer || typeof (data as { then?: unknown }).then === 'function') {
    throw new OptionError(what, `${what} must be ${allowed}, not ${showValue(data)}${typeof (data as { then?: unknown }).then === 'function' ? ' (a Promise: await it first)' : ''}`);
  }
  return fromColumns(data as Record<string, unknown>, what);
}

function fromRows(rows: readonly unknown[], what: string): arrow.Table {
  if (rows.length === 0) throw new DataError(`${what} has no rows (an empty array)`);
  const names: string[] = [];
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      throw new DataError(`${what}: row ${i + 1} is ${showValue(r)}, not an object of column values`, { row: i + 1 });
    }
    for (const k of Object.keys(r)) {
      if (!seen.has(k)) {
        seen.add(k);
        names.push(k);
      }
    }
  });
  if (names.length === 0) throw new DataError(`${what}: the row objects have no columns`);
  return tableFromColumns(names.map((name) => [name, column(name, rows.length, (i) => (rows[i] as Record<string, unknown>)[name], what)] as const));
}

function fromColumns(cols: Record<string, unknown>, what: string): arrow.Table {
  const names = Object.keys(cols);
  if (names.length === 0) throw new DataError(`${what} has no columns (an empty object)`);
  let n = -1;
  let first = '';
  for (const name of names) {
    const c = cols[name];
    if (!(Array.isArray(c) || (ArrayBuffer.isView(c) && !(c instanceof DataView)))) {
      throw new DataError(`${what}: column '${name}' is ${showValue(c)}, not an array of values`, { column: name });
    }
    const len = (c as ArrayLike<unknown>).length;
    if (n < 0) {
      n = len;
      first = name;
    } else if (len !== n) {
      throw new DataError(`${what}: column '${name}' has ${len} values but column '${first}' has ${n}: every column needs one value per row`, { column: name });
    }
  }
  if (n === 0) throw new DataError(`${what} has no rows (its columns are empty)`);
  return tableFromColumns(names.map((name) => {
    const c = cols[name] as ArrayLike<unknown>;
    if (ArrayBuffer.isView(c) && !(c instanceof BigInt64Array) && !(c instanceof BigUint64Array)) {
      return [name, makeFloat64Vector(Float64Array.from(c as ArrayLike<number>))] as const;
    }
    return [name, column(name, n, (i) => c[i], what)] as const;
  }));
}

/** One column from n values: Float64, or a factor of strings or booleans. */
function column(name: string, n: number, get: (i: number) => unknown, what: string): arrow.Vector {
  let kind: 'number' | 'string' | 'boolean' | null = null;
  let kindRow = 0;
  for (let i = 0; i < n; i++) {
    const v = get(i);
    if (v === null || v === undefined) continue;
    const t = typeof v === 'bigint' ? 'number' : typeof v;
    if (t !== 'number' && t !== 'string' && t !== 'boolean') {
      throw new DataError(`${what}: column '${name}' holds ${showValue(v)} in row ${i + 1}; values must be numbers, strings, booleans or null`, { column: name, row: i + 1 });
    }
    if (kind === null) {
      kind = t;
      kindRow = i;
    } else if (t !== kind) {
      throw new DataError(
        `${what}: column '${name}' mixes ${kind}s (row ${kindRow + 1}: ${showValue(get(kindRow))}) and ${t}s (row ${i + 1}: ${showValue(v)}); ` +
          `a column holds numbers, or strings (a factor), or booleans`,
        { column: name, row: i + 1 },
      );
    }
  }
  if (kind === null || kind === 'number') {
    const values = new Float64Array(n);
    const valid = new Uint8Array((n + 7) >> 3);
    let nulls = 0;
    for (let i = 0; i < n; i++) {
      const v = get(i);
      if (v === null || v === undefined) {
        values[i] = NaN;
        nulls++;
      } else {
        values[i] = Number(v);
        valid[i >> 3] |= 1 << (i & 7);
      }
    }
    return makeFloat64Vector(values, nulls > 0 ? valid : undefined, nulls);
  }
  const codes = new Int32Array(n);
  const valid = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  const index = new Map<string, number>();
  const raw: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = get(i);
    if (v === null || v === undefined) {
      raw[i] = -1;
      nulls++;
      continue;
    }
    const s = kind === 'boolean' ? (v ? 'TRUE' : 'FALSE') : (v as string);
    let c = index.get(s);
    if (c === undefined) {
      c = index.size;
      index.set(s, c);
    }
    raw[i] = c;
  }
  const levels = kind === 'boolean' ? ['FALSE', 'TRUE'].filter((l) => index.has(l)) : [...index.keys()].sort(compareLocale);
  const pos = new Map(levels.map((l, k) => [l, k] as const));
  const byCode = [...index.keys()];
  for (let i = 0; i < n; i++) {
    if (raw[i] < 0) continue;
    codes[i] = pos.get(byCode[raw[i]])!;
    valid[i >> 3] |= 1 << (i & 7);
  }
  return makeFactorVector(codes, levels, nulls > 0 ? valid : undefined, nulls);
}
