/**
 * Our glmmPQL (src/pql) on the rows bench/glmmpql.R wrote (/tmp/glmmpql-bench-N-G.csv): the fit's time
 * (best of 3, after one warm-up fit), its lme fits and estimates, to set beside MASS's on the same rows.
 *   Rscript bench/glmmpql.R N G && npx vite-node bench/glmmpql.ts N G
 */
import { readFileSync } from 'node:fs';
import { readCsv } from '../src/io/csv.js';
import { glmmPQL } from '../src/pql/glmmPQL.js';

const n = Number(process.argv[2] ?? 20_000);
const G = Number(process.argv[3] ?? 1000);
const table = readCsv(readFileSync(`/tmp/glmmpql-bench-${n}-${G}.csv`, 'utf8')).table;
const run = () => glmmPQL('y ~ x + f', '~ 1 | g', table, { family: 'binomial' });
await run();
let best = Infinity;
let fit = await run();
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  fit = await run();
  best = Math.min(best, (performance.now() - t0) / 1000);
}
console.log(`ours glmmPQL n=${n} G=${G}: ${best.toFixed(2)} s (best of 3), ${fit.iterations} lme fits, sigma ${fit.sigma.toFixed(7)}, fixef ${Array.from(fit.beta, (b) => b.toFixed(7)).join(' ')}`);
