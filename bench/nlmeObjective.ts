/**
 * One evaluation of lme's criterion (src/nlme/objective.ts lmeObjective) at the optimizer's start, on cases
 * of test/oracle/nlme*.R with a variance function: the path that computes the rows' g_i(ψ) once per
 * evaluation (`lmeObjective`: rowScales passed to thetaIntOf's residualScale and to whitenRows) beside the
 * path that computed them twice (thetaIntOf and evaluateLmeInternal each computing their own, as before),
 * in one run, alternating; µs per evaluation, the fastest and the median of 25 blocks of 200 evaluations (the
 * fastest block is the least disturbed on a shared machine), and the work saved, one rowScales, alone. Both give the
 * same criterion, bit for bit (checked).
 *   npx vite-node bench/nlmeObjective.ts
 */
import { readFileSync } from 'node:fs';
import { readCsv } from '../src/io/csv.js';
import { lmmThetaProblem } from '../src/lmm/thetaProblem.js';
import { scaledStart } from '../src/optim/thetaOptimizer.js';
import { buildLme } from '../src/nlme/lme.js';
import { evaluateLmeInternal, lmeObjective, modelRows, residualScale, scaledThetaMap, thetaIntOf } from '../src/nlme/objective.js';
import { rowScales } from '../src/nlme/whitening.js';

const FACTORS: Record<string, string[]> = { Orthodont: [], BodyWeight: ['Rat'], Soybean: ['Plot'], Phenobarb: ['Subject'], Oats: [] };
const median = (x: number[]) => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)];
const CASES = ['ortho_varident_reml', 'bw_varpower_car1_ml', 'soy_varpower_time', 'pheno_varconstpower', 'oats_nested_varident_ml'];
const BLOCKS = 25, PER = 200;

for (const name of CASES) {
  const fx = JSON.parse(readFileSync(`test/fixtures/nlme/${name}.json`, 'utf8'));
  const d = readCsv(readFileSync(`test/fixtures/data/${fx.data}.csv`, 'utf8'), { factors: FACTORS[fx.data] }).table;
  const { model, rc } = buildLme(fx.ours.fixed, d, { random: fx.ours.random, weights: fx.ours.weights, correlation: fx.ours.correlation, method: fx.method, factors: FACTORS[fx.data] });
  // the optimizer's start, as lme() sets it up
  const problem = lmmThetaProblem(model.blocks, model.internalBlocks, model.theta, model.frame.n);
  const map = scaledThetaMap(problem.scales);
  const psi0 = Float64Array.from([...(rc.vf?.start ?? []), ...(rc.cor?.start ?? [])]);
  const c0 = residualScale(rc, psi0);
  const x = Float64Array.from([...scaledStart(problem).map((t, k) => t * problem.scales[k]), ...psi0]);
  const once = lmeObjective(model, rc, map, c0);
  const base = modelRows(model);
  const twice = (xx: Float64Array): number => {
    const t = thetaIntOf(xx, map, rc, c0);
    return t ? evaluateLmeInternal(model, rc, base, t, xx.subarray(map.n), true).criterion : Infinity;
  };
  if (once(x) !== twice(x)) throw new Error(`${name}: the two paths differ: ${once(x)} vs ${twice(x)}`);
  const psi = x.subarray(map.n);
  const scalesOnly = (): number => rowScales(rc, psi).logSum;
  const tOnce: number[] = [], tTwice: number[] = [], tScales: number[] = [];
  for (let b = 0; b < BLOCKS; b++) {
    for (const [f, t] of [[once, tOnce], [twice, tTwice], [scalesOnly, tScales]] as const) {
      const t0 = performance.now();
      for (let r = 0; r < PER; r++) f(x as Float64Array);
      t.push(((performance.now() - t0) * 1000) / PER);
    }
  }
  const [a, o] = [Math.min(...tTwice), Math.min(...tOnce)];
  const [am, om] = [median(tTwice), median(tOnce)];
  console.log(`${name} (n = ${model.frame.n}, ${rc.vf?.text}${rc.cor ? ` + ${rc.cor.text}` : ''}): g twice ${a.toFixed(1)} µs, once ${o.toFixed(1)} µs per evaluation, fastest blocks (${((1 - o / a) * 100).toFixed(1)}% less); medians ${am.toFixed(1)} and ${om.toFixed(1)} µs; one rowScales ${Math.min(...tScales).toFixed(1)} µs`);
}
