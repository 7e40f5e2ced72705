/**
 * The page of the browser streaming benchmark: hands the chosen File to a Web Worker, which reads
 * it row group by row group (src/gram/stream/) and forms the Gram matrix without holding the table.
 */
export interface StreamRun { formula: string; factors?: string[]; batchSize?: number }

export interface StreamResult {
  ok: boolean;
  error?: string;
  file: string;
  bytes: number;
  rows: number;
  levels: Record<string, number>;
  seconds: number;
  queries: { stage: string; seconds: number; rows: number }[];
  /** the worker's largest JS heap seen (performance.memory, sampled per batch), MiB */
  workerHeapPeakMB: number | null;
  progress: number;
}

function log(s: string): void {
  const el = document.getElementById('log');
  if (el) el.textContent += `${s}\n`;
}

declare global {
  interface Window { streamBench: { run(r: StreamRun): Promise<StreamResult> } }
}

window.streamBench = {
  run(r) {
    const input = document.getElementById('file') as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return Promise.reject(new Error('choose a file first'));
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    return new Promise((resolve) => {
      worker.onmessage = (ev: MessageEvent<{ type: string; text?: string; result?: StreamResult }>) => {
        if (ev.data.type === 'log') log(ev.data.text!);
        if (ev.data.type === 'done') { worker.terminate(); resolve(ev.data.result!); }
      };
      worker.postMessage({ file, ...r });
    });
  },
};
log('ready');
