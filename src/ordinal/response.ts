/**
 * The ordered response of a cumulative link model: each row's category as a code 0 … J − 1 in the
 * categories' order (R's ordered factor), read from the data's column:
 *   - `levels: [...]` given: the categories in that order; a value not among them is an error;
 *   - an ordered Arrow dictionary column (`Dictionary(…, isOrdered = true)`: R's ordered factor as the
 *     arrow package writes it, pandas' ordered Categorical): the dictionary's order;
 *   - an unordered dictionary column (a factor: the CSV reader's text columns, whose dictionary is
 *     sorted as R sorts levels) whose levels are all numbers ("1" … "10"): ordered by their value;
 *     one with other levels is refused, since its order is an alphabetical accident ("agree" <
 *     "disagree" < "neutral") where R's clmm would silently take it;
 *   - a numeric column with at most MAX_NUMERIC_CATEGORIES distinct values: ordered by value (a
 *     rating 1–5 from a CSV file);
 *   - a string column without `levels`: refused likewise.
 * Missing values (null, NaN) become NaN codes, which the model frame drops and counts.
 */
import * as arrow from 'apache-arrow';
import { DataError, OptionError } from '../errors/errors.js';
import { formatNumberLevel } from '../frame/columns.js';

/** The most distinct values a numeric response may have to be read as ordered categories. */
export const MAX_NUMERIC_CATEGORIES = 50;

export interface OrdinalResponse {
  /** the categories, in order */
  levels: string[];
  /** per input row, the category's index (NaN where missing) */
  codes: Float64Array;
  /** how the order was found */
  order: 'levels option' | 'ordered dictionary' | 'numeric';
}

/** Reads column `name` of the table as an ordered response. */
export function readOrdinalResponse(table: arrow.Table, name: string, levels?: readonly string[]): OrdinalResponse {
  const vec = table.getChild(name);
  if (!vec) {
    throw new DataError(`the response column '${name}' is not in the data (columns: ${table.schema.fields.map((f) => f.name).join(', ')})`, { column: name });
  }
  const n = vec.length;
  const type = vec.type;
  const codes = new Float64Array(n);
  const dictionary = arrow.DataType.isDictionary(type);
  const numeric = arrow.DataType.isInt(type) || arrow.DataType.isFloat(type) || arrow.DataType.isDecimal(type);
  const strings = arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type);
  if (!dictionary && !numeric && !strings) {
    throw new DataError(`the response '${name}' has Arrow type ${String(type)}: an ordinal response is a dictionary (factor), string or numeric column`, { column: name });
  }
  // each row's value as a string (the level it names), or null where missing
  const valueAt = (i: number): string | null => {
    const v = vec.get(i) as unknown;
    if (v === null || v === undefined) return null;
    if (typeof v === 'number') return Number.isNaN(v) ? null : formatNumberLevel(v);
    if (typeof v === 'bigint') return String(v);
    return String(v);
  };
  if (levels) {
    if (levels.length !== new Set(levels).size) throw new OptionError('levels', `levels: ${JSON.stringify(levels)} names a category twice`);
    const index = new Map(levels.map((l, k) => [l, k]));
    for (let i = 0; i < n; i++) {
      const v = valueAt(i);
      if (v === null) { codes[i] = NaN; continue; }
      const k = index.get(v);
      if (k === undefined) {
        throw new DataError(`the response '${name}' has the value '${v}' in row ${i + 1}, which is not among the levels given (${levels.join(', ')})`, { column: name, row: i + 1 });
      }
      codes[i] = k;
    }
    return { levels: [...levels], codes, order: 'levels option' };
  }
  if (dictionary) {
    // the dictionaries' entries in order (chunks may carry more entries: their union, first seen first)
    const order: string[] = [];
    const index = new Map<string, number>();
    for (const d of vec.data) {
      const dict = d.dictionary;
      if (!dict) continue;
      for (let j = 0; j < dict.length; j++) {
        const s = String(dict.get(j));
        if (!index.has(s)) { index.set(s, order.length); order.push(s); }
      }
    }
    if ((type as arrow.Dictionary).isOrdered) {
      for (let i = 0; i < n; i++) {
        const v = valueAt(i);
        codes[i] = v === null ? NaN : index.get(v)!;
      }
      return { levels: order, codes, order: 'ordered dictionary' };
    }
    // an unordered factor: its levels by value where they are all numbers, else refused
    const values = order.map((l) => (l.trim() === '' ? NaN : Number(l)));
    if (values.some((v) => !Number.isFinite(v))) {
      throw new DataError(
        `the response '${name}' is an unordered factor (levels ${order.slice(0, 8).join(', ')}${order.length > 8 ? ', …' : ''}), whose order is not known: give the categories in order with the levels option (CLI --levels a,b,c), or store it as an ordered dictionary (R's ordered factor)`,
        { column: name },
      );
    }
    const byValue = [...new Set(values)].sort((a, b) => a - b);
    if (byValue.length !== values.length) throw new DataError(`the response '${name}' has levels that are the same number written differently (${order.join(', ')}): give the categories with the levels option`, { column: name });
    const rank = new Map(order.map((l, k) => [l, byValue.indexOf(values[k])]));
    for (let i = 0; i < n; i++) {
      const v = valueAt(i);
      codes[i] = v === null ? NaN : rank.get(v)!;
    }
    return { levels: byValue.map(formatNumberLevel), codes, order: 'numeric' };
  }
  if (strings) {
    throw new DataError(
      `the response '${name}' is a column of strings, whose order is not known: give the categories in order with the levels option (CLI --levels a,b,c), or write the column as an Arrow dictionary in that order`,
      { column: name },
    );
  }
  // numeric: the distinct values, ordered by value
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = vec.get(i) as number | bigint | null;
    values[i] = v === null || v === undefined ? NaN : Number(v);
  }
  const distinct = [...new Set(Array.from(values).filter((v) => !Number.isNaN(v)))].sort((a, b) => a - b);
  if (distinct.length > MAX_NUMERIC_CATEGORIES) {
    throw new DataError(
      `the response '${name}' is numeric with ${distinct.length} distinct values: an ordinal response has few ordered categories (at most ${MAX_NUMERIC_CATEGORIES} are read from numbers); give them with the levels option if this is meant`,
      { column: name },
    );
  }
  const infinite = distinct.find((v) => !Number.isFinite(v));
  if (infinite !== undefined) throw new DataError(`the response '${name}' has the value ${infinite}: an ordinal response's categories are finite`, { column: name });
  const index = new Map(distinct.map((v, k) => [v, k]));
  for (let i = 0; i < n; i++) codes[i] = Number.isNaN(values[i]) ? NaN : index.get(values[i])!;
  return { levels: distinct.map(formatNumberLevel), codes, order: 'numeric' };
}
