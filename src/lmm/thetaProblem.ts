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

/** Scales are kept within [1/SCALE_LIMIT, SCALE_LIMIT]; an all-zero column gets 1. */
const SCALE_LIMIT = 1e8;

/** Per column of a block: Σ (Z M)_s² and the number of rows where Z_s ≠ 0. */
export interface ColumnSquares {
  sumSq: Float64Array;
  count: Float64Array;
}

/** A block's column squares from its rows. */
export function columnSquares(blk: RandomBlock, internal: RandomBlock, n: number): ColumnSquares {
  const Zc = internal.Z; // Z M: the centred columns the internal θ multiplies (src/model/reparam.ts)
  const Q = blk.q;
  const sumSq = new Float64Array(Q);
  const count = new Float64Array(Q);
  for (let i = 0; i < n; i++) for (let s = 0; s < Q; s++) {
    if (blk.Z[i * Q + s] === 0) continue;
    sumSq[s] += Zc[i * Q + s] ** 2;
    count[s]++;
  }
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
    for (const term of blk.terms) {
      const q = term.q;
      const index = new Int32Array(q * q).fill(-1);
      for (let i = 0; i < q; i++) for (let j = 0; j <= i; j++) {
        const k = blk.thetaIndex[(term.col + i) * Q + term.col + j];
        index[i * q + j] = k;
        scales[k] = rms[term.col + i];
      }
      factors.push({ q, index });
    }
  }
  return { lower: layout.lower, factors, scales };
}
