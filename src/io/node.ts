/**
 * Node-only file readers (uses node:fs). Browser code should use ./csv.ts and ./arrow.ts directly.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { constants as bufferConstants } from 'node:buffer';
import { checkFactorNames, readCsv, type CsvOptions, type ReadResult } from './csv.js';
import { readArrowIpc } from './arrow.js';
import { readParquet } from './parquet.js';

export type { CsvOptions, ReadResult } from './csv.js';

/** Extensions understood by `readTableFile`, lower-case, with the format each selects. */
export const TABLE_EXTENSIONS: Readonly<Record<string, 'csv' | 'tsv' | 'arrow' | 'parquet'>> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.arrow': 'arrow',
  '.feather': 'arrow',
  '.ipc': 'arrow',
  '.parquet': 'parquet',
  '.pq': 'parquet',
};

function checkFile(path: string): number {
  if (!existsSync(path)) throw new Error(`Data file not found: ${path}`);
  const st = statSync(path);
  if (!st.isFile()) throw new Error(`Not a regular file: ${path}`);
  return st.size;
}

function readText(path: string): string {
  const size = checkFile(path);
  // a JS string holds at most buffer.constants.MAX_STRING_LENGTH UTF-16 code units (~512M in Node 20)
  if (size > bufferConstants.MAX_STRING_LENGTH) {
    throw new Error(
      `CSV file ${path} is too large to parse as text (${(size / 2 ** 20).toFixed(0)} MiB); ` +
        `convert it to Arrow IPC (.arrow / .feather) instead`,
    );
  }
  return readFileSync(path, 'utf8');
}

/** Read a CSV (or, with `delimiter: '\t'`, TSV) file; see `readCsv` for the typing rules. */
export function readCsvFile(path: string, opts: CsvOptions = {}): ReadResult {
  const text = readText(path);
  try {
    return readCsv(text, opts);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

/**
 * Read a data file, choosing the reader by extension: .csv (comma), .tsv (tab), .arrow/.feather/.ipc
 * (Arrow IPC file or stream). Throws for a missing file or an unknown extension.
 */
export function readTableFile(path: string, opts: CsvOptions = {}): ReadResult {
  const kind = kindOf(path);
  if (kind === 'parquet') throw new Error(`${path}: Parquet files are read asynchronously: use readTableFileAsync`);
  if (kind === 'csv') return readCsvFile(path, opts);
  if (kind === 'tsv') return readCsvFile(path, { ...opts, delimiter: opts.delimiter ?? '\t' });
  checkFile(path);
  const bytes = readFileSync(path);
  let table;
  try {
    table = readArrowIpc(bytes);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  return { table, warnings: checkFactorNames(table, opts.factors) };
}

function kindOf(path: string): 'csv' | 'tsv' | 'arrow' | 'parquet' {
  const ext = extname(path).toLowerCase();
  const kind = TABLE_EXTENSIONS[ext];
  if (!kind) {
    throw new Error(
      `Unknown data file extension "${ext || '(none)'}" for ${path}; expected one of ${Object.keys(TABLE_EXTENSIONS).join(', ')}`,
    );
  }
  return kind;
}

/** As readTableFile, for every format including Parquet (.parquet, .pq). */
export async function readTableFileAsync(path: string, opts: CsvOptions = {}): Promise<ReadResult> {
  if (kindOf(path) !== 'parquet') return readTableFile(path, opts);
  checkFile(path);
  const bytes = readFileSync(path);
  let res: ReadResult;
  try {
    res = await readParquet(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  return { table: res.table, warnings: [...res.warnings, ...checkFactorNames(res.table, opts.factors)] };
}
