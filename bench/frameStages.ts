/**
 * The host's stages before the θ loop (issue 15: the GPU path's CPU work, shared by every backend),
 * in CPU time (the least of `--reps` runs; process.cpuUsage, so that other work on the machine
 * distorts it less than wall time): the model frame (buildModelFrame), the fixed-effects transform,
 * the mixed model's blocks (buildMixedModel), all three as a fit runs them (buildLmm: the fit's
 * `timings.frameMs`), and the float64 Gram pass (formGram: `timings.gramMs`). Data: bench/synth.ts
 * `y ~ x + w + (x | g)`, seed 1, `--groups` (default rows / 20), rows shuffled or sorted by group.
 * The last line is a signature of the Gram matrix (A_XX, yᵀy, the first entries of A_kk and A_Xk),
 * to compare two versions bit for bit. `--threads N` (default: the dense kernels' setting, 'auto')
 * runs the frame's row passes on N threads (src/linalg/rowChunks.ts, the helpers started first) and
 * also reports the least wall time of each stage and the chunks the helpers computed.
 *
 *   npx vite-node bench/frameStages.ts [--rows 2000000] [--groups N] [--reps 3] [--layout shuffled|sorted] [--threads N]
 */
import { generateLmmData } from './synth.js';
import { buildModelFrame } from '../src/frame/modelFrame.js';
import { parseFormula } from '../src/formula/parse.js';
import { fixedTransform } from '../src/model/fixedTransform.js';
import { buildMixedModel } from '../src/model/mixedModel.js';
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { setDenseThreads } from '../src/linalg/denseThreads.js';
import { RowJobs, rowChunksHelped, rowChunksShared, rowThreadsReady } from '../src/linalg/rowThreads.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const n = Number(arg('--rows', '2000000'));
const groups = Number(arg('--groups', String(Math.max(2, Math.round(n / 20)))));
const reps = Number(arg('--reps', '3'));
const layout = arg('--layout', 'shuffled') as 'shuffled' | 'sorted';
const threadsArg = arg('--threads', 'auto');
setDenseThreads(threadsArg === 'auto' ? 'auto' : Number(threadsArg));
const threads = await rowThreadsReady();
const { table } = generateLmmData({ n, groups, seed: 1, layout });
const f = parseFormula('y ~ x + w + (x | g)');
const cpu = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const best: Record<string, number> = {};
const bestWall: Record<string, number> = {};
const time = <T>(k: string, fn: () => T): T => {
  const c0 = cpu(), w0 = performance.now();
  const r = fn();
  best[k] = Math.min(best[k] ?? Infinity, cpu() - c0);
  bestWall[k] = Math.min(bestWall[k] ?? Infinity, performance.now() - w0);
  return r;
};
// the wall time spent in row jobs (RowJobs.run) within each stage: with one thread, the share of the
// stage's work that the row threads can split
let inJobs = 0;
const run = RowJobs.prototype.run;
RowJobs.prototype.run = function (this: RowJobs, k: number, chunks: number) {
  const w0 = performance.now();
  try { run.call(this, k, chunks); } finally { inJobs += performance.now() - w0; }
};
const jobsOf: Record<string, number> = {};
const timeJobs = <T>(k: string, fn: () => T): T => {
  const j0 = inJobs;
  const r = time(k, fn);
  jobsOf[k] = Math.min(jobsOf[k] ?? Infinity, inJobs - j0);
  return r;
};
const helped0 = rowChunksHelped(), shared0 = rowChunksShared();
let signature = '';
for (let r = 0; r < reps; r++) {
  const frame = timeJobs('buildModelFrame', () => buildModelFrame(f, table, {}));
  timeJobs('fixedTransform', () => fixedTransform(frame));
  timeJobs('buildMixedModel', () => buildMixedModel(f, frame, {}, { scale: false }));
  const model = timeJobs('buildLmm', () => buildLmm(f, table, { REML: true }));
  const A = time('formGram', () => formGram(model));
  signature = `${A.AXX.join(',')} ${A.yty} ${A.Akk[0].slice(0, 8).join(',')} ${A.AXk[0].slice(0, 4).join(',')}`;
}
const ms = (o: Record<string, number>) => JSON.stringify(Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v)])));
console.log(`rows ${n}, groups ${groups}, ${layout}, ${threads} thread${threads > 1 ? 's' : ''}; least CPU ms of ${reps}: ${ms(best)}`);
console.log(`least wall ms: ${ms(bestWall)}; row-job chunks computed by helpers: ${rowChunksHelped() - helped0} of ${rowChunksShared() - shared0} shared`);
console.log(`least wall ms in row jobs: ${ms(jobsOf)}`);
console.log(signature);
process.exit(0);
