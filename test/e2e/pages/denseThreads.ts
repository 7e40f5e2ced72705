/**
 * The page of test/e2e/denseThreads.test.ts: factors a matrix with the dense kernels on one thread and
 * on two (src/linalg/denseThreads.ts: Web Workers on a shared WebAssembly memory), and runs an update of
 * a dense block from sparse ones (the sparseColumns job) likewise, and reports whether the page is
 * cross-origin isolated, how many threads ran, and whether the results are bit-identical.
 */
import { DenseArena } from '../../../src/linalg/denseArena.js';
import { denseChunksHelped, denseChunksHelpedByJob, denseThreadsReady, setDenseThreads } from '../../../src/linalg/denseThreads.js';
import { spdMatrix } from '../../helpers/spdMatrix.js';
import { sparseUpdateCase } from '../../helpers/sparseUpdate.js';

interface ThreadsResult { isolated: boolean; poolThreads: number; arenaThreads: number; identical: boolean; helped: number; logdet: number; sparseIdentical: boolean; sparseHelped: number }

async function runThreads(n: number): Promise<ThreadsResult> {
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
  const helped = denseChunksHelped() - helped0;
  // the update of a dense block from sparse ones, on one thread and on two (a job of a few ms, longer
  // than a Web Worker's wake-up), alternated with factorizations as in a fit (a factorization that
  // waited on a preempted helper holds the next jobs on the caller until the next factorizations)
  const c = { rows: 800, rowsK: 800, ncol: 3000, qj: 1, qk: 1, qi: 1, lower: true, density: 0.05, seed: 3 };
  const sOne = sparseUpdateCase(c, 'wasm', 1);
  sOne.arena.sparseUpdate(sOne.u);
  const sTwo = sparseUpdateCase(c, 'wasm', 2);
  const sparseDone = () => denseChunksHelpedByJob().sparseColumns;
  const sparse0 = sparseDone();
  let sparseIdentical = true;
  for (let rep = 0; rep < 50 && (rep === 0 || sparseDone() === sparse0); rep++) {
    sTwo.u.X.set(sTwo.X0);
    sparseIdentical &&= sTwo.arena.sparseUpdate(sTwo.u) && sTwo.u.X.every((v, i) => Object.is(v, sOne.u.X[i]));
    two.arrays[0].set(A);
    two.cholesky(two.arrays[0], n, 'A');
    await new Promise((res) => setTimeout(res, 5));
  }
  return {
    isolated: globalThis.crossOriginIsolated === true, poolThreads, arenaThreads: two.threads, identical, helped, logdet,
    sparseIdentical, sparseHelped: sparseDone() - sparse0,
  };
}

(globalThis as unknown as { runThreads: typeof runThreads }).runThreads = runThreads;
document.body.dataset.ready = 'yes';
