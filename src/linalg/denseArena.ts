/**
 * Storage and kernels for the dense blocks of the blocked Cholesky factor. The dense blocks live in
 * one WebAssembly memory so the SIMD kernels of wasm/dense.ts (Cholesky, right triangular solve,
 * C −= A Bᵀ, the updates of a dense block from sparse ones) work on them in place; where WebAssembly
 * SIMD is not available (or `kernels: 'js'` is asked for) the same kernels run in JavaScript
 * (src/linalg/dense.ts, src/linalg/blockedCholesky.ts) on ordinary arrays. On a shared memory the
 * Cholesky, and the other kernels where there is enough work, split their rows over the threads
 * (src/linalg/denseThreads.ts), with the one-thread kernel's result bit for bit.
 */
import { ModelError } from '../errors/errors.js';
import { DENSE_WASM_BASE64, DENSE_WASM_SHARED_BASE64 } from './denseWasm.generated.js';
import { NotPositiveDefiniteError, choleskyInPlace } from './dense.js';
import { type RowSplit, SharedArena, type ThreadedKernels, denseThreadsWanted, sharedMemoryAvailable } from './denseThreads.js';
import type { BlockPattern } from './gram.js';

export type DenseKernelKind = 'wasm' | 'js';

interface DenseExports extends ThreadedKernels {
  cholesky(a: number, n: number): number;
}

const compiled: { plain?: WebAssembly.Module | null; shared?: WebAssembly.Module | null } = {};

/**
 * The compiled kernel module (on an ordinary or a shared memory), or null where WebAssembly SIMD (or,
 * for the shared one, WebAssembly threads) is unavailable.
 */
function denseModule(kind: 'plain' | 'shared'): WebAssembly.Module | null {
  if (compiled[kind] !== undefined) return compiled[kind]!;
  try {
    compiled[kind] = new WebAssembly.Module(base64ToBytes(kind === 'plain' ? DENSE_WASM_BASE64 : DENSE_WASM_SHARED_BASE64));
  } catch {
    compiled[kind] = null;
  }
  return compiled[kind]!;
}

/** An arena whose largest array is at least this many doubles (a 256 × 256 block) is shared with the threads. */
const SHARED_MIN_DOUBLES = 256 * 256;
/** A right solve or C −= A Bᵀ with fewer rows, or fewer multiply-adds, than these runs on the calling thread alone. */
const SHARED_MIN_ROWS = 16;
const SHARED_MIN_WORK = 2 ** 20;
/** The sparse updates' rows are shared when their multiply-adds (SparseUpdate.cost) are at least this many ... */
const SHARED_MIN_SPARSE = 2 ** 15;
/** ... in this many chunks per thread (each chunk visits every column of the sparse blocks). */
const SPARSE_CHUNKS_PER_THREAD = 4;
const EQUAL_ROWS: RowSplit = { by: 'rows', align: 4 };
const TRIANGLE: RowSplit = { by: 'triangle', align: 4 };

/**
 * The operands of an update of a dense block X from the sparse blocks to its left (see
 * DenseArena.sparseUpdate), all in the arena: X's rows (level blocks) a get Σ_c Vj[a,c] Vk[b,c]ᵀ subtracted.
 */
export interface SparseUpdate {
  X: Float64Array;
  /** X's row stride (doubles) */
  ldx: number;
  /** rows and columns per level of X's row and column blocks, and of the sparse blocks' columns */
  qj: number;
  qk: number;
  qi: number;
  /** Vj = L_ji and Vk = L_ki: values and patterns (by columns, the levels of i) */
  Vj: Float64Array;
  Pj: BlockPattern;
  Vk: Float64Array;
  Pk: BlockPattern;
  /** X diagonal (Vj = Vk): the lower triangle only */
  lower: boolean;
  /** X's level rows */
  rows: number;
  /** cost[a]: the work of rows [0, a) (length rows + 1), for splitting the rows over threads */
  cost: Float64Array;
}

function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export class DenseArena {
  /** which kernels run */
  readonly kind: DenseKernelKind;
  /** the arrays asked for, in order */
  readonly arrays: Float64Array[];
  /** the threads the Cholesky may use: 1, or more when the memory is shared with the helper threads (src/linalg/denseThreads.ts) */
  readonly threads: number;
  private readonly wasm: DenseExports | null;
  private readonly buffer: ArrayBufferLike | null;
  private readonly shared: SharedArena | null = null;

  /**
   * Allocates one array per size (in doubles), in WebAssembly memory when the wasm kernels are used.
   * `threads` (default: setDenseThreads's count, the hardware's) > 1 puts an arena with a large array
   * on a shared memory whose Cholesky the helper threads share; the factor is the same bit for bit.
   */
  constructor(sizes: number[], prefer: DenseKernelKind = 'wasm', threads = denseThreadsWanted()) {
    const big = sizes.some((s) => s >= SHARED_MIN_DOUBLES);
    const share = prefer === 'wasm' && threads > 1 && big && sharedMemoryAvailable() ? denseModule('shared') : null;
    const mod = share ?? (prefer === 'wasm' && sizes.some((s) => s > 0) ? denseModule('plain') : null);
    if (!mod) {
      this.kind = 'js';
      this.threads = 1;
      this.wasm = null;
      this.buffer = null;
      this.arrays = sizes.map((s) => new Float64Array(s));
      return;
    }
    // the first page is the module's own (its static data, and the failing pivot's index at
    // address 0); the arrays follow, 16-byte aligned for the v128 loads
    const offsets: number[] = [];
    let bytes = 65536;
    for (const s of sizes) {
      offsets.push(bytes);
      bytes += Math.ceil((s * 8) / 16) * 16;
    }
    const pages = Math.ceil(bytes / 65536) + 1;
    if (pages > 65536) throw new ModelError(`the dense blocks need ${(bytes / 2 ** 30).toFixed(1)} GiB, more than WebAssembly memory allows`);
    const memory = share ? new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }) : new WebAssembly.Memory({ initial: pages });
    const instance = new WebAssembly.Instance(mod, { env: { memory, abort: () => { throw new Error('dense kernel aborted'); } } });
    this.kind = 'wasm';
    this.threads = share ? threads : 1;
    if (share) this.shared = new SharedArena(share, memory, this);
    this.wasm = instance.exports as unknown as DenseExports;
    this.buffer = memory.buffer;
    this.arrays = sizes.map((s, k) => new Float64Array(memory.buffer, offsets[k], s));
  }

  private inArena(a: ArrayBufferView): boolean {
    return this.wasm !== null && a.buffer === this.buffer;
  }

  /** Array k as 32-bit integers (twice as many entries), sharing its storage. */
  ints(k: number): Int32Array {
    const a = this.arrays[k];
    return new Int32Array(a.buffer, a.byteOffset, 2 * a.length);
  }

  /**
   * The update of a dense block from sparse ones (SparseUpdate) by wasm/dense.ts's `sparseColumns`,
   * its rows shared with the threads on a shared memory; false when the kernels are JavaScript or an
   * operand is not in the arena (the caller runs the JavaScript kernel, the same arithmetic).
   */
  sparseUpdate(u: SparseUpdate): boolean {
    const { X, Vj, Pj, Vk, Pk } = u;
    if (![X, Vj, Vk, Pj.colPtr, Pj.rowIdx, Pk.colPtr, Pk.rowIdx].every((a) => this.inArena(a))) return false;
    const args = [X.byteOffset, u.ldx, u.qj, u.qk, u.qi, Vj.byteOffset, Pj.colPtr.byteOffset, Pj.rowIdx.byteOffset,
      Vk.byteOffset, Pk.colPtr.byteOffset, Pk.rowIdx.byteOffset, Pj.ncol, u.lower ? 1 : 0];
    const split: RowSplit = { by: 'cost', cost: u.cost, align: 1, perThread: SPARSE_CHUNKS_PER_THREAD };
    if (this.shared && u.cost[u.rows] >= SHARED_MIN_SPARSE && this.shared.rows(this.wasm!, 'sparseColumns', args, u.rows, split)) return true;
    (this.wasm!.sparseColumns as (...a: number[]) => void)(...args, 0, u.rows);
    return true;
  }

  /** In-place Cholesky of the n × n matrix a (lower); returns log det L². */
  cholesky(a: Float64Array, n: number, what: string): number {
    if (!this.inArena(a)) return choleskyInPlace(a, n, what);
    const r = this.shared?.cholesky(this.wasm!, a.byteOffset, n) ?? this.wasm!.cholesky(a.byteOffset, n);
    if (Number.isNaN(r)) {
      // the kernel leaves the failing pivot's index at address 0
      const pivot = new Int32Array(this.buffer!, 0, 1)[0];
      throw new NotPositiveDefiniteError(what, pivot, a[pivot * n + pivot]);
    }
    return r;
  }

  /** S ← S L⁻ᵀ, S rows × m (row stride lds), L m × m lower (row stride ldl). */
  rightSolve(S: Float64Array, rows: number, L: Float64Array, m: number, lds = m, ldl = m): void {
    if (this.inArena(S) && this.inArena(L)) {
      const args = [S.byteOffset, lds, L.byteOffset, ldl, m];
      const shared = this.shared && rows >= SHARED_MIN_ROWS && rows * m * m >= 2 * SHARED_MIN_WORK
        && this.shared.rows(this.wasm!, 'rightSolveRows', args, rows, EQUAL_ROWS);
      if (!shared) this.wasm!.rightSolveRows(S.byteOffset, lds, L.byteOffset, ldl, m, 0, rows);
      return;
    }
    rightSolveJs(S, rows, L, m, lds, ldl);
  }

  /**
   * C −= A Bᵀ for C ra × rb (row stride ldc), A ra × k (row stride lda), B rb × k (row stride ldb);
   * only the lower triangle when `lower`.
   */
  subtractABt(C: Float64Array, ldc: number, A: Float64Array, ra: number, B: Float64Array, rb: number, k: number, lower: boolean, lda = k, ldb = k): void {
    if (this.inArena(C) && this.inArena(A) && this.inArena(B)) {
      const args = [C.byteOffset, ldc, A.byteOffset, lda, B.byteOffset, ldb, rb, k, lower ? 1 : 0];
      const work = lower && rb >= ra ? (ra * (ra + 1) / 2) * k : ra * rb * k;
      const shared = this.shared && ra >= SHARED_MIN_ROWS && work >= SHARED_MIN_WORK
        && this.shared.rows(this.wasm!, 'subtractABtRows', args, ra, lower && rb >= ra ? TRIANGLE : EQUAL_ROWS);
      if (!shared) this.wasm!.subtractABtRows(C.byteOffset, ldc, A.byteOffset, lda, B.byteOffset, ldb, rb, k, lower ? 1 : 0, 0, ra);
      return;
    }
    for (let r = 0; r < ra; r++) {
      const end = lower ? Math.min(r + 1, rb) : rb;
      for (let s = 0; s < end; s++) {
        let acc = 0;
        const ro = r * lda, so = s * ldb;
        for (let u = 0; u < k; u++) acc += A[ro + u] * B[so + u];
        C[r * ldc + s] -= acc;
      }
    }
  }
}

/**
 * S ← S L⁻ᵀ for S rows × m (row stride lds), L dense m × m lower (row stride ldl): each row x solves
 * L xᵀ = rowᵀ by forward substitution, four rows at a time so each row of L is read once per four.
 */
function rightSolveJs(S: Float64Array, rows: number, L: Float64Array, m: number, lds: number, ldl: number): void {
  let r = 0;
  for (; r + 3 < rows; r += 4) {
    const o0 = r * lds, o1 = o0 + lds, o2 = o1 + lds, o3 = o2 + lds;
    for (let t = 0; t < m; t++) {
      let v0 = S[o0 + t], v1 = S[o1 + t], v2 = S[o2 + t], v3 = S[o3 + t];
      const lt = t * ldl;
      for (let u = 0; u < t; u++) {
        const l = L[lt + u];
        v0 -= l * S[o0 + u]; v1 -= l * S[o1 + u]; v2 -= l * S[o2 + u]; v3 -= l * S[o3 + u];
      }
      const d = L[lt + t];
      S[o0 + t] = v0 / d; S[o1 + t] = v1 / d; S[o2 + t] = v2 / d; S[o3 + t] = v3 / d;
    }
  }
  for (; r < rows; r++) {
    const ro = r * lds;
    for (let t = 0; t < m; t++) {
      let v = S[ro + t];
      const lt = t * ldl;
      for (let u = 0; u < t; u++) v -= L[lt + u] * S[ro + u];
      S[ro + t] = v / L[lt + t];
    }
  }
}
