/**
 * What poly(), ns() and bs() cost an engine (src/gram/basisPass.ts's pre-pass, then the bases
 * evaluated per row): the same data (bench/gram/generate.ts) fitted by lmer on the stream and on
 * DuckDB with `x` plain, as poly(x, 3) and as ns(x, df = 4); wall time, scans of the input.
 *
 *   npm run build && node dist/bench/gram/basis.js --rows 1000000 --groups 10000 [--ns: the ns model only]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateParquet } from './generate.js';
import { lmerStream } from '../../src/gram/stream/lmer.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { lmerSql } from '../../src/gram/sql/lmer.js';

const arg = (name: string, dflt: number) => { const k = process.argv.indexOf(`--${name}`); return k > 0 ? Number(process.argv[k + 1]) : dflt; };
const rows = arg('rows', 1_000_000), groups = arg('groups', 10_000);
const dir = mkdtempSync(join(tmpdir(), 'mixedgpu-bench-basis-'));
try {
  const file = join(dir, 'data.parquet');
  await generateParquet(file, rows, groups);
  const formulas = ['y ~ x + w + (1 | g)', 'y ~ poly(x, 3) + w + (1 | g)', 'y ~ ns(x, df = 4) + w + (1 | g)'].filter((f) => !process.argv.includes('--ns') || f.includes('ns('));
  const duck = await DuckDbEngine.open({ threads: 2 });
  for (const f of formulas) {
    let t = performance.now();
    const src = await openBatchSource(file);
    const s = await lmerStream(src, f, {});
    await src.close();
    const stream = performance.now() - t;
    t = performance.now();
    const d = await lmerSql(duck, { from: duckdbSource(file), name: 'data' }, f, {});
    const sql = performance.now() - t;
    console.log(JSON.stringify({ formula: f, rows, stream_s: +(stream / 1000).toFixed(2), stream_rowsScanned: s.gram.rowsScanned, duckdb_s: +(sql / 1000).toFixed(2), duckdb_rowsScanned: d.gram.rowsScanned,
      // the slowest stages of each engine
      stream_stages: s.gram.queries.slice().sort((a, b) => b.ms - a.ms).slice(0, 4).map((q) => `${q.stage}: ${(q.ms / 1000).toFixed(2)} s`),
      duckdb_stages: d.gram.queries.slice().sort((a, b) => b.ms - a.ms).slice(0, 4).map((q) => `${q.stage}: ${(q.ms / 1000).toFixed(2)} s`) }));
  }
  await duck.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
