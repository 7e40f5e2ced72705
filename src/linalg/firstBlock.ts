/**
 * The first random-effects block of the blocked Cholesky when it is block diagonal with q ≤ 2 (the
 * grouping factor of `(1 | g)` or `(x | g)` listed first): its three steps in two passes, one over the
 * levels (each level's blocks read once while in registers) and one over L_X0's columns,
 *   L_c L_cᵀ = Tᵀ A_c T + I                        (L_00's level block c; BlockedCholesky.factorDiagonal),
 *   L_X0[:, c] = (A_X0[:, c] T) L_c⁻ᵀ              (L_X0's columns of level c; factorXRow),
 *   C_rs = Σ_c Σ_t L_X0[r, cq + t] L_X0[s, cq + t] (L_X0 L_X0ᵀ, the update of L_XX; factorSteps),
 * with the same operations in the same order as the general steps (congruence, choleskyInPlace,
 * xRowTimesT, rightSolveBlock, the level columns in order in each sum), so that every value is the
 * same bit for bit (test/firstBlock.test.ts), whichever thread computes it; only the loops' overhead
 * goes.
 */
import { NotPositiveDefiniteError } from './dense.js';
import type { GramBlock } from './gram.js';
import { RowJobs, type RowArrays, onSharedMemory, registerRowKernel, sharedFloat64, sharedInt32 } from './rowThreads.js';
import { helpersFor } from './rowChunks.js';

// The levels in chunks (each level's L_c, L_X0 columns and log |L_c|² are its own), then C's entries
// one per chunk (each summed over the columns in order), and log |L_00|² summed over the levels in
// order: on the row threads (src/linalg/rowThreads.ts) where there are many levels, else here.

/** Levels per chunk of the threaded pass. */
const LEVEL_CHUNK = 2048;
/** Levels from which the row threads share the pass. */
const THREAD_MIN_LEVELS = 8192;

/** Kernel: levels [c · LEVEL_CHUNK, …) of the first block: L_c, L_X0's columns, log |L_c|² (or the failing level in fail[c]). */
function levelChunk(A: RowArrays, c: number): void {
  const P = A.params as Float64Array;
  const nl = P[0], q = P[1], p1 = P[2];
  const T = A.T as Float64Array, Akk = A.Akk as Float64Array, AXk = A.AXk as Float64Array;
  const L = A.L as Float64Array, LX = A.LX as Float64Array, ldc = A.ldc as Float64Array, fail = A.fail as Int32Array;
  const m = nl * q;
  const from = c * LEVEL_CHUNK, to = Math.min(nl, from + LEVEL_CHUNK);
  fail[c] = -1;
  if (q === 1) {
    const t = T[0];
    for (let l = from; l < to; l++) {
      const s = (0 + t * (0 + Akk[l] * t)) + 1;
      if (!(s > 0)) { fail[c] = l; return; }
      const d = Math.sqrt(s);
      L[l] = d;
      ldc[l] = 0 + 2 * Math.log(d);
      for (let r = 0; r < p1; r++) LX[r * m + l] = (0 + AXk[r * m + l] * t) / d;
    }
    return;
  }
  const T00 = T[0], T10 = T[2], T11 = T[3];
  for (let l = from; l < to; l++) {
    const ao = 4 * l;
    const a00 = Akk[ao], a01 = Akk[ao + 1], a10 = Akk[ao + 2], a11 = Akk[ao + 3];
    const t00 = (0 + a00 * T00) + a01 * T10, t01 = 0 + a01 * T11;
    const t10 = (0 + a10 * T00) + a11 * T10, t11 = 0 + a11 * T11;
    const m00 = (0 + T00 * t00) + T10 * t10, m01 = (0 + T00 * t01) + T10 * t11;
    const m10 = 0 + T11 * t10, m11 = 0 + T11 * t11;
    const s0 = m00 + 1;
    if (!(s0 > 0)) { fail[c] = l; return; }
    const d0 = Math.sqrt(s0);
    const l10 = m10 / d0;
    const s1 = (m11 + 1) - l10 * l10;
    if (!(s1 > 0)) { fail[c] = l; return; }
    const d1 = Math.sqrt(s1);
    L[ao] = d0;
    L[ao + 1] = m01;
    L[ao + 2] = l10;
    L[ao + 3] = d1;
    ldc[l] = (0 + 2 * Math.log(d0)) + 2 * Math.log(d1);
    for (let r = 0; r < p1; r++) {
      const o = r * m + 2 * l;
      const x0 = AXk[o], x1 = AXk[o + 1];
      const y0 = ((0 + x0 * T00) + x1 * T10) / d0;
      LX[o] = y0;
      LX[o + 1] = ((0 + x1 * T11) - l10 * y0) / d1;
    }
  }
}

/** Kernel: C's entry k (the lower triangle by rows): the sum over L_X0's columns in order. */
function crossEntry(A: RowArrays, k: number): void {
  const P = A.params as Float64Array;
  const nl = P[0], q = P[1], p1 = P[2];
  const LX = A.LX as Float64Array, C = A.C as Float64Array;
  const m = nl * q;
  let r = 0;
  while (((r + 1) * (r + 2)) / 2 <= k) r++;
  const u = k - (r * (r + 1)) / 2;
  const ro = r * m, uo = u * m;
  let acc = 0;
  for (let j = 0; j < m; j++) acc += LX[ro + j] * LX[uo + j];
  C[r * p1 + u] = acc;
}

const LEVELS = registerRowKernel('firstBlockLevels', levelChunk, `const LEVEL_CHUNK = ${LEVEL_CHUNK};`);
const CROSS = registerRowKernel('firstBlockCross', crossEntry);

/**
 * An array of a block of nl levels (A_kk, A_Xk, L_kk, L_Xk): on shared memory where the row threads
 * are to share the first block's pass (many levels), else a plain one.
 */
export function levelsArray(nl: number, size: number): Float64Array {
  return nl >= THREAD_MIN_LEVELS ? sharedFloat64(size) : new Float64Array(size);
}

/** The first block's fused pass over one factorization's arrays (BlockedCholesky's L_00 and L_X0). */
export class FirstBlockPass {
  private readonly jobs: RowJobs;

  /** for a block-diagonal first block with q ≤ 2 (else the general steps) */
  static applies(b: GramBlock): boolean {
    return b.q <= 2;
  }

  /**
   * `L`, `LX`: where L_00 and L_X0 go. The row threads share the pass where the block has many levels,
   * helpersFor its L_X0 says so, and A's and L's arrays are all on SharedArrayBuffers (formGramCpu's,
   * BlockedCholesky's).
   */
  constructor(private readonly b: GramBlock, Akk: Float64Array, AXk: Float64Array, p1: number, L: Float64Array, LX: Float64Array) {
    const shared = b.nl >= THREAD_MIN_LEVELS && helpersFor(LX.length) && [Akk, AXk, L, LX].every(onSharedMemory);
    const f64 = shared ? sharedFloat64 : (k: number) => new Float64Array(k);
    const params = f64(3);
    params.set([b.nl, b.q, p1]);
    const fail = shared ? sharedInt32(Math.ceil(b.nl / LEVEL_CHUNK)) : new Int32Array(Math.ceil(b.nl / LEVEL_CHUNK));
    this.jobs = new RowJobs({ params, T: f64(b.q * b.q), Akk, AXk, L, LX, ldc: f64(b.nl), fail, C: f64(p1 * p1) }, this, shared);
  }

  /** L_00 and L_X0 at the template T into their arrays, L_X0 L_X0ᵀ (lower) into C; returns log |L_00|². */
  factor(T: Float64Array, C: Float64Array): number {
    const A = this.jobs.arrays;
    const P = A.params as Float64Array;
    const nl = P[0], p1 = P[2];
    (A.T as Float64Array).set(T);
    const chunks = Math.ceil(nl / LEVEL_CHUNK);
    this.jobs.run(LEVELS, chunks);
    // the first failing level, as the general steps meet it
    const fail = A.fail as Int32Array;
    for (let c = 0; c < chunks; c++) {
      if (fail[c] >= 0) throw new NotPositiveDefiniteError(`the random-effects block of level '${this.b.levels[fail[c]]}' of '${this.b.group}'`, 0, NaN);
    }
    this.jobs.run(CROSS, (p1 * (p1 + 1)) / 2);
    C.set(A.C as Float64Array);
    const ldc = A.ldc as Float64Array;
    let ld = 0;
    for (let l = 0; l < nl; l++) ld += ldc[l];
    return ld;
  }
}
