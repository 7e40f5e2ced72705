/**
 * What a pass needs of each batch, kept between passes within a byte budget: the first pass over
 * the source evaluates each batch and keeps its compact form (typed arrays) while the total stays
 * within `cacheBytes`; later passes replay the kept batches (the first K, in order) and read only
 * the rows after them from the source (BatchSource.batchesFrom where it can skip, else reading and
 * dropping the first rows). The rows reach the pass in the same order with the same doubles, so a
 * fit is the same to the last bit with or without the cache. Memory: at most `cacheBytes` plus one
 * batch. Browser-safe.
 */
import { OptionError } from '../../errors/errors.js';
import type { Batch, BatchSource } from './batch.js';

/**
 * The default budget: 256 MiB, within what a browser tab's worker can hold beside the fit
 * (demo/src/stream.ts streams files of several GB there); 0 keeps nothing.
 */
export const DEFAULT_CACHE_BYTES = 256 * 2 ** 20;

/** The `cacheBytes` option checked: a whole number of bytes ≥ 0 (Infinity: no limit). */
export function cacheBudget(cacheBytes: unknown): number {
  if (cacheBytes === undefined) return DEFAULT_CACHE_BYTES;
  if (typeof cacheBytes !== 'number' || Number.isNaN(cacheBytes) || cacheBytes < 0 || (Number.isFinite(cacheBytes) && !Number.isInteger(cacheBytes))) {
    throw new OptionError('cacheBytes', `cacheBytes must be a whole number of bytes, 0 or more (0: keep no batches between passes); got ${typeof cacheBytes === 'number' ? cacheBytes : JSON.stringify(cacheBytes)}`);
  }
  return cacheBytes;
}

/** A typed array that owns its buffer (a view into a larger buffer, a row group's, would keep all of it alive). */
export function owned<A extends Float64Array | Int32Array | Uint8Array>(a: A): A {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : (a.slice() as A);
}

/**
 * The rows a fit's passes took, counted where they come from: `read`, every row the source handed
 * out (batchesFrom below; a source that cannot skip hands out the rows before a later pass's start
 * too, read and dropped, and they count); `replayed`, the rows of the batches a BatchCache kept,
 * handed out again from memory. A fit's cached passes share one (the Gram passes', the residuals',
 * the GLMM's), so that nested caches (the GLMM's first pass replaying the Gram passes' frames) count
 * each row once. Read + replayed, less the rows read and dropped, are the rows the passes processed.
 */
export class PassRows {
  read = 0;
  replayed = 0;
}

/** The rows of a source from row `from` on, in the batches a whole pass gives them in; `rows.read` counts what the source hands out. */
export async function* batchesFrom(source: BatchSource, columns: string[], batchSize: number, from: number, rows?: PassRows): AsyncIterable<Batch> {
  const counted = async function* (it: AsyncIterable<Batch>): AsyncIterable<Batch> {
    for await (const b of it) { if (rows) rows.read += b.n; yield b; }
  };
  if (from === 0) { yield* counted(source.batches(columns, batchSize)); return; }
  if (source.batchesFrom) { yield* counted(source.batchesFrom(columns, batchSize, from)); return; }
  let row = 0;
  for await (const b of counted(source.batches(columns, batchSize))) {
    if (row >= from) { yield b; continue; }
    row += b.n;
    if (row > from) throw new Error(`internal: ${source.name}'s batches changed between the passes (row ${from} inside a batch)`);
  }
}

/** How a pass's item is kept: its compact form, that form's bytes, and the item again from it. */
export interface BatchCodec<T, S> {
  /** rows of the item */
  rows(t: T): number;
  keep(t: T): S;
  bytes(s: S): number;
  load(s: S): T;
}

export class BatchCache<T, S = T> {
  private kept: (S | undefined)[] = [];
  private keptRows = 0;
  private used = 0;
  /** a first pass has run to its end */
  private filled = false;
  /** every batch of that pass is kept */
  private whole = false;
  /** passes that read the source (for tests and the queries' log) */
  sourcePasses = 0;

  /** `rows`: where the replayed rows are counted (the source's rows are counted by `read`, through batchesFrom) */
  constructor(readonly budget: number, private readonly codec: BatchCodec<T, S>, readonly rows: PassRows = new PassRows()) {}

  /** the bytes kept */
  get bytes(): number { return this.used; }
  /** the batches kept */
  get batches(): number { return this.kept.length; }

  /**
   * One pass: the kept items, then `read(from)`'s (the source's rows from `from` on, evaluated).
   * The first pass keeps its items in order while they fit; `release`: each kept item is let go
   * once handed out, and the cache is empty after the pass (its last use).
   */
  async *pass(read: (from: number) => AsyncIterable<T>, release = false): AsyncIterable<T> {
    if (!this.filled) {
      this.kept = [];
      this.used = this.keptRows = 0;
      let keeping = this.budget > 0 && !release;
      this.sourcePasses++;
      for await (const t of read(0)) {
        if (keeping) {
          const s = this.codec.keep(t);
          const b = this.codec.bytes(s);
          if (this.used + b <= this.budget) { this.kept.push(s); this.used += b; this.keptRows += this.codec.rows(t); } else keeping = false;
        }
        yield t;
      }
      this.filled = true;
      this.whole = keeping;
      if (release) this.clear();
      return;
    }
    for (let k = 0; k < this.kept.length; k++) {
      const s = this.kept[k]!;
      if (release) { this.kept[k] = undefined; this.used -= this.codec.bytes(s); }
      const t = this.codec.load(s);
      this.rows.replayed += this.codec.rows(t);
      yield t;
    }
    if (!this.whole) { this.sourcePasses++; yield* read(this.keptRows); }
    if (release) this.clear();
  }

  /** lets every kept batch go; a later pass reads the whole source again (and keeps again) */
  clear(): void {
    this.kept = [];
    this.used = this.keptRows = 0;
    this.filled = this.whole = false;
  }
}
