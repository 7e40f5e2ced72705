/**
 * Node's side of the stream engine: a file as a byte source read by range (one open file handle),
 * and the batch source for a file by its extension.
 */
import { createReadStream, createWriteStream, existsSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import type { BatchSource, ByteSource } from './batch.js';
import { ParquetBatchSource } from './parquet.js';
import { CsvBatchSource } from './csv.js';
import { ArrowBatchSource } from './arrowIpc.js';
import type { StreamResiduals } from './residuals.js';

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

/**
 * Writes every complete row of the source (all its columns) with `fitted` and `residual` to a
 * Parquet (.parquet, .pq) or CSV (.csv) file, batch by batch. The file must not exist; a partial
 * file is removed after an error. Returns the rows written.
 */
export async function writeStreamResiduals(source: BatchSource, sr: StreamResiduals, path: string, batchSize = 65_536): Promise<number> {
  if (existsSync(path)) throw new Error(`stream: writing residuals: ${path} exists (not overwritten)`);
  const schema = await source.schema();
  for (const c of ['fitted', 'residual']) if (schema.has(c)) throw new Error(`stream: writing residuals: the data already have a column '${c}'`);
  const names = [...schema.keys()];
  const parquet = /\.(parquet|pq)$/i.test(path);
  if (!parquet && !/\.csv$/i.test(path)) throw new Error(`stream: writing residuals: ${path}: the file must end in .parquet or .csv`);
  let rows = 0;
  try {
    const { ParquetWriter, fileWriter } = await import('hyparquet-writer');
    const pw = parquet
      ? new ParquetWriter({
        writer: fileWriter(path),
        schema: [
          { name: 'root', num_children: names.length + 2 },
          ...names.map((nm) => (schema.get(nm) === 'numeric'
            ? { name: nm, type: 'DOUBLE' as const, repetition_type: 'OPTIONAL' as const }
            : { name: nm, type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'OPTIONAL' as const })),
          { name: 'fitted', type: 'DOUBLE' as const, repetition_type: 'REQUIRED' as const },
          { name: 'residual', type: 'DOUBLE' as const, repetition_type: 'REQUIRED' as const },
        ],
      })
      : null;
    const csv = parquet ? null : createWriteStream(path);
    const cell = (v: number | string | null) => (v === null || (typeof v === 'number' && Number.isNaN(v)) ? '' : typeof v === 'number' ? String(v) : /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    if (csv) csv.write(`${[...names, 'fitted', 'residual'].map(cell).join(',')}\n`);
    for await (const batch of source.batches(names, batchSize)) {
      const r = sr.compute(batch);
      const keep: number[] = [];
      for (let i = 0; i < batch.n; i++) if (r.ok[i]) keep.push(i);
      if (keep.length === 0) continue;
      rows += keep.length;
      const cols = names.map((nm) => {
        const v = batch.columns.get(nm)!;
        return v instanceof Float64Array ? keep.map((i) => (Number.isNaN(v[i]) ? null : v[i])) : keep.map((i) => v[i]);
      });
      const fitted = Float64Array.from(keep, (i) => r.fitted[i]);
      const residual = Float64Array.from(keep, (i) => r.residual[i]);
      if (pw) {
        await pw.write({
          columnData: [...names.map((nm, c) => ({ name: nm, data: cols[c] })), { name: 'fitted', data: fitted }, { name: 'residual', data: residual }],
          rowGroupSize: keep.length,
        });
      } else {
        let text = '';
        for (let k = 0; k < keep.length; k++) text += `${[...cols.map((c) => cell(c[k] as number | string | null)), String(fitted[k]), String(residual[k])].join(',')}\n`;
        if (!csv!.write(text)) await new Promise<void>((res) => csv!.once('drain', () => res()));
      }
    }
    if (pw) pw.finish();
    if (csv) await new Promise<void>((res, rej) => csv.end((e?: Error | null) => (e ? rej(e) : res())));
  } catch (e) {
    rmSync(path, { force: true });
    throw new Error(`stream: writing residuals to ${path}: ${(e as Error).message}`);
  }
  return rows;
}
