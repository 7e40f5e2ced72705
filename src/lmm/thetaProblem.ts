/**
 * The θ problem of a linear mixed model for the θ optimizer (src/optim/thetaOptimizer.ts): the bounds, each
 * term's factor T as θ indices, and the scales s_k = the size of the column of Z_c = Z M (the
 * internal blocks, src/model/reparam.ts) that θ_k
 * multiplies (T[i][j] feeds column i of the term: b_i = Σ_j T_ij u_j, so Z_i b_i carries T_ij times
 * Z_i's size). The size is the root mean square of Z_c's column over the rows where Z's column is
 * not zero: where the random effect acts. A covariate's column gets about its RMS (calendar years:
 * ~2000; centred days 0…9: 2.6), an indicator column of a factor term (0 + f | g) or (f | g) about 1
 * whatever its level's frequency (the RMS over all rows would be √p, and x = 1 would then start
 * rare levels at a variance 1/p times the residual's).
 */
import type { RandomBlock, ThetaLayout } from '../model/lambda.js';
import type { CovarianceFactor, ThetaProblem } from '../optim/thetaOptimizer.js';
import { FRAME_CHUNK, rowJobs } from '../linalg/rowChunks.js';
import { type RowArrays, registerRowKernel, sharedFloat64 } from '../linalg/rowThreads.js';

/** Scales are kept within [1/SCALE_LIMIT, SCALE_LIMIT]; an all-zero column gets 1. */
const SCALE_LIMIT = 1e8;

/** Per column of a block: Σ (Z M)_s² and the number of rows where Z_s ≠ 0. */
export interface ColumnSquares {
  sumSq: Float64Array;
  count: Float64Array;
}

/**
 * Chunk c of the column squares: over the chunk's rows, Σ (Z M)_s² and the count of Z_s ≠ 0 per
 * column s into csOut at 2 Q c and 2 Q c + Q. csParams = [n, Q, rows per chunk].
 */
export function columnSquaresChunk(A: RowArrays, c: number): void {
  const P = A.csParams as Float64Array;
  const n = P[0], Q = P[1], i0 = c * P[2], i1 = Math.min(n, i0 + P[2]);
  const Z = A.Z as Float64Array, Zc = A.Zc as Float64Array;
  // the chunk's sums in a local array (neighbouring chunks' results share cache lines)
  const acc = new Float64Array(2 * Q);
  for (let i = i0; i < i1; i++) for (let s = 0; s < Q; s++) {
    if (Z[i * Q + s] === 0) continue;
    const v = Zc[i * Q + s];
    acc[s] += v * v;
    acc[Q + s]++;
  }
  (A.csOut as Float64Array).set(acc, 2 * Q * c);
}

const COLUMN_SQUARES = registerRowKernel('thetaColumnSquares', columnSquaresChunk);

/** A block's column squares from its rows: a row job, the chunks' sums added in chunk order. */
export function columnSquares(blk: RandomBlock, internal: RandomBlock, n: number): ColumnSquares {
  const Q = blk.q;
  const chunks = Math.max(1, Math.ceil(n / FRAME_CHUNK));
  const csParams = sharedFloat64(3);
  csParams.set([n, Q, FRAME_CHUNK]);
  // Z M: the centred columns the internal θ multiplies (src/model/reparam.ts)
  const arrays: RowArrays = { Z: blk.Z, Zc: internal.Z, csParams, csOut: sharedFloat64(2 * Q * chunks) };
  rowJobs(arrays, arrays).run(COLUMN_SQUARES, chunks);
  const out = arrays.csOut as Float64Array;
  const sumSq = new Float64Array(Q);
  const count = new Float64Array(Q);
  for (let c = 0; c < chunks; c++) for (let s = 0; s < Q; s++) { sumSq[s] += out[2 * Q * c + s]; count[s] += out[2 * Q * c + Q + s]; }
  return { sumSq, count };
}

/**
 * `squares`: each block's column squares when the model holds no rows (A from an SQL engine or a
 * stream, src/gram/), else they are summed from the blocks' rows.
 */
export function lmmThetaProblem(blocks: RandomBlock[], internal: RandomBlock[], layout: ThetaLayout, n: number, squares?: ColumnSquares[]): ThetaProblem {
  const scales = new Float64Array(layout.length).fill(1);
  const factors: CovarianceFactor[] = [];
  for (const [b, blk] of blocks.entries()) {
    const Q = blk.q;
    const { sumSq, count } = squares?.[b] ?? columnSquares(blk, internal[b], n);
    const rms = new Float64Array(Q);
    for (let s = 0; s < Q; s++) {
      const r = Math.sqrt(sumSq[s] / Math.max(1, count[s]));
      rms[s] = r > 0 && Number.isFinite(r) ? Math.min(SCALE_LIMIT, Math.max(1 / SCALE_LIMIT, r)) : 1;
    }
    for (const [t, term] of blk.terms.entries()) {
      const fac = blockFactors(blk)[t];
      for (let i = 0; i < term.q; i++) for (let j = 0; j <= i; j++) scales[fac.index[i * term.q + j]] = rms[term.col + i];
      factors.push(fac);
    }
  }
  return { lower: layout.lower, factors, scales };
}

/** Each term's factor T of a block as θ indices (row-major q×q, −1 above the diagonal). */
function blockFactors(blk: RandomBlock): CovarianceFactor[] {
  return blk.terms.map((term) => {
    const q = term.q;
    const index = new Int32Array(q * q).fill(-1);
    for (let i = 0; i < q; i++) for (let j = 0; j <= i; j++) index[i * q + j] = blk.thetaIndex[(term.col + i) * blk.q + term.col + j];
    return { q, index };
  });
}

/** Every term's factor T as θ indices, block by block (the θ optimizer's `factors`; a GLMM's too). */
export function termFactors(blocks: RandomBlock[]): CovarianceFactor[] {
  return blocks.flatMap(blockFactors);
}
