/**
 * emmeans on a large lmer fit: the time of the means and their pairwise comparisons, and of the joint tests, with each df
 * method after the fit (Kenward–Roger, Satterthwaite, asymptotic), and of the model frame's covariate
 * summaries (the reference grid's means and kept values) against the whole frame. Seeded data: n rows,
 * a 4-level A × 3-level B design, covariates x and z (z > 0, in log(z)), a 0/1 covariate d and a random
 * intercept of G groups: `y ~ A * B + x + log(z) + d + (1 | g)`.
 *
 *   npx vite-node bench/emmeans.ts [n] [groups] [csv]    # csv: also writes the data, for bench/emmeans.R
 *   Rscript bench/emmeans.R CSV                          # emmeans in R on the same model (asymptotic df above 3,000 rows)
 */
import { writeFileSync } from 'node:fs';
import { tableFromArrays } from 'apache-arrow';
import { lmer } from '../src/fit/lmer.js';
import { buildModelFrame } from '../src/frame/modelFrame.js';
import { covariateSummaries } from '../src/frame/covariates.js';
import { parseFormula } from '../src/formula/parse.js';
import '../src/inference/methods.js';
import { Rng } from './synth.js';

const n = Number(process.argv[2] ?? 1_000_000);
const G = Number(process.argv[3] ?? 20_000);
const rng = new Rng(20261205);
const A: string[] = [], B: string[] = [], g: string[] = [];
const x = new Float64Array(n), z = new Float64Array(n), d = new Float64Array(n), y = new Float64Array(n);
const b = Float64Array.from({ length: G }, () => 1.5 * rng.normal());
for (let i = 0; i < n; i++) {
  const a = Math.floor(rng.uniform() * 4), bb = Math.floor(rng.uniform() * 3);
  A.push(`a${a + 1}`);
  B.push(`b${bb + 1}`);
  x[i] = rng.normal();
  z[i] = Math.exp(0.5 + 0.6 * rng.normal());
  d[i] = rng.uniform() < 0.3 ? 1 : 0;
  const k = i % G;
  g.push(`g${k}`);
  y[i] = 10 + 0.5 * a - 0.3 * bb + 0.2 * a * bb + 0.4 * x[i] + 0.9 * Math.log(z[i]) - 0.6 * d[i] + b[k] + 1.2 * rng.normal();
}
const table = tableFromArrays({ y, A, B, x, z, d, g });
if (process.argv[4]) writeFileSync(process.argv[4], ['y,A,B,x,z,d,g', ...Array.from({ length: n }, (_, i) => `${y[i]},${A[i]},${B[i]},${x[i]},${z[i]},${d[i]},${g[i]}`)].join('\n'));
const formula = 'y ~ A * B + x + log(z) + d + (1 | g)';
const ms = (t0: number) => (performance.now() - t0).toFixed(0);

let t0 = performance.now();
const frame = buildModelFrame(parseFormula(formula), table);
const frameMs = ms(t0);
const numeric = { x, z, d } as Record<string, Float64Array>;
t0 = performance.now();
covariateSummaries(frame.formula, (name) => (numeric[name] ? { kind: 'numeric', values: numeric[name] } : { kind: 'factor', codes: new Int32Array(0), levels: [] }), null, n);
console.log(`n ${n}, groups ${G}: model frame ${frameMs} ms, of which the covariate summaries ~${ms(t0)} ms`);
t0 = performance.now();
const fit = await lmer(formula, table);
console.log(`fit ${ms(t0)} ms`);
for (const ddf of ['kenward-roger', 'satterthwaite', 'asymptotic'] as const) {
  t0 = performance.now();
  const emm = fit.emmeans('~ A | B', { ddf });
  void emm.rows;
  const t1 = performance.now();
  const pairs = emm.pairs();
  console.log(`${ddf}: means ${(t1 - t0).toFixed(0)} ms, pairs ${(performance.now() - t1).toFixed(0)} ms; a1-a2 at b1: estimate ${pairs.rows[0].estimate.toFixed(6)}, SE ${pairs.rows[0].SE.toFixed(6)}, df ${pairs.rows[0].df.toFixed(1)}, p ${pairs.rows[0].p.toExponential(3)}`);
}
for (const ddf of ['kenward-roger', 'satterthwaite', 'asymptotic'] as const) {
  t0 = performance.now();
  const jt = fit.jointTests({ ddf });
  const A = jt.rows.find((r) => r.term === 'A:B')!;
  console.log(`joint tests, ${ddf}: ${ms(t0)} ms; ${jt.rows.length} terms, A:B: F ${A.F.toFixed(4)}, df ${A.df1}, ${A.df2.toFixed(2)}, p ${A.p.toExponential(3)}`);
}
