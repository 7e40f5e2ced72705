/**
 * The model frame's and the LMM's row passes as row jobs (src/linalg/rowThreads.ts): the NA marks,
 * X's assembly and the TSQR (src/frame), the fixed-effects transform (src/model/fixedTransform.ts),
 * the random-effects terms' Z and their centring (src/frame/modelFrame.ts, src/model/reparam.ts).
 *
 * A pass's chunks are FRAME_CHUNK rows (or a power-of-two multiple where a chunk keeps a matrix of
 * partial sums: chunkRows), fixed by the data alone; partial sums are combined by the caller in
 * chunk order. So one thread or sixteen compute the same numbers; a pass of one chunk computes what
 * the plain loop over the rows did. The arrays a pass works on are allocated on SharedArrayBuffers
 * where there is shared memory and the rows fill two chunks (rowFloat64, rowInt32), so that the
 * helpers, and the Gram pass after the frame, use them without a copy.
 */
import { sharedMemoryAvailable } from './denseThreads.js';
import { RowJobs, type RowArrays, onSharedMemory, rowThreadsReady, rowThreadsStarted, rowThreadsWanted, shareArray, sharedFloat64, sharedInt32 } from './rowThreads.js';

/** Rows per chunk of a frame pass (as PIRLS's, src/glmm/rowPass.ts ROW_CHUNK). */
export const FRAME_CHUNK = 8192;

/** Rows from which the frame's row arrays live on SharedArrayBuffers: a pass of two chunks can be split. */
export const SHARED_ROWS = 2 * FRAME_CHUNK;

/**
 * Rows from which a fit waits for the helpers before its frame and a frame's passes start them: a
 * smaller frame takes less time than their start (InstEval's 73,421 rows: ~0.06 s against ~0.08 s),
 * and its passes use them only if they run already.
 */
const AWAIT_ROWS = 1 << 19;

/** The most partial sums a pass keeps over all its chunks (chunkRows: 32 MiB of float64). */
const MAX_PARTIALS = 1 << 22;

/** Whether the row arrays of `rows` rows go on SharedArrayBuffers. */
function shareRows(rows: number): boolean {
  return rows >= SHARED_ROWS && sharedMemoryAvailable();
}

/** A Float64Array of `size` entries for a pass over `rows` rows: shared where shareRows says. */
export function rowFloat64(size: number, rows = size): Float64Array {
  return shareRows(rows) ? sharedFloat64(size) : new Float64Array(size);
}

/** An Int32Array of `size` entries for a pass over `rows` rows: shared where shareRows says. */
export function rowInt32(size: number, rows = size): Int32Array {
  return shareRows(rows) ? sharedInt32(size) : new Int32Array(size);
}

/** `a` on shared memory where rows are (a copy when it is not there yet), else `a`. */
export function rowShare<T extends Float64Array | Int32Array>(a: T, rows = a.length): T {
  return shareRows(rows) ? shareArray(a) : a;
}

/**
 * Rows per chunk of a pass over n rows whose chunks keep `perChunk` partial sums each: FRAME_CHUNK,
 * doubled while the chunks' partials would pass MAX_PARTIALS (at least 16 chunks' worth are kept). A
 * function of n and the pass's shape alone, never of the threads.
 */
export function chunkRows(n: number, perChunk = 0): number {
  let rows = FRAME_CHUNK;
  if (perChunk > 0) {
    const maxChunks = Math.max(16, Math.floor(MAX_PARTIALS / perChunk));
    while (Math.ceil(n / rows) > maxChunks) rows *= 2;
  }
  return rows;
}

/**
 * Whether row jobs over arrays of up to `length` entries share their chunks with the helpers: more
 * than one thread wanted, and the helpers started already or the work large enough to start them (a
 * small pass does not: their start costs more than it, AWAIT_ROWS). The frame's passes, the Gram
 * pass (src/backend/cpu/gram.ts) and the first block's (src/linalg/firstBlock.ts) ask it.
 */
export function helpersFor(length: number): boolean {
  return rowThreadsWanted() > 1 && (length >= AWAIT_ROWS || rowThreadsStarted());
}

/**
 * Row jobs on `arrays`: shared with the helpers where helpersFor their longest array says so and every
 * array is on a SharedArrayBuffer, else every chunk on the calling thread (the same chunks). The
 * helpers hold the arrays until `owner` is collected.
 */
export function rowJobs(arrays: RowArrays, owner: object): RowJobs {
  const all = Object.values(arrays);
  const shared = helpersFor(Math.max(0, ...all.map((a) => a.length))) && all.every(onSharedMemory);
  return new RowJobs(arrays, owner, shared);
}


/**
 * Resolves when the row threads' helpers run, where the frame of `rows` input rows would share its
 * passes with them and is large (AWAIT_ROWS; else at once): a fit awaits it before its frame, so that
 * the first passes are split too (the first fit of a process waits for the helpers' start).
 */
export async function rowPassesReady(rows: number): Promise<void> {
  if (rows >= AWAIT_ROWS && shareRows(rows) && rowThreadsWanted() > 1) await rowThreadsReady();
}

