/**
 * Our coxme (src/survival) on the rows bench/coxme.R wrote (/tmp/coxme-bench-N-G.csv): the fit's time,
 * IPL evaluations, Newton iterations and θ̂.
 *   Rscript bench/coxme.R N G && npx vite-node bench/coxme.ts N G
 */
import { readFileSync } from 'node:fs';
import { readCsv } from '../src/io/csv.js';
import { coxme } from '../src/survival/coxme.js';

const n = Number(process.argv[2] ?? 10_000);
const G = Number(process.argv[3] ?? 200);
const table = readCsv(readFileSync(`/tmp/coxme-bench-${n}-${G}.csv`, 'utf8')).table;
const t0 = performance.now();
const fit = coxme('Surv(time, status) ~ x + z + (1 | g)', table);
const s = (performance.now() - t0) / 1000;
const it = fit.toJSON().iterations;
console.log(`ours n=${n} G=${G}: ${s.toFixed(2)} s, events ${fit.nevent}, ${it.outer} IPL evaluations, ${it.inner} Newton iterations, theta ${fit.theta[0].toFixed(6)} (variance ${(fit.theta[0] ** 2).toFixed(6)}), IPL ${fit.loglik.integrated.toFixed(6)}`);
