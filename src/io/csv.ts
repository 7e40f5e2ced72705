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
import { tableFromColumns } from './arrow.js';
import { CsvTokenizer, describeDelimiter, fieldBytes, sniffDelimiter, type CsvRecord } from './csvTokenizer.js';
import { ColumnBuilder, LEVEL_ORDER_KEY, STRAY_TEXT_KEY } from './csvColumn.js';
import { Kind, classifyNumber, decodeAt, parsedValue } from './csvValues.js';
import { DataError, OptionError, showValue } from '../errors/errors.js';
import { type Schema, checkObject, columnNames, oneOf } from '../options/rules.js';

export { LEVEL_ORDER_KEY, STRAY_TEXT_KEY, compareLocale, describeExamples } from './csvColumn.js';
export type { StrayTextNote } from './csvColumn.js';

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

/**
 * A CSV field read as a numeric column reads it (R's type.convert): the number, null for a missing
 * value (empty, whitespace-only, NA), or undefined when the field is text (the column is then a factor).
 * For the streamed CSV source (src/gram/stream/csv.ts), which parses records as strings.
 */
export function csvFieldNumber(s: string): number | null | undefined {
  const k = classifyNumber(s, false);
  return k === Kind.Number ? parsedValue : k === Kind.Missing ? null : undefined;
}

/** A CSV field read as a factor column reads it: null for an empty field or NA, else the string. */
export function csvFieldText(s: string): string | null {
  return s.length === 0 || s === 'NA' ? null : s;
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
  if (first.length >= 2 && ((first[0] === 0xff && first[1] === 0xfe) || (first[0] === 0xfe && first[1] === 0xff))) {
    throw new DataError(`CSV is UTF-16 (it starts with the byte order mark ${first[0] === 0xff ? 'FF FE' : 'FE FF'}): save it as UTF-8 (or Latin-1)`);
  }
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
  // a factor of numbers with stray text carries its note, for the model frame's error; with
  // levelOrder 'C', a factor its order, which the model frame keeps
  columns.forEach(([, , stray], j) => {
    if (stray) table.schema.fields[j].metadata.set(STRAY_TEXT_KEY, JSON.stringify(stray));
    if (levelOrder === 'C' && !builders[j].numeric) table.schema.fields[j].metadata.set(LEVEL_ORDER_KEY, 'C');
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
