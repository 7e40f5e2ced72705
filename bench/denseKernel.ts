/**
 * The dense kernel's speed: the in-place Cholesky of the blocked factor's dense blocks
 * (src/linalg/denseArena.ts: WebAssembly SIMD, or the JavaScript fallback) on the matrices of the C
 * reference bench/potrf/potrf.c (OpenBLAS dpotrf), timed the same way: best of `--reps` runs after
 * one warm-up, a fresh copy each time (not timed), in CPU time of the process (the machine is shared).
 * GFLOP/s counts n³/3 flops.
 *
 *   npm run build && node dist/bench/denseKernel.js [--n 500,1128,2000] [--reps 7] [--kernels wasm,js]
 *   bash bench/potrf/run.sh 500 1128 2000           # the OpenBLAS reference
 */
import { DenseArena, type DenseKernelKind } from '../src/linalg/denseArena.js';

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
for (const kind of kinds) {
  for (const n of sizes) {
    const arena = new DenseArena([n * n], kind);
    const a = arena.arrays[0]!;
    const a0 = new Float64Array(n * n);
    fill(a0, n);
    let best = Infinity;
    let logdet = 0;
    for (let r = 0; r <= reps; r++) {
      a.set(a0);
      // CPU time of this process (the machine is shared: wall time counts other processes' turns)
      const t0 = process.cpuUsage();
      logdet = arena.cholesky(a, n, 'test matrix');
      const u = process.cpuUsage(t0);
      const dt = (u.user + u.system) / 1e3;
      if (r > 0) best = Math.min(best, dt);
    }
    const gflops = (n * n * n) / 3 / (best / 1e3) / 1e9;
    console.log(JSON.stringify({ kernels: arena.kind, n, ms: +best.toFixed(4), gflops: +gflops.toFixed(3), logdet: +logdet.toPrecision(12) }));
  }
}
