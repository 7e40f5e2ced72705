/**
 * The dense kernel's speed: the in-place Cholesky of the blocked factor's dense blocks
 * (src/linalg/denseArena.ts: WebAssembly SIMD, or the JavaScript fallback) on the matrices of the C
 * reference bench/potrf/potrf.c (OpenBLAS dpotrf), timed the same way: best of `--reps` runs after
 * one warm-up, a fresh copy each time (not timed), in CPU time of the process (the machine is shared).
 * GFLOP/s counts n³/3 flops.
 *
 * With `--threads 1,2` each size is factored with one thread and with two (src/linalg/denseThreads.ts),
 * and the factors compared bit for bit; CPU time then counts both threads, so the wall time is given too.
 *
 *   npm run build && node dist/bench/denseKernel.js [--n 500,1128,2000] [--reps 7] [--kernels wasm,js] [--threads 1,2]
 *   bash bench/potrf/run.sh 500 1128 2000           # the OpenBLAS reference
 */
import { DenseArena, type DenseKernelKind } from '../src/linalg/denseArena.js';
import { denseChunksHelped, denseThreadsReady, setDenseThreads } from '../src/linalg/denseThreads.js';

function fill(a: Float64Array, n: number): void {
  const b = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i * n + j] = Math.sin(i * 7 + j * 3);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += b[i * n + k] * b[j * n + k];
    s /= n;
    if (i === j) s += n;
    a[i * n + j] = s;
    a[j * n + i] = s;
  }
}

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

const sizes = arg('--n', '500,1128,2000').split(',').map(Number);
const reps = Number(arg('--reps', '7'));
const kinds = arg('--kernels', 'wasm').split(',') as DenseKernelKind[];
const threadCounts = arg('--threads', '1').split(',').map(Number);
setDenseThreads(Math.max(...threadCounts));
const poolThreads = await denseThreadsReady();
for (const kind of kinds) {
  for (const n of sizes) {
    const a0 = new Float64Array(n * n);
    fill(a0, n);
    let first: Float64Array | null = null;
    for (const threads of threadCounts) {
      const arena = new DenseArena([n * n], kind, threads);
      const a = arena.arrays[0]!;
      let best = Infinity, bestWall = Infinity;
      let logdet = 0;
      const helped0 = denseChunksHelped();
      for (let r = 0; r <= reps; r++) {
        a.set(a0);
        // CPU time of this process (the machine is shared: wall time counts other processes' turns)
        const t0 = process.cpuUsage();
        const w0 = performance.now();
        logdet = arena.cholesky(a, n, 'test matrix');
        const wall = performance.now() - w0;
        const u = process.cpuUsage(t0);
        const dt = (u.user + u.system) / 1e3;
        if (r > 0) { best = Math.min(best, dt); bestWall = Math.min(bestWall, wall); }
      }
      let identical: boolean | null = null;
      if (!first) first = Float64Array.from(a);
      else identical = a.every((v, i) => Object.is(v, first![i]));
      const flops = (n * n * n) / 3;
      console.log(JSON.stringify({
        kernels: arena.kind, n, threads: Math.min(arena.threads, poolThreads), ms: +best.toFixed(4), gflops: +(flops / (best / 1e3) / 1e9).toFixed(3),
        wallMs: +bestWall.toFixed(4), gflopsWall: +(flops / (bestWall / 1e3) / 1e9).toFixed(3),
        helperChunks: denseChunksHelped() - helped0, identicalToFirst: identical, logdet: +logdet.toPrecision(12),
      }));
    }
  }
}
