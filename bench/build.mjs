// Bundles the GPU benchmarks with esbuild (run from the repository root):
//   node bench/build.mjs gpu      → bench/out/gpu-bench.mjs, bench/out/run-bench.mjs, bench/out/glmm-ab-bench.mjs and
//                                   bench/out/glmm-noise-bench.mjs (Node; `webgpu` left external)
//                                   (npm run bench:gpu:bundle builds gpu and kinship)
//   node bench/build.mjs stream-browser → bench/out/stream-browser/ (a Parquet file streamed in a worker)
//                                   and bench/out/stream-browser-bench.mjs (its Puppeteer runner)
//   node bench/build.mjs app      → bench/out/app-bench.mjs (the browser app against Node, bench/app.ts)
//   node bench/build.mjs app-stream → bench/out/app-stream-bench.mjs (the app's large-file panel, bench/app-stream.ts)
//   node bench/build.mjs kinship  → bench/out/kinship-bench.mjs (Node; `webgpu` left external)
//   node bench/build.mjs browser  → bench/out/browser/{index.html,main.js} (the page)
//                                   and bench/out/browser-bench.mjs (the Puppeteer runner; puppeteer external)
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

// the commit the bundle was built from: a copy of the tree on a GPU machine has no .git to ask
function gitState() {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  if (head.error || head.status !== 0) return null;
  const st = spawnSync('git', ['status', '--porcelain', '--', 'src', 'shaders', 'bench'], { encoding: 'utf8' });
  return { commit: head.stdout.trim(), modified: st.status === 0 ? st.stdout.split('\n').map((l) => l.trim()).filter(Boolean) : [], bundledAt: new Date().toISOString() };
}
const define = { __BENCH_GIT__: JSON.stringify(gitState()) };

const targets = process.argv.slice(2);
if (targets.length === 0) targets.push('gpu', 'browser');

const common = {
  bundle: true,
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
  legalComments: 'none',
};
// Node bundles: let bundled CommonJS dependencies call require()
const nodeBanner = { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" };

for (const t of targets) {
  if (t === 'gpu') {
    await build({
      ...common,
      entryPoints: ['bench/gpu.ts'],
      outfile: 'bench/out/gpu-bench.mjs',
      platform: 'node',
      target: 'node20',
      external: ['webgpu'],
      banner: nodeBanner,
      define,
    });
    // the CPU/GLMM runner too (its glmm cases take --backends webgpu), for a GPU machine without a build
    await build({
      ...common,
      entryPoints: ['bench/run.ts'],
      outfile: 'bench/out/run-bench.mjs',
      platform: 'node',
      target: 'node20',
      external: ['webgpu'],
      banner: nodeBanner,
      define,
    });
    // the A/B of the GLMM's per-group updates on the device with several grouping factors (gpu-run.sh --glmm-ab)
    await build({
      ...common,
      entryPoints: ['bench/glmmGroupsAB.ts'],
      outfile: 'bench/out/glmm-ab-bench.mjs',
      platform: 'node',
      target: 'node20',
      external: ['webgpu'],
      banner: nodeBanner,
      define,
    });
    // the f32 noise of the WebGPU GLMM's stage-2 objective (gpu-run.sh --glmm-noise)
    await build({
      ...common,
      entryPoints: ['bench/glmmNoise.ts'],
      outfile: 'bench/out/glmm-noise-bench.mjs',
      platform: 'node',
      target: 'node20',
      external: ['webgpu'],
      banner: nodeBanner,
      define,
    });
    console.log('bench/out/gpu-bench.mjs, bench/out/run-bench.mjs, bench/out/glmm-ab-bench.mjs, bench/out/glmm-noise-bench.mjs');
  } else if (t === 'app') {
    // the browser app against the library in Node (bench/app.ts); puppeteer and the Vite build stay external
    await build({
      ...common,
      entryPoints: ['bench/app.ts'],
      outfile: 'bench/out/app-bench.mjs',
      platform: 'node',
      target: 'node20',
      external: ['webgpu', 'puppeteer'],
      banner: nodeBanner,
      define,
    });
    console.log('bench/out/app-bench.mjs');
  } else if (t === 'app-stream') {
    // the app's large-file panel on a multi-GB Parquet file (bench/app-stream.ts)
    await build({
      ...common,
      entryPoints: ['bench/app-stream.ts'],
      outfile: 'bench/out/app-stream-bench.mjs',
      platform: 'node',
      target: 'node20',
      external: ['webgpu', 'puppeteer'],
      banner: nodeBanner,
      define,
    });
    console.log('bench/out/app-stream-bench.mjs');
  } else if (t === 'kinship') {
    // the known-covariance (relmat) benchmark, for a GPU machine without a build
    await build({
      ...common,
      entryPoints: ['bench/kinship.ts'],
      outfile: 'bench/out/kinship-bench.mjs',
      platform: 'node',
      target: 'node20',
      external: ['webgpu'],
      banner: nodeBanner,
      define,
    });
    console.log('bench/out/kinship-bench.mjs');
  } else if (t === 'browser') {
    mkdirSync('bench/out/browser', { recursive: true });
    await build({
      ...common,
      entryPoints: ['bench/browser/main.ts'],
      outfile: 'bench/out/browser/main.js',
      platform: 'browser',
      target: 'chrome120',
      // Node-only: src/backend/webgpu/device.ts loads it with a variable specifier (never bundled);
      // external too, in case that changes
      external: ['webgpu', 'node:*'],
    });
    copyFileSync('bench/browser/index.html', 'bench/out/browser/index.html');
    await build({
      ...common,
      entryPoints: ['bench/browser.ts'],
      outfile: 'bench/out/browser-bench.mjs',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      define,
    });
    console.log('bench/out/browser/main.js, bench/out/browser/index.html, bench/out/browser-bench.mjs');
  } else if (t === 'stream-browser') {
    mkdirSync('bench/out/stream-browser', { recursive: true });
    for (const name of ['main', 'worker']) {
      await build({
        ...common,
        entryPoints: [`bench/stream-browser/${name}.ts`],
        outfile: `bench/out/stream-browser/${name}.js`,
        platform: 'browser',
        target: 'chrome120',
        external: ['webgpu', 'node:*'],
      });
    }
    copyFileSync('bench/stream-browser/index.html', 'bench/out/stream-browser/index.html');
    await build({
      ...common,
      entryPoints: ['bench/stream-browser.ts'],
      outfile: 'bench/out/stream-browser-bench.mjs',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      define,
    });
    console.log('bench/out/stream-browser/, bench/out/stream-browser-bench.mjs');
  } else {
    console.error(`unknown target ${t} (gpu, browser, stream-browser, app, app-stream, kinship)`);
    process.exit(2);
  }
}
