/**
 * The page of test/e2e/denseThreads.test.ts: factors a matrix with the dense kernels on one thread and
 * on two (src/linalg/denseThreads.ts: Web Workers on a shared WebAssembly memory) and reports whether
 * the page is cross-origin isolated, how many threads ran, and whether the factors are bit-identical.
 */
import { DenseArena } from '../../../src/linalg/denseArena.js';
import { denseChunksHelped, denseThreadsReady, setDenseThreads } from '../../../src/linalg/denseThreads.js';
import { spdMatrix } from '../../helpers/spdMatrix.js';

async function runThreads(n: number): Promise<{ isolated: boolean; poolThreads: number; arenaThreads: number; identical: boolean; helped: number; logdet: number }> {
  setDenseThreads(2);
  const poolThreads = await denseThreadsReady();
  const A = spdMatrix(n, 7);
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
