/**
 * glmer with Gamma(log) on bench/gamma.R's CSV (50,000 rows, 500 groups, y ~ x + (x | g)): time,
 * −2ℓ and the optimum, to pass back to bench/gamma.R for lme4's exact deviance there.
 *   Rscript bench/gamma.R /tmp/bench_gamma.csv && npx vite-node bench/gamma.ts /tmp/bench_gamma.csv
 */
import { readFileSync } from 'node:fs';
import { glmer } from '../src/fit/glmer.js';
import { readCsv } from '../src/io/csv.js';

const csv = process.argv[2] ?? '/tmp/bench_gamma.csv';
const table = readCsv(readFileSync(csv, 'utf8')).table;
for (let k = 0; k < 2; k++) {
  const t0 = performance.now();
  const fit = await glmer('y ~ x + (x | g)', table, { family: 'Gamma', link: 'log', factors: ['g'] });
  console.log(`${((performance.now() - t0) / 1000).toFixed(2)} s, −2ℓ ${fit.objective.toFixed(7)}, σ̂ ${fit.sigma.toFixed(7)}, ${fit.feval} evaluations`);
  if (k === 1) console.log(`optimum (θ, β): ${[...fit.theta, ...fit.beta].join(' ')}`);
}
