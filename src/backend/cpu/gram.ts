/**
 * CPU backend: forms the blocked Gram matrix A = [Z X y]ᵀ[Z X y] in one pass over the data, in
 * float64 (see src/linalg/gram.ts for the layout).
 */
import { type BlockSparse, type GramInput, type GramMatrix, type GramRowsBlock, markFormedFrom, patternFromKeys } from '../../linalg/gram.js';
import { crossProducts } from '../../model/crossProducts.js';
import type { LmmModel } from '../../lmm/model.js';
import { knownCovarianceGram } from '../../relmat/gram.js';
import { levelsArray } from '../../linalg/firstBlock.js';
import { RowJobs, type RowArrays, onSharedMemory, registerRowKernel, sharedFloat64, sharedInt32 } from '../../linalg/rowThreads.js';
import { helpersFor } from '../../linalg/rowChunks.js';

/** Stage: the Gram matrix of an LMM on the CPU, from its rows (src/lmm/model.ts: Z M, the centred X and y − Xβ₀). */
export function formGram(model: { rows: GramInput }): GramMatrix {
  return formGramCpu(model.rows);
}

/**
 * The A a fit's float64 reference factors: formGram's, with known covariances (relmat) transformed by
 * their factors (src/relmat/gram.ts). Also how the reference forms it again (Float64Reference.gramAgain:
 * a closure over the model alone).
 */
export function referenceGram(model: Pick<LmmModel, 'rows' | 'known'>): GramMatrix {
  return knownCovarianceGram(formGram(model), model.known);
}

export function formGramCpu(rows: GramInput): GramMatrix {
  const { n, X, p, y, blocks } = rows;
  const p1 = p + 1;
  const K = blocks.length;
  const cols: Float64Array[] = [];
  for (let r = 0; r < p; r++) cols.push(X.subarray(r * n, r * n + n));
  cols.push(y);
  const AXX = crossProducts(cols, n);
  const Akk: Float64Array[] = [];
  const AXk: Float64Array[] = [];
  for (const b of blocks) {
    const { Akk: akk, AXk: axk } = levelBlocks(b, rows, cols);
    Akk.push(akk);
    AXk.push(axk);
  }
  // yᵀy, summed in row order as crossProducts sums it
  const yty = AXX[p1 * p1 - 1];
  const Ajk: BlockSparse[][] = blocks.map(() => []);
  for (let j = 1; j < K; j++) for (let k = 0; k < j; k++) Ajk[j][k] = crossBlock(n, blocks[j], blocks[k]);
  const gram: GramMatrix = { n, p, blocks, Akk, Ajk, AXk, AXX, yty };
  markFormedFrom(gram, rows);
  return gram;
}

/** Rows whose records are touched ahead (levelRows). */
const TOUCH = 32;
/** Where the touched values go (so that the reads are not optimized away). */
let touchSink = 0;

/**
 * Adds rows [from, to) of one block to its level records: each row i to the record of its level
 * codes[i], acc[codes[i]·R …] (R = q² + q·p1) = [Z_gᵀZ_g (lower, row-major q × q) | Z_gᵀ[X y]
 * (q rows of p1)], i.e. Z_gᵀZ_g += z_i z_iᵀ and Z_gᵀ[X y] += z_i [x_i y_i] (cols: X's columns then y,
 * Z: n × q row-major). A row touches one or two cache lines rather than p + 2 places far apart.
 *
 * Each record's sums are taken in the order of the rows given: the threaded pass below gives every
 * level its rows in the order of the data, so that its sums are those of one pass over all rows.
 * `touch`: rows in a random order of levels miss the cache at each record; every TOUCH rows the next
 * TOUCH records are read first, so that their misses overlap instead of coming one at a time (the sums
 * are unchanged). Returns the touched values' sum (for a sink, so that the reads stay).
 */
function levelRows(codes: Int32Array, Z: Float64Array, cols: Float64Array[], q: number, acc: Float64Array, from: number, to: number, touch: boolean): number {
  const p1 = cols.length;
  const qq = q * q;
  const R = qq + q * p1;
  let touched = 0;
  if (q === 1) {
    for (let i = from; i < to; i++) {
      if (touch && (i - from) % TOUCH === 0) { const e = Math.min(to, i + TOUCH); for (let k = i; k < e; k++) touched += acc[codes[k] * R]; }
      const o = codes[i] * R;
      const z = Z[i];
      acc[o] += z * z;
      for (let r = 0; r < p1; r++) acc[o + 1 + r] += z * cols[r][i];
    }
  } else if (q === 2) {
    for (let i = from; i < to; i++) {
      if (touch && (i - from) % TOUCH === 0) { const e = Math.min(to, i + TOUCH); for (let k = i; k < e; k++) touched += acc[codes[k] * R]; }
      const o = codes[i] * R;
      const z0 = Z[2 * i], z1 = Z[2 * i + 1];
      acc[o] += z0 * z0;
      acc[o + 2] += z1 * z0;
      acc[o + 3] += z1 * z1;
      for (let r = 0; r < p1; r++) {
        const v = cols[r][i];
        acc[o + 4 + r] += z0 * v;
        acc[o + 4 + p1 + r] += z1 * v;
      }
    }
  } else {
    const xy = new Float64Array(p1);
    for (let i = from; i < to; i++) {
      if (touch && (i - from) % TOUCH === 0) { const e = Math.min(to, i + TOUCH); for (let k = i; k < e; k++) touched += acc[codes[k] * R]; }
      const o = codes[i] * R;
      const zo = i * q;
      for (let r = 0; r < p1; r++) xy[r] = cols[r][i];
      for (let s = 0; s < q; s++) {
        const zs = Z[zo + s];
        for (let t = 0; t <= s; t++) acc[o + s * q + t] += zs * Z[zo + t];
        const xo = o + qq + s * p1;
        for (let r = 0; r < p1; r++) acc[xo + r] += zs * xy[r];
      }
    }
  }
  return touched;
}

/**
 * A_kk (per level Z_gᵀZ_g) and A_Xk ([X y]ᵀZ_k) of one block: the level records (levelRows) over all
 * rows — on the row threads where there are (levelRowsThreaded), else in one pass — transposed into
 * place at the end. Both give every level's sums in row order: the same bits.
 */
function levelBlocks(b: GramRowsBlock, rows: GramInput, cols: Float64Array[]): { Akk: Float64Array; AXk: Float64Array } {
  const { q, nl } = b;
  const n = rows.n;
  const p1 = cols.length;
  const qq = q * q;
  const R = qq + q * p1;
  const jobs = n >= THREAD_MIN_ROWS ? blockJobs(rows, b) : null;
  let acc: Float64Array;
  if (jobs && jobs.jobs.threads > 1) {
    acc = levelRowsThreaded(jobs, n);
  } else {
    acc = new Float64Array(nl * R);
    touchSink = levelRows(b.codes, b.Z, cols, q, acc, 0, n, true);
  }
  // on shared memory for a block of many levels (the first block's factorization on the row threads)
  const Akk = levelsArray(nl, nl * qq);
  const m = nl * q;
  const AXk = levelsArray(nl, p1 * m);
  for (let c = 0; c < nl; c++) {
    const o = c * R;
    for (let s = 0; s < q; s++) {
      for (let t = 0; t <= s; t++) {
        const v = acc[o + s * q + t];
        Akk[c * qq + s * q + t] = v;
        Akk[c * qq + t * q + s] = v;
      }
      for (let r = 0; r < p1; r++) AXk[r * m + c * q + s] = acc[o + qq + s * p1 + r];
    }
  }
  return { Akk, AXk };
}

// ---------------------------------------------------------------------------------------------
// The level records on the row threads (src/linalg/rowThreads.ts).
//
// A level's sums must take its rows in row order (then they are bit-identical to one pass's), and two
// threads must never add to one record. So the rows are split by level, not by position:
// - clustered rows (each level's rows contiguous, e.g. sorted by group): the rows in chunks whose
//   bounds fall between levels, each chunk one pass (levelRows) over its rows;
// - otherwise by buckets of levels (bucket = ⌊level · C / nl⌋, C buckets whose records fit in a
//   core's cache), SUPER_ROWS rows at a time: the rows' values copied into bucket order, keeping the
//   rows' order within a bucket (a counting sort: each SUB_ROWS piece counts its rows per bucket,
//   the counts give every piece its place in every bucket, then each piece copies its rows there),
//   then each bucket one pass over its copied rows, its records in cache.
// The chunks and buckets only change which thread adds a row, never the order of a level's additions.

/** Rows from which the Gram pass uses the row threads. */
const THREAD_MIN_ROWS = 1 << 17;
/** Rows copied into bucket order at a time (the size of the bucketed copy, kept with the model). */
const SUPER_ROWS = 1 << 18;
/** Rows per piece of the counting sort's jobs (SUPER_ROWS is a multiple). */
const SUB_ROWS = 1 << 14;
/** Bytes of level records per bucket: they stay in a core's cache while its rows are added. */
const BUCKET_BYTES = 256 * 1024;
/** Chunks of clustered rows, at least (they differ in cost: claimed one at a time by the threads). */
const MIN_CHUNKS = 128;
/** Buckets, at least (as chunks; more buckets, more places the copy writes to at once). */
const MIN_BUCKETS = 64;

// the kernels' parameters (a Float64Array): rows, q, p + 1, buckets, the super-chunk [S0, S1), a sink
const P_N = 0, P_Q = 1, P_P1 = 2, P_C = 3, P_S0 = 4, P_S1 = 5, P_SINK = 6;
const PARAMS = 7;
/** what the helpers' copies of the kernels refer to */
const PRELUDE = `const TOUCH = ${TOUCH}, SUB_ROWS = ${SUB_ROWS}, P_N = ${P_N}, P_Q = ${P_Q}, P_P1 = ${P_P1}, P_C = ${P_C}, P_S0 = ${P_S0}, P_S1 = ${P_S1}, P_SINK = ${P_SINK};
${levelRows.toString()}`;

/** X's p columns and y, as the kernels see them */
function rowColumns(A: RowArrays): Float64Array[] {
  const P = A.params as Float64Array;
  const n = P[P_N], p1 = P[P_P1];
  const X = A.X as Float64Array;
  const cols: Float64Array[] = [];
  for (let r = 0; r < p1 - 1; r++) cols.push(X.subarray(r * n, r * n + n));
  cols.push(A.y as Float64Array);
  return cols;
}

/** Kernel: one clustered chunk, rows [bounds[c], bounds[c + 1]), into acc. */
function clusteredChunk(A: RowArrays, c: number): void {
  const P = A.params as Float64Array;
  const bounds = A.bounds as Int32Array;
  P[P_SINK] = levelRows(A.codes as Int32Array, A.Z as Float64Array, rowColumns(A), P[P_Q], A.acc as Float64Array, bounds[c], bounds[c + 1], true);
}

/** Kernel: piece c of the super-chunk [S0, S1): its rows per bucket into counts[c · C …]. */
function countPiece(A: RowArrays, c: number): void {
  const P = A.params as Float64Array;
  const C = P[P_C];
  const codes = A.codes as Int32Array, bucketOf = A.bucketOf as Int32Array, counts = A.counts as Int32Array;
  const o = c * C;
  for (let b = 0; b < C; b++) counts[o + b] = 0;
  const from = P[P_S0] + c * SUB_ROWS, to = Math.min(P[P_S1], from + SUB_ROWS);
  for (let i = from; i < to; i++) counts[o + bucketOf[codes[i]]]++;
}

/** Kernel: piece c's rows copied to their places in bucket order (counts[c · C + b]: the next place in bucket b). */
function copyPiece(A: RowArrays, c: number): void {
  const P = A.params as Float64Array;
  const n = P[P_N], q = P[P_Q], p1 = P[P_P1], C = P[P_C];
  const codes = A.codes as Int32Array, bucketOf = A.bucketOf as Int32Array, counts = A.counts as Int32Array;
  const Z = A.Z as Float64Array, X = A.X as Float64Array, y = A.y as Float64Array;
  const bCodes = A.bCodes as Int32Array, bZ = A.bZ as Float64Array, bX = A.bX as Float64Array;
  const m = bCodes.length;
  const o = c * C;
  const from = P[P_S0] + c * SUB_ROWS, to = Math.min(P[P_S1], from + SUB_ROWS);
  for (let i = from; i < to; i++) {
    const l = codes[i];
    const j = counts[o + bucketOf[l]]++;
    bCodes[j] = l;
    for (let s = 0; s < q; s++) bZ[j * q + s] = Z[i * q + s];
    for (let r = 0; r < p1 - 1; r++) bX[r * m + j] = X[r * n + i];
    bX[(p1 - 1) * m + j] = y[i];
  }
}

/** Kernel: bucket c's copied rows, [starts[c], starts[c + 1]), into acc. */
function bucketChunk(A: RowArrays, c: number): void {
  const P = A.params as Float64Array;
  const p1 = P[P_P1];
  const bX = A.bX as Float64Array;
  const m = (A.bCodes as Int32Array).length;
  const cols: Float64Array[] = [];
  for (let r = 0; r < p1; r++) cols.push(bX.subarray(r * m, r * m + m));
  const starts = A.starts as Int32Array;
  levelRows(A.bCodes as Int32Array, A.bZ as Float64Array, cols, P[P_Q], A.acc as Float64Array, starts[c], starts[c + 1], false);
}

const CLUSTERED = registerRowKernel('gramClustered', clusteredChunk, `${PRELUDE}\n${rowColumns.toString()}`);
const COUNT = registerRowKernel('gramCount', countPiece, PRELUDE);
const COPY = registerRowKernel('gramCopy', copyPiece, PRELUDE);
const BUCKET = registerRowKernel('gramBucket', bucketChunk, PRELUDE);

/** A block's row jobs: the rows' arrays, the records, and the clustered chunks or the buckets. */
interface BlockJobs { jobs: RowJobs; bounds: Int32Array | null }

/** Each model's row jobs per block (attached to the threads once, while the model's rows live). */
const jobsOf = new WeakMap<GramInput, Map<GramRowsBlock, BlockJobs>>();

/**
 * The row jobs of block b of `rows`, or null when the helpers are not for this pass (helpersFor: not
 * started, and the rows too few to start them) or the rows' arrays are not all on SharedArrayBuffers
 * (the model frame allocates them there where there is shared memory; they are not copied).
 */
function blockJobs(rows: GramInput, b: GramRowsBlock): BlockJobs | null {
  const own = [b.codes, b.Z, rows.X, rows.y];
  if (!helpersFor(rows.n) || !own.every(onSharedMemory)) return null;
  let m = jobsOf.get(rows);
  if (!m) jobsOf.set(rows, (m = new Map()));
  const found = m.get(b);
  if (found) return found;
  const { n } = rows, { q, nl } = b;
  const p1 = rows.p + 1;
  const R = q * q + q * p1;
  const params = sharedFloat64(PARAMS);
  params.set([n, q, p1]);
  const arrays: RowArrays = { codes: b.codes, Z: b.Z, X: rows.X, y: rows.y, params, acc: sharedFloat64(nl * R) };
  const bounds = clusteredBounds(b.codes, nl, MIN_CHUNKS);
  if (bounds) {
    arrays.bounds = bounds;
  } else {
    const C = Math.min(nl, Math.max(MIN_BUCKETS, Math.ceil((nl * R * 8) / BUCKET_BYTES)));
    params[P_C] = C;
    const bucketOf = sharedInt32(nl);
    for (let l = 0; l < nl; l++) bucketOf[l] = Math.floor((l * C) / nl);
    const s = Math.min(n, SUPER_ROWS);
    Object.assign(arrays, {
      bucketOf, counts: sharedInt32(Math.ceil(s / SUB_ROWS) * C), starts: sharedInt32(C + 1),
      bCodes: sharedInt32(s), bZ: sharedFloat64(s * q), bX: sharedFloat64(s * p1),
    });
  }
  const entry = { jobs: new RowJobs(arrays, rows, true), bounds };
  m.set(b, entry);
  return entry;
}

/** The level records of a block on the row threads (see above): its jobs' acc (nl · R). */
function levelRowsThreaded({ jobs, bounds }: BlockJobs, n: number): Float64Array {
  const A = jobs.arrays;
  const acc = A.acc as Float64Array;
  acc.fill(0);
  if (bounds) {
    jobs.run(CLUSTERED, bounds.length - 1);
    return acc;
  }
  const P = A.params as Float64Array;
  const C = P[P_C];
  const counts = A.counts as Int32Array, starts = A.starts as Int32Array;
  for (let s0 = 0; s0 < n; s0 += SUPER_ROWS) {
    const s1 = Math.min(n, s0 + SUPER_ROWS);
    const k = Math.ceil((s1 - s0) / SUB_ROWS);
    P[P_S0] = s0;
    P[P_S1] = s1;
    jobs.run(COUNT, k);
    // every piece's place in every bucket: the buckets in order, within a bucket the pieces in order
    let at = 0;
    for (let c = 0; c < C; c++) {
      starts[c] = at;
      for (let t = 0; t < k; t++) {
        const v = counts[t * C + c];
        counts[t * C + c] = at;
        at += v;
      }
    }
    starts[C] = at;
    jobs.run(COPY, k);
    jobs.run(BUCKET, C);
  }
  return acc;
}

/**
 * Chunk bounds for clustered rows: about `chunks` chunks, each bound moved forward to where the level
 * changes; null when some level's rows are not all in one chunk (then the bucketed pass).
 */
export function clusteredBounds(codes: Int32Array, nl: number, chunks: number): Int32Array | null {
  const n = codes.length;
  const size = Math.ceil(n / chunks);
  const b: number[] = [0];
  for (let i = size; i < n; i = b[b.length - 1] + size) {
    let j = i;
    while (j < n && codes[j] === codes[j - 1]) j++;
    if (j >= n) break;
    b.push(j);
  }
  b.push(n);
  // each level seen in one chunk only
  const chunkOf = new Int32Array(nl).fill(-1);
  for (let c = 0; c + 1 < b.length; c++) {
    for (let i = b[c], prev = -1; i < b[c + 1]; i++) {
      const l = codes[i];
      if (l === prev) continue;
      prev = l;
      const was = chunkOf[l];
      if (was === c) continue;
      if (was !== -1) return null;
      chunkOf[l] = c;
    }
  }
  const out = sharedInt32(b.length);
  out.set(b);
  return out;
}

/** A_jk = Z_jᵀ Z_k as a block-sparse matrix over the pairs of levels that occur together. */
export function crossBlock(n: number, bj: GramRowsBlock, bk: GramRowsBlock): BlockSparse {
  const nrow = bj.nl;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = bk.codes[i] * nrow + bj.codes[i];
  const pattern = patternFromKeys(keys, nrow, bk.nl);
  const qr = bj.q;
  const qc = bk.q;
  const values = new Float64Array(pattern.rowIdx.length * qr * qc);
  // position of each (col, row) pair: columns are sorted, so search within the column
  for (let i = 0; i < n; i++) {
    const col = bk.codes[i];
    const row = bj.codes[i];
    let e = pattern.colPtr[col];
    const end = pattern.colPtr[col + 1];
    // columns are short for typical designs; fall back to binary search when long
    if (end - e > 16) {
      let lo = e, hi = end - 1;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (pattern.rowIdx[mid] < row) lo = mid + 1; else hi = mid; }
      e = lo;
    } else {
      while (pattern.rowIdx[e] !== row) e++;
    }
    const vo = e * qr * qc;
    for (let s = 0; s < qr; s++) {
      const zs = bj.Z[i * qr + s];
      for (let t = 0; t < qc; t++) values[vo + s * qc + t] += zs * bk.Z[i * qc + t];
    }
  }
  return { pattern, qr, qc, values };
}
