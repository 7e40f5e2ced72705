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
 *   - a string column without `levels`: refused likewise (the frame reads strings as a factor).
 * Missing values (null, NaN) become NaN codes, which the model frame drops and counts. The column is
 * read by the model frame's reader (src/frame/columns.ts: the Arrow buffers chunk by chunk), then
 * its levels mapped to categories.
 */
import * as arrow from 'apache-arrow';
import { DataError, OptionError } from '../errors/errors.js';
import { columnFromArrow, formatNumberLevel } from '../frame/columns.js';

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

/** Reads column `name` of the table as an ordered response (the column read once, as the model frame reads it). */
export function readOrdinalResponse(table: arrow.Table, name: string, levels?: readonly string[]): OrdinalResponse {
  if (!table.getChild(name)) {
    throw new DataError(`the response column '${name}' is not in the data (columns: ${table.schema.fields.map((f) => f.name).join(', ')})`, { column: name });
  }
  const type = table.getChild(name)!.type;
  const col = columnFromArrow(table, name);
  const n = table.numRows;
  const codes = new Float64Array(n);
  if (levels && levels.length !== new Set(levels).size) throw new OptionError('levels', `levels: ${JSON.stringify(levels)} names a category twice`);
  const index = levels ? new Map(levels.map((l, k) => [l, k])) : null;
  /** the first row holding a value that is not among the levels given */
  const notALevel = (value: string, row: number): never => {
    throw new DataError(`the response '${name}' has the value '${value}' in row ${row + 1}, which is not among the levels given (${levels!.join(', ')})`, { column: name, row: row + 1 });
  };
  if (col.kind === 'numeric') {
    const v = col.values;
    const distinct = new Set<number>();
    for (let i = 0; i < n; i++) if (!Number.isNaN(v[i])) distinct.add(v[i]);
    if (index) {
      const code = new Map<number, number>();
      for (const x of distinct) {
        const k = index.get(formatNumberLevel(x));
        if (k === undefined) notALevel(formatNumberLevel(x), v.indexOf(x));
        code.set(x, k!);
      }
      for (let i = 0; i < n; i++) codes[i] = Number.isNaN(v[i]) ? NaN : code.get(v[i])!;
      return { levels: [...levels!], codes, order: 'levels option' };
    }
    const sorted = [...distinct].sort((a, b) => a - b);
    if (sorted.length > MAX_NUMERIC_CATEGORIES) {
      throw new DataError(
        `the response '${name}' is numeric with ${sorted.length} distinct values: an ordinal response has few ordered categories (at most ${MAX_NUMERIC_CATEGORIES} are read from numbers); give them with the levels option if this is meant`,
        { column: name },
      );
    }
    const infinite = sorted.find((x) => !Number.isFinite(x));
    if (infinite !== undefined) throw new DataError(`the response '${name}' has the value ${infinite}: an ordinal response's categories are finite`, { column: name });
    const code = new Map(sorted.map((x, k) => [x, k]));
    for (let i = 0; i < n; i++) codes[i] = Number.isNaN(v[i]) ? NaN : code.get(v[i])!;
    return { levels: sorted.map(formatNumberLevel), codes, order: 'numeric' };
  }
  // a factor (dictionary, strings, booleans): its levels (in R's sorted order) mapped to categories
  const lv = col.levels;
  const used = new Uint8Array(lv.length);
  for (let i = 0; i < n; i++) if (col.codes[i] >= 0) used[col.codes[i]] = 1;
  let order: number[];
  let categories: string[];
  let how: OrdinalResponse['order'];
  if (index) {
    order = lv.map((l, k) => {
      const c = index.get(l);
      if (c === undefined) return used[k] ? notALevel(l, col.codes.indexOf(k)) : -1;
      return c;
    });
    categories = [...levels!];
    how = 'levels option';
  } else if (arrow.DataType.isDictionary(type) && (type as arrow.Dictionary).isOrdered) {
    // the dictionaries' entries in order (chunks may carry more entries: their union, first seen first)
    categories = [];
    const at = new Map<string, number>();
    for (const d of table.getChild(name)!.data) {
      const dict = d.dictionary;
      if (!dict) continue;
      for (let j = 0; j < dict.length; j++) {
        const e = String(dict.get(j));
        if (!at.has(e)) { at.set(e, categories.length); categories.push(e); }
      }
    }
    order = lv.map((l) => at.get(l) ?? -1);
    how = 'ordered dictionary';
  } else {
    // an unordered factor: its levels by value where they are all numbers, else refused
    const values = lv.map((l) => (l.trim() === '' ? NaN : Number(l)));
    if (values.some((x) => !Number.isFinite(x))) {
      throw new DataError(
        `the response '${name}' is an unordered factor (levels ${lv.slice(0, 8).join(', ')}${lv.length > 8 ? ', …' : ''}), whose order is not known: give the categories in order with the levels option (CLI --levels a,b,c), or store it as an ordered dictionary (R's ordered factor)`,
        { column: name },
      );
    }
    const byValue = [...new Set(values)].sort((a, b) => a - b);
    if (byValue.length !== values.length) throw new DataError(`the response '${name}' has levels that are the same number written differently (${lv.join(', ')}): give the categories with the levels option`, { column: name });
    order = values.map((x) => byValue.indexOf(x));
    categories = byValue.map(formatNumberLevel);
    how = 'numeric';
  }
  for (let i = 0; i < n; i++) {
    const c = col.codes[i];
    codes[i] = c < 0 ? NaN : order[c];
  }
  return { levels: categories, codes, order: how };
}
