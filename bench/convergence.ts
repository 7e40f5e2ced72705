/**
 * The cost of lme4's convergence checks (src/model/convergence.ts): each fit with calcDerivs false and
 * true, alternately, `reps` times, and the derivatives' own time (timings.derivsMs) — lmer's stencil in
 * θ takes k² + k float64 evaluations of the criterion for k variance parameters (lme4's deriv12 2k²;
 * glmer's checks reuse its Var(β̂) stencil, so cost nothing). Seeded data just under lme4 2.0's 10,000-row limit:
 *   slopes   `y ~ x + (x | g)`, 9,999 rows, 500 groups (k = 3);
 *   crossed  `y ~ x + (1 | s) + (1 | d)`, 9,999 rows, 1,000 × 400 levels (k = 2, a dense 400-level block);
 *   wide     `y ~ x + (x + z | g) + (1 | h)`, 9,999 rows (k = 7);
 * and sleepstudy `Reaction ~ Days + (Days | Subject)`.
 *
 *   npx vite-node bench/convergence.ts [reps]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lmer } from '../src/fit/lmer.js';
import { readCsv } from '../src/io/csv.js';
import { Rng } from './synth.js';

const reps = Number(process.argv[2] ?? 5);
const rng = new Rng(20261206);
const n = 9_999;
function data(kind: 'slopes' | 'crossed' | 'wide'): Record<string, ArrayLike<unknown>> {
  const x = new Float64Array(n), z = new Float64Array(n), y = new Float64Array(n);
  const g: string[] = [], h: string[] = [];
  const G = kind === 'crossed' ? 1000 : 500, H = kind === 'crossed' ? 400 : 40;
  const b0 = Float64Array.from({ length: G }, () => rng.normal()), b1 = Float64Array.from({ length: G }, () => 0.5 * rng.normal());
  const b2 = Float64Array.from({ length: G }, () => 0.3 * rng.normal()), c0 = Float64Array.from({ length: H }, () => 0.7 * rng.normal());
  for (let i = 0; i < n; i++) {
    const gi = Math.floor(rng.uniform() * G), hi = Math.floor(rng.uniform() * H);
    x[i] = rng.normal(); z[i] = rng.normal();
    g.push(`g${gi}`); h.push(`h${hi}`);
    y[i] = 1 + 0.5 * x[i] + b0[gi] + (kind === 'crossed' ? c0[hi] : b1[gi] * x[i] + (kind === 'wide' ? b2[gi] * z[i] + c0[hi] : 0)) + rng.normal();
  }
  return kind === 'crossed' ? { y, x, s: g, d: h } : { y, x, z, g, h };
}
const sleep = readCsv(readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'data', 'sleepstudy.csv'), 'utf8'), { factors: ['Subject'] }).table;
const cases: [string, string, Parameters<typeof lmer>[1]][] = [
  ['sleepstudy', 'Reaction ~ Days + (Days | Subject)', sleep],
  ['slopes', 'y ~ x + (x | g)', data('slopes')],
  ['crossed', 'y ~ x + (1 | s) + (1 | d)', data('crossed')],
  ['wide', 'y ~ x + (x + z | g) + (1 | h)', data('wide')],
];
console.log('| case | k | fit, no checks (ms) | fit, checks (ms) | ratio | derivatives (ms) | evaluations: optimizer / checks |');
console.log('|:--|--:|--:|--:|--:|--:|--:|');
for (const [name, formula, d] of cases) {
  const off: number[] = [], on: number[] = [], der: number[] = [];
  let k = 0, feval = 0;
  for (let r = 0; r < reps + 1; r++) {
    for (const calcDerivs of [false, true]) {
      const t = performance.now();
      const fit = await lmer(formula, d, { calcDerivs });
      const ms = performance.now() - t;
      if (r === 0) continue; // warm-up
      (calcDerivs ? on : off).push(ms);
      if (calcDerivs) der.push(fit.timings.derivsMs);
      k = fit.theta.length; feval = fit.feval;
    }
  }
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
  console.log(`| ${name} | ${k} | ${med(off).toFixed(1)} | ${med(on).toFixed(1)} | ${(med(on) / med(off)).toFixed(2)} | ${med(der).toFixed(1)} | ${feval} / ${k * k + k} |`);
}
