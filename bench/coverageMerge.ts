/**
 * Merges the shards of a coverage study (bench/coverage.ts, bench/glmmCoverage.ts: disjoint data
 * sets, by `--from` or by `--seed`) into one table: the counts added, coverage ± binomial SE per type
 * and parameter recomputed over all data sets.
 *
 *   node dist/bench/coverageMerge.js OUT.json SHARD.json [SHARD.json …]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { type CoverageCounts, coverageMarkdown, coverageTable, emptyCounts } from './coverage.js';
import { BOOT_TYPES } from '../src/inference/bootCi.js';

interface Shard { truth: Record<string, number>; counts: CoverageCounts; datasets: number; args: unknown; totalS: number; cpuS?: number }

export function mergeCoverage(shards: Shard[]) {
  const truth = shards[0].truth;
  const counts = emptyCounts(Object.keys(truth));
  let datasets = 0;
  for (const s of shards) {
    datasets += s.datasets;
    for (const ty of BOOT_TYPES) for (const [k, c] of Object.entries(s.counts[ty])) {
      const m = counts[ty][k];
      m.covered += c.covered; m.width += c.width; m.none += c.none;
    }
  }
  return { truth, counts, datasets, coverage: coverageTable(counts, datasets) };
}

function main(): void {
  const [out, ...files] = process.argv.slice(2);
  if (!out || files.length === 0) throw new Error('usage: coverageMerge OUT.json SHARD.json [SHARD.json …]');
  const shards = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Shard);
  const merged = mergeCoverage(shards);
  writeFileSync(out, JSON.stringify({ ...merged, shards: files, args: shards.map((s) => s.args), totalS: shards.map((s) => s.totalS), cpuS: shards.map((s) => s.cpuS) }, null, 2));
  console.log(coverageMarkdown(merged.coverage, merged.truth));
  console.log(`\n${merged.datasets} data sets. Written to ${out}`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) main();
