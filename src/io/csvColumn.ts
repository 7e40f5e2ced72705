/**
 * One CSV column as it is read (./csv.ts): numbers into a Float64Array until a field is text, then
 * factor levels interned by their bytes (./levelInterner.ts); at the end an Arrow vector — Float64,
 * or a factor with levels in R's order, or (numbers with a few text values) a factor carrying a
 * note of the text or, with `strayText: 'missing'`, numbers with the text as missing.
 */
import type * as arrow from 'apache-arrow';
import { makeFactorVector, makeFloat64Vector } from './arrow.js';
import { fieldBytes, type CsvRecord } from './csvTokenizer.js';
import { LevelInterner } from './levelInterner.js';
import {
  InvalidUtf8, Kind, NOT_DECIMAL, asciiText, classifyNumber, decimalValue, decodeText, invalidUtf8, parseDecimal, parsedValue,
} from './csvValues.js';

/** The field metadata key of a factor column that holds numbers with a few text values. */
export const STRAY_TEXT_KEY = 'mixedgpu.strayText';

/**
 * The field metadata key of a factor column whose dictionary is in code-point order (readCsv's
 * `levelOrder: 'C'`, value 'C'): the model frame keeps that order instead of sorting its levels by
 * the locale's collation.
 */
export const LEVEL_ORDER_KEY = 'mixedgpu.levelOrder';

/** What STRAY_TEXT_KEY holds (as JSON). */
export interface StrayTextNote {
  /** rows (1-based data rows) holding text, and non-missing rows */
  textRows: number;
  valueRows: number;
  /** the first few text values with their rows */
  examples: { row: number; value: string }[];
}

// ---------------------------------------------------------------------------------------------
// Column builder

/** Reads one column's fields, as numbers until a field is text, then as factor levels. */
export class ColumnBuilder {
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
