/**
 * The cost of adaptive Gauss–Hermite quadrature over a vector random-effects term (src/glmm/agqVector.ts:
 * K^q nodes a level, the rows' unit deviances at each node on the CPU): glmer's binary
 * y ~ x + w + (x | g) (bench/synth.ts, seeded; default 20,000 rows and 1,000 groups, q = 2) fitted in
 * memory with the Laplace approximation and with nAGQ = 3, 5, 9 (9, 25, 81 nodes a level), after one
 * warm-up fit. Prints per fit
 * the time, the stage-2 evaluations, −2ℓ and θ (and all of it as JSON at the end).
 *
 *   npm run build && node dist/bench/agqVector.js [--rows N] [--groups G] [--seed S]
 */
import { glmer } from '../src/fit/glmer.js';
import { setDenseThreads } from '../src/linalg/denseThreads.js';
import { generateLmmData } from './synth.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const n = arg('--rows', 20_000), groups = arg('--groups', 1000), seed = arg('--seed', 1);
  setDenseThreads(1);
  const data = generateLmmData({ n, groups, seed, family: 'binomial' });
  const formula = 'y ~ x + w + (x | g)';
  const out: Record<string, unknown>[] = [];
  // one warm-up fit (compilation, the row threads), not reported
  await glmer(formula, data.table, { family: 'binomial', nAGQ: 3 });
  for (const nAGQ of [1, 3, 5, 9]) {
    const t0 = performance.now();
    const fit = await glmer(formula, data.table, { family: 'binomial', nAGQ });
    const ms = performance.now() - t0;
    const r = { nAGQ, nodesPerLevel: nAGQ ** 2, ms: Math.round(ms), evaluations: fit.feval, deviance: fit.objective, theta: Array.from(fit.theta) };
    console.error(`nAGQ ${nAGQ} (${r.nodesPerLevel} nodes a level): ${(ms / 1000).toFixed(2)} s, ${fit.feval} evaluations, -2l ${fit.objective.toFixed(4)}, theta ${r.theta.map((v) => v.toFixed(4)).join(' ')}`);
    out.push(r);
  }
  console.log(JSON.stringify({ rows: n, groups, formula, fits: out }));
}

await main();
