/**
 * CSV → Apache Arrow Table, typed like R's `read.csv(..., stringsAsFactors = TRUE)` (browser-safe;
 * the file-reading wrappers live in ./node.ts).
 *
 * Input: a string, bytes, or a source of byte chunks (`ByteSource`: a file read in pieces). Bytes
 * are tokenized chunk by chunk (./csvTokenizer.ts) straight into typed arrays, so a file of any
 * size is read as long as its columns fit in memory: no whole-file string, no per-row objects.
 * Column buffers start small and are sized from the rows (the source's size divided by the bytes
 * per row of the first rows), never from the bytes of the whole file per column.
 *
 * Column typing:
 *  - a column whose every non-missing value parses as a number (quoted or not: R's read.csv treats
 *    `"1"` as 1) becomes `Float64`; empty / whitespace-only fields and `NA` are null; `Inf`, `-Inf`,
 *    `NaN` and numbers too large for float64 (`1e309` → Inf) are values, as in R;
 *  - any other column becomes a factor, `Dictionary<Utf8, Int32>`, whose dictionary holds the distinct
 *    values sorted like R sorts factor levels (see `levelOrder`); empty fields and `NA` are null;
 *  - a column with no non-missing value at all becomes an all-null `Float64` column
 *    (R would make it logical);
 *  - a column of numbers with a few text values ("stray text": more than half of its values are
 *    numbers and the text takes at most 10 distinct values), not named in `factors`, is not quietly
 *    made a factor: with `strayText: 'missing'` the text values are read as missing (and counted in
 *    a warning); by default the column is a factor that carries a note of the text values (field
 *    metadata `mixedgpu.strayText`), and a model that uses it stops with an error naming the column,
 *    the rows and the values (src/frame/columns.ts).
 * `TRUE`/`FALSE` columns are not special-cased: they become factors with levels FALSE, TRUE (R would
 * make them logical; lme4 codes both as a 0/1 contrast `xTRUE`).
 * Nulls in Float64 columns also hold NaN in the value buffer, for consumers that ignore the bitmap.
 *
 * Encoding: UTF-8 (default; bytes that are not valid UTF-8 stop the read with the row and column,
 * so that levels such as Latin-1 `café` and `cafè` are never merged into one) or `encoding:
 * 'latin1'` (ISO-8859-1). A string input is already decoded: a U+FFFD replacement character in it
 * means bytes were lost on the way, and is an error for the same reason.
 *
 * Delimiter: `delimiter` if given, else sniffed from the first lines among comma, tab, semicolon and
 * bar (the result says which: `delimiter`, and a note when it is not a comma). In a semicolon-
 * delimited file a number may also be written with a decimal comma (`1,25`), as R's read.csv2 reads it.
 *
 * A column that looks numeric until some row k and then holds text is re-read for its first k rows
 * by a second pass over the source (up to row k), so exact original strings become the levels.
 */
import type * as arrow from 'apache-arrow';
import { makeFactorVector, makeFloat64Vector, tableFromColumns } from './arrow.js';
import { CsvTokenizer, describeDelimiter, fieldBytes, sniffDelimiter, type CsvRecord } from './csvTokenizer.js';
import { DataError, OptionError, showValue } from '../errors.js';
import { LevelInterner } from './levelInterner.js';
import { type Schema, checkObject, columnNames, oneOf } from '../options/rules.js';

export interface CsvOptions {
  /**
   * Columns the caller will treat as factors even if numeric (the model frame does the conversion).
   * Here each must be a column (an OptionError otherwise), and such a column is never flagged as
   * numbers with stray text.
   */
  factors?: string[];
  /** field delimiter, one character; default: sniffed (comma, tab, semicolon or bar) */
  delimiter?: string;
  /**
   * Order of factor levels (dictionary entries). 'locale' (default) mimics R's `sort()` in an English
   * UTF-8 locale (case-insensitive first: a < A < b < B), 'C' is code-point order like R in the C locale.
   */
  levelOrder?: 'locale' | 'C';
  /** text encoding of byte input: 'utf-8' (default; invalid bytes are an error) or 'latin1' (ISO-8859-1) */
  encoding?: 'utf-8' | 'latin1';
  /**
   * A column of numbers with a few text values: 'error' (default: a model using it stops with the
   * column, rows and values) or 'missing' (the text values are read as missing, with a warning).
   */
  strayText?: 'error' | 'missing';
}

export interface ReadResult {
  table: arrow.Table;
  warnings: string[];
  /** how the input was read, when that was guessed (the sniffed delimiter): for the user to see */
  notes?: string[];
  /** the field delimiter used (CSV only) */
  delimiter?: string;
}

/** Bytes that can be read from the start, in chunks, as often as needed (a file, a buffer, a string). */
export interface ByteSource {
  /** the total size in bytes, when known (sizes the column buffers) */
  size?: number;
  /** the input from its start, in chunks (a chunk may be reused by the source after the next one is asked for) */
  chunks(): Iterable<Uint8Array>;
  /** the input was a string, decoded before it reached the reader */
  decoded?: boolean;
}

export type CsvInput = string | Uint8Array | ArrayBuffer | ByteSource;

/** The field metadata key of a factor column that holds numbers with a few text values. */
export const STRAY_TEXT_KEY = 'mixedgpu.strayText';

/** What STRAY_TEXT_KEY holds (as JSON). */
export interface StrayTextNote {
  /** rows (1-based data rows) holding text, and non-missing rows */
  textRows: number;
  valueRows: number;
  /** the first few text values with their rows */
  examples: { row: number; value: string }[];
}

const CHUNK = 4 * 2 ** 20;

/** A source over a string, encoded to UTF-8 in chunks (never whole). */
function stringSource(text: string): ByteSource {
  return {
    size: text.length,
    decoded: true,
    *chunks() {
      const enc = new TextEncoder();
      const buf = new Uint8Array(CHUNK * 3);
      for (let i = 0; i < text.length;) {
        let j = Math.min(text.length, i + CHUNK);
        // never split a surrogate pair
        if (j < text.length && (text.charCodeAt(j - 1) & 0xfc00) === 0xd800) j--;
        const { written } = enc.encodeInto(text.slice(i, j), buf);
        yield buf.subarray(0, written);
        i = j;
      }
    },
  };
}

/** A source over bytes in memory. */
function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    *chunks() {
      for (let i = 0; i < bytes.length; i += CHUNK) yield bytes.subarray(i, Math.min(bytes.length, i + CHUNK));
    },
  };
}

function sourceOf(input: CsvInput): ByteSource {
  if (typeof input === 'string') return stringSource(input);
  if (input instanceof Uint8Array) return bytesSource(input);
  if (input instanceof ArrayBuffer) return bytesSource(new Uint8Array(input));
  if (input && typeof (input as ByteSource).chunks === 'function') return input as ByteSource;
  throw new OptionError('input', `readCsv: the input must be a string, a Uint8Array, an ArrayBuffer or a ByteSource, not ${showValue(input)}`);
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
 * classifyNumeric, and with `decimalComma` (semicolon-delimited files, as R's read.csv2) a number
 * written with one decimal comma (`1,25`) too.
 */
function classifyNumber(s: string, decimalComma: boolean): Kind {
  const k = classifyNumeric(s);
  if (k !== Kind.Text || !decimalComma) return k;
  const at = s.indexOf(',');
  if (at < 0 || s.indexOf(',', at + 1) >= 0 || s.indexOf('.') >= 0) return k;
  return classifyNumeric(s.slice(0, at) + '.' + s.slice(at + 1));
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

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** parseDecimal's answer for a plain decimal it does not convert itself (more than 15 digits, a large exponent). */
const LONG_DECIMAL = -1;
/** parseDecimal's answer for anything else. */
const NOT_DECIMAL = -2;
/** parseDecimal's value, when it returns 0 */
let decimalValue = 0;

/**
 * A decimal number `[-+]digits[.digits][e[-+]digits]` read straight from bytes. With at most 15
 * significant digits and |k| ≤ 22: the digits as an exact integer m < 10¹⁵ < 2⁵³, then one
 * multiplication or division by the exact power of ten 10^k — a single correctly rounded operation,
 * so the result equals `Number(text)` (Clinger's fast path); returns 0 with the value in
 * `decimalValue`. LONG_DECIMAL for a plain decimal beyond that (the caller converts its text with
 * Number), NOT_DECIMAL for anything else (the caller classifies its text as R's type.convert does).
 */
function parseDecimal(buf: Uint8Array, s: number, e: number): number {
  let i = s;
  let neg = false;
  if (i < e && (buf[i] === 45 || buf[i] === 43)) {
    neg = buf[i] === 45;
    i++;
  }
  let m = 0;
  let digits = 0;
  let any = false;
  let scale = 0;
  while (i < e && buf[i] >= 48 && buf[i] <= 57) {
    const d = buf[i] - 48;
    if (digits > 0 || d !== 0) {
      digits++;
      m = m * 10 + d;
    }
    any = true;
    i++;
  }
  if (i < e && buf[i] === 46) {
    i++;
    while (i < e && buf[i] >= 48 && buf[i] <= 57) {
      const d = buf[i] - 48;
      if (digits > 0 || d !== 0) {
        digits++;
        m = m * 10 + d;
      }
      scale--;
      any = true;
      i++;
    }
  }
  if (!any) return NOT_DECIMAL;
  if (i < e && (buf[i] === 101 || buf[i] === 69)) {
    i++;
    let eneg = false;
    if (i < e && (buf[i] === 45 || buf[i] === 43)) {
      eneg = buf[i] === 45;
      i++;
    }
    let x = 0;
    let expDigits = 0;
    while (i < e && buf[i] >= 48 && buf[i] <= 57) {
      if (++expDigits > 6) return LONG_DECIMAL;
      x = x * 10 + (buf[i] - 48);
      i++;
    }
    if (expDigits === 0) return NOT_DECIMAL;
    scale += eneg ? -x : x;
  }
  if (i !== e) return NOT_DECIMAL;
  if (digits > 15) return LONG_DECIMAL;
  let v: number;
  if (m === 0) v = 0;
  else if (scale >= 0 && scale <= 22) v = m * POW10[scale];
  else if (scale < 0 && scale >= -22) v = m / POW10[-scale];
  else return LONG_DECIMAL;
  decimalValue = neg ? -v : v;
  return 0;
}

/** The ASCII text of buf[s, e). */
function asciiText(buf: Uint8Array, s: number, e: number): string {
  return String.fromCharCode.apply(null, buf.subarray(s, e) as unknown as number[]);
}

// ---------------------------------------------------------------------------------------------
// Text decoding

let utf8: TextDecoder | null = null;

/** Bytes that are not valid UTF-8 (turned into a DataError with the field's place by `invalidUtf8`). */
class InvalidUtf8 extends Error {
  constructor(readonly bytes: Uint8Array) {
    super('invalid UTF-8');
  }
}

/** Decodes a field's bytes; invalid UTF-8 throws InvalidUtf8. */
function decodeText(bytes: Uint8Array, encoding: 'utf-8' | 'latin1'): string {
  const n = bytes.length;
  let ascii = true;
  for (let i = 0; i < n; i++) {
    if (bytes[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii || encoding === 'latin1') {
    // one byte per character (ASCII, or ISO-8859-1 whose bytes are its code points)
    if (n <= 8192) return String.fromCharCode.apply(null, bytes as unknown as number[]);
    let out = '';
    for (let i = 0; i < n; i += 8192) out += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(n, i + 8192)) as unknown as number[]);
    return out;
  }
  utf8 ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    return utf8.decode(bytes);
  } catch {
    throw new InvalidUtf8(bytes.slice());
  }
}

/** The DataError for bytes that are not UTF-8, at `where` (`line 3 (data row 2), column 'g'`). */
function invalidUtf8(e: InvalidUtf8, where: string, where2: { column?: string; row?: number }): DataError {
  {
    const bytes = e.bytes;
    const n = bytes.length;
    const bad = firstInvalidUtf8(bytes);
    const hex = Array.from(bytes.subarray(bad, Math.min(n, bad + 2)), (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
    const latin1 = String.fromCharCode.apply(null, bytes as unknown as number[]);
    return new DataError(
      `CSV ${where}: the bytes are not valid UTF-8 (0x${hex.replace(/ /g, ' 0x')} at byte ${bad + 1} of the value, which reads as ` +
        `${JSON.stringify(latin1)} in Latin-1). Read the file with encoding 'latin1' (CLI: --encoding latin1) if it is Latin-1, ` +
        `or convert it to UTF-8; values are not guessed, so that distinct levels are never merged`,
      where2,
    );
  }
}

/** decodeText, with invalid UTF-8 reported at `where()`. */
function decodeAt(bytes: Uint8Array, encoding: 'utf-8' | 'latin1', where: () => string, at: { column?: string; row?: number } = {}): string {
  try {
    return decodeText(bytes, encoding);
  } catch (e) {
    if (e instanceof InvalidUtf8) throw invalidUtf8(e, where(), at);
    throw e;
  }
}

/** The offset of the first byte of `b` that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const len = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    if (len === 0 || i + len > b.length) return i;
    for (let k = 1; k < len; k++) if ((b[i + k] & 0xc0) !== 0x80) return i;
    i += len;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Column builder

/** Reads one column's fields, as numbers until a field is text, then as factor levels. */
class ColumnBuilder {
  numeric = true;
  length = 0;
  capacity: number;
  nullCount = 0;
  validity: Uint8Array;
  values: Float64Array | null;
  indices: Int32Array | null = null;
  levels: LevelInterner | null = null;
  /** rows [0, prefixRows) of a column that turned from numeric to text still need their strings */
  prefixRows = 0;
  private readonly decodeLevel: (bytes: Uint8Array) => string;

  constructor(
    readonly name: string,
    capacity: number,
    private readonly encoding: 'utf-8' | 'latin1',
    /** numbers may have a decimal comma (a semicolon-delimited file) */
    private readonly decimalComma: boolean,
  ) {
    this.capacity = capacity;
    this.values = new Float64Array(capacity);
    this.validity = new Uint8Array((capacity + 7) >> 3);
    this.decodeLevel = (bytes) => decodeText(bytes, this.encoding);
  }

  /** Room for `cap` rows (used to size the buffers from an estimate of the rows). */
  reserve(cap: number): void {
    if (cap <= this.capacity) return;
    const validity = new Uint8Array((cap + 7) >> 3);
    validity.set(this.validity);
    this.validity = validity;
    if (this.values) {
      const v = new Float64Array(cap);
      v.set(this.values.subarray(0, this.length));
      this.values = v;
    }
    if (this.indices) {
      const ix = new Int32Array(cap);
      ix.set(this.indices.subarray(0, this.length));
      this.indices = ix;
    }
    this.capacity = cap;
  }

  /** The field of row `row` (0-based data row) in column j of `rec`. */
  push(rec: CsvRecord, j: number, row: number): void {
    const i = this.length;
    if (i === this.capacity) this.reserve(Math.max(64, this.capacity * 2));
    if (this.numeric) {
      const buf = rec.buf;
      const s = rec.start[j];
      const e = rec.end[j];
      if (rec.flags[j] === 0 && e > s) {
        const r = parseDecimal(buf, s, e);
        if (r !== NOT_DECIMAL) {
          this.values![i] = r === 0 ? decimalValue : Number(asciiText(buf, s, e));
          this.validity[i >> 3] |= 1 << (i & 7);
          this.length = i + 1;
          return;
        }
      }
      const bytes = fieldBytes(rec, j);
      const k = classifyNumber(this.decode(bytes, rec, row), this.decimalComma);
      if (k === Kind.Number) {
        this.values![i] = parsedValue;
        this.validity[i >> 3] |= 1 << (i & 7);
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
      this.setLevel(i, bytes, rec, row);
      this.length = i + 1;
      return;
    }
    this.setLevel(i, fieldBytes(rec, j), rec, row);
    this.length = i + 1;
  }

  private decode(bytes: Uint8Array, rec: CsvRecord, row: number): string {
    try {
      return decodeText(bytes, this.encoding);
    } catch (e) {
      throw this.located(e, rec, row);
    }
  }

  private located(e: unknown, rec: CsvRecord, row: number): unknown {
    if (e instanceof InvalidUtf8) return invalidUtf8(e, `line ${rec.line} (data row ${row + 1}), column '${this.name}'`, { column: this.name, row: row + 1 });
    return e;
  }

  /** Row i of a text column: the level of `bytes`, or missing for an empty field and `NA`. */
  private setLevel(i: number, bytes: Uint8Array, rec: CsvRecord, row: number): void {
    if (bytes.length === 0 || (bytes.length === 2 && bytes[0] === 78 && bytes[1] === 65)) {
      this.nullCount++;
      return;
    }
    let code: number;
    try {
      code = this.levels!.code(bytes, this.decodeLevel);
    } catch (e) {
      throw this.located(e, rec, row);
    }
    this.indices![i] = code;
    this.validity[i >> 3] |= 1 << (i & 7);
  }

  /** Numeric so far, text from the current row on: drop the numbers, remember to re-read the prefix. */
  private switchToText(): void {
    this.numeric = false;
    this.values = null;
    this.indices = new Int32Array(this.capacity);
    this.levels = new LevelInterner();
    this.prefixRows = this.length;
    // validity and null count of the prefix are recomputed by the second pass
    this.validity.fill(0, 0, (this.length + 7) >> 3);
    this.nullCount = 0;
  }

  /** Second pass: row `row` < prefixRows, column j of `rec`. */
  setPrefix(rec: CsvRecord, j: number, row: number): void {
    this.setLevel(row, fieldBytes(rec, j), rec, row);
  }

  finish(levelOrder: 'locale' | 'C', strayText: 'error' | 'missing' | 'factor', warnings: string[]): { vector: arrow.Vector; stray?: StrayTextNote } {
    const n = this.length;
    const validity = this.nullCount > 0 ? trim(this.validity, (n + 7) >> 3) : undefined;
    if (this.numeric) return { vector: makeFloat64Vector(trim(this.values!, n), validity, this.nullCount) };
    const byCode = this.levels!.levels;
    const indices = trim(this.indices!, n);
    const v = this.validity;
    const stray = strayText === 'factor' ? null : strayTextOf(byCode, indices, v, n, this.decimalComma);
    if (stray && strayText === 'missing') {
      // numbers with a few text values, read as numbers with the text as missing
      const values = new Float64Array(n);
      const valid = new Uint8Array((n + 7) >> 3);
      let nulls = 0;
      for (let i = 0; i < n; i++) {
        const k = indices[i];
        const x = stray.numbers[k];
        if ((v[i >> 3] >> (i & 7)) & 1 && (x === x || stray.isNaNLevel[k])) {
          values[i] = x;
          valid[i >> 3] |= 1 << (i & 7);
        } else {
          values[i] = NaN;
          nulls++;
        }
      }
      warnings.push(
        `column '${this.name}': ${stray.note.textRows} value${stray.note.textRows === 1 ? '' : 's'} that ${stray.note.textRows === 1 ? 'is' : 'are'} not a number read as missing (strayText: 'missing'): ` +
          describeExamples(stray.note),
      );
      return { vector: makeFloat64Vector(values, nulls > 0 ? valid : undefined, nulls) };
    }
    // sort levels like R and remap the codes
    const sorted = byCode.slice().sort(levelOrder === 'C' ? compareCodePoints : compareLocale);
    const newCode = new Map<string, number>();
    for (let j = 0; j < sorted.length; j++) newCode.set(sorted[j], j);
    const perm = new Int32Array(byCode.length);
    for (let j = 0; j < byCode.length; j++) perm[j] = newCode.get(byCode[j])!;
    for (let i = 0; i < n; i++) {
      if ((v[i >> 3] >> (i & 7)) & 1) indices[i] = perm[indices[i]];
      else indices[i] = 0;
    }
    return { vector: makeFactorVector(indices, sorted, validity, this.nullCount), ...(stray ? { stray: stray.note } : {}) };
  }
}

/** `a` cut to `n` entries: a view when little would be wasted, else a copy. */
function trim<T extends Float64Array | Int32Array | Uint8Array>(a: T, n: number): T {
  if (a.length === n) return a;
  return (a.length <= n + (n >> 3) + 64 ? a.subarray(0, n) : a.slice(0, n)) as T;
}

/** The most distinct text values a column of numbers may have for them to count as stray text. */
const MAX_STRAY_LEVELS = 10;

/**
 * Whether a text column is numbers with a few text values: more than half of its non-missing values
 * are numbers and the text takes at most MAX_STRAY_LEVELS distinct values. Then the number of each
 * level (NaN for text) and the note of where the text is.
 */
function strayTextOf(levels: string[], codes: Int32Array, valid: Uint8Array, n: number, decimalComma: boolean):
  { numbers: Float64Array; isNaNLevel: Uint8Array; note: StrayTextNote } | null {
  const numbers = new Float64Array(levels.length);
  const isNaNLevel = new Uint8Array(levels.length);
  let textLevels = 0;
  for (let k = 0; k < levels.length; k++) {
    if (classifyNumber(levels[k], decimalComma) === Kind.Number) {
      numbers[k] = parsedValue;
      if (parsedValue !== parsedValue) isNaNLevel[k] = 1;
    } else {
      numbers[k] = NaN;
      textLevels++;
    }
  }
  if (textLevels === 0 || textLevels > MAX_STRAY_LEVELS) return null;
  let valueRows = 0;
  let textRows = 0;
  const examples: { row: number; value: string }[] = [];
  for (let i = 0; i < n; i++) {
    if (!((valid[i >> 3] >> (i & 7)) & 1)) continue;
    valueRows++;
    const k = codes[i];
    if (numbers[k] !== numbers[k] && !isNaNLevel[k]) {
      textRows++;
      if (examples.length < 5) examples.push({ row: i + 1, value: levels[k] });
    }
  }
  if (!(valueRows - textRows > valueRows / 2)) return null;
  return { numbers, isNaNLevel, note: { textRows, valueRows, examples } };
}

/** `row 5: "oops", row 9: "n/a"` (and how many more). */
export function describeExamples(note: StrayTextNote): string {
  const shown = note.examples.map((x) => `row ${x.row}: ${JSON.stringify(x.value)}`).join(', ');
  const more = note.textRows - note.examples.length;
  return more > 0 ? `${shown} and ${more} more` : shown;
}

function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

let collator: Intl.Collator | null = null;
/** R's sort order of factor levels in an English UTF-8 locale (a < A < b < B), ties by code point. */
export function compareLocale(a: string, b: string): number {
  collator ??= new Intl.Collator('en-US', { sensitivity: 'variant', numeric: false });
  return collator.compare(a, b) || compareCodePoints(a, b);
}

// ---------------------------------------------------------------------------------------------

/** The CSV reader's options (CsvOptions), as checked by `checkCsvOptions`. */
const CSV_OPTIONS: Schema = {
  factors: columnNames,
  delimiter: (d, at) => {
    if (typeof d !== 'string' || d.length !== 1 || d.charCodeAt(0) > 0x7f || d === '"' || d === '\n' || d === '\r') {
      throw new OptionError('delimiter', `${at} must be one ASCII character other than a quote or a line break (such as ',', ';', '\\t', '|'), not ${showValue(d)}`);
    }
  },
  levelOrder: oneOf('locale', 'C'),
  encoding: (e, at) => {
    if (typeof e !== 'string' || normalEncoding(e) === null) throw new OptionError('encoding', `${at} must be 'utf-8' or 'latin1', not ${showValue(e)}`);
  },
  strayText: oneOf('error', 'missing'),
};

/** 'utf-8' or 'latin1' for the names they go by, else null. */
function normalEncoding(e: string): 'utf-8' | 'latin1' | null {
  const x = e.toLowerCase();
  if (x === 'utf-8' || x === 'utf8') return 'utf-8';
  if (x === 'latin1' || x === 'latin-1' || x === 'iso-8859-1') return 'latin1';
  return null;
}

/** Checks the reader's options (an OptionError for an unknown option or a bad value). */
export function checkCsvOptions(opts: unknown, at = 'readCsv'): void {
  checkObject(opts, at, CSV_OPTIONS);
}

/** The options checked, with their defaults. */
function checkOptions(opts: CsvOptions): { delimiter: string | null; encoding: 'utf-8' | 'latin1'; levelOrder: 'locale' | 'C'; strayText: 'error' | 'missing' } {
  checkCsvOptions(opts);
  return {
    delimiter: opts.delimiter ?? null,
    encoding: opts.encoding === undefined ? 'utf-8' : normalEncoding(opts.encoding)!,
    levelOrder: opts.levelOrder ?? 'locale',
    strayText: opts.strayText ?? 'error',
  };
}

/**
 * Parse CSV (header row required) into an Arrow Table typed like R's `read.csv(stringsAsFactors =
 * TRUE)`. `input`: text, bytes, or a ByteSource (see ./node.ts for files). Throws a DataError on:
 * empty input / no header, no data rows, a row with the wrong number of fields, duplicate column
 * names, an unterminated quoted field, invalid UTF-8; an OptionError on a bad option.
 */
export function readCsv(input: CsvInput, opts: CsvOptions = {}): ReadResult {
  if (opts === null) opts = {};
  const { delimiter: given, encoding, levelOrder, strayText } = checkOptions(opts);
  const source = sourceOf(input);
  const warnings: string[] = [];
  const notes: string[] = [];

  // the first chunks (at least 64 KiB, or all) to sniff the delimiter from
  const it = source.chunks()[Symbol.iterator]();
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < 65536) {
    const r = it.next();
    if (r.done) {
      ended = true;
      break;
    }
    head.push(r.value.slice());
    headBytes += r.value.length;
  }
  const first = concat(head);
  const bom = first.length >= 3 && first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf ? 3 : 0;
  let delimiter = given;
  if (delimiter === null) {
    const sniffed = sniffDelimiter(first.subarray(bom, Math.min(first.length, bom + 65536)), ended && first.length - bom <= 65536);
    delimiter = sniffed ?? ',';
    if (delimiter !== ',') {
      const dec = delimiter === ';' ? ', numbers with a decimal point or a decimal comma' : '';
      notes.push(`read as ${describeDelimiter(delimiter)}-delimited${dec} (sniffed from the first lines; set the delimiter to choose another)`);
    }
  }
  const delim = delimiter;

  const factorNames = new Set(opts.factors ?? []);
  let header: string[] | null = null;
  let builders: ColumnBuilder[] = [];
  let ncol = 0;
  let nrow = 0;
  let firstDataOffset = -1;
  let sized = false;
  const decodedInput = source.decoded === true;

  const headerWhere = (j: number) => () => `header, column ${j + 1}`;
  const onRecord = (rec: CsvRecord): void => {
    if (header === null) {
      header = readHeader(rec, encoding, warnings, headerWhere);
      ncol = header.length;
      builders = header.map((name) => new ColumnBuilder(name, 64, encoding, delim === ';'));
      return;
    }
    if (rec.count !== ncol) {
      const hint = ncol === 1 && given === null ? ' (no delimiter was found in the header: set the delimiter)' : '';
      throw new DataError(
        `CSV line ${rec.line} (data row ${nrow + 1}) has ${rec.count} field${rec.count === 1 ? '' : 's'}, ` +
          `but the header has ${ncol} (${describeDelimiter(delim)}-delimited)${hint}`,
        { row: nrow + 1 },
      );
    }
    if (firstDataOffset < 0) firstDataOffset = rec.offset;
    const row = nrow;
    for (let j = 0; j < ncol; j++) builders[j].push(rec, j, row);
    nrow++;
    // after 1000 rows: size the buffers from the bytes per row (a 30k-column file of 40 rows needs 40 rows)
    if (!sized && nrow === 1000 && source.size !== undefined) {
      sized = true;
      const perRow = (rec.offset - firstDataOffset) / 999;
      if (perRow > 0) {
        const est = Math.ceil(((source.size - firstDataOffset) / perRow) * 1.02) + 64;
        for (const b of builders) b.reserve(est);
      }
    }
  };

  const tok = new CsvTokenizer(delim.charCodeAt(0), onRecord);
  if (first.length > bom) tok.push(first.subarray(bom));
  if (!ended) {
    for (let r = it.next(); !r.done; r = it.next()) tok.push(r.value);
  }
  tok.finish();

  if (header === null) throw new DataError('CSV is empty: expected a header row with column names');
  if (nrow === 0) throw new DataError('CSV has a header but no data rows');
  const names: string[] = header;
  for (const f of factorNames) {
    if (!names.includes(f)) throw new OptionError('factors', `factors: column '${f}' not found in the data (columns: ${names.join(', ')})`);
  }

  // second pass for columns that turned out to be text after some numeric-looking rows
  const pending = builders.filter((b) => !b.numeric && b.prefixRows > 0);
  if (pending.length > 0) {
    const maxPrefix = Math.max(...pending.map((b) => b.prefixRows));
    const cols = builders.map((b, j) => (!b.numeric && b.prefixRows > 0 ? j : -1)).filter((j) => j >= 0);
    let r = -1;
    const second = new CsvTokenizer(delim.charCodeAt(0), (rec) => {
      if (r >= 0) {
        for (const j of cols) {
          const b = builders[j];
          if (r < b.prefixRows) b.setPrefix(rec, j, r);
        }
      }
      r++;
      if (r >= maxPrefix) second.stop();
    });
    let skip = bom;
    for (const chunk of source.chunks()) {
      second.push(skip > 0 ? chunk.subarray(skip) : chunk);
      skip = 0;
      if (r >= maxPrefix) break;
    }
    second.finish();
  }

  const columns = builders.map((b) => {
    const { vector, stray } = b.finish(levelOrder, factorNames.has(b.name) ? 'factor' : strayText, warnings);
    if (decodedInput && !b.numeric) checkReplacementChars(b.name, vector);
    return [b.name, vector, stray] as const;
  });
  const table = tableFromColumns(columns.map(([name, vector]) => [name, vector] as const));
  // a factor of numbers with stray text carries its note, for the model frame's error
  columns.forEach(([, , stray], j) => {
    if (stray) table.schema.fields[j].metadata.set(STRAY_TEXT_KEY, JSON.stringify(stray));
  });
  return { table, warnings, delimiter: delim, ...(notes.length ? { notes } : {}) };
}

/** The header's column names; an empty name becomes X (X.1, …) as R's read.csv names it. */
function readHeader(rec: CsvRecord, encoding: 'utf-8' | 'latin1', warnings: string[], where: (j: number) => () => string): string[] {
  const header: string[] = [];
  for (let j = 0; j < rec.count; j++) header.push(decodeAt(fieldBytes(rec, j), encoding, where(j)));
  const seen = new Map<string, number>();
  for (let j = 0; j < header.length; j++) {
    let name = header[j];
    if (name.trim() === '') {
      let k = 0;
      name = 'X';
      while (header.includes(name) || seen.has(name)) name = `X.${++k}`;
      warnings.push(`CSV column ${j + 1} has an empty name; named it "${name}"`);
      header[j] = name;
    }
    const prev = seen.get(name);
    if (prev !== undefined) throw new DataError(`CSV header has duplicate column name "${name}" (columns ${prev + 1} and ${j + 1})`);
    seen.set(name, j);
  }
  return header;
}

/** A decoded string input with U+FFFD in a level: bytes were replaced before the reader saw them. */
function checkReplacementChars(name: string, vector: arrow.Vector): void {
  const dict = (vector.data[0] as { dictionary?: arrow.Vector }).dictionary;
  if (!dict) return;
  for (let k = 0; k < dict.length; k++) {
    const level = String(dict.get(k));
    if (level.includes('\uFFFD')) {
      throw new DataError(
        `CSV column '${name}': the level ${JSON.stringify(level)} holds U+FFFD, the character a decoder puts in place of bytes that are not valid UTF-8, ` +
          `so levels that differed in those bytes may have been merged. Read the file's bytes instead of decoded text (readCsv(bytes), readCsvFile) ` +
          `with the right encoding (e.g. 'latin1')`,
        { column: name },
      );
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Checks requested factor names against `table`'s columns (an OptionError naming the first unknown one). */
export function checkFactorNames(table: arrow.Table, factors: readonly string[] | undefined): void {
  if (!factors || factors.length === 0) return;
  const names = table.schema.fields.map((f) => f.name);
  for (const f of factors) {
    if (!names.includes(f)) throw new OptionError('factors', `factors: column '${f}' not found in the data (columns: ${names.join(', ')})`);
  }
}
