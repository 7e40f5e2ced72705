/**
 * The WebGPU LMM backend's per-evaluation cost and its breakdown (issue 15), for p = 3, 21, 201 fixed
 * effects and q = 2, 8, 32 random-effects columns (data of ./sized.ts, `groups` groups): per θ, the
 * CPU's submission (writing T, encoding), the GPU's work to completion (profiled: the submission is
 * awaited before the readback), the readback, and the CPU's float64 finish; then unprofiled
 * evaluations (one submission and one readback, as a fit runs them) and the float64 CPU backend's.
 *
 *   npx vite-node bench/gpuCost.ts [--groups 500] [--evals 5]
 */
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { CpuBackend } from '../src/backend/cpu/cpuBackend.js';
import { WebGpuBackend } from '../src/backend/webgpu/webgpuBackend.js';
import { acquireGpu, gpuUnavailableReason, releaseGpu } from '../src/backend/webgpu/device.js';
import { sizedLmmTable } from './sized.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const groups = arg('--groups', 500);
const evals = arg('--evals', 5);

const ctx = await acquireGpu();
if (!ctx) throw new Error(`no WebGPU adapter: ${gpuUnavailableReason()}`);
console.log(`adapter: ${ctx.adapterName}${ctx.isSoftware ? ' (software)' : ''}; ${groups} groups; ${evals} evaluations each`);
console.log('| p | q | rows | factor | submit (ms) | GPU to completion (ms) | readback (ms) | CPU finish (ms) | per eval, unprofiled (ms) | readback (KB) | CPU float64 per eval (ms) |');
console.log('|--:|--:|--:|:--|--:|--:|--:|--:|--:|--:|--:|');
for (const levels of [1, 7, 67]) {
  for (const q of [2, 8, 32]) {
    const n = groups * Math.max(40, 2 * q);
    const { table, formula } = sizedLmmTable({ n, groups, levels, q, seed: 1 });
    const model = buildLmm(formula, table, { REML: true });
    const gram = formGram(model);
    const cpu = new CpuBackend(gram, model.theta.length);
    const backend = await WebGpuBackend.create(ctx, model, gram);
    const theta = Float64Array.from(model.theta.start);
    await backend.evaluate(theta); // warm-up
    backend.profile = true;
    const t = backend.evalTimings;
    Object.assign(t, { evaluations: 0, submitMs: 0, dispatchMs: 0, readbackMs: 0, cpuMs: 0, readbackBytes: 0 });
    for (let i = 0; i < evals; i++) await backend.evaluate(theta);
    const per = (x: number) => x / t.evaluations;
    backend.profile = false;
    let t0 = performance.now();
    for (let i = 0; i < evals; i++) await backend.evaluate(theta);
    const unprofiled = (performance.now() - t0) / evals;
    t0 = performance.now();
    for (let i = 0; i < evals; i++) cpu.evaluate(theta);
    const cpuMs = (performance.now() - t0) / evals;
    const f = (x: number) => x.toFixed(2);
    console.log(`| ${model.frame.p} | ${q} | ${n.toLocaleString('en-US')} | ${backend.kernel!.factorVariant} | ${f(per(t.submitMs))} | ${f(per(t.dispatchMs))} | ${f(per(t.readbackMs))} | ${f(per(t.cpuMs))} | ${f(unprofiled)} | ${(per(t.readbackBytes) / 1024).toFixed(1)} | ${f(cpuMs)} |`);
    backend.dispose();
  }
}
releaseGpu(ctx);
process.exit(0);
