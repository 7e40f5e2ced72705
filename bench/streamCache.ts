/**
 * The stream engine with and without its cache of evaluated batches (cacheBytes, src/gram/stream/batchCache.ts),
 * in one run on the rows of bench/glmmEngine.ts (a binary y ~ x + (1 | g), bench/synth.ts, seeded; default
 * 1,000,000 rows and 1,000 groups, a Parquet file of row groups of 100,000, batches of 65,536 rows):
 * glmer (nAGQ as given, default 1) and lmer on the same file, each with cacheBytes = 0 (every pass reads
 * and evaluates the file) and with the default budget (256 MiB). Prints the whole fits' and the passes'
 * times, their ratios, whether the two fits are the same to the last bit, and each fit's rows read from
 * the file (rowsScanned) and replayed from the cache (rowsReplayed).
 *
 *   npm run build && node --expose-gc dist/bench/streamCache.js [--rows N] [--groups G] [--seed S] [--nagq K]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { glmerStream } from '../src/gram/stream/glmer.js';
import { lmerStream } from '../src/gram/stream/lmer.js';
import { openBatchSource } from '../src/gram/stream/node.js';
import { setDenseThreads } from '../src/linalg/denseThreads.js';
import type { MixedFit } from '../src/results/mixedFit.js';
import { writeGlmmEngineFiles } from './glmmEngineFiles.js';
import { generateLmmData } from './synth.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** the fit's rows read from the source and replayed from the cache (src/gram/source.ts) */
const rowsOf = (f: MixedFit) => {
  const s = (f.model as { source?: { rowsScanned: number; rowsReplayed?: number } }).source!;
  return { rowsScanned: s.rowsScanned, rowsReplayed: s.rowsReplayed ?? 0 };
};

const same = (a: MixedFit, b: MixedFit) => a.objective === b.objective && a.feval === b.feval
  && a.theta.every((v, i) => v === b.theta[i]) && a.beta.every((v, i) => v === b.beta[i]);

async function main(): Promise<void> {
  const n = arg('--rows', 1_000_000), groups = arg('--groups', 1000), seed = arg('--seed', 1), nAGQ = arg('--nagq', 1);
  const dir = mkdtempSync(join(tmpdir(), 'mixedgpu-stream-cache-'));
  setDenseThreads(1);
  const { y, x, g } = generateLmmData({ n, groups, seed, family: 'binomial' }).columns;
  try {
    const { parquet } = await writeGlmmEngineFiles(dir, { y, x, g });
    const glmm = async (cacheBytes?: number) => {
      (globalThis as { gc?: () => void }).gc?.();
      const src = await openBatchSource(parquet);
      try {
        const t = performance.now();
        const fit = await glmerStream(src, 'y ~ x + (1 | g)', { family: 'binomial', nAGQ, ...(cacheBytes !== undefined ? { cacheBytes } : {}) });
        const ms = performance.now() - t;
        const passes = fit.timings.enginePasses + (fit.timings.engineAgqPasses ?? 0);
        const passMs = fit.timings['stream: PIRLS passes (ms)'] + (fit.timings['stream: AGQ passes (ms)'] ?? 0);
        return { fit, ms, passes, passMs, perPass: passMs / passes };
      } finally { await src.close(); }
    };
    const lmm = async (cacheBytes?: number) => {
      (globalThis as { gc?: () => void }).gc?.();
      const src = await openBatchSource(parquet);
      try {
        const t = performance.now();
        const { fit } = await lmerStream(src, 'y ~ x + (1 | g)', { ...(cacheBytes !== undefined ? { cacheBytes } : {}) });
        return { fit, ms: performance.now() - t };
      } finally { await src.close(); }
    };
    const g0 = await glmm(0), g1 = await glmm();
    const l0 = await lmm(0), l1 = await lmm();
    const r = (v: number) => Math.round(v);
    console.log(JSON.stringify({
      rows: n, groups, nAGQ, memoryMiB: r(process.memoryUsage().rss / 2 ** 20),
      glmer: {
        uncached: { ms: r(g0.ms), passes: g0.passes, passMs: r(g0.passMs), perPassMs: r(g0.perPass), ...rowsOf(g0.fit) },
        cached: { ms: r(g1.ms), passes: g1.passes, passMs: r(g1.passMs), perPassMs: r(g1.perPass), ...rowsOf(g1.fit) },
        wholeFitRatio: +(g0.ms / g1.ms).toFixed(2), perPassRatio: +(g0.perPass / g1.perPass).toFixed(2), sameBits: same(g0.fit, g1.fit),
      },
      lmer: {
        uncachedMs: r(l0.ms), cachedMs: r(l1.ms), ratio: +(l0.ms / l1.ms).toFixed(2), sameBits: same(l0.fit, l1.fit),
        uncachedRows: rowsOf(l0.fit), cachedRows: rowsOf(l1.fit),
      },
    }, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
