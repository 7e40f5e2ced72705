/**
 * Out-of-core Gram-matrix benchmarks: one engine, one file or table, one model; prints per-query
 * times, rows scanned, time per GB scanned and the process's peak RSS (VmHWM: the Node heap and
 * the engine's native memory together).
 *
 *   node dist/bench/gram/run.js --engine duckdb --file bench/out/data/rows100m.parquet \
 *     --formula 'y ~ x + w + (x | g)' --factors g --memory-limit 1GB
 *   node dist/bench/gram/run.js --engine stream --file data.parquet --formula ... --batch 65536
 */
import { readFileSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { ClickHouseEngine, clickhouseSource } from '../../src/gram/sql/clickhouse.js';
import { gramFromSql } from '../../src/gram/sql/sqlSource.js';
import { gramFromStream } from '../../src/gram/stream/streamSource.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { CpuBackend } from '../../src/backend/cpu/cpuBackend.js';
import type { GramSourceResult } from '../../src/gram/source.js';

const arg = (k: string, d?: string) => { const i = process.argv.indexOf(`--${k}`); return i > 0 ? process.argv[i + 1] : d; };

/** peak resident set size of this process (kB → MB), from /proc */
export function peakRssMB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main(): Promise<void> {
  const engine = arg('engine', 'duckdb')!;
  const formula = arg('formula', 'y ~ x + w + (x | g)')!;
  const factors = arg('factors')?.split(',');
  const file = arg('file');
  const t0 = performance.now();
  let res: GramSourceResult;
  let bytes = 0;
  if (engine === 'duckdb') {
    bytes = file && !file.includes('*') ? statSync(file).size : 0;
    const e = await DuckDbEngine.open({ memoryLimit: arg('memory-limit'), threads: Number(arg('threads', '2')) });
    try { res = await gramFromSql(e, { from: duckdbSource(file!), name: file! }, formula, { factors }); } finally { await e.close(); }
  } else if (engine === 'clickhouse') {
    const e = new ClickHouseEngine({ url: arg('url', 'http://127.0.0.1:8123')! });
    try { res = await gramFromSql(e, { from: clickhouseSource(arg('table')!), name: arg('table')! }, formula, { factors }); } finally { await e.close(); }
  } else {
    bytes = statSync(file!).size;
    const src = await openBatchSource(file!);
    try { res = await gramFromStream(src, formula, { factors, batchSize: Number(arg('batch', '65536')) }); } finally { await src.close(); }
  }
  const gramMs = performance.now() - t0;
  // the optimizer's cost per θ: the blocked Cholesky on A, independent of the rows
  const be = new CpuBackend(res.gram, res.theta.length);
  const te = performance.now();
  const evals = 5;
  for (let k = 0; k < evals; k++) be.evaluate(Float64Array.from(res.theta.start, (t) => t * (1 + 0.1 * k)));
  const perEvalMs = (performance.now() - te) / evals;
  const out = {
    engine, file, table: arg('table'), formula, rows: res.summary.nInput, used: res.summary.n, rowsScanned: res.rowsScanned,
    levels: Object.fromEntries(res.blocks.map((b) => [b.group, b.nl])),
    pairs: res.blocks.length > 1 ? res.gram.Ajk[1][0].pattern.rowIdx.length : 0,
    gramSeconds: gramMs / 1000,
    secondsPerGBScanned: bytes ? gramMs / 1000 / (bytes * (res.rowsScanned / Math.max(1, res.summary.nInput)) / 1e9) : null,
    fileGB: bytes / 1e9,
    queries: res.queries.map((q) => ({ stage: q.stage, seconds: q.ms / 1000, rows: q.rows })),
    perEvaluationMs: perEvalMs,
    peakRssMB: peakRssMB(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    node: process.version,
  };
  console.log(JSON.stringify(out, null, 2));
}

await main();
