/**
 * Our zero-inflated GLMM (src/zeroinfl) on the rows bench/zeroinfl.R wrote (/tmp/zeroinfl-bench-N-G.csv):
 * the fit's time, evaluations and logLik, to set beside glmmTMB's on the same rows.
 *   Rscript bench/zeroinfl.R N G FAMILY && npx vite-node bench/zeroinfl.ts N G FAMILY
 */
import { readFileSync } from 'node:fs';
import { readCsv } from '../src/io/csv.js';
import { zeroInflated } from '../src/zeroinfl/zeroInflated.js';
import type { ZiFamily } from '../src/zeroinfl/model.js';

const n = Number(process.argv[2] ?? 20_000);
const G = Number(process.argv[3] ?? 500);
const family = (process.argv[4] ?? 'poisson') as ZiFamily;
const table = readCsv(readFileSync(`/tmp/zeroinfl-bench-${n}-${G}.csv`, 'utf8')).table;
const t0 = performance.now();
const fit = await zeroInflated('y ~ x + (1 | g)', table, { family, ziformula: '~ x', factors: ['g'] });
const s = (performance.now() - t0) / 1000;
console.log(`ours n=${n} G=${G} ${family}: ${s.toFixed(2)} s, ${fit.evaluations} evaluations (${fit.iterations} Newton iterations, ${fit.safeguardedSteps} safeguarded), logLik ${fit.logLik.toFixed(6)}`);
