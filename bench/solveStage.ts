/**
 * The final solve stage's parts at one θ, in CPU time of this process (the machine is shared): the
 * blocked factorization, β̂ / b̂ / σ̂ / Var(β̂) (solveLmm), and the conditional variances by the
 * trailing inverse (conditionalVariances) against the forward solves it replaced
 * (conditionalVariancesBySolves), best of `--reps` after one warm-up, with their largest relative
 * difference. θ is θ̂ of a fit (`--at fit`, the default) or lme4's start (`--at start`: no fit; the
 * stage's cost does not depend on θ).
 *
 *   npm run build && node --expose-gc dist/bench/solveStage.js [--cases insteval,1m-crossed] [--at fit|start] [--reps 3]
 */
import { lmer } from '../src/fit/lmer.js';
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { CpuBackend } from '../src/backend/cpu/cpuBackend.js';
import { conditionalVariances, conditionalVariancesBySolves, solveLmm } from '../src/lmm/solution.js';
import { trailingSize } from '../src/lmm/trailingInverse.js';
import { thetaToInternal } from '../src/model/reparam.js';
import { benchTable, gc, makeBenchCases, repoRoot } from './common.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

/** best CPU time (ms) of `reps` runs after one warm-up, and the last result */
function cpuBest<T>(reps: number, fn: () => T): [T, number] {
  let r = fn();
  let best = Infinity;
  for (let k = 0; k < reps; k++) {
    gc();
    const c = process.cpuUsage();
    r = fn();
    const d = process.cpuUsage(c);
    best = Math.min(best, (d.user + d.system) / 1e3);
  }
  return [r, best];
}

const root = repoRoot(import.meta.url);
const reps = Number(arg('--reps', '3'));
const at = arg('--at', 'fit');
console.log('| case | θ | dense rows M | factor (ms) | solveLmm (ms) | condVar, trailing inverse (ms) | condVar, forward solves (ms) | ratio | max rel. diff |');
console.log('|:--|:--|--:|--:|--:|--:|--:|--:|--:|');
for (const spec of makeBenchCases(arg('--cases', 'insteval,1m-crossed').split(','), { seed: 1 })) {
  const table = benchTable(spec, root);
  const model = buildLmm(spec.formula, table, { REML: spec.REML, factors: spec.factors });
  const theta = at === 'fit' ? (await lmer(spec.formula, table, { REML: spec.REML, factors: spec.factors })).theta : Float64Array.from(model.theta.start);
  const chol = new CpuBackend(formGram(model), model.theta.length).chol;
  const internal = thetaToInternal(model, theta);
  const [, tFactor] = cpuBest(reps, () => chol.factor(internal));
  const [sol, tSolve] = cpuBest(reps, () => solveLmm(chol, model.frame.n, spec.REML));
  const [fast, tFast] = cpuBest(reps, () => conditionalVariances(chol, sol.sigma));
  const [slow, tSlow] = cpuBest(reps, () => conditionalVariancesBySolves(chol, sol.sigma));
  let diff = 0;
  fast.forEach((f, k) => f.forEach((v, e) => { diff = Math.max(diff, Math.abs(v - slow[k][e]) / Math.abs(slow[k][e])); }));
  const ms = (t: number) => t.toFixed(0);
  console.log(`| ${spec.id} | ${at === 'fit' ? 'θ̂' : 'start'} | ${trailingSize(chol)} | ${ms(tFactor)} | ${ms(tSolve)} | ${ms(tFast)} | ${ms(tSlow)} | ${(tSlow / tFast).toFixed(1)}× | ${diff.toExponential(1)} |`);
}
