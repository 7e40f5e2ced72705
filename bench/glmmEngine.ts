/**
 * glmer on rows that stay in DuckDB (src/gram/sql/glmer.ts: PIRLS's passes as GROUP BY queries)
 * against the memory engine on the same rows: a binary response y ~ x + (1 | g) with G groups
 * (bench/synth.ts, seeded; default 1,000,000 rows and 1,000 groups) in a table of a DuckDB database
 * file, both on one thread (DuckDB's threads = 1, the row threads off); with `--stream` also the
 * stream engine on the same rows as a Parquet file (batches of 65,536 rows). Prints the times, the
 * passes and queries of the engines' fits, and their differences from the memory engine's (deviance, θ, β).
 *
 *   npm run build && node dist/bench/glmmEngine.js [--rows N] [--groups G] [--seed S] [--dir DIR] [--stream]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { glmer } from '../src/fit/glmer.js';
import { DuckDbEngine } from '../src/gram/sql/duckdb.js';
import { glmerSql } from '../src/gram/sql/glmer.js';
import { glmerStream } from '../src/gram/stream/glmer.js';
import { openBatchSource } from '../src/gram/stream/node.js';
import { setDenseThreads } from '../src/linalg/denseThreads.js';
import { writeGlmmEngineFiles } from './glmmEngineFiles.js';
import { generateLmmData } from './synth.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const n = arg('--rows', 1_000_000), groups = arg('--groups', 1000), seed = arg('--seed', 1);
  const d = process.argv.indexOf('--dir');
  const dir = d >= 0 ? process.argv[d + 1] : mkdtempSync(join(tmpdir(), 'mixedgpu-glmm-engine-'));
  setDenseThreads(1);
  const data = generateLmmData({ n, groups, seed, family: 'binomial' });
  const { y, x, g } = data.columns;
  const formula = 'y ~ x + (1 | g)';
  try {
    const { parquet: pq, database } = await writeGlmmEngineFiles(dir, { y, x, g });

    const t0 = performance.now();
    const memory = await glmer(formula, data.table, { family: 'binomial' });
    const memoryMs = performance.now() - t0;

    const duck = await DuckDbEngine.open({ database, threads: 1 });
    const t1 = performance.now();
    let ours;
    try {
      ours = await glmerSql(duck, { from: 'obs', name: `${database}:obs` }, formula, { family: 'binomial' });
    } finally {
      await duck.close();
    }
    const engineMs = performance.now() - t1;
    let stream: { ms: number; evaluations: number; passes: number; deviance: number; theta: number; beta: number } | null = null;
    const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]) / Math.max(1, Math.abs(b[i]))));
    if (process.argv.includes('--stream')) {
      const t2 = performance.now();
      const batches = await openBatchSource(pq);
      try {
        const fit = await glmerStream(batches, formula, { family: 'binomial' });
        stream = {
          ms: Math.round(performance.now() - t2), evaluations: fit.feval, passes: fit.timings.enginePasses,
          deviance: Math.abs(fit.objective - memory.objective) / memory.objective, theta: maxDiff(fit.theta, memory.theta), beta: maxDiff(fit.beta, memory.beta),
        };
      } finally {
        await batches.close();
      }
    }
    const src = ours.toJSON() as { queries: { stage: string; ms: number }[]; rows_scanned: number };
    console.log(JSON.stringify({
      rows: n, groups, formula,
      memory: { ms: Math.round(memoryMs), evaluations: memory.feval, deviance: memory.objective },
      duckdb: {
        ms: Math.round(engineMs), evaluations: ours.feval, passes: ours.timings.enginePasses, queries: ours.timings.engineQueries,
        passMs: Math.round(ours.timings['duckdb: PIRLS passes (ms)']), rowsScanned: src.rows_scanned,
        firstPasses: src.queries.filter((q) => !q.stage.startsWith('PIRLS')).map((q) => `${q.stage}: ${Math.round(q.ms)} ms`),
        deviance: ours.objective,
      },
      ...(stream ? { stream } : {}),
      differences: {
        devianceRelative: Math.abs(ours.objective - memory.objective) / memory.objective,
        theta: maxDiff(ours.theta, memory.theta), beta: maxDiff(ours.beta, memory.beta),
      },
    }, null, 2));
  } finally {
    if (d < 0) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
