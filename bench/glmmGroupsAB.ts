/**
 * A/B of the GLMM's per-group updates on the device for several grouping factors (issue 15): glmer on
 * 'webgpu' with the first factor's per-group factor and update there (gpuGroups default) against
 * gpuGroups: false (the cross-products read back, the blocked Cholesky and the step on the CPU),
 * alternated A, B, A, B in one run, on the nested and crossed data of ./sized.ts (binomial).
 *
 *   npx vite-node bench/glmmGroupsAB.ts [--rows 8000] [--groups 200] [--crossed H] [--reps 2] [--out FILE.md]
 *
 * (crossed: h of H levels, default min(200, groups / 4); --out also writes the table there: bench/gpu-run.sh
 * --glmm-ab runs the bundle bench/out/glmm-ab-bench.mjs and appends it to its summary.)
 */
import { writeFileSync } from 'node:fs';
import { glmer } from '../src/fit/glmer.js';
import { acquireGpu, gpuUnavailableReason, releaseGpu } from '../src/backend/webgpu/device.js';
import { sizedGlmmTable } from './sized.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const n = arg('--rows', 8000);
const groups = arg('--groups', 200);
const reps = arg('--reps', 2);
const crossed = arg('--crossed', Math.max(2, Math.min(200, Math.round(groups / 4))));
const outIdx = process.argv.indexOf('--out');
const outFile = outIdx > 0 ? process.argv[outIdx + 1] : null;
const lines: string[] = [];
const say = (line: string) => { console.log(line); lines.push(line); };
const ctx = await acquireGpu();
if (!ctx) throw new Error(`no WebGPU adapter: ${gpuUnavailableReason()}`);
say(`GLMM with several grouping factors, the first factor's per-group updates on the device against the CPU's (bench/glmmGroupsAB.ts): adapter ${ctx.adapterName}${ctx.isSoftware ? ' (software)' : ''}; ${n} rows, ${groups} groups of g; binomial`);
say('');
say('| model | per-group updates | run | fit (s) | stage 1 (s) | stage 2 (s) | GPU passes | device factors | −2ℓ |');
say('|:--|:--|--:|--:|--:|--:|--:|--:|--:|');
for (const extra of [{ nested: 4 }, { crossed }]) {
  const { table, formula } = sizedGlmmTable({ n, groups, levels: 1, q: 1, seed: 7, family: 'binomial', ...extra });
  const re = (formula.match(/\([^()]*\|[^()]*\)/g) ?? []).join(' + ').replace(/\|/g, '\\|');
  for (let r = 1; r <= reps; r++) {
    for (const gpuGroups of [true, false]) {
      const t0 = performance.now();
      const fit = await glmer(formula, table, { family: 'binomial', backend: 'webgpu', device: ctx.device, gpuGroups });
      const s = (performance.now() - t0) / 1000;
      const t = fit.timings;
      say(`| ${re} | ${gpuGroups ? 'GPU (first factor) + CPU' : 'CPU (gpuGroups: false)'} | ${r} | ${s.toFixed(2)} | ${(t.stage1Ms / 1000).toFixed(2)} | ${(t.stage2Ms / 1000).toFixed(2)} | ${t.gpuPasses} | ${t.gpuGroupFactors} | ${fit.objective} |`);
    }
  }
}
if (outFile) writeFileSync(outFile, `${lines.join('\n')}\n`);
releaseGpu(ctx);
process.exit(0);
