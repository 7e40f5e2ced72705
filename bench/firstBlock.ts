/**
 * One float64 evaluation of the CPU backend (the blocked Cholesky at θ) with the first block by the
 * general steps, by the fused pass on one thread, and by the fused pass on the row threads
 * (src/linalg/firstBlock.ts): wall and CPU ms per evaluation (the mean of 50, best of --reps rounds,
 * the three alternated), and whether the three agree bit for bit.
 *
 *   npx vite-node bench/firstBlock.ts [--rows 1000000] [--groups 100000] [--formula 'y ~ x + w + (x | g)'] [--threads 2] [--reps 3]
 */
import { generateLmmData } from './synth.js';
import { buildLmm } from '../src/lmm/model.js';
import { formGramCpu } from '../src/backend/cpu/gram.js';
import { BlockedCholesky } from '../src/linalg/blockedCholesky.js';
import { setDenseThreads } from '../src/linalg/denseThreads.js';
import { rowChunksHelped, rowThreadsReady } from '../src/linalg/rowThreads.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const n = Number(arg('--rows', '1000000'));
const groups = Number(arg('--groups', '100000'));
const formula = arg('--formula', 'y ~ x + w + (x | g)');
const threads = Number(arg('--threads', '2'));
const reps = Number(arg('--reps', '3'));
const { table } = generateLmmData({ n, groups, seed: 1 });
const model = buildLmm(formula, table, { REML: true });
const gram = formGramCpu(model.rows);
setDenseThreads(threads);
await rowThreadsReady();
const nt = model.theta.length;
const general = new BlockedCholesky(gram, nt, 'wasm', { fuseFirst: false });
const fused = new BlockedCholesky(gram, nt);
const theta = Float64Array.from(model.theta.start, (v, k) => (v === 0 ? 0.1 : 0.8 + 0.1 * k));
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };
const runs: [string, BlockedCholesky, number][] = [['general steps', general, 1], ['fused, 1 thread', fused, 1], [`fused, ${threads} threads`, fused, threads]];
const best = new Map<string, { wall: number; cpu: number; helped: number }>();
const parts = new Map<string, number[]>();
for (let rep = 0; rep < reps; rep++) {
  for (const [name, chol, t] of runs) {
    setDenseThreads(t);
    for (let k = 0; k < 3; k++) chol.factor(theta);
    const h0 = rowChunksHelped();
    const w0 = performance.now(), c0 = cpu();
    for (let k = 0; k < 50; k++) chol.factor(theta);
    const wall = (performance.now() - w0) / 50, c = (cpu() - c0) / 50;
    const b = best.get(name);
    if (!b || wall < b.wall) best.set(name, { wall, cpu: c, helped: rowChunksHelped() - h0 });
    parts.set(name, [chol.ldL2, chol.ldRX2, chol.pwrss]);
  }
}
const ref = parts.get('general steps')!;
const same = [...parts.values()].every((p) => p.every((v, k) => Object.is(v, ref[k])));
console.log(`${formula}: ${n} rows, ${groups} groups; ms per evaluation (best of ${reps} rounds of 50):`);
for (const [name, b] of best) console.log(`  ${name}: wall ${b.wall.toFixed(2)}, CPU ${b.cpu.toFixed(2)}${b.helped ? ` (chunks by helpers: ${b.helped})` : ''}`);
console.log(`  log|L|², log|R_X|², r² bit-identical: ${same}`);
process.exit(0);
