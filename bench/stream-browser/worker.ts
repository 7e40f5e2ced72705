/** The worker of the browser streaming benchmark (see main.ts). */
import { blobSource } from '../../src/gram/stream/batch.js';
import { ParquetBatchSource } from '../../src/gram/stream/parquet.js';
import { gramFromStream } from '../../src/gram/stream/streamSource.js';
import type { StreamResult, StreamRun } from './main.js';

const heap = () => (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? null;

self.onmessage = async (ev: MessageEvent<StreamRun & { file: File }>) => {
  const { file, formula, factors, batchSize } = ev.data;
  let peak = heap();
  let lastLog = 0;
  const t0 = performance.now();
  const post = (m: unknown) => (self as unknown as Worker).postMessage(m);
  const base = { file: file.name, bytes: file.size };
  try {
    const res = await gramFromStream(new ParquetBatchSource(blobSource(file), file.name), formula, {
      factors, batchSize,
      onBatch: (pass, rows) => {
        const h = heap();
        if (h !== null && (peak === null || h > peak)) peak = h;
        const now = performance.now();
        if (now - lastLog > 5000) { lastLog = now; post({ type: 'log', text: `pass ${pass}: ${rows} rows, ${((now - t0) / 1000).toFixed(0)} s, heap ${h === null ? '?' : (h / 2 ** 20).toFixed(0)} MiB` }); }
      },
    });
    const result: StreamResult = {
      ok: true, ...base, rows: res.summary.nInput, levels: Object.fromEntries(res.blocks.map((b) => [b.group, b.nl])),
      seconds: (performance.now() - t0) / 1000, queries: res.queries.map((q) => ({ stage: q.stage, seconds: q.ms / 1000, rows: q.rows })),
      workerHeapPeakMB: peak === null ? null : peak / 2 ** 20, progress: res.summary.nInput,
    };
    post({ type: 'done', result });
  } catch (e) {
    post({ type: 'done', result: { ok: false, error: (e as Error).message, ...base, rows: 0, levels: {}, seconds: (performance.now() - t0) / 1000, queries: [], workerHeapPeakMB: peak === null ? null : peak / 2 ** 20, progress: 0 } });
  }
};
