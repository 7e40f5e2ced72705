/**
 * The model frame's passes over the rows as row jobs (src/linalg/rowChunks.ts): na.omit's marks
 * (which rows have a missing value, which columns an infinite one) and the copies of the model
 * matrices' columns into X (n × p, column-major) and a term's Z (n × q, row-major), and the
 * intercept's column. Chunks of FRAME_CHUNK rows; each chunk writes only its own rows and its own
 * counts, so the results do not depend on the threads.
 */
import { FRAME_CHUNK, rowFloat64, rowInt32, rowJobs } from '../linalg/rowChunks.js';
import { type RowArrays, registerRowKernel, sharedFloat64 } from '../linalg/rowThreads.js';

/**
 * Chunk c of the marks: ok[i] = 1 where rows i of the numeric columns v0…v(nv−1) are not NaN and the
 * factor codes f0…f(nf−1) not negative, else 0; naInf[c nv + k] = 1 where column vk is ±Inf in the
 * chunk; naKept[c] the chunk's rows kept. naParams = [rows per chunk, nv, nf].
 */
export function naMarksChunk(A: RowArrays, c: number): void {
  const P = A.naParams as Float64Array;
  const ok = A.ok as Int32Array;
  const n = ok.length, nv = P[1], nf = P[2], i0 = c * P[0], i1 = Math.min(n, i0 + P[0]);
  for (let i = i0; i < i1; i++) ok[i] = 1;
  const inf = A.naInf as Float64Array;
  for (let k = 0; k < nv; k++) {
    const v = A[`v${k}`] as Float64Array;
    let any = 0;
    for (let i = i0; i < i1; i++) {
      const x = v[i];
      if (x !== x) ok[i] = 0;
      else if (x === Infinity || x === -Infinity) any = 1;
    }
    inf[c * nv + k] = any;
  }
  for (let k = 0; k < nf; k++) {
    const f = A[`f${k}`] as Int32Array;
    for (let i = i0; i < i1; i++) if (f[i] < 0) ok[i] = 0;
  }
  let kept = 0;
  for (let i = i0; i < i1; i++) kept += ok[i];
  (A.naKept as Float64Array)[c] = kept;
}

/**
 * Chunk c of a copy of columns c0…c(k−1) (n rows each) into `out`: column-major (out[j n + i],
 * cpParams[2] = 0) or row-major (out[i k + j], cpParams[2] = 1). cpParams = [n, k, layout, rows per chunk].
 */
export function copyColumnsChunk(A: RowArrays, c: number): void {
  const P = A.cpParams as Float64Array;
  const n = P[0], k = P[1], i0 = c * P[3], i1 = Math.min(n, i0 + P[3]);
  const out = A.out as Float64Array;
  for (let j = 0; j < k; j++) {
    const col = A[`c${j}`] as Float64Array;
    if (P[2] === 0) out.set(col.subarray(i0, i1), j * n + i0);
    else for (let i = i0; i < i1; i++) out[i * k + j] = col[i];
  }
}

/** Chunk c of a constant column: out[i] = fParams[2] on the chunk's rows. fParams = [n, rows per chunk, value]. */
export function fillChunk(A: RowArrays, c: number): void {
  const P = A.fParams as Float64Array;
  const i0 = c * P[1];
  (A.out as Float64Array).fill(P[2], i0, Math.min(P[0], i0 + P[1]));
}

const NA_MARKS = registerRowKernel('naMarks', naMarksChunk);
const FILL = registerRowKernel('fill', fillChunk);
const COPY_COLUMNS = registerRowKernel('copyColumns', copyColumnsChunk);

/** The marks of missing values over nInput rows (the kernels' chunks are FRAME_CHUNK rows). */
export interface RowMarks {
  /** 1 for a row whose every marked variable is present, else 0 */
  ok: Int32Array;
  /** the rows kept */
  kept: number;
  /** the numeric columns with an infinite value (in any row) */
  infinite: Set<Float64Array>;
}

/** na.omit's marks over the numeric columns (NaN is missing) and the factors' codes (−1 is missing). */
export function markMissing(nInput: number, numeric: Float64Array[], factors: Int32Array[]): RowMarks {
  const chunks = Math.ceil(nInput / FRAME_CHUNK);
  const ok = rowInt32(nInput);
  const arrays: RowArrays = { ok, naParams: sharedFloat64(3), naInf: sharedFloat64(chunks * numeric.length), naKept: sharedFloat64(chunks) };
  (arrays.naParams as Float64Array).set([FRAME_CHUNK, numeric.length, factors.length]);
  numeric.forEach((v, k) => { arrays[`v${k}`] = v; });
  factors.forEach((f, k) => { arrays[`f${k}`] = f; });
  const marks: RowMarks = { ok, kept: 0, infinite: new Set() };
  rowJobs(arrays, marks).run(NA_MARKS, chunks);
  const inf = arrays.naInf as Float64Array, keptIn = arrays.naKept as Float64Array;
  for (let c = 0; c < chunks; c++) marks.kept += keptIn[c];
  numeric.forEach((v, k) => {
    for (let c = 0; c < chunks; c++) if (inf[c * numeric.length + k]) { marks.infinite.add(v); break; }
  });
  return marks;
}

/** The columns (n rows each) side by side: column-major (X) or row-major (a term's Z), on shared memory where rows are. */
export function columnsMatrix(columns: Float64Array[], n: number, layout: 'columns' | 'rows'): Float64Array {
  const k = columns.length;
  const out = rowFloat64(n * k, n);
  if (k === 0 || n === 0) return out;
  const arrays: RowArrays = { out, cpParams: sharedFloat64(4) };
  (arrays.cpParams as Float64Array).set([n, k, layout === 'columns' ? 0 : 1, FRAME_CHUNK]);
  columns.forEach((col, j) => { arrays[`c${j}`] = col; });
  rowJobs(arrays, out).run(COPY_COLUMNS, Math.ceil(n / FRAME_CHUNK));
  return out;
}

/** A column of n rows all equal to `value` (the intercept's), on shared memory where rows are. */
export function constantColumn(n: number, value: number): Float64Array {
  const out = rowFloat64(n);
  const arrays: RowArrays = { out, fParams: sharedFloat64(3) };
  (arrays.fParams as Float64Array).set([n, FRAME_CHUNK, value]);
  rowJobs(arrays, out).run(FILL, Math.ceil(n / FRAME_CHUNK));
  return out;
}
