/**
 * CSV → Apache Arrow Table, typed like R's `read.csv(..., stringsAsFactors = TRUE)` (browser-safe;
 * the file-reading wrappers live in ./node.ts).
 *
 * Column typing:
 *  - a column whose every non-missing value parses as a number (quoted or not: R's read.csv treats
 *    `"1"` as 1) becomes `Float64`; empty / whitespace-only fields and `NA` are null;
 *  - any other column becomes a factor, `Dictionary<Utf8, Int32>`, whose dictionary holds the distinct
 *    values sorted like R sorts factor levels (see `levelOrder`); empty fields and `NA` are null;
 *  - a column with no non-missing value at all becomes an all-null `Float64` column
 *    (R would make it logical).
 * `TRUE`/`FALSE` columns are not special-cased: they become factors with levels FALSE, TRUE (R would
 * make them logical; lme4 codes both as a 0/1 contrast `xTRUE`).
 * Nulls in Float64 columns also hold NaN in the value buffer, for consumers that ignore the bitmap.
 *
 * Speed: papaparse in step mode feeds rows straight into growable typed arrays (Float64Array + validity
 * bitmap, or Int32Array indices + a Map for the dictionary), so memory is O(rows × columns × 8 bytes)
 * and time linear. A column that looks numeric until some row k and then holds text is re-read for its
 * first k rows by a second (preview-limited) pass, so exact original strings become the levels.
 */
import Papa from 'papaparse';
import type { ParseError, Parser } from 'papaparse';
import type * as arrow from 'apache-arrow';
import { makeFactorVector, makeFloat64Vector, tableFromColumns } from './arrow.js';

export interface CsvOptions {
  /**
   * Columns the caller will treat as factors even if numeric (the model frame does the conversion;
   * here the names are only checked, with a warning for each one that is not a column).
   */
  factors?: string[];
  /** field delimiter; default ',' (use '\t' for TSV) */
  delimiter?: string;
  /**
   * Order of factor levels (dictionary entries). 'locale' (default) mimics R's `sort()` in an English
   * UTF-8 locale (case-insensitive first: a < A < b < B), 'C' is code-point order like R in the C locale.
   */
  levelOrder?: 'locale' | 'C';
}

export interface ReadResult {
  table: arrow.Table;
  warnings: string[];
}

// ---------------------------------------------------------------------------------------------
// Number parsing like R's type.convert (numeric part)

const enum Kind {
  Number = 0,
  Missing = 1,
  Text = 2,
}
let parsedValue = 0;

/** Classify a field for a numeric column; on Kind.Number the value is left in `parsedValue`. */
function classifyNumeric(s: string): Kind {
  const n = s.length;
  if (n === 0) return Kind.Missing;
  const c0 = s.charCodeAt(0);
  if (c0 === 78 /* N */ && s === 'NA') return Kind.Missing;
  const v = Number(s);
  if (v === v) {
    if (v === 0) {
      // Number('') / Number('  ') are 0: whitespace-only is missing in a numeric column
      if (!hasDigit(s)) return Kind.Missing;
    }
    if (n >= 2 && isRadixPrefix(s)) return Kind.Text; // JS accepts 0b101 / 0o17, R does not
    parsedValue = v;
    return Kind.Number;
  }
  // JS rejects some spellings R accepts
  switch (s.trim()) {
    case 'NaN':
      parsedValue = NaN;
      return Kind.Number;
    case 'Inf':
    case '+Inf':
    case 'inf':
    case '+inf':
    case 'infinity':
    case 'Infinity':
      parsedValue = Infinity;
      return Kind.Number;
    case '-Inf':
    case '-inf':
    case '-infinity':
    case '-Infinity':
      parsedValue = -Infinity;
      return Kind.Number;
    case 'NA':
      return Kind.Missing;
  }
  return Kind.Text;
}

/**
 * A CSV field read as a numeric column reads it (R's type.convert): the number, null for a missing
 * value (empty, whitespace-only, NA), or undefined when the field is text (the column is then a factor).
 */
export function csvFieldNumber(s: string): number | null | undefined {
  const k = classifyNumeric(s);
  return k === Kind.Number ? parsedValue : k === Kind.Missing ? null : undefined;
}

/** A CSV field read as a factor column reads it: null for an empty field or NA, else the string. */
export function csvFieldText(s: string): string | null {
  return s.length === 0 || s === 'NA' ? null : s;
}

function hasDigit(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

function isRadixPrefix(s: string): boolean {
  const t = s.trimStart();
  if (t.length < 2 || t.charCodeAt(0) !== 48 /* 0 */) return false;
  const c = t.charCodeAt(1) | 0x20;
  return c === 98 /* b */ || c === 111 /* o */;
}

// ---------------------------------------------------------------------------------------------
// Column builder

class ColumnBuilder {
  numeric = true;
  length = 0;
  capacity: number;
  nullCount = 0;
  validity: Uint8Array;
  values: Float64Array | null;
  indices: Int32Array | null = null;
  levels: Map<string, number> | null = null;
  private lastText = '';
  private lastCode = 0;
  /** rows [0, prefixRows) of a column that turned from numeric to text still need their strings */
  prefixRows = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.values = new Float64Array(capacity);
    this.validity = new Uint8Array((capacity + 7) >> 3);
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const validity = new Uint8Array((cap + 7) >> 3);
    validity.set(this.validity);
    this.validity = validity;
    if (this.values) {
      const v = new Float64Array(cap);
      v.set(this.values);
      this.values = v;
    }
    if (this.indices) {
      const ix = new Int32Array(cap);
      ix.set(this.indices);
      this.indices = ix;
    }
    this.capacity = cap;
  }

  push(s: string): void {
    const i = this.length;
    if (i === this.capacity) this.grow();
    if (this.numeric) {
      // fast path: starts with a digit, '-' or '.', and is no 0b/0o radix literal (JS-only syntax)
      const c0 = s.charCodeAt(0);
      if (
        ((c0 >= 48 && c0 <= 57) || c0 === 45 || c0 === 46) &&
        !(c0 === 48 && s.length > 1 && ((s.charCodeAt(1) | 0x20) === 98 || (s.charCodeAt(1) | 0x20) === 111))
      ) {
        const v = Number(s);
        if (v === v) {
          this.values![i] = v;
          this.validity[i >> 3]! |= 1 << (i & 7);
          this.length = i + 1;
          return;
        }
      }
      const k = classifyNumeric(s);
      if (k === Kind.Number) {
        this.values![i] = parsedValue;
        this.validity[i >> 3]! |= 1 << (i & 7);
        this.length = i + 1;
        return;
      }
      if (k === Kind.Missing) {
        this.values![i] = NaN;
        this.nullCount++;
        this.length = i + 1;
        return;
      }
      this.switchToText();
    }
    // text column
    if (s.length === 0 || s === 'NA') {
      this.nullCount++;
    } else {
      let code: number | undefined;
      if (s === this.lastText) code = this.lastCode; // runs of equal values (data sorted by group)
      else {
        const levels = this.levels!;
        code = levels.get(s);
        if (code === undefined) {
          code = levels.size;
          levels.set(s, code);
        }
        this.lastText = s;
        this.lastCode = code;
      }
      this.indices![i] = code;
      this.validity[i >> 3]! |= 1 << (i & 7);
    }
    this.length = i + 1;
  }

  /** Numeric so far, text from the current row on: drop the numbers, remember to re-read the prefix. */
  private switchToText(): void {
    this.numeric = false;
    this.values = null;
    this.indices = new Int32Array(this.capacity);
    this.levels = new Map();
    this.prefixRows = this.length;
    // validity and null count of the prefix are recomputed by the second pass
    this.validity.fill(0, 0, (this.length + 7) >> 3);
    this.nullCount = 0;
  }

  /** Second pass: value of row i < prefixRows. */
  setPrefix(i: number, s: string): void {
    if (s.length === 0 || s === 'NA') {
      this.nullCount++;
      return;
    }
    const levels = this.levels!;
    let code = levels.get(s);
    if (code === undefined) {
      code = levels.size;
      levels.set(s, code);
    }
    this.indices![i] = code;
    this.validity[i >> 3]! |= 1 << (i & 7);
  }

  finish(levelOrder: 'locale' | 'C'): arrow.Vector {
    const n = this.length;
    const validity = this.nullCount > 0 ? this.validity.slice(0, (n + 7) >> 3) : undefined;
    if (this.numeric) {
      const values = this.values!.length === n ? this.values! : this.values!.slice(0, n);
      return makeFloat64Vector(values, validity, this.nullCount);
    }
    // sort levels like R and remap the codes
    const byCode = Array.from(this.levels!.keys());
    const sorted = byCode.slice().sort(levelOrder === 'C' ? compareCodePoints : compareLocale);
    const newCode = new Map<string, number>();
    for (let j = 0; j < sorted.length; j++) newCode.set(sorted[j]!, j);
    const perm = new Int32Array(byCode.length);
    for (let j = 0; j < byCode.length; j++) perm[j] = newCode.get(byCode[j]!)!;
    const indices = this.indices!.length === n ? this.indices! : this.indices!.slice(0, n);
    const v = this.validity;
    for (let i = 0; i < n; i++) {
      if ((v[i >> 3]! >> (i & 7)) & 1) indices[i] = perm[indices[i]!]!;
      else indices[i] = 0;
    }
    return makeFactorVector(indices, sorted, validity, this.nullCount);
  }
}

function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

let collator: Intl.Collator | null = null;
function compareLocale(a: string, b: string): number {
  collator ??= new Intl.Collator('en-US', { sensitivity: 'variant', numeric: false });
  return collator.compare(a, b) || compareCodePoints(a, b);
}

// ---------------------------------------------------------------------------------------------

/** 1-based physical line number of the row starting at or after character offset `pos`. */
function lineNumberAt(text: string, pos: number): number {
  while (pos < text.length && (text.charCodeAt(pos) === 10 || text.charCodeAt(pos) === 13)) pos++;
  let line = 1;
  for (let i = 0; i < pos; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) line++;
  }
  return line;
}

function describeDelimiter(d: string): string {
  return d === '\t' ? 'tab' : d === ',' ? 'comma' : JSON.stringify(d);
}

/**
 * Parse CSV text (header row required) into an Arrow Table typed like R's
 * `read.csv(stringsAsFactors = TRUE)`. Throws on: empty input / no header, no data rows, a row with
 * the wrong number of fields, duplicate column names, an unterminated quoted field.
 */
export function readCsv(text: string, opts: CsvOptions = {}): ReadResult {
  const delimiter = opts.delimiter ?? ',';
  const levelOrder = opts.levelOrder ?? 'locale';
  const warnings: string[] = [];
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim().length === 0) throw new Error('CSV is empty: expected a header row with column names');

  let header: string[] | null = null;
  let builders: ColumnBuilder[] = [];
  let ncol = 0;
  let nrow = 0;
  let rowStart = 0;
  let failure: Error | null = null;
  let parser: Parser | null = null;
  const initialCapacity = Math.max(1024, Math.min(1 << 20, Math.ceil(text.length / 16)));

  const fail = (err: Error): void => {
    failure ??= err;
    parser?.abort();
  };

  const checkErrors = (errors: ParseError[], what: string, start: number): boolean => {
    for (const e of errors) {
      const line = lineNumberAt(text, start);
      if (e.code === 'MissingQuotes') {
        fail(new Error(`CSV ${what} starting on line ${line}: quoted field is not terminated (missing closing quote)`));
        return false;
      }
      warnings.push(`CSV ${what} on line ${line}: ${e.message}`);
    }
    return true;
  };

  Papa.parse<string[]>(text, {
    delimiter,
    header: false,
    dynamicTyping: false,
    skipEmptyLines: true,
    // papaparse's "fast mode" (auto-enabled for quote-free input) splits the whole text into lines
    // first; the regular parser is about twice as fast for step-wise consumption of large inputs
    fastMode: false,
    step(res, p) {
      if (failure) return;
      parser = p;
      const row = res.data;
      const start = rowStart;
      rowStart = res.meta.cursor;
      if (res.errors.length > 0 && !checkErrors(res.errors, header === null ? 'header' : 'row', start)) return;
      if (header === null) {
        header = row.slice();
        ncol = header.length;
        const seen = new Map<string, number>();
        for (let j = 0; j < ncol; j++) {
          let name = header[j]!;
          if (name.trim() === '') {
            // like R's read.csv on files written with row names (empty first header cell)
            let k = 0;
            name = 'X';
            while (header.includes(name) || seen.has(name)) name = `X.${++k}`;
            warnings.push(`CSV column ${j + 1} has an empty name; named it "${name}"`);
            header[j] = name;
          }
          const prev = seen.get(name);
          if (prev !== undefined) {
            fail(new Error(`CSV header has duplicate column name "${name}" (columns ${prev + 1} and ${j + 1})`));
            return;
          }
          seen.set(name, j);
        }
        builders = header.map(() => new ColumnBuilder(initialCapacity));
        return;
      }
      if (row.length !== ncol) {
        fail(
          new Error(
            `CSV line ${lineNumberAt(text, start)} (data row ${nrow + 1}) has ${row.length} field${row.length === 1 ? '' : 's'}, ` +
              `but the header has ${ncol} (${describeDelimiter(delimiter)}-delimited)`,
          ),
        );
        return;
      }
      for (let j = 0; j < ncol; j++) builders[j]!.push(row[j]!);
      nrow++;
    },
  });

  if (failure) throw failure;
  if (header === null) throw new Error('CSV is empty: expected a header row with column names');
  if (nrow === 0) throw new Error('CSV has a header but no data rows');
  const names: string[] = header;

  // second pass for columns that turned out to be text after some numeric-looking rows
  const pending = builders.filter((b) => !b.numeric && b.prefixRows > 0);
  if (pending.length > 0) {
    const maxPrefix = Math.max(...pending.map((b) => b.prefixRows));
    const cols = builders.map((b, j) => (!b.numeric && b.prefixRows > 0 ? j : -1)).filter((j) => j >= 0);
    let r = -1;
    Papa.parse<string[]>(text, {
      delimiter,
      header: false,
      dynamicTyping: false,
      skipEmptyLines: true,
      fastMode: false,
      preview: maxPrefix + 1,
      step(res) {
        if (r >= 0) {
          const row = res.data;
          for (const j of cols) {
            const b = builders[j]!;
            if (r < b.prefixRows) b.setPrefix(r, row[j]!);
          }
        }
        r++;
      },
    });
  }

  const table = tableFromColumns(names.map((name, j) => [name, builders[j]!.finish(levelOrder)] as const));
  warnings.push(...checkFactorNames(table, opts.factors));
  return { table, warnings };
}

/** Warnings for requested factor names that are not columns of `table`. */
export function checkFactorNames(table: arrow.Table, factors: readonly string[] | undefined): string[] {
  if (!factors || factors.length === 0) return [];
  const names = new Set(table.schema.fields.map((f) => f.name));
  return factors
    .filter((f) => !names.has(f))
    .map((f) => `factor column "${f}" is not in the data (columns: ${[...names].join(', ')})`);
}
