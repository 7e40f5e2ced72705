/**
 * A seeded update of a dense block from sparse blocks (src/linalg/denseArena.ts's SparseUpdate) in an
 * arena: random patterns L_ji (rows × ncol levels) and L_ki (rowsK × ncol; for a diagonal update the
 * same block), q_j × q_i and q_k × q_i values per entry, X filled with values. Used by the threaded-kernel
 * tests in Node (test/denseThreads.test.ts) and in the browser page (test/e2e/pages/denseThreads.ts).
 */
import { DenseArena, type DenseKernelKind, type SparseUpdate } from '../../src/linalg/denseArena.js';
import { type BlockPattern, type PatternRows, patternRows } from '../../src/linalg/gram.js';
import { sparseUpdateCost } from '../../src/linalg/blockedCholesky.js';

export interface SparseCase { rows: number; rowsK: number; ncol: number; qj: number; qk: number; qi: number; lower: boolean; density: number; seed: number }

function randomPattern(nrow: number, ncol: number, density: number, r: () => number): BlockPattern {
  const colPtr = new Int32Array(ncol + 1);
  const rows: number[] = [];
  for (let c = 0; c < ncol; c++) {
    for (let a = 0; a < nrow; a++) if (r() < density) rows.push(a);
    colPtr[c + 1] = rows.length;
  }
  return { nrow, ncol, colPtr, rowIdx: Int32Array.from(rows) };
}

/** The update in a new arena (its kernels `kind`, `threads` threads), with the starting X to reset it. */
export function sparseUpdateCase(c: SparseCase, kind: DenseKernelKind, threads: number): { arena: DenseArena; u: SparseUpdate; X0: Float64Array; Rj: PatternRows } {
  let s = c.seed;
  const r = () => { s = (s * 16807) % 2147483647; return s / 2147483647; };
  const Pj = randomPattern(c.rows, c.ncol, c.density, r);
  const Pk = c.lower ? Pj : randomPattern(c.rowsK, c.ncol, c.density, r);
  const Rj = patternRows(Pj);
  const ldx = c.lower ? c.rows * c.qj : c.rowsK * c.qk;
  const nnzJ = Pj.rowIdx.length, nnzK = Pk.rowIdx.length;
  const ints = (n: number) => Math.ceil(n / 2);
  const arena = new DenseArena([c.rows * c.qj * ldx, nnzJ * c.qj * c.qi, nnzK * c.qk * c.qi,
    ints(Pj.colPtr.length), ints(nnzJ), ints(Pk.colPtr.length), ints(nnzK)], kind, threads);
  const [X, Vj, Vk0] = arena.arrays;
  const view = (k: number, src: Int32Array) => { const v = arena.ints(k).subarray(0, src.length); v.set(src); return v; };
  const X0 = Float64Array.from({ length: X.length }, () => r() - 0.5);
  X.set(X0);
  for (let e = 0; e < Vj.length; e++) Vj[e] = r() - 0.5;
  const Vk = c.lower ? Vj : Vk0;
  if (!c.lower) for (let e = 0; e < Vk.length; e++) Vk[e] = r() - 0.5;
  const PjA = { nrow: Pj.nrow, ncol: Pj.ncol, colPtr: view(3, Pj.colPtr), rowIdx: view(4, Pj.rowIdx) };
  const PkA = c.lower ? PjA : { nrow: Pk.nrow, ncol: Pk.ncol, colPtr: view(5, Pk.colPtr), rowIdx: view(6, Pk.rowIdx) };
  const cost = sparseUpdateCost(Rj, PkA, c.lower, c.qj * c.qk * c.qi);
  return { arena, u: { X, ldx, qj: c.qj, qk: c.qk, qi: c.qi, Vj, Pj: PjA, Vk, Pk: PkA, lower: c.lower, rows: c.rows, cost }, X0, Rj };
}
