/**
 * The ClickHouse benchmark: starts the two-shard cluster the tests use (./cluster.ts: two clickhouse-server
 * processes on loopback, temporary directories, stopped by PID), loads a Parquet file into a
 * MergeTree table on each shard (row groups alternating, RowBinary: exact doubles) with a
 * Distributed table over them, and fits lmer through the Distributed table (lmerSql: A by queries,
 * the optimization on A, the residual quantiles by queries); time split into queries and optimization.
 *
 *   node dist/bench/gram/clickhouse.js --file bench/out/data/rows10m.parquet --formula 'y ~ x + w + (x | g)' --factors g
 */
import { statSync } from 'node:fs';
import { startCluster } from './cluster.js';
import { ClickHouseEngine, clickhouseSource, rowBinary } from '../../src/gram/sql/clickhouse.js';
import { lmerSql } from '../../src/gram/sql/lmer.js';
import { ParquetBatchSource } from '../../src/gram/stream/parquet.js';
import { fileByteSource } from '../../src/gram/stream/node.js';

const arg = (k: string, d?: string) => { const i = process.argv.indexOf(`--${k}`); return i > 0 ? process.argv[i + 1] : d; };

async function main(): Promise<void> {
  const file = arg('file')!;
  const formula = arg('formula', 'y ~ x + w + (x | g)')!;
  const factors = arg('factors')?.split(',');
  const cluster = await startCluster();
  try {
    const bytes = await fileByteSource(file);
    const src = new ParquetBatchSource(bytes, file);
    const schema = await src.schema();
    const names = [...schema.keys()];
    const kinds = names.map((n) => (schema.get(n) === 'numeric' ? 'numeric' as const : 'text' as const));
    const ddl = names.map((n, k) => `\`${n}\` ${kinds[k] === 'numeric' ? 'Float64' : 'String'}`).join(', ');
    for (const k of [0, 1]) await cluster.sql(k, `CREATE TABLE t (${ddl}) ENGINE = MergeTree() ORDER BY tuple()`);
    await cluster.sql(0, `CREATE TABLE t_all AS t ENGINE = Distributed(${cluster.cluster}, default, t, rand())`);
    const tl = performance.now();
    let shard = 0;
    let rows = 0;
    for await (const b of src.batches(names, 1 << 20)) {
      const data = names.map((n, k) => (kinds[k] === 'numeric' ? b.columns.get(n) as Float64Array : (b.columns.get(n) as (string | null)[]).map((v) => v ?? '')));
      await cluster.sql(shard, 'INSERT INTO t FORMAT RowBinary', rowBinary(names.map((n, k) => ({ name: n, kind: kinds[k] })), data));
      shard = 1 - shard;
      rows += b.n;
    }
    await bytes.close();
    const loadSeconds = (performance.now() - tl) / 1000;
    const perShard = await Promise.all([0, 1].map(async (k) => Number((await cluster.sql(k, 'SELECT count() FROM t')).trim())));
    const engine = new ClickHouseEngine({ url: cluster.urls[0] });
    const t0 = performance.now();
    const { fit, gram } = await lmerSql(engine, { from: clickhouseSource('t_all'), name: 't_all' }, formula, { factors });
    const fitSeconds = (performance.now() - t0) / 1000;
    await engine.close();
    const queries = fit.model.source!.queries;
    const querySeconds = queries.reduce((s, q) => s + q.ms, 0) / 1000;
    console.log(JSON.stringify({
      engine: 'clickhouse (2 shards on this machine)', file, fileGB: statSync(file).size / 1e9, rows, perShard, loadSeconds,
      formula, levels: Object.fromEntries(gram.blocks.map((b) => [b.group, b.nl])), rowsScanned: fit.model.source!.rowsScanned,
      fitSeconds, querySeconds, optimizeSeconds: fit.timings.optimizeMs / 1000, evaluations: fit.feval,
      perEvaluationMs: fit.timings.perEvaluationMs, objective: fit.objective, theta: Array.from(fit.theta),
      queries: queries.map((q) => ({ stage: q.stage, seconds: q.ms / 1000, rows: q.rows })),
    }, null, 2));
  } finally {
    await cluster.stop();
  }
}

await main();
