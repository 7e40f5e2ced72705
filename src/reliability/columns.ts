/**
 * The columns the reliability and agreement statistics read: a numeric column (null → NaN; anything
 * else a DataError naming the column) and a key column (subject, rater, group) as strings, with its
 * levels in R's order (split()/factor(): numbers ascending, strings by R's collation).
 */
import type * as arrow from 'apache-arrow';
import { DataError } from '../errors/errors.js';
import { compareLocale } from '../io/csv.js';

function child(table: arrow.Table, name: string, what: string): arrow.Vector {
  const col = table.getChild(name);
  if (!col) throw new DataError(`${what}: no column '${name}' in the data (columns: ${table.schema.fields.map((f) => f.name).join(', ')})`, { column: name });
  return col;
}

const isNumericType = (type: arrow.DataType) => /^(Float|Int|Uint)/.test(String(type));

/** Column `name` as float64, missing values NaN; a column that is not numeric is a DataError naming it. */
export function numericColumn(table: arrow.Table, name: string, what: string): Float64Array {
  const col = child(table, name, what);
  if (!isNumericType(col.type as arrow.DataType)) {
    throw new DataError(`${what}: column '${name}' must be numeric ratings, but it holds ${String(col.type)} values (e.g. '${firstValue(col)}')`, { column: name });
  }
  return Float64Array.from({ length: col.length }, (_, i) => {
    const v = col.get(i);
    return v === null || v === undefined ? NaN : Number(v);
  });
}

function firstValue(col: arrow.Vector): string {
  for (let i = 0; i < col.length; i++) {
    const v = col.get(i);
    if (v !== null && v !== undefined) return String(v);
  }
  return '';
}

/** A key column: its values as strings (null where missing) and its levels in R's factor order. */
export interface KeyColumn {
  name: string;
  values: (string | null)[];
  levels: string[];
}

/** Column `name` as a grouping key (R's split(x, g) and factor(g): levels sorted as R sorts them). */
export function keyColumn(table: arrow.Table, name: string, what: string): KeyColumn {
  const col = child(table, name, what);
  const numeric = isNumericType(col.type as arrow.DataType);
  const values: (string | null)[] = Array.from({ length: col.length }, (_, i) => {
    const v = col.get(i);
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return null;
    return String(v);
  });
  const distinct = [...new Set(values.filter((v): v is string => v !== null))];
  const levels = numeric ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort(compareLocale);
  return { name, values, levels };
}
