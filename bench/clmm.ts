/**
 * Our clmm (src/ordinal) on the rows bench/clmm.R wrote (/tmp/clmm-bench-N-G.csv): the fit's time,
 * evaluations and logLik, to set beside ordinal's clmm on the same rows.
 *   Rscript bench/clmm.R N G [nAGQ] && npx vite-node bench/clmm.ts N G [nAGQ]
 */
import { readFileSync } from 'node:fs';
import { readCsv } from '../src/io/csv.js';
import { clmm } from '../src/ordinal/clmm.js';

const n = Number(process.argv[2] ?? 20_000);
const G = Number(process.argv[3] ?? 500);
const nAGQ = Number(process.argv[4] ?? 1);
const table = readCsv(readFileSync(`/tmp/clmm-bench-${n}-${G}.csv`, 'utf8')).table;
const t0 = performance.now();
const fit = await clmm('y ~ x + f + (1 | g)', table, { factors: ['g'], nAGQ });
const s = (performance.now() - t0) / 1000;
console.log(`ours n=${n} G=${G} nAGQ=${nAGQ}: ${s.toFixed(2)} s, ${fit.evaluations} evaluations (${fit.iterations} Newton iterations), logLik ${fit.logLik.toFixed(6)}`);
