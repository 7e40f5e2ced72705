/**
 * The page of test/e2e/denseThreads.test.ts: factors a matrix with the dense kernels on one thread and
 * on two (src/linalg/denseThreads.ts: Web Workers on a shared WebAssembly memory) and reports whether
 * the page is cross-origin isolated, how many threads ran, and whether the factors are bit-identical.
 */
import { DenseArena } from '../../../src/linalg/denseArena.js';
import { denseChunksHelped, denseThreadsReady, setDenseThreads } from '../../../src/linalg/denseThreads.js';

async function runThreads(n: number): Promise<{ isolated: boolean; poolThreads: number; arenaThreads: number; identical: boolean; helped: number; logdet: number }> {
  setDenseThreads(2);
  const poolThreads = await denseThreadsReady();
  let s = 7;
  const r = () => { s = (s * 16807) % 2147483647; return s / 2147483647 - 0.5; };
  const B = Float64Array.from({ length: n * 40 }, r);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
    let t = 0;
    for (let k = 0; k < 40; k++) t += B[i * 40 + k] * B[j * 40 + k];
    A[i * n + j] = t + (i === j ? 1 : 0);
  }
  const one = new DenseArena([n * n], 'wasm', 1);
  one.arrays[0].set(A);
  const logdet = one.cholesky(one.arrays[0], n, 'A');
  const two = new DenseArena([n * n], 'wasm', 2);
  const helped0 = denseChunksHelped();
  let identical = true;
  // the arena is attached to the helpers on first use: factor until a helper has computed a chunk
  for (let rep = 0; rep < 50 && (rep === 0 || denseChunksHelped() === helped0); rep++) {
    two.arrays[0].set(A);
    const ld = two.cholesky(two.arrays[0], n, 'A');
    identical &&= Object.is(ld, logdet) && two.arrays[0].every((v, i) => Object.is(v, one.arrays[0][i]));
    await new Promise((res) => setTimeout(res, 5));
  }
  return { isolated: globalThis.crossOriginIsolated === true, poolThreads, arenaThreads: two.threads, identical, helped: denseChunksHelped() - helped0, logdet };
}

(globalThis as unknown as { runThreads: typeof runThreads }).runThreads = runThreads;
document.body.dataset.ready = 'yes';
