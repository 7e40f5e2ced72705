/**
 * The host's stages before the θ loop (issue 15: the GPU path's CPU work, shared by every backend),
 * in CPU time (the least of `--reps` runs; process.cpuUsage, so that other work on the machine
 * distorts it less than wall time): the model frame (buildModelFrame), the fixed-effects transform,
 * the mixed model's blocks (buildMixedModel), all three as a fit runs them (buildLmm: the fit's
 * `timings.frameMs`), and the float64 Gram pass (formGram: `timings.gramMs`). Data: bench/synth.ts
 * `y ~ x + w + (x | g)`, seed 1, `--groups` (default rows / 20), rows shuffled or sorted by group.
 * The last line is a signature of the Gram matrix (A_XX, yᵀy, the first entries of A_kk and A_Xk),
 * to compare two versions bit for bit.
 *
 *   npx vite-node bench/frameStages.ts [--rows 2000000] [--groups N] [--reps 3] [--layout shuffled|sorted]
 */
import { generateLmmData } from './synth.js';
import { buildModelFrame } from '../src/frame/modelFrame.js';
import { parseFormula } from '../src/formula/parse.js';
import { fixedTransform } from '../src/model/fixedTransform.js';
import { buildMixedModel } from '../src/model/mixedModel.js';
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const n = Number(arg('--rows', '2000000'));
const groups = Number(arg('--groups', String(Math.max(2, Math.round(n / 20)))));
const reps = Number(arg('--reps', '3'));
const layout = arg('--layout', 'shuffled') as 'shuffled' | 'sorted';
const { table } = generateLmmData({ n, groups, seed: 1, layout });
const f = parseFormula('y ~ x + w + (x | g)');
const cpu = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const best: Record<string, number> = {};
const time = <T>(k: string, fn: () => T): T => {
  const c0 = cpu();
  const r = fn();
  best[k] = Math.min(best[k] ?? Infinity, cpu() - c0);
  return r;
};
let signature = '';
for (let r = 0; r < reps; r++) {
  const frame = time('buildModelFrame', () => buildModelFrame(f, table, {}));
  time('fixedTransform', () => fixedTransform(frame));
  time('buildMixedModel', () => buildMixedModel(f, frame, {}, { scale: false }));
  const model = time('buildLmm', () => buildLmm(f, table, { REML: true }));
  const A = time('formGram', () => formGram(model));
  signature = `${A.AXX.join(',')} ${A.yty} ${A.Akk[0].slice(0, 8).join(',')} ${A.AXk[0].slice(0, 4).join(',')}`;
}
console.log(`rows ${n}, groups ${groups}, ${layout}; least CPU ms of ${reps}: ${JSON.stringify(Object.fromEntries(Object.entries(best).map(([k, v]) => [k, Math.round(v)])))}`);
console.log(signature);
process.exit(0);
