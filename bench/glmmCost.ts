/**
 * The WebGPU GLMM's per-evaluation cost and its breakdown (issue 15): one evaluation of glmer's
 * stage-1 objective (PIRLS at θ for u and β, warm-started from the previous θ as in a fit) on the
 * device with the per-group updates there (glmmGroups.wgsl on blockdiag.wgsl's factor), for p = 3,
 * 42 and q = 2, 12, 20, and two nested and two crossed factors (binomial data of ./sized.ts, `groups`
 * groups of the first factor); profiled, each round trip's
 * parts awaited one after the other: the update of u, the pass's evaluation (reweight and products),
 * the per-group factor with its sums (with several factors also the host's float64 part: the other
 * blocks' fitted part and the blocked Cholesky from the device's first block); the rest is the host's
 * (Δβ, with several factors the back substitution, PIRLS's control). Then the same
 * evaluations unprofiled, with the per-group work on the CPU (gpuGroups: false: the cross-products
 * read back and the blocked Cholesky in float64), and on the float64 CPU engine.
 *
 *   npx vite-node bench/glmmCost.ts [--groups 200] [--evals 6]
 */
import { buildGlmm } from '../src/glmm/model.js';
import { PirlsEngine } from '../src/glmm/pirls.js';
import { createGlmmDevice } from '../src/backend/webgpu/glmmSide.js';
import type { GlmmGroupsGpu } from '../src/backend/webgpu/glmmGroups.js';
import { acquireGpu, gpuUnavailableReason, releaseGpu } from '../src/backend/webgpu/device.js';
import { sizedGlmmTable } from './sized.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const groups = arg('--groups', 200);
const evals = arg('--evals', 6);

const ctx = await acquireGpu();
if (!ctx) throw new Error(`no WebGPU adapter: ${gpuUnavailableReason()}`);
console.log(`adapter: ${ctx.adapterName}${ctx.isSoftware ? ' (software)' : ''}; ${groups} groups; ${evals} evaluations each (θ alternating between the start and 0.7 × it)`);
console.log('| model | p | q | rows | PIRLS iterations per eval | update (ms) | pass (ms) | group factor (ms) | host (ms) | per eval, profiled (ms) | per eval, unprofiled (ms) | readback (KB) | groups on the CPU, per eval (ms) | CPU float64 per eval (ms) |');
console.log('|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
const cases: { levels: number; q: number; nested?: number; crossed?: number }[] = [
  { levels: 1, q: 2 }, { levels: 14, q: 2 }, { levels: 1, q: 12 }, { levels: 7, q: 20 },
  // several grouping factors: (1 | g) + (1 | g:s) with 4 levels of s in each g; (1 | g) + (1 | h), h of groups / 4 levels
  { levels: 1, q: 1, nested: 4 }, { levels: 1, q: 1, crossed: Math.max(2, Math.round(groups / 4)) },
];
for (const { levels, q, nested, crossed } of cases) {
  const n = groups * Math.max(40, 2 * q);
  const { table, formula } = sizedGlmmTable({ n, groups, levels, q, nested, crossed, seed: 1, family: 'binomial' });
  const model = buildGlmm(formula, table, { family: 'binomial' });
  const start = Float64Array.from(model.theta.start);
  const thetas = [start, Float64Array.from(start, (t) => 0.7 * t)];
  const time = async (run: (theta: Float64Array) => Promise<unknown> | unknown) => {
    await run(thetas[1]); // warm-up (and the warm start)
    const t0 = performance.now();
    for (let i = 0; i < evals; i++) await run(thetas[i % 2]);
    return (performance.now() - t0) / evals;
  };
  const device = await createGlmmDevice(ctx, model, { gpuGroups: true }, 1);
  const gs = device.engine.groups as unknown as { full: GlmmGroupsGpu } | null;
  if (!gs) throw new Error(`${formula}: the per-group updates did not go to the device`);
  const g = gs.full;
  let iterations = 0;
  await device.engine.runAsync(thetas[1], null);
  g.profile = true;
  const c = g.counts;
  Object.assign(c, { factors: 0, updates: 0, readbackBytes: 0, updateMs: 0, passMs: 0, factorMs: 0 });
  let t0 = performance.now();
  for (let i = 0; i < evals; i++) iterations += (await device.engine.runAsync(thetas[i % 2], null)).iterations;
  const profiled = (performance.now() - t0) / evals;
  g.profile = false;
  const per = (x: number) => x / evals;
  const host = profiled - per(c.updateMs + c.passMs + c.factorMs);
  const readKB = per(c.readbackBytes) / 1024;
  const unprofiled = await time((theta) => device.engine.runAsync(theta, null));
  device.dispose();
  const onCpu = await createGlmmDevice(ctx, model, { gpuGroups: false }, 1);
  if (onCpu.engine.groups) throw new Error('internal: gpuGroups: false kept the groups on the device');
  const cpuGroups = await time((theta) => onCpu.engine.runAsync(theta, null));
  onCpu.dispose();
  const cpu = new PirlsEngine(model.pirls);
  t0 = performance.now();
  const cpuMs = await time((theta) => cpu.run(theta, null));
  const f = (x: number) => x.toFixed(1);
  // the random-effects terms, with R's escaped bar for the Markdown table
  const re = (formula.match(/\([^()]*\|[^()]*\)/g) ?? []).join(' + ').replace(/\|/g, '\\|');
  console.log(`| ${re} | ${model.pirls.p} | ${q} | ${n.toLocaleString('en-US')} | ${(iterations / evals).toFixed(1)} | ${f(per(c.updateMs))} | ${f(per(c.passMs))} | ${f(per(c.factorMs))} | ${f(host)} | ${f(profiled)} | ${f(unprofiled)} | ${readKB.toFixed(1)} | ${f(cpuGroups)} | ${f(cpuMs)} |`);
}
releaseGpu(ctx);
process.exit(0);
