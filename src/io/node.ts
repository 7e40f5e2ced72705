/**
 * Node-only file readers (uses node:fs). Browser code should use ./csv.ts and ./arrow.ts directly.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { checkCsvOptions, checkFactorNames, readCsv, type ByteSource, type CsvOptions, type ReadResult } from './csv.js';
import { readArrowIpc } from './arrow.js';
import { readParquet } from './parquet.js';

import { DataError, MixedGpuError, OptionError, showValue } from '../errors/errors.js';

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
  if (typeof path !== 'string' || path === '') throw new OptionError('path', `the data file's path must be a non-empty string, not ${showValue(path)}`);
  if (!existsSync(path)) throw new DataError(`Data file not found: ${path}`);
  const st = statSync(path);
  if (!st.isFile()) throw new DataError(`Not a regular file: ${path}`);
  return st.size;
}

/** A file read in chunks of 4 MiB (one buffer, reused), from the start each time `chunks()` is called. */
export function fileSource(path: string): ByteSource {
  const size = checkFile(path);
  return {
    size,
    *chunks() {
      const fd = openSync(path, 'r');
      try {
        const buf = new Uint8Array(4 * 2 ** 20);
        for (;;) {
          const got = readSync(fd, buf, 0, buf.length, null);
          if (got === 0) break;
          yield buf.subarray(0, got);
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}

/**
 * The error `e` with the file's path in front of its message, of the same type (a DataError stays a
 * DataError); errors that are not the package's pass unchanged.
 */
function withPath(path: string, e: unknown): unknown {
  if (e instanceof MixedGpuError) {
    e.message = `${path}: ${e.message}`;
    return e;
  }
  // a system error while reading (EACCES, EIO, …)
  if (typeof (e as { code?: unknown } | null)?.code === 'string') return new DataError(`${path}: ${(e as Error).message}`);
  return e;
}

/**
 * Read a CSV (or, with `delimiter: '\t'`, TSV) file in chunks (any size whose columns fit in
 * memory); see `readCsv` for the typing rules.
 */
export function readCsvFile(path: string, opts: CsvOptions = {}): ReadResult {
  const source = fileSource(path);
  try {
    return readCsv(source, opts);
  } catch (e) {
    throw withPath(path, e);
  }
}

/**
 * Read a data file, choosing the reader by extension: .csv (comma), .tsv (tab), .arrow/.feather/.ipc
 * (Arrow IPC file or stream). Throws for a missing file or an unknown extension.
 */
export function readTableFile(path: string, opts: CsvOptions = {}): ReadResult {
  checkCsvOptions(opts, 'readTableFile');
  const kind = kindOf(path);
  if (kind === 'parquet') throw new OptionError('path', `${path}: Parquet files are read asynchronously: use readTableFileAsync`);
  if (kind === 'csv') return readCsvFile(path, opts);
  if (kind === 'tsv') return readCsvFile(path, { ...opts, delimiter: opts.delimiter ?? '\t' });
  checkFile(path);
  const bytes = readFileSync(path);
  let table;
  try {
    table = readArrowIpc(bytes);
  } catch (e) {
    throw withPath(path, e);
  }
  checkFactorNames(table, opts.factors);
  return { table, warnings: [] };
}

function kindOf(path: string): 'csv' | 'tsv' | 'arrow' | 'parquet' {
  if (typeof path !== 'string' || path === '') throw new OptionError('path', `the data file's path must be a non-empty string, not ${showValue(path)}`);
  const ext = extname(path).toLowerCase();
  const kind = TABLE_EXTENSIONS[ext];
  if (!kind) {
    throw new DataError(
      `Unknown data file extension "${ext || '(none)'}" for ${path}; expected one of ${Object.keys(TABLE_EXTENSIONS).join(', ')}`,
    );
  }
  return kind;
}

/** As readTableFile, for every format including Parquet (.parquet, .pq). */
export async function readTableFileAsync(path: string, opts: CsvOptions = {}): Promise<ReadResult> {
  checkCsvOptions(opts, 'readTableFileAsync');
  if (kindOf(path) !== 'parquet') return readTableFile(path, opts);
  checkFile(path);
  const bytes = readFileSync(path);
  let res: ReadResult;
  try {
    res = await readParquet(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  } catch (e) {
    throw withPath(path, e);
  }
  checkFactorNames(res.table, opts.factors);
  return { table: res.table, warnings: res.warnings };
}
