/**
 * The WebGPU GLMM's evaluations and device round trips per stage (issue 15), counted (deterministic
 * on any adapter, so SwiftShader measures them): glmer on 'webgpu' and on 'cpu' for each case, the
 * evaluations of stage 1, stage 2 (the optimizer's, with the curvature scaling's) and the float64
 * polish, the device's passes and round trips (host waits) in stage 1 and stage 2, and the optimum
 * against the CPU backend's.
 *
 *   npx vite-node bench/glmmStage2.ts [--rows 50000] [--groups 2500] [--seeds 1,2] [--cases intercept,slope,crossed,nested,trials]
 *
 * Cases (binomial): intercept `y ~ x + w + (1 | g)` and slope `y ~ x + w + (x | g)` on ./synth.ts's data (glmm1m's
 * generator); crossed `… + (1 | g) + (1 | h)` (h of 200 levels) and nested `… + (1 | g) + (1 | g:h)` (4 levels
 * of h per g); trials: cbpp-like proportions y = k/m with weights m (1–20 trials a row), `y ~ x + w + (1 | g)`.
 */
import { glmer } from '../src/fit/glmer.js';
import { acquireGpu, gpuUnavailableReason, releaseGpu } from '../src/backend/webgpu/device.js';
import { makeFactorVector, makeFloat64Vector, tableFromColumns } from '../src/io/arrow.js';
import { Rng, generateLmmData } from './synth.js';
import type * as arrow from 'apache-arrow';
import type { GlmmFit } from '../src/glmm/glmmFit.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const n = Number(arg('--rows', '50000'));
const groups = Number(arg('--groups', '2500'));
const seeds = arg('--seeds', '1').split(',').map(Number);
const cases = arg('--cases', 'intercept,slope,crossed,nested,trials').split(',');
const backends = arg('--backends', 'cpu,webgpu').split(',') as ('cpu' | 'webgpu')[];
/** stage 2's final radius for the webgpu fits (the optimizer option; default: the fit's own) */
const rhoends = arg('--rhoend', '').split(',').filter((v) => v !== '').map(Number);

function caseData(name: string, seed: number): { table: arrow.Table; formula: string; weights?: string } {
  if (name === 'trials') {
    const d = generateLmmData({ n, groups, seed, family: 'gaussian', sdSlope: 0, sigma: 0 });
    const rng = new Rng(seed + 100);
    const { x, w, g } = d.columns;
    const m = Float64Array.from({ length: n }, () => 1 + rng.int(20));
    // y = k/m, k ~ Binomial(m, logit⁻¹(η / 2)), η of synth's gaussian model without noise
    const y = Float64Array.from(d.columns.y, (eta, i) => {
      const p = 1 / (1 + Math.exp(-(eta - 2) / 1.5));
      let k = 0;
      for (let t = 0; t < m[i]; t++) if (rng.uniform() < p) k++;
      return k / m[i];
    });
    const table = tableFromColumns([
      ['y', makeFloat64Vector(y)], ['m', makeFloat64Vector(m)], ['x', makeFloat64Vector(x)], ['w', makeFloat64Vector(w)],
      ['g', makeFactorVector(g, Array.from({ length: groups }, (_, k) => `g${k + 1}`))],
    ]);
    return { table, formula: 'y ~ x + w + (1 | g)', weights: 'm' };
  }
  const crossed = name === 'crossed' ? 200 : name === 'nested' ? 4 : 0;
  const d = generateLmmData({ n, groups, seed, family: 'binomial', ...(crossed ? { crossed } : {}) });
  const formula = {
    intercept: 'y ~ x + w + (1 | g)', slope: 'y ~ x + w + (x | g)', crossed: 'y ~ x + w + (1 | g) + (1 | h)', nested: 'y ~ x + w + (1 | g) + (1 | g:h)',
  }[name];
  if (!formula) throw new Error(`unknown case ${name}`);
  return { table: d.table, formula };
}

const ctx = backends.includes('webgpu') ? await acquireGpu() : null;
if (backends.includes('webgpu') && !ctx) throw new Error(`no WebGPU adapter: ${gpuUnavailableReason()}`);
console.log(`bench/glmmStage2.ts: ${n} rows, ${groups} groups, seeds ${seeds.join(',')}; adapter ${ctx?.adapterName ?? '–'}`);
console.log('');
console.log('| case | seed | backend | stage 1 evals | stage 2 evals | polish f64 evals (Newton steps) | Hessian evals | passes stage 1 | passes stage 2 | round trips stage 1 | round trips stage 2 | round trips / stage-2 eval | −2ℓ | − CPU\'s | max |Δβ|/SE | fit (s) |');
console.log('|:--|--:|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
for (const name of cases) {
  for (const seed of seeds) {
    const { table, formula, weights } = caseData(name, seed);
    let cpu: GlmmFit | null = null;
    const runs = backends.flatMap((b) => (b === 'webgpu' && rhoends.length ? rhoends.map((r) => [b, r] as const) : [[b, NaN] as const]));
    for (const [backend, rhoend] of runs) {
      const t0 = performance.now();
      const fit = await glmer(formula, table, {
        family: 'binomial', backend, ...(weights ? { weights } : {}), ...(backend === 'webgpu' ? { device: ctx!.device } : {}),
        ...(Number.isFinite(rhoend) ? { optimizer: { rhoend } } : {}),
      });
      const s = (performance.now() - t0) / 1000;
      if (backend === 'cpu') cpu = fit;
      const t = fit.timings;
      const check = fit.gpuCheck;
      const polish = check?.polishEvaluations ?? 0;
      const stage2 = fit.feval2 - polish;
      const hess = fit.feval - fit.stage1.feval - fit.feval2;
      const gpu = backend === 'webgpu';
      const p1 = t.gpuPassesStage1 ?? NaN, rt1 = t.gpuRoundTripsStage1 ?? NaN;
      const p2 = (t.gpuPasses ?? NaN) - p1, rt2 = (t.gpuRoundTrips ?? NaN) - rt1;
      const dObj = cpu && gpu ? (fit.objective - cpu.objective).toExponential(1) : '–';
      let dBeta = '–';
      if (cpu && gpu) {
        let worst = 0;
        for (const k of Object.keys(cpu.fixef)) worst = Math.max(worst, Math.abs(fit.fixef[k] - cpu.fixef[k]) / cpu.se[k]);
        dBeta = worst.toExponential(1);
      }
      const g = (v: number | string) => (gpu ? String(v) : '–');
      console.log(`| ${name} | ${seed} | ${backend}${Number.isFinite(rhoend) ? ` (rhoend ${rhoend})` : ''} | ${fit.stage1.feval} | ${stage2} | ${gpu ? `${polish} (${check?.newton?.steps ?? '–'})` : '–'} | ${hess} | ${g(p1)} | ${g(p2)} | ${g(rt1)} | ${g(rt2)} | ${gpu ? (rt2 / stage2).toFixed(2) : '–'} | ${fit.objective} | ${dObj} | ${dBeta} | ${s.toFixed(1)} |`);
    }
  }
}
if (ctx) releaseGpu(ctx);
process.exit(0);
