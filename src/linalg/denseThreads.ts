/**
 * Threads for the dense Cholesky of the blocked factor's dense blocks (src/linalg/denseArena.ts): a
 * pool of helper threads (Node `worker_threads`, or Web Workers in browsers), started once per process,
 * each running the WebAssembly kernels of wasm/dense.ts on the arenas' shared memories.
 *
 * The factorization is wasm/dense.ts's right-looking blocked Cholesky, driven panel by panel from here:
 * the calling thread factors the panel's diagonal block (panelDiag), then the rows below it are solved
 * (panelSolve) and the trailing lower triangle updated (panelUpdate) in chunks of rows that every
 * thread — the caller included — claims one at a time from a shared counter, until none is left. Each
 * entry is computed by the same operations in the same order whichever thread computes it and however
 * the rows are split (wasm/dense.ts), so the factor is bit-identical to the one-thread kernel's.
 *
 * Shared memory needs SharedArrayBuffer: always in Node; in browsers only on a cross-origin isolated
 * page (COOP/COEP headers; `crossOriginIsolated`). Without it, or with one thread, nothing starts and the
 * kernels run on the calling thread. The pool starts asynchronously (a worker takes a few milliseconds
 * to start): until a helper is ready, or when a helper is busy elsewhere (a loaded machine), the
 * caller claims the chunks itself, so the helpers only ever change who computes a chunk, never what.
 *
 * Other kernels whose rows are independent run on the same pool as jobs of the same kind (SharedArena.rows):
 * the updates of a dense block from the sparse blocks to its left (sparseColumns), and the right solve and
 * C −= A Bᵀ of larger matrices (rightSolveRows, subtractABtRows; e.g. the trailing inverse of the final
 * solve, src/lmm/trailingInverse.ts).
 *
 * The claim word (Int32, CLAIM): bits 12… the arena's id (a helper claims only for arenas it has
 * attached), bits 6–11 the job's number of chunks, bits 0–5 the next chunk. A helper reads the job's
 * parameters only after a successful claim: while its chunk is pending the job cannot finish, so the
 * caller cannot have moved on to the next job's parameters.
 */
import { OptionError } from '../errors/errors.js';

/** Helpers are capped here (the factor's trailing updates do not scale much further on one socket). */
export const MAX_DENSE_THREADS = 16;
/** A panel's rows below this many are done by the caller alone (too little work to share). */
const MIN_SHARED_ROWS = 96;
/** A factorization whose caller waited on the helpers for more than this share of its time ... */
const WAIT_SHARE = 0.25;
/**
 * ... is followed by some on the caller alone: 1 the first time, twice as many each time it recurs
 * (a machine whose other cores stay busy), at most this many; a threaded factorization that did not
 * wait starts the count again at 1 (a helper preempted once on an idle machine costs one).
 */
const BACKOFF = 16;
/** Chunks per job, at most (6 bits of the claim word). */
const MAX_CHUNKS = 63;

// the control block (Int32 indices)
const GEN = 0; // bumped per job: the helpers' wake-up
const CLAIM = 1; // arena id << 12 | chunks << 6 | next chunk
const DONE = 2; // chunks done in this job
const KIND = 3; // the job's kernel: its index in JOBS
const ERROR = 7; // a helper's kernel threw
const READY = 8; // helpers started
const HELPED = 9; // chunks computed by helpers (cumulative; for tests and benches)
const HELPED_BY_JOB = 10; // the same, per job kind (HELPED_BY_JOB + index in JOBS)
const PARAMS = 16; // the kernel's arguments before (r0, r1), read as Uint32 (byte addresses, sizes, flags)
const MAX_PARAMS = 16;
const BOUNDS = PARAMS + MAX_PARAMS; // chunk c is rows [BOUNDS + c, BOUNDS + c + 1)
const CTRL_INTS = BOUNDS + MAX_CHUNKS + 1;

/** The kernels a job runs (wasm/dense.ts exports; each takes its arguments, then rows r0, r1) and their argument counts. */
const JOBS = ['panelSolve', 'panelUpdate', 'sparseColumns', 'rightSolveRows', 'subtractABtRows'] as const;
export type DenseJob = (typeof JOBS)[number];
const JOB_ARGS: Record<DenseJob, number> = { panelSolve: 3, panelUpdate: 3, sparseColumns: 13, rightSolveRows: 5, subtractABtRows: 9 };

/**
 * A helper thread's main loop (source text for a worker script, which defines `ctrl` and `work()`):
 * run `work()` (claim and compute chunks until none is left) whenever the job generation at
 * Int32 index `gen` of `ctrl` changes, spinning SPIN_MS (defined by the script) before waiting with
 * Atomics.waitAsync, so that the worker's messages are handled while it waits. Shared by the dense
 * pool here and PIRLS's row pool (src/linalg/rowThreads.ts).
 */
export function helperLoopSource(gen: number): string {
  return `async function loop() {
  let seen = Atomics.load(ctrl, ${gen});
  work();
  for (;;) {
    let g = Atomics.load(ctrl, ${gen});
    if (g === seen) {
      const t0 = performance.now();
      while ((g = Atomics.load(ctrl, ${gen})) === seen && performance.now() - t0 < SPIN_MS);
    }
    if (g === seen) {
      // messages (new arenas or arrays) are handled while waiting here
      const r = Atomics.waitAsync(ctrl, ${gen}, seen);
      if (r.async) await r.value;
      continue;
    }
    seen = g;
    work();
  }
}`;
}

/**
 * Resolves when `count` helpers have counted themselves in at Int32 index `ready` of `ctrl` (each adds
 * 1 once it runs), polled every millisecond. Shared with PIRLS's row pool (src/linalg/rowThreads.ts).
 */
export async function helpersRunning(ctrl: Int32Array, ready: number, count: number): Promise<void> {
  while (Atomics.load(ctrl, ready) < count) await new Promise((r) => setTimeout(r, 1));
}

/**
 * The helper's source (a self-contained classic script; evaluated in a Node worker or a blob Web
 * Worker): attaches arenas (module + shared memory), waits for jobs, claims and computes chunks.
 */
const WORKER_SOURCE = `
'use strict';
const port = typeof require === 'function' ? require('node:worker_threads').parentPort : null;
const onMessage = (f) => { if (port) port.on('message', f); else self.onmessage = (e) => f(e.data); };
const SPIN_MS = 0.1;
const JOBS = ${JSON.stringify(JOBS)};
const ARGS = ${JSON.stringify(JOBS.map((j) => JOB_ARGS[j]))};
const arenas = new Map();
let ctrl = null, u32 = null;
onMessage((msg) => {
  if (msg.type === 'init') {
    ctrl = new Int32Array(msg.ctrl); u32 = new Uint32Array(msg.ctrl);
    Atomics.add(ctrl, ${READY}, 1);
    loop();
  } else if (msg.type === 'attach') {
    const instance = new WebAssembly.Instance(msg.module, { env: { memory: msg.memory, abort: () => { throw new Error('dense kernel aborted'); } } });
    arenas.set(msg.id, instance.exports);
  } else if (msg.type === 'detach') {
    arenas.delete(msg.id);
  }
});
function work() {
  for (;;) {
    const w = Atomics.load(ctrl, ${CLAIM});
    const ex = arenas.get(w >>> 12);
    if (!ex) return;
    const chunks = (w >>> 6) & 63, next = w & 63;
    if (next >= chunks) return;
    if (Atomics.compareExchange(ctrl, ${CLAIM}, w, w + 1) !== w) continue;
    try {
      const kind = ctrl[${KIND}], np = ARGS[kind], args = new Array(np + 2);
      for (let i = 0; i < np; i++) args[i] = u32[${PARAMS} + i];
      args[np] = ctrl[${BOUNDS} + next]; args[np + 1] = ctrl[${BOUNDS} + next + 1];
      ex[JOBS[kind]](...args);
      Atomics.add(ctrl, ${HELPED}, 1);
      Atomics.add(ctrl, ${HELPED_BY_JOB} + kind, 1);
    } catch (e) {
      Atomics.store(ctrl, ${ERROR}, 1);
    }
    Atomics.add(ctrl, ${DONE}, 1);
    Atomics.notify(ctrl, ${DONE});
  }
}
${helperLoopSource(GEN)}
`;

/** A helper thread as its pool holds it (a Node Worker or a Web Worker). */
export interface HelperHandle { postMessage(msg: unknown): void; terminate(): unknown }

interface Pool {
  ctrl: Int32Array;
  u32: Uint32Array;
  helpers: HelperHandle[];
  /** can this thread block in Atomics.wait (not a browser's main thread) */
  canBlock: boolean;
  /** factorizations still to run on the calling thread alone after one that waited too long on the helpers */
  backoff: number;
  /** the next backoff's length (1, 2, 4, … BACKOFF) */
  penalty: number;
  /** factorizations run threaded, and run alone because of the backoff (for benches) */
  threaded: number;
  alone: number;
}

let wanted: number | 'auto' = 'auto';
let pool: Pool | null = null;
let starting: Promise<Pool | null> | null = null;
let nextArenaId = 1;
/** the threads the pool started with (1: none), once it has */
let started: number | null = null;

/**
 * The number of threads the dense kernels use: 'auto' (default) the hardware's
 * (os.availableParallelism() in Node, navigator.hardwareConcurrency in browsers), or n ≥ 1. Takes
 * effect for the arenas made afterwards; a pool already started with fewer helpers keeps its size
 * (the surplus of a larger one stays idle when fewer are asked for later).
 */
export function setDenseThreads(n: number | 'auto'): void {
  if (n !== 'auto' && !(Number.isInteger(n) && n >= 1)) throw new OptionError('threads', `threads must be a positive integer or 'auto', got ${String(n)}`);
  wanted = n;
}

/** Is shared WebAssembly memory available here (SharedArrayBuffer; a browser page must be cross-origin isolated)? */
export function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  return isolated === undefined || isolated === true;
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return !!p?.versions?.node;
}

/** The thread count asked for, resolved against the hardware (async: Node's os module is imported). */
async function resolveThreads(): Promise<number> {
  if (wanted !== 'auto') return Math.min(wanted, MAX_DENSE_THREADS);
  let hw = 1;
  if (isNode()) {
    const osName = 'node:os';
    const os = (await import(/* @vite-ignore */ osName)) as { availableParallelism?: () => number; cpus: () => unknown[] };
    hw = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  } else {
    hw = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  }
  return Math.max(1, Math.min(hw, MAX_DENSE_THREADS));
}

/** The thread count the next arena is made for: the one asked for; for 'auto', the pool's once it started (2 before). */
export function denseThreadsWanted(): number {
  if (wanted !== 'auto') return wanted;
  return started ?? 2;
}

async function startPool(): Promise<Pool | null> {
  const threads = await resolveThreads();
  if (threads < 2 || !sharedMemoryAvailable()) return null;
  const sab = new SharedArrayBuffer(CTRL_INTS * 4);
  const ctrl = new Int32Array(sab);
  const helpers: HelperHandle[] = [];
  if (isNode()) {
    const wtName = 'node:worker_threads';
    const { Worker } = (await import(/* @vite-ignore */ wtName)) as typeof import('node:worker_threads');
    for (let t = 1; t < threads; t++) {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.unref();
      helpers.push(w);
    }
  } else {
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    for (let t = 1; t < threads; t++) helpers.push(new Worker(url));
  }
  for (const h of helpers) h.postMessage({ type: 'init', ctrl: sab });
  let canBlock = true;
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
  } catch {
    canBlock = false;
  }
  return { ctrl, u32: new Uint32Array(sab), helpers, canBlock, backoff: 0, penalty: 1, threaded: 0, alone: 0 };
}

/**
 * Starts the process's pool if more than one thread is wanted (once; later calls return the same
 * promise). Resolves with the number of threads (1 when none start).
 */
export function startDenseThreads(): Promise<number> {
  if (!starting) {
    starting = startPool().then((p) => { pool = p; started = p ? p.helpers.length + 1 : 1; return p; }, () => { started = 1; return null; });
  }
  return starting.then((p) => (p ? p.helpers.length + 1 : 1));
}

/**
 * Resolves when the pool's helpers are running (started with startDenseThreads); the number of
 * threads. Tests and benches wait on it to measure the threaded kernels from the first call.
 */
export async function denseThreadsReady(): Promise<number> {
  const threads = await startDenseThreads();
  if (!pool) return 1;
  const p = pool;
  await helpersRunning(p.ctrl, READY, p.helpers.length);
  return threads;
}

/** Chunks computed by helper threads so far (cumulative). */
export function denseChunksHelped(): number {
  return pool ? Atomics.load(pool.ctrl, HELPED) : 0;
}

/** Chunks computed by helper threads so far (cumulative), by job kind. */
export function denseChunksHelpedByJob(): Record<DenseJob, number> {
  const out = {} as Record<DenseJob, number>;
  JOBS.forEach((j, k) => { out[j] = pool ? Atomics.load(pool.ctrl, HELPED_BY_JOB + k) : 0; });
  return out;
}

/**
 * Factorizations so far (cumulative) run threaded, and run on the calling thread alone after one that
 * waited too long on busy helpers (see SharedArena.cholesky).
 */
export function denseThreadStats(): { threaded: number; alone: number } {
  return { threaded: pool?.threaded ?? 0, alone: pool?.alone ?? 0 };
}

/** The kernels of an arena on a shared memory, registered with the pool. */
export interface ThreadedKernels {
  panelWidth(): number;
  panelDiag(a: number, n: number, k0: number): number;
  panelSolve(a: number, n: number, k0: number, r0: number, r1: number): void;
  panelUpdate(a: number, n: number, k0: number, r0: number, r1: number): void;
  sparseColumns(
    x: number, ldx: number, qj: number, qk: number, qi: number, vj: number, colPtrJ: number, rowIdxJ: number,
    vk: number, colPtrK: number, rowIdxK: number, ncol: number, lower: number, r0: number, r1: number,
  ): void;
  rightSolveRows(s: number, lds: number, l: number, ldl: number, m: number, r0: number, r1: number): void;
  subtractABtRows(c: number, ldc: number, a: number, lda: number, b: number, ldb: number, rb: number, k: number, lower: number, r0: number, r1: number): void;
}

/**
 * How a job's rows are split: 'rows' at equal row counts, 'triangle' at equal areas of a lower
 * triangle (row i costs ∝ i + 1), or by the rows' costs (cumulative: cost[r] is that of rows [0, r),
 * length m + 1). Bounds are multiples of `align` (4: the kernels' tiles); `perThread` chunks per
 * thread (default 16: fine enough for a helper preempted on a loaded machine; fewer where each chunk
 * has a fixed cost).
 */
export type RowSplit = ({ by: 'rows' | 'triangle' } | { by: 'cost'; cost: ArrayLike<number> }) & { align: number; perThread?: number };

const detach = new FinalizationRegistry<number>((id) => {
  for (const h of pool?.helpers ?? []) h.postMessage({ type: 'detach', id });
});

/** An arena on a shared memory, for the helpers: its id (claims name it) and whether they may be asked. */
export class SharedArena {
  readonly id: number;
  private attached = false;
  /** ms the caller waited on helpers in the current factorization */
  private waited = 0;

  constructor(private readonly module: WebAssembly.Module, private readonly memory: WebAssembly.Memory, owner: object) {
    this.id = (nextArenaId++ % 0x7ffff) + 1;
    void startDenseThreads();
    detach.register(owner, this.id);
  }

  /** The pool, once it runs (attaching this arena to its helpers on first use), else null. */
  private ready(): Pool | null {
    if (!pool || Atomics.load(pool.ctrl, READY) === 0) return null;
    if (!this.attached) {
      this.attached = true;
      for (const h of pool.helpers) h.postMessage({ type: 'attach', id: this.id, module: this.module, memory: this.memory });
    }
    return pool;
  }

  /**
   * In-place Cholesky of the n × n matrix at byte offset a of this arena's memory, the panels' solves
   * and trailing updates shared with the helpers; log det L², or NaN with the failing pivot's index at
   * address 0 (as the kernel's `cholesky`). Null when there are no helpers (the caller runs the
   * one-thread kernel, which gives the same factor).
   */
  cholesky(ex: ThreadedKernels, a: number, n: number): number | null {
    const p = this.ready();
    if (!p || n - ex.panelWidth() < MIN_SHARED_ROWS) return null;
    if (p.backoff > 0) {
      p.backoff--;
      p.alone++;
      return null;
    }
    p.threaded++;
    const nb = ex.panelWidth();
    const t0 = performance.now();
    this.waited = 0;
    let logdet = 0;
    for (let k0 = 0; k0 < n; k0 += nb) {
      const r = ex.panelDiag(a, n, k0);
      if (Number.isNaN(r)) return NaN;
      logdet += r;
      const m = n - k0 - Math.min(nb, n - k0);
      if (m === 0) break;
      if (m < MIN_SHARED_ROWS) {
        ex.panelSolve(a, n, k0, 0, m);
        ex.panelUpdate(a, n, k0, 0, m);
        continue;
      }
      this.run(p, ex, 'panelSolve', [a, n, k0], m, SOLVE_SPLIT);
      this.run(p, ex, 'panelUpdate', [a, n, k0], m, UPDATE_SPLIT);
    }
    // a machine whose other cores are busy (the helpers preempted while holding a chunk) makes the
    // caller wait: then the next factorizations run on the caller alone (the same factor either way)
    if (this.waited > WAIT_SHARE * (performance.now() - t0)) {
      p.backoff = p.penalty;
      p.penalty = Math.min(BACKOFF, 2 * p.penalty);
    } else {
      p.penalty = 1;
    }
    return logdet;
  }

  /**
   * Rows [0, m) of the kernel `job` with arguments `args`, in chunks claimed by the caller and the
   * helpers; false (nothing done: the caller runs the kernel alone, which gives the same result) when
   * there are no helpers or they are backing off (see cholesky).
   */
  rows(ex: ThreadedKernels, job: DenseJob, args: number[], m: number, split: RowSplit): boolean {
    const p = this.ready();
    if (!p || p.backoff > 0 || m < 2) return false;
    this.run(p, ex, job, args, m, split);
    return true;
  }

  /** One job: rows [0, m) of kernel `job`, in chunks claimed by all threads. */
  private run(p: Pool, ex: ThreadedKernels, job: DenseJob, args: number[], m: number, split: RowSplit): void {
    const { ctrl } = p;
    const chunks = planChunks(m, p.helpers.length + 1, ctrl, split);
    const kind = JOBS.indexOf(job);
    const np = JOB_ARGS[job];
    ctrl[KIND] = kind;
    for (let i = 0; i < np; i++) p.u32[PARAMS + i] = args[i];
    const kernel = ex[job] as (...a: number[]) => void;
    const call = args.slice(0, np).concat(0, 0);
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, CLAIM, (this.id << 12) | (chunks << 6));
    Atomics.add(ctrl, GEN, 1);
    Atomics.notify(ctrl, GEN);
    // the caller claims chunks like any helper
    for (;;) {
      const w = Atomics.load(ctrl, CLAIM);
      const next = w & 63;
      if (next >= chunks) break;
      if (Atomics.compareExchange(ctrl, CLAIM, w, w + 1) !== w) continue;
      call[np] = ctrl[BOUNDS + next];
      call[np + 1] = ctrl[BOUNDS + next + 1];
      kernel(...call);
      Atomics.add(ctrl, DONE, 1);
    }
    // then waits for the chunks the helpers claimed
    let d = Atomics.load(ctrl, DONE);
    if (d < chunks) {
      const w0 = performance.now();
      for (let spins = 0; d < chunks; d = Atomics.load(ctrl, DONE)) {
        if (p.canBlock && ++spins > 2000) Atomics.wait(ctrl, DONE, d, 1);
      }
      this.waited += performance.now() - w0;
    }
    if (Atomics.load(ctrl, ERROR)) {
      Atomics.store(ctrl, ERROR, 0);
      throw new Error('a dense-kernel thread failed');
    }
  }
}

/** The panel's solve: rows cost alike. */
const SOLVE_SPLIT: RowSplit = { by: 'rows', align: 4 };
/** The trailing update: row i costs ∝ i + 1. */
const UPDATE_SPLIT: RowSplit = { by: 'triangle', align: 4 };

/**
 * The chunks of a job over rows [0, m), written to the control block's BOUNDS; returns their number.
 * Up to 16 per thread (split.perThread), shrinking along the job: bound t of C is the first row r (a
 * multiple of split.align) with cost([0, r)) ≥ 1 − (1 − t/C)² of the whole (`split`: the rows' cost).
 */
function planChunks(m: number, threads: number, ctrl: Int32Array, split: RowSplit): number {
  const want = Math.min(MAX_CHUNKS, threads * (split.perThread ?? 16), Math.max(1, Math.floor(m / (split.by === 'cost' ? 1 : 8))));
  const { align } = split;
  let c = 0;
  ctrl[BOUNDS] = 0;
  for (let t = 1; t <= want; t++) {
    // chunk t ends at this share of the work: the chunks shrink along the job (guided: the first twice
    // the mean, the last a want-th of it), so that the thread taking the last chunk keeps the others
    // waiting only briefly
    const f = 1 - (1 - t / want) ** 2;
    let raw: number;
    if (t === want) raw = m;
    else if (split.by === 'rows') raw = Math.round((m * f) / align) * align;
    else if (split.by === 'triangle') raw = Math.round((m * Math.sqrt(f)) / align) * align;
    else if (split.by === 'cost') {
      // the first r with cost[r] ≥ f · cost[m] (binary search; cost is nondecreasing)
      const { cost } = split;
      const target = f * cost[m];
      let lo = 0, hi = m;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cost[mid] >= target) hi = mid; else lo = mid + 1;
      }
      raw = Math.round(lo / align) * align;
    } else raw = m;
    const b = Math.min(m, raw);
    if (b > ctrl[BOUNDS + c]) ctrl[BOUNDS + ++c] = b;
  }
  return c;
}
