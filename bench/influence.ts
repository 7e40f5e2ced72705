/**
 * Case-deletion influence (lme4's influence.merMod) of a large lmer fit: the model refitted without
 * each of G groups, each refit warm-started from θ̂. Seeded data: n rows, a covariate x and G groups
 * (students in schools) with a random intercept and slope, `y ~ x + (x | g)`.
 *
 *   npx vite-node bench/influence.ts [n] [groups] [csv]   # csv: also writes the data, for bench/influence.R
 *   Rscript bench/influence.R CSV [K]                     # lme4 on the same data: the fit, and influence()'s refits of the first K groups
 */
import { writeFileSync } from 'node:fs';
import { tableFromArrays } from 'apache-arrow';
import { lmer } from '../src/fit/lmer.js';
import '../src/inference/methods.js';
import { slopeData } from './synth.js';

const n = Number(process.argv[2] ?? 100_000);
const G = Number(process.argv[3] ?? 1_000);
const { y, x, g } = slopeData(n, G);
if (process.argv[4]) {
  const lines = ['y,x,g'];
  for (let i = 0; i < n; i++) lines.push(`${y[i]},${x[i]},${g[i]}`);
  writeFileSync(process.argv[4], `${lines.join('\n')}\n`);
}
const table = tableFromArrays({ y, x, g });
let t = performance.now();
const fit = await lmer('y ~ x + (x | g)', table);
const fitMs = performance.now() - t;
t = performance.now();
const cpu0 = process.cpuUsage();
const infl = await fit.influence({ groups: 'g' });
const inflMs = performance.now() - t;
const cpu = process.cpuUsage(cpu0);
const cooks = infl.cooksDistance();
const fevals = infl.deleted.map((d) => d.feval);
const top = Array.from(cooks, (_, i) => i).sort((a, b) => cooks[b] - cooks[a]).slice(0, 3);
console.log(JSON.stringify({
  n, G, fitMs: Math.round(fitMs), influenceMs: Math.round(inflMs), influenceCpuMs: Math.round((cpu.user + cpu.system) / 1000), perRefitMs: +(inflMs / G).toFixed(2),
  fevalMedian: fevals.sort((a, b) => a - b)[G >> 1], notConverged: infl.deleted.filter((d) => !d.converged).length,
  firstBeta: Object.fromEntries(infl.deleted.slice(0, 3).map((d) => [d.label, Array.from(d.beta)])),
  top: top.map((i) => ({ unit: infl.deleted[i].label, cooks: cooks[i], beta: Array.from(infl.deleted[i].beta) })),
}));
