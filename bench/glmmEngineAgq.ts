/**
 * The cost of adaptive Gauss–Hermite quadrature on the engines (src/gram/agq.ts): glmer's binary
 * y ~ x + (1 | g) (bench/synth.ts, seeded; default 1,000,000 rows and 1,000 groups) fitted with the
 * Laplace approximation and with nAGQ = K (default 9) through DuckDB (a table of a database file,
 * threads = 1) and the stream engine (the same rows as a Parquet file, batches of 65,536), and in
 * memory (one thread) for the differences. Prints per fit the time, the objective evaluations, the
 * PIRLS passes and the quadrature's passes (one per stage-2 and Hessian evaluation) with their time
 * (each fit's line on stderr as it ends, all of them as JSON on stdout at the end).
 *
 *   npm run build && node dist/bench/glmmEngineAgq.js [--rows N] [--groups G] [--seed S] [--nagq K] [--no-stream]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { glmer } from '../src/fit/glmer.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';
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

/** a fit's record: time, evaluations, the engine's PIRLS and AGQ passes and their time */
function record(engine: string, fit: GlmmFit, ms: number) {
  const t = fit.timings;
  return {
    ms: Math.round(ms), evaluations: fit.feval, deviance: fit.objective,
    pirlsPasses: t.enginePasses, pirlsPassMs: Math.round(t[`${engine}: PIRLS passes (ms)`] ?? NaN),
    agqPasses: t.engineAgqPasses ?? 0, agqPassMs: Math.round(t[`${engine}: AGQ passes (ms)`] ?? 0),
  };
}

async function main(): Promise<void> {
  const n = arg('--rows', 1_000_000), groups = arg('--groups', 1000), seed = arg('--seed', 1), K = arg('--nagq', 9);
  const dir = mkdtempSync(join(tmpdir(), 'mixedgpu-glmm-agq-'));
  setDenseThreads(1);
  const data = generateLmmData({ n, groups, seed, family: 'binomial' });
  const { y, x, g } = data.columns;
  const formula = 'y ~ x + (1 | g)';
  const out: Record<string, unknown> = { rows: n, groups, formula, nAGQ: K };
  try {
    const { parquet: pq, database } = await writeGlmmEngineFiles(dir, { y, x, g });

    const memory: Record<string, { ms: number; evaluations: number; deviance: number; theta: number[]; beta: number[] }> = {};
    for (const nAGQ of [1, K]) {
      const t0 = performance.now();
      const fit = await glmer(formula, data.table, { family: 'binomial', nAGQ });
      memory[`nAGQ=${nAGQ}`] = { ms: Math.round(performance.now() - t0), evaluations: fit.feval, deviance: fit.objective, theta: Array.from(fit.theta), beta: Array.from(fit.beta) };
      console.error(`memory nAGQ=${nAGQ}: ${JSON.stringify(memory[`nAGQ=${nAGQ}`])}`);
    }
    out.memory = memory;
    const diff = (fit: GlmmFit, nAGQ: number) => {
      const m = memory[`nAGQ=${nAGQ}`];
      const d = (a: ArrayLike<number>, b: number[]) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]) / Math.max(1, Math.abs(b[i]))));
      return { devianceRelative: Math.abs(fit.objective - m.deviance) / m.deviance, theta: d(fit.theta, m.theta), beta: d(fit.beta, m.beta) };
    };

    const duck = await DuckDbEngine.open({ database, threads: 1 });
    try {
      const res: Record<string, unknown> = {};
      for (const nAGQ of [1, K]) {
        const t0 = performance.now();
        const fit = await glmerSql(duck, { from: 'obs', name: `${database}:obs` }, formula, { family: 'binomial', nAGQ });
        res[`nAGQ=${nAGQ}`] = { ...record('duckdb', fit, performance.now() - t0), vsMemory: diff(fit, nAGQ) };
        console.error(`duckdb nAGQ=${nAGQ}: ${JSON.stringify(res[`nAGQ=${nAGQ}`])}`);
      }
      out.duckdb = res;
    } finally {
      await duck.close();
    }
    if (!process.argv.includes('--no-stream')) {
      const res: Record<string, unknown> = {};
      for (const nAGQ of [1, K]) {
        const batches = await openBatchSource(pq);
        try {
          const t0 = performance.now();
          const fit = await glmerStream(batches, formula, { family: 'binomial', nAGQ });
          res[`nAGQ=${nAGQ}`] = { ...record('stream', fit, performance.now() - t0), vsMemory: diff(fit, nAGQ) };
          console.error(`stream nAGQ=${nAGQ}: ${JSON.stringify(res[`nAGQ=${nAGQ}`])}`);
        } finally {
          await batches.close();
        }
      }
      out.stream = res;
    }
    console.log(JSON.stringify(out, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
