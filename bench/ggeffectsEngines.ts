/**
 * ggeffects's default and quantile-based values on engine fits: the cost of the scans over the rows used
 * (src/gram/usedRows.ts) against the fit's own passes. 1M rows of bench/gram/generate.ts's data
 * (`y ~ x + w + (1 | g)`, 1 000 groups) as Parquet; lmer through the stream (batches of 65 536) and
 * DuckDB (threads = 1); then ggpredictAsync of 'x' (pretty_range: sums + distinct values past the cap),
 * 'x [meansd]', 'x [quart]' and ['x', 'w'] (w a group: distinct values, then mean ± sd), each timed, with
 * the scans it recorded on the fit's source.
 *
 *   npx vite-node bench/ggeffectsEngines.ts
 */
import { mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateParquet } from './gram/generate.js';
import { DuckDbEngine, duckdbSource } from '../src/gram/sql/duckdb.js';
import { lmerSql } from '../src/gram/sql/lmer.js';
import { lmerStream } from '../src/gram/stream/lmer.js';
import { openBatchSource } from '../src/gram/stream/node.js';
import { ggpredictAsync } from '../src/inference/ggRows.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';

const dir = join(import.meta.dirname, 'out', 'data');
mkdirSync(dir, { recursive: true });
const file = join(dir, 'gg-1m.parquet');
if (!existsSync(file)) await generateParquet(file, 1_000_000, 1000, 1000, 100_000);
const FORMULA = 'y ~ x + w + (1 | g)';
const TERMS: (string | string[])[] = ['x', 'x [meansd]', 'x [quart]', ['x', 'w']];

async function report(label: string, fit: LmmFit, fitMs: number): Promise<void> {
  const passes = fit.model.source!.queries.filter((q) => /^pass|^residual/.test(q.stage));
  console.log(`${label}: fit ${(fitMs / 1000).toFixed(1)} s; its stages: ${passes.map((q) => `${q.stage} ${(q.ms / 1000).toFixed(2)} s`).join('; ')}`);
  for (const t of TERMS) {
    const before = fit.model.source!.queries.length;
    const t0 = performance.now();
    const g = await ggpredictAsync(fit, t);
    const ms = performance.now() - t0;
    const scans = fit.model.source!.queries.slice(before);
    console.log(`  ggpredict(${JSON.stringify(t)}): ${(ms / 1000).toFixed(2)} s, ${g.rows.length} rows; ${scans.map((q) => `${q.stage} ${(q.ms / 1000).toFixed(2)} s`).join('; ')}`);
  }
}

{
  const src = await openBatchSource(file);
  try {
    const t0 = performance.now();
    const { fit } = await lmerStream(src, FORMULA, { batchSize: 65_536 });
    await report('stream (Parquet)', fit, performance.now() - t0);
  } finally {
    await src.close();
  }
}
{
  const duck = await DuckDbEngine.open({ threads: 1 });
  try {
    const t0 = performance.now();
    const { fit } = await lmerSql(duck, { from: duckdbSource(file), name: file }, FORMULA, {});
    await report('DuckDB (threads = 1)', fit, performance.now() - t0);
  } finally {
    await duck.close();
  }
}
