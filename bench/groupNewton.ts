/**
 * PIRLS with β fixed (glmer's second stage, its Hessian and the WebGPU path's float64 polish) or, with
 * --free, with β free (glmer's first stage) by the general iteration and by levels
 * (src/glmm/groupNewton.ts), on the 1M-row binomial model `y ~ x + w + (1 | g)` (--link probit or cloglog: the same
 * responses with that link; --family poisson: Poisson counts, --family negative.binomial the same counts as NB2 of
 * size --nb-theta, 1.5 by default): wall and CPU ms per
 * run along the same walk of (θ, β) points (small steps, as an optimizer's late evaluations; each run
 * warm-started from the one before), the two engines alternated per round; and the largest
 * difference of their Laplace deviances.
 *
 *   node dist/bench/groupNewton.js [--rows 1000000] [--groups 50000] [--threads 2] [--points 30] [--reps 3] [--layout shuffled|sorted] [--free]
 *     [--family binomial|poisson|negative.binomial] [--link logit|probit|cloglog] [--nb-theta 1.5]
 */
import { Table, makeVector } from 'apache-arrow';
import { generateLmmData } from './synth.js';
import { buildGlmm } from '../src/glmm/model.js';
import { PirlsEngine } from '../src/glmm/pirls.js';
import { thetaToInternal } from '../src/model/reparam.js';
import { setDenseThreads } from '../src/linalg/denseThreads.js';
import { rowChunksHelped, rowThreadsReady } from '../src/linalg/rowThreads.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const n = Number(arg('--rows', '1000000'));
const groups = Number(arg('--groups', '50000'));
const threads = Number(arg('--threads', '2'));
const points = Number(arg('--points', '30'));
const reps = Number(arg('--reps', '3'));
const layout = arg('--layout', 'shuffled') as 'shuffled' | 'sorted';
const free = process.argv.includes('--free');
const family = arg('--family', 'binomial') as 'binomial' | 'poisson' | 'negative.binomial';
const link = arg('--link', 'logit') as 'logit' | 'probit' | 'cloglog';
const nbTheta = Number(arg('--nb-theta', '1.5'));
setDenseThreads(threads);
await rowThreadsReady();
const { table } = family === 'binomial' ? generateLmmData({ n, groups, seed: 1, family: 'binomial', layout }) : poissonTable();
const model = buildGlmm('y ~ x + w + (1 | g)', table, family === 'negative.binomial' ? { family, theta: nbTheta } : family === 'binomial' ? { family, link } : { family });

/** The synthetic model's x, w and g with a Poisson count y, its mean exp((y_gauss − ȳ)/(2 sd)) (group effects included) */
function poissonTable() {
  const d = generateLmmData({ n, groups, seed: 1, layout });
  const yg = d.table.getChild('y')!.toArray() as Float64Array;
  let m = 0, v = 0;
  for (let i = 0; i < n; i++) m += yg[i] / n;
  for (let i = 0; i < n; i++) v += (yg[i] - m) ** 2 / n;
  let s = 7;
  const rnd = () => (s = (s * 16807) % 2147483647) / 2147483647;
  const y = Float64Array.from(yg, (v0) => {
    const mu = Math.exp((v0 - m) / (2 * Math.sqrt(v)));
    let k = 0, pk = Math.exp(-mu), cdf = pk;
    const u = rnd();
    while (u > cdf && k < 1000) { k++; pk *= mu / k; cdf += pk; }
    return k;
  });
  return { table: new Table({ y: makeVector(y), x: d.table.getChild('x')!, w: d.table.getChild('w')!, g: d.table.getChild('g')! }) };
}
const p = model.frame.p;
// a start near the optimum: stage 1 (β free) at θ = 1, then the walk around its (θ, β)
const start = new PirlsEngine(model.pirls);
const theta0 = 1;
start.run(thetaToInternal(model, Float64Array.of(theta0)), null);
const beta0 = Float64Array.from(start.beta);
const walk: { theta: Float64Array; beta: Float64Array }[] = [];
for (let k = 0; k < points; k++) {
  const s = Math.sin(1.7 * k + 0.3) * 1e-3;
  walk.push({ theta: thetaToInternal(model, Float64Array.of(theta0 * (1 + s))), beta: Float64Array.from(beta0, (b, j) => b + 1e-3 * Math.cos(1.3 * k + j)) });
}
const engines: [string, PirlsEngine][] = [
  ['general iteration', new PirlsEngine(model.pirls, { groupNewton: false })],
  ['by levels', new PirlsEngine(model.pirls)],
];
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };
const best = new Map<string, { wall: number; cpu: number; helped: number; iterations: number; evals: number }>();
const values = new Map<string, number[]>();
for (let rep = 0; rep < reps; rep++) {
  for (const [name, e] of engines) {
    e.run(walk[0].theta, free ? null : walk[0].beta);
    const h0 = rowChunksHelped();
    const w0 = performance.now(), c0 = cpu();
    const v: number[] = [];
    let iterations = 0, evals = 0;
    for (const pt of walk) {
      const r = e.run(pt.theta, free ? null : pt.beta);
      v.push(r.laplace);
      iterations += r.iterations;
      evals += r.levelEvaluations ?? NaN;
    }
    const wall = (performance.now() - w0) / points, c = (cpu() - c0) / points;
    const b = best.get(name);
    if (!b || wall < b.wall) best.set(name, { wall, cpu: c, helped: rowChunksHelped() - h0, iterations: iterations / points, evals: evals / points });
    values.set(name, v);
  }
}
const [a, b] = [...values.values()];
const diff = Math.max(...a.map((v, k) => Math.abs(v - b[k])));
console.log(`y ~ x + w + (1 | g), ${family}(${model.family.link})${family === 'negative.binomial' ? `, size ${nbTheta}` : ''}: ${n} rows (${layout}), ${groups} groups, p = ${p}, ${threads} threads; ms per PIRLS run with β ${free ? 'free' : 'fixed'} (best of ${reps} rounds of ${points} points):`);
for (const [name, r] of best) console.log(`  ${name}: wall ${r.wall.toFixed(2)}, CPU ${r.cpu.toFixed(2)}, iterations ${r.iterations.toFixed(2)}${Number.isNaN(r.evals) ? '' : `, evaluations per level ${r.evals.toFixed(2)}`}${r.helped ? ` (chunks by helpers: ${r.helped})` : ''}`);
console.log(`  Laplace deviance: ${a[0]} (general) vs ${b[0]} (by levels); largest |difference| over the walk ${diff.toExponential(2)}`);
process.exit(0);
