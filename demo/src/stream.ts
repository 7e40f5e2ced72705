/**
 * Worker side: files larger than the tab. A Parquet file is read one row group at a time through
 * the streaming Gram source (src/gram/stream: ParquetBatchSource → gramFromStream → lmerFromGram),
 * so neither the worker nor the page ever holds the table: only the file handle, one batch of the
 * used columns, and the Gram matrix. The byte source counts what it reads, for the page's "bytes
 * read" and rows per second.
 */
import { ParquetBatchSource, lmerStream } from '../../src/index.js';
import type { ByteSource } from '../../src/gram/stream/batch.js';
import type { StreamProgressMsg, StreamRequest, StreamResultMsg } from './protocol.js';

/** A Blob (a File) as a byte source that counts the bytes it hands out. */
export function countingSource(blob: Blob): ByteSource & { bytesRead: number } {
  const src = {
    byteLength: blob.size,
    bytesRead: 0,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const buf = await blob.slice(start, end).arrayBuffer();
      src.bytesRead += buf.byteLength;
      return buf;
    },
  };
  return src;
}

export async function streamFit(
  file: Blob, name: string, req: StreamRequest,
  ctx: { signal: AbortSignal; onProgress: (p: StreamProgressMsg) => void },
): Promise<StreamResultMsg> {
  if (!/\.(parquet|pq)$/i.test(name)) throw new Error(`${name}: streaming reads Parquet files (.parquet); load other formats whole with the file picker above`);
  if (/^\s*cbind\s*\(/.test(req.formula)) throw new Error('a GLMM (cbind response) cannot be fitted from a stream: PIRLS needs the rows at every iteration; streaming fits linear mixed models (lmer) only');
  const batchSize = req.batchSize ?? 65_536;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new Error(`rows per batch must be a whole number ≥ 1, got ${req.batchSize}`);
  const bytes = countingSource(file);
  const source = new ParquetBatchSource(bytes, name);
  const t0 = performance.now();
  let scanned = 0;
  let lastRows = 0;
  const { fit } = await lmerStream(source, req.formula, {
    factors: req.factors, REML: req.reml, backend: 'cpu', batchSize, signal: ctx.signal, dataName: name,
    onBatch: (pass, rows) => {
      // rows counts up within a pass; a new pass starts again from its first batch
      scanned += rows >= lastRows ? rows - lastRows : rows;
      lastRows = rows;
      ctx.onProgress({ pass, rows, rowsScanned: scanned, bytesRead: bytes.bytesRead, fileBytes: file.size, elapsedMs: performance.now() - t0 });
    },
  });
  const elapsedMs = performance.now() - t0;
  const src = fit.model.source;
  const rowsScanned = src?.rowsScanned ?? scanned;
  return {
    formula: fit.formula,
    reml: fit.reml,
    nobs: fit.nobs,
    sigma: fit.sigma,
    objective: fit.objective,
    logLik: fit.logLik,
    fixef: fit.model.frame.xnames.map((n) => ({ name: n, estimate: fit.fixef[n]!, se: fit.se[n]!, stat: fit.fixef[n]! / fit.se[n]! })),
    varCorr: fit.varCorr,
    summary: fit.summary(),
    bytesRead: bytes.bytesRead,
    fileBytes: file.size,
    rowsScanned,
    passes: src?.queries.map((q) => q.stage) ?? [],
    rowsPerSecond: rowsScanned / (elapsedMs / 1000),
    elapsedMs,
  };
}
