/**
 * The LMM's Gram pass (formGram, src/backend/cpu/gram.ts) with one thread and with more, on the same
 * model's rows (bench/synth.ts `y ~ x + w + (x | g)`, seed 1) moved onto SharedArrayBuffers: wall and
 * CPU ms per pass (least of --reps, the thread counts alternated), and whether A is bit-identical.
 *
 *   npx vite-node bench/gramThreads.ts [--rows 10000000] [--groups 100000] [--layout shuffled|sorted] [--reps 3] [--threads 2]
 */
import { generateLmmData } from './synth.js';
import { buildLmm } from '../src/lmm/model.js';
import { formGramCpu } from '../src/backend/cpu/gram.js';
import { setDenseThreads } from '../src/linalg/denseThreads.js';
import { rowChunksHelped, rowThreadsReady, shareArray } from '../src/linalg/rowThreads.js';
import type { GramInput, GramMatrix } from '../src/linalg/gram.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const n = Number(arg('--rows', '10000000'));
const groups = Number(arg('--groups', '100000'));
const reps = Number(arg('--reps', '3'));
const threads = Number(arg('--threads', '2'));
const layout = arg('--layout', 'shuffled') as 'shuffled' | 'sorted';
const { table } = generateLmmData({ n, groups, seed: 1, layout });
const model = buildLmm('y ~ x + w + (x | g)', table, { REML: true });
const r = model.rows;
const rows: GramInput = { ...r, X: shareArray(r.X), y: shareArray(r.y), blocks: r.blocks.map((b) => ({ ...b, codes: shareArray(b.codes), Z: shareArray(b.Z) })) };
setDenseThreads(threads);
await rowThreadsReady();
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };
const best: Record<string, { wall: number; cpu: number }> = {};
const results: Record<number, GramMatrix> = {};
for (let rep = 0; rep < reps; rep++) {
  for (const t of [1, threads]) {
    setDenseThreads(t);
    const h0 = rowChunksHelped();
    const w0 = performance.now(), c0 = cpu();
    results[t] = formGramCpu(rows);
    const wall = performance.now() - w0, c = cpu() - c0;
    const k = `${t} thread${t > 1 ? 's' : ''}`;
    best[k] = { wall: Math.min(best[k]?.wall ?? Infinity, wall), cpu: Math.min(best[k]?.cpu ?? Infinity, c) };
    if (rep === reps - 1 && t > 1) console.log(`chunks by helpers in the last pass: ${rowChunksHelped() - h0}`);
  }
}
const a = results[1]!, b = results[threads]!;
const same = [a.AXX, a.Akk[0]!, a.AXk[0]!].every((v, k) => { const w = [b.AXX, b.Akk[0]!, b.AXk[0]!][k]!; return v.length === w.length && v.every((x, i) => Object.is(x, w[i])); });
console.log(`rows ${n}, groups ${groups}, ${layout}; least of ${reps} (ms): ${Object.entries(best).map(([k, v]) => `${k}: wall ${v.wall.toFixed(0)}, CPU ${v.cpu.toFixed(0)}`).join('; ')}; A bit-identical: ${same}`);
process.exit(0);
