// The bootstrap's data pass for one batch of replicates on WebGPU (shaders/bootstrapGram.wgsl) and on the
// CPU (src/backend/cpu/bootstrapGram.ts), on bench/sized.ts's y ~ x + z + (x1 | g) of n rows and n / 20
// groups at lme4's start: the batch's wall time, three times on the device after a warm-up, once on
// the CPU. The first argument is the root of a built tree (npm run build), so two commits compare in
// one run:
//   node bench/bootstrapPass.mjs . 100000 64          # root, rows, replicates per batch
// A software adapter (SwiftShader) is allowed: on one, only the ratio between two trees means anything.
import { resolve } from 'node:path';
const root = resolve(process.argv[2] ?? '.');
const { buildLmm } = await import(root + '/dist/src/lmm/model.js');
const { formGram } = await import(root + '/dist/src/backend/cpu/gram.js');
const { CounterNormal } = await import(root + '/dist/src/model/random.js');
const { bootstrapGramCpu } = await import(root + '/dist/src/backend/cpu/bootstrapGram.js');
const { BootstrapGramGpu } = await import(root + '/dist/src/backend/webgpu/bootstrapGram.js');
const { sizedLmmTable } = await import(root + '/dist/bench/sized.js');
const { BlockedCholesky } = await import(root + '/dist/src/linalg/blockedCholesky.js');
const { solveLmm } = await import(root + '/dist/src/lmm/solution.js');
const { fillTemplate } = await import(root + '/dist/src/linalg/template.js');
const { thetaToInternal } = await import(root + '/dist/src/model/reparam.js');
const dev = await import(root + '/dist/src/backend/webgpu/device.js');
const ctx = await dev.acquireGpu({ allowSoftware: true });
const n = Number(process.argv[3] ?? 100000), B = Number(process.argv[4] ?? 64);
const { table, formula } = sizedLmmTable({ n, groups: n / 20, levels: 1, q: 2, seed: 1 });
const model = buildLmm(formula, table);
const gram = formGram(model);
const chol = new BlockedCholesky(gram, model.theta.length);
const thetaC = thetaToInternal(model, model.theta.start);
chol.factor(thetaC);
const sol = solveLmm(chol, n, true);
const templates = model.internalBlocks.map((b) => { const T = new Float64Array(b.q * b.q); fillTemplate(b, thetaC, T); return T; });
const input = { n, p: model.frame.p, X: model.rows.X, blocks: model.rows.blocks, betaC: sol.beta, templates, sigma: sol.sigma, rng: new CounterNormal(3), replicates: Array.from({ length: B }, (_, r) => r) };
const g = await BootstrapGramGpu.create(ctx, input);
await g.batch(input);
const times = [];
for (let i = 0; i < 3; i++) { const t0 = performance.now(); await g.batch(input); times.push(performance.now() - t0); }
const c0 = performance.now(); bootstrapGramCpu(input); const cpuMs = performance.now() - c0;
console.log(JSON.stringify({ root, n, B, gpuMs: times.map((t) => +t.toFixed(1)), cpuMs: +cpuMs.toFixed(1) }));
process.exit(0);
