/**
 * Threads for work over a model's rows (PIRLS's η, μ, working weights and response, deviance and
 * weighted Gram pass; the LMM's Gram pass and model frame): a pool of helper threads (Node `worker_threads`), started once
 * per process, running the same JavaScript kernels as the calling thread on arrays that live in
 * SharedArrayBuffers.
 *
 * The design is src/linalg/denseThreads.ts's: a shared control block, a job's chunks claimed one at a
 * time from a shared counter by every thread — the caller included — until none is left. A job's
 * chunks are fixed by the data alone (rows per chunk, segments), never by the number of threads; each
 * chunk writes only its own rows, or its own partial sums, and the caller combines the partial sums in
 * chunk order. So the helpers only ever change who computes a chunk, never what: the results are
 * bit-identical whatever the thread count (test/rowThreads.test.ts).
 *
 * A kernel is a self-contained function `(arrays, chunk) => void` (it refers to nothing outside its
 * own text but its arguments, `Math`, and the names its registration defines in `prelude`):
 * registerRowKernel gives its source to the helpers, which evaluate it once. The thread count is the
 * dense kernels' setting (setDenseThreads, CLI `--threads`); browsers (and one thread) run every chunk
 * on the calling thread, with the same kernels, so the results are those of the threaded path.
 *
 * The claim word (Int32, CLAIM): bits 20–29 the job's sequence number (mod 1024), bits 0–19 the next
 * chunk. The caller sets a job up under a claim word with no chunk left (next = 2^20 − 1), writes its
 * parameters, then publishes its first chunk. A helper reads the word, then the parameters, then
 * claims with a compare-exchange on the word it read: a successful claim proves the job was still the
 * one whose parameters it read (the caller moves on only when every chunk of a job is done).
 */
import { type HelperHandle, denseThreadsWanted, helperLoopSource, helpersRunning, sharedMemoryAvailable, startDenseThreads } from './denseThreads.js';

/** Helpers are capped here (as the dense kernels' threads). */
const MAX_ROW_THREADS = 16;
/** the claim word's chunk bits; a job has fewer chunks than this (the value marks a job being set up) */
const NEXT_MASK = (1 << 20) - 1;
/** Chunks per job, at most. */
export const MAX_JOB_CHUNKS = NEXT_MASK - 1;

// the control block (Int32 indices)
const GEN = 0; // bumped per job: the helpers' wake-up
const CLAIM = 1; // seq << 20 | next chunk
const CHUNKS = 2; // the job's chunks
const ATTACH = 3; // the job's arrays (an attachment id)
const KERNEL = 4; // the job's kernel (registration index)
const HELPERS = 5; // helpers allowed in this job (helper index < this)
const DONE = 6; // chunks done in this job
const ERROR = 7; // a helper's kernel threw
const READY = 8; // helpers started
const HELPED = 9; // chunks computed by helpers (cumulative; for tests and benches)
const ACKS = 10; // attach messages the helpers have handled (since they started)
const CTRL_INTS = 16;

/** Typed arrays a kernel works on (every one on a SharedArrayBuffer when helpers are to see it). */
export type RowArrays = Record<string, Float64Array | Int32Array>;
export type RowKernelFn = (arrays: RowArrays, chunk: number) => void;

interface Registered { name: string; fn: RowKernelFn; source: string }
const registry: Registered[] = [];

/**
 * Registers a kernel for the helpers: `fn` runs on the calling thread; the helpers evaluate
 * `prelude` (definitions `fn`'s text refers to, e.g. constants and tables) and `fn`'s text.
 * Returns the kernel's handle.
 */
export function registerRowKernel(name: string, fn: RowKernelFn, prelude = ''): number {
  const found = registry.findIndex((r) => r.name === name);
  const entry = { name, fn, source: `(() => { ${prelude}\nreturn (${fn.toString()}); })()` };
  if (found >= 0) {
    registry[found] = entry;
    return found;
  }
  if (pool || starting) throw new Error(`internal: row kernel '${name}' registered after the row threads started`);
  registry.push(entry);
  return registry.length - 1;
}

const WORKER_SOURCE = `
'use strict';
const { parentPort } = require('node:worker_threads');
const SPIN_MS = 0.1;
const attached = new Map();
let ctrl = null, kernels = [], index = 0;
parentPort.on('message', (msg) => {
  if (msg.type === 'init') {
    ctrl = new Int32Array(msg.ctrl);
    index = msg.index;
    kernels = msg.sources.map((s) => (0, eval)(s));
    Atomics.add(ctrl, ${READY}, 1);
    loop();
  } else if (msg.type === 'attach') {
    attached.set(msg.id, msg.arrays);
    Atomics.add(ctrl, ${ACKS}, 1);
    Atomics.notify(ctrl, ${ACKS});
  } else if (msg.type === 'detach') {
    attached.delete(msg.id);
  }
});
function work() {
  for (;;) {
    const w = Atomics.load(ctrl, ${CLAIM});
    const next = w & ${NEXT_MASK};
    const chunks = Atomics.load(ctrl, ${CHUNKS});
    if (next >= chunks || index >= Atomics.load(ctrl, ${HELPERS})) return;
    const arrays = attached.get(Atomics.load(ctrl, ${ATTACH}));
    const kernel = kernels[Atomics.load(ctrl, ${KERNEL})];
    if (!arrays || !kernel) return;
    if (Atomics.compareExchange(ctrl, ${CLAIM}, w, w + 1) !== w) continue;
    try {
      kernel(arrays, next);
      Atomics.add(ctrl, ${HELPED}, 1);
    } catch (e) {
      Atomics.store(ctrl, ${ERROR}, 1);
      console.error('mixedgpu row thread:', e);
    }
    Atomics.add(ctrl, ${DONE}, 1);
    Atomics.notify(ctrl, ${DONE});
  }
}
${helperLoopSource(GEN)}
`;


interface Pool {
  ctrl: Int32Array;
  helpers: HelperHandle[];
  seq: number;
  /** bumped when the helpers are replaced (RowJobs attach their arrays again) */
  epoch: number;
  /** the bytes of each attachment the helpers hold, and of those detached since the helpers started */
  bytes: Map<number, number>;
  detachedBytes: number;
  /** attach messages posted to the helpers since they started (each acknowledged at ACKS) */
  posted: number;
  /** starts a helper (index t) */
  spawn: (t: number) => HelperHandle;
}

/**
 * Detached arrays past this many bytes replace the helpers: a helper drops a detached attachment's
 * arrays, but an idle worker seldom collects its garbage, so the shared memory would stay alive.
 */
const RECYCLE_BYTES = 256 * 2 ** 20;

/** How long a job waits at most for the helpers to take arrays just attached (ms). */
const ATTACH_WAIT_MS = 5;

let pool: Pool | null = null;
let starting: Promise<Pool | null> | null = null;
let nextAttachId = 1;

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return !!p?.versions?.node;
}

async function startPool(): Promise<Pool | null> {
  // the dense kernels' setting, resolved against the hardware ('auto')
  const threads = Math.min(MAX_ROW_THREADS, await startDenseThreads());
  if (threads < 2 || !isNode() || !sharedMemoryAvailable()) return null;
  const sab = new SharedArrayBuffer(CTRL_INTS * 4);
  const ctrl = new Int32Array(sab);
  const wtName = 'node:worker_threads';
  const { Worker } = (await import(/* @vite-ignore */ wtName)) as typeof import('node:worker_threads');
  const sources = registry.map((r) => r.source);
  const spawn = (t: number) => {
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.unref();
    w.postMessage({ type: 'init', ctrl: sab, index: t, sources });
    return w;
  };
  const helpers = Array.from({ length: threads - 1 }, (_, t) => spawn(t));
  return { ctrl, helpers, seq: 0, epoch: 0, bytes: new Map(), detachedBytes: 0, posted: 0, spawn };
}

/** New helpers in place of the old (between jobs: called from the event loop, never during RowJobs.run). */
function recycle(p: Pool): void {
  for (const h of p.helpers) void h.terminate();
  Atomics.store(p.ctrl, READY, 0);
  p.epoch++;
  p.bytes.clear();
  p.detachedBytes = 0;
  p.posted = 0;
  Atomics.store(p.ctrl, ACKS, 0);
  p.helpers = p.helpers.map((_, t) => p.spawn(t));
}

/** Starts the process's row threads (once; with the dense kernels' thread setting). Resolves with the number of threads. */
export function startRowThreads(): Promise<number> {
  starting ??= startPool().then((p) => { pool = p; return p; }, () => null);
  return starting.then((p) => (p ? p.helpers.length + 1 : 1));
}

/** Has the process's row-thread pool been asked to start (startRowThreads)? */
export function rowThreadsStarted(): boolean {
  return starting !== null;
}

/** Resolves when the row threads' helpers are running; the number of threads (tests and benches). */
export async function rowThreadsReady(): Promise<number> {
  const threads = await startRowThreads();
  if (!pool) return 1;
  const p = pool;
  await helpersRunning(p.ctrl, READY, p.helpers.length);
  return threads;
}

/** Chunks computed by helper threads so far (cumulative). */
export function rowChunksHelped(): number {
  return pool ? Atomics.load(pool.ctrl, HELPED) : 0;
}

/** Chunks of jobs run with helpers so far, by any thread (cumulative; with rowChunksHelped, the helpers' share). */
let sharedChunks = 0;
export function rowChunksShared(): number {
  return sharedChunks;
}

const detach = new FinalizationRegistry<number>((id) => {
  const p = pool;
  if (!p || !p.bytes.has(id)) return;
  for (const h of p.helpers) h.postMessage({ type: 'detach', id });
  p.detachedBytes += p.bytes.get(id)!;
  p.bytes.delete(id);
  if (p.detachedBytes > RECYCLE_BYTES) recycle(p);
});

/** Helper threads started and replaced so far (tests): the pool's epoch. */
export function rowThreadsEpoch(): number {
  return pool?.epoch ?? 0;
}

/**
 * The threads the row work wants now: the dense kernels' setting (setDenseThreads; 'auto' is the
 * hardware's once the threads started, 2 before), 1 where there are no shared memory and workers.
 */
export function rowThreadsWanted(): number {
  return isNode() && sharedMemoryAvailable() ? Math.min(MAX_ROW_THREADS, denseThreadsWanted()) : 1;
}

/** A Float64Array of n entries, on a SharedArrayBuffer where there is one. */
export function sharedFloat64(n: number): Float64Array {
  return typeof SharedArrayBuffer === 'undefined' ? new Float64Array(n) : new Float64Array(new SharedArrayBuffer(8 * n));
}

/** An Int32Array of n entries, on a SharedArrayBuffer where there is one. */
export function sharedInt32(n: number): Int32Array {
  return typeof SharedArrayBuffer === 'undefined' ? new Int32Array(n) : new Int32Array(new SharedArrayBuffer(4 * n));
}

/** Is `a` on a SharedArrayBuffer (false where there are none: a page that is not cross-origin isolated)? */
export function onSharedMemory(a: Float64Array | Int32Array): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;
}

/** A copy of `a` on a SharedArrayBuffer (or `a` itself when it is on one already, or there is none). */
export function shareArray<T extends Float64Array | Int32Array>(a: T): T {
  if (typeof SharedArrayBuffer === 'undefined' || onSharedMemory(a)) return a;
  const out = (a instanceof Float64Array ? sharedFloat64(a.length) : sharedInt32(a.length)) as T;
  out.set(a);
  return out;
}

/**
 * The arrays of one model's row work and the jobs run on them: with helpers when more than one
 * thread is wanted (the setting when this is made) and they run, else on the calling thread alone.
 */
export class RowJobs {
  private readonly id: number;
  /** the pool's epoch when the arrays were attached to its helpers (−1: not attached) */
  private attached = -1;

  /**
   * `arrays`: the kernels' arrays; `shared`: whether they are all on SharedArrayBuffers (`shareArray`,
   * `sharedFloat64`) for the helpers (else every chunk runs on the calling thread).
   */
  constructor(readonly arrays: RowArrays, owner: object, readonly shared: boolean) {
    this.id = (nextAttachId++ % 0x7fffffff) + 1;
    if (shared) {
      void startRowThreads();
      detach.register(owner, this.id);
    }
  }

  /** the threads a job uses now (the dense kernels' setting; 1 when the arrays are not shared) */
  get threads(): number {
    return this.shared ? rowThreadsWanted() : 1;
  }

  /** the pool, once its helpers run (attaching the arrays on first use), else null */
  private ready(): Pool | null {
    if (this.threads < 2 || !pool || Atomics.load(pool.ctrl, READY) === 0) return null;
    if (this.attached !== pool.epoch) {
      let bytes = 0;
      for (const v of Object.values(this.arrays)) {
        if (!onSharedMemory(v)) throw new Error('internal: a row kernel array is not on a SharedArrayBuffer');
        bytes += v.byteLength;
      }
      this.attached = pool.epoch;
      pool.bytes.set(this.id, bytes);
      for (const h of pool.helpers) h.postMessage({ type: 'attach', id: this.id, arrays: this.arrays });
      pool.posted += pool.helpers.length;
    }
    return pool;
  }

  /** Runs kernel `k` on chunks [0, chunks): shared with the helpers where there are, else here. */
  run(k: number, chunks: number): void {
    const fn = registry[k].fn;
    const p = chunks > 1 ? this.ready() : null;
    if (!p) {
      for (let c = 0; c < chunks; c++) fn(this.arrays, c);
      return;
    }
    if (chunks > MAX_JOB_CHUNKS) throw new Error(`internal: a row job of ${chunks} chunks (at most ${MAX_JOB_CHUNKS})`);
    sharedChunks += chunks;
    const { ctrl } = p;
    // a helper takes the arrays from a message, handled while it waits for a job: until every helper
    // has them (at most ATTACH_WAIT_MS), a job would find helpers without them (the caller's share grows)
    const t0 = performance.now();
    for (let a = Atomics.load(ctrl, ACKS); a < p.posted && performance.now() - t0 < ATTACH_WAIT_MS; a = Atomics.load(ctrl, ACKS)) {
      Atomics.wait(ctrl, ACKS, a, 0.2);
    }
    p.seq = (p.seq + 1) & 0x3ff;
    // the new job's claim word with no chunk left while its parameters are written: a helper that
    // read the previous job's word fails its compare-exchange, one that reads this one claims nothing
    Atomics.store(ctrl, CLAIM, (p.seq << 20) | NEXT_MASK);
    Atomics.store(ctrl, CHUNKS, chunks);
    Atomics.store(ctrl, ATTACH, this.id);
    Atomics.store(ctrl, KERNEL, k);
    Atomics.store(ctrl, HELPERS, this.threads - 1);
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, CLAIM, p.seq << 20);
    Atomics.add(ctrl, GEN, 1);
    Atomics.notify(ctrl, GEN);
    // the caller claims chunks like any helper
    for (;;) {
      const w = Atomics.load(ctrl, CLAIM);
      const next = w & NEXT_MASK;
      if (next >= chunks) break;
      if (Atomics.compareExchange(ctrl, CLAIM, w, w + 1) !== w) continue;
      fn(this.arrays, next);
      Atomics.add(ctrl, DONE, 1);
    }
    // then waits for the chunks the helpers claimed
    for (let d = Atomics.load(ctrl, DONE), spins = 0; d < chunks; d = Atomics.load(ctrl, DONE)) {
      if (++spins > 2000) Atomics.wait(ctrl, DONE, d, 1);
    }
    if (Atomics.load(ctrl, ERROR)) {
      Atomics.store(ctrl, ERROR, 0);
      throw new Error('a row-kernel thread failed');
    }
  }
}
