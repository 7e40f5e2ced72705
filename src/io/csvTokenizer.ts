/**
 * CSV bytes → records of fields, in chunks (browser-safe). The reader (./csv.ts) feeds byte chunks of
 * any size; a record cut by a chunk boundary is carried to the next chunk, so a file is read in
 * pieces and never held whole (as bytes or as a string).
 *
 * Format (RFC 4180, as R's read.csv and papaparse read it): fields separated by one delimiter byte;
 * a record ends at `\n`, `\r\n` or a lone `\r` (mixed in one file is fine); a field that starts with
 * `"` is quoted: delimiters and line breaks inside it are data, `""` is one `"`; a `"` inside an
 * unquoted field is data. Empty lines are skipped. A quoted field not closed by the end of the input
 * is an error naming the line it starts on.
 *
 * Fields are reported as byte ranges of the current buffer (no string is made here); a field with
 * `""` or text after its closing quote is flagged and `fieldBytes` returns its content.
 */
import { DataError } from '../errors/errors.js';

/** The longest record (one line, or several inside a quoted field) the tokenizer carries between chunks. */
export const MAX_RECORD_BYTES = 64 * 2 ** 20;

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Where the fields of the current record are: `buf[start[j], end[j])`, flags[j] = 1 when `fieldBytes` must unescape it. */
export interface CsvRecord {
  buf: Uint8Array;
  count: number;
  start: Int32Array;
  end: Int32Array;
  /** 1: quoted with `""` inside or text after the closing quote (use fieldBytes) */
  flags: Uint8Array;
  /** 1-based physical line on which the record starts */
  line: number;
  /** byte offset of the record's start in the whole input */
  offset: number;
}

export type RecordHandler = (rec: CsvRecord) => void;

/**
 * Splits byte chunks into records. `push(chunk)` for each chunk, then `finish()`. The handler is
 * called for each complete non-empty record; it must not keep references to `rec` or its arrays.
 */
export class CsvTokenizer {
  private carry: Uint8Array = new Uint8Array(0);
  /** bytes of the input before the current buffer */
  private base = 0;
  /** physical line of the next record to start */
  private line = 1;
  private rec: CsvRecord;
  private stopped = false;

  constructor(
    private readonly delimiter: number,
    private readonly onRecord: RecordHandler,
  ) {
    this.rec = { buf: this.carry, count: 0, start: new Int32Array(16), end: new Int32Array(16), flags: new Uint8Array(16), line: 1, offset: 0 };
  }

  /** Stops the tokenizer: later chunks are ignored (the reader has what it needs). */
  stop(): void {
    this.stopped = true;
  }

  /** Tokenizes `chunk` (appended to the carried partial record). */
  push(chunk: Uint8Array): void {
    if (this.stopped) return;
    let data: Uint8Array;
    if (this.carry.length === 0) data = chunk;
    else {
      data = new Uint8Array(this.carry.length + chunk.length);
      data.set(this.carry, 0);
      data.set(chunk, this.carry.length);
    }
    const used = this.scan(data, false);
    // the partial record at the end waits for the next chunk (copied: the caller may reuse `chunk`)
    this.carry = used < data.length ? data.slice(used) : new Uint8Array(0);
    this.base += used;
  }

  /** The end of the input: the last record may lack a line break. */
  finish(): void {
    if (this.stopped) return;
    const data = this.carry;
    this.carry = new Uint8Array(0);
    if (data.length > 0) this.scan(data, true);
  }

  /**
   * Emits every complete record of `data`; returns the offset where the unfinished record starts
   * (data.length when none). At the end of the input (`final`) every record is complete.
   */
  private scan(data: Uint8Array, final: boolean): number {
    const delim = this.delimiter;
    const n = data.length;
    const rec = this.rec;
    rec.buf = data;
    let pos = 0;
    while (pos < n && !this.stopped) {
      const recordStart = pos;
      const recordLine = this.line;
      let lines = 1; // the line break that ends the record, and any inside its quoted fields
      let count = 0;
      let complete = false;
      let i = pos;
      for (;;) {
        // one field starting at i
        if (count === rec.start.length) this.growRecord();
        let flag = 0;
        let fieldStart = i;
        let fieldEnd: number;
        if (i < n && data[i] === QUOTE) {
          // quoted field: up to the closing quote (a `""` is an escaped quote)
          let j = i + 1;
          for (;;) {
            while (j < n && data[j] !== QUOTE) j++;
            if (j + 1 >= n) break; // the end, or a `"` at the end: `""` or a closing quote?
            if (data[j + 1] !== QUOTE) break;
            flag = 1;
            j += 2;
          }
          if (j >= n || (j + 1 >= n && !final)) {
            if (!final) return this.unfinished(data, recordStart, recordLine);
            throw new DataError(`CSV: the quoted field starting on line ${recordLine + countBreaks(data, recordStart, i)} is not terminated (missing closing quote)`);
          }
          fieldStart = i + 1;
          fieldEnd = j;
          lines += countBreaks(data, fieldStart, fieldEnd);
          const open = i;
          i = j + 1;
          // text after the closing quote (`"ab"c`) is kept, as papaparse and R do
          if (i < n && data[i] !== delim && data[i] !== LF && data[i] !== CR) {
            flag = 1;
            while (i < n && data[i] !== delim && data[i] !== LF && data[i] !== CR) i++;
            fieldEnd = i;
          }
          // a flagged field is given whole, from its opening quote, for fieldBytes to unescape
          if (flag === 1) {
            fieldStart = open;
            if (fieldEnd === j) fieldEnd = j + 1;
          }
        } else {
          while (i < n) {
            const c = data[i];
            if (c === delim || c === LF || c === CR) break;
            i++;
          }
          fieldEnd = i;
        }
        rec.start[count] = fieldStart;
        rec.end[count] = fieldEnd;
        rec.flags[count] = flag;
        count++;
        if (i >= n) {
          if (!final) return this.unfinished(data, recordStart, recordLine);
          complete = true;
          pos = n;
          break;
        }
        const c = data[i];
        if (c === delim) {
          i++;
          if (i >= n && !final) return this.unfinished(data, recordStart, recordLine);
          continue;
        }
        // a line break ends the record; `\r` at the end of a chunk may be the first half of `\r\n`
        if (c === CR) {
          if (i + 1 >= n && !final) return this.unfinished(data, recordStart, recordLine);
          pos = data[i + 1] === LF ? i + 2 : i + 1;
        } else pos = i + 1;
        complete = true;
        break;
      }
      if (!complete) return this.unfinished(data, recordStart, recordLine);
      this.line = recordLine + lines;
      // an empty line (one empty unquoted field) is skipped
      if (count === 1 && rec.end[0] === rec.start[0] && data[recordStart] !== QUOTE) continue;
      rec.count = count;
      rec.line = recordLine;
      rec.offset = this.base + recordStart;
      this.onRecord(rec);
    }
    return n;
  }

  /**
   * The record starting at `recordStart` continues in the next chunk: it is carried. A record longer
   * than MAX_RECORD_BYTES is an error (almost always a quote that is never closed), which also
   * bounds the rescanning of a carried record.
   */
  private unfinished(data: Uint8Array, recordStart: number, recordLine: number): number {
    if (data.length - recordStart > MAX_RECORD_BYTES) {
      throw new DataError(
        `CSV: the record starting on line ${recordLine} is longer than ${MAX_RECORD_BYTES / 2 ** 20} MiB without a line break outside quotes (a quoted field that is never closed?)`,
      );
    }
    return recordStart;
  }

  private growRecord(): void {
    const m = this.rec.start.length * 2;
    const start = new Int32Array(m);
    start.set(this.rec.start);
    const end = new Int32Array(m);
    end.set(this.rec.end);
    const flags = new Uint8Array(m);
    flags.set(this.rec.flags);
    this.rec.start = start;
    this.rec.end = end;
    this.rec.flags = flags;
  }
}

/** Line breaks in data[from, to) (for the line of an unterminated quote). */
function countBreaks(data: Uint8Array, from: number, to: number): number {
  let k = 0;
  for (let i = from; i < to; i++) if (data[i] === LF || (data[i] === CR && data[i + 1] !== LF)) k++;
  return k;
}

/**
 * The content of field j of `rec`: its bytes, unescaped when flagged (`""` → `"`, quotes of a quoted
 * part dropped, text after the closing quote kept).
 */
export function fieldBytes(rec: CsvRecord, j: number): Uint8Array {
  const { buf } = rec;
  const s = rec.start[j];
  const e = rec.end[j];
  if (rec.flags[j] === 0) return buf.subarray(s, e);
  // flagged: [s, e) runs from the opening quote
  const out = new Uint8Array(e - s);
  let k = 0;
  let inQuotes = true;
  for (let i = s + 1; i < e; i++) {
    const c = buf[i];
    if (inQuotes && c === QUOTE) {
      if (i + 1 < e && buf[i + 1] === QUOTE) {
        out[k++] = QUOTE;
        i++;
      } else inQuotes = false;
      continue;
    }
    out[k++] = c;
  }
  return out.subarray(0, k);
}

// ---------------------------------------------------------------------------------------------
// Delimiter sniffing

/** The delimiters `sniffDelimiter` chooses from, in order of preference on a tie. */
export const SNIFFED_DELIMITERS = [',', '\t', ';', '|'] as const;

/**
 * The delimiter of a CSV whose first bytes are `head`: among comma, tab, semicolon and bar, the one
 * that splits the header and the first data lines (up to 20 complete records) into the same number
 * of fields, more than one; on a tie the most fields, then the order above. Null when none does
 * (a one-column file, or no consistent split).
 */
export function sniffDelimiter(head: Uint8Array, complete: boolean): string | null {
  let best: string | null = null;
  let bestFields = 1;
  for (const d of SNIFFED_DELIMITERS) {
    const counts: number[] = [];
    const tok = new CsvTokenizer(d.charCodeAt(0), (rec) => {
      counts.push(rec.count);
      if (counts.length >= 20) tok.stop();
    });
    try {
      tok.push(head);
      if (complete) tok.finish();
    } catch {
      continue; // an unterminated quote under this delimiter: not it
    }
    if (counts.length === 0) continue;
    const k = counts[0];
    if (k > bestFields && counts.every((c) => c === k)) {
      best = d;
      bestFields = k;
    }
  }
  return best;
}

/** A delimiter as messages name it. */
export function describeDelimiter(d: string): string {
  switch (d) {
    case ',': return 'comma';
    case '\t': return 'tab';
    case ';': return 'semicolon';
    case '|': return 'bar';
    default: return JSON.stringify(d);
  }
}
