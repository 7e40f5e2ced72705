/**
 * The columns a variance function or correlation structure reads (a covariate, strata, a grouping
 * variable), taken from the data at the model frame's rows (frame.rows: the rows na.omit kept).
 */
import type * as arrow from 'apache-arrow';
import { DataError } from '../errors/errors.js';

export interface FrameRows {
  n: number;
  /** input row of each observation used, or null when all were used */
  rows: Int32Array | null;
}

function column(table: arrow.Table, name: string, what: string): arrow.Vector {
  const col = table.getChild(name);
  if (!col) throw new DataError(`${what}: the column '${name}' is not in the data (columns: ${table.schema.fields.map((f) => f.name).join(', ')})`);
  return col;
}

/** A numeric covariate at the frame's rows; a missing or non-numeric value is an error naming the row. */
export function numericColumn(table: arrow.Table, name: string, frame: FrameRows, what: string): Float64Array {
  const col = column(table, name, what);
  const out = new Float64Array(frame.n);
  for (let i = 0; i < frame.n; i++) {
    const r = frame.rows ? frame.rows[i] : i;
    const v = col.get(r);
    const x = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : NaN;
    if (!Number.isFinite(x)) throw new DataError(`${what}: the column '${name}' has ${v === null || v === undefined ? 'a missing value' : `the non-numeric value '${String(v)}'`} at row ${r + 1}`);
    out[i] = x;
  }
  return out;
}

/**
 * A factor at the frame's rows: codes, and the levels in order of first appearance along `order`
 * (default the rows' order; lme's is the rows sorted by group, as nlme sorts them).
 */
export function factorColumn(table: arrow.Table, name: string, frame: FrameRows, what: string, order?: Int32Array): { codes: Int32Array; levels: string[] } {
  const col = column(table, name, what);
  const codes = new Int32Array(frame.n);
  const index = new Map<string, number>();
  const levels: string[] = [];
  for (let k = 0; k < frame.n; k++) {
    const i = order ? order[k] : k;
    const r = frame.rows ? frame.rows[i] : i;
    const v = col.get(r);
    if (v === null || v === undefined) throw new DataError(`${what}: the column '${name}' has a missing value at row ${r + 1}`);
    const key = String(v);
    let c = index.get(key);
    if (c === undefined) { c = levels.length; index.set(key, c); levels.push(key); }
    codes[i] = c;
  }
  return { codes, levels };
}
