/**
 * The blocked factorization and the final solve's trailing inverse with one thread and with two, in
 * CPU time and wall time of this process, at lme4's start θ (the cost does not depend on θ): per
 * factorization (mean of `--reps` after two warm-ups), the conditional variances through the trailing
 * inverse (best of 3), the chunks the helper thread computed, and whether both thread counts give
 * the same factor bit for bit. On a loaded machine read the CPU columns (a second thread gains no
 * wall time when the cores are busy; see bench/RESULTS.md).
 *
 *   npm run build && node --expose-gc dist/bench/factorThreads.js [--cases insteval,1m-crossed] [--reps 40]
 */
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { BlockedCholesky } from '../src/linalg/blockedCholesky.js';
import { denseChunksHelped, denseChunksHelpedByJob, denseThreadsReady, setDenseThreads } from '../src/linalg/denseThreads.js';
import { conditionalVariances, solveLmm } from '../src/lmm/solution.js';
import { trailingSize } from '../src/lmm/trailingInverse.js';
import { benchTable, gc, makeBenchCases, repoRoot } from './common.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

/** CPU and wall ms of fn */
function timed(fn: () => void): { cpu: number; wall: number } {
  const c = process.cpuUsage();
  const t = performance.now();
  fn();
  const d = process.cpuUsage(c);
  return { cpu: (d.user + d.system) / 1e3, wall: performance.now() - t };
}

function identical(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

const root = repoRoot(import.meta.url);
const reps = Number(arg('--reps', '40'));
setDenseThreads(2);
const poolThreads = await denseThreadsReady();
console.log(`pool: ${poolThreads} threads`);
console.log('| case | dense rows | threads | factor CPU (ms) | factor wall (ms) | helper chunks per factor | by job | condVar CPU (ms) | condVar wall (ms) | same factor as 1 thread |');
console.log('|:--|--:|--:|--:|--:|--:|:--|--:|--:|:--|');
for (const spec of makeBenchCases(arg('--cases', 'insteval,1m-crossed').split(','), { seed: 1 })) {
  const table = benchTable(spec, root);
  const model = buildLmm(spec.formula, table, { REML: spec.REML, factors: spec.factors });
  const gram = formGram(model);
  const theta = Float64Array.from(model.theta.start);
  let ref: BlockedCholesky | null = null;
  for (const threads of [1, 2]) {
    setDenseThreads(threads);
    const chol = new BlockedCholesky(gram, theta.length);
    chol.factor(theta);
    chol.factor(theta);
    gc();
    const h0 = denseChunksHelped();
    const j0 = denseChunksHelpedByJob();
    let cpu = 0, wall = 0;
    for (let r = 0; r < reps; r++) {
      const t = timed(() => chol.factor(theta));
      cpu += t.cpu;
      wall += t.wall;
    }
    const helped = (denseChunksHelped() - h0) / reps;
    const j1 = denseChunksHelpedByJob();
    const byJob = (Object.keys(j1) as (keyof typeof j1)[]).map((j) => `${j} ${((j1[j] - j0[j]) / reps).toFixed(1)}`).join(', ');
    const sol = solveLmm(chol, model.frame.n, spec.REML);
    conditionalVariances(chol, sol.sigma);
    let cv = { cpu: Infinity, wall: Infinity };
    for (let r = 0; r < 3; r++) {
      gc();
      const t = timed(() => conditionalVariances(chol, sol.sigma));
      if (t.cpu < cv.cpu) cv = t;
    }
    let same = '–';
    if (ref) {
      chol.factor(theta);
      ref.factor(theta);
      same = [ref.Lkk, ref.LXk].every((arrs, w) => arrs.every((a, k) => identical(a, (w === 0 ? chol.Lkk : chol.LXk)[k])))
        && ref.Ljk.every((row, j) => row.every((a, k) => identical(a, chol.Ljk[j][k])))
        && Object.is(ref.ldL2, chol.ldL2) && Object.is(ref.pwrss, chol.pwrss) ? 'yes' : 'NO';
    } else ref = chol;
    const f = (x: number) => x.toFixed(1);
    console.log(`| ${spec.id} | ${trailingSize(chol)} | ${chol.arena.threads} | ${f(cpu / reps)} | ${f(wall / reps)} | ${helped.toFixed(1)} | ${byJob} | ${f(cv.cpu)} | ${f(cv.wall)} | ${same} |`);
  }
}
setDenseThreads('auto');
