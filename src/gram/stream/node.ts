/**
 * Node's side of the stream engine: a file as a byte source read by range (one open file handle),
 * and the batch source for a file by its extension.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import type { BatchSource, ByteSource } from './batch.js';
import { ParquetBatchSource } from './parquet.js';
import { CsvBatchSource } from './csv.js';
import { ArrowBatchSource } from './arrowIpc.js';

/** A file's bytes by range; close() releases the handle. */
export async function fileByteSource(path: string): Promise<ByteSource & { close(): Promise<void> }> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  return {
    byteLength: size,
    async slice(start, end) {
      const len = Math.max(0, (end ?? size) - start);
      const buf = new Uint8Array(len);
      let got = 0;
      while (got < len) {
        const { bytesRead } = await handle.read(buf, got, len - got, start + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return buf.buffer;
    },
    close: () => handle.close(),
  };
}

/** The batch source of a data file (.parquet, .pq, .csv, .tsv, .arrow, .feather, .ipc); close() when done. */
export async function openBatchSource(path: string): Promise<BatchSource & { close(): Promise<void> }> {
  if (!existsSync(path)) throw new Error(`stream: reading ${path}: data file not found`);
  if (!statSync(path).isFile()) throw new Error(`stream: reading ${path}: not a regular file`);
  const ext = extname(path).toLowerCase();
  if (ext === '.arrow' || ext === '.feather' || ext === '.ipc') {
    const src = new ArrowBatchSource(() => createReadStream(path), path);
    return Object.assign(src, { close: async () => {} });
  }
  const bytes = await fileByteSource(path);
  let src: BatchSource;
  if (ext === '.parquet' || ext === '.pq') src = new ParquetBatchSource(bytes, path);
  else if (ext === '.csv') src = new CsvBatchSource(bytes, path, ',');
  else if (ext === '.tsv') src = new CsvBatchSource(bytes, path, '\t');
  else {
    await bytes.close();
    throw new Error(`stream: reading ${path}: unknown data file extension "${ext || '(none)'}"; expected .parquet, .pq, .csv, .tsv, .arrow, .feather or .ipc`);
  }
  return Object.assign(src, { close: () => bytes.close() });
}
