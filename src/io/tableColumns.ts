/**
 * Reading one column of an Arrow table by name, for the statistics that take named columns rather than a
 * formula (meta-analysis's escalc, reliability and agreement): a missing column or one of the wrong type is
 * a DataError naming the column and what asked for it.
 */
import type * as arrow from 'apache-arrow';
import { DataError } from '../errors/errors.js';

/** column `name` of the table; `what` (the caller, e.g. 'escalc SMD m1i') names it in the error */
export function tableChild(table: arrow.Table, name: string, what: string): arrow.Vector {
  const col = table.getChild(name);
  if (!col) throw new DataError(`${what}: no column '${name}' in the data (columns: ${table.schema.fields.map((f) => f.name).join(', ')})`, { column: name });
  return col;
}

/** whether an Arrow type holds numbers (floats or integers) */
export const isNumericType = (type: arrow.DataType) => /^(Float|Int|Uint)/.test(String(type));

/**
 * Column `name` as float64, missing values NaN; a column that is not numeric is a DataError naming it
 * (`noun`: what the values must be, 'numeric' or e.g. 'numeric ratings').
 */
export function numericColumn(table: arrow.Table, name: string, what: string, noun = 'numeric'): Float64Array {
  const col = tableChild(table, name, what);
  if (!isNumericType(col.type as arrow.DataType)) {
    throw new DataError(`${what}: column '${name}' must be ${noun}, but it holds ${typeName(col.type as arrow.DataType)} values (e.g. '${firstValue(col)}')`, { column: name });
  }
  return Float64Array.from({ length: col.length }, (_, i) => {
    const v = col.get(i);
    return v === null || v === undefined ? NaN : Number(v);
  });
}

/** an Arrow type in words: a dictionary by its values' type, strings as text, booleans as logical */
function typeName(type: arrow.DataType): string {
  const t = (type as { dictionary?: arrow.DataType }).dictionary ?? type;
  const s = String(t);
  return /^(Large)?Utf8$/.test(s) ? 'text' : s === 'Bool' ? 'logical' : s;
}

function firstValue(col: arrow.Vector): string {
  for (let i = 0; i < col.length; i++) {
    const v = col.get(i);
    if (v !== null && v !== undefined) return String(v);
  }
  return '';
}
