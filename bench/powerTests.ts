/**
 * The cost of each of simr's tests in powerSim (src/inference/powerSim.ts) on sleepstudy,
 * Reaction ~ Days + (Days | Subject) with Days = 2, and of a glmer powerCurve (cbpp along herd):
 * per replicate, for the batched tests (t, z, kr, anova, chisq, f), the refitted ones (lr and the
 * comparisons) and the parametric bootstrap's pb (pbnsim refits of two models inside every
 * replicate: about pbnsim × the lr test's cost, which is why simr gives it its own small pbnsim).
 *
 *   npx vite-node bench/powerTests.ts [nsim] [pbNsim] [pbnsim]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { readCsv } from '../src/io/csv.js';
import { type PowerSimOptions, powerSim } from '../src/inference/powerSim.js';
import { powerCurve } from '../src/inference/powerCurve.js';

const nsim = Number(process.argv[2] ?? 200);
const pbNsim = Number(process.argv[3] ?? 10);
const pbnsim = Number(process.argv[4] ?? 100);
const data = (f: string) => readCsv(readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'data', f), 'utf8')).table;
const ss = await lmer('Reaction ~ Days + (Days | Subject)', data('sleepstudy.csv'), { factors: ['Subject'] });

const runs: [string, PowerSimOptions][] = [
  ['t', { test: 'Days', method: 't' }], ['z', { test: 'Days', method: 'z' }], ['kr', { test: 'Days', method: 'kr' }],
  ['anova', { test: 'Days', method: 'anova' }], ['chisq', { test: 'Days', method: 'chisq' }], ['f', { test: 'Days', method: 'f' }],
  ['lr', { test: 'Days', method: 'lr' }], ['rcompare lr', { test: { rcompare: '~ (1 | Subject)' }, method: 'lr' }],
  ['fcompare kr', { test: { fcompare: '~ 1' }, method: 'kr' }],
  [`pb (pbnsim ${pbnsim})`, { test: 'Days', method: 'pb', pbnsim }],
];
for (const [name, o] of runs) {
  const n = o.method === 'pb' ? pbNsim : nsim;
  const t = performance.now();
  const r = await powerSim(ss, { ...o, nsim: n, seed: 1, fixef: { Days: 2 } });
  const ms = performance.now() - t;
  console.log(JSON.stringify({ model: 'sleepstudy', test: name, nsim: n, ms: Math.round(ms), perReplicateMs: +(ms / n).toFixed(2), power: r.power, errors: r.errors }));
}
const cbpp = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', data('cbpp.csv'), { family: 'binomial', factors: ['herd', 'period'] });
for (const method of ['z', 'lr'] as const) {
  const t = performance.now();
  const c = await powerCurve(cbpp, { test: method === 'z' ? 'period2' : 'period', method, along: 'herd', breaks: [6, 10, 15], nsim, seed: 1, fixef: { period2: -0.8, period3: -0.9, period4: -1.2 } });
  const ms = performance.now() - t;
  console.log(JSON.stringify({ model: 'cbpp powerCurve along herd, breaks 6, 10, 15', test: method, nsim, ms: Math.round(ms), perReplicateAndBreakMs: +(ms / nsim / 3).toFixed(2), power: c.points.map((p) => p.power), errors: c.errors }));
}
